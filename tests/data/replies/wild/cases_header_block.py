"""Outlook-style header blocks (From / Sent / To / Subject and their translations), with and
without the separator line, bold or plain, wrapped recipient lists, and the "Original
Message" separators of many clients."""

from make_wild import case, q
from texts import OLD

SEP = "________________________________"


def block(labels, values):
    return "\n".join("%s %s" % (l, v) for l, v in zip(labels, values))


case(
    "hb_en_outlook_underscores",
    "header_block", "Outlook desktop", "en",
    plain="Hi,\n\nWe are on 4.2.1 and it only stops on the reception PC.\n\nThanks\nMaria\n\n"
    + SEP + "\n"
    "From: Support Team <support@example.com>\nSent: Monday, September 30, 2024 4:12 PM\n"
    "To: Maria Lopez <maria.lopez@clinic.example>\nSubject: RE: [SUP-311] Sync stops after the update\n\n"
    + OLD["en"],
    expected="Hi,\n\nWe are on 4.2.1 and it only stops on the reception PC.",
    sender=("Maria Lopez", "maria.lopez@clinic.example"),
    mailer="X-Mailer: Microsoft Outlook 16.0",
    alt=True,
)

case(
    "hb_en_no_separator_mailto",
    "header_block", "Outlook desktop", "en",
    plain="Confirmed, the fix works on all machines.\n\n"
    "From: Support Team [mailto:support@example.com]\nSent: Monday, September 30, 2024 4:12 PM\n"
    "To: Ops <ops@logistics.example>\nCc: Kim Yates; Lee Hart; Dev Patel; Sandra O'Neil; Bruno\nCosta; IT Service Desk\n"
    "Subject: RE: [SUP-311] Sync stops after the update\n\n" + OLD["en"],
    expected="Confirmed, the fix works on all machines.",
    sender=("Kim Yates", "kim.yates@logistics.example"),
)

case(
    "hb_en_bold_markdownish",
    "header_block", "Outlook web", "en",
    plain="Thanks, that did it.\n\n"
    "*From:* Support Team <support@example.com>\n*Sent:* Monday, September 30, 2024 16:12\n"
    "*To:* Ben Ward <ben.ward@example.net>\n*Subject:* RE: [SUP-311] Sync stops after the update\n\n"
    + OLD["en"],
    expected="Thanks, that did it.",
    sender=("Ben Ward", "ben.ward@example.net"),
)

case(
    "hb_en_markdown_double_star_on_behalf",
    "header_block", "helpdesk tools", "en",
    plain="Good morning,\n\nThe export now includes all rows.\n\n"
    "**From:** notifications=example.com@mg.example.com <notifications=example.com@mg.example.com> **On Behalf Of** Support Team\n"
    "**Sent:** 30 September 2024 16:12\n**To:** Finance <finance@retail.example>\n"
    "**Subject:** [SUP-311] Sync stops after the update\n\n" + OLD["en"],
    expected="Good morning,\n\nThe export now includes all rows.",
    sender=("Rita Moss", "rita.moss@retail.example"),
)

case(
    "hb_en_original_message_dashes",
    "header_block", "AOL", "en",
    plain="It is version 4.2.1.\n\n\n\n-----Original Message-----\nFrom: Support Team <support@example.com>\n"
    "To: wanda.k <wanda.k@aol.com>\nSent: Mon, Sep 30, 2024 4:12 pm\nSubject: [SUP-311] Sync stops after the update\n\n\n"
    + OLD["en"],
    expected="It is version 4.2.1.",
    sender=("Wanda K", "wanda.k@aol.com"),
)

