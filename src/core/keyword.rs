//! Keywords (SPEC §3.3): the `#word` commands, their aliases, and finding them in a mail
//! ([`extract_keywords`]: the subject, and keyword lines among the first lines of the new text).

use super::text::fold;

/// How many non-blank lines at the top of the new text may carry a keyword (SPEC §3.3).
pub const KEYWORD_LINES: usize = 5;

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

/// The commands found in a mail, and its new text without the keyword lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Commands {
    /// In order found (subject first, then body), without duplicates.
    pub keywords: Vec<Keyword>,
    /// `reply_text` with the keyword lines removed, trimmed.
    pub text: String,
}

/// SPEC §3.3: a keyword is `#word` on a line of its own among the first [`KEYWORD_LINES`]
/// non-blank lines of the new text, or anywhere in the subject as a whole word (`#resolve`,
/// `[#close]`). Case and accents do not matter; French aliases come from
/// [`Keyword::from_folded`]. `#hashtags` that are not keywords stay plain text.
///
/// Extraction runs on `reply_text` (quotes already stripped), so a keyword in quoted text never
/// counts.
pub fn extract_keywords(subject: &str, reply_text: &str) -> Commands {
    let mut keywords = Vec::new();
    let add = |kw: Keyword, keywords: &mut Vec<Keyword>| {
        if !keywords.contains(&kw) {
            keywords.push(kw);
        }
    };
    for kw in subject_keywords(subject) {
        add(kw, &mut keywords);
    }

    let lines: Vec<&str> = reply_text.lines().collect();
    let mut remove = vec![false; lines.len()];
    let mut non_blank = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        non_blank += 1;
        if non_blank > KEYWORD_LINES {
            break;
        }
        if let Some(found) = keyword_line(line) {
            for kw in found {
                add(kw, &mut keywords);
            }
            remove[i] = true;
        }
    }

    let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
    let mut skip_blank = false;
    for (i, line) in lines.iter().enumerate() {
        let blank = line.trim().is_empty();
        if remove[i] {
            // "Hello\n\n#resolve\n\nFixed." must not leave two blank lines behind.
            let prev_blank = kept.last().is_some_and(|l| l.trim().is_empty());
            let next_blank = lines.get(i + 1).is_some_and(|l| l.trim().is_empty());
            skip_blank = prev_blank && next_blank;
            continue;
        }
        if skip_blank && blank {
            skip_blank = false;
            continue;
        }
        skip_blank = false;
        kept.push(line);
    }
    Commands {
        keywords,
        text: kept.join("\n").trim().to_string(),
    }
}

/// Keywords on a line that holds nothing else (whitespace and trailing punctuation allowed).
fn keyword_line(line: &str) -> Option<Vec<Keyword>> {
    let t = line.trim().trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, '.' | '!' | ',' | ';' | ':' | '?')
    });
    if t.is_empty() {
        return None;
    }
    let mut found = Vec::new();
    for token in t.split_whitespace() {
        let word = token
            .strip_prefix('#')?
            .trim_end_matches(['.', '!', ',', ';', ':', '?']);
        if word.is_empty() || !word.chars().all(is_keyword_char) {
            return None;
        }
        found.push(Keyword::from_folded(&fold(word))?);
    }
    Some(found)
}

fn is_keyword_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_'
}

