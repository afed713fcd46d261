"""HTML-only replies as the usual clients write them: Gmail, Outlook desktop and web, Outlook
for iOS, Apple Mail, Yahoo, Thunderbird, Windows Mail, Mail.ru, Yandex, Zimbra, Proton, GMX,
Samsung Email, Lotus Notes; quote containers, header blocks in a bordered div, signatures in
their own containers, inline answers between blockquotes."""

import html as h

from make_wild import case
from texts import OLD


def paras(text):
    """Plain paragraphs as `<div>` lines the way rich editors write them."""
    out = []
    for line in text.split("\n"):
        out.append("<div>%s</div>" % (h.escape(line) if line else "<br>"))
    return "\n".join(out)


def old(lang):
    return paras(OLD[lang])


GMAIL_ATTR = (
    'On Mon, Sep 30, 2024 at 4:12\u202fPM Support Team &lt;<a href="mailto:support@example.com">'
    "support@example.com</a>&gt; wrote:<br>"
)

case(
    "html_gmail_basic",
    "html", "Gmail", "en",
    html='<div dir="ltr">Version 4.2.1, and it stops on both laptops.<div><br></div><div>Thanks,</div><div>Priya</div></div><br>'
    '<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">' + GMAIL_ATTR + "</div>"
    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">'
    + old("en") + "</blockquote></div>\n",
    expected="Version 4.2.1, and it stops on both laptops.",
    sender=("Priya Natarajan", "priya.n@gmail.com"),
    cte="qp",
)

case(
    "html_gmail_signature_container",
    "html", "Gmail", "de",
    html='<div dir="ltr"><div>Hallo,</div><div><br></div><div>das Update hat geholfen, vielen Dank!</div><div><br></div>'
    '<span class="gmail_signature_prefix">-- </span><br><div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature">'
    "<div dir=\"ltr\">Markus Weber<br>Leitung IT<br>Weber &amp; Söhne KG<br>Tel. 0711 123456</div></div></div><br>"
    '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">Am Mo., 30. Sept. 2024 um 16:12\u00a0Uhr schrieb Support Team &lt;'
    '<a href="mailto:support@example.com">support@example.com</a>&gt;:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">'
    + old("de") + "</blockquote></div>\n",
    expected="Hallo,\n\ndas Update hat geholfen, vielen Dank!",
    sender=("Markus Weber", "markus.weber@gmail.com"),
    cte="base64",
)

case(
    "html_gmail_inline_answers",
    "html", "Gmail", "en",
    html='<div dir="ltr">Answers inline.</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">' + GMAIL_ATTR + "</div>"
    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">Which version of the desktop app are you on?</blockquote>'
    "<div>4.2.1</div><div><br></div>"
    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">Does the sync stop on every computer?</blockquote>'
    "<div>Only on the laptops.</div><div><br></div>"
    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">Best regards,<br>The Support Team</blockquote></div>\n',
    expected="Answers inline.\n\n> Which version of the desktop app are you on?\n\n4.2.1\n\n> Does the sync stop on every computer?\n\nOnly on the laptops.",
    sender=("Priya Natarajan", "priya.n@gmail.com"),
    cte="qp",
)

OUTLOOK_HEAD = """<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8"><meta name="Generator" content="Microsoft Word 15 (filtered medium)">
<style><!--
p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm;font-size:11.0pt;font-family:"Calibri",sans-serif;}
span.EmailStyle19 {mso-style-type:personal-reply;}
--></style></head><body lang="EN-GB" link="#0563C1" vlink="#954F72"><div class="WordSection1">
"""


def mso(text):
    return "\n".join(
        '<p class="MsoNormal">%s<o:p></o:p></p>' % (h.escape(l) if l else "<o:p>&nbsp;</o:p>") for l in text.split("\n")
    )


def outlook_block(labels, values):
    inner = "<br>\n".join("<b>%s</b> %s" % (l, h.escape(v)) for l, v in zip(labels, values))
    return (
        '<div><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        '<p class="MsoNormal"><b><span lang="EN-US">' + inner + "<o:p></o:p></span></b></p></div></div>"
    )


