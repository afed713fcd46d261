"""Attribution lines as clients write them: wrapped, without a colon, date first, no verb,
in Latin, Cyrillic, Greek, CJK and right-to-left scripts; quotes with and without `>`."""

from make_wild import case, q
from texts import OLD

case(
    "attr_gmail_en_wrapped_address",
    "attribution", "Gmail", "en",
    plain="Version 4.2.1 on both laptops, and yes, it stops on both.\n\n"
    "On Mon, Sep 30, 2024 at 4:12 PM Support Team <\nsupport+tickets@example.com> wrote:\n\n" + q(OLD["en"]),
    expected="Version 4.2.1 on both laptops, and yes, it stops on both.",
    sender=("Priya Natarajan", "priya.n@gmail.com"),
    alt=True,
)

case(
    "attr_gmail_en_wrote_on_next_line",
    "attribution", "Gmail", "en",
    plain="It is 4.2.1. Only the office PC is affected, the home one is fine.\n\n"
    "On Mon, Sep 30, 2024 at 4:12 PM The Example Company Support Team <support@example.com>\nwrote:\n\n" + q(OLD["en"]),
    expected="It is 4.2.1. Only the office PC is affected, the home one is fine.",
    sender=("Tom Becker", "tbecker@gmail.com"),
)

case(
    "attr_gmail_date_first_gmt",
    "attribution", "Gmail", "en",
    plain="Reinstalling did not help, same freeze after about ten minutes.\n\n"
    "2024-09-30 16:12 GMT+02:00 Support Team <support@example.com>:\n\n" + q(OLD["en"]),
    expected="Reinstalling did not help, same freeze after about ten minutes.",
    sender=("Ola Nordmann", "ola.nordmann@gmail.com"),
)

case(
    "attr_gmail_date_first_wrapped",
    "attribution", "Gmail", "en",
    plain="Attached the log you asked for.\n\n"
    "2024-09-30 16:12 GMT+02:00 Support Team <\nsupport-replies-8c21f0@mail.example.com>:\n\n" + q(OLD["en"]),
    expected="Attached the log you asked for.",
    sender=("Marco Rossi", "marco.rossi@gmail.com"),
)

case(
    "attr_outlook_ios_leading_space",
    "attribution", "Outlook mobile", "en",
    plain="Sounds good, I will try the beta tonight.\n"
    " On Mon, Sep 30, 2024 at 4:12 PM, \"Support Team\" <\nsupport@example.com> wrote:\n\n\n" + q(OLD["en"]),
    expected="Sounds good, I will try the beta tonight.",
    sender=("Chris Ellison", "c.ellison@outlook.com"),
)

case(
    "attr_no_colon_wrote",
    "attribution", "other webmail", "en",
    plain="Done, the sync icon is green again.\n\n"
    "On 30/09/2024 16:12, Support Team wrote\n\n" + q(OLD["en"]),
    expected="Done, the sync icon is green again.",
    sender=("Helen Park", "helen@parkdesign.example"),
)

case(
    "attr_zoho_dashes",
    "attribution", "Zoho Mail", "en",
    plain="The error comes back every morning at 9.\n\n"
    "---- On Mon, 30 Sep 2024 16:12:44 +0200 Support Team <support@example.com> wrote ----\n\n"
    + OLD["en"],
    expected="The error comes back every morning at 9.",
    sender=("Ravi Kumar", "ravi.kumar@zohomail.in"),
)

case(
    "attr_proton_ordinal_date",
    "attribution", "Proton Mail", "en",
    plain="Yes, every computer. I tried three.\n\n"
    "Sent with Proton Mail secure email.\n\n"
    "On Monday, September 30th, 2024 at 16:12, Support Team <support@example.com> wrote:\n\n"
    + q(OLD["en"]),
    expected="Yes, every computer. I tried three.",
    sender=("", "k9x2@proton.me"),
)

case(
    "attr_mutt_star_form",
    "attribution", "mutt/neomutt", "en",
    plain="* Support Team <support@example.com> [2024-09-30 16:12 +0200]:\n" + q(OLD["en"])
    + "\n\nSync runs from a cron job, version 4.1.0. It stops on the server only.\n",
    expected="Sync runs from a cron job, version 4.1.0. It stops on the server only.",
    sender=("Jakob Meier", "jakob@meier.example"),
    mailer="User-Agent: NeoMutt/20220429",
)

