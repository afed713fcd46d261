#!/usr/bin/env python3
"""Builds the malformed and hostile mails checked by tests/it/charsets.rs (`malformed_*` tests).

    python3 tests/data/malformed/make_malformed.py

What each must give (an error of ticket_gateway::mime::MimeError, `from = None`, or a parsed
mail) is in the table of tests/it/charsets.rs.
"""

import base64
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def crlf(b):
    return b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


HEAD = (b"From: Alice <alice@example.org>\nTo: support@example.com\nSubject: Hostile\n"
        b"Date: Mon, 3 Jun 2024 10:00:00 +0200\nMessage-ID: <hostile@example.org>\nMIME-Version: 1.0\n")

FILES = {
    # A header line of 1 MiB: over the 64 KiB limit.
    "header_line_1mb.eml": crlf(HEAD + b"X-Junk: ") + b"A" * (1024 * 1024) + b"\r\n\r\nbody\r\n",
    # NUL bytes in the header block.
    "nul_in_headers.eml": crlf(HEAD.replace(b"Subject: Hostile", b"Subject: Hos\x00tile") + b"\nbody\n"),
    # A multipart cut in the middle of its second part: no closing boundary.
    "truncated_mime.eml": crlf(HEAD + b'Content-Type: multipart/mixed; boundary="cut"\n\n--cut\nContent-Type: text/plain\n\nSee the PDF.\n'
                               b"--cut\nContent-Type: application/pdf; name=\"r.pdf\"\nContent-Transfer-Encoding: base64\n\n")
                         + base64.encodebytes(b"%PDF-1.4 " * 40)[:150],
    # A base64 part with bytes outside the alphabet.
    "broken_base64.eml": crlf(HEAD + b'Content-Type: multipart/mixed; boundary="b64"\n\n--b64\nContent-Type: text/plain\n\nSee the PDF.\n'
                              b"--b64\nContent-Type: application/pdf; name=\"r.pdf\"\nContent-Transfer-Encoding: base64\n\n"
                              b"JVBERi0xLjQK!!!not*base64###\n@@@@\n--b64--\n"),
    # A single-part base64 body that does not decode.
    "broken_base64_body.eml": crlf(HEAD + b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
                                   b"SGVsbG8g*** d29ybGQ=\n"),
    # No From header at all: data, the caller quarantines "no usable sender".
    "no_from.eml": crlf(HEAD.replace(b"From: Alice <alice@example.org>\n", b"") + b"\nWho am I?\n"),
    # A From with no mailbox in it.
    "from_unusable.eml": crlf(HEAD.replace(b"From: Alice <alice@example.org>", b"From: undisclosed-recipients:;") + b"\nhi\n"),
    # Not a mail: a PNG file.
    "not_a_mail.eml": bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 64,
    # Zero bytes.
    "empty.eml": b"",
    # A body with no header block in front of it.
    "body_only.eml": crlf(b"\nHello, this is just text.\n"),
    # Headers and no body, no blank line: a mail all the same.
    "headers_only.eml": crlf(HEAD),
    # LF line ends instead of CRLF.
    "lf_only.eml": HEAD + b"Content-Type: text/plain; charset=utf-8\n\nPlain LF mail.\n",
    # Garbage 8-bit bytes in headers (not UTF-8): read as Latin-1, not an error.
    "binary_header_bytes.eml": crlf(HEAD.replace(b"Subject: Hostile", b"Subject: \xff\xfe\x80\x81 \xc3\x28") + b"\nbody\n"),
    # A bounce whose returned message is cut short inside its own multipart (the MTA truncated
    # it): the report itself is complete, so this is a usable mail.
    "truncated_bounce.eml": crlf(
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\nTo: support@example.com\nSubject: Undelivered Mail Returned to Sender\n"
        b"Date: Mon, 3 Jun 2024 10:00:00 +0200\nMessage-ID: <bounce-1@mx.example.com>\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="outer"\n\n'
        b"--outer\nContent-Type: text/plain; charset=us-ascii\n\nI'm sorry to have to inform you that your message could not be delivered.\n\n"
        b"--outer\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\nFinal-Recipient: rfc822; gone@example.org\n"
        b"Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n\n"
        b"--outer\nContent-Type: message/rfc822\n\nFrom: support@example.com\nTo: gone@example.org\nSubject: [SUP-7] Ticket created\n"
        b"Message-ID: <sup-7.1717398000.aaaa@example.com>\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"inner\"\n\n"
        b"--inner\nContent-Type: text/plain\n\nYour ticket SUP-7 was creat\n"
        b"--outer--\n"),
    # Many nested multiparts, every one closed.
    "deep_nesting.eml": crlf(HEAD + b'Content-Type: multipart/mixed; boundary="b0"\n\n'
                             + b"".join(b'--b%d\nContent-Type: multipart/mixed; boundary="b%d"\n\n' % (i, i + 1) for i in range(200))
                             + b"--b200\nContent-Type: text/plain\n\ndeep\n--b200--\n"
                             + b"".join(b"--b%d--\n" % i for i in range(199, -1, -1))),
    # A boundary declared but never used: the body is read as text.
    "boundary_never_used.eml": crlf(HEAD + b'Content-Type: multipart/mixed; boundary="nowhere"\n\nJust text, no parts.\n'),
    # An encoded word that never ends, unbalanced quotes and brackets everywhere.
    "broken_encoded_words.eml": crlf(b"From: \"Broken <alice@example.org>\nTo: <<support@example.com\nSubject: =?utf-8?B?w6k=?= =?utf-8?Q?unterminated\n"
                                     b"Message-ID: <<>>\nIn-Reply-To: not an id\nDate: not a date\nContent-Type: text/plain; charset=\"utf-8\n\nbody\n"),
}


def main():
    for name, data in FILES.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
    print(f"{len(FILES)} malformed mails written to {HERE}")


if __name__ == "__main__":
    main()
