#!/usr/bin/env python3
"""The hand-written cases of the reply corpus: NAME.eml (a complete raw mail in the shape a real client sends) and
NAME.expected.txt (the new text a support desk should keep, written by hand below).

    python3 tests/data/replies/make_world.py   (writes these cases and the rest of the corpus)

The .eml and .expected.txt files are committed; this script is how they were made and how to add
more. Each case names the client it imitates; the MIME layout, header set, transfer encodings,
quoting style, attribution line and signature follow what that client produces. Checked by
tests/it/replies.rs (`cargo test --test it replies`).
"""

import base64
import hashlib
import os
import quopri

HERE = os.path.dirname(os.path.abspath(__file__))
SUPPORT = "Example Support <support@example.com>"
CASES = []


def case(name, client, *, frm, subject, expected, plain=None, html=None, date="Mon, 3 Jun 2024 10:14:48 +0200",
         ticket=42, lang=None, plain_charset="utf-8", html_charset="utf-8", attachments=(), to=SUPPORT, cc=None,
         extra_headers=(), layout=None):
    CASES.append(dict(name=name, client=client, frm=frm, subject=subject, expected=expected, plain=plain, html=html,
                      date=date, ticket=ticket, lang=lang, plain_charset=plain_charset, html_charset=html_charset,
                      attachments=attachments, to=to, cc=cc, extra_headers=extra_headers, layout=layout))


# ----------------------------------------------------------------------------------------------
# Encoding helpers
# ----------------------------------------------------------------------------------------------

def crlf(text):
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def qp(text, charset):
    return quopri.encodestring(text.encode(charset)).decode("ascii")


def b64(data):
    return base64.encodebytes(data).decode("ascii")


def token(name, n=28, alphabet="0123456789abcdef"):
    digest = hashlib.sha256(name.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest)[:n]


def leaf(ctype, text, charset, cte, style, extra=""):
    """One text part: headers and encoded body."""
    data = crlf(text)
    if cte == "quoted-printable":
        body = qp(data.replace("\r\n", "\n"), charset)
    elif cte == "base64":
        body = b64(data.encode(charset))
    else:
        body = data
    if style == "apple":
        head = f"Content-Transfer-Encoding: {cte}\nContent-Type: {ctype};\n\tcharset={charset}{extra}\n"
    elif style == "outlook":
        head = f'Content-Type: {ctype}; charset="{charset}"{extra}\nContent-Transfer-Encoding: {cte}\n'
    else:
        head = f'Content-Type: {ctype}; charset="{charset}"{extra}\n'
        if cte != "7bit":
            head += f"Content-Transfer-Encoding: {cte}\n"
    return head + "\n" + body.replace("\r\n", "\n")


Q_SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def encoded_words(text, charset, mode):
    """RFC 2047 words for `text`, each at most ~70 characters, split between characters."""
    words, current = [], b""

    def encode(chunk):
        if mode == "B":
            return f"=?{charset}?B?{base64.b64encode(chunk).decode()}?="
        out = "".join("_" if b == 32 else chr(b) if b in Q_SAFE else f"={b:02X}" for b in chunk)
        return f"=?{charset}?Q?{out}?="

    for ch in text:
        piece = ch.encode(charset)
        if current and len(encode(current + piece)) > 70:
            words.append(encode(current))
            current = b""
        current += piece
    if current:
        words.append(encode(current))
    return "\n ".join(words)


def encode_header_text(value, charset, mode):
    """Leading and trailing ASCII words stay plain; the span with non-ASCII text is encoded."""
    if not needs_8bit(value, charset):
        return value
    words = value.split(" ")
    idx = [i for i, w in enumerate(words) if needs_8bit(w, charset)]
    first, last = idx[0], idx[-1]
    head = " ".join(words[:first])
    tail = " ".join(words[last + 1:])
    middle = encoded_words(" ".join(words[first:last + 1]), charset, mode)
    return " ".join(x for x in (head, middle, tail) if x)


def encode_address(value, charset, mode):
    if "<" not in value or not needs_8bit(value, charset):
        return value
    name, addr = value.rsplit("<", 1)
    return f"{encoded_words(name.strip(), charset, mode)} <{addr}"


def needs_8bit(text, charset):
    try:
        text.encode("ascii")
        return False
    except UnicodeEncodeError:
        return True


# ----------------------------------------------------------------------------------------------
# Clients: header sets, MIME layouts and transfer encodings
# ----------------------------------------------------------------------------------------------

