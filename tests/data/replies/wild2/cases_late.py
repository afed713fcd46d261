"""The second wild set: written after the first round of fixes, before any rule was tuned to
it. Languages the first set did not have, client formats in them, notification digests
quoted by helpdesks, HTML signatures and footers, more traps."""

from make_wild import case, q
from texts import OLD

EN = OLD["en"]

# --- attributions in languages the first set did not cover --------------------------------

for name, lang, attr, reply, sender in [
    ("late_id_pada_menulis", "id", "Pada tanggal Sen, 30 Sep 2024 pukul 16.12 Support Team <support@example.com>\nmenulis:",
     "Versi 4.2.1, dan hanya di laptop.", ("Budi Santoso", "budi.santoso@gmail.com")),
    ("late_vi_da_viet", "vi", "Vào Th 2, 30 thg 9, 2024 vào lúc 16:12 Support Team <support@example.com>\nđã viết:",
     "Phiên bản 4.2.1, chỉ bị trên laptop.", ("Nguyễn Văn An", "an.nguyen@gmail.com")),
    ("late_th_khian_wa", "th", "เมื่อ จ. 30 ก.ย. 2024 เวลา 16:12 Support Team <support@example.com> เขียนว่า:",
     "เวอร์ชัน 4.2.1 เป็นเฉพาะบนโน้ตบุ๊กครับ", ("สมชาย ใจดี", "somchai.j@gmail.com")),
    ("late_fa_persian_digits", "fa", "\u202bدر تاریخ دوشنبه ۳۰ سپتامبر ۲۰۲۴ ساعت ۱۶:۱۲ Support Team <\u202asupport@example.com\u202c\u200f> نوشت:\u202c",
     "نسخه ۴.۲.۱ است و فقط روی لپ‌تاپ.", ("مریم احمدی", "maryam.ahmadi@gmail.com")),
    ("late_hi_ne_likha", "hi", "सोम, 30 सित॰ 2024 को 4:12 pm बजे Support Team <support@example.com> ने\nलिखा:",
     "संस्करण 4.2.1 है, केवल लैपटॉप पर।", ("राहुल शर्मा", "rahul.sharma@gmail.com")),
    ("late_ca_va_escriure", "ca", "El dl., 30 de set. 2024 a les 16:12, Support Team (<support@example.com>)\nva escriure:",
     "Hola, és la versió 4.2.1 i només passa al portàtil.", ("Jordi Puig", "jordi.puig@gmail.com")),
    ("late_sk_napisal_a", "sk", "po 30. 9. 2024 o 16:12 Support Team <support@example.com> napísal(a):",
     "Dobrý deň, verzia 4.2.1, len na notebooku.", ("Marek Kováč", "marek.kovac@gmail.com")),
    ("late_bg_napisa", "bg", "пн, 30.09.2024 г. в 16:12 ч. Support Team <support@example.com> написа:",
     "Здравейте, версия 4.2.1, само на лаптопа.", ("Георги Иванов", "georgi.ivanov@gmail.com")),
    ("late_hr_napisao_je", "hr", "pon, 30. ruj 2024. u 16:12 Support Team <support@example.com> napisao je:",
     "Pozdrav, verzija 4.2.1, samo na laptopu.", ("Ivan Horvat", "ivan.horvat@gmail.com")),
    ("late_sr_je_napisao", "sr", "пон, 30. сеп 2024. у 16:12 Support Team <support@example.com> је\nнаписао/ла:",
     "Поздрав, верзија 4.2.1, само на лаптопу.", ("Милан Јовановић", "milan.jovanovic@gmail.com")),
    ("late_lt_rase", "lt", "2024-09-30, pr, 16:12 Support Team <support@example.com> rašė:",
     "Sveiki, versija 4.2.1, tik nešiojamajame.", ("Tomas Kazlauskas", "tomas.kazlauskas@gmail.com")),
    ("late_lv_rakstija", "lv", "pirmd., 2024. g. 30. sept., plkst. 16:12 — lietotājs Support Team (<\nsupport@example.com>) rakstīja:",
     "Sveiki, versija 4.2.1, tikai klēpjdatorā.", ("Jānis Bērziņš", "janis.berzins@gmail.com")),
    ("late_et_kirjutas", "et", "E, 30. sept 2024 kell 16:12 Support Team <support@example.com> kirjutas:",
     "Tere, versioon 4.2.1, ainult sülearvutis.", ("Mari Tamm", "mari.tamm@gmail.com")),
    ("late_sl_je_napisal", "sl", "V pon., 30. sep. 2024 ob 16:12 je Support Team <support@example.com>\nnapisal(-a):",
     "Pozdravljeni, različica 4.2.1, samo na prenosniku.", ("Luka Novak", "luka.novak@gmail.com")),
]:
    case(
        name, "attribution", "Gmail", lang,
        plain=reply + "\n\n" + attr + "\n\n" + q(EN),
        expected=reply,
        sender=sender,
    )

