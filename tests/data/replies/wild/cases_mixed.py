"""Forwards, inline and bottom-posted answers, nested quotes, mails that are all new text,
transfer encodings and charsets, and traps: text that only looks like a quote, a header
block, an attribution or a signature."""

from make_wild import case, q
from texts import OLD

ATTR = "On Mon, Sep 30, 2024 at 4:12 PM Support Team <support@example.com> wrote:\n"

# --- forwards -------------------------------------------------------------------------------

FWD_BODY = (
    "---------- Forwarded message ---------\nFrom: Billing <billing@vendor.example>\n"
    "Date: Fri, Sep 27, 2024 at 9:03 AM\nSubject: Invoice 2024-0917 overdue\nTo: <accounts@shop.example>\n\n\n"
    "Dear customer,\n\nOur records show that invoice 2024-0917 is 14 days overdue.\nPlease settle it by October 4.\n\nBilling department\n"
)

case(
    "fwd_gmail_forward_only",
    "forward", "Gmail", "en",
    plain=FWD_BODY,
    expected=FWD_BODY,
    subject="Fwd: Invoice 2024-0917 overdue",
    sender=("Accounts", "accounts@shop.example"),
)

case(
    "fwd_gmail_note_above",
    "forward", "Gmail", "en",
    plain="Could you check this? We paid it on the 20th.\n\n" + FWD_BODY,
    expected="Could you check this? We paid it on the 20th.\n\n" + FWD_BODY,
    subject="Fwd: Invoice 2024-0917 overdue",
    sender=("Irene Cho", "irene.cho@shop.example"),
)

APPLE_FWD = (
    "Begin forwarded message:\n\n"
    "From: Courier Tracking <noreply@courier.example>\nSubject: Your parcel is held at customs\n"
    "Date: 27 September 2024 at 08:15:02 CEST\nTo: Ruth Adler <ruth@adler.example>\n\n"
    "Your parcel 7731-5502 is held at customs. Please provide the commercial invoice.\n"
)

case(
    "fwd_apple_begin_forwarded",
    "forward", "Apple Mail macOS", "en",
    plain="Hi, the parcel with the replacement part is stuck, see below.\n\nRuth\n\n" + APPLE_FWD,
    expected="Hi, the parcel with the replacement part is stuck, see below.\n\n" + APPLE_FWD,
    subject="Fwd: Your parcel is held at customs",
    sender=("Ruth Adler", "ruth@adler.example"),
)

OUTLOOK_FWD = (
    "From: Alarm Center <alerts@monitor.example>\nSent: Friday, September 27, 2024 11:02 PM\n"
    "To: On-call <oncall@hosting.example>\nSubject: CRITICAL: disk /var 97% on web-03\n\n"
    "Host web-03, filesystem /var is 97% full.\n"
)

case(
    "fwd_outlook_fw_block",
    "forward", "Outlook desktop", "en",
    plain="FYI, this started right after the update.\n\n" + OUTLOOK_FWD,
    expected="FYI, this started right after the update.\n\n" + OUTLOOK_FWD,
    subject="FW: CRITICAL: disk /var 97% on web-03",
    sender=("Nate Ross", "nate.ross@hosting.example"),
)

DE_FWD = (
    "---------- Weitergeleitete Nachricht ---------\nVon: Shop <info@shop.example>\n"
    "Date: Fr., 27. Sept. 2024 um 09:03 Uhr\nSubject: Ihre Bestellung 55812\nTo: <frank@mail.example>\n\n\n"
    "Ihre Bestellung 55812 wurde storniert.\n"
)

case(
    "fwd_de_weitergeleitet",
    "forward", "Gmail", "de",
    plain="Hallo, warum wurde das storniert?\n\n" + DE_FWD,
    expected="Hallo, warum wurde das storniert?\n\n" + DE_FWD,
    subject="WG: Ihre Bestellung 55812",
    sender=("Frank Roth", "frank@mail.example"),
)