case(
    "html_outlook_desktop_en",
    "html", "Outlook desktop", "en",
    html=OUTLOOK_HEAD + mso("Hi,\n\nIt stops on the reception PC only, version 4.2.1.\n\nKind regards\nMaria Lopez\nPractice Manager") + mso("")
    + outlook_block(
        ["From:", "Sent:", "To:", "Subject:"],
        ["Support Team <support@example.com>", "Monday, September 30, 2024 4:12 PM", "Maria Lopez <maria.lopez@clinic.example>", "RE: [SUP-311] Sync stops after the update"],
    )
    + mso("") + mso(OLD["en"]) + "</div></body></html>\n",
    expected="Hi,\n\nIt stops on the reception PC only, version 4.2.1.",
    sender=("Maria Lopez", "maria.lopez@clinic.example"),
    cte="qp",
)

case(
    "html_outlook_desktop_de_wrapped_cc",
    "html", "Outlook desktop", "de",
    html=OUTLOOK_HEAD + mso("Hallo,\n\nbei uns sind alle Rechner betroffen.\n\nGruß\nStefan") + mso("")
    + outlook_block(
        ["Von:", "Gesendet:", "An:", "Cc:", "Betreff:"],
        ["Support Team <support@example.com>", "Montag, 30. September 2024 16:12", "Stefan Braun <s.braun@firma.example>",
         "Lena Koch <l.koch@firma.example>; IT-Service <it@firma.example>; Ulrich Pohl <u.pohl@firma.example>; Team Vertrieb <vertrieb@firma.example>",
         "AW: [SUP-311] Sync stops after the update"],
    )
    + mso("") + mso(OLD["de"]) + "</div></body></html>\n",
    expected="Hallo,\n\nbei uns sind alle Rechner betroffen.",
    sender=("Stefan Braun", "s.braun@firma.example"),
    cte="qp",
)

case(
    "html_outlook_web_divrplyfwdmsg_fr",
    "html", "Outlook web", "fr",
    html='<html><head><style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style></head><body dir="ltr">'
    '<div style="font-family: Aptos, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">Bonjour,</div>'
    '<div style="font-family: Aptos, Calibri, Helvetica, sans-serif; font-size: 12pt;"><br></div>'
    '<div style="font-family: Aptos, Calibri, Helvetica, sans-serif; font-size: 12pt;">Tout fonctionne depuis la mise à jour, merci.</div>'
    '<div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">'
    '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000"><b>De :</b> Support Team &lt;support@example.com&gt;<br>'
    "<b>Envoyé :</b> lundi 30 septembre 2024 16:12<br><b>À :</b> Claire Morel &lt;claire.morel@outlook.fr&gt;<br>"
    "<b>Objet :</b> [SUP-311] Sync stops after the update</font><div>&nbsp;</div></div><div>"
    + old("fr") + "</div></body></html>\n",
    expected="Bonjour,\n\nTout fonctionne depuis la mise à jour, merci.",
    sender=("Claire Morel", "claire.morel@outlook.fr"),
    cte="qp",
)

case(
    "html_outlook_ios_signature_and_block",
    "html", "Outlook mobile", "en",
    html='<html><head></head><body><div dir="ltr">Yes, the same on my phone.</div><div dir="ltr"><br></div>'
    '<div id="ms-outlook-mobile-signature" dir="ltr">Get <a href="https://aka.ms/o0ukef">Outlook for iOS</a></div>'
    '<hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">'
    "<b>From:</b> Support Team &lt;support@example.com&gt;<br><b>Sent:</b> Monday, September 30, 2024 4:12:44 PM<br>"
    "<b>To:</b> Chris Ellison &lt;c.ellison@outlook.com&gt;<br><b>Subject:</b> [SUP-311] Sync stops after the update</font><div>&nbsp;</div></div>"
    + old("en") + "</body></html>\n",
    expected="Yes, the same on my phone.",
    sender=("Chris Ellison", "c.ellison@outlook.com"),
    cte="base64",
)