# --- Outlook blocks in those languages -----------------------------------------------------

for name, lang, labels, reply, sender, charset in [
    ("late_hb_id_dari_dikirim", "id", ("Dari:", "Dikirim:", "Kepada:", "Perihal:"), "Sudah beres, terima kasih.", ("Dewi Lestari", "dewi@perusahaan.example"), "utf-8"),
    ("late_hb_vi_tu_da_gui", "vi", ("Từ:", "Đã gửi:", "Đến:", "Chủ đề:"), "Đã chạy lại được, cảm ơn.", ("Trần Thị Bích", "bich.tran@congty.example"), "utf-8"),
    ("late_hb_th_jak_song", "th", ("จาก:", "ส่ง:", "ถึง:", "เรื่อง:"), "ใช้งานได้แล้วครับ ขอบคุณครับ", ("วิชัย สุขใจ", "wichai@borisat.example"), "utf-8"),
    ("late_hb_sk_odoslane", "sk", ("Od:", "Odoslané:", "Komu:", "Predmet:"), "Už to funguje, ďakujem.", ("Zuzana Horváthová", "zuzana@firma.example"), "windows-1250"),
    ("late_hb_bg_izprateno", "bg", ("От:", "Изпратено:", "До:", "Тема:"), "Вече работи, благодаря.", ("Мария Петрова", "maria.petrova@firma.example"), "windows-1251"),
    ("late_hb_hr_salje_poslano", "hr", ("Šalje:", "Poslano:", "Prima:", "Predmet:"), "Sad radi, hvala.", ("Ana Kovačić", "ana.kovacic@tvrtka.example"), "utf-8"),
    ("late_hb_lt_nuo_issiusta", "lt", ("Nuo:", "Išsiųsta:", "Kam:", "Tema:"), "Dabar veikia, ačiū.", ("Rūta Jankauskienė", "ruta@imone.example"), "utf-8"),
    ("late_hb_et_saatja", "et", ("Saatja:", "Saadetud:", "Adressaat:", "Teema:"), "Nüüd töötab, aitäh.", ("Kadri Kask", "kadri.kask@firma.example"), "utf-8"),
    ("late_hb_ca_enviat", "ca", ("De:", "Enviat:", "Per a:", "Tema:"), "Ara ja funciona, gràcies.", ("Montse Vila", "montse.vila@empresa.example"), "utf-8"),
    ("late_hb_sl_poslano", "sl", ("Od:", "Poslano:", "Za:", "Zadeva:"), "Zdaj deluje, hvala.", ("Maja Zupan", "maja.zupan@podjetje.example"), "utf-8"),
]:
    values = (
        "Support Team <support@example.com>",
        "30. 9. 2024 16:12",
        "%s <%s>" % sender,
        "RE: [SUP-311] Sync stops after the update",
    )
    case(
        name, "header_block", "Outlook desktop", lang,
        plain=reply + "\n\n" + "\n".join("%s %s" % lv for lv in zip(labels, values)) + "\n\n" + EN,
        expected=reply,
        sender=sender,
        charset=charset,
        cte="qp",
    )

