"""More shapes seen in public fixtures, each written anew: Evolution and old Yahoo
attributions, a reply glued to its attribution, a separator right under the text, bare
addresses, date-only Gmail lines, text lines that start with "On"/"One", old messages left
after a mobile signature, signatures spread over blank lines, CJK attributions with the
name first, blocks that start with Date, bold blocks indented and wrapped."""

from make_wild import case, q
from texts import OLD

case(
    "more_evolution_iso_date_wrote",
    "attribution", "Evolution", "en",
    plain="Thanks, that explains the timeouts.\n\nOn Mon, 2024-09-30 at 16:12 +0200, Support Team wrote:\n" + q(OLD["en"]),
    expected="Thanks, that explains the timeouts.",
    sender=("Ivo Stark", "ivo@stark.example"),
    mailer="X-Mailer: Evolution 3.52.3-0ubuntu1",
)

case(
    "more_old_yahoo_dashes_on_wrote",
    "attribution", "Yahoo", "en",
    plain="yes please, go ahead\n\n--- On Mon, 9/30/24, Support Team <support@example.com> wrote:\n\n" + q(OLD["en"]),
    expected="yes please, go ahead",
    sender=("Bill Carver", "bill_carver@yahoo.com"),
)

case(
    "more_reply_glued_to_attribution",
    "attribution", "other webmail", "en",
    plain="works now, thanks On Mon, Sep 30, 2024 at 4:12 PM, support@example.com wrote:\n" + q(OLD["en"]),
    expected="works now, thanks",
    sender=("Lou Finch", "lou.finch@example.net"),
)

case(
    "more_name_glued_to_bracket",
    "attribution", "Apple Mail macOS", "en",
    plain="Awesome! It has not happened again since.\n\nOn Sep 30, 2024, at 4:12 PM, support<support@example.com> wrote:\n\n" + q(OLD["en"]),
    expected="Awesome! It has not happened again since.",
    sender=("Chris Wan", "chris@wan.example"),
)

case(
    "more_bare_address_wrote_bullets",
    "attribution", "other webmail", "en",
    plain="test 2 is listed second now\n\nand the spacing is kept\n\n\n   - how about bullets\n   - and another one\n\n\n"
    "On Mon, Sep 30, 2024 at 4:12 PM, <support@example.com> wrote:\n\n" + q(OLD["en"]),
    expected="test 2 is listed second now\n\nand the spacing is kept\n\n\n   - how about bullets\n   - and another one",
    sender=("Quinn Ash", "quinn@ash.example"),
)

case(
    "more_one_is_not_on",
    "trap", "Apple Mail macOS", "en",
    plain="One question is still open: can we keep the old folder names?\n\nOn Sep 30, 2024, at 4:12 PM, Support Team <support@example.com> wrote:\n\n" + q(OLD["en"]),
    expected="One question is still open: can we keep the old folder names?",
    sender=("Dave Tull", "dave.tull@example.net"),
)

case(
    "more_on_your_server_run",
    "trap", "Apple Mail macOS", "en",
    plain="On your server you can run:\n\n     curl -I http://127.0.0.1:8080/health\n\nThis should answer 200. If it does not, the service is down.\n\n"
    "On 30 Sep 2024, at 16:12, Support Team <support@example.com> wrote:\n\n" + q(OLD["en"]),
    expected="On your server you can run:\n\n     curl -I http://127.0.0.1:8080/health\n\nThis should answer 200. If it does not, the service is down.",
    sender=("Gus Reed", "gus@reed.example"),
)

case(
    "more_underscores_right_under_text",
    "header_block", "Outlook desktop", "en",
    plain="Outlook reply right above the line\n________________________________\nFrom: Support Team <support@example.com>\nSent: Monday, September 30, 2024 4:12 PM\n"
    "To: Ezra Lamb\nSubject: [SUP-311] Sync stops after the update\n\n" + OLD["en"],
    expected="Outlook reply right above the line",
    sender=("Ezra Lamb", "ezra.lamb@example.net"),
)

case(
    "more_gmail_date_only_no_colon",
    "attribution", "Gmail", "en",
    plain="Replying ok\n2024/9/30 Support Team <support@example.com>\n\n>  Cool, we will check the logs.\n",
    expected="Replying ok",
    sender=("Nadia Ova", "nadia.ova@gmail.com"),
)

case(
    "more_samsung_sig_glued_attr",
    "attribution", "Android mail apps", "en",
    plain="Test reply\n\nSent from Samsung MobileSupport Team <support@example.com> wrote:\n\n>\n> Please try again.\n>\n> Support",
    expected="Test reply",
    sender=("Rae Quill", "rae.quill@gmail.com"),
)

