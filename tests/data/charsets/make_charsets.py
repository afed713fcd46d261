#!/usr/bin/env python3
"""Builds the charset fixtures: NAME.eml (byte-exact, in the encodings real mail uses) and
NAME.expected.json (what tests/it/charsets.rs checks: decoded subject, sender name, pieces of the
body, attachment names).

    python3 tests/data/charsets/make_charsets.py

The generated files are committed; python's codecs give the exact bytes for ISO-2022-JP, GBK,
Shift_JIS and friends.
"""

import base64
import json
import os
import quopri

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = []


def case(name, raw, *, subject, body_contains=(), attachments=(), from_name=None, reply_text=None, from_addr=None,
         cls=None):
    CASES.append((name, raw, dict(subject=subject, body_contains=list(body_contains), attachments=list(attachments),
                                  from_name=from_name, reply_text=reply_text, from_addr=from_addr, **{"class": cls})))


def crlf(b):
    return b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def headers(subject=b"Test", frm=b"Test Sender <sender@example.org>", extra=b"", mime=True):
    h = (b"Return-Path: <sender@example.org>\n"
         b"Received: from mail.example.org (mail.example.org [192.0.2.10])\n\tby mx.example.com (Postfix) with ESMTPS id 4VtABC1234\n"
         b"\tfor <support@example.com>; Mon, 3 Jun 2024 10:00:00 +0200 (CEST)\n"
         b"From: " + frm + b"\n"
         b"To: Example Support <support@example.com>\n"
         b"Subject: " + subject + b"\n"
         b"Date: Mon, 3 Jun 2024 10:00:00 +0200\n"
         b"Message-ID: <" + subject[:12].hex().encode() + b".charsets@example.org>\n")
    if mime:
        h += b"MIME-Version: 1.0\n"
    return h + extra


def simple(subject, body, ctype=b"text/plain; charset=utf-8", cte=None, frm=b"Test Sender <sender@example.org>", extra=b""):
    h = headers(subject, frm, extra) + b"Content-Type: " + ctype + b"\n"
    if cte:
        h += b"Content-Transfer-Encoding: " + cte + b"\n"
    return crlf(h + b"\n") + body


def b64(data):
    return base64.encodebytes(data)


def qp(data):
    return quopri.encodestring(data)


def bwords(text, charset, chunk):
    """B-encoded words of `chunk` bytes each: multibyte characters get split between words."""
    data = text.encode(charset)
    words = [b"=?" + charset.encode() + b"?B?" + base64.b64encode(data[i:i + chunk]) + b"?=" for i in range(0, len(data), chunk)]
    return b"\n ".join(words)


def qwords(text, charset, chunk):
    data = text.encode(charset)
    words = []
    for i in range(0, len(data), chunk):
        part = b"".join(bytes([b]) if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122) else (b"_" if b == 32 else b"=%02X" % b)
                        for b in data[i:i + chunk])
        words.append(b"=?" + charset.encode() + b"?Q?" + part + b"?=")
    return b" ".join(words)


def multipart(subject, text, attachments, frm=b"Test Sender <sender@example.org>"):
    """multipart/mixed: a UTF-8 text part and attachments given as (header bytes, body bytes)."""
    boundary = b"----=_Part_4242_1717401600"
    out = headers(subject, frm) + b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\n\n'
    out += b"This is a multi-part message in MIME format.\n"
    out += b"--" + boundary + b"\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + text.encode() + b"\n"
    for head, body in attachments:
        out += b"--" + boundary + b"\n" + head + b"\n\n" + body + b"\n"
    out += b"--" + boundary + b"--\n"
    return crlf(out)


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# ---- RFC 2047 -----------------------------------------------------------------------------------

case("rfc2047_b_utf8",
     simple(b"=?UTF-8?B?" + base64.b64encode("Problème d'accès à l'intranet".encode()) + b"?=", b"Bonjour, je n'arrive plus a me connecter.\n",
            frm=b"=?UTF-8?B?" + base64.b64encode("Zoë Dupré".encode()) + b"?= <zoe.dupre@example.fr>"),
     subject="Problème d'accès à l'intranet", from_name="Zoë Dupré", body_contains=["je n'arrive plus"])

case("rfc2047_q_latin1",
     simple(b"Re: =?ISO-8859-1?Q?Probl=E8me_de_facturation_=E0_r=E9gler?=", b"Merci.\n",
            frm=b"=?iso-8859-1?q?Fran=E7ois_L=E9ger?= <francois@example.fr>"),
     subject="Re: Problème de facturation à régler", from_name="François Léger", body_contains=["Merci."])