# --- helpdesk and forum notifications quoted ----------------------------------------------

case(
    "late_digest_interleaved_answers",
    "inline", "Gmail", "en",
    plain="On Tue, Oct 1, 2024 at 11:12 AM Community Forum <notifications@forum.example> wrote:\n\n"
    "> marta <https://forum.example/u/marta> October 1\n>\n> Has anyone tried the new export on a NAS?\n\n"
    "Yes, on a Synology, it works if the share is mounted with SMB 3.\n\n> It keeps timing out for me.\n\nTry raising the timeout to 60 seconds.\n",
    expected="> Has anyone tried the new export on a NAS?\n\n"
    "Yes, on a Synology, it works if the share is mounted with SMB 3.\n\n> It keeps timing out for me.\n\nTry raising the timeout to 60 seconds.",
    sender=("Pat Lowe", "pat.lowe@gmail.com"),
)

case(
    "late_digest_reply_above_notification",
    "attribution", "Gmail", "en",
    plain="I have the same problem since the last release.\n\n"
    "On Tue, Oct 1, 2024 at 11:12 AM Community Forum <notifications@forum.example> wrote:\n\n"
    ">     marta <https://forum.example/u/marta>\n> October 1\n>\n> Has anyone tried the new export on a NAS?\n>\n"
    "> To respond, reply to this email or visit\n> https://forum.example/t/export-nas/4411/3 in your browser.\n>  ------------------------------\n"
    "> Previous Replies\n>\n> To unsubscribe from these emails, visit your user preferences\n> <https://forum.example/my/preferences>.\n",
    expected="I have the same problem since the last release.",
    sender=("Pat Lowe", "pat.lowe@gmail.com"),
)

case(
    "late_list_bottom_post_with_footer",
    "inline", "Gmail", "en",
    plain="Hi,\n\nOn Tue, Oct 1, 2024 at 6:16 PM, Ana Ruiz <ana@ruiz.example> wrote:\n\n"
    "> What is the best way to empty a bucket after a test run?\n> I use the Java client.\n\n"
    "You can list the keys for the bucket and delete them one by one; there is no\nsingle call for it.\n\n"
    "> -Ana\n>\n> _______________________________________________\n> store-users mailing list\n> store-users@lists.example.org\n\n"
    "_______________________________________________\nstore-users mailing list\nstore-users@lists.example.org\nhttps://lists.example.org/listinfo/store-users\n",
    expected="Hi,\n\n> What is the best way to empty a bucket after a test run?\n> I use the Java client.\n\n"
    "You can list the keys for the bucket and delete them one by one; there is no\nsingle call for it.",
    sender=("Kit Lane", "kit.lane@example.net"),
)

# --- signatures and footers ---------------------------------------------------------------

case(
    "late_sig_avast_footer_text",
    "signature", "Thunderbird", "en",
    plain="The backup finished without errors last night.\n\n"
    "---\nThis email has been checked for viruses by Avast antivirus software.\nhttps://www.avast.com/antivirus\n",
    expected="The backup finished without errors last night.",
    sender=("Neil Shaw", "neil.shaw@example.net"),
)

case(
    "late_sig_regards_initials_company",
    "signature", "Outlook desktop", "en",
    plain="Hi Support,\n\nPlease add two more seats to our plan from November.\n\nRegards,\n\nGeorge Mills\nAccounts | Mills & Sons Ltd\nT: 0161 496 0123\nE: george@millsandsons.example\nW: millsandsons.example\n",
    expected="Hi Support,\n\nPlease add two more seats to our plan from November.",
    sender=("George Mills", "george@millsandsons.example"),
)