case(
    "hb_en_zimbra_five_dashes_spaced",
    "header_block", "Zimbra", "en",
    plain="Restarted the service, all good now.\n\n----- Original Message -----\nFrom: \"Support Team\" <support@example.com>\n"
    "To: \"Nora Quinn\" <nquinn@campus.example.edu>\nSent: Monday, September 30, 2024 4:12:44 PM\n"
    "Subject: [SUP-311] Sync stops after the update\n\n" + OLD["en"],
    expected="Restarted the service, all good now.",
    sender=("Nora Quinn", "nquinn@campus.example.edu"),
    mailer="X-Mailer: Zimbra 9.0.0_GA_4546 (ZimbraWebClient - FF130 (Linux)/9.0.0_GA_4546)",
)

case(
    "hb_en_outlook_mac_date_label",
    "header_block", "Outlook desktop", "en",
    plain="Works again after the reboot. Cheers!\n\n"
    "From: Support Team <support@example.com>\nDate: Monday, 30 September 2024 at 16:12\n"
    "To: Sam Reid <sam.reid@studio.example>\nSubject: Re: [SUP-311] Sync stops after the update\n\n"
    + OLD["en"],
    expected="Works again after the reboot. Cheers!",
    sender=("Sam Reid", "sam.reid@studio.example"),
    mailer="User-Agent: Microsoft-MacOutlook/16.89.24091630",
)

case(
    "hb_en_samsung_original_message",
    "header_block", "Android mail apps", "en",
    plain="Yes it's every PC\n\n\n\nSent from my Samsung Galaxy smartphone.\n\n\n"
    "-------- Original message --------\nFrom: Support Team <support@example.com> \n"
    "Date: 30/09/2024  16:12  (GMT+01:00) \nTo: Ian Price <ian.price@gmail.com> \n"
    "Subject: [SUP-311] Sync stops after the update \n\n" + OLD["en"],
    expected="Yes it's every PC",
    sender=("Ian Price", "ian.price@gmail.com"),
)

case(
    "hb_de_von_gesendet",
    "header_block", "Outlook desktop", "de",
    plain="Hallo zusammen,\n\ndie Version ist 4.2.1. Betroffen sind alle Arbeitsplätze im zweiten Stock.\n\n"
    "Mit freundlichen Grüßen\n\nJürgen Hofmann\nTeamleiter IT\nMusterbau GmbH\nTel.: +49 30 1234567\n\n"
    "Von: Support Team <support@example.com>\nGesendet: Montag, 30. September 2024 16:12\n"
    "An: Hofmann, Jürgen <j.hofmann@musterbau.example>\nBetreff: AW: [SUP-311] Sync stops after the update\n\n"
    + OLD["de"],
    expected="Hallo zusammen,\n\ndie Version ist 4.2.1. Betroffen sind alle Arbeitsplätze im zweiten Stock.",
    sender=("Hofmann, Jürgen", "j.hofmann@musterbau.example"),
    cte="qp",
    charset="iso-8859-1",
)

case(
    "hb_de_gmx_gesendet_first",
    "header_block", "GMX/Web.de", "de",
    plain="Guten Tag,\n\nleider tritt der Fehler weiterhin auf.\n\nGruß\nHeinz\n\n\n"
    "Gesendet: Montag, 30. September 2024 um 16:12 Uhr\nVon: \"Support Team\" <support@example.com>\n"
    "An: heinz.mueller@gmx.de\nBetreff: [SUP-311] Sync stops after the update\n\n" + OLD["de"],
    expected="Guten Tag,\n\nleider tritt der Fehler weiterhin auf.",
    sender=("Heinz Müller", "heinz.mueller@gmx.de"),
)

case(
    "hb_fr_de_envoye",
    "header_block", "Outlook desktop", "fr",
    plain="Bonjour,\n\nNous sommes en 4.2.1, sur les trois postes.\n\nBien cordialement,\nSophie Martin\n\n"
    "De : Support Team <support@example.com>\nEnvoyé : lundi 30 septembre 2024 16:12\n"
    "À : Sophie Martin <s.martin@cabinet.example>\nObjet : RE: [SUP-311] Sync stops after the update\n\n"
    + OLD["fr"],
    expected="Bonjour,\n\nNous sommes en 4.2.1, sur les trois postes.",
    sender=("Sophie Martin", "s.martin@cabinet.example"),
)

