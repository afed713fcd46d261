#!/usr/bin/env python3
"""Writes the "wild" reply set: mails shaped like the public fixtures of mail libraries and
helpdesks (see README.md), each case written here in new words.

    python3 tests/data/replies/wild/make_wild.py

Every case is one call to `case(...)` in `cases.py` / `cases_*.py`: the body as the client
sends it (plain text, HTML, or both), the text a person keeps (`expected`), and how the mail
travels (charset, transfer encoding, line ends). This file turns each into `NAME.eml` and
`NAME.expected.txt` and lists them in `index.tsv` (name, class, client, language).
"""

import base64
import hashlib
import html as htmlmod
import os
import quopri
import sys
from email.header import Header

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

CASES = []

CLASSES = (
    "attribution",  # odd attribution lines: wrapped, no colon, dates, scripts
    "header_block",  # Outlook-style header blocks in many languages
    "signature",  # signatures of every kind
    "forward",  # forwards, with or without a note
    "inline",  # answers above, below and between quotes, nested quotes
    "new_text",  # the whole body is new
    "html",  # HTML-only mail from the usual clients
    "encoding",  # base64, quoted-printable, legacy charsets, CRLF, odd whitespace
    "trap",  # lines that only look like quotes, headers or signatures
)


def case(
    name,
    cls,
    client,
    lang,
    expected,
    plain=None,
    html=None,
    sender=("Dana Whitfield", "dana.whitfield@example.org"),
    subject="Re: [SUP-311] Sync stops after the update",
    charset="utf-8",
    cte="8bit",
    html_cte=None,
    crlf=False,
    alt=False,
    mailer=None,
    extra_headers=(),
):
    """One case. `plain` and/or `html` are the body parts; with `alt=True` an HTML part is
    made from `plain` the way simple clients do (paragraphs, blockquotes for `>` lines)."""
    assert cls in CLASSES, cls
    assert plain is not None or html is not None, name
    if alt and html is None:
        html = plain_to_html(plain)
    CASES.append(
        dict(
            name=name,
            cls=cls,
            client=client,
            lang=lang,
            expected=expected,
            plain=plain,
            html=html,
            sender=sender,
            subject=subject,
            charset=charset,
            cte=cte,
            html_cte=html_cte or cte,
            crlf=crlf,
            mailer=mailer,
            extra_headers=extra_headers,
        )
    )


def q(text, level=1):
    """`text` quoted the way most clients do: `> ` before each line, `>` alone on blank lines."""
    out = []
    for line in text.split("\n"):
        prefix = ">" * level
        out.append(prefix + (" " + line if line else ""))
    return "\n".join(out)


def plain_to_html(plain):
    """A plain body as the HTML part a simple client would send beside it."""
    out = ['<html><body><div dir="ltr">']
    depth = 0
    for line in plain.split("\n"):
        level = 0
        rest = line
        while rest.startswith(">"):
            level += 1
            rest = rest[1:]
            if rest.startswith(" "):
                rest = rest[1:]
        while depth < level:
            out.append('<blockquote type="cite" style="margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex">')
            depth += 1
        while depth > level:
            out.append("</blockquote>")
            depth -= 1
        out.append((htmlmod.escape(rest) if rest else "") + "<br>")
    while depth > 0:
        out.append("</blockquote>")
        depth -= 1
    out.append("</div></body></html>")
    return "\n".join(out)


def encode_header(value, charset="utf-8"):
    if all(ord(c) < 128 for c in value):
        return value
    return Header(value, "utf-8").encode(maxlinelen=76)


def encode_body(text, charset, cte):
    data = text.encode(charset)
    if cte == "base64":
        return base64.encodebytes(data)
    if cte == "qp":
        return quopri.encodestring(data)
    return data