case(
    "late_sig_sign_off_comma_name_same_line",
    "signature", "Gmail", "en",
    plain="Perfect, thanks a lot for the quick fix.\n\nCheers, Tom\n",
    expected="Perfect, thanks a lot for the quick fix.",
    sender=("Tom Hale", "tom.hale@gmail.com"),
)

case(
    "late_sig_quote_motto",
    "signature", "Thunderbird", "en",
    plain="Confirmed, the new build syncs fine.\n\n-- \nIda Brandt\n\"Simplicity is prerequisite for reliability.\"\n",
    expected="Confirmed, the new build syncs fine.",
    sender=("Ida Brandt", "ida@brandt.example"),
)

case(
    "late_sig_it_cordiali_saluti_block",
    "signature", "Outlook desktop", "it",
    plain="Buongiorno,\n\nvi confermo che il problema è risolto.\n\nCordiali saluti\n\nAlessandro Greco\nUfficio IT\nTel. 02 1234 5678\n",
    expected="Buongiorno,\n\nvi confermo che il problema è risolto.",
    sender=("Alessandro Greco", "a.greco@azienda.example"),
)

case(
    "late_sig_tr_iyi_calismalar",
    "signature", "Gmail", "tr",
    plain="Merhaba,\n\nsorun çözüldü, teşekkürler.\n\nİyi çalışmalar,\nEmre Kaya\n",
    expected="Merhaba,\n\nsorun çözüldü, teşekkürler.",
    sender=("Emre Kaya", "emre.kaya@gmail.com"),
)

case(
    "late_sig_ko_gamsahamnida_block",
    "signature", "other webmail", "ko",
    plain="안녕하세요.\n\n라이선스 갱신 일정을 알려주시면 감사하겠습니다.\n\n감사합니다.\n김지은 드림\n",
    expected="안녕하세요.\n\n라이선스 갱신 일정을 알려주시면 감사하겠습니다.",
    sender=("김지은", "jieun.kim@naver.example"),
)

case(
    "late_sig_es_enviado_desde_outlook",
    "signature", "Outlook mobile", "es",
    plain="Sí, ya está resuelto.\n\nObtener Outlook para Android<https://aka.ms/AAb9ysg>\n________________________________\n"
    "De: Support Team <support@example.com>\nEnviado: lunes, 30 de septiembre de 2024 16:12\nPara: Rocío Díaz <rocio.diaz@outlook.es>\n"
    "Asunto: [SUP-311] Sync stops after the update\n\n" + OLD["es"],
    expected="Sí, ya está resuelto.",
    sender=("Rocío Díaz", "rocio.diaz@outlook.es"),
)

case(
    "late_sig_pt_enviado_do_iphone",
    "signature", "Apple Mail iOS", "pt",
    plain="Perfeito, obrigado!\n\nEnviado do meu iPhone\n\n> Em 30 de set. de 2024, à(s) 16:12, Support Team <support@example.com> escreveu:\n>\n" + q(OLD["pt"]),
    expected="Perfeito, obrigado!",
    sender=("Carla Nunes", "carla.nunes@icloud.com"),
)

case(
    "late_sig_de_von_meinem_ipad",
    "signature", "Apple Mail iOS", "de",
    plain="Ja, auf allen Geräten.\n\nVon meinem iPad gesendet\n\n> Am 30.09.2024 um 16:12 schrieb Support Team <support@example.com>:\n>\n" + q(OLD["de"]),
    expected="Ja, auf allen Geräten.",
    sender=("Jonas Beck", "jonas.beck@icloud.com"),
)

# --- forwards ------------------------------------------------------------------------------

