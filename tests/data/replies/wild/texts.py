"""Earlier messages that the wild cases quote: what a helpdesk or a colleague wrote before,
in the languages of the set."""

OLD = {
    "en": "Hello,\n\nThanks for getting in touch. Which version of the desktop app are you on,\nand does the sync stop on every computer or only on one?\n\nBest regards,\nThe Support Team",
    "fr": "Bonjour,\n\nMerci pour votre message. Quelle version de l'application utilisez-vous,\net la synchronisation s'arrête-t-elle sur tous vos postes ?\n\nCordialement,\nL'équipe support",
    "de": "Hallo,\n\nvielen Dank für Ihre Nachricht. Welche Version der App nutzen Sie, und\nbricht die Synchronisierung auf allen Rechnern ab?\n\nMit freundlichen Grüßen\nIhr Support-Team",
    "es": "Hola,\n\ngracias por escribirnos. ¿Qué versión de la aplicación usa y se detiene\nla sincronización en todos los equipos?\n\nUn saludo,\nEl equipo de soporte",
    "it": "Buongiorno,\n\ngrazie per averci scritto. Quale versione dell'app usa, e la\nsincronizzazione si blocca su tutti i computer?\n\nCordiali saluti,\nIl team di assistenza",
    "pt": "Olá,\n\nobrigado pelo contato. Qual versão do aplicativo você usa, e a\nsincronização para em todos os computadores?\n\nAtenciosamente,\nEquipe de suporte",
    "nl": "Hallo,\n\nbedankt voor uw bericht. Welke versie van de app gebruikt u, en stopt de\nsynchronisatie op alle computers?\n\nMet vriendelijke groet,\nHet supportteam",
    "sv": "Hej,\n\ntack för ditt meddelande. Vilken version av appen använder du, och\nstannar synkroniseringen på alla datorer?\n\nMed vänliga hälsningar\nSupportteamet",
    "da": "Hej,\n\ntak for din besked. Hvilken version af appen bruger du, og stopper\nsynkroniseringen på alle computere?\n\nMed venlig hilsen\nSupportteamet",
    "nb": "Hei,\n\ntakk for meldingen. Hvilken versjon av appen bruker du, og stopper\nsynkroniseringen på alle maskinene?\n\nVennlig hilsen\nSupportteamet",
    "fi": "Hei,\n\nkiitos viestistäsi. Mitä sovelluksen versiota käytät, ja pysähtyykö\nsynkronointi kaikilla koneilla?\n\nYstävällisin terveisin\nTukitiimi",
    "pl": "Dzień dobry,\n\ndziękujemy za wiadomość. Której wersji aplikacji Pan używa i czy\nsynchronizacja zatrzymuje się na wszystkich komputerach?\n\nPozdrawiamy,\nZespół wsparcia",
    "cs": "Dobrý den,\n\nděkujeme za zprávu. Jakou verzi aplikace používáte a zastavuje se\nsynchronizace na všech počítačích?\n\nS pozdravem\nTým podpory",
    "hu": "Jó napot!\n\nKöszönjük a megkeresést. Melyik verziót használja, és minden gépen\nleáll a szinkronizálás?\n\nÜdvözlettel:\nAz ügyfélszolgálat",
    "ru": "Здравствуйте!\n\nСпасибо за обращение. Какой версией приложения вы пользуетесь и\nостанавливается ли синхронизация на всех компьютерах?\n\nС уважением,\nСлужба поддержки",
    "uk": "Добрий день!\n\nДякуємо за звернення. Якою версією застосунку ви користуєтеся і чи\nзупиняється синхронізація на всіх комп'ютерах?\n\nЗ повагою,\nСлужба підтримки",
    "tr": "Merhaba,\n\nmesajınız için teşekkürler. Uygulamanın hangi sürümünü kullanıyorsunuz\nve eşitleme tüm bilgisayarlarda mı duruyor?\n\nSaygılarımızla,\nDestek Ekibi",
    "ja": "お問い合わせありがとうございます。\n\nご利用中のアプリのバージョンと、同期がすべてのパソコンで止まるかどうかを\n教えていただけますか。\n\nよろしくお願いいたします。\nサポートチーム",
    "zh": "您好，\n\n感谢您的来信。请问您使用的是哪个版本的应用？是所有电脑上都停止同步吗？\n\n此致\n支持团队",
    "zh_tw": "您好，\n\n感謝您的來信。請問您使用的是哪個版本的應用程式？是所有電腦上都停止同步嗎？\n\n敬祝 順心\n支援團隊",
    "ko": "안녕하세요,\n\n문의해 주셔서 감사합니다. 어떤 버전의 앱을 사용하시나요? 모든 컴퓨터에서\n동기화가 멈추나요?\n\n감사합니다.\n지원팀",
    "ar": "مرحبًا،\n\nشكرًا لتواصلك معنا. ما هو إصدار التطبيق الذي تستخدمه؟ وهل تتوقف المزامنة على\nجميع الأجهزة؟\n\nمع التحية،\nفريق الدعم",
    "he": "שלום,\n\nתודה שפנית אלינו. באיזו גרסה של האפליקציה אתה משתמש, והאם הסנכרון נעצר\nבכל המחשבים?\n\nבברכה,\nצוות התמיכה",
    "el": "Γεια σας,\n\nευχαριστούμε για το μήνυμά σας. Ποια έκδοση της εφαρμογής χρησιμοποιείτε\nκαι σταματά ο συγχρονισμός σε όλους τους υπολογιστές;\n\nΜε εκτίμηση,\nΗ ομάδα υποστήριξης",
    "ro": "Bună ziua,\n\nvă mulțumim pentru mesaj. Ce versiune a aplicației folosiți și se oprește\nsincronizarea pe toate calculatoarele?\n\nCu stimă,\nEchipa de suport",
}

SUPPORT = ("Support Team", "support@example.com")