case(
    "attr_lotus_wrote_on",
    "attribution", "Lotus Notes", "en",
    plain="We use 4.2.0, rolled out by IT last week.\n\nRegards\nGordon\n\n\n\n"
    "Support Team <support@example.com> wrote on 30/09/2024 16:12:44:\n\n"
    + q(OLD["en"]),
    expected="We use 4.2.0, rolled out by IT last week.",
    sender=("Gordon Blake", "gordon.blake@bigcorp.example"),
    mailer="X-Mailer: Lotus Notes Release 9.0.1FP10 January 20, 2018",
)

case(
    "attr_de_gmail_schrieb_wrapped",
    "attribution", "Gmail", "de",
    plain="Hallo,\n\nwir nutzen 4.2.1, und es betrifft alle drei Rechner im Büro.\n\nViele Grüße\nAnja\n\n"
    "Am Mo., 30. Sept. 2024 um 16:12 Uhr schrieb Support Team <\nsupport@example.com>:\n\n"
    + q(OLD["de"]),
    expected="Hallo,\n\nwir nutzen 4.2.1, und es betrifft alle drei Rechner im Büro.",
    sender=("Anja Schulz", "anja.schulz@gmail.com"),
)

case(
    "attr_de_date_name_split",
    "attribution", "Gmail", "de",
    plain="Das Update hat geholfen, danke!\n\n"
    "Support Team <support@example.com> schrieb am Mo., 30.\nSept. 2024, 16:12:\n\n"
    + q(OLD["de"]),
    expected="Das Update hat geholfen, danke!",
    sender=("Lukas Wagner", "lukas.wagner@web.de"),
)

case(
    "attr_de_yahoo_folgendes",
    "attribution", "Yahoo", "de",
    plain="Es ist die Version 4.2.1.\n\n\n\n"
    "Am Montag, 30. September 2024 um 16:12:44 MESZ hat Support Team <support@example.com> Folgendes geschrieben:\n\n"
    + OLD["de"],
    expected="Es ist die Version 4.2.1.",
    sender=("Petra Koch", "petra.koch@yahoo.de"),
)

case(
    "attr_fr_thunderbird_nbsp",
    "attribution", "Thunderbird", "fr",
    plain="Bonjour,\n\nC'est la 4.2.1, et seulement sur le poste du secrétariat.\n\n"
    "Le 30/09/2024 à 16:12, Support Team a\u00a0écrit\u00a0:\n" + q(OLD["fr"]),
    expected="Bonjour,\n\nC'est la 4.2.1, et seulement sur le poste du secrétariat.",
    sender=("Claire Dubois", "claire.dubois@orange.fr"),
    mailer="User-Agent: Mozilla Thunderbird",
)

case(
    "attr_es_gmail_parenthesised_address",
    "attribution", "Gmail", "es",
    plain="Hola, uso la versión 4.2.1 y pasa en los dos portátiles.\n\n"
    "El lun, 30 sept 2024 a las 16:12, Support Team (<support@example.com>)\nescribió:\n\n"
    + q(OLD["es"]),
    expected="Hola, uso la versión 4.2.1 y pasa en los dos portátiles.",
    sender=("Lucía Fernández", "lucia.fdez@gmail.com"),
)

case(
    "attr_it_gmail_il_giorno",
    "attribution", "Gmail", "it",
    plain="Buongiorno, la versione è la 4.2.1, succede solo sul portatile.\n\n"
    "Il giorno lun 30 set 2024 alle ore 16:12 Support Team <support@example.com>\nha scritto:\n\n"
    + q(OLD["it"]),
    expected="Buongiorno, la versione è la 4.2.1, succede solo sul portatile.",
    sender=("Giulia Bianchi", "giulia.bianchi@gmail.com"),
)