TB_FWD = (
    "-------- Message transféré --------\nSujet : \tPanne réseau bâtiment B\nDate : \tVen, 27 sep 2024 10:04:11 +0200\n"
    "De : \tTechnicien <tech@prestataire.example>\nPour : \taccueil@mairie.example\n\n\n"
    "Le réseau du bâtiment B sera coupé lundi de 8 h à 10 h.\n"
)

case(
    "fwd_fr_thunderbird_transfere",
    "forward", "Thunderbird", "fr",
    plain="Pour info, c'est peut-être lié à notre problème.\n\n" + TB_FWD,
    expected="Pour info, c'est peut-être lié à notre problème.\n\n" + TB_FWD,
    subject="Tr: Panne réseau bâtiment B",
    sender=("Accueil Mairie", "accueil@mairie.example"),
)

case(
    "fwd_inside_quote_removed",
    "forward", "Gmail", "en",
    plain="Thanks, I told the courier.\n\n" + ATTR + "\n" + q("See below, please advise.\n\n" + APPLE_FWD),
    expected="Thanks, I told the courier.",
    sender=("Ruth Adler", "ruth@adler.example"),
)

RU_FWD = (
    "-------- Пересылаемое сообщение --------\n27.09.2024, 09:03, \"Бухгалтерия\" <buh@postavshik.example>:\n\n"
    "Счёт № 417 не оплачен.\n\n-------- Конец пересылаемого сообщения --------\n"
)

case(
    "fwd_ru_yandex",
    "forward", "Yandex", "ru",
    plain="Посмотрите, пожалуйста, мы же оплатили.\n\n" + RU_FWD,
    expected="Посмотрите, пожалуйста, мы же оплатили.\n\n" + RU_FWD,
    subject="Fwd: Счёт № 417",
    sender=("Мария Соколова", "m.sokolova@yandex.ru"),
)

# --- inline, bottom-posted, nested ----------------------------------------------------------

case(
    "inline_three_answers",
    "inline", "Thunderbird", "en",
    plain="On 30/09/2024 16:12, Support Team wrote:\n> Hello,\n>\n> Which version of the app do you use?\n\n4.2.1\n\n"
    "> Does the sync stop on every computer?\n\nOnly on the laptop.\n\n> Did you change anything before it started?\n\nI moved the data folder to an external disk.\n\n"
    "> Best regards,\n> The Support Team\n",
    expected="> Which version of the app do you use?\n\n4.2.1\n\n> Does the sync stop on every computer?\n\nOnly on the laptop.\n\n"
    "> Did you change anything before it started?\n\nI moved the data folder to an external disk.",
    sender=("Hugo Blanc", "hugo.blanc@free.example"),
)

case(
    "inline_greeting_selected_quote_answer",
    "inline", "Thunderbird", "de",
    plain="Hallo Frau Keller,\n\nAm 30.09.2024 um 16:12 schrieb Support Team:\n> Bitte prüfen Sie, ob der Ordner auf einem Netzlaufwerk liegt.\n\n"
    "Ja, er liegt auf dem NAS im Keller. Das erklärt wohl einiges.\n\nViele Grüße\nRalf Engel\n",
    expected="Hallo Frau Keller,\n\n> Bitte prüfen Sie, ob der Ordner auf einem Netzlaufwerk liegt.\n\nJa, er liegt auf dem NAS im Keller. Das erklärt wohl einiges.",
    sender=("Ralf Engel", "ralf.engel@posteo.de"),
)

case(
    "inline_bottom_post_under_full_quote",
    "inline", "Gmail", "en",
    plain=ATTR + "\n" + q(OLD["en"]) + "\n\nIt is 4.2.1, and it stops on all three machines.\n",
    expected="It is 4.2.1, and it stops on all three machines.",
    sender=("Walter White", "walter.white@gmail.com"),
)