case(
    "hb_fr_message_d_origine",
    "header_block", "Outlook desktop", "fr",
    plain="Le problème est résolu, merci.\n\n-----Message d'origine-----\nDe : Support Team [mailto:support@example.com] \n"
    "Envoyé : lundi 30 septembre 2024 16:12\nÀ : Luc Bernard\nObjet : [SUP-311] Sync stops after the update\n\n"
    + OLD["fr"],
    expected="Le problème est résolu, merci.",
    sender=("Luc Bernard", "luc.bernard@mairie.example"),
)

case(
    "hb_es_enviado_el",
    "header_block", "Outlook desktop", "es",
    plain="Buenos días,\n\nla versión es la 4.2.1 y ocurre en todos los equipos.\n\nSaludos,\nJavier\n\n"
    "De: Support Team <support@example.com>\nEnviado el: lunes, 30 de septiembre de 2024 16:12\n"
    "Para: Javier Ruiz <jruiz@empresa.example>\nAsunto: RE: [SUP-311] Sync stops after the update\n\n"
    + OLD["es"],
    expected="Buenos días,\n\nla versión es la 4.2.1 y ocurre en todos los equipos.",
    sender=("Javier Ruiz", "jruiz@empresa.example"),
)

case(
    "hb_it_da_inviato",
    "header_block", "Outlook desktop", "it",
    plain="Salve, la versione è la 4.2.1.\n\nDa: Support Team <support@example.com>\n"
    "Inviato: lunedì 30 settembre 2024 16:12\nA: Marco Ferrari <m.ferrari@studio.example>\n"
    "Oggetto: R: [SUP-311] Sync stops after the update\n\n" + OLD["it"],
    expected="Salve, la versione è la 4.2.1.",
    sender=("Marco Ferrari", "m.ferrari@studio.example"),
)

case(
    "hb_pt_enviada_em",
    "header_block", "Outlook desktop", "pt",
    plain="Bom dia,\n\nversão 4.2.1, em todas as máquinas.\n\n"
    "De: Support Team <support@example.com>\nEnviada em: segunda-feira, 30 de setembro de 2024 16:12\n"
    "Para: Ana Costa <ana.costa@empresa.example>\nAssunto: RES: [SUP-311] Sync stops after the update\n\n"
    + OLD["pt"],
    expected="Bom dia,\n\nversão 4.2.1, em todas as máquinas.",
    sender=("Ana Costa", "ana.costa@empresa.example"),
)

case(
    "hb_nl_van_verzonden",
    "header_block", "Outlook desktop", "nl",
    plain="Goedemiddag,\n\nHet gaat om versie 4.2.1 op alle laptops.\n\nMet vriendelijke groet,\n\nPieter Jansen\n\n"
    "Van: Support Team <support@example.com>\nVerzonden: maandag 30 september 2024 16:12\n"
    "Aan: Pieter Jansen <p.jansen@gemeente.example>\nOnderwerp: RE: [SUP-311] Sync stops after the update\n\n"
    + OLD["nl"],
    expected="Goedemiddag,\n\nHet gaat om versie 4.2.1 op alle laptops.",
    sender=("Pieter Jansen", "p.jansen@gemeente.example"),
)

case(
    "hb_sv_fran_skickat",
    "header_block", "Outlook desktop", "sv",
    plain="Hej, det är 4.2.1 på alla datorer.\n\n" + SEP + "\n"
    "Från: Support Team <support@example.com>\nSkickat: den 30 september 2024 16:12\n"
    "Till: Anna Berg <anna.berg@kommun.example>\nÄmne: SV: [SUP-311] Sync stops after the update\n\n"
    + OLD["sv"],
    expected="Hej, det är 4.2.1 på alla datorer.",
    sender=("Anna Berg", "anna.berg@kommun.example"),
)