case(
    "attr_pt_br_em_escreveu",
    "attribution", "Gmail", "pt",
    plain="Oi, é a versão 4.2.1 e acontece em todos.\n\n"
    "Em seg., 30 de set. de 2024 às 16:12, Support Team <support@example.com>\nescreveu:\n\n"
    + q(OLD["pt"]),
    expected="Oi, é a versão 4.2.1 e acontece em todos.",
    sender=("Rafael Souza", "rafael.souza@gmail.com"),
)

case(
    "attr_nl_apple_het_volgende",
    "attribution", "Apple Mail macOS", "nl",
    plain="Versie 4.2.1, alleen op de iMac.\n\n"
    "> Op 30 sep 2024, om 16:12 heeft Support Team <support@example.com> het volgende geschreven:\n>\n"
    + q(OLD["nl"]),
    expected="Versie 4.2.1, alleen op de iMac.",
    sender=("Sanne de Vries", "sanne@devries.example"),
    mailer="X-Mailer: Apple Mail (2.3774.600.62)",
)

case(
    "attr_sv_den_skrev",
    "attribution", "Gmail", "sv",
    plain="Hej! Vi kör 4.2.1 och det gäller alla datorer.\n\n"
    "Den mån 30 sep. 2024 kl 16:12 skrev Support Team <support@example.com>:\n\n"
    + q(OLD["sv"]),
    expected="Hej! Vi kör 4.2.1 och det gäller alla datorer.",
    sender=("Erik Lindqvist", "erik.lindqvist@gmail.com"),
)

case(
    "attr_da_kl_dot_time",
    "attribution", "Gmail", "da",
    plain="Hej, det er version 4.2.1 på alle tre maskiner.\n\n"
    "Den man. 30. sep. 2024 kl. 16.12 skrev Support Team <support@example.com>:\n\n"
    + q(OLD["da"]),
    expected="Hej, det er version 4.2.1 på alle tre maskiner.",
    sender=("Mette Hansen", "mette.hansen@gmail.com"),
)

case(
    "attr_nb_lowercase_day",
    "attribution", "Gmail", "nb",
    plain="Hei, vi bruker 4.2.1. Bare den ene maskinen har problemet.\n\n"
    "man. 30. sep. 2024 kl. 16:12 skrev Support Team <support@example.com>:\n\n"
    + q(OLD["nb"]),
    expected="Hei, vi bruker 4.2.1. Bare den ene maskinen har problemet.",
    sender=("Kari Olsen", "kari.olsen@gmail.com"),
)

case(
    "attr_fi_kirjoitti_parenthesis_unquoted",
    "attribution", "Gmail", "fi",
    plain="Versio on 4.2.1, ja ongelma on vain kannettavassa.\n\n"
    "ma 30. syysk. 2024 klo 16.12 Support Team (support@example.com)\nkirjoitti:\n\n"
    + OLD["fi"],
    expected="Versio on 4.2.1, ja ongelma on vain kannettavassa.",
    sender=("Mikko Virtanen", "mikko.virtanen@gmail.com"),
)

case(
    "attr_pl_dnia_napisal_a",
    "attribution", "other webmail", "pl",
    plain="Dzień dobry, wersja 4.2.1, problem jest tylko na laptopie.\n\n"
    "Dnia 30 września 2024 16:12 Support Team <support@example.com> napisał(a):\n\n"
    + q(OLD["pl"]),
    expected="Dzień dobry, wersja 4.2.1, problem jest tylko na laptopie.",
    sender=("Tomasz Nowak", "tomasz.nowak@wp.pl"),
)

case(
    "attr_cs_odesilatel_napsal",
    "attribution", "Gmail", "cs",
    plain="Dobrý den, používám verzi 4.2.1 a týká se to všech počítačů.\n\n"
    "po 30. 9. 2024 v 16:12 odesílatel Support Team <support@example.com>\nnapsal:\n\n"
    + q(OLD["cs"]),
    expected="Dobrý den, používám verzi 4.2.1 a týká se to všech počítačů.",
    sender=("Jana Dvořáková", "jana.dvorakova@gmail.com"),
)