case(
    "inline_bottom_post_question_last",
    "inline", "mutt/neomutt", "en",
    plain="On Mon, Sep 30, 2024 at 04:12:44PM +0200, Support Team wrote:\n> Could you run the sync once with --verbose and send us the output?\n\n"
    "Here it is: it stops at \"uploading chunk 812/4096\" with a timeout.\n",
    expected="Here it is: it stops at \"uploading chunk 812/4096\" with a timeout.",
    sender=("Ines Moreau", "ines@moreau.example"),
)

case(
    "inline_nested_levels_top_post",
    "inline", "Gmail", "en",
    plain="Adding Priya, who owns the laptops.\n\n" + ATTR + "\n> Thanks. Can you tell us who manages those laptops?\n>\n"
    "> On Fri, Sep 27, 2024 at 10:01 AM Dana Whitfield <dana.whitfield@example.org> wrote:\n>\n>> The sync stops on our laptops only.\n>>\n"
    ">>> On Thu, Sep 26, 2024 at 8:00 AM Support Team <support@example.com> wrote:\n>>> Please describe the problem.\n",
    expected="Adding Priya, who owns the laptops.",
)

case(
    "inline_nested_no_space_markers",
    "inline", "other webmail", "en",
    plain="ok, closing this from our side.\n\n>Thanks for confirming.\n>\n>>It works now.\n>>\n>>>Did the restart help?\n",
    expected="ok, closing this from our side.",
    sender=("Dev Malik", "dev.malik@example.net"),
)

case(
    "inline_two_answers_with_signature",
    "inline", "mutt/neomutt", "fr",
    plain="Le lundi 30 sept. 2024 à 16:12:44 +0200, Support Team a écrit :\n> Quelle version de l'application utilisez-vous ?\n\nLa 4.2.1.\n\n"
    "> La synchronisation s'arrête-t-elle sur tous vos postes ?\n\nNon, seulement sur le portable.\n\n-- \nAmélie Roussel\n",
    expected="> Quelle version de l'application utilisez-vous ?\n\nLa 4.2.1.\n\n> La synchronisation s'arrête-t-elle sur tous vos postes ?\n\nNon, seulement sur le portable.",
    sender=("Amélie Roussel", "amelie@roussel.example"),
)

case(
    "inline_answer_between_paragraphs_es",
    "inline", "Thunderbird", "es",
    plain="El 30/9/24 a las 16:12, Support Team escribió:\n> ¿Qué versión de la aplicación usa?\n\nLa 4.2.1.\n\n"
    "> ¿Se detiene la sincronización en todos los equipos?\n\nSolo en el portátil de recepción.\n",
    expected="> ¿Qué versión de la aplicación usa?\n\nLa 4.2.1.\n\n> ¿Se detiene la sincronización en todos los equipos?\n\nSolo en el portátil de recepción.",
    sender=("Carmen Vidal", "carmen.vidal@correo.example"),
)

case(
    "inline_reply_both_above_and_below",
    "inline", "Gmail", "en",
    plain="Hi,\n\n" + ATTR + "> Can you send us the log file from the laptop?\n\nAttached, it is about 2 MB.\n\n"
    "> And the exact time it stopped?\n\nAround 14:05 yesterday.\n\nThanks,\nDana\n",
    expected="Hi,\n\n> Can you send us the log file from the laptop?\n\nAttached, it is about 2 MB.\n\n> And the exact time it stopped?\n\nAround 14:05 yesterday.",
)

case(
    "inline_top_post_with_quoted_signature_dashes",
    "inline", "Thunderbird", "en",
    plain="Thanks, it works.\n\nOn 30/09/2024 16:12, Support Team wrote:\n> Please update to 4.2.2.\n>\n> -- \n> Support Team\n> Example Ltd\n",
    expected="Thanks, it works.",
    sender=("Felix Hart", "felix@hart.example"),
)

case(
    "inline_space_before_quote_marker",
    "inline", "other webmail", "en",
    plain="Yes please go ahead with the migration on Friday.\n\n" + ATTR + " > Shall we migrate your account on Friday evening?\n >\n > Best regards,\n > The Support Team\n",
    expected="Yes please go ahead with the migration on Friday.",
    sender=("Ola Berg", "ola.berg@example.net"),
)