case(
    "late_fwd_outlook_note_signature_block",
    "forward", "Outlook desktop", "en",
    plain="Hi,\n\nForwarding the alert we got this morning.\n\n"
    "From: Monitoring <alerts@monitor.example>\nSent: Tuesday, October 1, 2024 6:02 AM\nTo: IT <it@hosting.example>\n"
    "Subject: WARNING: backup job 'nightly' took 5h 12m\n\nThe job 'nightly' finished after 5h 12m (usual: 1h).\n",
    expected="Hi,\n\nForwarding the alert we got this morning.\n\n"
    "From: Monitoring <alerts@monitor.example>\nSent: Tuesday, October 1, 2024 6:02 AM\nTo: IT <it@hosting.example>\n"
    "Subject: WARNING: backup job 'nightly' took 5h 12m\n\nThe job 'nightly' finished after 5h 12m (usual: 1h).",
    subject="FW: WARNING: backup job 'nightly' took 5h 12m",
    sender=("Ken Brody", "ken.brody@hosting.example"),
)

case(
    "late_fwd_es_mensaje_reenviado",
    "forward", "Gmail", "es",
    plain="Os reenvío la factura.\n\n---------- Mensaje reenviado ---------\nDe: Facturación <facturas@proveedor.example>\n"
    "Date: vie, 27 sept 2024 a las 9:03\nSubject: Factura 2024-118\nTo: <compras@tienda.example>\n\n\nAdjuntamos la factura 2024-118.\n",
    expected="Os reenvío la factura.\n\n---------- Mensaje reenviado ---------\nDe: Facturación <facturas@proveedor.example>\n"
    "Date: vie, 27 sept 2024 a las 9:03\nSubject: Factura 2024-118\nTo: <compras@tienda.example>\n\nAdjuntamos la factura 2024-118.",
    subject="Fwd: Factura 2024-118",
    sender=("Compras", "compras@tienda.example"),
)

# --- inline and mixed ----------------------------------------------------------------------

case(
    "late_inline_outlook_style_prefix_no_attribution",
    "inline", "Outlook desktop", "en",
    plain="Answers below.\n\n> Which version are you on?\n\n4.2.1\n\n> Does it stop on every computer?\n\nOnly on the laptops.\n\n"
    "From: Support Team <support@example.com>\nSent: Monday, September 30, 2024 4:12 PM\nTo: Dana Whitfield\nSubject: RE: [SUP-311] Sync stops after the update\n\n" + EN,
    expected="Answers below.\n\n> Which version are you on?\n\n4.2.1\n\n> Does it stop on every computer?\n\nOnly on the laptops.",
)

case(
    "late_inline_nested_context_level_two",
    "inline", "mutt/neomutt", "en",
    plain="On Tue, Oct 01, 2024 at 09:00:00AM +0200, Support Team wrote:\n> Which browser?\n\nFirefox 131.\n\n> And the extension version?\n\n2.0.3\n\n-- \nHal\n",
    expected="> Which browser?\n\nFirefox 131.\n\n> And the extension version?\n\n2.0.3",
    sender=("Hal Moss", "hal@moss.example"),
)

case(
    "late_top_and_bottom_quote_kept_out",
    "inline", "Gmail", "en",
    plain="Here are the two logs.\n\n" + "On Mon, Sep 30, 2024 at 4:12 PM Support Team <support@example.com> wrote:\n\n" + q(EN) + "\n\n\n--\nDana\n",
    expected="Here are the two logs.",
)

# --- whole new text ------------------------------------------------------------------------

case(
    "late_new_id_plain",
    "new_text", "Gmail", "id",
    plain="Halo,\n\nSejak pembaruan kemarin, aplikasi tidak bisa sinkron di laptop kantor.\nMohon bantuannya.\n\nSalam,\nBudi\n",
    expected="Halo,\n\nSejak pembaruan kemarin, aplikasi tidak bisa sinkron di laptop kantor.\nMohon bantuannya.",
    subject="Aplikasi tidak sinkron",
    sender=("Budi Santoso", "budi.santoso@gmail.com"),
)

