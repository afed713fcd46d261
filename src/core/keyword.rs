//! Keywords (SPEC §3.3): the `#word` commands, their aliases, and finding them in a mail
//! ([`extract_keywords`]: the subject, and keyword lines among the first lines of the new text).

use super::text::fold;

/// How many non-blank lines at the top of the new text may carry a keyword (SPEC §3.3).
pub(crate) const KEYWORD_LINES: usize = 5;

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
    /// `#type bug`: sets the ticket's type (SPEC §2.5).
    Type,
    /// `#severity critical`.
    Severity,
    /// `#environment production`.
    Environment,
    /// `#version 10.10`.
    Version,
    /// `#take`: the sender owns the ticket (SPEC §2.6).
    Take,
    /// `#assign ADDRESS`: a staff member owns the ticket.
    Assign,
    /// `#unassign`: nobody owns it.
    Unassign,
}

/// What a keyword takes after it on its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// Nothing: `#close`.
    None,
    /// One word: an address or a value (`#assign ADDRESS`, `#type bug`).
    Word,
    /// The words up to the next `#word` or the end of the line (`#environment pre prod`).
    Text,
}

/// Who writes a keyword: staff move the workflow, customers give feedback or close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    Staff,
    Customer,
}

/// One keyword as data: its spellings, what follows it, who uses it. A keyword is added by
/// adding a row to [`KEYWORDS`] (and its effect to the workflow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeywordSpec {
    pub keyword: Keyword,
    /// The English spelling, folded, without `#`.
    pub english: &'static str,
    /// The French spellings, folded, without `#` (the first is the one shown).
    pub french: &'static [&'static str],
    /// Other spellings accepted, folded, without `#`.
    pub variants: &'static [&'static str],
    pub arg: Arg,
    pub writer: Writer,
}

impl KeywordSpec {
    /// Every spelling of the keyword, English first.
    pub(crate) fn spellings(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.english)
            .chain(self.french.iter().copied())
            .chain(self.variants.iter().copied())
    }
}

/// The keywords of SPEC §2.2 and §3.3.
pub(crate) const KEYWORDS: &[KeywordSpec] = &[
    KeywordSpec {
        keyword: Keyword::Ack,
        english: "ack",
        french: &["pris-en-compte"],
        variants: &["prisencompte", "pris_en_compte"],
        arg: Arg::None,
        writer: Writer::Staff,
    },
    KeywordSpec {
        keyword: Keyword::Progress,
        english: "progress",
        french: &["en-cours"],
        variants: &["encours", "en_cours"],
        arg: Arg::None,
        writer: Writer::Staff,
    },
    KeywordSpec {
        keyword: Keyword::Waiting,
        english: "waiting",
        french: &["attente"],
        variants: &[],
        arg: Arg::None,
        writer: Writer::Staff,
    },
    KeywordSpec {
        keyword: Keyword::Resolve,
        english: "resolve",
        french: &["resolu"],
        variants: &["resolved"],
        arg: Arg::None,
        writer: Writer::Staff,
    },
    KeywordSpec {
        keyword: Keyword::Close,
        english: "close",
        french: &["clore", "fermer"],
        variants: &[],
        arg: Arg::None,
        writer: Writer::Staff,
    },
    KeywordSpec {
        keyword: Keyword::Reopen,
        english: "reopen",
        french: &["rouvrir"],
        variants: &[],
        arg: Arg::None,
        writer: Writer::Staff,
    },
    KeywordSpec {
        keyword: Keyword::Note,
        english: "note",
        french: &[],
        variants: &[],
        arg: Arg::None,
        writer: Writer::Staff,
    },
    KeywordSpec {
        keyword: Keyword::Partial,
        english: "partial",
        french: &["partiel"],
        variants: &[],
        arg: Arg::None,
        writer: Writer::Customer,
    },
    KeywordSpec {
        keyword: Keyword::Type,
        english: "type",
        french: &[],
        variants: &[],
        arg: Arg::Word,
        writer: Writer::Staff,
    },
    KeywordSpec {
        keyword: Keyword::Severity,
        english: "severity",
        french: &["severite"],
        variants: &["gravite"],
        arg: Arg::Word,
        writer: Writer::Staff,
    },
    KeywordSpec {
        keyword: Keyword::Environment,
        english: "environment",
        french: &["environnement"],
        variants: &["env"],
        arg: Arg::Text,
        writer: Writer::Staff,
    },
    KeywordSpec {
        keyword: Keyword::Version,
        english: "version",
        french: &[],
        variants: &[],
        arg: Arg::Text,
        writer: Writer::Staff,
    },
    KeywordSpec {
        keyword: Keyword::Take,
        english: "take",
        french: &["prendre"],
        variants: &[],
        arg: Arg::None,
        writer: Writer::Staff,
    },
    KeywordSpec {
        keyword: Keyword::Assign,
        english: "assign",
        french: &["assigner", "attribuer"],
        variants: &[],
        arg: Arg::Word,
        writer: Writer::Staff,
    },
    KeywordSpec {
        keyword: Keyword::Unassign,
        english: "unassign",
        french: &["desassigner"],
        variants: &["desattribuer"],
        arg: Arg::None,
        writer: Writer::Staff,
    },
];