# --- all new text ---------------------------------------------------------------------------

case(
    "new_plain_paragraphs",
    "new_text", "Gmail", "en",
    plain="Hello,\n\nSince Tuesday the desktop app stops syncing after about ten minutes. The tray icon turns grey and\nnothing is uploaded until I restart it.\n\n"
    "We have 12 users on version 4.2.1, Windows 11. Only the laptops are affected.\n\nCould you have a look?\n\nThanks,\nDana Whitfield\n",
    expected="Hello,\n\nSince Tuesday the desktop app stops syncing after about ten minutes. The tray icon turns grey and\nnothing is uploaded until I restart it.\n\n"
    "We have 12 users on version 4.2.1, Windows 11. Only the laptops are affected.\n\nCould you have a look?",
    subject="Sync stops after ten minutes",
)

case(
    "new_list_and_steps",
    "new_text", "Thunderbird", "en",
    plain="Steps to reproduce:\n\n1. Open the app\n2. Add a folder with more than 10,000 files\n3. Wait\n\nExpected: sync completes.\nActual: sync stops at about 40%.\n\n"
    "- OS: Ubuntu 24.04\n- Version: 4.2.1\n",
    expected="Steps to reproduce:\n\n1. Open the app\n2. Add a folder with more than 10,000 files\n3. Wait\n\nExpected: sync completes.\nActual: sync stops at about 40%.\n\n"
    "- OS: Ubuntu 24.04\n- Version: 4.2.1",
    subject="Bug: sync stops at 40%",
    sender=("Oskar Lind", "oskar@lind.example"),
)

case(
    "new_code_block",
    "new_text", "mutt/neomutt", "en",
    plain="The daemon logs this before it stops:\n\n    2024-09-30T14:05:11Z ERROR upload: timeout after 30s\n    2024-09-30T14:05:11Z INFO  retry 1/3\n\n"
    "Config:\n\n    [sync]\n    chunk_size = 8M\n",
    expected="The daemon logs this before it stops:\n\n    2024-09-30T14:05:11Z ERROR upload: timeout after 30s\n    2024-09-30T14:05:11Z INFO  retry 1/3\n\n"
    "Config:\n\n    [sync]\n    chunk_size = 8M",
    subject="Timeouts in the daemon",
    sender=("Yann Kerr", "yann@kerr.example"),
)

case(
    "new_short_thanks_only",
    "new_text", "Apple Mail iOS", "en",
    plain="Thanks!\n",
    expected="Thanks!",
    sender=("Bea Long", "bea.long@icloud.com"),
)

case(
    "new_fr_long",
    "new_text", "Outlook web", "fr",
    plain="Bonjour,\n\nDepuis la mise à jour de lundi, l'application ne synchronise plus les dossiers partagés.\nLes fichiers personnels passent normalement.\n\n"
    "Pouvez-vous regarder rapidement ? C'est bloquant pour la paie.\n\nMerci d'avance,\nÉmilie Faure\nService RH\n",
    expected="Bonjour,\n\nDepuis la mise à jour de lundi, l'application ne synchronise plus les dossiers partagés.\nLes fichiers personnels passent normalement.\n\n"
    "Pouvez-vous regarder rapidement ? C'est bloquant pour la paie.",
    subject="Dossiers partagés non synchronisés",
    sender=("Émilie Faure", "e.faure@entreprise.example"),
)

case(
    "new_ja_polite",
    "new_text", "Outlook desktop", "ja",
    plain="サポートご担当者様\n\nいつもお世話になっております。\n昨日から共有フォルダの同期が止まっております。\nご確認のほど、よろしくお願いいたします。\n\n鈴木\n",
    expected="サポートご担当者様\n\nいつもお世話になっております。\n昨日から共有フォルダの同期が止まっております。\nご確認のほど、よろしくお願いいたします。",
    subject="共有フォルダの同期について",
    sender=("鈴木 花子", "h.suzuki@kaisha.example"),
    charset="iso-2022-jp",
    cte="7bit",
)