case(
    "html_apple_mail_blockquote_cite",
    "html", "Apple Mail macOS", "en",
    html='<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word;">'
    "It stopped again this morning at 9:05.<div><br></div><div>Rosa</div><div><div><br><blockquote type=\"cite\">"
    "<div>On 30 Sep 2024, at 16:12, Support Team &lt;support@example.com&gt; wrote:</div><br class=\"Apple-interchange-newline\">"
    "<div><div>" + old("en") + "</div></div></blockquote></div><br></div></body></html>\n",
    expected="It stopped again this morning at 9:05.",
    sender=("Rosa Grant", "rosa.grant@me.example"),
    cte="qp",
)

case(
    "html_apple_ios_sent_from_iphone",
    "html", "Apple Mail iOS", "fr",
    html='<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body dir="auto">'
    '<div dir="ltr">Oui, tous les postes.</div><div dir="ltr"><br></div><div dir="ltr">Envoyé de mon iPhone</div>'
    '<div dir="ltr"><br><blockquote type="cite">Le 30 sept. 2024 à 16:12, Support Team &lt;support@example.com&gt; a écrit&nbsp;:<br><br></blockquote></div>'
    '<blockquote type="cite"><div dir="ltr">' + old("fr") + "</div></blockquote></body></html>\n",
    expected="Oui, tous les postes.",
    sender=("Julien Roy", "julien.roy@icloud.com"),
    cte="qp",
)

case(
    "html_yahoo_quoted",
    "html", "Yahoo", "en",
    html='<html><head></head><body><div class="ydp2f3c9a1yahoo-style-wrap" style="font-family:Helvetica Neue, Helvetica, Arial, sans-serif;font-size:13px;">'
    "<div>Yes, all three computers.</div><div><br></div></div>"
    '<div id="ydp5b1e0c2eyahoo_quoted_3344556677" class="ydp5b1e0c2eyahoo_quoted"><div style="font-family:\'Helvetica Neue\', Helvetica, Arial, sans-serif;font-size:13px;color:#26282a;">'
    "<div>On Monday, September 30, 2024 at 04:12:44 PM GMT+2, Support Team &lt;support@example.com&gt; wrote:</div><div><br></div><div><br></div>"
    "<div><div id=\"ydp8877yiv123\"><div>" + old("en") + "</div></div></div></div></div></body></html>\n",
    expected="Yes, all three computers.",
    sender=("Wendy Cole", "wendy.cole@yahoo.com"),
    cte="qp",
)

case(
    "html_thunderbird_moz_cite_and_signature",
    "html", "Thunderbird", "en",
    html='<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body>'
    "<p>Reinstalled it, the sync works now.</p>"
    '<pre class="moz-signature" cols="72">-- \nOwen Fletcher\nSystems Administrator</pre>'
    '<div class="moz-cite-prefix">On 30/09/2024 16:12, Support Team wrote:<br></div>'
    '<blockquote type="cite" cite="mid:tg.311.abc@example.com">' + old("en") + "</blockquote></body></html>\n",
    expected="Reinstalled it, the sync works now.",
    sender=("Owen Fletcher", "owen@harbourfreight.example"),
    mailer="User-Agent: Mozilla Thunderbird",
    cte="8bit",
)

case(
    "html_windows_mail_ru_block",
    "html", "Windows Mail", "ru",
    html='<html><head><meta name="generator" content="Windows Mail 17.5.9600.20498"></head><body dir="ltr">'
    '<div dir="ltr" style="font-family: \'Calibri\', \'Segoe UI\', sans-serif;font-size:12pt;"><div>Всё работает, спасибо.</div><div><br></div>'
    '<div>Андрей</div><div data-signatureblock="true"><div><br></div><div><br></div></div>'
    '<div style="padding-top: 5px; border-top-color: rgb(229, 229, 229); border-top-width: 1px; border-top-style: solid;"><div><font face="Calibri" style="font-size: 12pt;">'
    '<b>От:</b>&nbsp;<a href="mailto:support@example.com">Support Team</a><br><b>Отправлено:</b>&nbsp;понедельник, 30 сентября 2024 г. 16:12<br>'
    '<b>Кому:</b>&nbsp;<a href="mailto:andrey@example.net">Андрей</a></font></div></div><div><br></div><div dir="">' + old("ru") + "</div></div></body></html>\n",
    expected="Всё работает, спасибо.",
    sender=("Андрей", "andrey@example.net"),
    cte="base64",
)

