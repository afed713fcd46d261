//! The language of a new ticket (SPEC §3.5): the mail's `Content-Language`, else detected from
//! its text, else `gateway.default_language`.

use super::{text, InboundMail, Lang, Policy};

/// Fewer letters than this and the text is not even looked at: "ok merci", "Thanks!" and
/// one-line mails say too little, and a wrong guess would answer in the wrong language.
pub(crate) const MIN_LETTERS_TO_DETECT: usize = 20;

/// The detector's confidence (0 to 1: how far ahead of the runner-up its guess is, lowered for
/// short texts) that a detection needs. whatlang's own "reliable" (0.8) rejects two-line
/// English mails with a greeting; below 0.5 jargon-heavy English comes out as French.
pub(crate) const MIN_CONFIDENCE: f64 = 0.5;

/// The language of a new ticket (SPEC §3.5), and the decision-log line saying which rule
/// decided: the mail's `Content-Language` if it names English or French; else the language
/// detected from the subject and new text (quotes and signatures stripped), if the detector
/// is sure enough ([`MIN_LETTERS_TO_DETECT`], [`MIN_CONFIDENCE`]) and it is English or
/// French; else `gateway.default_language`. A `Content-Language` naming another language
/// does not override the text: clients stamp their user interface's language.
/// How much of a mail's text language detection reads.
const DETECT_SAMPLE_CHARS: usize = 400;

/// The languages the detector weighs: ours, and the most common others in Latin script,
/// so that German or Spanish text is recognised as such (and answered in the default
/// language) instead of being forced to the nearer of English and French. Weighing all of
/// whatlang's 69 languages took six times as long and was the largest single cost of a new
/// ticket (docs/benchmarks.md); mail in another script has none of these languages and
/// gets the default.
static DETECTOR: std::sync::LazyLock<whatlang::Detector> = std::sync::LazyLock::new(|| {
    use whatlang::Lang::*;
    whatlang::Detector::with_allowlist(vec![Eng, Fra, Deu, Spa, Ita, Por, Nld, Pol, Swe])
});

pub(crate) fn language_of(mail: &InboundMail, policy: &Policy) -> LanguageChoice {
    if let Some(l) = mail.content_language.as_deref().and_then(Lang::from_tag) {
        return LanguageChoice {
            lang: l,
            other_header: None,
            how: LanguageRule::ContentLanguage,
        };
    }
    let text = if mail.reply_text.trim().is_empty() {
        &mail.body
    } else {
        &mail.reply_text
    };
    let subject = text::strip_subject_prefixes(&mail.subject);
    // The first few hundred characters tell the language as well as the whole mail, and
    // detection time grows with the text (it was a tenth of the ingest time on long mails).
    let head: String = text.chars().take(DETECT_SAMPLE_CHARS).collect();
    let sample = format!("{subject}\n{head}");
    let letters = sample.chars().filter(|c| c.is_alphabetic()).count();
    let choice = |lang, how| LanguageChoice {
        lang,
        other_header: mail.content_language.clone(),
        how,
    };
    let default = policy.default_language;
    if letters < MIN_LETTERS_TO_DETECT {
        return choice(default, LanguageRule::TooShort { letters });
    }
    let Some(info) = DETECTOR.detect(&sample) else {
        let script = match whatlang::detect_script(&sample) {
            Some(s) if s != whatlang::Script::Latin => Some(s.name().to_string()),
            _ => None,
        };
        return choice(default, LanguageRule::NotDetected { script });
    };
    let code = info.lang().code();
    let found = match info.lang() {
        whatlang::Lang::Eng => Some(Lang::En),
        whatlang::Lang::Fra => Some(Lang::Fr),
        _ => None,
    };
    let confidence = info.confidence();
    let guess = Guess {
        code,
        confidence: Confidence::of(confidence),
    };
    match found {
        _ if confidence < MIN_CONFIDENCE => choice(default, LanguageRule::Unsure(guess)),
        Some(l) => choice(l, LanguageRule::Detected(guess)),
        None => choice(default, LanguageRule::NoTemplates(guess)),
    }
}

/// A ticket's language and the rule that chose it (a line of the decision log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageChoice {
    pub lang: Lang,
    /// The mail's `Content-Language` when it names neither English nor French.
    pub other_header: Option<String>,
    pub how: LanguageRule,
}

/// Which rule of [`language_of`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LanguageRule {
    ContentLanguage,
    /// The default: too few letters to detect.
    TooShort {
        letters: usize,
    },
    /// The default: the detector found nothing (`script`: the text's, when not Latin).
    NotDetected {
        script: Option<String>,
    },
    /// The default: the detector was not sure enough.
    Unsure(Guess),
    Detected(Guess),
    /// The default: the text is in a language without templates.
    NoTemplates(Guess),
    /// The words a `#list` request was asked with (SPEC §3.10).
    RequestWords,
}

/// What the detector guessed: an ISO 639-3 code and its confidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guess {
    pub code: &'static str,
    pub confidence: Confidence,
}

/// A confidence between 0 and 1 in hundredths, as the log shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confidence(u16);

impl Confidence {
    pub fn of(c: f64) -> Confidence {
        Confidence((c.clamp(0.0, 1.0) * 100.0).round() as u16)
    }
}

