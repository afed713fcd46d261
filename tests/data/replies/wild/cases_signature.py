"""Signatures of every kind: `-- ` and `--`, sign-off and name, name + title + phone blocks,
`-Name` and `/Name`, mobile and app signatures in many languages, disclaimers, mailing-list
and group footers, company imprints, CJK blocks; and sentences that only start like one."""

from make_wild import case, q
from texts import OLD

ATTR = "On Mon, Sep 30, 2024 at 4:12 PM Support Team <support@example.com> wrote:\n\n"

case(
    "sig_dashdash_space_block",
    "signature", "Thunderbird", "en",
    plain="The sync finished overnight without errors.\n\n-- \nOwen Fletcher\nSystems Administrator\nHarbour Freight Lines\n\n"
    + "On 30/09/2024 16:12, Support Team wrote:\n" + q(OLD["en"]),
    expected="The sync finished overnight without errors.",
    sender=("Owen Fletcher", "owen@harbourfreight.example"),
)

case(
    "sig_dashdash_no_space",
    "signature", "other webmail", "en",
    plain="Please close the ticket, it works now.\n\n--\nrick\n",
    expected="Please close the ticket, it works now.",
    sender=("Rick Olsen", "rick@olsen.example"),
)

case(
    "sig_thanks_name",
    "signature", "Gmail", "en",
    plain="Both laptops run 4.2.1.\n\nThanks,\nNoam\n\n" + ATTR + q(OLD["en"]),
    expected="Both laptops run 4.2.1.",
    sender=("Noam Segal", "noam.segal@gmail.com"),
)

case(
    "sig_regards_blank_then_name_title",
    "signature", "Gmail", "en",
    plain="Hi,\n\nI still have the same problem after the update.\n\nCan you help?\n\nRegards,\n\nJohn Doe\nCEO @ Acme\n",
    expected="Hi,\n\nI still have the same problem after the update.\n\nCan you help?",
    sender=("John Doe", "john@acme.example"),
)

case(
    "sig_hyphen_name",
    "signature", "Gmail", "en",
    plain="Oh thanks, having the export button back would be great.\n\n-Abe\n\n" + ATTR + q(OLD["en"]),
    expected="Oh thanks, having the export button back would be great.",
    sender=("Abraham Kline", "abe.kline@gmail.com"),
)

case(
    "sig_slash_name_swedish",
    "signature", "Outlook desktop", "sv",
    plain="Hej Anna,\n\nJag har nu testat igen och allt fungerar.\n\n/Johan\n",
    expected="Hej Anna,\n\nJag har nu testat igen och allt fungerar.",
    sender=("Johan Ek", "johan.ek@foretag.example"),
)

case(
    "sig_name_title_phone_no_signoff",
    "signature", "Outlook desktop", "en",
    plain="Attached is the full log from this morning.\n\nDaniel Osei\nHead of Operations | Kestrel Logistics\nM: +44 7700 900123\nwww.kestrel-logistics.example\n\n"
    + "From: Support Team <support@example.com>\nSent: Monday, September 30, 2024 4:12 PM\nTo: Daniel Osei <d.osei@kestrel-logistics.example>\nSubject: [SUP-311] Sync stops after the update\n\n"
    + OLD["en"],
    expected="Attached is the full log from this morning.",
    sender=("Daniel Osei", "d.osei@kestrel-logistics.example"),
)

case(
    "sig_pipe_one_line",
    "signature", "Gmail", "en",
    plain="Works for me now, thanks for the quick turnaround.\n\nLena Brooks | Product Designer | Fjord Studio | +1 415 555 0199\n",
    expected="Works for me now, thanks for the quick turnaround.",
    sender=("Lena Brooks", "lena@fjordstudio.example"),
)

case(
    "sig_underscores_block_caution_banner",
    "signature", "Outlook desktop", "en",
    plain="CAUTION: This email originated from outside of the organization. Do not click links or open attachments unless you recognize the sender.\n\n"
    "Hi team,\n\nThe September file is still missing on the portal, could you check?\n\nThanks,\n___________________\nHarriet Lowe\nReference Data Services\nNorthbank Securities\nDirect: +44 20 7946 0321\n"
    "______________________________________________________________________\n\nThis message and any attachments are confidential and intended solely for the addressee.\n",
    expected="Hi team,\n\nThe September file is still missing on the portal, could you check?",
    sender=("Harriet Lowe", "harriet.lowe@northbank.example"),
)