case("rfc2047_split_multibyte_b",
     simple(b"Re: " + bwords("Facture n° 42 — 100 € réglée, 東京の事務所", "utf-8", 7), b"ok\n"),
     subject="Re: Facture n° 42 — 100 € réglée, 東京の事務所", body_contains=["ok"])

case("rfc2047_split_multibyte_q",
     simple(qwords("Déjà payé — reçu nº 7", "utf-8", 5), b"ok\n",
            frm=qwords("Jérôme Bœuf", "utf-8", 3) + b" <jerome@example.fr>"),
     subject="Déjà payé — reçu nº 7", from_name="Jérôme Bœuf", body_contains=["ok"])

case("rfc2047_mixed_charsets",
     simple(b"Re: =?utf-8?q?caf=C3=A9?= and =?iso-8859-15?q?=A4uro?= =?windows-1252?Q?=93quoted=94?= end", b"ok\n"),
     subject="Re: café and €uro“quoted” end", body_contains=["ok"])

case("rfc2047_iso_2022_jp_subject",
     simple(b"=?ISO-2022-JP?B?" + base64.b64encode("会議の日程について".encode("iso2022_jp")) + b"?=",
            "来週の会議は火曜日です。\n".encode("iso2022_jp"), ctype=b"text/plain; charset=ISO-2022-JP", cte=b"7bit",
            frm=b"=?ISO-2022-JP?B?" + base64.b64encode("山田太郎".encode("iso2022_jp")) + b"?= <yamada@example.jp>"),
     subject="会議の日程について", from_name="山田太郎", body_contains=["来週の会議は火曜日です。"])

# ---- raw 8-bit headers --------------------------------------------------------------------------

case("raw_utf8_headers",
     simple("Impossible d'accéder à l'espace client".encode(), "Bonjour,\nl'accès échoue.\n".encode(), ctype=b"text/plain; charset=utf-8", cte=b"8bit",
            frm="Zoë Dupré <zoe.dupre@example.fr>".encode()),
     subject="Impossible d'accéder à l'espace client", from_name="Zoë Dupré", body_contains=["l'accès échoue."])

case("raw_latin1_headers",
     simple("Relevé de compte erroné".encode("latin-1"), "Le relevé de mai est erroné.\n".encode("latin-1"),
            ctype=b"text/plain; charset=iso-8859-1", cte=b"8bit", frm="Hélène Müller <helene@example.de>".encode("latin-1")),
     subject="Relevé de compte erroné", from_name="Hélène Müller", body_contains=["Le relevé de mai est erroné."])

# ---- bodies -------------------------------------------------------------------------------------

case("body_iso_8859_1_qp",
     simple(b"Accents", qp("Voilà : déjà reçu, à bientôt. Ça coûte 12 €uros ? Non : 12 EUR.\n".replace("€", "E").encode("latin-1")),
            ctype=b'text/plain; charset="ISO-8859-1"', cte=b"quoted-printable"),
     subject="Accents", body_contains=["Voilà : déjà reçu, à bientôt.", "Ça coûte"])

case("body_iso_8859_15",
     simple(b"Euro", "Montant : 120 € ; œuvre ; Œdipe ; Ÿ\n".encode("iso8859_15"), ctype=b"text/plain; charset=iso-8859-15", cte=b"8bit"),
     subject="Euro", body_contains=["Montant : 120 €", "œuvre ; Œdipe ; Ÿ"])

case("body_windows_1252",
     simple(b"Smart quotes", "“Quoted” text… it’s 50 € – done.\n".encode("cp1252"), ctype=b"text/plain; charset=windows-1252",
            cte=b"quoted-printable".replace(b"quoted-printable", b"8bit")),
     subject="Smart quotes", body_contains=["“Quoted” text… it’s 50 € – done."])

case("body_utf8_base64",
     simple(b"UTF-8", b64("Grüße aus Köln — 日本語も大丈夫 ✓\n".encode()), ctype=b"text/plain; charset=UTF-8", cte=b"base64"),
     subject="UTF-8", body_contains=["Grüße aus Köln — 日本語も大丈夫 ✓"])

case("body_utf8_mislabelled_latin1",
     simple(b"Mislabelled", "Le problème persiste depuis février.\n".encode("latin-1"), ctype=b"text/plain; charset=utf-8", cte=b"8bit"),
     subject="Mislabelled", body_contains=["Le problème persiste depuis février."])