impl Keyword {
    pub const ALL: [Keyword; 15] = [
        Keyword::Ack,
        Keyword::Progress,
        Keyword::Waiting,
        Keyword::Resolve,
        Keyword::Close,
        Keyword::Reopen,
        Keyword::Note,
        Keyword::Partial,
        Keyword::Type,
        Keyword::Severity,
        Keyword::Environment,
        Keyword::Version,
        Keyword::Take,
        Keyword::Assign,
        Keyword::Unassign,
    ];

    /// The keywords that set a field or the owner: they apply together with the state
    /// keyword of the same mail.
    pub const FIELDS_AND_OWNER: [Keyword; 7] = [
        Keyword::Type,
        Keyword::Severity,
        Keyword::Environment,
        Keyword::Version,
        Keyword::Take,
        Keyword::Assign,
        Keyword::Unassign,
    ];

    /// Sets a field or the owner (see [`Keyword::FIELDS_AND_OWNER`]).
    pub fn is_field_or_owner(self) -> bool {
        Keyword::FIELDS_AND_OWNER.contains(&self)
    }

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
            Keyword::Type => "#type",
            Keyword::Severity => "#severity",
            Keyword::Environment => "#environment",
            Keyword::Version => "#version",
            Keyword::Take => "#take",
            Keyword::Assign => "#assign",
            Keyword::Unassign => "#unassign",
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
            Keyword::Type => "#type",
            Keyword::Severity => "#sévérité",
            Keyword::Environment => "#environnement",
            Keyword::Version => "#version",
            Keyword::Take => "#prendre",
            Keyword::Assign => "#assigner",
            Keyword::Unassign => "#désassigner",
        }
    }

    /// Its row of [`KEYWORDS`].
    pub fn spec(self) -> &'static KeywordSpec {
        KEYWORDS
            .iter()
            .find(|s| s.keyword == self)
            .expect("every keyword has a row in KEYWORDS")
    }

    /// Parses one word *without* its `#`, already folded (lower case, accents removed).
    pub(crate) fn from_folded(word: &str) -> Option<Keyword> {
        spec_of(KEYWORDS, word).map(|s| s.keyword)
    }
}

/// The row of `table` one of whose spellings is `folded`.
fn spec_of<'t>(table: &'t [KeywordSpec], folded: &str) -> Option<&'t KeywordSpec> {
    table.iter().find(|s| s.spellings().any(|w| w == folded))
}

/// A keyword with its argument, as found on a keyword line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub keyword: Keyword,
    pub arg: Option<String>,
}

/// A staff keyword line that could not be read (SPEC §3.3): the word not understood and the
/// nearest keyword. The mail that holds it is held, never guessed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUnderstood {
    /// The word as written (`#closed`, or a stray word after a keyword).
    pub word: String,
    /// The nearest staff keyword by edit distance over every spelling (`#close`).
    pub nearest: Option<String>,
}

/// What a staff mail says: its commands in order, or the word that holds it, and its text
/// without the keyword lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StaffCommands {
    pub commands: Vec<Command>,
    pub not_understood: Option<NotUnderstood>,
    pub text: String,
}

impl StaffCommands {
    /// The keywords, in order, without duplicates.
    pub fn keywords(&self) -> Vec<Keyword> {
        let mut out = Vec::new();
        for c in &self.commands {
            if !out.contains(&c.keyword) {
                out.push(c.keyword);
            }
        }
        out
    }
}