case(
    "sig_disclaimer_paragraph",
    "signature", "Outlook desktop", "en",
    plain="Hello,\n\nPlease reset the password for the shared mailbox.\n\nKind regards,\nVictor Hale\n\n"
    "DISCLAIMER: This e-mail and any files transmitted with it are confidential and intended solely for the use of the individual or entity to whom they are addressed. If you have received this e-mail in error please notify the sender.\n",
    expected="Hello,\n\nPlease reset the password for the shared mailbox.",
    sender=("Victor Hale", "v.hale@lawfirm.example"),
)

case(
    "sig_environment_line",
    "signature", "Outlook desktop", "en",
    plain="The printer works again.\n\nBest,\nTess\n\nPlease consider the environment before printing this email.\n",
    expected="The printer works again.",
    sender=("Tess Morgan", "tess.morgan@school.example"),
)

case(
    "sig_mailman_footer",
    "signature", "mailing list", "en",
    plain="Same here, 4.2.1 on Debian 12, the daemon stops after the upgrade.\n\n"
    "_______________________________________________\nsyncd-users mailing list\nsyncd-users@lists.example.org\nhttps://lists.example.org/mailman/listinfo/syncd-users\n",
    expected="Same here, 4.2.1 on Debian 12, the daemon stops after the upgrade.",
    sender=("Aron Falk", "aron@falk.example"),
)

case(
    "sig_google_groups_footer",
    "signature", "Gmail", "en",
    plain="Thanks, upgrading to 4.2.2 fixed it.\n\n-- \nYou received this message because you are subscribed to the Google Groups \"syncd users\" group.\n"
    "To unsubscribe from this group and stop receiving emails from it, send an email to syncd-users+unsubscribe@googlegroups.com.\n",
    expected="Thanks, upgrading to 4.2.2 fixed it.",
    sender=("Mei Tan", "mei.tan@gmail.com"),
)

case(
    "sig_mobile_not_sentence",
    "signature", "Apple Mail iOS", "en",
    plain="Here is another screenshot.\n\nSent from my desk, which is much easier than my mobile phone.\n",
    expected="Here is another screenshot.\n\nSent from my desk, which is much easier than my mobile phone.",
    sender=("Alan Ruiz", "alan.ruiz@icloud.com"),
)

case(
    "sig_mobile_many_languages_top",
    "signature", "Apple Mail iOS", "es",
    plain="Sí, pasa en los dos.\n\nEnviado desde mi iPhone\n\n"
    "> El 30 sept 2024, a las 16:12, Support Team <support@example.com> escribió:\n>\n" + q(OLD["es"]),
    expected="Sí, pasa en los dos.",
    sender=("Pablo Gil", "pablo.gil@icloud.com"),
)

case(
    "sig_mobile_it_inviato_da",
    "signature", "Apple Mail iOS", "it",
    plain="Confermo, versione 4.2.1.\n\nInviato da iPhone\n\n"
    "> Il giorno 30 set 2024, alle ore 16:12, Support Team <support@example.com> ha scritto:\n>\n" + q(OLD["it"]),
    expected="Confermo, versione 4.2.1.",
    sender=("Sara Conti", "sara.conti@icloud.com"),
)

case(
    "sig_mobile_nl_verzonden",
    "signature", "Apple Mail iOS", "nl",
    plain="Klopt, alle drie.\n\nVerzonden vanaf mijn iPhone\n",
    expected="Klopt, alle drie.",
    sender=("Bram Visser", "bram.visser@icloud.com"),
)

case(
    "sig_mobile_pl_wyslane",
    "signature", "Apple Mail iOS", "pl",
    plain="Tak, na wszystkich.\n\nWysłane z iPhone'a\n",
    expected="Tak, na wszystkich.",
    sender=("Kasia Wójcik", "kasia.wojcik@icloud.com"),
)

case(
    "sig_mobile_ru_otpravleno",
    "signature", "Apple Mail iOS", "ru",
    plain="Да, на всех.\n\nОтправлено с iPhone\n",
    expected="Да, на всех.",
    sender=("Игорь Волков", "igor.volkov@icloud.com"),
)

case(
    "sig_mobile_zh_tw_cong_wode",
    "signature", "Apple Mail iOS", "zh",
    plain="是的，全部都會。\n\n從我的 iPhone 傳送\n",
    expected="是的，全部都會。",
    sender=("林志明", "zhiming.lin@icloud.com"),
)