case(
    "more_dashes_on_wrote_dashes_indent",
    "attribution", "other webmail", "en",
    plain="Here is the summary you asked for.\n\n------On 30/09/2024 16:12 PM, Support Team wrote-----\n\n" + OLD["en"] + "\n    ",
    expected="Here is the summary you asked for.",
    sender=("Tara Dunn", "tara.dunn@example.net"),
)

case(
    "more_reply_message_separator",
    "header_block", "other webmail", "en",
    plain="Test reply\n\n-----Reply Message-----\n\n" + OLD["en"],
    expected="Test reply",
    sender=("Hal Bone", "hal.bone@example.net"),
)

case(
    "more_block_starts_with_date_qp_artifact",
    "header_block", "helpdesk tools", "en",
    plain="Blah, the form works now\nDate: Mon=2C 30 Sep 2024 16:12:44 +0000\nFrom: tickets@example.com\nTo: rob@example.net\nSubject: [Ticket #311] Sync\n\n",
    expected="Blah, the form works now",
    sender=("Rob Vance", "rob@example.net"),
)

case(
    "more_two_line_date_to_block",
    "header_block", "other webmail", "en",
    plain="Sure, Thursday works.\n\nDate: Mon, 30 Sep 2024 16:12:44 -0600\nTo: rob@example.net\n",
    expected="Sure, Thursday works.",
    sender=("Rob Vance", "rob@example.net"),
)

case(
    "more_bold_block_indented_wrapped",
    "header_block", "Gmail", "en",
    plain="Hi\n\n  *From:* support@example.com [mailto:\n  support@example.com]\n  *Sent:* Monday, September 30, 2024 4:12 PM\n  *To:* travis@example.net\n  *Subject:* [SUP-311] Sync\n\n" + OLD["en"],
    expected="Hi",
    sender=("Travis Lyle", "travis@example.net"),
)

case(
    "more_link_closing_bracket_line",
    "header_block", "other webmail", "en",
    plain="8.45am-1pm works for us.\n\nFrom: support@example.com\n\n<http://mail.example.com/c/dHJhY2tpbmdfY29kZT1mMDdjYzBmNzM1\n>  <bob@example.net <mailto:bob@example.net> >\n\nRequester: ",
    expected="8.45am-1pm works for us.",
    sender=("Bob Dale", "bob@example.net"),
)

case(
    "more_sv_den_day_month_comma_paren",
    "attribution", "other webmail", "sv",
    plain="Tack, det fungerar nu.\nDen 30 september, 2024 16:12:44, Support Team (support@example.com) skrev:\n\n" + OLD["sv"],
    expected="Tack, det fungerar nu.",
    sender=("Stina Ek", "stina.ek@example.se"),
)

case(
    "more_nb_paa_skrev",
    "attribution", "other webmail", "nb",
    plain="Takk, nå virker det.\nPå 30 september 2024 på 16:12:44, Support Team (support@example.com) skrev:\n\n" + OLD["nb"],
    expected="Takk, nå virker det.",
    sender=("Ola Dahl", "ola.dahl@example.no"),
)

case(
    "more_nl_op_schreef_end",
    "attribution", "other webmail", "nl",
    plain="Prima, bedankt!\n\nOp 30-09-2024 16:12 schreef Support Team <support@example.com>:\n\n" + OLD["nl"],
    expected="Prima, bedankt!",
    sender=("Joost Smit", "joost.smit@example.nl"),
)

case(
    "more_nl_apple_dashed_month",
    "attribution", "Apple Mail macOS", "nl",
    plain="Het werkt weer.\n\nOp 30-sep.-2024, om 16:12 heeft Support Team <support@example.com> het volgende geschreven:\n\n" + OLD["nl"],
    expected="Het werkt weer.",
    sender=("Lotte Mulder", "lotte.mulder@example.nl"),
)

case(
    "more_pl_w_dniu_uzytkownik",
    "attribution", "Gmail", "pl",
    plain="Działa, dziękuję.\n\nW dniu 30 września 2024 16:12 użytkownik Support Team <support@example.com>\nnapisał:\n\n" + q(OLD["pl"]),
    expected="Działa, dziękuję.",
    sender=("Paweł Wiśniewski", "pawel.wisniewski@gmail.com"),
)

case(
    "more_pl_thunderbird_pisze",
    "attribution", "Thunderbird", "pl",
    plain="Już działa.\n\nW dniu 2024-09-30 16:12, support@example.com pisze:\n" + q(OLD["pl"]),
    expected="Już działa.",
    sender=("Ewa Lis", "ewa.lis@example.pl"),
)

case(
    "more_de_name_schrieb_no_date",
    "attribution", "other webmail", "de",
    plain="Vielen Dank, das hat geklappt.\n\nSupport Team <support@example.com> schrieb:\n\n" + q(OLD["de"]),
    expected="Vielen Dank, das hat geklappt.",
    sender=("Ute Berg", "ute.berg@example.de"),
)