case(
    "new_de_with_greeting_lg",
    "new_text", "GMX/Web.de", "de",
    plain="Hallo,\n\nbei mir startet die App seit dem Update gar nicht mehr. Windows 10, Version 4.2.1.\n\nLG\nSabine\n",
    expected="Hallo,\n\nbei mir startet die App seit dem Update gar nicht mehr. Windows 10, Version 4.2.1.",
    subject="App startet nicht",
    sender=("Sabine Vogel", "sabine.vogel@web.de"),
)

case(
    "new_zh_plain",
    "new_text", "other webmail", "zh",
    plain="你好，\n\n升级到4.2.1以后，共享文件夹不能同步了，个人文件夹正常。请帮忙看一下。\n\n谢谢！\n刘洋\n",
    expected="你好，\n\n升级到4.2.1以后，共享文件夹不能同步了，个人文件夹正常。请帮忙看一下。",
    subject="共享文件夹不能同步",
    sender=("刘洋", "liu.yang@163.example"),
    charset="gb18030",
    cte="base64",
)

case(
    "new_keyword_line_kept",
    "new_text", "Gmail", "en",
    plain="#close\n\nAll good now, thank you.\n",
    expected="#close\n\nAll good now, thank you.",
    sender=("Dana Whitfield", "dana.whitfield@example.org"),
)

case(
    "new_ru_ticket",
    "new_text", "Mail.ru", "ru",
    plain="Здравствуйте!\n\nПосле обновления приложение перестало запускаться на Windows 10.\nПереустановка не помогает.\n\n--\nАнна Морозова\n",
    expected="Здравствуйте!\n\nПосле обновления приложение перестало запускаться на Windows 10.\nПереустановка не помогает.",
    subject="Не запускается приложение",
    sender=("Анна Морозова", "anna.morozova@mail.ru"),
)

# --- transfer encodings, charsets, line ends, whitespace ------------------------------------

case(
    "enc_base64_utf8_gmail",
    "encoding", "Gmail", "en",
    plain="Hi, it is version 4.2.1 — the “portable” build.\n\n" + ATTR + "\n" + q(OLD["en"]),
    expected="Hi, it is version 4.2.1 — the “portable” build.",
    cte="base64",
    alt=True,
)

case(
    "enc_qp_soft_break_in_attribution",
    "encoding", "Gmail", "fr",
    plain="C'est réglé, merci beaucoup !\n\nLe lun. 30 sept. 2024 à 16:12, Support Team <support@example.com> a écrit :\n\n" + q(OLD["fr"]),
    expected="C'est réglé, merci beaucoup !",
    cte="qp",
    sender=("Hélène Petit", "helene.petit@gmail.com"),
)

case(
    "enc_crlf_outlook",
    "encoding", "Outlook desktop", "en",
    plain="Still failing on the laptops.\n\nFrom: Support Team <support@example.com>\nSent: Monday, September 30, 2024 4:12 PM\nTo: Dana Whitfield\nSubject: RE: [SUP-311] Sync stops after the update\n\n" + OLD["en"],
    expected="Still failing on the laptops.",
    crlf=True,
    cte="qp",
    charset="windows-1252",
    alt=True,
)

case(
    "enc_crlf_base64_gmail_wrapped_attr",
    "encoding", "Gmail", "de",
    plain="Danke, jetzt läuft es wieder.\r\n\r\nAm Mo., 30. Sept. 2024 um 16:12 Uhr schrieb Support Team <\r\nsupport@example.com>:\r\n\r\n" + q(OLD["de"]).replace("\n", "\r\n"),
    expected="Danke, jetzt läuft es wieder.",
    crlf=True,
    cte="base64",
    sender=("Uwe Brandt", "uwe.brandt@gmail.com"),
)