case(
    "sig_mobile_fi_lahetetty_iphonesta_quoted_attr",
    "signature", "Apple Mail iOS", "fi",
    plain="Kiitos ja pahoittelut sekaannuksesta.\n\nMukavaa viikonloppua!\n\nMinna\n\nLähetetty iPhonesta\n\n"
    "> Support Team <support@example.com> kirjoitti 30.9.2024 kello 16.12:\n>\n" + q(OLD["fi"]),
    expected="Kiitos ja pahoittelut sekaannuksesta.\n\nMukavaa viikonloppua!",
    sender=("Minna Laine", "minna.laine@icloud.com"),
)

case(
    "sig_outlook_android_link",
    "signature", "Outlook mobile", "fi",
    plain="Hei,\n\nmilloin uusi versio tulee jakeluun?\n\nTerveisin\n\nArto Mäkelä\n\nHanki Outlook for Android<https://aka.ms/AAb9ysg>\n",
    expected="Hei,\n\nmilloin uusi versio tulee jakeluun?",
    sender=("Arto Mäkelä", "arto.makela@outlook.com"),
)

case(
    "sig_outlook_ios_fr_link_then_block",
    "signature", "Outlook mobile", "fr",
    plain="Oui, sur tous les postes.\n\nTélécharger Outlook pour iOS<https://aka.ms/o0ukef>\n" + "________________________________\n"
    "De : Support Team <support@example.com>\nEnvoyé : lundi, septembre 30, 2024 4:12 PM\nÀ : Julie Roux <julie.roux@outlook.fr>\n"
    "Objet : [SUP-311] Sync stops after the update\n\n" + OLD["fr"],
    expected="Oui, sur tous les postes.",
    sender=("Julie Roux", "julie.roux@outlook.fr"),
)

case(
    "sig_typeapp_link",
    "signature", "Android mail apps", "en",
    plain="Yes, still failing.\n\nSent from TypeApp <http://www.typeapp.com/r?b=12345>\n"
    "On Sep 30, 2024, at 16:12, Support Team <support@example.com> wrote:\n" + q(OLD["en"]),
    expected="Yes, still failing.",
    sender=("Gil Amar", "gil.amar@gmail.com"),
)

case(
    "sig_name_via_mobile",
    "signature", "Android mail apps", "en",
    plain="Will send the logs tonight.\n\nNoah / via mobile\n",
    expected="Will send the logs tonight.",
    sender=("Noah Carter", "noah.carter@northwind.example"),
)

case(
    "sig_k9_android_de",
    "signature", "Android mail apps", "de",
    plain="Passt, danke!\n\n--\nDiese Nachricht wurde von meinem Android-Gerät mit K-9 Mail gesendet.\n",
    expected="Passt, danke!",
    sender=("Tobias Lang", "tobias.lang@posteo.de"),
)

case(
    "sig_de_impressum",
    "signature", "Outlook desktop", "de",
    plain="Hallo Herr Weber,\n\nich möchte mich gern für den Test der neuen Version anmelden.\n\n\nMit freundlichen Grüßen\nKlaus Günther\n\n"
    "_ __ ___ ____________________________ ___ __ _\n\nBeispiel GmbH\nHafenstraße 9, 20457 Hamburg\n\nM: +49 (0) 170 1234567\nT: +49 (0) 40 1234567\nW: www.beispiel.example\n\n"
    "Geschäftsführer: Hans Beispiel\nAmtsgericht Hamburg HRB 123456\n_ __ ___ ____________________________ ___ __ _\n\n"
    "Diese Information ist ausschließlich für den Adressaten bestimmt und kann vertrauliche Informationen enthalten.\n",
    expected="Hallo Herr Weber,\n\nich möchte mich gern für den Test der neuen Version anmelden.",
    sender=("Günther Klaus | Beispiel GmbH", "k.guenther@beispiel.example"),
    charset="iso-8859-15",
    cte="qp",
)

case(
    "sig_fr_cordialement_block",
    "signature", "Outlook desktop", "fr",
    plain="Bonjour,\n\nJe vous confirme que tout fonctionne depuis ce matin.\n\nCordialement,\n\nNathalie Girard\nResponsable informatique\nTél. : 01 23 45 67 89\n",
    expected="Bonjour,\n\nJe vous confirme que tout fonctionne depuis ce matin.",
    sender=("Nathalie Girard", "n.girard@societe.example"),
)