case(
    "more_ko_apple_dotted_date",
    "attribution", "Apple Mail iOS", "ko",
    plain="이제 잘 됩니다. 감사합니다.\n\n2024. 9. 30. 오후 4:12, Support Team <support@example.com> 작성:\n\n" + q(OLD["ko"]),
    expected="이제 잘 됩니다. 감사합니다.",
    sender=("박지훈", "jihoon.park@icloud.com"),
)

case(
    "more_zh_name_first_zai_xiedao",
    "attribution", "other webmail", "zh",
    plain="安安：\n\n培训的时间和地点我已经确认好了，周六下午三点开始。\n\n以上，有问题再联系。\n\n"
    "Support Team <support@example.com> 在 2024年9月30日 周一 16:12 写道：\n\n" + OLD["zh"],
    expected="安安：\n\n培训的时间和地点我已经确认好了，周六下午三点开始。\n\n以上，有问题再联系。",
    sender=("周敏", "zhou.min@qq.example"),
)

case(
    "more_zh_date_first_xiedao",
    "attribution", "other webmail", "zh",
    plain="我这边没有别的补充了。\n\n2024年9月30日 周一 16:12 Support Team <support@example.com> 写道：\n\n" + q(OLD["zh"]),
    expected="我这边没有别的补充了。",
    sender=("周敏", "zhou.min@qq.example"),
)

case(
    "more_zh_riqi_block",
    "header_block", "other webmail", "zh",
    plain="你好，我想取消这个订单，可以吗？谢谢\n\n发件人: \"\"Support Team\"\" <support@example.com>\n日期: 2024年9月30日 星期一 下午4:12\n"
    "收件人: \"\"li.lei@hotmail.example\"\" <li.lei@hotmail.example>\n主题: 订单 5521 已发货\n\n发货确认\n\n您的订单已经发出。\n",
    expected="你好，我想取消这个订单，可以吗？谢谢",
    sender=("李雷", "li.lei@hotmail.example"),
)

case(
    "more_fi_name_kirjoitti_date_no_address",
    "attribution", "other webmail", "fi",
    plain="Tämä on jatkoa edelliseen pyyntöön #2457 \n\n Verkkokauppa asiakaspalvelu kirjoitti 30.09.2024 kello 16:12:\n\nHuomenta!\n\nEn enää tiedä mitä tehdä tämän laitteen kanssa.\n",
    expected="Tämä on jatkoa edelliseen pyyntöön #2457",
    sender=("Saimi Helkama", "saimi.helkama@example.fi"),
)

case(
    "more_fi_signature_spread_blank_lines",
    "signature", "Outlook desktop", "fi",
    plain="Hei \n\n Tämä kannettava on edelleen käyttökelvoton, se jäätyi tänään monta kertaa.\n\n Haluan rahat takaisin. \n\n Parhain terveisin, \n\n *Matti Toivonen* \n\n "
    "Toimitusjohtaja\n\nEsimerkki Oy\n\nOtakaari 5, 02150\n\nEspoo, Finland \n\n +358 40 123 4567\n\nmatti.toivonen@esimerkki.example <mailto:matti.toivonen@esimerkki.example> \n\n"
    " <http://www.esimerkki.example>\n\nOn 30.9.2024 16.12, Verkkokauppa wrote:\n\n> Huoltotapauksesi on noudettavissa\n>\n> Hyvä asiakkaamme,\n",
    expected="Hei\n\nTämä kannettava on edelleen käyttökelvoton, se jäätyi tänään monta kertaa.\n\nHaluan rahat takaisin.",
    sender=("Matti Toivonen", "matti.toivonen@esimerkki.example"),
)

case(
    "more_outlook_android_then_old_text",
    "signature", "Outlook mobile", "de",
    plain="Hallo, wann ist der Ständer wieder lieferbar?\n\nGrüße\n\nArne Voss\n\nGesendet von Outlook für Android<https://aka.ms/AAb9ysg>\n\nHi Arne!\nDein Paket ist unterwegs.\n",
    expected="Hallo, wann ist der Ständer wieder lieferbar?",
    sender=("Arne Voss", "arne.voss@outlook.de"),
)

case(
    "more_blackberry_verizon",
    "signature", "other webmail", "en",
    plain="Here is another update: it crashed again.\n\nSent from my Verizon Wireless BlackBerry\n",
    expected="Here is another update: it crashed again.",
    sender=("Vic Stone", "vic.stone@example.net"),
)

case(
    "more_acompli_and_unquoted_chain",
    "attribution", "Outlook mobile", "en",
    plain="Btw the export also fails...\n\nOn Mon, Sep 30, 2024 at 4:12 PM -0700, \"Support Team\" <support@example.com> wrote:\n\n"
    "Hi Mark,\nCan you send the log?\nThanks, Christine\n\nOn Sep 29, 2024, at 11:55 AM, Mark Hill <mark@hill.example> wrote:\n\nIs the export broken?\nMark\n\nSent from Acompli",
    expected="Btw the export also fails...",
    sender=("Mark Hill", "mark@hill.example"),
)