/// Reads a staff mail (SPEC §3.3): keywords in the subject (never those of the ticket's own
/// `summary`, which every gateway mail echoes), and keyword lines among the first
/// [`KEYWORD_LINES`] lines of the new text. A line that starts with `#word` is a keyword line;
/// a word on it that is not a staff keyword (or an argument missing or left over) makes the
/// whole mail not understood.
pub(crate) fn staff_commands(subject: &str, reply_text: &str, summary: &str) -> StaffCommands {
    staff_commands_in(KEYWORDS, subject, reply_text, summary)
}

/// [`staff_commands`] with another keyword table (tests give it keywords with arguments).
pub(crate) fn staff_commands_in(
    table: &[KeywordSpec],
    subject: &str,
    reply_text: &str,
    summary: &str,
) -> StaffCommands {
    let staff: Vec<KeywordSpec> = table
        .iter()
        .filter(|s| s.writer == Writer::Staff)
        .copied()
        .collect();
    let mut commands: Vec<Command> = subject_keywords(subject, summary)
        .into_iter()
        .filter(|k| staff.iter().any(|s| s.keyword == *k && s.arg == Arg::None))
        .map(|keyword| Command { keyword, arg: None })
        .collect();
    let lines: Vec<&str> = reply_text.lines().collect();
    let mut remove = vec![false; lines.len()];
    for (i, line) in first_lines(&lines) {
        if !starts_with_hashword(line) {
            continue;
        }
        remove[i] = true;
        match parse_line(&staff, line) {
            Ok(found) => commands.extend(found),
            Err(word) => {
                // A keyword without its argument is named as it is, with no guess.
                let nearest = word
                    .strip_prefix('#')
                    .filter(|w| spec_of(&staff, &fold(w)).is_none())
                    .and_then(|w| nearest_keyword(&staff, &fold(w)));
                return StaffCommands {
                    commands: vec![],
                    not_understood: Some(NotUnderstood { word, nearest }),
                    text: without_lines(&lines, &remove),
                };
            }
        }
    }
    StaffCommands {
        commands,
        not_understood: None,
        text: without_lines(&lines, &remove),
    }
}

/// Reads a customer mail (SPEC §2.2, §3.3): `#close` or `#partial` on a keyword line or in
/// the subject (never in the ticket's own `summary`). Staff keywords and other `#words` are
/// plain text in a customer's mail; only the customer keyword lines are removed.
pub(crate) fn customer_commands(
    subject: &str,
    reply_text: &str,
    summary: &str,
) -> (Option<Keyword>, String) {
    let is_customer = |k: &Keyword| matches!(k, Keyword::Close | Keyword::Partial);
    let mut found: Vec<Keyword> = subject_keywords(subject, summary);
    let lines: Vec<&str> = reply_text.lines().collect();
    let mut remove = vec![false; lines.len()];
    for (i, line) in first_lines(&lines) {
        if let Some(kws) = keyword_line(line) {
            if kws.iter().all(is_customer) {
                remove[i] = true;
            }
            found.extend(kws);
        }
    }
    let keyword = [Keyword::Close, Keyword::Partial]
        .into_iter()
        .find(|k| found.contains(k));
    (keyword, without_lines(&lines, &remove))
}

/// The first [`KEYWORD_LINES`] non-blank lines, with their index.
fn first_lines<'a>(lines: &'a [&'a str]) -> impl Iterator<Item = (usize, &'a str)> + 'a {
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .take(KEYWORD_LINES)
        .map(|(i, l)| (i, *l))
}

/// A line whose first word is `#` and a letter: a keyword line, for staff.
fn starts_with_hashword(line: &str) -> bool {
    let mut chars = line.trim_start().chars();
    chars.next() == Some('#') && chars.next().is_some_and(char::is_alphabetic)
}

/// Punctuation a keyword line may end with.
const TRAILING: [char; 6] = ['.', '!', ',', ';', ':', '?'];