case(
    "enc_latin1_8bit",
    "encoding", "Thunderbird", "es",
    plain="Sí, ya funciona. ¡Gracias!\n\nEl 30/9/24 a las 16:12, Support Team escribió:\n" + q(OLD["es"]),
    expected="Sí, ya funciona. ¡Gracias!",
    charset="iso-8859-1",
    cte="8bit",
    sender=("Íñigo Ortega", "inigo.ortega@correo.example"),
)

case(
    "enc_windows1251_qp_ru",
    "encoding", "Outlook desktop", "ru",
    plain="Спасибо, всё заработало.\n\n-----Original Message-----\nFrom: Support Team <support@example.com>\nSent: Monday, September 30, 2024 4:12 PM\n"
    "To: Борис Лебедев\nSubject: [SUP-311] Sync stops after the update\n\n" + OLD["ru"],
    expected="Спасибо, всё заработало.",
    charset="windows-1251",
    cte="qp",
    sender=("Борис Лебедев", "b.lebedev@firma.example"),
)

case(
    "enc_shift_jis_gmail",
    "encoding", "Gmail", "ja",
    plain="ご連絡ありがとうございます。直りました。\n\n2024年9月30日(月) 16:12 Support Team <support@example.com>:\n\n" + q(OLD["ja"]),
    expected="ご連絡ありがとうございます。直りました。",
    charset="shift_jis",
    cte="base64",
    sender=("高橋 健", "ken.takahashi@gmail.com"),
)

case(
    "enc_nbsp_and_tabs",
    "encoding", "Apple Mail macOS", "en",
    plain="Yes, every computer.\u00a0\n\t\n\u00a0\n> On 30 Sep 2024, at 16:12, Support Team <support@example.com> wrote:\n>\u00a0\n" + q(OLD["en"]),
    expected="Yes, every computer.",
    sender=("Rosa Grant", "rosa.grant@me.example"),
)

case(
    "enc_trailing_spaces_quote_lines",
    "encoding", "Outlook web", "en",
    plain="Thanks   \n   \n" + ATTR + "   \n" + "\n".join(l + "  " for l in q(OLD["en"]).split("\n")),
    expected="Thanks",
    sender=("Mo Hassan", "mo.hassan@outlook.com"),
)

case(
    "enc_bom_and_zero_width",
    "encoding", "other webmail", "en",
    plain="\ufeffThe fix works on all three PCs.\n\n" + ATTR + q(OLD["en"]),
    expected="The fix works on all three PCs.",
    sender=("Ana Lima", "ana.lima@example.net"),
)

case(
    "enc_koi8u_uk",
    "encoding", "Thunderbird", "uk",
    plain="Дякую, тепер усе працює.\n\n30.09.2024 16:12, Support Team пише:\n" + q(OLD["uk"]),
    expected="Дякую, тепер усе працює.",
    charset="koi8-u",
    cte="8bit",
    sender=("Тарас Бондар", "taras.bondar@ukr.net"),
)

case(
    "enc_iso2022jp_thunderbird",
    "encoding", "Thunderbird", "ja",
    plain="ありがとうございます。解決しました。\n\n2024/09/30 16:12, Support Team wrote:\n" + q(OLD["ja"]),
    expected="ありがとうございます。解決しました。",
    charset="iso-2022-jp",
    cte="7bit",
    sender=("中村 悠", "yu.nakamura@kaisha.example"),
)

case(
    "enc_cp1250_cs",
    "encoding", "Outlook desktop", "cs",
    plain="Děkuji, už to funguje.\n\n-----Původní zpráva-----\nOd: Support Team <support@example.com>\nOdesláno: pondělí 30. září 2024 16:12\n"
    "Komu: Lukáš Horák\nPředmět: [SUP-311] Sync stops after the update\n\n" + OLD["cs"],
    expected="Děkuji, už to funguje.",
    charset="windows-1250",
    cte="qp",
    sender=("Lukáš Horák", "lukas.horak@firma.example"),
)