case("body_unlabelled_8bit",
     crlf(headers(b"No charset", mime=False)) + b"\r\n" + "Réunion reportée à jeudi.\r\n".encode("latin-1"),
     subject="No charset", body_contains=["Réunion reportée à jeudi."])

case("iso_2022_jp_unlabelled",
     crlf(headers(b"JIS", extra=b"Content-Type: text/plain\nContent-Transfer-Encoding: 7bit\n")) + b"\r\n"
     + crlf("お世話になっております。\n請求書を添付します。\n".encode("iso2022_jp")),
     subject="JIS", body_contains=["お世話になっております。", "請求書を添付します。"])

case("iso_2022_jp_raw_header",
     crlf(headers("見積もりの件".encode("iso2022_jp"), mime=False)) + b"\r\n" + crlf("よろしくお願いします。\n".encode("iso2022_jp")),
     subject="見積もりの件", body_contains=["よろしくお願いします。"])

case("gb2312_label_gbk_content",
     simple(b"=?gb2312?B?" + base64.b64encode("关于朱镕基的报告".encode("gbk")) + b"?=",
            b64("张喆：请查收朱镕基的报告。\n".encode("gbk")), ctype=b"text/plain; charset=gb2312", cte=b"base64"),
     subject="关于朱镕基的报告", body_contains=["张喆：请查收朱镕基的报告。"])

case("gb18030_labelled",
     simple(b"=?GB18030?B?" + base64.b64encode("测试邮件".encode("gb18030")) + b"?=", "欢迎使用 — 𠀀\n".encode("gb18030"),
            ctype=b"text/plain; charset=GB18030", cte=b"8bit"),
     subject="测试邮件", body_contains=["欢迎使用 — 𠀀"])

case("shift_jis_body",
     simple(b"SJIS", b64("ご確認ください。ﾃｽﾄ\n".encode("shift_jis")), ctype=b"text/plain; charset=Shift_JIS", cte=b"base64"),
     subject="SJIS", body_contains=["ご確認ください。ﾃｽﾄ"])

case("big5_body",
     simple(b"=?big5?B?" + base64.b64encode("繁體中文測試".encode("big5")) + b"?=", "這是一封測試郵件。\n".encode("big5"),
            ctype=b"text/plain; charset=big5", cte=b"8bit"),
     subject="繁體中文測試", body_contains=["這是一封測試郵件。"])

case("ks_c_5601_body",
     simple(b"=?ks_c_5601-1987?B?" + base64.b64encode("안녕하세요".encode("euc_kr")) + b"?=", b64("회의 자료를 보내드립니다.\n".encode("euc_kr")),
            ctype=b'text/plain; charset="ks_c_5601-1987"', cte=b"base64"),
     subject="안녕하세요", body_contains=["회의 자료를 보내드립니다."])

case("windows_1251_body",
     simple(b"=?windows-1251?Q?" + b"".join(b"=%02X" % b for b in "Привет".encode("cp1251")) + b"?=", "Счёт оплачен.\n".encode("cp1251"),
            ctype=b"text/plain; charset=windows-1251", cte=b"8bit"),
     subject="Привет", body_contains=["Счёт оплачен."])

case("iso_8859_2_body",
     simple(b"=?iso-8859-2?Q?Za=BF=F3=B3=E6_g=EA=B6l=B1_ja=BC=F1?=", qp("Zażółć gęślą jaźń.\n".encode("iso8859_2")),
            ctype=b"text/plain; charset=iso-8859-2", cte=b"quoted-printable"),
     subject="Zażółć gęślą jaźń", body_contains=["Zażółć gęślą jaźń."])

case("html_only_latin1_entities",
     simple(b"HTML", qp("<html><head><style>p{margin:0}</style></head><body><p>R&eacute;sum&eacute; : d&eacute;j&agrave; vu &ndash; "
                        "voilà&nbsp;!</p><p>Prix&nbsp;: 10&euro; &amp; plus</p></body></html>\n".encode("latin-1")),
            ctype=b"text/html; charset=iso-8859-1", cte=b"quoted-printable"),
     subject="HTML", body_contains=["Résumé : déjà vu – voilà !", "Prix : 10€ & plus"], reply_text="Résumé : déjà vu – voilà !\n\nPrix : 10€ & plus")