/// `#word` anywhere in the subject, as a whole word.
fn subject_keywords(subject: &str) -> Vec<Keyword> {
    let chars: Vec<(usize, char)> = subject.char_indices().collect();
    let mut found = Vec::new();
    for (k, &(i, c)) in chars.iter().enumerate() {
        if c != '#' {
            continue;
        }
        if k > 0 {
            let prev = chars[k - 1].1;
            if prev.is_alphanumeric() || matches!(prev, '_' | '#' | '&' | '-') {
                continue;
            }
        }
        let start = i + 1;
        let end = subject[start..]
            .char_indices()
            .find(|&(_, c)| !is_keyword_char(c))
            .map_or(subject.len(), |(j, _)| start + j);
        let word = subject[start..end].trim_end_matches(['-', '_']);
        if let Some(kw) = Keyword::from_folded(&fold(word)) {
            found.push(kw);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::quotes::strip_quotes;

    // ---- keywords ---------------------------------------------------------------------------

    #[test]
    fn every_alias_is_recognised_on_its_own_line() {
        let aliases = [
            ("#ack", Keyword::Ack),
            ("#pris-en-compte", Keyword::Ack),
            ("#progress", Keyword::Progress),
            ("#en-cours", Keyword::Progress),
            ("#waiting", Keyword::Waiting),
            ("#attente", Keyword::Waiting),
            ("#resolve", Keyword::Resolve),
            ("#resolu", Keyword::Resolve),
            ("#résolu", Keyword::Resolve),
            ("#close", Keyword::Close),
            ("#clore", Keyword::Close),
            ("#fermer", Keyword::Close),
            ("#reopen", Keyword::Reopen),
            ("#rouvrir", Keyword::Reopen),
            ("#note", Keyword::Note),
            ("#partial", Keyword::Partial),
            ("#partiel", Keyword::Partial),
        ];
        for (word, kw) in aliases {
            let c = extract_keywords("Question", &format!("{word}\n\nSome text."));
            assert_eq!(c.keywords, vec![kw], "{word}");
            assert_eq!(c.text, "Some text.", "{word}");
        }
    }

    #[test]
    fn keywords_ignore_case_and_accents() {
        for word in ["#Résolu", "#RESOLU", "#RéSoLu", "#Resolve", "#RESOLVE"] {
            assert_eq!(
                extract_keywords("", word).keywords,
                vec![Keyword::Resolve],
                "{word}"
            );
        }
        assert_eq!(
            extract_keywords("", "#Pris-En-Compte").keywords,
            vec![Keyword::Ack]
        );
    }

    #[test]
    fn keyword_line_may_have_whitespace_and_trailing_punctuation() {
        let c = extract_keywords("", "   #close.  \nThanks!");
        assert_eq!(c.keywords, vec![Keyword::Close]);
        assert_eq!(c.text, "Thanks!");
        assert_eq!(
            extract_keywords("", "#resolve !").keywords,
            vec![Keyword::Resolve]
        );
    }

    #[test]
    fn keywords_in_subject_anywhere_as_whole_words() {
        assert_eq!(
            extract_keywords("Re: [SUP-4] done #resolve", "").keywords,
            vec![Keyword::Resolve]
        );
        assert_eq!(
            extract_keywords("[#close] Re: [SUP-4]", "").keywords,
            vec![Keyword::Close]
        );
        assert_eq!(
            extract_keywords("#Résolu: printer", "").keywords,
            vec![Keyword::Resolve]
        );
        assert!(extract_keywords("issue#close", "").keywords.is_empty());
        assert!(extract_keywords("#closed deal", "").keywords.is_empty());
        assert!(extract_keywords("C# compiler", "").keywords.is_empty());
    }

    #[test]
    fn subject_keywords_come_first_without_duplicates() {
        let c = extract_keywords("#note [SUP-1]", "#resolve\n#note\nDone.");
        assert_eq!(c.keywords, vec![Keyword::Note, Keyword::Resolve]);
        assert_eq!(c.text, "Done.");
    }

    #[test]
    fn keywords_only_in_the_first_lines() {
        let text = "one\n\ntwo\nthree\nfour\nfive\n#close\n";
        let c = extract_keywords("", text);
        assert!(c.keywords.is_empty());
        assert!(c.text.ends_with("#close"));
        let text = "one\ntwo\nthree\nfour\n#close\nsix";
        assert_eq!(extract_keywords("", text).keywords, vec![Keyword::Close]);
    }

    #[test]
    fn keyword_inside_a_sentence_is_text() {
        let c = extract_keywords("", "Please #close this when done.");
        assert!(c.keywords.is_empty());
        assert_eq!(c.text, "Please #close this when done.");
    }

    #[test]
    fn non_keyword_hashtags_stay() {
        let c = extract_keywords("#urgent printer", "#printer\n#ack\nLooking at it.");
        assert_eq!(c.keywords, vec![Keyword::Ack]);
        assert_eq!(c.text, "#printer\nLooking at it.");
    }

    #[test]
    fn quoted_keywords_do_not_count_because_quotes_are_stripped_first() {
        let body = "Thanks.\n\nOn Mon, 3 Jun 2024 at 10:00, Alice <a@x.com> wrote:\n> #close\n";
        let c = extract_keywords("Re: x", &strip_quotes(body));
        assert!(c.keywords.is_empty());
        assert_eq!(c.text, "Thanks.");
    }

    #[test]
    fn removing_a_keyword_line_leaves_one_blank_line() {
        let c = extract_keywords("", "Hello,\n\n#waiting\n\nWhich version?");
        assert_eq!(c.keywords, vec![Keyword::Waiting]);
        assert_eq!(c.text, "Hello,\n\nWhich version?");
    }

    #[test]
    fn several_keywords_on_one_line() {
        let c = extract_keywords("", "#resolve #note\nDone");
        assert_eq!(c.keywords, vec![Keyword::Resolve, Keyword::Note]);
        assert_eq!(c.text, "Done");
        let c = extract_keywords("", "#resolve done");
        assert!(c.keywords.is_empty());
    }
}