case(
    "attr_hu_ezt_irta_name_first",
    "attribution", "Gmail", "hu",
    plain="Szia, a 4.2.1-es verziót használom, csak a laptopon van gond.\n\n"
    "Support Team <support@example.com> ezt írta (időpont: 2024. szept. 30., H,\n16:12):\n\n"
    + q(OLD["hu"]),
    expected="Szia, a 4.2.1-es verziót használom, csak a laptopon van gond.",
    sender=("Kovács Péter", "kovacs.peter@gmail.com"),
)

case(
    "attr_ru_gmail_no_verb",
    "attribution", "Gmail", "ru",
    plain="Версия 4.2.1, синхронизация останавливается на всех трёх компьютерах.\n\n"
    "пн, 30 сент. 2024 г. в 16:12, Support Team <support@example.com>:\n\n"
    + q(OLD["ru"]),
    expected="Версия 4.2.1, синхронизация останавливается на всех трёх компьютерах.",
    sender=("Алексей Смирнов", "a.smirnov@gmail.com"),
)

case(
    "attr_ru_mailru_ot",
    "attribution", "Mail.ru", "ru",
    plain="Добрый день, переустановка не помогла.\n\n\n"
    "Понедельник, 30 сентября 2024, 16:12 +03:00 от Support Team <support@example.com>:\n"
    + q(OLD["ru"]),
    expected="Добрый день, переустановка не помогла.",
    sender=("Ольга Иванова", "olga.ivanova@mail.ru"),
)

case(
    "attr_ru_yandex_date_comma_quoted_name",
    "attribution", "Yandex", "ru",
    plain="Здравствуйте! Только на ноутбуке, на рабочем всё нормально.\n\n"
    "30.09.2024, 16:12, \"Support Team\" <support@example.com>:\n" + q(OLD["ru"]),
    expected="Здравствуйте! Только на ноутбуке, на рабочем всё нормально.",
    sender=("Дмитрий Кузнецов", "dkuznetsov@yandex.ru"),
)

case(
    "attr_uk_pyshe",
    "attribution", "Gmail", "uk",
    plain="Версія 4.2.1, проблема лише на ноутбуці.\n\n"
    "пн, 30 вер. 2024 р. о 16:12 Support Team <support@example.com> пише:\n\n"
    + q(OLD["uk"]),
    expected="Версія 4.2.1, проблема лише на ноутбуці.",
    sender=("Олена Коваленко", "olena.kovalenko@ukr.net"),
)

case(
    "attr_tr_tarihinde_yazdi",
    "attribution", "Gmail", "tr",
    plain="Merhaba, 4.2.1 sürümünü kullanıyorum, sadece dizüstünde oluyor.\n\n"
    "Support Team <support@example.com>, 30 Eyl 2024 Pzt, 16:12 tarihinde şunu\nyazdı:\n\n"
    + q(OLD["tr"]),
    expected="Merhaba, 4.2.1 sürümünü kullanıyorum, sadece dizüstünde oluyor.",
    sender=("Ayşe Yılmaz", "ayse.yilmaz@gmail.com"),
)

case(
    "attr_ja_gmail_date_paren_weekday",
    "attribution", "Gmail", "ja",
    plain="バージョンは4.2.1です。会社のパソコンだけで止まります。\n\n"
    "2024年9月30日(月) 16:12 Support Team <support@example.com>:\n\n" + q(OLD["ja"]),
    expected="バージョンは4.2.1です。会社のパソコンだけで止まります。",
    sender=("佐藤 花子", "hanako.sato@gmail.com"),
)

case(
    "attr_ja_apple_no_message",
    "attribution", "Apple Mail iOS", "ja",
    plain="再起動したら直りました。ありがとうございました。\n\n"
    "iPhoneから送信\n\n"
    "> 2024/09/30 16:12、Support Team <support@example.com>のメール:\n>\n" + q(OLD["ja"]),
    expected="再起動したら直りました。ありがとうございました。",
    sender=("鈴木 一郎", "ichiro.suzuki@icloud.com"),
)

case(
    "attr_zh_gmail_yu_xiedao",
    "attribution", "Gmail", "zh",
    plain="版本是4.2.1，只有笔记本电脑上出现这个问题。\n\n"
    "Support Team <support@example.com> 于2024年9月30日周一 16:12写道：\n\n" + q(OLD["zh"]),
    expected="版本是4.2.1，只有笔记本电脑上出现这个问题。",
    sender=("王伟", "wang.wei@gmail.com"),
)