case(
    "late_new_vi_plain",
    "new_text", "Gmail", "vi",
    plain="Chào anh chị,\n\nTừ hôm qua ứng dụng không đồng bộ được trên máy tính công ty.\nNhờ anh chị kiểm tra giúp.\n\nTrân trọng,\nAn\n",
    expected="Chào anh chị,\n\nTừ hôm qua ứng dụng không đồng bộ được trên máy tính công ty.\nNhờ anh chị kiểm tra giúp.",
    subject="Không đồng bộ được",
    sender=("Nguyễn Văn An", "an.nguyen@gmail.com"),
)

case(
    "late_new_form_like_lines",
    "new_text", "Outlook web", "en",
    plain="Please create an account for our new colleague:\n\nName: Lara Stein\nEmail: lara.stein@company.example\nStart: 14 October 2024 09:00\nTeam: Finance\n\nThanks,\nDana\n",
    expected="Please create an account for our new colleague:\n\nName: Lara Stein\nEmail: lara.stein@company.example\nStart: 14 October 2024 09:00\nTeam: Finance",
    subject="New account",
)

# --- traps ---------------------------------------------------------------------------------

case(
    "late_trap_meeting_from_to_sent",
    "trap", "Gmail", "en",
    plain="Here are the shipping details you asked for:\n\nFrom: Warehouse B, Leeds\nSent: 30 September 2024 16:12 by courier\nTo: our Paris office\n\nIt has not arrived yet.\n",
    expected="Here are the shipping details you asked for:\n\nFrom: Warehouse B, Leeds\nSent: 30 September 2024 16:12 by courier\nTo: our Paris office\n\nIt has not arrived yet.",
    subject="Missing parcel",
)

case(
    "late_trap_user_wrote_in_form",
    "trap", "Gmail", "en",
    plain="The customer wrote in the contact form on 30/09/2024:\n\n\"I cannot log in since the update\"\n\nCan you check his account?\n",
    expected="The customer wrote in the contact form on 30/09/2024:\n\n\"I cannot log in since the update\"\n\nCan you check his account?",
    subject="Login problem",
)

case(
    "late_trap_best_in_sentence_end",
    "trap", "Gmail", "en",
    plain="Which plan would you recommend for 40 users?\n\nThe cheapest one that supports SSO is probably best\n",
    expected="Which plan would you recommend for 40 users?\n\nThe cheapest one that supports SSO is probably best",
    subject="Plan",
)

case(
    "late_trap_name_list_at_end",
    "trap", "Outlook desktop", "en",
    plain="These people still cannot log in:\n\nMaria Lopez\nTom Becker\nDana Whitfield\n",
    expected="These people still cannot log in:\n\nMaria Lopez\nTom Becker\nDana Whitfield",
    subject="Login",
)

case(
    "late_trap_sent_from_phone_sentence",
    "trap", "Gmail", "en",
    plain="I sent from my phone the photo of the error, did you get it?\n",
    expected="I sent from my phone the photo of the error, did you get it?",
    subject="Photo",
)

case(
    "late_trap_greater_than_comparison_list",
    "trap", "Gmail", "en",
    plain="Our limits today:\n> 10 GB per user\n> 50 users per team\nThe new plan should raise both.\n",
    expected="Our limits today:\n> 10 GB per user\n> 50 users per team\nThe new plan should raise both.",
    subject="Limits",
)

# --- HTML ----------------------------------------------------------------------------------