case(
    "sig_es_saludos_cordiales",
    "signature", "Gmail", "es",
    plain="Buenas tardes,\n\n¿Me pueden decir cuándo sale la versión 4.3?\n\nSaludos cordiales,\nMarta Romero\nDepartamento de Compras\n",
    expected="Buenas tardes,\n\n¿Me pueden decir cuándo sale la versión 4.3?",
    sender=("Marta Romero", "marta.romero@gmail.com"),
)

case(
    "sig_pt_abracos",
    "signature", "Gmail", "pt",
    plain="Funcionou, obrigado!\n\nAbraços,\nLucas\n",
    expected="Funcionou, obrigado!",
    sender=("Lucas Almeida", "lucas.almeida@gmail.com"),
)

case(
    "sig_nl_groetjes",
    "signature", "Gmail", "nl",
    plain="Het werkt weer, bedankt!\n\nGroetjes,\nEmma\n",
    expected="Het werkt weer, bedankt!",
    sender=("Emma Bakker", "emma.bakker@gmail.com"),
)

case(
    "sig_da_mvh_short",
    "signature", "Outlook desktop", "da",
    plain="Svar: ja, alle maskiner.\n\nMvh\nHanne\n",
    expected="Svar: ja, alle maskiner.",
    sender=("Hanne Holm", "hanne.holm@firma.example"),
)

case(
    "sig_pl_z_powazaniem",
    "signature", "Thunderbird", "pl",
    plain="Dzień dobry,\n\nproblem nadal występuje.\n\nZ poważaniem,\nJan Kowalski\n",
    expected="Dzień dobry,\n\nproblem nadal występuje.",
    sender=("Jan Kowalski", "jan.kowalski@firma.example"),
)

case(
    "sig_ru_s_uvazheniem_phone",
    "signature", "Outlook desktop", "ru",
    plain="Добрый день!\n\nПрошу продлить лицензию ещё на год.\n\nС уважением,\nНиколай Орлов\nведущий инженер\nтел. +7 495 123-45-67\n",
    expected="Добрый день!\n\nПрошу продлить лицензию ещё на год.",
    sender=("Николай Орлов", "n.orlov@zavod.example"),
)

case(
    "sig_ja_block_lines",
    "signature", "Outlook desktop", "ja",
    plain="お世話になっております。\n\nライセンスの更新についてご確認をお願いいたします。\n\nよろしくお願いいたします。\n\n"
    "━━━━━━━━━━━━━━━━━━━━\n株式会社サンプル\n情報システム部\n山田 太郎\nTEL: 03-1234-5678\n━━━━━━━━━━━━━━━━━━━━\n",
    expected="お世話になっております。\n\nライセンスの更新についてご確認をお願いいたします。",
    sender=("山田 太郎", "t.yamada@sample.example"),
    charset="shift_jis",
)

case(
    "sig_zh_dash_line_block",
    "signature", "other webmail", "zh",
    plain="安安：\n\n周六的培训改到下午三点，地点不变。\n\n以上，看到后回复我一下。\n\n——————————————\n\n小满\n活动协调人\n",
    expected="安安：\n\n周六的培训改到下午三点，地点不变。\n\n以上，看到后回复我一下。",
    sender=("小满", "xiaoman@qq.example"),
    charset="gbk",
    cte="base64",
)

case(
    "sig_only_signoff_kept_whole",
    "signature", "Gmail", "en",
    plain="Thanks,\nNoam\n\n" + ATTR + q(OLD["en"]),
    expected="Thanks,\nNoam",
    sender=("Noam Segal", "noam.segal@gmail.com"),
)

case(
    "sig_em_dash_name",
    "signature", "Apple Mail macOS", "en",
    plain="Looks great, ship it.\n\n— Paula\n",
    expected="Looks great, ship it.",
    sender=("Paula Reyes", "paula@reyes.example"),
)

case(
    "sig_cheers_initial",
    "signature", "Gmail", "en",
    plain="Confirmed fixed on my side.\n\nCheers,\nJ.\n",
    expected="Confirmed fixed on my side.",
    sender=("Jess Porter", "jess.porter@gmail.com"),
)

case(
    "sig_above_quote_alpine_style",
    "signature", "alpine", "en",
    plain="Reinstalled, still broken.\n\n-- \nMartin Hughes\nhttps://hughes.example\n\n"
    "On Mon, 30 Sep 2024, Support Team wrote:\n\n" + q(OLD["en"]),
    expected="Reinstalled, still broken.",
    sender=("Martin Hughes", "martin@hughes.example"),
    mailer="User-Agent: Alpine 2.26 (DEB 649 2022-06-02)",
)