case("format_flowed_delsp",
     simple(b"Flowed", "Une longue phrase qui a été cou\npée par le client de messagerie \nen deux lignes.\n".replace("cou\n", "cou \n").replace("messagerie \n", "messagerie  \n").encode(),
            ctype=b"text/plain; charset=utf-8; format=flowed; delsp=yes", cte=b"8bit"),
     subject="Flowed", body_contains=["Une longue phrase qui a été coupée par le client de messagerie en deux lignes."])

# ---- attachment names ---------------------------------------------------------------------------

case("rfc2231_filename_utf8",
     multipart(b"RFC 2231", "Ci-joint le rapport.", [
         (b"Content-Type: application/pdf\nContent-Disposition: attachment;\n filename*=UTF-8''%C3%A9t%C3%A9%202024.pdf\nContent-Transfer-Encoding: base64", b64(PDF)),
     ]),
     subject="RFC 2231", body_contains=["Ci-joint le rapport."], attachments=["été 2024.pdf"])

case("rfc2231_continuations",
     multipart(b"RFC 2231 continuations", "Voir pièce jointe.", [
         (b"Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;\n name*0*=UTF-8''Rapport%20d%27activit%C3;\n name*1*=%A9%20%E2%82;\n name*2*=%AC.xlsx\n"
          b"Content-Disposition: attachment;\n filename*0*=UTF-8''Rapport%20d%27activit%C3;\n filename*1*=%A9%20%E2%82;\n filename*2*=%AC.xlsx\nContent-Transfer-Encoding: base64",
          b64(b"PK\x03\x04 fake xlsx")),
         (b"Content-Type: text/plain; name*0=\"notes \"; name*1=\"du jour.txt\"\nContent-Disposition: attachment; filename*0=\"notes \";\n filename*1=\"du jour.txt\"",
          b"plain continuation\n"),
     ]),
     subject="RFC 2231 continuations", attachments=["Rapport d'activité €.xlsx", "notes du jour.txt"])

case("rfc2231_latin1_filename",
     multipart(b"RFC 2231 latin1", "CV ci-joint.", [
         (b"Content-Type: application/msword\nContent-Disposition: attachment; filename*=iso-8859-1'fr'R%E9sum%E9%20Fran%E7ois.doc\nContent-Transfer-Encoding: base64",
          b64(b"\xd0\xcf\x11\xe0 fake doc")),
     ]),
     subject="RFC 2231 latin1", attachments=["Résumé François.doc"])

case("rfc2047_filename_split",
     multipart(b"RFC 2047 names", "See attached.", [
         (b"Content-Type: application/pdf;\n\tname=\"" + bwords("Relevé d'opérations — juin.pdf", "utf-8", 10) + b"\"\n"
          b"Content-Description: " + bwords("Relevé d'opérations — juin.pdf", "utf-8", 10) + b"\n"
          b"Content-Disposition: attachment;\n\tfilename=\"" + bwords("Relevé d'opérations — juin.pdf", "utf-8", 10) + b"\"; size=84;\n"
          b"\tcreation-date=\"Mon, 03 Jun 2024 08:00:00 GMT\"\nContent-Transfer-Encoding: base64", b64(PDF)),
         (b"Content-Type: image/jpeg; name=\"=?iso-8859-1?Q?photo_=E9t=E9.jpg?=\"\nContent-Disposition: inline; filename=\"=?iso-8859-1?Q?photo_=E9t=E9.jpg?=\"\n"
          b"Content-Transfer-Encoding: base64", b64(b"\xff\xd8\xff\xe0 fake jpeg")),
     ]),
     subject="RFC 2047 names", attachments=["Relevé d'opérations — juin.pdf", "photo été.jpg"])

case("raw_8bit_filenames",
     multipart(b"Raw 8-bit names", "Deux factures.", [
         (b"Content-Type: application/pdf; name=\"" + "Facture_été.pdf".encode() + b"\"\nContent-Disposition: attachment; filename=\""
          + "Facture_été.pdf".encode() + b"\"\nContent-Transfer-Encoding: base64", b64(PDF)),
         (b"Content-Type: application/pdf\nContent-Disposition: attachment; filename=\"" + "Reçu_août.pdf".encode("latin-1") + b"\"\n"
          b"Content-Transfer-Encoding: base64", b64(PDF + b"2")),
     ]),
     subject="Raw 8-bit names", attachments=["Facture_été.pdf", "Reçu_août.pdf"])