case(
    "html_mailru_blockquote",
    "html", "Mail.ru", "ru",
    html="<HTML><BODY><p>Переустановка не помогла, ошибка та же.</p><p>Ольга</p><br><br><br>"
    "Понедельник, 30 сентября 2024, 16:12 +03:00 от Support Team &lt;support@example.com&gt;:<br>\n"
    '<blockquote style="border-left:1px solid #0857A6; margin:10px; padding:0 0 0 10px;"><div id=""><div class="js-helper js-readmsg-msg"><div><div id="style_17277_BODY">'
    + old("ru") + "</div></div></div></div></blockquote><br></BODY></HTML>\n",
    expected="Переустановка не помогла, ошибка та же.",
    sender=("Ольга Иванова", "olga.ivanova@mail.ru"),
    cte="base64",
)

case(
    "html_yandex_date_attr",
    "html", "Yandex", "ru",
    html="<div>Только на ноутбуке.</div><div>&nbsp;</div><div>--&nbsp;</div><div>Дмитрий</div><div>&nbsp;</div><div>&nbsp;</div>"
    "<div>30.09.2024, 16:12, \"Support Team\" &lt;support@example.com&gt;:</div><blockquote>" + old("ru") + "</blockquote>\n",
    expected="Только на ноутбуке.",
    sender=("Дмитрий Кузнецов", "dkuznetsov@yandex.ru"),
    cte="8bit",
)

case(
    "html_zimbra_hr_zwchr",
    "html", "Zimbra", "en",
    html="<html><body><div style=\"font-family: arial, helvetica, sans-serif; font-size: 12pt; color: #000000\"><div>Restarting the service fixed it.</div><div><br></div>"
    '<hr id="zwchr" data-marker="__DIVIDER__"><div data-marker="__HEADERS__"><b>From: </b>"Support Team" &lt;support@example.com&gt;<br>'
    "<b>To: </b>\"Nora Quinn\" &lt;nquinn@campus.example.edu&gt;<br><b>Sent: </b>Monday, September 30, 2024 4:12:44 PM<br>"
    "<b>Subject: </b>[SUP-311] Sync stops after the update<br></div><br><div data-marker=\"__QUOTED_TEXT__\">" + old("en") + "</div></div></body></html>\n",
    expected="Restarting the service fixed it.",
    sender=("Nora Quinn", "nquinn@campus.example.edu"),
    cte="qp",
)

case(
    "html_proton_quote_and_signature",
    "html", "Proton Mail", "en",
    html='<div style="font-family: Arial, sans-serif; font-size: 14px;">Yes, every machine.</div><div style="font-family: Arial, sans-serif; font-size: 14px;"><br></div>'
    '<div class="protonmail_signature_block" style="font-family: Arial, sans-serif; font-size: 14px;"><div class="protonmail_signature_block-proton">'
    'Sent with <a target="_blank" href="https://proton.me/">Proton Mail</a> secure email.</div></div>'
    '<div style="font-family: Arial, sans-serif; font-size: 14px;"><br></div><div class="protonmail_quote">On Monday, September 30th, 2024 at 16:12, Support Team &lt;support@example.com&gt; wrote:<br>'
    '<blockquote class="protonmail_quote" type="cite">' + old("en") + "</blockquote><br></div>\n",
    expected="Yes, every machine.",
    sender=("", "k9x2@proton.me"),
    cte="base64",
)

case(
    "html_gmx_name_quote",
    "html", "GMX/Web.de", "de",
    html='<html><head></head><body><div style="font-family: Verdana;font-size: 12.0px;"><div>Guten Tag,</div><div>&nbsp;</div><div>der Fehler tritt weiterhin auf.</div>'
    '<div>&nbsp;</div><div>Gruß Heinz</div><div>&nbsp;<div>&nbsp;<div name="quote" style="margin:10px 5px 5px 10px; padding: 10px 0 10px 10px; border-left:2px solid #C3D9E5; word-wrap: break-word;">'
    '<div style="margin:0 0 10px 0;"><b>Gesendet:</b>&nbsp;Montag, 30. September 2024 um 16:12 Uhr<br><b>Von:</b>&nbsp;"Support Team" &lt;support@example.com&gt;<br>'
    "<b>An:</b>&nbsp;heinz.mueller@gmx.de<br><b>Betreff:</b>&nbsp;[SUP-311] Sync stops after the update</div>"
    '<div name="quoted-content">' + old("de") + "</div></div></div></div></div></body></html>\n",
    expected="Guten Tag,\n\nder Fehler tritt weiterhin auf.",
    sender=("Heinz Müller", "heinz.mueller@gmx.de"),
    cte="qp",
)