case(
    "hb_da_oprindelig_besked_dato",
    "header_block", "Android mail apps", "da",
    plain="Det virker nu, tak.\n\n-------- Oprindelig besked --------\nFra: Support Team <support@example.com>\n"
    "Dato: 30.09.2024  16.12  (GMT+01:00)\nTil: jens@firma.example\nEmne: [SUP-311] Sync stops after the update\n\n"
    + OLD["da"],
    expected="Det virker nu, tak.",
    sender=("Jens Poulsen", "jens@firma.example"),
)

case(
    "hb_fi_lahettaja",
    "header_block", "Outlook desktop", "fi",
    plain="Hei, versio 4.2.1 ja kaikilla koneilla.\n\nLähettäjä: Support Team <support@example.com>\n"
    "Lähetetty: maanantai 30. syyskuuta 2024 16.12\nVastaanottaja: Laura Nieminen <laura.nieminen@yritys.example>\n"
    "Aihe: VS: [SUP-311] Sync stops after the update\n\n" + OLD["fi"],
    expected="Hei, versio 4.2.1 ja kaikilla koneilla.",
    sender=("Laura Nieminen", "laura.nieminen@yritys.example"),
)

case(
    "hb_pl_od_wyslano",
    "header_block", "Outlook desktop", "pl",
    plain="Dzień dobry, wersja 4.2.1 na wszystkich stanowiskach.\n\nOd: Support Team <support@example.com>\n"
    "Wysłano: poniedziałek, 30 września 2024 16:12\nDo: Marta Zielińska <m.zielinska@firma.example>\n"
    "Temat: RE: [SUP-311] Sync stops after the update\n\n" + OLD["pl"],
    expected="Dzień dobry, wersja 4.2.1 na wszystkich stanowiskach.",
    sender=("Marta Zielińska", "m.zielinska@firma.example"),
    charset="iso-8859-2",
    cte="qp",
)

case(
    "hb_cs_puvodni_zprava_underscored",
    "header_block", "other webmail", "cs",
    plain="Dobrý den, už to funguje.\n\n______________________________________________________________\n"
    "> Od: \"Support Team\" <support@example.com>\n> Komu: <petr.novak@seznam.cz>\n> Datum: 30.09.2024 16:12\n"
    "> Předmět: [SUP-311] Sync stops after the update\n>\n" + q(OLD["cs"]),
    expected="Dobrý den, už to funguje.",
    sender=("Petr Novák", "petr.novak@seznam.cz"),
)

case(
    "hb_hu_felado_elkuldve",
    "header_block", "Outlook desktop", "hu",
    plain="Üdv, 4.2.1 mindegyik gépen.\n\nFeladó: Support Team <support@example.com>\n"
    "Elküldve: 2024. szeptember 30., hétfő 16:12\nCímzett: Nagy Anna <nagy.anna@ceg.example>\n"
    "Tárgy: RE: [SUP-311] Sync stops after the update\n\n" + OLD["hu"],
    expected="Üdv, 4.2.1 mindegyik gépen.",
    sender=("Nagy Anna", "nagy.anna@ceg.example"),
)

case(
    "hb_ru_ot_otpravleno",
    "header_block", "Outlook desktop", "ru",
    plain="Добрый день, версия 4.2.1 на всех рабочих местах.\n\n"
    "От: Support Team <support@example.com>\nОтправлено: 30 сентября 2024 г. 16:12\n"
    "Кому: Петров Иван <i.petrov@zavod.example>\nТема: RE: [SUP-311] Sync stops after the update\n\n"
    + OLD["ru"],
    expected="Добрый день, версия 4.2.1 на всех рабочих местах.",
    sender=("Петров Иван", "i.petrov@zavod.example"),
    charset="windows-1251",
)

case(
    "hb_ru_isxodnoe_soobshchenie",
    "header_block", "Outlook desktop", "ru",
    plain="Проблема решена, спасибо.\n\n-----Исходное сообщение-----\nОт: Support Team [mailto:support@example.com] \n"
    "Отправлено: понедельник, 30 сентября 2024 г. 16:12\nКому: Сидоров Павел\nТема: [SUP-311] Sync stops after the update\n\n"
    + OLD["ru"],
    expected="Проблема решена, спасибо.",
    sender=("Сидоров Павел", "p.sidorov@zavod.example"),
    charset="koi8-r",
)