case(
    "more_dash_name_then_attribution_no_blank",
    "signature", "Apple Mail macOS", "de",
    plain="Hallo,\n\nich versuche an den Punkten anzuknüpfen, siehe das Wiki.\n\nViele Grüße!\n\n-Fritz\nOn Sep 30, 2024, at 16:12 , Support Team wrote:\n\n\nMoin,\n\ndie Antwort kommt spät, aber sie kommt.\n",
    expected="Hallo,\n\nich versuche an den Punkten anzuknüpfen, siehe das Wiki.",
    sender=("Fritz Bauer", "fritz@bauer.example"),
)

case(
    "more_da_kh_and_hilsen",
    "signature", "other webmail", "da",
    plain="Svar: det virker.\n\nKh\nPeter\n",
    expected="Svar: det virker.",
    sender=("Peter Holm", "peter.holm@example.dk"),
)

case(
    "more_sv_mvh_name_phone",
    "signature", "Gmail", "sv",
    plain="Hej\n\nBerättar gärna. Enklast är ett kort samtal under dagen, jag är\nflexibel fram till kl 15 idag.\n\nMvh,\nAnders Lund\n070-1234567\n\n\n"
    "ons 2 okt. 2024 kl. 20:42 skrev Support Team <support@example.com>:\n\n" + q(OLD["sv"]),
    expected="Hej\n\nBerättar gärna. Enklast är ett kort samtal under dagen, jag är\nflexibel fram till kl 15 idag.",
    sender=("Anders Lund", "anders.lund@gmail.com"),
)

case(
    "more_ja_closing_ijou",
    "signature", "Gmail", "ja",
    plain="田中様\n\nお世話になっております。織田です。\n\nそれでは月曜日の11:00にお待ちしております。\n\n\n以上、よろしくお願いいたします\n\n"
    "2024年9月30日(月) 16:12 Support Team <support@example.com>:\n> 織田様\n>\n> 月曜日の11:00でお願いいたします\n",
    expected="田中様\n\nお世話になっております。織田です。\n\nそれでは月曜日の11:00にお待ちしております。",
    sender=("織田 信", "shin.oda@gmail.com"),
)

case(
    "more_emoji_only_with_sig",
    "signature", "other webmail", "en",
    plain="🎉\n\n—\nJohn Doe\nCEO at Pandaland\n\n@pandaland\n",
    expected="🎉",
    sender=("John Doe", "john@pandaland.example"),
)

case(
    "more_yahoo_fr_a_ecrit_utc",
    "attribution", "Yahoo", "fr",
    plain="bonjour,\nje n'ai pas eu de retour sur ma précision..\nmerci d'avance\n\n\n    Le lundi 30 septembre 2024 à 16:12:44 UTC+2, Support Team <support@example.com> a écrit :  \n\n\n" + OLD["fr"],
    expected="bonjour,\nje n'ai pas eu de retour sur ma précision..\nmerci d'avance",
    sender=("Lucie Perrin", "lucie.perrin@yahoo.fr"),
)

case(
    "more_pt_wrapped_inside_paren",
    "attribution", "other webmail", "pt",
    plain="Resolvido, obrigado.\n\nEm 30 de setembro de 2024 às 16:12:44, Support Team - Example (\nsupport@example.com) escreveu:\n\nOlá!",
    expected="Resolvido, obrigado.",
    sender=("Bruno Dias", "bruno.dias@example.br"),
)

case(
    "more_ru_gmail_no_verb_unquoted",
    "attribution", "Gmail", "ru",
    plain="Спасибо, разобрались.\n\nср, 2 окт. 2024 г. в 15:19, Support Team <support@example.com>:\n\nпривет",
    expected="Спасибо, разобрались.",
    sender=("Пётр Орлов", "petr.orlov@gmail.com"),
)

case(
    "more_mailing_list_inline_nested",
    "inline", "mutt/neomutt", "en",
    plain="On Mon, Sep 30, 2024 at 04:12:44PM +0200, Ann Lee wrote:\n> On Sun, Sep 29, 2024 at 10:00:00AM +0200, Bo Ray wrote:\n>> Does anyone run syncd on ARM?\n>\n> We do, on a Pi 4.\n\n"
    "Same here, on a Pi 5, no problems so far.\n\n> Which version?\n\n4.2.1 from the Debian package.\n\n-- \nCy\n",
    expected="> We do, on a Pi 4.\n\nSame here, on a Pi 5, no problems so far.\n\n> Which version?\n\n4.2.1 from the Debian package.",
    sender=("Cy Moss", "cy@moss.example"),
)