case(
    "attr_zh_apple_zai",
    "attribution", "Apple Mail iOS", "zh",
    plain="重新安装后已经正常了，谢谢。\n\n"
    "> 在 2024年9月30日，16:12，Support Team <support@example.com> 写道：\n>\n" + q(OLD["zh"]),
    expected="重新安装后已经正常了，谢谢。",
    sender=("李娜", "li.na@icloud.com"),
)

case(
    "attr_ko_nimi_jakseong",
    "attribution", "Gmail", "ko",
    plain="버전은 4.2.1이고, 노트북에서만 그렇습니다.\n\n"
    "2024년 9월 30일 (월) 오후 4:12, Support Team <support@example.com>님이 작성:\n\n"
    + q(OLD["ko"]),
    expected="버전은 4.2.1이고, 노트북에서만 그렇습니다.",
    sender=("김민준", "minjun.kim@gmail.com"),
)

case(
    "attr_ar_rtl_marks",
    "attribution", "Gmail", "ar",
    plain="مرحبًا، أستخدم الإصدار 4.2.1 والمشكلة على الحاسوب المحمول فقط.\n\n"
    "\u202bفي الاثنين، 30 سبتمبر 2024 في 4:12 م، Support Team <support@example.com> كتب:\u202c\n\n"
    + q(OLD["ar"]),
    expected="مرحبًا، أستخدم الإصدار 4.2.1 والمشكلة على الحاسوب المحمول فقط.",
    sender=("أحمد منصور", "ahmed.mansour@gmail.com"),
)

case(
    "attr_he_rtl_meet",
    "attribution", "Gmail", "he",
    plain="שלום, הגרסה היא 4.2.1 וזה קורה רק במחשב הנייד.\n\n"
    "\u202bבתאריך יום ב׳, 30 בספט׳ 2024 ב-16:12 מאת \u202aSupport Team\u202c\u200f <\u202asupport@example.com\u202c\u200f>:\u202c\n\n"
    + q(OLD["he"]),
    expected="שלום, הגרסה היא 4.2.1 וזה קורה רק במחשב הנייד.",
    sender=("נועה לוי", "noa.levi@gmail.com"),
)

case(
    "attr_el_egrapse",
    "attribution", "Gmail", "el",
    plain="Καλησπέρα, έκδοση 4.2.1, μόνο στο φορητό.\n\n"
    "Στις Δευ 30 Σεπ 2024 στις 4:12 μ.μ., ο/η Support Team <support@example.com>\nέγραψε:\n\n"
    + q(OLD["el"]),
    expected="Καλησπέρα, έκδοση 4.2.1, μόνο στο φορητό.",
    sender=("Γιώργος Παπαδόπουλος", "g.papadopoulos@gmail.com"),
)

case(
    "attr_ro_a_scris",
    "attribution", "Gmail", "ro",
    plain="Bună ziua, versiunea 4.2.1, doar pe laptop.\n\n"
    "Pe lun., 30 sept. 2024 la 16:12, Support Team <support@example.com> a scris:\n\n"
    + q(OLD["ro"]),
    expected="Bună ziua, versiunea 4.2.1, doar pe laptop.",
    sender=("Andrei Popescu", "andrei.popescu@gmail.com"),
)

case(
    "attr_quote_lost_markers_after_attribution",
    "attribution", "Outlook web", "en",
    plain="Still broken after the update, see the screenshot.\n\n"
    "On Mon, Sep 30, 2024 at 4:12 PM Support Team <support@example.com> wrote:\n"
    + OLD["en"],
    expected="Still broken after the update, see the screenshot.",
    sender=("Liam O'Connor", "liam.oconnor@hotmail.com"),
)

case(
    "attr_samsung_mobile_name_wrote",
    "attribution", "Android mail apps", "en",
    plain="ok will do\n\nSent from my Galaxy\n\n"
    "Support Team <support@example.com> wrote:\n\n" + q(OLD["en"]),
    expected="ok will do",
    sender=("Jordan Miles", "jordan.miles@gmail.com"),
)
