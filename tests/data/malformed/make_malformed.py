#!/usr/bin/env python3
"""Builds the malformed and hostile mails checked by tests/it/charsets.rs (`malformed_*` tests).

    python3 tests/data/malformed/make_malformed.py

What each must give (an error of ticket_gateway::mime::MimeError, `from = None`, or a parsed
mail with its sender, files and repairs) and which class of real-world mail it stands for is in
the table MALFORMED of tests/it/charsets.rs (and README.md beside this script).
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


def mixed(boundary, parts, head=HEAD, close=True):
    """A multipart/mixed mail: `parts` are (part headers, body) pairs."""
    out = head + b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\n\n'
    for h, body in parts:
        out += b"--" + boundary + b"\n" + h + b"\n\n" + body + b"\n"
    if close:
        out += b"--" + boundary + b"--\n"
    return crlf(out)


TEXT = (b"Content-Type: text/plain; charset=utf-8", b"Please see the attached file.")
PNG = base64.encodebytes(bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"))


def sender(value):
    return crlf(HEAD.replace(b"From: Alice <alice@example.org>", b"From: " + value) + b"\nHello from an odd sender.\n")


FILES.update({
    # ---- strict MIME must not quarantine readable mail ------------------------------------------
    "junk_line_before_headers.eml": crlf(b"Microsoft Mail Internet Headers Version 2.0\n" + HEAD + b"\nThe text after a junk line.\n"),
    "mbox_from_line.eml": crlf(b"From alice@example.org Mon Jun  3 10:00:00 2024\n" + HEAD + b"\nThe text after an mbox separator.\n"),
    "no_mime_version.eml": mixed(b"nv", [TEXT, (b'Content-Type: application/pdf; name="r.pdf"\nContent-Transfer-Encoding: base64',
                                                base64.encodebytes(b"%PDF-1.4 no MIME-Version"))],
                                 head=HEAD.replace(b"MIME-Version: 1.0\n", b"")),
    "boundary_odd_whitespace.eml": crlf(HEAD + b'Content-Type: multipart/mixed;\n\tboundary = "odd b"\n\npreamble\n'
                                        b"--odd b  \nContent-Type: text/plain\n\nThe text between odd boundaries.\n"
                                        b'--odd b\t\nContent-Type: application/pdf; name="r.pdf"\nContent-Transfer-Encoding: base64\n\n'
                                        + base64.encodebytes(b"%PDF-1.4 odd") + b"--odd b-- \n"),
    "boundary_single_quoted.eml": crlf(HEAD + b"Content-Type: multipart/mixed; boundary='sq'\n\n"
                                       b"--sq\nContent-Type: text/plain\n\nThe text under a single-quoted boundary.\n"
                                       b'--sq\nContent-Type: application/pdf; name="r.pdf"\nContent-Transfer-Encoding: base64\n\n'
                                       + base64.encodebytes(b"%PDF-1.4 quoted") + b"--sq--\n"),
    "unclosed_text_last.eml": mixed(b"u1", [(b'Content-Type: application/pdf; name="r.pdf"\nContent-Transfer-Encoding: base64',
                                             base64.encodebytes(b"%PDF-1.4 first")),
                                            (b"Content-Type: text/plain; charset=utf-8", b"The question comes last and the mail ends.")],
                                    close=False),
    "unclosed_alternative.eml": crlf(HEAD + b'Content-Type: multipart/alternative; boundary="alt"\n\n'
                                     b"--alt\nContent-Type: text/plain; charset=utf-8\n\nPlain text of a cut mail.\n"
                                     b"--alt\nContent-Type: text/html; charset=utf-8\n\n<p>Plain text of a cu"),
    "unclosed_nested.eml": crlf(HEAD + b'Content-Type: multipart/mixed; boundary="outer"\n\n'
                                b'--outer\nContent-Type: multipart/alternative; boundary="inner"\n\n'
                                b"--inner\nContent-Type: text/plain\n\nInner text.\n--inner\nContent-Type: text/html\n\n<p>Inner text.</p>\n--inner--\n"
                                b'--outer\nContent-Type: image/png; name="shot.png"\nContent-Transfer-Encoding: base64\n\n' + PNG),
    "bad_base64_audio.eml": mixed(b"au", [(b"Content-Type: text/plain", b"A voice message is attached."),
                                          (b'Content-Type: audio/mpeg; name="voice.mp3"\nContent-Transfer-Encoding: base64',
                                           b"SUQzAwAAAAAA\n!!!! not base64 ####\nSUQz"),
                                          (b'Content-Type: application/pdf; name="ok.pdf"\nContent-Transfer-Encoding: base64',
                                           base64.encodebytes(b"%PDF-1.4 fine"))]),
    # ---- no MIME part is ever dropped -----------------------------------------------------------
    "inline_image_empty_name.eml": crlf(HEAD + b'Content-Type: multipart/related; boundary="rel"\n\n'
                                        b'--rel\nContent-Type: text/html; charset=utf-8\n\n<p>Look: <img src="cid:img1@x"></p>\n'
                                        b'--rel\nContent-Type: image/png; name="=?utf-8?b??="\nContent-Disposition: inline; filename="=?utf-8?b??="\n'
                                        b"Content-ID: <img1@x>\nContent-Transfer-Encoding: base64\n\n" + PNG + b"--rel--\n"),
    "name_only_separators.eml": mixed(b"sep", [TEXT, (b'Content-Type: application/pdf; name="/"\nContent-Disposition: attachment; filename="\\\\/"\n'
                                                      b"Content-Transfer-Encoding: base64", base64.encodebytes(b"%PDF-1.4 nameless")),
                                               (b'Content-Type: image/jpeg\nContent-Disposition: attachment; filename=""\nContent-Transfer-Encoding: base64',
                                                base64.encodebytes(b"\xff\xd8\xff\xe0 jpeg"))]),
    "related_inline_images.eml": crlf(HEAD + b'Content-Type: multipart/alternative; boundary="alt"\n\n'
                                      b"--alt\nContent-Type: text/plain\n\nSee the screenshots.\n"
                                      b'--alt\nContent-Type: multipart/related; boundary="rel"\n\n'
                                      b'--rel\nContent-Type: text/html\n\n<p>See <img src="cid:a@x"><img src="cid:b@x"></p>\n'
                                      b"--rel\nContent-Type: image/png\nContent-ID: <a@x>\nContent-Transfer-Encoding: base64\n\n" + PNG
                                      + b"--rel\nContent-Type: image/gif\nContent-ID: <b@x>\nContent-Disposition: inline\nContent-Transfer-Encoding: base64\n\n"
                                      + base64.encodebytes(b"GIF89a tiny") + b"--rel--\n--alt--\n"),
    "attached_message.eml": mixed(b"fwd", [(b"Content-Type: text/plain", b"Forwarding the customer's mail."),
                                           (b"Content-Type: message/rfc822", b"From: Carol <carol@example.net>\nSubject: Original\n"
                                            b"Message-ID: <orig@example.net>\n\nThe original text.")]),
    "calendar_invitation.eml": crlf(HEAD + b'Content-Type: multipart/mixed; boundary="mx"\n\n'
                                    b'--mx\nContent-Type: multipart/alternative; boundary="alt"\n\n'
                                    b"--alt\nContent-Type: text/plain\n\nYou are invited to a call.\n"
                                    b'--alt\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\n\nBEGIN:VCALENDAR\nMETHOD:REQUEST\nEND:VCALENDAR\n'
                                    b'--alt--\n--mx\nContent-Type: application/ics; name="invite.ics"\nContent-Disposition: attachment; filename="invite.ics"\n'
                                    b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(b"BEGIN:VCALENDAR\nEND:VCALENDAR\n") + b"--mx--\n"),
    "tnef_winmail.eml": mixed(b"tn", [(b"Content-Type: text/plain", b"Sent from Outlook with rich text."),
                                      (b'Content-Type: application/ms-tnef; name="winmail.dat"\nContent-Disposition: attachment; filename="winmail.dat"\n'
                                       b"Content-Transfer-Encoding: base64", base64.encodebytes(b"\x78\x9f\x3e\x22 tnef stream"))]),
    "root_calendar.eml": crlf(HEAD + b"Content-Type: text/calendar; method=REQUEST; charset=utf-8\n\nBEGIN:VCALENDAR\nMETHOD:REQUEST\nEND:VCALENDAR\n"),
    # ---- sender and subject read right ----------------------------------------------------------
    "from_no_brackets.eml": sender(b"Alice Example alice@example.org"),
    "from_comment_name.eml": sender(b"alice@example.org (Alice Example)"),
    "from_group.eml": sender(b"Support Team: alice@example.org, bob@example.org;"),
    "from_multiple.eml": sender(b"Alice Example <alice@example.org>, Bob <bob@example.org>"),
    "from_idn.eml": sender("Jörg <joerg@bücher.example>".encode()),
    "from_odd_quotes.eml": sender(b"'Alice Example' <<alice@example.org>>"),
    "from_encoded_name.eml": sender(b"=?UTF-8?B?5bGx55Sw5aQ=?= =?UTF-8?B?qumDjg==?= <alice@example.org>"),
    "from_obsolete_route.eml": sender(b"Alice Example <@relay.example:alice@example.org>"),
    "from_empty_angle.eml": sender("\"我\" <>".encode()),
})


def main():
    for name, data in FILES.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
    print(f"{len(FILES)} malformed mails written to {HERE}")


if __name__ == "__main__":
    main()