LONG = "Rapport trimestriel consolidé " * 12
case("unsafe_filenames",
     multipart(b"Unsafe names", "Attachments with hostile names.", [
         (b'Content-Type: text/plain\nContent-Disposition: attachment; filename="../../etc/passwd"', b"root:x:0:0\n"),
         (b'Content-Type: application/octet-stream\nContent-Disposition: attachment; filename="C:\\\\Windows\\\\System32\\\\evil.bat"', b"@echo off\n"),
         (b'Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=".htaccess"', b"deny from all\n"),
         (b"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename*=UTF-8''invoice%E2%80%AEfdp.exe", b"MZ"),
         (b"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename*=UTF-8''tab%09and%0Anewline%07.txt", b"x"),
         (b'Content-Type: application/pdf\nContent-Disposition: attachment; filename="' + LONG.encode() + b'.pdf"', PDF),
         (b'Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=".."', b"dots"),
         (b"Content-Type: application/zip\nContent-Disposition: attachment\nContent-Transfer-Encoding: base64", b64(b"PK\x05\x06" + b"\x00" * 18)),
     ]),
     subject="Unsafe names",
     attachments=["passwd", "evil.bat", "htaccess", "invoicefdp.exe", "tabandnewline.txt",
                  (LONG[:96].rstrip() + ".pdf"), "attachment-7.bin", "attachment-8.zip"])

# ---- raw 8-bit text without a declared charset: detected as browsers do (issue 15) ---------------

def raw_case(name, enc, subject, body, tld, sender_name, cls):
    case(name,
         simple(subject.encode(enc), body.encode(enc), ctype=b"text/plain", cte=b"8bit",
                frm=sender_name.encode(enc) + b" <help@mail.example." + tld + b">"),
         subject=subject, from_name=sender_name, body_contains=[body.strip()], from_addr="help@mail.example." + tld.decode(),
         cls=cls)


raw_case("raw_gb2312_subject", "gbk", "转发：关于下周会议的安排", "各位同事，下周一上午十点在三楼会议室开会，请准时参加。\n", b"cn", "王小明",
         "raw 8-bit GB2312 subject, sender name and body, no charset declared")
raw_case("raw_shift_jis_subject", "shift_jis", "会議資料の送付について", "お世話になっております。来週の会議資料をお送りします。\n", b"jp", "山田太郎",
         "raw 8-bit Shift_JIS headers and body, no charset declared")
raw_case("raw_big5_subject", "big5", "關於訂單出貨的問題", "您好，請問我上週訂購的商品什麼時候可以出貨？謝謝。\n", b"tw", "陳大文",
         "raw 8-bit Big5 headers and body, no charset declared")
raw_case("raw_euc_kr_subject", "euc_kr", "주문 상품 배송 문의", "안녕하세요. 지난주에 주문한 상품이 아직 도착하지 않았습니다.\n", b"kr", "김철수",
         "raw 8-bit EUC-KR headers and body, no charset declared")
raw_case("raw_koi8_r_subject", "koi8_r", "Не работает принтер", "Здравствуйте, у меня в офисе не работает принтер. Помогите, пожалуйста.\n", b"ru",
         "Иван Петров", "raw 8-bit KOI8-R headers and body, no charset declared")
raw_case("raw_windows_1251_subject", "cp1251", "Счёт за июнь", "Добрый день! Пришлите, пожалуйста, счёт за июнь ещё раз.\n", b"ru",
         "Ольга Смирнова", "raw 8-bit windows-1251 headers and body, no charset declared")
raw_case("raw_iso_8859_2_subject", "iso8859_2", "Drukarka nie działa", "Dzień dobry, drukarka w biurze nie działa od wczoraj. Proszę o pomoc.\n", b"pl",
         "Łukasz Żółć", "raw 8-bit ISO-8859-2 headers and body, no charset declared")
raw_case("raw_latin1_no_charset", "latin-1", "Problème de connexion", "Bonjour, je n'arrive plus à me connecter depuis mercredi. Merci d'avance.\n", b"fr",
         "Hélène Dupré", "raw 8-bit Latin-1 headers and body, no charset declared")

case("rfc2047_raw_8bit_in_word",
     simple(b"Re: =?iso-8859-1?Q?Die_Fr\xf6sche_im_Teich?=", b"Alles gut.\n", frm=b"=?iso-8859-1?Q?J\xfcrgen_M\xfcller?= <jm@example.de>"),
     subject="Re: Die Frösche im Teich", from_name="Jürgen Müller", body_contains=["Alles gut."],
     cls="raw 8-bit byte inside an encoded word: decoded exactly once, in the word's charset")

