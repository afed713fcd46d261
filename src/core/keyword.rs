//! Keywords (SPEC §3.3): `#word` commands in mail.

/// A keyword, whatever language it was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keyword {
    Ack,
    Progress,
    Waiting,
    Resolve,
    Close,
    Reopen,
    Note,
    Partial,
}

impl Keyword {
    pub const ALL: [Keyword; 8] = [
        Keyword::Ack,
        Keyword::Progress,
        Keyword::Waiting,
        Keyword::Resolve,
        Keyword::Close,
        Keyword::Reopen,
        Keyword::Note,
        Keyword::Partial,
    ];

    /// The English spelling, with its `#`.
    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::Ack => "#ack",
            Keyword::Progress => "#progress",
            Keyword::Waiting => "#waiting",
            Keyword::Resolve => "#resolve",
            Keyword::Close => "#close",
            Keyword::Reopen => "#reopen",
            Keyword::Note => "#note",
            Keyword::Partial => "#partial",
        }
    }

    /// The French spelling, with its `#`.
    pub fn as_french(self) -> &'static str {
        match self {
            Keyword::Ack => "#pris-en-compte",
            Keyword::Progress => "#en-cours",
            Keyword::Waiting => "#attente",
            Keyword::Resolve => "#resolu",
            Keyword::Close => "#clore",
            Keyword::Reopen => "#rouvrir",
            Keyword::Note => "#note",
            Keyword::Partial => "#partiel",
        }
    }

    /// Parses one word *without* its `#`, already folded (lower case, accents removed).
    pub fn from_folded(word: &str) -> Option<Keyword> {
        Some(match word {
            "ack" | "pris-en-compte" | "prisencompte" | "pris_en_compte" => Keyword::Ack,
            "progress" | "en-cours" | "encours" | "en_cours" => Keyword::Progress,
            "waiting" | "attente" => Keyword::Waiting,
            "resolve" | "resolu" | "resolved" => Keyword::Resolve,
            "close" | "clore" | "fermer" => Keyword::Close,
            "reopen" | "rouvrir" => Keyword::Reopen,
            "note" => Keyword::Note,
            "partial" | "partiel" => Keyword::Partial,
            _ => return None,
        })
    }
}