case(
    "late_html_outlook2003_blue_border",
    "html", "Outlook desktop", "en",
    html="<html><body><div class=Section1><p class=MsoNormal><font size=2 color=navy face=Arial><span style='font-size:10.0pt;font-family:Arial;color:navy'>Yes, every laptop.<o:p></o:p></span></font></p>"
    "<div><div class=MsoNormal align=center style='text-align:center'><font size=3 face=\"Times New Roman\"><span style='font-size:12.0pt'><hr size=2 width=\"100%\" align=center tabindex=-1></span></font></div>"
    "<p class=MsoNormal><b><font size=2 face=Tahoma><span style='font-size:10.0pt;font-family:Tahoma;font-weight:bold'>From:</span></font></b><font size=2 face=Tahoma><span style='font-size:10.0pt;font-family:Tahoma'> Support Team [mailto:support@example.com] <br>"
    "<b><span style='font-weight:bold'>Sent:</span></b> Monday, September 30, 2024 4:12 PM<br><b><span style='font-weight:bold'>To:</span></b> Dana Whitfield<br>"
    "<b><span style='font-weight:bold'>Subject:</span></b> [SUP-311] Sync stops after the update</span></font><o:p></o:p></p></div>"
    "<p class=MsoNormal><font size=3 face=\"Times New Roman\"><span style='font-size:12.0pt'>Hello,<br><br>Which version of the desktop app are you on?<o:p></o:p></span></font></p></div></body></html>\n",
    expected="Yes, every laptop.",
    cte="qp",
)

case(
    "late_html_gmail_avast_table",
    "html", "Gmail", "en",
    html='<div dir="ltr">The restore worked, thank you.</div><div id="DAB4FAD8-2DD7-40BB-A1B8-4E2AA1F9FDF2"><br><table style="border-top:1px solid #d3d4de">'
    '<tr><td style="width:55px;padding-top:13px"><a href="https://www.avast.com/sig-email" target="_blank"><img src="https://s-install.avcdn.net/ipm/preview/icons/icon-envelope-tick-round-orange-animated-no-repeat-v1.gif" alt="" width="46" height="29"></a></td>'
    '<td style="width:470px;padding-top:12px;color:#41424e;font-size:13px;font-family:Arial,Helvetica,sans-serif;line-height:18px">Virus-free.<a href="https://www.avast.com/sig-email" target="_blank" style="color:#4453ea">www.avast.com</a></td></tr></table>'
    '<a href="#DAB4FAD8-2DD7-40BB-A1B8-4E2AA1F9FDF2" width="1" height="1"> </a></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Sep 30, 2024 at 4:12 PM Support Team &lt;support@example.com&gt; wrote:<br></div>'
    '<blockquote class="gmail_quote">Which version of the desktop app are you on?</blockquote></div>\n',
    expected="The restore worked, thank you.",
    sender=("Neil Shaw", "neil.shaw@gmail.com"),
    cte="qp",
)

case(
    "late_html_outlook_signature_table",
    "html", "Outlook desktop", "de",
    html="<html><body><div class=WordSection1><p class=MsoNormal>Hallo,<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>das Problem ist behoben.<o:p></o:p></p>"
    "<p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>Beste Grüße<o:p></o:p></p><table class=MsoNormalTable border=0 cellspacing=0 cellpadding=0><tr><td><p class=MsoNormal><b>Nina Vogt</b><o:p></o:p></p>"
    "<p class=MsoNormal>Projektleitung<o:p></o:p></p><p class=MsoNormal>Vogt Systemhaus GmbH | Tel. +49 89 123456<o:p></o:p></p></td></tr></table>"
    "<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'><p class=MsoNormal><b>Von:</b> Support Team &lt;support@example.com&gt; <br><b>Gesendet:</b> Montag, 30. September 2024 16:12<br>"
    "<b>An:</b> Nina Vogt &lt;n.vogt@vogt.example&gt;<br><b>Betreff:</b> [SUP-311] Sync stops after the update<o:p></o:p></p></div><p class=MsoNormal>Hallo,<o:p></o:p></p></div></body></html>\n",
    expected="Hallo,\n\ndas Problem ist behoben.",
    sender=("Nina Vogt", "n.vogt@vogt.example"),
    cte="qp",
)