case(
    "enc_mixed_line_ends",
    "encoding", "other webmail", "en",
    plain="Line one of my answer.\r\nLine two of my answer.\n\n" + ATTR.replace("\n", "\r\n") + q(OLD["en"]),
    expected="Line one of my answer.\nLine two of my answer.",
    sender=("Kai Roth", "kai.roth@example.net"),
)

# --- traps: looks like something it is not --------------------------------------------------

case(
    "trap_gt_five_users",
    "trap", "Gmail", "en",
    plain="Hi,\n\nThe problem is getting worse:\n> 5 users cannot log in since this morning\n< 2 minutes between failures\n\nPlease escalate.\n",
    expected="Hi,\n\nThe problem is getting worse:\n> 5 users cannot log in since this morning\n< 2 minutes between failures\n\nPlease escalate.",
    subject="Login failures",
)

case(
    "trap_from_the_marketing_team",
    "trap", "Outlook desktop", "en",
    plain="Hello,\n\nThe newsletter that went out today was signed\nFrom: the marketing team\nbut it should have come from the support team. Can the template be changed?\n",
    expected="Hello,\n\nThe newsletter that went out today was signed\nFrom: the marketing team\nbut it should have come from the support team. Can the template be changed?",
    subject="Newsletter template",
)

case(
    "trap_travel_from_to_date",
    "trap", "Gmail", "en",
    plain="Please book this trip for the on-site visit:\n\nFrom: Lyon\nTo: Hamburg\nDate: 14 October 2024\nSeats: 2\n\nThe engineer needs a hotel for two nights.\n",
    expected="Please book this trip for the on-site visit:\n\nFrom: Lyon\nTo: Hamburg\nDate: 14 October 2024\nSeats: 2\n\nThe engineer needs a hotel for two nights.",
    subject="Travel booking",
)

case(
    "trap_on_monday_line",
    "trap", "Gmail", "en",
    plain="On Monday the server crashed twice:\n\nfirst at 09:12, then again at 11:40.\n\nOn Tuesday it was fine.\n",
    expected="On Monday the server crashed twice:\n\nfirst at 09:12, then again at 11:40.\n\nOn Tuesday it was fine.",
    subject="Crashes",
)

case(
    "trap_technician_wrote",
    "trap", "Outlook desktop", "en",
    plain="Here is what the technician wrote in his report:\n\nThe power supply of the switch is faulty and must be replaced.\n\nCan you send a new one?\n",
    expected="Here is what the technician wrote in his report:\n\nThe power supply of the switch is faulty and must be replaced.\n\nCan you send a new one?",
    subject="Switch power supply",
)

case(
    "trap_sent_from_app_in_sentence",
    "trap", "Gmail", "en",
    plain="The notification was sent from my iPhone app, not from the website.\n\nIs that why it has no attachment?\n",
    expected="The notification was sent from my iPhone app, not from the website.\n\nIs that why it has no attachment?",
    subject="Notification without attachment",
)

case(
    "trap_regards_in_sentence",
    "trap", "Gmail", "en",
    plain="Best regards to your team for the quick fix last week.\n\nWith regards to the payment, we will pay the invoice on Friday.\n",
    expected="Best regards to your team for the quick fix last week.\n\nWith regards to the payment, we will pay the invoice on Friday.",
    subject="Invoice",
)

case(
    "trap_dash_list_names",
    "trap", "Gmail", "en",
    plain="Please give these people access to the shared folder:\n\n- Anna\n- Marc\n- Li\n",
    expected="Please give these people access to the shared folder:\n\n- Anna\n- Marc\n- Li",
    subject="Folder access",
)

case(
    "trap_underscore_rule_inside_text",
    "trap", "Outlook desktop", "en",
    plain="First part of my request: please add two licences.\n\n________________________________________________\n\nSecond part: please remove the licence of Tom.\n\nBest regards,\nGreta\n\n"
    + ATTR + q(OLD["en"]),
    expected="First part of my request: please add two licences.\n\n________________________________________________\n\nSecond part: please remove the licence of Tom.",
    sender=("Greta Holm", "greta.holm@firma.example"),
)