case(
    "html_samsung_original_message",
    "html", "Android mail apps", "es",
    html='<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body><div dir="auto">Sí, en todos.</div><div dir="auto"><br></div>'
    '<div dir="auto"><br></div><div id="composer_signature" dir="auto"><div style="font-size:12px;color:#575757" dir="auto">Enviado desde mi Galaxy</div></div><div dir="auto"><br></div>'
    '<div align="left" dir="auto" style="font-size:100%;color:#000000"><div>-------- Mensaje original --------</div><div>De: Support Team &lt;support@example.com&gt; </div>'
    "<div>Fecha: 30/9/24  16:12  (GMT+01:00) </div><div>Para: Pablo Gil &lt;pablo.gil@gmail.com&gt; </div><div>Asunto: [SUP-311] Sync stops after the update </div><div><br></div></div>"
    + old("es") + "</body></html>\n",
    expected="Sí, en todos.",
    sender=("Pablo Gil", "pablo.gil@gmail.com"),
    cte="base64",
)

case(
    "html_lotus_notes_fonts",
    "html", "Lotus Notes", "en",
    html='<font size=2 face="sans-serif">We are on 4.2.0, rolled out last week.</font><br><br><font size=2 face="sans-serif">Regards<br>Gordon</font><br><br><br><br>'
    '<font size=1 color=#5f5f5f face="sans-serif">From: &nbsp; &nbsp; &nbsp; &nbsp;</font><font size=1 face="sans-serif">Support Team &lt;support@example.com&gt;</font><br>'
    '<font size=1 color=#5f5f5f face="sans-serif">To: &nbsp; &nbsp; &nbsp; &nbsp;</font><font size=1 face="sans-serif">Gordon Blake/UK/BigCorp@BigCorp</font><br>'
    '<font size=1 color=#5f5f5f face="sans-serif">Date: &nbsp; &nbsp; &nbsp; &nbsp;</font><font size=1 face="sans-serif">30/09/2024 16:12</font><br>'
    '<font size=1 color=#5f5f5f face="sans-serif">Subject: &nbsp; &nbsp; &nbsp; &nbsp;</font><font size=1 face="sans-serif">[SUP-311] Sync stops after the update</font><br>'
    "<hr noshade><br><br><br><tt><font size=2>" + h.escape(OLD["en"]).replace("\n", "<br>") + "</font></tt><br>\n",
    expected="We are on 4.2.0, rolled out last week.",
    sender=("Gordon Blake", "gordon.blake@bigcorp.example"),
    cte="qp",
)

case(
    "html_hr_from_date_block",
    "html", "other webmail", "en",
    html="<div>message received, we will deploy on Friday<br><div><hr>Date: Mon, 30 Sep 2024 16:12:44 +0200<br>"
    'To: <a href="mailto:ops@example.net">ops@example.net</a><br>From: <a href="mailto:support@example.com">support@example.com</a><br>'
    "Subject: [SUP-311] Sync stops after the update<br><br>" + h.escape(OLD["en"]).replace("\n", "<br>") + "</div></div>\n",
    expected="message received, we will deploy on Friday",
    sender=("Ops", "ops@example.net"),
    cte="8bit",
)

case(
    "html_gmail_forward_kept",
    "html", "Gmail", "en",
    html='<div dir="ltr">Can you look at this one?<br><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>'
    'From: <strong class="gmail_sendername" dir="auto">Billing</strong> <span dir="auto">&lt;<a href="mailto:billing@vendor.example">billing@vendor.example</a>&gt;</span><br>'
    "Date: Fri, Sep 27, 2024 at 9:03 AM<br>Subject: Invoice 2024-0917 overdue<br>To: &lt;<a href=\"mailto:accounts@shop.example\">accounts@shop.example</a>&gt;<br></div><br><br>"
    '<div dir="ltr">Invoice 2024-0917 is 14 days overdue.</div></div></div>\n',
    expected="Can you look at this one?\n\n---------- Forwarded message ---------\nFrom: Billing <billing@vendor.example>\nDate: Fri, Sep 27, 2024 at 9:03 AM\n"
    "Subject: Invoice 2024-0917 overdue\nTo: <accounts@shop.example>\n\nInvoice 2024-0917 is 14 days overdue.",
    subject="Fwd: Invoice 2024-0917 overdue",
    sender=("Irene Cho", "irene.cho@shop.example"),
    cte="qp",
)