case(
    "hb_uk_vid_nadislano",
    "header_block", "Outlook desktop", "uk",
    plain="Вітаю, версія 4.2.1, на всіх комп'ютерах.\n\nВід: Support Team <support@example.com>\n"
    "Надіслано: 30 вересня 2024 р. 16:12\nКому: Іван Шевченко <i.shevchenko@firma.example>\n"
    "Тема: RE: [SUP-311] Sync stops after the update\n\n" + OLD["uk"],
    expected="Вітаю, версія 4.2.1, на всіх комп'ютерах.",
    sender=("Іван Шевченко", "i.shevchenko@firma.example"),
)

case(
    "hb_tr_kimden_gonderildi",
    "header_block", "Outlook desktop", "tr",
    plain="Merhaba, tüm bilgisayarlarda 4.2.1 var.\n\nKimden: Support Team <support@example.com>\n"
    "Gönderildi: 30 Eylül 2024 Pazartesi 16:12\nKime: Mehmet Demir <mehmet.demir@firma.example>\n"
    "Konu: YNT: [SUP-311] Sync stops after the update\n\n" + OLD["tr"],
    expected="Merhaba, tüm bilgisayarlarda 4.2.1 var.",
    sender=("Mehmet Demir", "mehmet.demir@firma.example"),
    charset="iso-8859-9",
)

case(
    "hb_ja_sashidashinin",
    "header_block", "Outlook desktop", "ja",
    plain="お世話になっております。\nバージョンは4.2.1で、全台で発生しています。\n\n"
    "差出人: Support Team <support@example.com>\n送信日時: 2024年9月30日 16:12\n"
    "宛先: 田中 太郎 <t.tanaka@kaisha.example>\n件名: RE: [SUP-311] Sync stops after the update\n\n"
    + OLD["ja"],
    expected="お世話になっております。\nバージョンは4.2.1で、全台で発生しています。",
    sender=("田中 太郎", "t.tanaka@kaisha.example"),
    charset="iso-2022-jp",
    cte="7bit",
)

case(
    "hb_zh_fajianren",
    "header_block", "Outlook desktop", "zh",
    plain="您好，所有电脑都是4.2.1版本。\n\n发件人: Support Team <support@example.com>\n"
    "发送时间: 2024年9月30日 16:12\n收件人: 张伟 <zhang.wei@gongsi.example>\n"
    "主题: 答复: [SUP-311] Sync stops after the update\n\n" + OLD["zh"],
    expected="您好，所有电脑都是4.2.1版本。",
    sender=("张伟", "zhang.wei@gongsi.example"),
    charset="gb2312",
    cte="base64",
)

case(
    "hb_zh_tw_jijianzhe",
    "header_block", "Outlook desktop", "zh",
    plain="您好，我們用的是4.2.1版。\n\n寄件者: Support Team <support@example.com>\n"
    "寄件日期: 2024年9月30日 下午 04:12\n收件者: 陳美玲 <meiling.chen@gongsi.example>\n"
    "主旨: 回覆: [SUP-311] Sync stops after the update\n\n" + OLD["zh_tw"],
    expected="您好，我們用的是4.2.1版。",
    sender=("陳美玲", "meiling.chen@gongsi.example"),
    charset="big5",
    cte="base64",
)

case(
    "hb_ko_bonaen_saram",
    "header_block", "Outlook desktop", "ko",
    plain="안녕하세요, 모든 PC가 4.2.1입니다.\n\n보낸 사람: Support Team <support@example.com>\n"
    "보낸 날짜: 2024년 9월 30일 월요일 오후 4:12\n받는 사람: 이서연 <seoyeon.lee@hoesa.example>\n"
    "제목: RE: [SUP-311] Sync stops after the update\n\n" + OLD["ko"],
    expected="안녕하세요, 모든 PC가 4.2.1입니다.",
    sender=("이서연", "seoyeon.lee@hoesa.example"),
    charset="euc-kr",
    cte="base64",
)