case("declared_us_ascii_utf8_bytes",
     simple(b"Wrong label", "Grüße aus München — der Drucker druckt nicht.\n".encode(), ctype=b"text/plain; charset=us-ascii", cte=b"7bit"),
     subject="Wrong label", body_contains=["Grüße aus München — der Drucker druckt nicht."],
     cls="declared us-ascii over UTF-8 bytes")

case("declared_latin1_utf8_bytes",
     simple(b"=?iso-8859-1?Q?Wrong_label?=", "Ça ne marche pas, désolé — vraiment.\n".encode(), ctype=b"text/plain; charset=iso-8859-1", cte=b"8bit"),
     subject="Wrong label", body_contains=["Ça ne marche pas, désolé — vraiment."],
     cls="declared ISO-8859-1 over UTF-8 bytes")

case("html_meta_charset",
     simple(b"Meta charset", b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1251\"></head><body><p>"
            + "Добрый день, счёт получен.".encode("cp1251") + b"</p></body></html>\n", ctype=b"text/html", cte=b"8bit"),
     subject="Meta charset", body_contains=["Добрый день, счёт получен."],
     cls="HTML part whose charset is only in its <meta> tag")

case("utf7_encoded_word",
     simple(b"Benachrichtung zum =?unicode-1-1-utf-7?Q?+ANw-bermittlungsstatus (Fehlgeschlagen)?=", b"Status\n",
            frm=b"postmaster@example.com"),
     subject="Benachrichtung zum Übermittlungsstatus (Fehlgeschlagen)", body_contains=["Status"], from_addr="postmaster@example.com",
     cls="UTF-7 encoded word (Exchange delivery notices), spaces inside the word")

case("rfc2047_split_display_name",
     simple(b"Name", b"ok\n", frm=b"=?UTF-8?B?5bGx55Sw5aQ=?= =?UTF-8?B?qumDjg==?= <yamada@example.jp>"),
     subject="Name", from_name="山田太郎", from_addr="yamada@example.jp", body_contains=["ok"],
     cls="display name with a character split over two encoded words")

for label, codec, text in [
    ("iso-8859-7", "iso8859_7", "Καλημέρα, ο εκτυπωτής δεν λειτουργεί."),
    ("iso-8859-9", "iso8859_9", "Merhaba, yazıcı çalışmıyor. Teşekkürler."),
    ("windows-1250", "cp1250", "Dobrý den, tiskárna nefunguje. Děkuji."),
    ("windows-1256", "cp1256", "مرحبا، الطابعة لا تعمل."),
    ("iso-8859-8-i", "iso8859_8", "שלום, המדפסת לא עובדת."),
    ("windows-874", "cp874", "สวัสดีครับ เครื่องพิมพ์เสีย"),
    ("euc-jp", "euc_jp", "プリンターが動きません。"),
    ("koi8-u", "koi8_u", "Добрий день, принтер не працює. Дякую."),
    ("windows-1257", "cp1257", "Laba diena, spausdintuvas neveikia."),
    ("windows-1258", "cp1258", "Xin chao, may in khong hoat dong."),
    ("iso-8859-5", "iso8859_5", "Здравствуйте, принтер не работает."),
    ("cp866", "cp866", "Здравствуйте, принтер не работает."),
    ("gbk", "gbk", "打印机坏了，请帮忙。"),
    ("x-mac-cyrillic", "mac_cyrillic", "Здравствуйте, принтер не работает."),
]:
    case("labelled_" + label.replace("-", "_"),
         simple(b"=?" + label.encode() + b"?B?" + base64.b64encode(text.encode(codec)) + b"?=", qp(text.encode(codec) + b"\n"),
                ctype=b"text/plain; charset=" + label.encode(), cte=b"quoted-printable"),
         subject=text, body_contains=[text], cls="labelled " + label + " subject (RFC 2047) and body (quoted-printable)")



def write_all():
    for name, raw, expected in CASES:
        with open(os.path.join(HERE, name + ".eml"), "wb") as f:
            f.write(raw)
        expected = {k: v for k, v in expected.items() if v is not None}
        with open(os.path.join(HERE, name + ".expected.json"), "w", encoding="utf-8") as f:
            json.dump(expected, f, ensure_ascii=False, indent=2)
            f.write("\n")
    print(f"{len(CASES)} charset cases written to {HERE}")


if __name__ == "__main__":
    write_all()