CLIENTS = {
    "gmail": dict(style="gmail", cte="quoted-printable", boundary=lambda n: "000000000000" + token(n, 16),
                  msgid=lambda n: f"CAF{token(n, 40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}@mail.gmail.com",
                  headers=lambda c: [
                      "X-Received: by 2002:a17:906:c14f:b0:a6f:1b2c:3d4e with SMTP id k15mr1234567ejz.12.1717402501234;",
                  ], mx="mail-ej1-f41.google.com [209.85.218.41]", dkim="gmail.com"),
    "gmail_android": dict(style="gmail", cte="quoted-printable", boundary=lambda n: "000000000000" + token(n, 16),
                          msgid=lambda n: f"CAK{token(n, 40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}@mail.gmail.com",
                          headers=lambda c: [], mx="mail-wr1-f54.google.com [209.85.221.54]", dkim="gmail.com"),
    "apple_mac": dict(style="apple", cte="quoted-printable",
                      boundary=lambda n: "Apple-Mail=_" + token(n, 8).upper() + "-" + token(n + "1", 4).upper() + "-4C5D-9E6F-" + token(n + "2", 12).upper(),
                      msgid=lambda n: token(n, 8).upper() + "-1F4D-4E8A-B6C2-" + token(n + "m", 12).upper() + "@icloud.com",
                      headers=lambda c: ["Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))", "X-Mailer: Apple Mail (2.3774.600.62)"],
                      mx="mr85p00im-zteg06021501.me.com [17.58.23.183]", dkim="icloud.com", no_mime_version=True),
    "apple_ios": dict(style="apple", cte="quoted-printable",
                      boundary=lambda n: "Apple-Mail-" + token(n, 8).upper() + "-" + token(n + "1", 4).upper() + "-4B21-A0C3-" + token(n + "2", 12).upper(),
                      msgid=lambda n: token(n, 8).upper() + "-77A1-4C0B-9D3E-" + token(n + "m", 12).upper() + "@icloud.com",
                      headers=lambda c: ["Mime-Version: 1.0 (1.0)", "X-Mailer: iPhone Mail (21F90)"],
                      mx="mr85p00im-ztdg06011101.me.com [17.58.23.185]", dkim="icloud.com", no_mime_version=True),
    "thunderbird": dict(style="plain", cte="8bit", boundary=lambda n: "------------" + token(n, 24, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
                        msgid=lambda n: f"{token(n, 8)}-{token(n + 'a', 4)}-4e1f-9a2b-{token(n + 'b', 12)}@example.net",
                        headers=lambda c: ["User-Agent: Mozilla Thunderbird"], mx="smtp.example.net [198.51.100.25]",
                        dkim="example.net", flowed=True),
    "outlook": dict(style="outlook", cte="quoted-printable", boundary=lambda n: "_000_" + token(n, 40, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") + "_",
                    msgid=lambda n: f"<AM0PR07MB{token(n, 36, 'ABCDEF0123456789')}@AM0PR07MB{token(n + 'h', 4, '0123456789')}.eurprd07.prod.outlook.com>",
                    headers=lambda c: [f"Thread-Topic: {c['subject'].split(': ', 1)[-1]}", "Thread-Index: AQHatXxyz1234567890abcdefGHIJKLMNOPQ==",
                                       "Accept-Language: fr-FR, en-US" if c["lang"] == "fr" else "Accept-Language: en-US",
                                       "X-MS-Has-Attach:", "X-MS-TNEF-Correlator:", "x-ms-publictraffictype: Email",
                                       "X-Mailer: Microsoft Outlook 16.0"],
                    mx="EUR05-AM6-obe.outbound.protection.outlook.com [40.107.22.104]", dkim="acme.example"),
    "owa": dict(style="outlook", cte="base64", boundary=lambda n: "_000_" + token(n, 40, "ABCDEF0123456789") + "_",
                msgid=lambda n: f"<DB9PR08MB{token(n, 36, 'ABCDEF0123456789')}@DB9PR08MB{token(n + 'h', 4, '0123456789')}.eurprd08.prod.outlook.com>",
                headers=lambda c: [f"Thread-Topic: {c['subject'].split(': ', 1)[-1]}", "Thread-Index: AQHatYabc0987654321zyxwvUTSRQPON==",
                                   "msip_labels:", "x-ms-exchange-messagesentrepresentingtype: 1"],
                mx="EUR02-DB5-obe.outbound.protection.outlook.com [40.107.249.98]", dkim="outlook.com"),
    "outlook_mobile": dict(style="outlook", cte="base64", boundary=lambda n: "_000_" + token(n, 40, "ABCDEF0123456789") + "_",
                           msgid=lambda n: f"<PAXPR02MB{token(n, 36, 'ABCDEF0123456789')}@PAXPR02MB{token(n + 'h', 4, '0123456789')}.eurprd02.prod.outlook.com>",
                           headers=lambda c: [f"Thread-Topic: {c['subject'].split(': ', 1)[-1]}", "x-ms-reactions: allow"],
                           mx="EUR03-PAX-obe.outbound.protection.outlook.com [40.107.103.51]", dkim="outlook.com"),
    "outlook_mac": dict(style="plain", cte="quoted-printable", boundary=lambda n: "B_" + token(n, 10, "0123456789") + "_" + token(n + "x", 10, "0123456789"),
                        msgid=lambda n: f"<{token(n, 8).upper()}-{token(n + 'q', 4).upper()}-4A11-8C2D-{token(n + 'r', 12).upper()}@acme.example>",
                        headers=lambda c: ["User-Agent: Microsoft-MacOutlook/16.85.24051214", "Thread-Topic: " + c["subject"]],
                        mx="smtp.acme.example [203.0.113.10]", dkim="acme.example"),
    "samsung": dict(style="plain", cte="base64", boundary=lambda n: "--_com.samsung.android.email_" + token(n, 16, "0123456789"),
                    msgid=lambda n: f"{token(n, 10, '0123456789')}.{token(n + 'z', 6, '0123456789')}.samsung@example.org",
                    headers=lambda c: [], mx="smtp.example.org [192.0.2.77]", dkim="example.org"),
    "yahoo": dict(style="plain", cte="quoted-printable", boundary=lambda n: "----=_Part_" + token(n, 7, "0123456789") + "_" + token(n + "y", 9, "0123456789") + ".1717402501234",
                  msgid=lambda n: f"{token(n, 10, '0123456789')}.{token(n + 'x', 7, '0123456789')}.1717402501234@mail.yahoo.com",
                  headers=lambda c: ["X-Mailer: WebService/1.1.22321 YMailNorrin"], mx="sonic310-21.consmr.mail.ir2.yahoo.com [77.238.177.147]",
                  dkim="yahoo.fr"),
    "proton": dict(style="plain", cte="quoted-printable", boundary=lambda n: "b1=_" + token(n, 32, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
                   msgid=lambda n: f"{token(n, 40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}=@proton.me",
                   headers=lambda c: [], mx="mail-4316.protonmail.ch [185.70.43.16]", dkim="proton.me"),
    "mutt": dict(style="plain", cte="8bit", boundary=lambda n: token(n, 16),
                 msgid=lambda n: f"{token(n, 14)}@hal.example.net", headers=lambda c: ["User-Agent: Mutt/2.2.12 (2023-09-09)"],
                 mx="hal.example.net [198.51.100.7]", dkim="example.net"),
    "notes": dict(style="plain", cte="quoted-printable", boundary=lambda n: "=_alternative 00" + token(n, 14, "0123456789ABCDEF") + "_=",
                  msgid=lambda n: f"<OF{token(n, 8, '0123456789ABCDEF')}.{token(n + 'n', 8, '0123456789ABCDEF')}-ON{token(n + 'o', 8, '0123456789ABCDEF')}@acme.example>",
                  headers=lambda c: ["X-Mailer: Lotus Notes Release 9.0.1FP10 SHF68 April 20, 2018", "X-MIMETrack: Serialize by Router on NOTES01/ACME at 03/06/2024 10:14:48"],
                  mx="notes01.acme.example [203.0.113.20]", dkim="acme.example"),
    "outlook_express": dict(style="plain", cte="quoted-printable", boundary=lambda n: "----=_NextPart_000_00" + token(n, 2, "0123456789ABCDEF") + "_01DAB5A1.2C3D4E50",
                            msgid=lambda n: f"<00{token(n, 2, '0123456789abcdef')}01dab5a1$2c3d4e50$0a00a8c0@PAULPC>",
                            headers=lambda c: ["X-Priority: 3", "X-MSMail-Priority: Normal", "X-Mailer: Microsoft Outlook Express 6.00.2900.5931",
                                               "X-MimeOLE: Produced By Microsoft MimeOLE V6.00.2900.6157"],
                            mx="smtp.acme.example [203.0.113.10]", dkim="acme.example"),
    "zimbra": dict(style="plain", cte="quoted-printable", boundary=lambda n: "=_" + token(n, 8) + "-" + token(n + "z", 4) + "-4c1e-a6b1-" + token(n + "y", 12),
                   msgid=lambda n: f"<{token(n, 10, '0123456789')}.{token(n + 'q', 8, '0123456789')}.1717402488123.JavaMail.zimbra@univ.example>",
                   headers=lambda c: ["X-Mailer: Zimbra 9.0.0_GA_4546 (ZimbraWebClient - FF126 (Linux)/9.0.0_GA_4546)", "Thread-Index: 4Lp1YbXq7zN9mA2c3D4e5F6g7H8i9J"],
                   mx="zimbra.univ.example [192.0.2.55]", dkim="univ.example"),
    "roundcube": dict(style="plain", cte="8bit", boundary=lambda n: "=_" + token(n, 32),
                      msgid=lambda n: f"<{token(n, 32)}@univ.example>", headers=lambda c: ["User-Agent: Roundcube Webmail/1.6.7"],
                      mx="webmail.univ.example [192.0.2.56]", dkim="univ.example", flowed=True),
    "crm": dict(style="plain", cte="quoted-printable", boundary=lambda n: "_=_swift_" + token(n, 10, "0123456789") + "_" + token(n + "s", 32) + "_=_",
                msgid=lambda n: f"<{token(n, 32)}@desk.partner.example>", headers=lambda c: ["X-Mailer: Partner Desk 4.2 (Symfony Mailer)"],
                mx="desk.partner.example [198.51.100.90]", dkim="partner.example"),
    "windows_mail": dict(style="plain", cte="quoted-printable", boundary=lambda n: "_" + token(n, 8).upper() + "-" + token(n + "w", 4).upper() + "-4E0A-9B51-" + token(n + "v", 12).upper() + "_",
                         msgid=lambda n: f"{token(n, 8).upper()}-{token(n + 'k', 4).upper()}-4F6A-8DCE-{token(n + 'l', 12).upper()}@hxcore.ol",
                         headers=lambda c: [], mx="EUR04-VI1-obe.outbound.protection.outlook.com [40.107.8.67]", dkim="outlook.fr"),
}


def gateway_id(ticket):
    return f"sup-{ticket}.1717398000.{token(str(ticket), 12)}@example.com"


def build(c):
    client = CLIENTS[c["client"]]
    name = c["name"]
    style = client["style"]
    cte = client["cte"]
    addr = c["frm"].split("<")[-1].rstrip(">")
    domain = addr.split("@")[-1]
    msgid = client["msgid"](name)
    if not msgid.startswith("<"):
        msgid = f"<{msgid}>"
    ref = gateway_id(c["ticket"])
    lines = [
        "Return-Path: <%s>" % addr,
        "Delivered-To: support@example.com",
        f"Received: from {client['mx'].split()[0]} ({client['mx']})\n\tby mx.example.com (Postfix) with ESMTPS id 4Vt{token(name, 7, 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789')}\n\tfor <support@example.com>; {c['date']}",
        f"Authentication-Results: mx.example.com;\n\tdkim=pass (2048-bit key; unprotected) header.d={domain} header.i=@{domain} header.b={token(name, 8, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz')};\n\tspf=pass (mx.example.com: domain of {addr} designates sender IP) smtp.mailfrom={addr};\n\tdmarc=pass (p=none dis=none) header.from={domain}",
        f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=s1;\n\th=from:to:subject:date:message-id:in-reply-to:references:mime-version:content-type;\n\tbh={base64.b64encode(hashlib.sha256(name.encode()).digest()).decode()};\n\tb={base64.b64encode(hashlib.sha512(name.encode()).digest()).decode()}",
    ]
    if not client.get("no_mime_version"):
        lines.append("MIME-Version: 1.0")
    hcharset = "iso-8859-1" if c["plain_charset"] in ("iso-8859-1", "windows-1252") else "utf-8"
    hmode = "B" if c["client"] in ("owa", "outlook_mobile", "samsung", "windows_mail") else "Q"
    lines += [l if not l.startswith("Thread-Topic: ") else "Thread-Topic: " + encode_header_text(l[14:], hcharset, hmode)
              for l in client["headers"](c)]
    lines += [
        f"From: {encode_address(c['frm'], hcharset, hmode)}",
        f"Date: {c['date']}",
        f"Message-ID: {msgid}",
        f"Subject: {encode_header_text(c['subject'], hcharset, hmode)}",
        f"To: {encode_address(c['to'], hcharset, hmode)}",
    ]
    if c["cc"]:
        lines.append(f"Cc: {encode_address(c['cc'], hcharset, hmode)}")
    lines += [f"In-Reply-To: <{ref}>", f"References: <{ref}>"]
    if c["lang"] and c["client"] in ("outlook", "owa", "outlook_mobile"):
        lines.append("Content-Language: " + ("fr-FR" if c["lang"] == "fr" else "en-US"))
    lines += list(c["extra_headers"])
    if client.get("no_mime_version"):
        pass

    flowed = ";\n format=flowed" if client.get("flowed") else ""
    parts = []
    if c["plain"] is not None:
        text = c["plain"]
        this_cte = cte
        if cte in ("8bit", "quoted-printable") and style != "outlook" and not needs_8bit(text, c["plain_charset"]):
            this_cte = "7bit"
        if flowed and this_cte == "quoted-printable":
            this_cte = "8bit"
        parts.append(leaf("text/plain", text, c["plain_charset"], this_cte, style, flowed))
    if c["html"] is not None:
        html_cte = "quoted-printable" if cte in ("8bit", "7bit") else cte
        parts.append(leaf("text/html", c["html"], c["html_charset"], html_cte, style))

    boundary = client["boundary"](name)
    if c["layout"] == "related":
        # The HTML part and its inline image in a multipart/related (Apple Mail, Outlook).
        rel = "rel_" + boundary
        image = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000100000001008060000001ff3ff61") + b"\x00" * 24
        parts[-1] = (f'Content-Type: multipart/related;\n\ttype="text/html";\n\tboundary="{rel}"\n\n'
                     f"--{rel}\n{parts[-1]}\n--{rel}\nContent-Transfer-Encoding: base64\n"
                     f'Content-Disposition: inline;\n\tfilename="screenshot.png"\nContent-Type: image/png;\n\tname="screenshot.png"\n'
                     f"Content-Id: <{token(name, 8).upper()}-IMG@example>\n\n{b64(image)}\n--{rel}--\n")
    if len(parts) == 1 and not c["attachments"]:
        head, body = parts[0].split("\n\n", 1)
        lines += head.split("\n")
        body_text = body
    else:
        if len(parts) == 2:
            alt = f'Content-Type: multipart/alternative; boundary="{boundary}"'
            inner = "".join(f"--{boundary}\n{p}\n" for p in parts) + f"--{boundary}--\n"
        else:
            alt, inner = None, None
        if c["attachments"]:
            mixed = "mix_" + boundary
            lines.append(f'Content-Type: multipart/mixed; boundary="{mixed}"')
            chunks = []
            if alt:
                chunks.append(alt + "\n\n" + inner)
            else:
                chunks.append(parts[0])
            for fname, ctype, data in c["attachments"]:
                if ctype == "message/rfc822":
                    chunks.append(f'Content-Type: message/rfc822; name="{fname}"\nContent-Disposition: attachment; filename="{fname}"\n\n'
                                  + data.decode("utf-8"))
                    continue
                chunks.append(f'Content-Type: {ctype}; name="{fname}"\nContent-Disposition: attachment; filename="{fname}"\n'
                              f"Content-Transfer-Encoding: base64\n\n{b64(data)}")
            body_text = "".join(f"--{mixed}\n{ch}\n" for ch in chunks) + f"--{mixed}--\n"
        else:
            lines.append(alt)
            body_text = inner
    raw = "\n".join(lines) + "\n\n" + body_text
    head = "\n".join(lines)
    assert not needs_8bit(head, "ascii"), (name, [l for l in lines if needs_8bit(l, "ascii")])
    return crlf(raw).encode("utf-8")


def write_all():
    names = set()
    for c in CASES:
        assert c["name"] not in names, c["name"]
        names.add(c["name"])
        with open(os.path.join(HERE, c["name"] + ".eml"), "wb") as f:
            f.write(build(c))
        with open(os.path.join(HERE, c["name"] + ".expected.txt"), "w", encoding="utf-8") as f:
            f.write(c["expected"].strip("\n") + "\n")
    print(f"{len(CASES)} cases written to {HERE}")


# ----------------------------------------------------------------------------------------------
# Quoted material reused by the cases
# ----------------------------------------------------------------------------------------------

SUPPORT_EN = """Hello,

Could you restart the printer and send us the error code shown on its display?

Kind regards,
Example Support"""

SUPPORT_FR = """Bonjour,

Pourriez-vous redémarrer l'imprimante et nous envoyer le code d'erreur affiché ?

Cordialement,
Le support Example"""


def quote(text, prefix="> "):
    return "\n".join((prefix + l).rstrip() if l else prefix.rstrip() for l in text.split("\n"))


def html_lines(text):
    return "<br>".join(text.split("\n"))


def html_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def gmail_html(new_html, attribution, quoted):
    return (f'<div dir="ltr">{new_html}</div><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">'
            f'{html_escape(attribution)}<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;'
            f'border-left:1px solid rgb(204,204,204);padding-left:1ex">{html_lines(html_escape(quoted))}<br></blockquote></div>\n')


def apple_html(new_html, attribution, quoted):
    return ('<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body style="overflow-wrap: '
            'break-word; -webkit-nbsp-mode: space; line-break: after-white-space;">'
            f'{new_html}<br id="lineBreakAtBeginningOfMessage"><div><br><blockquote type="cite"><div>{html_escape(attribution)}</div>'
            '<br class="Apple-interchange-newline"><div><div>'
            + "</div><div>".join(html_escape(l) if l else "<br>" for l in quoted.split("\n"))
            + "</div></div></blockquote></div><br></body></html>\n")


def thunderbird_html(new_html, attribution, quoted, signature=None):
    sig = f'<pre class="moz-signature" cols="72">-- \n{html_escape(signature)}</pre>' if signature else ""
    return ('<!DOCTYPE html>\n<html>\n  <head>\n    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8">\n  </head>\n'
            f'  <body>\n    {new_html}\n    <div class="moz-cite-prefix">{html_escape(attribution)}<br>\n    </div>\n'
            f'    <blockquote type="cite" cite="mid:{gateway_id(1)}">\n      <pre class="moz-quote-pre" wrap="">{html_escape(quoted)}</pre>\n'
            f'    </blockquote>\n    {sig}\n  </body>\n</html>\n')


def outlook_html(new_lines, header_lines, quoted, color="#E1E1E1"):
    def p(l):
        return f'<p class="MsoNormal">{html_escape(l) if l else "&nbsp;"}<o:p></o:p></p>'
    hdr = "<br>\n".join(f"<b>{html_escape(k)}</b> {html_escape(v)}" for k, v in header_lines)
    return ('<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" '
            'xmlns="http://www.w3.org/TR/REC-html40"><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            '<meta name="Generator" content="Microsoft Word 15 (filtered medium)"><style><!--\n/* Font Definitions */\n'
            '@font-face {font-family:"Cambria Math";}\np.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm;font-size:11.0pt;}\n'
            '--></style><!--[if gte mso 9]><xml>\n<o:shapedefaults v:ext="edit" spidmax="1026" />\n</xml><![endif]--></head>'
            '<body lang="FR" link="#0563C1" vlink="#954F72" style="word-wrap:break-word"><div class="WordSection1">'
            + "\n".join(p(l) for l in new_lines)
            + f'\n<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\n<div><div style="border:none;border-top:solid {color} 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
            + f'<p class="MsoNormal">{hdr}<o:p></o:p></p></div></div>\n<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\n'
            + "\n".join(p(l) for l in quoted.split("\n"))
            + "\n</div></body></html>\n")


def owa_html(new_html, header_lines, quoted):
    hdr = "<br>\n".join(f"<b>{html_escape(k)}</b> {html_escape(v)}" for k, v in header_lines)
    return ('<html><head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n<style type="text/css" style="display:none;"> '
            'P {margin-top:0;margin-bottom:0;} </style>\n</head>\n<body dir="ltr">\n'
            f'<div class="elementToProof" style="font-family: Aptos, Aptos_EmbeddedFont, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">\n{new_html}</div>\n'
            '<div id="appendonsend"></div>\n<hr style="display:inline-block;width:98%" tabindex="-1">\n'
            f'<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">{hdr}</font>\n'
            '<div>&nbsp;</div>\n</div>\n<div>\n<div dir="ltr">' + html_lines(html_escape(quoted)) + '</div>\n</div>\n</body>\n</html>\n')


def outlook_plain_header(lang, frm=SUPPORT, to="", subject="", sent=None, sep=False, nbsp=False):
    if lang == "fr":
        colon = "\u00a0:" if nbsp else " :"
        sent = sent or "lundi 3 juin 2024 09:15"
        block = f"De{colon} {frm}\nEnvoyé{colon} {sent}\nÀ{colon} {to}\nObjet{colon} {subject}"
    else:
        sent = sent or "Monday, June 3, 2024 9:15 AM"
        block = f"From: {frm}\nSent: {sent}\nTo: {to}\nSubject: {subject}"
    return ("________________________________\n" if sep else "") + block


# ----------------------------------------------------------------------------------------------
# The cases
# ----------------------------------------------------------------------------------------------

ALICE = "Alice Martin <alice.martin@gmail.com>"
ATTR_GMAIL_EN = "On Mon, Jun 3, 2024 at 9:02 AM Example Support <support@example.com> wrote:"
ATTR_GMAIL_FR = "Le lun. 3 juin 2024 à 09:02, Example Support <support@example.com> a écrit :"
SUBJ_EN = "Re: [SUP-42] Printer on floor 2 does not print"
SUBJ_FR = "Re: [SUP-42] L'imprimante du 2e étage n'imprime plus"

# --- Gmail ---------------------------------------------------------------------------------------

case("gmail_en_top_posted", "gmail", frm=ALICE, subject=SUBJ_EN,
     plain=f"I restarted it, the display shows E-204.\n\n{ATTR_GMAIL_EN}\n\n{quote(SUPPORT_EN)}\n",
     html=gmail_html("I restarted it, the display shows E-204.", ATTR_GMAIL_EN, SUPPORT_EN),
     expected="I restarted it, the display shows E-204.")

case("gmail_fr_top_posted", "gmail", frm=ALICE, subject=SUBJ_FR, lang="fr",
     plain=f"Je l'ai redémarrée, l'écran affiche E-204.\n\nBonne journée,\nAlice\n\n{ATTR_GMAIL_FR}\n\n{quote(SUPPORT_FR)}\n",
     html=gmail_html("Je l'ai redémarrée, l'écran affiche E-204.<div><br></div><div>Bonne journée,</div><div>Alice</div>", ATTR_GMAIL_FR, SUPPORT_FR),
     expected="Je l'ai redémarrée, l'écran affiche E-204.")

case("gmail_en_attribution_wrapped", "gmail", frm=ALICE, subject=SUBJ_EN,
     plain="Still broken after the restart.\n\nOn Mon, Jun 3, 2024 at 9:02 AM Example Support Team Europe <\nsupport@example.com> wrote:\n\n" + quote(SUPPORT_EN) + "\n",
     expected="Still broken after the restart.")

case("gmail_en_attribution_wrapped_wrote", "gmail", frm=ALICE, subject=SUBJ_EN,
     plain="The code is E-204.\n\nOn Mon, Jun 3, 2024 at 9:02 AM Example Support <support@example.com>\nwrote:\n\n" + quote(SUPPORT_EN) + "\n",
     expected="The code is E-204.")

case("gmail_fr_attribution_wrapped", "gmail", frm=ALICE, subject=SUBJ_FR, lang="fr",
     plain="Toujours en panne.\n\nLe lun. 3 juin 2024 à 09:02, Support Example Équipe Europe <support@example.com> a\nécrit :\n\n" + quote(SUPPORT_FR) + "\n",
     expected="Toujours en panne.")

case("gmail_fr_attribution_nbsp", "gmail", frm=ALICE, subject=SUBJ_FR, lang="fr",
     plain="C'est le code E-204.\n\nLe lun. 3 juin 2024 à 09:02, Example Support <support@example.com> a\u00a0écrit\u00a0:\n\n" + quote(SUPPORT_FR) + "\n",
     html=gmail_html("C'est le code E-204.", ATTR_GMAIL_FR.replace(" :", "\u00a0:"), SUPPORT_FR),
     expected="C'est le code E-204.")

case("gmail_en_inline", "gmail", frm=ALICE, subject=SUBJ_EN,
     plain=f"""Hi,

answers below.

{ATTR_GMAIL_EN}

> Hello,
>
> Could you restart the printer

Done, twice.

> and send us the error code shown on its display?

E-204, then it goes blank.

> Kind regards,
> Example Support
""",
     expected="Hi,\n\nanswers below.\n\n> Could you restart the printer\n\nDone, twice.\n\n> and send us the error code shown on its display?\n\nE-204, then it goes blank.")

case("gmail_fr_inline", "gmail", frm=ALICE, subject=SUBJ_FR, lang="fr",
     plain=f"""{ATTR_GMAIL_FR}

> Bonjour,
>
> Pourriez-vous redémarrer l'imprimante

C'est fait.

> et nous envoyer le code d'erreur affiché ?

E-204.

> Cordialement,
> Le support Example
""",
     expected="> Pourriez-vous redémarrer l'imprimante\n\nC'est fait.\n\n> et nous envoyer le code d'erreur affiché ?\n\nE-204.")

case("gmail_en_signature", "gmail", frm=ALICE, subject=SUBJ_EN,
     plain=f"It works again, thank you!\n\n-- \nAlice Martin\nFacilities, ACME Corp\n+33 1 23 45 67 89\n\n{ATTR_GMAIL_EN}\n\n{quote(SUPPORT_EN)}\n",
     html=gmail_html('It works again, thank you!<br clear="all"><div><br></div><span class="gmail_signature_prefix">-- </span><br>'
                     '<div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature"><div dir="ltr">Alice Martin<div>Facilities, ACME Corp</div>'
                     '<div>+33 1 23 45 67 89</div></div></div>', ATTR_GMAIL_EN, SUPPORT_EN),
     expected="It works again, thank you!")

case("gmail_en_keyword", "gmail", frm="Sam Staff <sam@example.com>", subject=SUBJ_EN,
     plain=f"#waiting\n\nHi Alice, which model is it? The label is on the back.\n\n{ATTR_GMAIL_EN}\n\n{quote(SUPPORT_EN)}\n",
     html=gmail_html("#waiting<div><br></div><div>Hi Alice, which model is it? The label is on the back.</div>", ATTR_GMAIL_EN, SUPPORT_EN),
     expected="#waiting\n\nHi Alice, which model is it? The label is on the back.")

case("gmail_fr_keyword_accent", "gmail", frm="Sam Staff <sam@example.com>", subject=SUBJ_FR, lang="fr",
     plain=f"#Résolu\n\nLe pilote a été mis à jour, l'imprimante fonctionne.\n\n{ATTR_GMAIL_FR}\n\n{quote(SUPPORT_FR)}\n",
     html=gmail_html("#Résolu<div><br></div><div>Le pilote a été mis à jour, l'imprimante fonctionne.</div>", ATTR_GMAIL_FR, SUPPORT_FR),
     expected="#Résolu\n\nLe pilote a été mis à jour, l'imprimante fonctionne.")

case("gmail_en_forward_only", "gmail", frm=ALICE, subject="Fwd: Printer error E-204",
     plain="""---------- Forwarded message ---------
From: Jean Dupuis <jean.dupuis@acme.example>
Date: Mon, Jun 3, 2024 at 8:41 AM
Subject: Printer error E-204
To: Alice Martin <alice.martin@gmail.com>


Alice, the printer on floor 2 shows E-204 again. Can you ask support?

Jean
""",
     html="""<div dir="ltr"><br><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>From: <strong class="gmail_sendername" dir="auto">Jean Dupuis</strong> <span dir="auto">&lt;<a href="mailto:jean.dupuis@acme.example">jean.dupuis@acme.example</a>&gt;</span><br>Date: Mon, Jun 3, 2024 at 8:41 AM<br>Subject: Printer error E-204<br>To: Alice Martin &lt;<a href="mailto:alice.martin@gmail.com">alice.martin@gmail.com</a>&gt;<br></div><br><br><div dir="ltr">Alice, the printer on floor 2 shows E-204 again. Can you ask support?<div><br></div><div>Jean</div></div>
</div></div>
""",
     expected="""---------- Forwarded message ---------
From: Jean Dupuis <jean.dupuis@acme.example>
Date: Mon, Jun 3, 2024 at 8:41 AM
Subject: Printer error E-204
To: Alice Martin <alice.martin@gmail.com>

Alice, the printer on floor 2 shows E-204 again. Can you ask support?

Jean""")

case("gmail_fr_forward_only", "gmail", frm=ALICE, subject="Fwd: Erreur imprimante E-204", lang="fr",
     plain="""---------- Message transféré ---------
De : Jean Dupuis <jean.dupuis@acme.example>
Date: lun. 3 juin 2024 à 08:41
Subject: Erreur imprimante E-204
To: Alice Martin <alice.martin@gmail.com>


Alice, l'imprimante du 2e affiche encore E-204. Tu peux demander au support ?

Jean
""",
     expected="""---------- Message transféré ---------
De : Jean Dupuis <jean.dupuis@acme.example>
Date: lun. 3 juin 2024 à 08:41
Subject: Erreur imprimante E-204
To: Alice Martin <alice.martin@gmail.com>

Alice, l'imprimante du 2e affiche encore E-204. Tu peux demander au support ?

Jean""")

case("gmail_en_forward_with_note", "gmail", frm=ALICE, subject="Fwd: Printer error E-204",
     plain="""Same problem reported by Jean this morning.

---------- Forwarded message ---------
From: Jean Dupuis <jean.dupuis@acme.example>
Date: Mon, Jun 3, 2024 at 8:41 AM
Subject: Printer error E-204
To: Alice Martin <alice.martin@gmail.com>


It shows E-204 again.
""",
     html="""<div dir="ltr">Same problem reported by Jean this morning.<br><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>From: <strong class="gmail_sendername" dir="auto">Jean Dupuis</strong> <span dir="auto">&lt;jean.dupuis@acme.example&gt;</span><br>Date: Mon, Jun 3, 2024 at 8:41 AM<br>Subject: Printer error E-204<br>To: Alice Martin &lt;alice.martin@gmail.com&gt;<br></div><br><br><div dir="ltr">It shows E-204 again.</div></div></div>
""",
     expected="""Same problem reported by Jean this morning.

---------- Forwarded message ---------
From: Jean Dupuis <jean.dupuis@acme.example>
Date: Mon, Jun 3, 2024 at 8:41 AM
Subject: Printer error E-204
To: Alice Martin <alice.martin@gmail.com>

It shows E-204 again.""")

case("gmail_en_nested_quotes", "gmail", frm=ALICE, subject=SUBJ_EN,
     plain=f"""OK, I will wait for the technician.

{ATTR_GMAIL_EN}

> A technician will come on Wednesday.
>
> On Fri, May 31, 2024 at 4:10 PM Alice Martin <alice.martin@gmail.com> wrote:
>
>> The printer on floor 2 does not print.
>>
""",
     expected="OK, I will wait for the technician.")

case("gmail_en_quoted_forward", "gmail", frm=ALICE, subject=SUBJ_EN,
     plain=f"""Thanks, I told Jean.

{ATTR_GMAIL_EN}

> We received the forwarded message:
>
> ---------- Forwarded message ---------
> From: Jean Dupuis <jean.dupuis@acme.example>
> It shows E-204 again.
""",
     expected="Thanks, I told Jean.")

case("gmail_en_html_only", "gmail", frm=ALICE, subject=SUBJ_EN,
     html=gmail_html("The error is gone after the firmware update.<div><br></div><div>Thanks!</div>", ATTR_GMAIL_EN, SUPPORT_EN),
     expected="The error is gone after the firmware update.\n\nThanks!")

case("gmail_fr_html_only_signature", "gmail", frm=ALICE, subject=SUBJ_FR, lang="fr",
     html=gmail_html('Merci, tout fonctionne.<br clear="all"><div><br></div><span class="gmail_signature_prefix">-- </span><br>'
                     '<div dir="ltr" class="gmail_signature"><div dir="ltr">Alice Martin<br>Services généraux</div></div>', ATTR_GMAIL_FR, SUPPORT_FR),
     expected="Merci, tout fonctionne.")

case("gmail_android_en", "gmail_android", frm=ALICE, subject=SUBJ_EN,
     plain=f"On my way to check it now\n\n{ATTR_GMAIL_EN}\n\n{quote(SUPPORT_EN)}\n",
     html=gmail_html("On my way to check it now", ATTR_GMAIL_EN, SUPPORT_EN),
     expected="On my way to check it now")

case("gmail_en_hashtags", "gmail", frm=ALICE, subject=SUBJ_EN,
     plain=f"#printer #floor2\nIt happens only with colour jobs. Is #E204 documented somewhere?\n\n{ATTR_GMAIL_EN}\n\n{quote(SUPPORT_EN)}\n",
     expected="#printer #floor2\nIt happens only with colour jobs. Is #E204 documented somewhere?")

case("gmail_en_gt_in_text", "gmail", frm=ALICE, subject=SUBJ_EN,
     plain=f"It fails when the job is > 20 pages, and the queue shows 3 > 2 retries.\n\n{ATTR_GMAIL_EN}\n\n{quote(SUPPORT_EN)}\n",
     expected="It fails when the job is > 20 pages, and the queue shows 3 > 2 retries.")

case("gmail_en_empty_reply", "gmail", frm=ALICE, subject="Re: [SUP-42] Printer on floor 2 does not print #close",
     plain=f"\n\n{ATTR_GMAIL_EN}\n\n{quote(SUPPORT_EN)}\n",
     html=gmail_html("<br>", ATTR_GMAIL_EN, SUPPORT_EN),
     expected="")

case("gmail_en_customer_wrote", "gmail", frm="Sam Staff <sam@example.com>", subject=SUBJ_EN,
     plain=f"#note\nHere is what the customer wrote on the phone:\nThe printer prints blank pages since Monday.\n\n{ATTR_GMAIL_EN}\n\n{quote(SUPPORT_EN)}\n",
     expected="#note\nHere is what the customer wrote on the phone:\nThe printer prints blank pages since Monday.")

# --- Apple Mail ----------------------------------------------------------------------------------

BOB = "Bob Durand <bob.durand@icloud.com>"
SUBJ_VPN = "Re: [SUP-43] VPN disconnects every hour"
SUBJ_VPN_FR = "Re: [SUP-43] Le VPN se déconnecte toutes les heures"
ATTR_APPLE_EN = "On 3 Jun 2024, at 09:45, Example Support <support@example.com> wrote:"
ATTR_APPLE_FR = "Le 3 juin 2024 à 09:45, Example Support <support@example.com> a écrit :"
SUPPORT_VPN = "Hello Bob,\n\nPlease update the VPN client to 5.2 and tell us if it still happens.\n\nExample Support"
SUPPORT_VPN_FR = "Bonjour Bob,\n\nMerci de mettre à jour le client VPN en 5.2 et de nous dire si le problème persiste.\n\nLe support Example"

case("apple_mac_en", "apple_mac", frm=BOB, subject=SUBJ_VPN, ticket=43,
     plain=f"Updated to 5.2, no disconnection since this morning.\n\n> {ATTR_APPLE_EN}\n> \n{quote(SUPPORT_VPN)}\n",
     html=apple_html("Updated to 5.2, no disconnection since this morning.", ATTR_APPLE_EN, SUPPORT_VPN),
     expected="Updated to 5.2, no disconnection since this morning.")

case("apple_mac_fr", "apple_mac", frm=BOB, subject=SUBJ_VPN_FR, ticket=43, lang="fr",
     plain=f"Mis à jour en 5.2, plus de coupure depuis ce matin.\n\nBob\n\n> {ATTR_APPLE_FR}\n> \n{quote(SUPPORT_VPN_FR)}\n",
     html=apple_html("Mis à jour en 5.2, plus de coupure depuis ce matin.<div><br></div><div>Bob</div>", ATTR_APPLE_FR, SUPPORT_VPN_FR),
     expected="Mis à jour en 5.2, plus de coupure depuis ce matin.")

case("apple_mac_en_html_only", "apple_mac", frm=BOB, subject=SUBJ_VPN, ticket=43,
     html=apple_html("Still happening with 5.2, at 10:02 and 11:03.", ATTR_APPLE_EN, SUPPORT_VPN),
     expected="Still happening with 5.2, at 10:02 and 11:03.")

case("apple_mac_fr_html_only_old_layout", "apple_mac", frm=BOB, subject=SUBJ_VPN_FR, ticket=43, lang="fr",
     html='<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body style="word-wrap: break-word; '
          '-webkit-nbsp-mode: space; line-break: after-white-space;" class="">Toujours des coupures, même en 5.2.<div class=""><br class="">'
          f'<div><div class="">{html_escape(ATTR_APPLE_FR)}</div><br class="Apple-interchange-newline"><blockquote type="cite" class="">'
          '<div class=""><div class="">Bonjour Bob,</div><div class=""><br class=""></div><div class="">Merci de mettre à jour le client VPN.</div>'
          '</div></blockquote></div><br class=""></div></body></html>\n',
     expected="Toujours des coupures, même en 5.2.")

case("apple_iphone_en", "apple_ios", frm=BOB, subject=SUBJ_VPN, ticket=43,
     plain=f"Will try tonight.\n\nSent from my iPhone\n\n> {ATTR_APPLE_EN}\n> \n> \ufeff" + quote(SUPPORT_VPN)[2:] + "\n",
     html=apple_html('Will try tonight.<div><br></div><div dir="ltr">Sent from my iPhone</div>', ATTR_APPLE_EN, SUPPORT_VPN),
     expected="Will try tonight.")

case("apple_iphone_fr", "apple_ios", frm=BOB, subject=SUBJ_VPN_FR, ticket=43, lang="fr",
     plain=f"Je teste ce soir.\n\nEnvoyé de mon iPhone\n\n> {ATTR_APPLE_FR}\n> \n> \ufeff" + quote(SUPPORT_VPN_FR)[2:] + "\n",
     html=apple_html('Je teste ce soir.<div><br></div><div dir="ltr">Envoyé de mon iPhone</div>', ATTR_APPLE_FR, SUPPORT_VPN_FR),
     expected="Je teste ce soir.")

case("apple_ipad_en", "apple_ios", frm=BOB, subject=SUBJ_VPN, ticket=43,
     plain=f"Version 5.2.1 is installed.\n\nSent from my iPad\n\n> {ATTR_APPLE_EN}\n{quote(SUPPORT_VPN)}\n",
     expected="Version 5.2.1 is installed.")

case("apple_iphone_en_forward_only", "apple_ios", frm=BOB, subject="Fwd: VPN certificate expires", ticket=43,
     plain="""

Sent from my iPhone

Begin forwarded message:

> From: IT Security <security@acme.example>
> Date: 3 June 2024 at 08:12:45 CEST
> To: Bob Durand <bob.durand@icloud.com>
> Subject: VPN certificate expires
>
> \ufeffYour VPN certificate expires on 10 June. Ask support to renew it.
""",
     expected="""Begin forwarded message:

From: IT Security <security@acme.example>
Date: 3 June 2024 at 08:12:45 CEST
To: Bob Durand <bob.durand@icloud.com>
Subject: VPN certificate expires

Your VPN certificate expires on 10 June. Ask support to renew it.""")

case("apple_iphone_fr_forward_only", "apple_ios", frm=BOB, subject="Tr: Certificat VPN expiré", ticket=43, lang="fr",
     plain="""

Envoyé de mon iPhone

Début du message réexpédié :

> De: Sécurité IT <security@acme.example>
> Date: 3 juin 2024 à 08:12:45 UTC+2
> À: Bob Durand <bob.durand@icloud.com>
> Objet: Certificat VPN expiré
>
> Votre certificat VPN expire le 10 juin. Demandez son renouvellement au support.
""",
     html="""<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body dir="auto"><div dir="ltr"><br></div><div dir="ltr">Envoyé de mon iPhone</div><div dir="ltr"><br>Début du message réexpédié&nbsp;:<br><br></div><blockquote type="cite"><div dir="ltr"><b>De:</b> Sécurité IT &lt;security@acme.example&gt;<br><b>Date:</b> 3 juin 2024 à 08:12:45 UTC+2<br><b>À:</b> Bob Durand &lt;bob.durand@icloud.com&gt;<br><b>Objet:</b> <b>Certificat VPN expiré</b><br><br></div></blockquote><blockquote type="cite"><div dir="ltr">Votre certificat VPN expire le 10 juin. Demandez son renouvellement au support.</div></blockquote></body></html>
""",
     expected="""Début du message réexpédié :

De: Sécurité IT <security@acme.example>
Date: 3 juin 2024 à 08:12:45 UTC+2
À: Bob Durand <bob.durand@icloud.com>
Objet: Certificat VPN expiré

Votre certificat VPN expire le 10 juin. Demandez son renouvellement au support.""")

case("apple_mac_en_forward_html_only", "apple_mac", frm=BOB, subject="Fwd: VPN certificate expires", ticket=43,
     html="""<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word;">Can you renew it?<br id="lineBreakAtBeginningOfMessage"><div><br><div>Begin forwarded message:</div><br class="Apple-interchange-newline"><blockquote type="cite"><div style="margin-top: 0px;"><span style="font-family: -webkit-system-font;"><b>From: </b></span><span>IT Security &lt;security@acme.example&gt;<br></span></div><div style="margin-top: 0px;"><span><b>Subject: </b></span><span><b>VPN certificate expires</b><br></span></div><br><div><div>Your VPN certificate expires on 10 June.</div></div></blockquote></div><br></body></html>
""",
     expected="""Can you renew it?

Begin forwarded message:

From: IT Security <security@acme.example>
Subject: VPN certificate expires

Your VPN certificate expires on 10 June.""")

case("apple_iphone_en_with_attachment", "apple_ios", frm=BOB, subject=SUBJ_VPN, ticket=43,
     plain=f"Log attached.\n\nSent from my iPhone\n\n> {ATTR_APPLE_EN}\n{quote(SUPPORT_VPN)}\n",
     attachments=[("vpn-client.log", "text/plain", b"10:02:01 tunnel down\n10:02:03 reconnecting\n")],
     expected="Log attached.")

# --- Thunderbird ---------------------------------------------------------------------------------

CLAIRE = "Claire Petit <claire.petit@example.net>"
SUBJ_EXPORT = "Re: [SUP-44] CSV export is empty"
SUBJ_EXPORT_FR = "Re: [SUP-44] L'export CSV est vide"
ATTR_TB_EN = "On 03/06/2024 09:30, Example Support wrote:"
ATTR_TB_FR = "Le 03/06/2024 à 09:30, Example Support a écrit :"
SUPPORT_EXPORT = "Hello Claire,\n\nWe deployed a fix for the export. Could you try again?\n\nExample Support"
SUPPORT_EXPORT_FR = "Bonjour Claire,\n\nNous avons déployé un correctif pour l'export. Pouvez-vous réessayer ?\n\nLe support Example"

case("thunderbird_en", "thunderbird", frm=CLAIRE, subject=SUBJ_EXPORT, ticket=44,
     plain=f"Hello,\n\nthe export works now, 1204 lines as expected. Thanks for the quick fix, it \nsaved our monthly report.\n\n{ATTR_TB_EN}\n{quote(SUPPORT_EXPORT)}\n",
     expected="Hello,\n\nthe export works now, 1204 lines as expected. Thanks for the quick fix, it saved our monthly report.")

case("thunderbird_fr", "thunderbird", frm=CLAIRE, subject=SUBJ_EXPORT_FR, ticket=44, lang="fr",
     plain=f"Bonjour,\n\nl'export fonctionne, 1204 lignes comme prévu.\n\n{ATTR_TB_FR}\n{quote(SUPPORT_EXPORT_FR)}\n",
     expected="Bonjour,\n\nl'export fonctionne, 1204 lignes comme prévu.")

case("thunderbird_en_signature", "thunderbird", frm=CLAIRE, subject=SUBJ_EXPORT, ticket=44,
     plain=f"The file is still empty.\n\n-- \nClaire Petit\nFinance, Example Net\n\n{ATTR_TB_EN}\n{quote(SUPPORT_EXPORT)}\n",
     expected="The file is still empty.")

case("thunderbird_en_inline", "thunderbird", frm=CLAIRE, subject=SUBJ_EXPORT, ticket=44,
     plain=f"""Hello,

{ATTR_TB_EN}
> Hello Claire,
>
> We deployed a fix for the export.

Which version? I still see 3.4.1 in the footer.

> Could you try again?

Yes: the file is created but has only the header line.

> Example Support

-- 
Claire Petit
""",
     expected="Hello,\n\n> We deployed a fix for the export.\n\nWhich version? I still see 3.4.1 in the footer.\n\n> Could you try again?\n\nYes: the file is created but has only the header line.")

case("thunderbird_fr_inline", "thunderbird", frm=CLAIRE, subject=SUBJ_EXPORT_FR, ticket=44, lang="fr",
     plain=f"""{ATTR_TB_FR}
> Bonjour Claire,
>
> Nous avons déployé un correctif pour l'export.

Dans quelle version ?

> Pouvez-vous réessayer ?

Oui, le fichier ne contient que l'en-tête.
""",
     expected="> Nous avons déployé un correctif pour l'export.\n\nDans quelle version ?\n\n> Pouvez-vous réessayer ?\n\nOui, le fichier ne contient que l'en-tête.")

case("thunderbird_en_html_only", "thunderbird", frm=CLAIRE, subject=SUBJ_EXPORT, ticket=44,
     html=thunderbird_html("<p>Hello,</p>\n    <p>the export works now.<br>\n      Thanks!</p>", ATTR_TB_EN, SUPPORT_EXPORT, "Claire Petit\nFinance"),
     expected="Hello,\n\nthe export works now.\nThanks!")

case("thunderbird_fr_html_only", "thunderbird", frm=CLAIRE, subject=SUBJ_EXPORT_FR, ticket=44, lang="fr",
     html=thunderbird_html("<p>Bonjour,</p>\n    <p>toujours vide chez moi, voir la capture.</p>", ATTR_TB_FR.replace(" :", "&nbsp;:"), SUPPORT_EXPORT_FR),
     expected="Bonjour,\n\ntoujours vide chez moi, voir la capture.")

case("thunderbird_en_forward_inline", "thunderbird", frm=CLAIRE, subject="Fwd: Order 5521 missing from export", ticket=44,
     plain="""FYI, another case from our team.


-------- Forwarded Message --------
Subject: \tOrder 5521 missing from export
Date: \tMon, 3 Jun 2024 08:00:00 +0200
From: \tDan Roux <dan.roux@example.net>
To: \tClaire Petit <claire.petit@example.net>



Hi Claire, order 5521 is not in yesterday's export.

Dan
""",
     expected="""FYI, another case from our team.

-------- Forwarded Message --------
Subject: \tOrder 5521 missing from export
Date: \tMon, 3 Jun 2024 08:00:00 +0200
From: \tDan Roux <dan.roux@example.net>
To: \tClaire Petit <claire.petit@example.net>

Hi Claire, order 5521 is not in yesterday's export.

Dan""")

case("thunderbird_fr_forward_only", "thunderbird", frm=CLAIRE, subject="Fwd: Commande 5521 absente de l'export", ticket=44, lang="fr",
     plain="""


-------- Message transféré --------
Sujet : \tCommande 5521 absente de l'export
Date : \tMon, 3 Jun 2024 08:00:00 +0200
De : \tDan Roux <dan.roux@example.net>
Pour : \tClaire Petit <claire.petit@example.net>



Bonjour Claire, la commande 5521 n'est pas dans l'export d'hier.
""",
     expected="""-------- Message transféré --------
Sujet : \tCommande 5521 absente de l'export
Date : \tMon, 3 Jun 2024 08:00:00 +0200
De : \tDan Roux <dan.roux@example.net>
Pour : \tClaire Petit <claire.petit@example.net>

Bonjour Claire, la commande 5521 n'est pas dans l'export d'hier.""")

case("thunderbird_en_attribution_wrapped", "thunderbird", frm=CLAIRE, subject=SUBJ_EXPORT, ticket=44,
     plain="Works, thanks.\n\nOn 03/06/2024 09:30, Example Support Team (Ticket Gateway, Europe) \nwrote:\n" + quote(SUPPORT_EXPORT) + "\n",
     expected="Works, thanks.")

# --- Outlook desktop -----------------------------------------------------------------------------

ERIC = "Eric Lambert <eric.lambert@acme.example>"
ERIC_FR = "Éric Lambert <eric.lambert@acme.example>"
SUBJ_REPORT = "RE: [SUP-45] Report generation fails"
SUBJ_REPORT_FR = "RE: [SUP-45] La génération du rapport échoue"
SUPPORT_REPORT = "Hello Eric,\n\nCould you send us the report parameters you used?\n\nExample Support"
SUPPORT_REPORT_FR = "Bonjour Éric,\n\nPouvez-vous nous envoyer les paramètres du rapport ?\n\nLe support Example"

case("outlook_en", "outlook", frm=ERIC, subject=SUBJ_REPORT, ticket=45, lang="en",
     plain="Hi,\n\nThe parameters are: period = May, entity = ACME-FR, format = PDF.\n\nBest regards,\nEric Lambert\nACME Corp | Controlling\n\n"
           + outlook_plain_header("en", to=ERIC, subject="[SUP-45] Report generation fails") + "\n\n" + SUPPORT_REPORT + "\n",
     html=outlook_html(["Hi,", "", "The parameters are: period = May, entity = ACME-FR, format = PDF.", "", "Best regards,", "Eric Lambert", "ACME Corp | Controlling"],
                       [("From:", SUPPORT), ("Sent:", "Monday, June 3, 2024 9:15 AM"), ("To:", ERIC), ("Subject:", "[SUP-45] Report generation fails")], SUPPORT_REPORT),
     expected="Hi,\n\nThe parameters are: period = May, entity = ACME-FR, format = PDF.")

case("outlook_fr", "outlook", frm=ERIC_FR, subject=SUBJ_REPORT_FR, ticket=45, lang="fr", plain_charset="iso-8859-1", html_charset="iso-8859-1",
     plain="Bonjour,\n\nLes paramètres : période = mai, entité = ACME-FR, format = PDF.\n\nCordialement,\nÉric Lambert\n\n"
           + outlook_plain_header("fr", to=ERIC_FR, subject="[SUP-45] La génération du rapport échoue") + "\n\n" + SUPPORT_REPORT_FR + "\n",
     html=outlook_html(["Bonjour,", "", "Les paramètres : période = mai, entité = ACME-FR, format = PDF.", "", "Cordialement,", "Éric Lambert"],
                       [("De :", SUPPORT), ("Envoyé :", "lundi 3 juin 2024 09:15"), ("À :", ERIC_FR), ("Objet :", "[SUP-45] La génération du rapport échoue")],
                       SUPPORT_REPORT_FR).replace("charset=utf-8", "charset=iso-8859-1"),
     expected="Bonjour,\n\nLes paramètres : période = mai, entité = ACME-FR, format = PDF.")

case("outlook_fr_nbsp_header", "outlook", frm=ERIC_FR, subject=SUBJ_REPORT_FR, ticket=45, lang="fr",
     plain="C'est corrigé, merci.\n\n" + outlook_plain_header("fr", to=ERIC_FR, subject="[SUP-45] La génération du rapport échoue", nbsp=True)
           + "\n\n" + SUPPORT_REPORT_FR + "\n",
     expected="C'est corrigé, merci.")

case("outlook_en_original_message", "outlook", frm=ERIC, subject=SUBJ_REPORT, ticket=45, lang="en",
     plain="Parameters attached as a screenshot.\n\nEric\n\n-----Original Message-----\nFrom: Example Support [mailto:support@example.com] \n"
           "Sent: Monday, June 03, 2024 9:15 AM\nTo: Eric Lambert\nSubject: [SUP-45] Report generation fails\n\n" + SUPPORT_REPORT + "\n",
     attachments=[("parameters.png", "image/png", bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 16)],
     expected="Parameters attached as a screenshot.")

case("outlook_fr_message_origine", "outlook", frm=ERIC_FR, subject=SUBJ_REPORT_FR, ticket=45, lang="fr", plain_charset="windows-1252",
     plain="Voici les paramètres demandés : mai, ACME-FR, PDF.\n\nÉric\n\n-----Message d'origine-----\nDe : Example Support [mailto:support@example.com] \n"
           "Envoyé : lundi 3 juin 2024 09:15\nÀ : Éric Lambert\nObjet : [SUP-45] La génération du rapport échoue\n\n" + SUPPORT_REPORT_FR + "\n",
     expected="Voici les paramètres demandés : mai, ACME-FR, PDF.")

case("outlook_en_html_only", "outlook", frm=ERIC, subject=SUBJ_REPORT, ticket=45, lang="en",
     html=outlook_html(["Hi,", "", "It fails with every format, also CSV.", "", "Eric"],
                       [("From:", SUPPORT), ("Sent:", "Monday, June 3, 2024 9:15 AM"), ("To:", ERIC), ("Subject:", "[SUP-45] Report generation fails")], SUPPORT_REPORT),
     expected="Hi,\n\nIt fails with every format, also CSV.")

case("outlook_fr_html_only", "outlook", frm=ERIC_FR, subject=SUBJ_REPORT_FR, ticket=45, lang="fr",
     html=outlook_html(["Bonjour,", "", "Même erreur avec le format CSV.", "", "Éric"],
                       [("De\u00a0:", SUPPORT), ("Envoyé\u00a0:", "lundi 3 juin 2024 09:15"), ("À\u00a0:", ERIC_FR), ("Objet\u00a0:", "[SUP-45] La génération du rapport échoue")],
                       SUPPORT_REPORT_FR),
     expected="Bonjour,\n\nMême erreur avec le format CSV.")

case("outlook_en_old_html_only", "outlook", frm=ERIC, subject=SUBJ_REPORT, ticket=45, lang="en",
     html=outlook_html(["Works with the new version, you can close it."],
                       [("From:", SUPPORT), ("Sent:", "Monday, June 03, 2024 9:15 AM"), ("To:", ERIC), ("Subject:", "[SUP-45] Report generation fails")],
                       SUPPORT_REPORT, color="#B5C4DF"),
     expected="Works with the new version, you can close it.")

case("outlook_en_forward_only", "outlook", frm=ERIC, subject="FW: Report generation fails for ACME-DE", ticket=45, lang="en",
     plain="\n\n" + outlook_plain_header("en", frm="Lena Vogel <lena.vogel@acme.example>", to=ERIC, subject="Report generation fails for ACME-DE",
                                         sent="Monday, June 3, 2024 8:02 AM")
           + "\n\nHi Eric,\n\nthe May report for ACME-DE fails too, with error R-17.\n\nLena\n",
     html=outlook_html([""], [("From:", "Lena Vogel <lena.vogel@acme.example>"), ("Sent:", "Monday, June 3, 2024 8:02 AM"), ("To:", ERIC),
                              ("Subject:", "Report generation fails for ACME-DE")],
                       "Hi Eric,\n\nthe May report for ACME-DE fails too, with error R-17.\n\nLena"),
     expected="""From: Lena Vogel <lena.vogel@acme.example>
Sent: Monday, June 3, 2024 8:02 AM
To: Eric Lambert <eric.lambert@acme.example>
Subject: Report generation fails for ACME-DE

Hi Eric,

the May report for ACME-DE fails too, with error R-17.

Lena""")

case("outlook_fr_forward_with_note", "outlook", frm=ERIC_FR, subject="TR: Échec du rapport ACME-BE", ticket=45, lang="fr",
     plain="Même problème pour la Belgique.\n\n" + outlook_plain_header("fr", frm="Luc Peeters <luc.peeters@acme.example>", to=ERIC_FR,
                                                                       subject="Échec du rapport ACME-BE", sent="lundi 3 juin 2024 08:02")
           + "\n\nBonjour Éric,\n\nle rapport de mai pour ACME-BE échoue aussi (erreur R-17).\n\nLuc\n",
     expected="""Même problème pour la Belgique.

De : Luc Peeters <luc.peeters@acme.example>
Envoyé : lundi 3 juin 2024 08:02
À : Éric Lambert <eric.lambert@acme.example>
Objet : Échec du rapport ACME-BE

Bonjour Éric,

le rapport de mai pour ACME-BE échoue aussi (erreur R-17).

Luc""")

case("outlook_mac_en", "outlook_mac", frm=ERIC, subject=SUBJ_REPORT, ticket=45,
     plain="Done, the report is generated now.\n\nEric\n\nFrom: Example Support <support@example.com>\nDate: Monday, 3 June 2024 at 09:15\n"
           "To: Eric Lambert <eric.lambert@acme.example>\nSubject: [SUP-45] Report generation fails\n\n" + SUPPORT_REPORT + "\n",
     expected="Done, the report is generated now.")

case("outlook_en_underscore_signature", "outlook", frm=ERIC, subject=SUBJ_REPORT, ticket=45, lang="en",
     plain="Thanks, confirmed on my side.\n\nEric Lambert\n____________________\nACME Corp - Controlling\n\n"
           + outlook_plain_header("en", to=ERIC, subject="[SUP-45] Report generation fails", sep=True) + "\n\n" + SUPPORT_REPORT + "\n",
     expected="Thanks, confirmed on my side.")

# --- Outlook on the web and Outlook mobile --------------------------------------------------------

HUGO = "Hugo Bernard <hugo.bernard@outlook.com>"
SUBJ_PWD = "RE: [SUP-46] Cannot reset my password"
SUBJ_PWD_FR = "RE: [SUP-46] Impossible de réinitialiser mon mot de passe"
SUPPORT_PWD = "Hello Hugo,\n\nWe sent you a new reset link. It is valid for one hour.\n\nExample Support"
SUPPORT_PWD_FR = "Bonjour Hugo,\n\nNous vous avons envoyé un nouveau lien, valable une heure.\n\nLe support Example"

case("owa_en", "owa", frm=HUGO, subject=SUBJ_PWD, ticket=46, lang="en",
     plain="The new link worked, I could log in.\n________________________________\n"
           + outlook_plain_header("en", to=HUGO, subject="[SUP-46] Cannot reset my password", sent="Monday, June 3, 2024 09:15") + "\n\n" + SUPPORT_PWD + "\n",
     html=owa_html("The new link worked, I could log in.", [("From:", SUPPORT), ("Sent:", "Monday, June 3, 2024 09:15"), ("To:", HUGO),
                                                            ("Subject:", "[SUP-46] Cannot reset my password")], SUPPORT_PWD),
     expected="The new link worked, I could log in.")

case("owa_fr", "owa", frm=HUGO, subject=SUBJ_PWD_FR, ticket=46, lang="fr",
     plain="Le lien a expiré avant que je le reçoive.\n\nHugo\n________________________________\n"
           + outlook_plain_header("fr", to=HUGO, subject="[SUP-46] Impossible de réinitialiser mon mot de passe") + "\n\n" + SUPPORT_PWD_FR + "\n",
     html=owa_html("Le lien a expiré avant que je le reçoive.</div><div class=\"elementToProof\"><br></div><div class=\"elementToProof\">Hugo",
                   [("De :", SUPPORT), ("Envoyé :", "lundi 3 juin 2024 09:15"), ("À :", HUGO),
                    ("Objet :", "[SUP-46] Impossible de réinitialiser mon mot de passe")], SUPPORT_PWD_FR),
     expected="Le lien a expiré avant que je le reçoive.")

case("owa_en_html_only", "owa", frm=HUGO, subject=SUBJ_PWD, ticket=46, lang="en",
     html=owa_html("Still getting &quot;token invalid&quot; &mdash; see the screenshot.", [("From:", SUPPORT), ("Sent:", "Monday, June 3, 2024 09:15"),
                                                                                       ("To:", HUGO), ("Subject:", "[SUP-46] Cannot reset my password")], SUPPORT_PWD),
     expected="Still getting \"token invalid\" — see the screenshot.")

case("owa_fr_html_only", "owa", frm=HUGO, subject=SUBJ_PWD_FR, ticket=46, lang="fr",
     html=owa_html("C&#8217;est bon, merci&nbsp;!", [("De :", SUPPORT), ("Envoyé :", "lundi 3 juin 2024 09:15"), ("À :", HUGO),
                                                   ("Objet :", "[SUP-46] Impossible de réinitialiser mon mot de passe")], SUPPORT_PWD_FR),
     expected="C’est bon, merci !")

case("outlook_ios_en", "outlook_mobile", frm=HUGO, subject=SUBJ_PWD, ticket=46, lang="en",
     plain="Ok, will try in 10 minutes\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n"
           + outlook_plain_header("en", to=HUGO, subject="[SUP-46] Cannot reset my password", sent="Monday, June 3, 2024 9:15:02 AM", sep=True)
           + "\n\n" + SUPPORT_PWD + "\n",
     html='<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body><div dir="auto">Ok, will try in 10 minutes</div>'
          '<div dir="auto"><br></div><div id="ms-outlook-mobile-signature" dir="auto">Get <a href="https://aka.ms/o0ukef">Outlook for iOS</a></div>'
          '<div id="mail-editor-reference-message-container"><hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr">'
          '<b>From:</b> Example Support &lt;support@example.com&gt;<br><b>Sent:</b> Monday, June 3, 2024 9:15:02 AM</div><div>Hello Hugo,</div></div></body></html>\n',
     expected="Ok, will try in 10 minutes")

case("outlook_android_fr", "outlook_mobile", frm=HUGO, subject=SUBJ_PWD_FR, ticket=46, lang="fr",
     plain="Ça marche, merci\n\nTélécharger Outlook pour Android<https://aka.ms/AAb9ysg>\n"
           + outlook_plain_header("fr", to=HUGO, subject="[SUP-46] Impossible de réinitialiser mon mot de passe", sent="lundi 3 juin 2024 09:15:02", sep=True)
           + "\n\n" + SUPPORT_PWD_FR + "\n",
     expected="Ça marche, merci")

case("outlook_ios_fr_obtenir", "outlook_mobile", frm=HUGO, subject=SUBJ_PWD_FR, ticket=46, lang="fr",
     plain="Je n'ai rien reçu.\n\nObtenir Outlook pour iOS<https://aka.ms/o0ukef>\n"
           + outlook_plain_header("fr", to=HUGO, subject="[SUP-46] Impossible de réinitialiser mon mot de passe", sent="lundi 3 juin 2024 09:15:02", sep=True)
           + "\n\n" + SUPPORT_PWD_FR + "\n",
     expected="Je n'ai rien reçu.")

case("windows_mail_fr", "windows_mail", frm="Hugo Bernard <hugo.bernard@outlook.fr>", subject=SUBJ_PWD_FR, ticket=46, lang="fr",
     plain="Le lien fonctionne.\n\nEnvoyé à partir de Courrier pour Windows\n\nDe : Example Support\nEnvoyé le :lundi 3 juin 2024 09:15\n"
           "À : Hugo Bernard\nObjet : [SUP-46] Impossible de réinitialiser mon mot de passe\n\n" + SUPPORT_PWD_FR + "\n",
     expected="Le lien fonctionne.")

# --- Android, Yahoo, Proton, mutt ----------------------------------------------------------------

FATIMA = "Fatima Zahra <fatima.zahra@example.org>"
SUBJ_INSTALL = "Re: [SUP-47] Installation appointment"
SUBJ_INSTALL_FR = "RE: [SUP-47] Rendez-vous d'installation"
SUPPORT_INSTALL = "Hello Fatima,\n\nCan the technician come on Wednesday at 9:00?\n\nExample Support"
SUPPORT_INSTALL_FR = "Bonjour Fatima,\n\nLe technicien peut-il passer mercredi à 9 h ?\n\nLe support Example"

case("samsung_en", "samsung", frm=FATIMA, subject=SUBJ_INSTALL, ticket=47,
     plain="Yes, Wednesday 9:00 works.\n\n\n\nSent from my Galaxy\n\n\n-------- Original message --------\nFrom: Example Support <support@example.com> \n"
           "Date: 03/06/2024 09:15 (GMT+01:00) \nTo: Fatima Zahra <fatima.zahra@example.org> \nSubject: [SUP-47] Installation appointment \n\n" + SUPPORT_INSTALL + "\n",
     html='<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body><div dir="auto">Yes, Wednesday 9:00 works.</div>'
          '<div dir="auto"><br></div><div dir="auto"><br></div><div id="composer_signature" dir="auto"><div style="font-size:85%;color:#575757" dir="auto">Sent from my Galaxy</div></div>'
          '<div dir="auto"><br></div><div><br></div><div align="left" dir="auto" style="font-size:100%;color:#000000"><div>-------- Original message --------</div>'
          '<div>From: Example Support &lt;support@example.com&gt; </div><div>Date: 03/06/2024 09:15 (GMT+01:00) </div><div>To: Fatima Zahra &lt;fatima.zahra@example.org&gt; </div>'
          '<div>Subject: [SUP-47] Installation appointment </div><div><br></div></div>Hello Fatima,<br><br>Can the technician come on Wednesday at 9:00?</body></html>\n',
     expected="Yes, Wednesday 9:00 works.")

case("samsung_fr", "samsung", frm=FATIMA, subject=SUBJ_INSTALL_FR, ticket=47, lang="fr",
     plain="Mercredi 9 h, c'est parfait.\n\n\n\nEnvoyé depuis mon smartphone Samsung Galaxy.\n\n\n-------- Message d'origine --------\nDe : Example Support <support@example.com> \n"
           "Date : 03/06/2024 09:15 (GMT+01:00) \nÀ : Fatima Zahra <fatima.zahra@example.org> \nObjet : [SUP-47] Rendez-vous d'installation \n\n" + SUPPORT_INSTALL_FR + "\n",
     expected="Mercredi 9 h, c'est parfait.")

case("samsung_fr_html_only", "samsung", frm=FATIMA, subject=SUBJ_INSTALL_FR, ticket=47, lang="fr",
     html='<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body><div dir="auto">Plutôt jeudi si possible.</div>'
          '<div dir="auto"><br></div><div id="composer_signature" dir="auto"><div style="font-size:85%;color:#575757" dir="auto">Envoyé depuis mon appareil Galaxy</div></div>'
          '<div dir="auto"><br></div><div align="left" dir="auto" style="font-size:100%;color:#000000"><div>-------- Message d\'origine --------</div>'
          '<div>De : Example Support &lt;support@example.com&gt; </div><div>Date : 03/06/2024 09:15 (GMT+01:00) </div><div>À : Fatima Zahra &lt;fatima.zahra@example.org&gt; </div>'
          '<div>Objet : [SUP-47] Rendez-vous d\'installation </div><div><br></div></div>Bonjour Fatima,<br><br>Le technicien peut-il passer mercredi ?</body></html>\n',
     expected="Plutôt jeudi si possible.")

case("android_en_sent_from_android", "gmail_android", frm=FATIMA, subject=SUBJ_INSTALL, ticket=47,
     plain="Could it be Thursday instead?\n\nSent from my Android\n\n" + "On Mon, 3 Jun 2024, 09:15 Example Support, <support@example.com> wrote:\n\n" + quote(SUPPORT_INSTALL) + "\n",
     expected="Could it be Thursday instead?")

GIULIA = "Giulia Rossi <giulia.rossi@yahoo.fr>"
case("yahoo_en", "yahoo", frm=GIULIA, subject=SUBJ_INSTALL, ticket=47,
     plain=" Thursday 9:00 is fine for me.\n\n    On Monday, June 3, 2024 at 09:15:02 AM GMT+2, Example Support <support@example.com> wrote:  \n \n "
           + SUPPORT_INSTALL.replace("\n", "\n ") + "\n",
     html='<html><head></head><body><div class="ydpd1a2b3c4yahoo-style-wrap" style="font-family:Helvetica Neue, Helvetica, Arial, sans-serif;font-size:13px;">'
          '<div dir="ltr" data-setdir="false">Thursday 9:00 is fine for me.</div></div><div id="yahoo_quoted_8765432109" class="yahoo_quoted">'
          '<div style="font-family:\'Helvetica Neue\', Helvetica, Arial, sans-serif;font-size:13px;color:#26282a;"><div>On Monday, June 3, 2024 at 09:15:02 AM GMT+2, '
          'Example Support &lt;support@example.com&gt; wrote:</div><div><br></div><div><br></div><div><div dir="ltr">Hello Fatima,<br><br>Can the technician come on '
          'Wednesday at 9:00?</div></div></div></div></body></html>\n',
     expected="Thursday 9:00 is fine for me.")

case("yahoo_fr_html_only", "yahoo", frm=GIULIA, subject=SUBJ_INSTALL_FR, ticket=47, lang="fr",
     html='<html><head></head><body><div class="ydpd1a2b3c4yahoo-style-wrap"><div dir="ltr">Jeudi 9 h me convient.</div><div dir="ltr"><br></div>'
          '<div dir="ltr">Giulia</div></div><div id="ydp5e6f7yahoo_quoted_1234567890" class="ydp5e6f7yahoo_quoted"><div><div>Le lundi 3 juin 2024 à 09:15:02 UTC+2, '
          'Example Support &lt;support@example.com&gt; a écrit :</div><div><br></div><div><div dir="ltr">Bonjour Fatima,<br>Le technicien peut-il passer mercredi ?'
          '</div></div></div></div></body></html>\n',
     expected="Jeudi 9 h me convient.")

case("yahoo_fr_plain", "yahoo", frm=GIULIA, subject=SUBJ_INSTALL_FR, ticket=47, lang="fr",
     plain=" Vendredi serait mieux.\n\n    Le lundi 3 juin 2024 à 09:15:02 UTC+2, Example Support <support@example.com> a écrit :  \n \n "
           + SUPPORT_INSTALL_FR.replace("\n", "\n ") + "\n",
     expected="Vendredi serait mieux.")

case("proton_en", "proton", frm="Noah Weber <noah.weber@proton.me>", subject=SUBJ_INSTALL, ticket=47,
     plain="Perfect, see you on Wednesday.\n\nSent with Proton Mail secure email.\n\nOn Monday, June 3rd, 2024 at 09:15, Example Support <support@example.com> wrote:\n\n"
           + quote(SUPPORT_INSTALL) + "\n",
     html='<div style="font-family: Arial, sans-serif; font-size: 14px;">Perfect, see you on Wednesday.</div><div style="font-family: Arial, sans-serif; font-size: 14px;"><br></div>'
          '<div class="protonmail_signature_block" style="font-family: Arial, sans-serif; font-size: 14px;"><div class="protonmail_signature_block-proton">Sent with '
          '<a target="_blank" href="https://proton.me/">Proton Mail</a> secure email.</div></div><div style="font-family: Arial, sans-serif; font-size: 14px;"><br></div>'
          '<div class="protonmail_quote">On Monday, June 3rd, 2024 at 09:15, Example Support &lt;support@example.com&gt; wrote:<br><blockquote class="protonmail_quote" '
          'type="cite">Hello Fatima,<br><br>Can the technician come on Wednesday at 9:00?</blockquote><br></div>\n',
     expected="Perfect, see you on Wednesday.")

case("mutt_en_inline", "mutt", frm="Gaspard Leroy <gaspard@example.net>", subject="Re: [SUP-48] Driver crash after update", ticket=48,
     plain="""On Mon, Jun 03, 2024 at 09:15:00AM +0200, Example Support wrote:
> Which kernel version are you running?

6.8.0-31-generic

> And which driver version?

550.78, from the vendor repository.

> Kind regards,
> Example Support

-- 
Gaspard Leroy
""",
     expected="> Which kernel version are you running?\n\n6.8.0-31-generic\n\n> And which driver version?\n\n550.78, from the vendor repository.")

# --- Plain, no quote ------------------------------------------------------------------------------

case("plain_en_no_quote", "mutt", frm="Gaspard Leroy <gaspard@example.net>", subject="Re: [SUP-48] Driver crash after update", ticket=48,
     plain="Forgot to say: it only crashes on the second monitor.\n\nGaspard\n",
     expected="Forgot to say: it only crashes on the second monitor.")

case("plain_fr_latin1_no_quote", "outlook", frm=ERIC_FR, subject=SUBJ_REPORT_FR, ticket=45, lang="fr", plain_charset="iso-8859-1",
     plain="Précision : l'échec arrive à 95 % du traitement, après « Agrégation ».\n\nÉric\n",
     expected="Précision : l'échec arrive à 95 % du traitement, après « Agrégation ».")

case("plain_fr_dashdash_signature", "thunderbird", frm=CLAIRE, subject=SUBJ_EXPORT_FR, ticket=44, lang="fr",
     plain="Le fichier est toujours vide.\n\n--\nClaire Petit\nService financier\n",
     expected="Le fichier est toujours vide.")

case("plain_fr_keyword_close", "thunderbird", frm=CLAIRE, subject=SUBJ_EXPORT_FR, ticket=44, lang="fr",
     plain=f"#clore\n\nMerci, tout est bon.\n\n{ATTR_TB_FR}\n{quote(SUPPORT_EXPORT_FR)}\n",
     expected="#clore\n\nMerci, tout est bon.")

case("plain_en_sent_from_mail_windows", "windows_mail", frm="Hugo Bernard <hugo.bernard@outlook.com>", subject=SUBJ_PWD, ticket=46,
     plain="Got it, thanks.\n\nSent from Mail for Windows\n\nFrom: Example Support\nSent: Monday, June 3, 2024 09:15\nTo: Hugo Bernard\n"
           "Subject: [SUP-46] Cannot reset my password\n\n" + SUPPORT_PWD + "\n",
     expected="Got it, thanks.")


# --- More clients and harder shapes ----------------------------------------------------------------

case("gmail_de_attribution", "gmail", frm="Jonas Weber <jonas.weber@gmail.com>", subject="Re: [SUP-42] Drucker im 2. Stock druckt nicht",
     plain="Der Fehler ist E-204.\n\nAm Mo., 3. Juni 2024 um 09:02 Uhr schrieb Example Support <\nsupport@example.com>:\n\n" + quote(SUPPORT_EN) + "\n",
     expected="Der Fehler ist E-204.")

case("gmail_en_bottom_posted", "gmail", frm=ALICE, subject=SUBJ_EN,
     plain=f"{ATTR_GMAIL_EN}\n\n{quote(SUPPORT_EN)}\n\nDone, the display now shows E-310 instead.\n\nAlice\n",
     expected="Done, the display now shows E-310 instead.")

case("lotus_notes_en", "notes", frm="Paul Green <paul.green@acme.example>", subject="Re: [SUP-42] Printer on floor 2 does not print",
     plain="Confirmed, the printer works again.\n\nRegards,\nPaul\n\n\n\nFrom:\tExample Support <support@example.com>\nTo:\tPaul Green <paul.green@acme.example>\n"
           "Date:\t03/06/2024 09:15\nSubject:\t[SUP-42] Printer on floor 2 does not print\n\n\n\n" + SUPPORT_EN + "\n",
     expected="Confirmed, the printer works again.")

case("notes_wrote_on_en", "notes", frm="Paul Green <paul.green@acme.example>", subject="Re: [SUP-42] Printer on floor 2 does not print",
     plain="It failed again at 11:00.\n\nPaul\n\n\n\n\"Example Support\" <support@example.com> wrote on 03/06/2024 09:15:00:\n\n" + SUPPORT_EN + "\n",
     expected="It failed again at 11:00.")

case("outlook_express_en", "outlook_express", frm="Paul Green <paul.green@acme.example>", subject="Re: [SUP-42] Printer on floor 2 does not print",
     plain="Model is HP LaserJet M404.\n\n----- Original Message ----- \nFrom: \"Example Support\" <support@example.com>\nTo: \"Paul Green\" <paul.green@acme.example>\n"
           "Sent: Monday, June 03, 2024 9:15 AM\nSubject: [SUP-42] Printer on floor 2 does not print\n\n\n" + quote(SUPPORT_EN) + "\n",
     expected="Model is HP LaserJet M404.")

case("zimbra_fr", "zimbra", frm="Hugo Bernard <hugo.bernard@univ.example>", subject=SUBJ_PWD_FR, ticket=46, lang="fr",
     plain="Toujours bloqué, le lien renvoie une erreur 500.\n\n----- Mail original -----\nDe: \"Example Support\" <support@example.com>\n"
           "À: \"Hugo Bernard\" <hugo.bernard@univ.example>\nEnvoyé: Lundi 3 Juin 2024 09:15:00\nObjet: [SUP-46] Impossible de réinitialiser mon mot de passe\n\n"
           + SUPPORT_PWD_FR + "\n",
     expected="Toujours bloqué, le lien renvoie une erreur 500.")

case("roundcube_fr", "roundcube", frm="Hugo Bernard <hugo.bernard@univ.example>", subject=SUBJ_PWD_FR, ticket=46, lang="fr",
     plain="Bonjour,\n\nc'est réglé, merci.\n\nLe 2024-06-03 09:15, Example Support a écrit :\n" + quote(SUPPORT_PWD_FR) + "\n",
     expected="Bonjour,\n\nc'est réglé, merci.")

case("apple_mac_en_inline_image", "apple_mac", frm=BOB, subject=SUBJ_VPN, ticket=43, layout="related",
     plain=f"Here is the error dialog:\n\n\n\nIt appears right after login.\n\n> {ATTR_APPLE_EN}\n> \n{quote(SUPPORT_VPN)}\n",
     html=apple_html('Here is the error dialog:<div><br></div><div><img apple-inline="yes" id="F1" src="cid:IMG@example"></div>'
                     '<div><br></div><div>It appears right after login.</div>', ATTR_APPLE_EN, SUPPORT_VPN),
     expected="Here is the error dialog:\n\nIt appears right after login.")

case("crm_en_html_table", "crm", frm="Partner Desk <desk@partner.example>", subject="RE: [SUP-49] Replacement part ordered", ticket=49, lang="en",
     html='<html><body><table width="100%" cellpadding="0" cellspacing="0"><tr><td style="padding:8px">'
          '<table><tr><td><p>Hello,</p><p>The replacement fuser unit ships today.</p></td></tr>'
          '<tr><td>Tracking:</td><td><a href="https://track.example/AB123">AB123</a></td></tr>'
          '<tr><td>ETA:</td><td>5 June 2024</td></tr></table></td></tr></table>'
          '<div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> Example Support &lt;support@example.com&gt;</div>'
          '<div>Please order the part.</div></body></html>\n',
     expected="Hello,\n\nThe replacement fuser unit ships today.\n\nTracking: AB123\nETA: 5 June 2024")

case("thunderbird_en_forward_as_attachment", "thunderbird", frm=CLAIRE, subject="Fwd: Order 5521 missing from export", ticket=44,
     plain="See the attached mail from Dan.\n\n-- \nClaire Petit\n",
     attachments=[("Order 5521 missing from export.eml", "message/rfc822",
                   b"From: Dan Roux <dan.roux@example.net>\r\nTo: Claire Petit <claire.petit@example.net>\r\nSubject: Order 5521 missing from export\r\n"
                   b"Date: Mon, 3 Jun 2024 08:00:00 +0200\r\nMessage-ID: <dan-5521@example.net>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                   b"Hi Claire, order 5521 is not in yesterday's export.\r\n")],
     expected="See the attached mail from Dan.")

case("gmail_en_inline_with_html", "gmail", frm=ALICE, subject=SUBJ_EN,
     plain=f"""Hi, see below.

{ATTR_GMAIL_EN}

> Could you restart the printer

Done.

> and send us the error code?

E-204.
""",
     html='<div dir="ltr">Hi, see below.</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
          + html_escape(ATTR_GMAIL_EN) + '<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid '
          'rgb(204,204,204);padding-left:1ex">Could you restart the printer</blockquote><div><br></div><div>Done.</div><div><br></div>'
          '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">'
          'and send us the error code?</blockquote><div><br></div><div>E-204.</div></div>\n',
     expected="Hi, see below.\n\n> Could you restart the printer\n\nDone.\n\n> and send us the error code?\n\nE-204.")

# Cases once known as failures (docs/reply-accuracy.md): what a person would keep.

case("outlook_en_disclaimer", "outlook", frm=ERIC, subject=SUBJ_REPORT, ticket=45, lang="en",
     plain="Thanks, the report runs now.\n\nEric Lambert\nACME Corp | Controlling\n\nCONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential "
           "and intended solely for the addressee. If you received it in error, please notify the sender and delete it.\n\n"
           + outlook_plain_header("en", to=ERIC, subject="[SUP-45] Report generation fails") + "\n\n" + SUPPORT_REPORT + "\n",
     expected="Thanks, the report runs now.")

case("outlook_en_inline_colour_answers", "outlook", frm=ERIC, subject=SUBJ_REPORT, ticket=45, lang="en",
     plain="See my answers below in red.\n\n" + outlook_plain_header("en", to=ERIC, subject="[SUP-45] Report generation fails")
           + "\n\nHello Eric,\n\nWhich period did you select? May 2024\nWhich entity? ACME-FR\n\nExample Support\n",
     expected="See my answers below in red.\n\nMay 2024\nACME-FR")


if __name__ == "__main__":
    # The corpus is written as a whole, with its index, by make_world.py.
    import make_world

    make_world.main()