/// The commands of one keyword line, or the word that is not understood.
fn parse_line(table: &[KeywordSpec], line: &str) -> Result<Vec<Command>, String> {
    let line = line
        .trim()
        .trim_end_matches(|c: char| c.is_whitespace() || TRAILING.contains(&c));
    let mut tokens = line.split_whitespace().peekable();
    let mut found = Vec::new();
    while let Some(token) = tokens.next() {
        let Some(word) = token.strip_prefix('#') else {
            return Err(token.to_string());
        };
        let word = word.trim_end_matches(TRAILING);
        if word.is_empty() || !word.chars().all(is_keyword_char) {
            return Err(token.to_string());
        }
        let spec = spec_of(table, &fold(word)).ok_or_else(|| format!("#{word}"))?;
        let arg = match spec.arg {
            Arg::None => None,
            Arg::Word => match tokens.next_if(|t| !t.starts_with('#')) {
                Some(a) => Some(a.trim_end_matches(TRAILING).to_string()),
                None => return Err(format!("#{word}")),
            },
            Arg::Text => {
                let mut words = Vec::new();
                while let Some(a) = tokens.next_if(|t| !t.starts_with('#')) {
                    words.push(a);
                }
                if words.is_empty() {
                    return Err(format!("#{word}"));
                }
                Some(words.join(" ").trim_end_matches(TRAILING).to_string())
            }
        };
        found.push(Command {
            keyword: spec.keyword,
            arg,
        });
    }
    Ok(found)
}

