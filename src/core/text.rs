//! Reply text (SPEC §3.2) and keywords (SPEC §3.3). Pure: no I/O.
// TEMPORARY stubs written by the lead so the crate compiles: the owner of this file replaces
// all of it freely.

use super::Keyword;

pub struct Commands {
    pub keywords: Vec<Keyword>,
    pub text: String,
}

pub fn fold(s: &str) -> String {
    s.to_lowercase()
}

pub fn strip_subject_prefixes(subject: &str) -> &str {
    subject
}

pub fn extract_keywords(_subject: &str, reply_text: &str) -> Commands {
    Commands { keywords: vec![], text: reply_text.to_string() }
}