case(
    "late_html_apple_forward_inside_reply",
    "html", "Apple Mail macOS", "en",
    html='<html><body style="overflow-wrap: break-word;">See below, it came back again.<div><br></div><div><div><br><blockquote type="cite"><div>Begin forwarded message:</div><br class="Apple-interchange-newline">'
    '<div style="margin: 0px;"><b>From: </b>Monitor &lt;alerts@monitor.example&gt;</div><div style="margin: 0px;"><b>Subject: </b>sync-daemon stopped</div>'
    '<div style="margin: 0px;"><b>Date: </b>1 October 2024 at 06:02:11 CEST</div><div style="margin: 0px;"><b>To: </b>it@hosting.example</div><br><div><div>sync-daemon stopped (exit 137)</div></div></blockquote></div><br></div></body></html>\n',
    expected="See below, it came back again.\n\nBegin forwarded message:\n\nFrom: Monitor <alerts@monitor.example>\nSubject: sync-daemon stopped\nDate: 1 October 2024 at 06:02:11 CEST\nTo: it@hosting.example\n\nsync-daemon stopped (exit 137)",
    subject="Fwd: sync-daemon stopped",
    sender=("Rosa Grant", "rosa.grant@me.example"),
    cte="qp",
)

case(
    "late_html_yahoo_mobile_sent_from",
    "html", "Yahoo", "fr",
    html='<html><head></head><body><div>Oui, tout marche maintenant.</div><div><br></div><div id="ymail_android_signature"><a href="https://go.onelink.me/107872968?pid=InProduct">Envoyé depuis Yahoo Mail pour Android</a></div>'
    '<div><br></div><div class="yahoo_quoted" id="yahoo_quoted_1234"><div>Le lun., sept. 30, 2024 à 16:12, Support Team&lt;support@example.com&gt; a écrit :</div><div><br></div><blockquote>' + OLD["fr"].replace("\n", "<br>") + "</blockquote></div></body></html>\n",
    expected="Oui, tout marche maintenant.",
    sender=("Inès Garnier", "ines.garnier@yahoo.fr"),
    cte="base64",
)

# --- encodings -----------------------------------------------------------------------------

case(
    "late_enc_koi8r_html_base64",
    "encoding", "Mail.ru", "ru",
    html="<HTML><BODY><p>Да, работает.</p><br>Понедельник, 30 сентября 2024, 16:12 +03:00 от Support Team &lt;support@example.com&gt;:<br>"
    '<blockquote style="border-left:1px solid #0857A6; margin:10px; padding:0 0 0 10px;">' + OLD["ru"].replace("\n", "<br>") + "</blockquote></BODY></HTML>\n",
    expected="Да, работает.",
    sender=("Олег Попов", "oleg.popov@mail.ru"),
    charset="koi8-r",
    cte="base64",
)

case(
    "late_enc_qp_split_labels",
    "encoding", "Outlook desktop", "de",
    plain="Hallo, das hat funktioniert, vielen Dank für die schnelle Hilfe bei diesem Problem heute Morgen!\n\n"
    "Von: Support Team <support@example.com>\nGesendet: Montag, 30. September 2024 16:12\nAn: Karl Schmitt <karl.schmitt@firma.example>\n"
    "Betreff: AW: [SUP-311] Sync stops after the update\n\n" + OLD["de"],
    expected="Hallo, das hat funktioniert, vielen Dank für die schnelle Hilfe bei diesem Problem heute Morgen!",
    sender=("Karl Schmitt", "karl.schmitt@firma.example"),
    charset="iso-8859-1",
    cte="qp",
    crlf=True,
)

case(
    "late_enc_gbk_outlook_block_crlf",
    "encoding", "Outlook desktop", "zh",
    plain="您好，问题已经解决了，谢谢！\n\n发件人: Support Team <support@example.com>\n发送时间: 2024年9月30日 16:12\n收件人: 王芳 <wang.fang@gongsi.example>\n主题: 回复: [SUP-311] Sync stops after the update\n\n" + OLD["zh"],
    expected="您好，问题已经解决了，谢谢！",
    sender=("王芳", "wang.fang@gongsi.example"),
    charset="gbk",
    cte="8bit",
    crlf=True,
)