case(
    "hb_ar_min_tamma",
    "header_block", "Outlook desktop", "ar",
    plain="مرحبًا، الإصدار 4.2.1 على جميع الأجهزة.\n\nمن: Support Team <support@example.com>\n"
    "تم الإرسال: الاثنين، 30 سبتمبر 2024 04:12 م\nإلى: سارة علي <sara.ali@sharika.example>\n"
    "الموضوع: RE: [SUP-311] Sync stops after the update\n\n" + OLD["ar"],
    expected="مرحبًا، الإصدار 4.2.1 على جميع الأجهزة.",
    sender=("سارة علي", "sara.ali@sharika.example"),
    charset="windows-1256",
    cte="qp",
)

case(
    "hb_he_meet_nishlach",
    "header_block", "Outlook desktop", "he",
    plain="שלום, גרסה 4.2.1 בכל המחשבים.\n\nמאת: Support Team <support@example.com>\n"
    "נשלח: יום שני 30 ספטמבר 2024 16:12\nאל: דוד כהן <david.cohen@chevra.example>\n"
    "נושא: RE: [SUP-311] Sync stops after the update\n\n" + OLD["he"],
    expected="שלום, גרסה 4.2.1 בכל המחשבים.",
    sender=("דוד כהן", "david.cohen@chevra.example"),
    charset="windows-1255",
    cte="qp",
)

case(
    "hb_el_apo_staltike",
    "header_block", "Outlook desktop", "el",
    plain="Καλημέρα, 4.2.1 σε όλους τους υπολογιστές.\n\nΑπό: Support Team <support@example.com>\n"
    "Στάλθηκε: Δευτέρα, 30 Σεπτεμβρίου 2024 4:12 μμ\nΠρος: Μαρία Νικολάου <m.nikolaou@etaireia.example>\n"
    "Θέμα: RE: [SUP-311] Sync stops after the update\n\n" + OLD["el"],
    expected="Καλημέρα, 4.2.1 σε όλους τους υπολογιστές.",
    sender=("Μαρία Νικολάου", "m.nikolaou@etaireia.example"),
    charset="iso-8859-7",
    cte="qp",
)

case(
    "hb_ro_de_la_trimis",
    "header_block", "Outlook desktop", "ro",
    plain="Bună, 4.2.1 pe toate calculatoarele.\n\nDe la: Support Team <support@example.com>\n"
    "Trimis: luni, 30 septembrie 2024 16:12\nCătre: Ioana Marin <ioana.marin@firma.example>\n"
    "Subiect: RE: [SUP-311] Sync stops after the update\n\n" + OLD["ro"],
    expected="Bună, 4.2.1 pe toate calculatoarele.",
    sender=("Ioana Marin", "ioana.marin@firma.example"),
)

case(
    "hb_en_bare_dash_line_left",
    "header_block", "Outlook desktop", "en",
    plain="The report runs fine now.\n\n------------------------------\n\n"
    "From: Support Team\nSent: 30 September 2024 16:12\nTo: Paul Grant\nSubject: RE: [SUP-311] Sync stops after the update\n\n"
    + OLD["en"],
    expected="The report runs fine now.",
    sender=("Paul Grant", "paul.grant@council.example"),
)

case(
    "hb_en_quoted_header_hotmail",
    "header_block", "Outlook web", "en",
    plain="\nIt happens on both.\n\n> Subject: [SUP-311] Sync stops after the update\n> From: support@example.com\n"
    "> To: zoe_h@hotmail.com\n> Date: Mon, 30 Sep 2024 16:12:44 +0200\n>\n" + q(OLD["en"]),
    expected="It happens on both.",
    sender=("Zoe Hunt", "zoe_h@hotmail.com"),
)