/// The nearest spelling of `table` to a folded word, by edit distance (ties: table order,
/// English first); `None` when nothing is within half the word's length.
fn nearest_keyword(table: &[KeywordSpec], folded: &str) -> Option<String> {
    let (distance, spelling) = table
        .iter()
        .flat_map(KeywordSpec::spellings)
        .map(|w| (edit_distance(folded, w), w))
        .min_by_key(|(d, _)| *d)?;
    (distance <= folded.chars().count().max(4) / 2).then(|| format!("#{spelling}"))
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// `lines` without the removed ones, joined and trimmed; a removed line between two blank
/// ones leaves one blank line.
fn without_lines(lines: &[&str], remove: &[bool]) -> String {
    let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
    let mut skip_blank = false;
    for (i, line) in lines.iter().enumerate() {
        let blank = line.trim().is_empty();
        if remove[i] {
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
    kept.join("\n").trim().to_string()
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
    for kw in subject_keywords(subject, "") {
        add(kw, &mut keywords);
    }
    let lines: Vec<&str> = reply_text.lines().collect();
    let mut remove = vec![false; lines.len()];
    for (i, line) in first_lines(&lines) {
        if let Some(found) = keyword_line(line) {
            for kw in found {
                add(kw, &mut keywords);
            }
            remove[i] = true;
        }
    }
    Commands {
        keywords,
        text: without_lines(&lines, &remove),
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

/// The keywords of `#word`s anywhere in the subject, as whole words, except the `#word`s of
/// the ticket's summary: the customer wrote those, and every gateway mail echoes them.
fn subject_keywords(subject: &str, summary: &str) -> Vec<Keyword> {
    let echoed = hashwords(summary);
    hashwords(subject)
        .into_iter()
        .filter(|w| !echoed.contains(w))
        .filter_map(|w| Keyword::from_folded(&w))
        .collect()
}

/// The `#word`s of a line, as whole words, folded, without `#`.
fn hashwords(text: &str) -> Vec<String> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
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
        let end = text[start..]
            .char_indices()
            .find(|&(_, c)| !is_keyword_char(c))
            .map_or(text.len(), |(j, _)| start + j);
        let word = text[start..end].trim_end_matches(['-', '_']);
        if !word.is_empty() {
            found.push(fold(word));
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

    // ---- staff and customer mail (SPEC §3.3) ----------------------------------------------

    #[test]
    fn a_keyword_of_the_summary_is_plain_text_for_staff_and_customers() {
        let summary = "How do I #close my account?";
        let subject = "Re: [SUP-9] How do I #close my account?";
        let c = staff_commands(subject, "Which account?", summary);
        assert!(c.commands.is_empty(), "{c:?}");
        assert_eq!(customer_commands(subject, "Any news?", summary).0, None);
        let color = "Printing in color #Résolu does not work";
        let c = staff_commands(
            "RE: [SUP-9] Printing in color #resolu does not work",
            "",
            color,
        );
        assert!(c.commands.is_empty(), "{c:?}");
        // What the sender wrote still counts: another subject keyword, a keyword line.
        let c = staff_commands(&format!("{subject} #waiting"), "", summary);
        assert_eq!(c.keywords(), [Keyword::Waiting]);
        let c = staff_commands(subject, "#close\nDone.", summary);
        assert_eq!(
            (c.keywords(), c.text.as_str()),
            (vec![Keyword::Close], "Done.")
        );
        assert_eq!(
            customer_commands(subject, "#close\nThanks", summary),
            (Some(Keyword::Close), "Thanks".to_string())
        );
    }

    #[test]
    fn a_staff_keyword_line_with_a_word_that_is_not_a_keyword_is_not_understood() {
        for (text, word, nearest) in [
            ("#closed\nDone.", "#closed", Some("#close")),
            ("#internal\nThis looks like spam.", "#internal", None),
            ("#assign\nyours", "#assign", None),
            ("#severity", "#severity", None),
            ("#take me", "me", None),
            ("#resolve #tpyo", "#tpyo", None),
            ("#resolve done", "done", None),
            ("#note do not tell the customer", "do", None),
            ("#partial\nstaff cannot", "#partial", None),
            ("Hello,\n#attent\nWhich model?", "#attent", Some("#attente")),
            ("#rouvir", "#rouvir", Some("#rouvrir")),
        ] {
            let c = staff_commands("Re: [SUP-1] Printer", text, "Printer");
            assert_eq!(
                c.not_understood,
                Some(NotUnderstood {
                    word: word.into(),
                    nearest: nearest.map(str::to_string)
                }),
                "{text:?}"
            );
            assert!(c.commands.is_empty(), "{text:?}");
        }
        // Not keyword lines: text, relayed as written.
        for text in [
            "# Heading\nText",
            "#1 priority is the printer",
            "Please #close this when done.",
            "one\ntwo\nthree\nfour\nfive\n#closed",
        ] {
            let c = staff_commands("Re: [SUP-1] Printer", text, "Printer");
            assert_eq!(c.not_understood, None, "{text:?}");
            assert!(c.commands.is_empty(), "{text:?}");
        }
        assert_eq!(
            staff_commands("", "#Pris-En-Compte #note.", "").keywords(),
            [Keyword::Ack, Keyword::Note]
        );
    }

    #[test]
    fn a_keyword_takes_its_argument_as_its_row_says() {
        const ASSIGN: &[KeywordSpec] = &[
            KeywordSpec {
                keyword: Keyword::Note,
                english: "assign",
                french: &["attribuer"],
                variants: &[],
                arg: Arg::Word,
                writer: Writer::Staff,
            },
            KeywordSpec {
                keyword: Keyword::Waiting,
                english: "waiting",
                french: &[],
                variants: &[],
                arg: Arg::None,
                writer: Writer::Staff,
            },
        ];
        let c = staff_commands_in(ASSIGN, "", "#assign paul@x.test #waiting\nText", "");
        assert_eq!(
            c.commands,
            [
                Command {
                    keyword: Keyword::Note,
                    arg: Some("paul@x.test".into())
                },
                Command {
                    keyword: Keyword::Waiting,
                    arg: None
                }
            ]
        );
        assert_eq!(c.text, "Text");
        for missing in ["#assign", "#attribuer #waiting"] {
            let c = staff_commands_in(ASSIGN, "", missing, "");
            assert!(c.not_understood.is_some(), "{missing}");
        }
    }

    #[test]
    fn field_and_owner_keywords_share_a_line_with_a_state_keyword() {
        let c = staff_commands(
            "",
            "#take #severity critical #sévérité Critique\n#type bug #waiting\nWhich version?",
            "",
        );
        let got: Vec<(Keyword, Option<&str>)> = c
            .commands
            .iter()
            .map(|c| (c.keyword, c.arg.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (Keyword::Take, None),
                (Keyword::Severity, Some("critical")),
                (Keyword::Severity, Some("Critique")),
                (Keyword::Type, Some("bug")),
                (Keyword::Waiting, None),
            ]
        );
        assert_eq!(c.text, "Which version?");
        let c = staff_commands("", "#environment pre prod EU #version 10.10.\nok", "");
        let got: Vec<(Keyword, Option<&str>)> = c
            .commands
            .iter()
            .map(|c| (c.keyword, c.arg.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (Keyword::Environment, Some("pre prod EU")),
                (Keyword::Version, Some("10.10")),
            ]
        );
        let c = staff_commands("", "#assign paul@x.test #unassign #prendre", "");
        assert_eq!(
            c.keywords(),
            [Keyword::Assign, Keyword::Unassign, Keyword::Take]
        );
        // A customer's `#type bug` is text.
        assert_eq!(
            customer_commands("", "#type bug\nhello", ""),
            (None, "#type bug\nhello".to_string())
        );
    }

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("closed", "close"), 1);
        assert_eq!(edit_distance("", "ack"), 3);
        assert_eq!(edit_distance("resolu", "resolu"), 0);
        assert_eq!(edit_distance("prgoress", "progress"), 2);
    }
}