def part_bytes(ctype, text, charset, cte, nl):
    head = [
        f'Content-Type: {ctype}; charset="{charset}"',
        "Content-Transfer-Encoding: "
        + {"qp": "quoted-printable", "base64": "base64"}.get(cte, cte),
    ]
    body = encode_body(text, charset, cte)
    body = body.replace(b"\r\n", b"\n").replace(b"\n", nl.encode())
    return (nl.join(head) + nl + nl).encode() + body


def build(c, index):
    nl = "\r\n" if c["crlf"] else "\n"
    name, addr = c["sender"]
    digest = hashlib.sha1(c["name"].encode()).hexdigest()
    day = 1 + index % 28
    headers = [
        "Return-Path: <%s>" % addr,
        "Delivered-To: support@example.com",
        "Received: from mx.%s (mx.%s [192.0.2.%d])" % (addr.split("@")[1], addr.split("@")[1], 10 + index % 200),
        "\tby mx.example.com (Postfix) with ESMTPS id %s" % digest[:10].upper(),
        "\tfor <support@example.com>; Tue, %d Oct 2024 10:%02d:11 +0200" % (day, index % 60),
        "From: %s <%s>" % (encode_header(name) if name else "", addr) if name else "From: %s" % addr,
        "To: Example Support <support@example.com>",
        "Subject: %s" % encode_header(c["subject"]),
        "Date: Tue, %d Oct 2024 10:%02d:07 +0200" % (day, index % 60),
        "Message-ID: <%s.wild@%s>" % (digest[:20], addr.split("@")[1]),
        "In-Reply-To: <tg.311.%s@example.com>" % digest[20:36],
        "MIME-Version: 1.0",
    ]
    if c["mailer"]:
        headers.append(c["mailer"])
    headers.extend(c["extra_headers"])
    head = nl.join(h.replace("\n", nl) for h in headers) + nl
    plain, html = c["plain"], c["html"]
    if plain is not None and html is not None:
        boundary = "----=_Part_%s" % digest[:16]
        body = (
            head
            + 'Content-Type: multipart/alternative; boundary="%s"' % boundary
            + nl
            + nl
        ).encode()
        body += ("--%s%s" % (boundary, nl)).encode()
        body += part_bytes("text/plain", plain, c["charset"], c["cte"], nl)
        body += ("%s--%s%s" % (nl, boundary, nl)).encode()
        body += part_bytes("text/html", html, c["charset"], c["html_cte"], nl)
        body += ("%s--%s--%s" % (nl, boundary, nl)).encode()
        return body
    if plain is not None:
        return head.encode() + part_bytes("text/plain", plain, c["charset"], c["cte"], nl)
    return head.encode() + part_bytes("text/html", html, c["charset"], c["html_cte"], nl)


WILD_MODULES = (
    "cases_attribution",
    "cases_header_block",
    "cases_signature",
    "cases_mixed",
    "cases_html",
    "cases_more",
)


def main(modules=WILD_MODULES, out=HERE):
    """Writes the cases of `modules` (found beside this file or in `out`) into `out`."""
    import importlib

    # The case files import this module by name; let them find this very instance.
    sys.modules.setdefault("make_wild", sys.modules[__name__])
    sys.path.insert(0, out)
    for module in modules:
        importlib.import_module(module)

    names = set()
    for old in os.listdir(out):
        if old.endswith((".eml", ".expected.txt", ".actual.txt")):
            os.remove(os.path.join(out, old))
    lines = ["# name\tclass\tclient\tlanguage"]
    for i, c in enumerate(CASES):
        assert c["name"] not in names, c["name"]
        names.add(c["name"])
        with open(os.path.join(out, c["name"] + ".eml"), "wb") as f:
            f.write(build(c, i))
        with open(os.path.join(out, c["name"] + ".expected.txt"), "w", encoding="utf-8") as f:
            f.write(c["expected"].strip("\n") + "\n")
        lines.append("\t".join([c["name"], c["cls"], c["client"], c["lang"]]))
    with open(os.path.join(out, "index.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("%d cases" % len(CASES))


if __name__ == "__main__":
    main()