case(
    "trap_label_value_list",
    "trap", "Outlook desktop", "en",
    plain="Details of the failed order:\n\nOrder: 5521\nDate: 30 September 2024\nAmount: 140.00 EUR\nStatus: rejected\n\nWhy was it rejected?\n",
    expected="Details of the failed order:\n\nOrder: 5521\nDate: 30 September 2024\nAmount: 140.00 EUR\nStatus: rejected\n\nWhy was it rejected?",
    subject="Rejected order 5521",
)

case(
    "trap_log_with_date_and_address_colon",
    "trap", "Thunderbird", "en",
    plain="On 30/09/2024 at 14:05 the monitor sent this to ops@example.com:\n\n  CRITICAL sync-daemon stopped (exit 137)\n\nIs exit 137 the out-of-memory killer?\n",
    expected="On 30/09/2024 at 14:05 the monitor sent this to ops@example.com:\n\n  CRITICAL sync-daemon stopped (exit 137)\n\nIs exit 137 the out-of-memory killer?",
    subject="Exit 137",
    sender=("Pia Sand", "pia@sand.example"),
)

case(
    "trap_colleague_wrote_inline",
    "trap", "Gmail", "en",
    plain="My colleague wrote: \"the export is broken since Monday\". I can confirm it.\n",
    expected="My colleague wrote: \"the export is broken since Monday\". I can confirm it.",
)

case(
    "trap_double_dash_in_text",
    "trap", "Gmail", "en",
    plain="Run the installer with --repair -- then reboot.\nIf that fails -- and it might -- call us.\n",
    expected="Run the installer with --repair -- then reboot.\nIf that fails -- and it might -- call us.",
)

case(
    "trap_visit_link_gt_arrows",
    "trap", "other webmail", "en",
    plain="Visit the status page for updates...\n>>> >>>  https://status.example.com <<<\nIt is refreshed every minute.\n",
    expected="Visit the status page for updates...\n>>> >>>  https://status.example.com <<<\nIt is refreshed every minute.",
)

case(
    "trap_fr_le_lundi_deux_points",
    "trap", "Gmail", "fr",
    plain="Le lundi 30 septembre, le serveur a écrit ceci dans le journal :\n\n  erreur 504 sur /api/sync\n\nC'est normal ?\n",
    expected="Le lundi 30 septembre, le serveur a écrit ceci dans le journal :\n\n  erreur 504 sur /api/sync\n\nC'est normal ?",
    subject="Erreur 504",
    sender=("Paul Lemoine", "paul.lemoine@gmail.com"),
)

case(
    "trap_de_von_bis_zeiten",
    "trap", "GMX/Web.de", "de",
    plain="Hallo,\n\nbitte planen Sie die Wartung so:\n\nVon: Freitag 18 Uhr\nBis: Samstag 6 Uhr\nAn: alle Standorte\n\nDanke.\n",
    expected="Hallo,\n\nbitte planen Sie die Wartung so:\n\nVon: Freitag 18 Uhr\nBis: Samstag 6 Uhr\nAn: alle Standorte\n\nDanke.",
    subject="Wartungsfenster",
    sender=("Olaf Krüger", "olaf.krueger@web.de"),
)

case(
    "trap_thanks_sentence_end",
    "trap", "Gmail", "en",
    plain="Could you also enable the audit log for our account?\n\nThanks for looking into it so quickly\n",
    expected="Could you also enable the audit log for our account?\n\nThanks for looking into it so quickly",
)

case(
    "trap_short_lines_poem_like",
    "trap", "Gmail", "en",
    plain="Three things are missing in the report:\n\nRevenue\nRefunds\nTaxes\n",
    expected="Three things are missing in the report:\n\nRevenue\nRefunds\nTaxes",
)