case(
    "html_outlook_signature_div_es",
    "html", "Outlook web", "es",
    html='<html><head></head><body dir="ltr"><div style="font-family: Calibri, Arial, Helvetica, sans-serif; font-size: 12pt;">Hola, ya funciona, gracias.</div>'
    '<div style="font-family: Calibri, Arial, Helvetica, sans-serif; font-size: 12pt;"><br></div><div id="Signature"><div>Laura Méndez</div><div>Coordinadora de Sistemas</div><div>Tel. +34 91 123 45 67</div></div>'
    '<div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">'
    "<b>De:</b> Support Team &lt;support@example.com&gt;<br><b>Enviado:</b> lunes, 30 de septiembre de 2024 16:12<br><b>Para:</b> Laura Méndez &lt;laura.mendez@empresa.example&gt;<br>"
    "<b>Asunto:</b> [SUP-311] Sync stops after the update</font><div>&nbsp;</div></div><div>" + old("es") + "</div></body></html>\n",
    expected="Hola, ya funciona, gracias.",
    sender=("Laura Méndez", "laura.mendez@empresa.example"),
    cte="qp",
)

case(
    "html_new_ticket_with_list",
    "html", "Outlook web", "en",
    html='<html><body><div>Hello,</div><div><br></div><div>Three problems since the update:</div><ul><li>the sync stops after ten minutes</li>'
    "<li>the tray icon stays grey</li><li>the log shows timeouts</li></ul><div>Could you help?</div><div><br></div><div>Thanks,</div><div>Dana</div></body></html>\n",
    expected="Hello,\n\nThree problems since the update:\n\n- the sync stops after ten minutes\n- the tray icon stays grey\n- the log shows timeouts\n\nCould you help?",
    subject="Three problems since the update",
    cte="qp",
)

case(
    "html_apple_inline_answers_in_quote",
    "html", "Apple Mail macOS", "en",
    html='<html><body style="overflow-wrap: break-word;"><div>See my answers below.</div><div><br></div><div><blockquote type="cite"><div>On 30 Sep 2024, at 16:12, Support Team &lt;support@example.com&gt; wrote:</div><br>'
    "<div>Which version of the desktop app are you on?</div></blockquote><div><br></div><div>4.2.1 on both.</div><div><br></div>"
    "<blockquote type=\"cite\"><div>Does the sync stop on every computer?</div></blockquote><div><br></div><div>Yes, every single one.</div><div><br></div>"
    "<blockquote type=\"cite\"><div>Best regards,</div><div>The Support Team</div></blockquote></div></body></html>\n",
    expected="See my answers below.\n\n> Which version of the desktop app are you on?\n\n4.2.1 on both.\n\n> Does the sync stop on every computer?\n\nYes, every single one.",
    sender=("Rosa Grant", "rosa.grant@me.example"),
    cte="qp",
)

case(
    "html_ja_outlook_block_iso2022",
    "html", "Outlook desktop", "ja",
    html=OUTLOOK_HEAD.replace("charset=utf-8", "charset=iso-2022-jp") + mso("お世話になっております。\n全台で発生しています。") + mso("")
    + outlook_block(["差出人:", "送信日時:", "宛先:", "件名:"], ["Support Team <support@example.com>", "2024年9月30日 16:12", "田中 太郎 <t.tanaka@kaisha.example>", "RE: [SUP-311] Sync stops after the update"])
    + mso("") + mso(OLD["ja"]) + "</div></body></html>\n",
    expected="お世話になっております。\n全台で発生しています。",
    sender=("田中 太郎", "t.tanaka@kaisha.example"),
    charset="iso-2022-jp",
    cte="7bit",
)