impl std::fmt::Display for Confidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl std::fmt::Display for LanguageChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lang = self.lang.as_str();
        let header = match &self.other_header {
            Some(tag) => format!(" (Content-Language {tag} is not en or fr)"),
            None => String::new(),
        };
        match &self.how {
            LanguageRule::ContentLanguage => write!(f, "language {lang} from Content-Language"),
            LanguageRule::TooShort { letters } => write!(
                f,
                "language {lang} (default){header}: text too short to detect ({letters} letters)"
            ),
            LanguageRule::NotDetected { script } => {
                write!(f, "language {lang} (default){header}: no language detected")?;
                match script {
                    Some(s) => write!(f, " (the text is in {s} script)"),
                    None => Ok(()),
                }
            }
            LanguageRule::Unsure(Guess { code, confidence }) => write!(
                f,
                "language {lang} (default){header}: detection unsure ({code}, confidence {confidence})"
            ),
            LanguageRule::Detected(Guess { code, confidence }) => write!(
                f,
                "language {lang} detected from the text{header} ({code}, confidence {confidence})"
            ),
            LanguageRule::NoTemplates(Guess { code, confidence }) => write!(
                f,
                "language {lang} (default){header}: the text is in {code} (confidence {confidence}), which has no templates"
            ),
            LanguageRule::RequestWords => {
                write!(f, "language {lang}{header} from the words asked with")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Address;

    const ALICE: &str = "alice@customer.test";

    fn mail(from: &str, subject: &str, text: &str) -> InboundMail {
        InboundMail {
            message_id: Some(format!("{}@client.test", text.len())),
            from: Some(Address::new(from)),
            to: vec![Address::new("support@gateway.test")],
            subject: subject.into(),
            body: text.into(),
            reply_text: text.into(),
            ..Default::default()
        }
    }

    // -- language (SPEC §3.5) --------------------------------------------------------------

    fn lang(subject: &str, text: &str, header: Option<&str>, default: Lang) -> (Lang, String) {
        let mut m = mail(ALICE, subject, text);
        m.content_language = header.map(str::to_string);
        let policy = Policy {
            default_language: default,
            ..Policy::for_tests()
        };
        let c = language_of(&m, &policy);
        (c.lang, c.to_string())
    }

    #[test]
    fn content_language_decides_first() {
        let (l, why) = lang(
            "Printer",
            "The printer on the second floor prints blank pages since this morning.",
            Some("fr-fr"),
            Lang::En,
        );
        assert_eq!(l, Lang::Fr);
        assert!(why.contains("Content-Language"), "{why}");
    }

    #[test]
    fn french_and_english_are_detected_from_the_text() {
        let (l, why) = lang(
            "Mot de passe oublié",
            "Bonjour,\nje n'arrive plus à me connecter à mon compte depuis hier soir.\nMerci",
            None,
            Lang::En,
        );
        assert_eq!(l, Lang::Fr, "{why}");
        assert!(why.contains("detected"), "{why}");
        let (l, why) = lang(
            "Cannot log in",
            "Hello,\nI cannot log in to my account since yesterday evening.\nThanks",
            None,
            Lang::Fr,
        );
        assert_eq!(l, Lang::En, "{why}");
        assert!(why.contains("detected"), "{why}");
    }

    #[test]
    fn a_content_language_we_have_no_templates_for_lets_the_text_decide() {
        let (l, why) = lang(
            "Imprimante",
            "Bonjour,\nl'imprimante du deuxième étage ne répond plus depuis ce matin.",
            Some("de"),
            Lang::En,
        );
        assert_eq!(l, Lang::Fr, "{why}");
        assert!(why.contains("Content-Language de"), "{why}");
    }

    #[test]
    fn short_or_ambiguous_text_keeps_the_default() {
        for (subject, text) in [
            ("", "ok merci"),
            ("Re: x", "Thanks!"),
            ("Problème", "Voir pièce jointe."),
            ("Bug", "https://example.com/page?id=3 erreur 500"),
            ("Réunion demain", "OK pour 10h."),
            (
                "Login",
                "Password reset link expired, token invalid, SSO redirect loop on Chrome.",
            ),
            ("", ""),
        ] {
            for default in [Lang::En, Lang::Fr] {
                let (l, why) = lang(subject, text, None, default);
                assert_eq!(l, default, "{text:?}: {why}");
                assert!(why.contains("(default)"), "{why}");
            }
        }
    }

    #[test]
    fn another_language_falls_back_to_the_default() {
        let (l, why) = lang(
            "Drucker",
            "Der Drucker funktioniert nicht mehr seit heute morgen, bitte helfen Sie mir.",
            None,
            Lang::Fr,
        );
        assert_eq!(l, Lang::Fr);
        assert!(why.contains("deu") && why.contains("no templates"), "{why}");
    }

    #[test]
    fn spanish_and_text_in_another_script_fall_back_to_the_default() {
        let (l, why) = lang(
            "Impresora",
            "Hola, la impresora de la segunda planta no funciona desde esta mañana, ¿pueden ayudarme?",
            None,
            Lang::Fr,
        );
        assert_eq!(l, Lang::Fr);
        assert!(why.contains("spa") && why.contains("no templates"), "{why}");
        let (l, why) = lang(
            "Принтер",
            "Здравствуйте, принтер на втором этаже не работает с сегодняшнего утра, помогите пожалуйста.",
            None,
            Lang::En,
        );
        assert_eq!(l, Lang::En);
        assert!(why.contains("Cyrillic script"), "{why}");
    }

    #[test]
    fn quoted_text_does_not_decide_the_language() {
        // A French customer forwarding an English thread: the new text is what counts.
        let mut m = mail(
            ALICE,
            "TR: Invoice",
            "Bonjour,\npouvez-vous m'expliquer cette facture que j'ai reçue la semaine dernière ?",
        );
        m.body = format!(
            "{}\n\n> Dear customer, please find attached the invoice for last month and pay it soon.\n",
            m.reply_text
        );
        let c = language_of(&m, &Policy::for_tests());
        let (l, why) = (c.lang, c.to_string());
        assert_eq!(l, Lang::Fr, "{why}");
        assert!(why.starts_with("language fr detected"), "{why}");
    }
}
