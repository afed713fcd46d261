//! HTML mail as readable text ([`html_to_text`]), and the new part of an HTML reply with the
//! quote blocks of mail clients removed before conversion ([`html_reply_text`], SPEC §3.2).
//! Pure: no I/O; any input, however broken, gives a string.

use std::borrow::Cow;

use super::quotes::{is_forward_marker, reply_text, tidy, Reply};

#[derive(Debug)]
enum Tok<'a> {
    Text(&'a str),
    Start {
        name: String,
        attrs: Vec<(String, String)>,
        self_closing: bool,
    },
    End {
        name: String,
    },
    /// Comments, doctypes, processing instructions, the raw content of `<script>`/`<style>`.
    Other,
}

#[derive(Debug)]
struct Token<'a> {
    tok: Tok<'a>,
    start: usize,
    end: usize,
}

/// Elements whose content is raw text, never markup.
const RAW_TEXT_ELEMENTS: &[&str] = &["script", "style", "title", "textarea", "xmp"];

/// A forgiving tokenizer: never fails, every byte ends up in some token. All token boundaries
/// fall on ASCII bytes, so slicing the input at them is safe.
fn tokenize(html: &str) -> Vec<Token<'_>> {
    let bytes = html.as_bytes();
    let len = bytes.len();
    let mut toks = Vec::new();
    let mut pos = 0;
    let mut text_start = 0;
    while pos < len {
        if bytes[pos] != b'<' {
            pos += 1;
            continue;
        }
        let Some((tok, end)) = parse_markup(html, pos) else {
            pos += 1;
            continue;
        };
        if text_start < pos {
            toks.push(Token {
                tok: Tok::Text(&html[text_start..pos]),
                start: text_start,
                end: pos,
            });
        }
        let raw_text = match &tok {
            Tok::Start {
                name,
                self_closing: false,
                ..
            } if RAW_TEXT_ELEMENTS.contains(&name.as_str()) => Some(format!("</{name}")),
            _ => None,
        };
        toks.push(Token {
            tok,
            start: pos,
            end,
        });
        pos = end;
        if let Some(close) = raw_text {
            let close_at = find_ascii_ci(bytes, pos, close.as_bytes()).unwrap_or(len);
            if close_at > pos {
                toks.push(Token {
                    tok: Tok::Other,
                    start: pos,
                    end: close_at,
                });
            }
            pos = close_at;
        }
        text_start = pos;
    }
    if text_start < len {
        toks.push(Token {
            tok: Tok::Text(&html[text_start..]),
            start: text_start,
            end: len,
        });
    }
    toks
}

fn find_byte(bytes: &[u8], from: usize, b: u8) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&x| x == b)
        .map(|p| from + p)
}

fn find_ascii_ci(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || from >= bytes.len() {
        return None;
    }
    let hay = &bytes[from..];
    if hay.len() < needle.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .find(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle))
        .map(|i| from + i)
}

fn read_name(bytes: &[u8], mut p: usize) -> (String, usize) {
    let start = p;
    while p < bytes.len()
        && (bytes[p].is_ascii_alphanumeric() || matches!(bytes[p], b'-' | b':' | b'_' | b'.'))
    {
        p += 1;
    }
    (
        String::from_utf8_lossy(&bytes[start..p]).to_ascii_lowercase(),
        p,
    )
}

/// Markup at `pos` (a `<`): the token and the byte after it, or `None` when this `<` is text.
fn parse_markup(html: &str, pos: usize) -> Option<(Tok<'_>, usize)> {
    let bytes = html.as_bytes();
    let len = bytes.len();
    let next = *bytes.get(pos + 1)?;
    if bytes[pos..].starts_with(b"<!--") {
        let end = find_ascii_ci(bytes, pos + 4, b"-->").map_or(len, |e| e + 3);
        return Some((Tok::Other, end));
    }
    match next {
        b'!' | b'?' => {
            let end = find_byte(bytes, pos, b'>').map_or(len, |e| e + 1);
            Some((Tok::Other, end))
        }
        b'/' => {
            let after = *bytes.get(pos + 2)?;
            let end_of = |p: usize| find_byte(bytes, p, b'>').map_or(len, |e| e + 1);
            if after.is_ascii_alphabetic() {
                let (name, p) = read_name(bytes, pos + 2);
                Some((Tok::End { name }, end_of(p)))
            } else {
                Some((Tok::Other, end_of(pos + 2)))
            }
        }
        c if c.is_ascii_alphabetic() => Some(parse_start_tag(html, pos)),
        _ => None,
    }
}

fn parse_start_tag(html: &str, pos: usize) -> (Tok<'_>, usize) {
    let bytes = html.as_bytes();
    let len = bytes.len();
    let (name, mut p) = read_name(bytes, pos + 1);
    let mut attrs = Vec::new();
    let mut self_closing = false;
    loop {
        while p < len && bytes[p].is_ascii_whitespace() {
            p += 1;
        }
        match bytes.get(p) {
            None => break,
            Some(b'>') => {
                p += 1;
                break;
            }
            Some(b'/') => {
                p += 1;
                if bytes.get(p) == Some(&b'>') {
                    self_closing = true;
                    p += 1;
                    break;
                }
            }
            Some(_) => {
                let name_start = p;
                while p < len
                    && !bytes[p].is_ascii_whitespace()
                    && !matches!(bytes[p], b'=' | b'>' | b'/')
                {
                    p += 1;
                }
                let attr_name = html[name_start..p].to_ascii_lowercase();
                while p < len && bytes[p].is_ascii_whitespace() {
                    p += 1;
                }
                let mut value = "";
                if bytes.get(p) == Some(&b'=') {
                    p += 1;
                    while p < len && bytes[p].is_ascii_whitespace() {
                        p += 1;
                    }
                    match bytes.get(p) {
                        Some(&q) if q == b'"' || q == b'\'' => {
                            let value_start = p + 1;
                            let value_end = find_byte(bytes, value_start, q).unwrap_or(len);
                            value = &html[value_start.min(len)..value_end];
                            p = (value_end + 1).min(len);
                        }
                        _ => {
                            let value_start = p;
                            while p < len && !bytes[p].is_ascii_whitespace() && bytes[p] != b'>' {
                                p += 1;
                            }
                            value = &html[value_start..p];
                        }
                    }
                }
                if !attr_name.is_empty() {
                    attrs.push((attr_name, decode_entities(value).into_owned()));
                } else if p == name_start {
                    // A stray byte we cannot place (cannot happen with the loops above; kept so
                    // the loop always advances). Skip one whole character.
                    p += html[p..].chars().next().map_or(1, char::len_utf8);
                }
            }
        }
    }
    (
        Tok::Start {
            name,
            attrs,
            self_closing,
        },
        p.min(len),
    )
}

/// Named character references: the Latin-1 set and the typographic ones mail uses.
const LATIN1_ENTITIES: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
    "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
    "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
    "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
    "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
    "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
    "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
    "uuml", "yacute", "thorn", "yuml",
];

const OTHER_ENTITIES: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("OElig", 'Œ'),
    ("oelig", 'œ'),
    ("Scaron", 'Š'),
    ("scaron", 'š'),
    ("Yuml", 'Ÿ'),
    ("fnof", 'ƒ'),
    ("circ", 'ˆ'),
    ("tilde", '˜'),
    ("ensp", '\u{2002}'),
    ("emsp", '\u{2003}'),
    ("thinsp", '\u{2009}'),
    ("zwnj", '\u{200c}'),
    ("zwj", '\u{200d}'),
    ("lrm", '\u{200e}'),
    ("rlm", '\u{200f}'),
    ("ndash", '–'),
    ("mdash", '—'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("sbquo", '‚'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("bdquo", '„'),
    ("dagger", '†'),
    ("Dagger", '‡'),
    ("bull", '•'),
    ("hellip", '…'),
    ("permil", '‰'),
    ("prime", '′'),
    ("lsaquo", '‹'),
    ("rsaquo", '›'),
    ("euro", '€'),
    ("trade", '™'),
    ("larr", '←'),
    ("rarr", '→'),
    ("uarr", '↑'),
    ("darr", '↓'),
    ("hearts", '♥'),
    ("check", '✓'),
];

/// Entities that browsers accept without the final `;`.
const LEGACY_ENTITIES: &[&str] = &["amp", "lt", "gt", "quot", "nbsp", "copy", "reg"];

/// Windows-1252 characters at 0x80–0x9F, which numeric references often mean.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

fn named_entity(name: &str) -> Option<char> {
    if let Some(i) = LATIN1_ENTITIES.iter().position(|&n| n == name) {
        return char::from_u32(0xA0 + i as u32);
    }
    OTHER_ENTITIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, c)| c)
}

/// `&…;` at the start of `s` (after the `&`): the character and the bytes used.
fn parse_entity(s: &str) -> Option<(char, usize)> {
    if let Some(num) = s.strip_prefix('#') {
        let (digits, radix, skip) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16, 2),
            None => (num, 10, 1),
        };
        let n = digits.chars().take_while(|c| c.is_digit(radix)).count();
        if n == 0 || n > 8 {
            return None;
        }
        let value = u32::from_str_radix(&digits[..n], radix).ok()?;
        let c = match value {
            0x80..=0x9F => CP1252_HIGH[(value - 0x80) as usize],
            0 => '\u{fffd}',
            v => char::from_u32(v).unwrap_or('\u{fffd}'),
        };
        let used = skip + n + usize::from(digits[n..].starts_with(';'));
        return Some((c, used));
    }
    let n = s
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .count()
        .min(10);
    let name = &s[..n];
    let c = named_entity(name)?;
    if s[n..].starts_with(';') {
        Some((c, n + 1))
    } else if LEGACY_ENTITIES.contains(&name) {
        Some((c, n))
    } else {
        None
    }
}

fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        match parse_entity(after) {
            Some((c, used)) => {
                out.push(c);
                rest = &after[used..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Block-level elements: each starts and ends a line.
const BLOCK_ELEMENTS: &[&str] = &[
    "address",
    "article",
    "aside",
    "center",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "header",
    "hr",
    "main",
    "nav",
    "section",
    "summary",
    "table",
    "caption",
    "tr",
    "tbody",
    "thead",
    "tfoot",
];

/// Paragraph-like elements: a blank line before and after.
const PARAGRAPH_ELEMENTS: &[&str] = &["h1", "h2", "h3", "h4", "h5", "h6"];

/// Turns a token stream into text, line by line. Breaks between blocks are lazy (only written
/// when more text follows) so empty `<div>`s do not pile up blank lines.
#[derive(Default)]
struct Renderer {
    out: String,
    line_has_content: bool,
    /// 0: none, 1: new line, 2: blank line.
    pending_break: u8,
    pending_space: bool,
    quote_depth: usize,
    pre_depth: usize,
    list_depth: usize,
    /// For each open list, whether it is set apart by blank lines.
    list_margins: Vec<bool>,
    bullet: Option<usize>,
    /// The open `<p>` is one of Outlook's single-line paragraphs.
    line_paragraph: bool,
}

impl Renderer {
    fn text(&mut self, s: &str) {
        for c in s.chars() {
            if self.pre_depth > 0 {
                match c {
                    '\n' => self.line_break(),
                    '\r' => {}
                    '\t' => self.put(' '),
                    c if c.is_control() => {}
                    c => self.put(c),
                }
                continue;
            }
            match c {
                ' ' | '\t' | '\n' | '\r' | '\x0c' => self.pending_space = true,
                // Non-breaking spaces are content: Outlook's empty paragraphs are `&nbsp;`.
                '\u{a0}' | '\u{202f}' | '\u{2007}' => self.put(' '),
                // Zero-width non-joiner and joiner spell Persian, Indic and emoji: kept.
                '\u{200b}' | '\u{2060}' | '\u{feff}' | '\u{ad}' => {}
                c if c.is_control() => {}
                c => self.put(c),
            }
        }
    }

    fn put(&mut self, c: char) {
        self.flush_break();
        if !self.line_has_content {
            for _ in 0..self.quote_depth {
                self.out.push_str("> ");
            }
            if let Some(depth) = self.bullet.take() {
                for _ in 1..depth {
                    self.out.push_str("  ");
                }
                self.out.push_str("- ");
            }
            self.line_has_content = true;
        } else if self.pending_space {
            self.out.push(' ');
        }
        self.pending_space = false;
        self.out.push(c);
    }

    fn flush_break(&mut self) {
        if self.pending_break == 0 {
            return;
        }
        if self.line_has_content {
            self.out.push('\n');
            self.line_has_content = false;
        }
        if self.pending_break >= 2 && !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
        self.pending_break = 0;
    }

    fn line_break(&mut self) {
        self.flush_break();
        self.out.push('\n');
        self.line_has_content = false;
        self.pending_space = false;
    }

    fn block(&mut self) {
        self.pending_break = self.pending_break.max(1);
        self.pending_space = false;
    }

    fn paragraph(&mut self) {
        self.pending_break = 2;
        self.pending_space = false;
    }
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn has_class(attrs: &[(String, String)], class: &str) -> bool {
    attr(attrs, "class")
        .is_some_and(|v| v.split_whitespace().any(|c| c.eq_ignore_ascii_case(class)))
}

/// Outlook's `<p class=MsoNormal>` is one line, not a paragraph with margins.
fn is_line_paragraph(attrs: &[(String, String)]) -> bool {
    attr(attrs, "class").is_some_and(|v| v.to_ascii_lowercase().contains("mso"))
        || attr(attrs, "style").is_some_and(|s| {
            let s: String = s
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            s.contains("margin:0") || s.contains("margin-top:0")
        })
}

/// Whole HTML to readable plain text: block elements become line breaks, `<br>` a new line,
/// paragraphs a blank line, list items "- ", `<blockquote>` lines "> "; links keep their text;
/// entities are decoded; `<head>`, `<style>`, `<script>` are dropped; whitespace is normalised
/// (trailing spaces trimmed, at most one blank line in a row).
pub(crate) fn html_to_text(html: &str) -> String {
    let toks = tokenize(html);
    let mut r = Renderer::default();
    // Inside an element whose content is not shown (`head`, `template`, Outlook's `xml`).
    let mut hidden: Option<String> = None;
    for t in &toks {
        match &t.tok {
            Tok::Text(s) => {
                if hidden.is_none() {
                    r.text(&decode_entities(s));
                }
            }
            Tok::Other => {}
            Tok::Start {
                name,
                attrs,
                self_closing,
            } => {
                if let Some(h) = &hidden {
                    if h == "head" && name == "body" {
                        hidden = None;
                    } else {
                        continue;
                    }
                }
                match name.as_str() {
                    "head" | "template" | "xml" if !self_closing => hidden = Some(name.clone()),
                    "br" => r.line_break(),
                    "p" => {
                        r.line_paragraph = is_line_paragraph(attrs);
                        if r.line_paragraph {
                            r.block()
                        } else {
                            r.paragraph()
                        }
                    }
                    "ul" | "ol" => {
                        // A list has margins above and below, like a paragraph, unless it is
                        // nested or its style removes them (Outlook's `margin-top:0cm`).
                        let apart = r.list_depth == 0 && !is_line_paragraph(attrs);
                        if apart {
                            r.paragraph();
                        } else {
                            r.block();
                        }
                        if !self_closing {
                            r.list_depth += 1;
                            r.list_margins.push(apart);
                        }
                    }
                    "li" => {
                        r.block();
                        r.bullet = Some(r.list_depth.max(1));
                    }
                    "blockquote" => {
                        r.block();
                        if !self_closing {
                            r.quote_depth += 1;
                        }
                    }
                    "pre" => {
                        r.block();
                        if !self_closing {
                            r.pre_depth += 1;
                        }
                    }
                    "td" | "th" if r.line_has_content => r.pending_space = true,
                    n if PARAGRAPH_ELEMENTS.contains(&n) => r.paragraph(),
                    n if BLOCK_ELEMENTS.contains(&n) => r.block(),
                    _ => {}
                }
            }
            Tok::End { name } => {
                if let Some(h) = &hidden {
                    if h == name {
                        hidden = None;
                    }
                    continue;
                }
                match name.as_str() {
                    "p" if !r.line_paragraph => r.paragraph(),
                    "p" | "li" => r.block(),
                    "ul" | "ol" => {
                        if r.list_margins.pop().unwrap_or(false) {
                            r.paragraph();
                        } else {
                            r.block();
                        }
                        r.list_depth = r.list_depth.saturating_sub(1);
                    }
                    "blockquote" => {
                        r.block();
                        r.quote_depth = r.quote_depth.saturating_sub(1);
                    }
                    "pre" => {
                        r.block();
                        r.pre_depth = r.pre_depth.saturating_sub(1);
                    }
                    "td" | "th" => r.pending_space = r.line_has_content,
                    n if PARAGRAPH_ELEMENTS.contains(&n) => r.paragraph(),
                    n if BLOCK_ELEMENTS.contains(&n) => r.block(),
                    _ => {}
                }
            }
        }
    }
    let out = r.out;
    tidy(&out.split('\n').collect::<Vec<_>>())
}

/// Quote containers removed with their content (Gmail, Apple Mail, Thunderbird, Yahoo, Proton).
const QUOTE_CLASSES: &[&str] = &[
    "gmail_quote",
    "gmail_quote_container",
    "gmail_attr",
    "gmail_signature",
    "gmail_signature_prefix",
    "moz-cite-prefix",
    "moz-signature",
    "yahoo_quoted",
    "protonmail_quote",
    "zmail_extra",
];

fn is_quote_block(name: &str, attrs: &[(String, String)]) -> bool {
    (name == "blockquote" && attr(attrs, "type").is_some_and(|t| t.eq_ignore_ascii_case("cite")))
        || QUOTE_CLASSES.iter().any(|c| has_class(attrs, c))
        || attr(attrs, "id").is_some_and(|id| id.to_ascii_lowercase().contains("yahoo_quoted"))
}

/// Outlook marks where the previous message starts; everything from there on is quoted.
fn is_cut_point(name: &str, attrs: &[(String, String)]) -> bool {
    let id = attr(attrs, "id").unwrap_or("").to_ascii_lowercase();
    if id.ends_with("divrplyfwdmsg")
        || id == "appendonsend"
        || id.ends_with("olk_src_body_section")
        || id == "mail-editor-reference-message-container"
        || (name == "hr" && id == "stopspelling")
        || has_class(attrs, "OutlookMessageHeader")
    {
        return true;
    }
    name == "div"
        && attr(attrs, "style").is_some_and(|style| {
            let s: String = style
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            s.contains("border-top:solid")
                && (s.contains("#e1e1e1") || s.contains("#b5c4df") || s.contains("padding:3.0pt0"))
        })
}

/// The index of the token closing the element opened at `toks[open]`, or the last token.
fn matching_end(toks: &[Token<'_>], open: usize, name: &str) -> usize {
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().skip(open) {
        match &t.tok {
            Tok::Start {
                name: n,
                self_closing: false,
                ..
            } if n == name => depth += 1,
            Tok::End { name: n } if n == name => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    toks.len().saturating_sub(1)
}

fn first_line_unquoted(text: &str) -> Option<&str> {
    text.lines()
        .map(|l| l.trim_start_matches(|c: char| c == '>' || c.is_whitespace()))
        .find(|l| !l.is_empty())
}

/// How much HTML around a quote block [`is_forward_block`] looks at: the marker is right there.
const FORWARD_WINDOW: usize = 2 * 1024;

/// How many quote blocks of one mail are checked for a forward (the rest are quotes): real mail
/// has a handful, and the bound keeps hostile HTML with thousands of blocks cheap.
const MAX_FORWARD_CHECKS: usize = 64;

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A quote block that carries a forward: its first line, or the line just before it, is a
/// forward marker ("---------- Forwarded message ---------", Apple's "Begin forwarded message:").
fn is_forward_block(html: &str, start: usize, end: usize) -> bool {
    let inner_end = floor_char_boundary(html, end.min(start.saturating_add(FORWARD_WINDOW)));
    if first_line_unquoted(&html_to_text(&html[start..inner_end])).is_some_and(is_forward_marker) {
        return true;
    }
    // Start the window before the block at a tag, so it is not read from the middle of one.
    let mut from = floor_char_boundary(html, start.saturating_sub(FORWARD_WINDOW));
    if from > 0 {
        from = html[from..start].find('<').map_or(start, |p| from + p);
    }
    html_to_text(&html[from..start])
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .is_some_and(is_forward_marker)
}

/// The HTML with client quote blocks removed (forwards excepted) and cut at Outlook's reply
/// header.
fn remove_quote_blocks(html: &str) -> String {
    let toks = tokenize(html);
    let mut limit = html.len();
    let mut removed: Vec<(usize, usize)> = Vec::new();
    let mut checks = 0;
    // End of the last block kept as a forward: a quote block right after it (Apple Mail splits
    // a forward into a headers block and a body block) continues the forward.
    let mut forward_end: Option<usize> = None;
    let mut i = 0;
    while i < toks.len() {
        if let Tok::Start { name, attrs, .. } = &toks[i].tok {
            if is_cut_point(name, attrs) {
                limit = toks[i].start;
                break;
            }
            if is_quote_block(name, attrs) {
                let close = matching_end(&toks, i, name);
                let (start, end) = (toks[i].start, toks[close].end.max(toks[i].end));
                let continues_forward = forward_end.is_some_and(|fe| {
                    fe <= start && start - fe <= 512 && html_to_text(&html[fe..start]).is_empty()
                });
                checks += 1;
                if continues_forward
                    || (checks <= MAX_FORWARD_CHECKS && is_forward_block(html, start, end))
                {
                    forward_end = Some(end);
                } else {
                    removed.push((start, end));
                    i = close + 1;
                    continue;
                }
            }
        }
        i += 1;
    }
    let mut out = String::with_capacity(limit);
    let mut at = 0;
    for (start, end) in removed {
        if start >= limit {
            break;
        }
        out.push_str(&html[at..start]);
        at = end.min(limit);
    }
    if at < limit {
        out.push_str(&html[at..limit]);
    }
    out
}

/// The new text of an HTML reply: quote blocks removed first (Gmail `div.gmail_quote` /
/// `gmail_attr`, Apple Mail `blockquote type="cite"`, Thunderbird `div.moz-cite-prefix` +
/// `blockquote type="cite"`, Yahoo `div.yahoo_quoted`; Outlook's `div#divRplyFwdMsg`,
/// `div#appendonsend` and its `border-top` header `div`, with everything after them), then
/// [`html_to_text`], then the plain-text rules ([`reply_text`]: attributions, header blocks and
/// signatures written as text). Forward blocks are kept. When nothing is left, the whole HTML
/// goes through [`html_to_text`] and [`reply_text`] instead (a forward written in an unknown
/// layout then survives, and text of the writer's own is kept whole rather than lost).
///
/// A client that lets the writer answer inside the quote (Gmail, Apple Mail) puts the answers
/// inside its quote container, between `<blockquote>`s; removing the container would lose them.
/// The whole HTML as text (blockquotes as `> ` lines) then shows inline answers, which the
/// plain-text rules keep with their context: that reading wins when it finds any.
pub(crate) fn html_reply(html: &str, sender: Option<&str>) -> Reply {
    let whole = reply_text(&html_to_text(html), sender);
    let inline = !whole.kept_whole && whole.text.lines().any(|l| l.starts_with("> "));
    if inline {
        return whole;
    }
    let reply = reply_text(&html_to_text(&remove_quote_blocks(html)), sender);
    if (!reply.text.is_empty() && !reply.kept_whole) || whole.text.is_empty() {
        reply
    } else {
        whole
    }
}

/// [`html_reply`] without the sender's name: the new text only.
pub fn html_reply_text(html: &str) -> String {
    html_reply(html, None).text
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- HTML -------------------------------------------------------------------------------

    #[test]
    fn html_blocks_breaks_and_lists() {
        let html = "<html><head><style>p{color:red}</style><title>t</title></head><body>\
            <div>Hello&nbsp;<b>world</b></div><div><br></div><p>Para &amp; more</p>\
            <ul><li>one</li><li>two <a href=\"http://x\">link</a></li></ul>\
            <script>var x = '<div>';</script>end<br>line</body></html>";
        assert_eq!(
            html_to_text(html),
            "Hello world\n\nPara & more\n\n- one\n- two link\n\nend\nline"
        );
    }

    #[test]
    fn html_lists_are_set_apart_unless_their_margins_are_removed() {
        let html = "<div>Three problems:</div><ul><li>one</li><li>two</li></ul><div>Help?</div>";
        assert_eq!(
            html_to_text(html),
            "Three problems:\n\n- one\n- two\n\nHelp?"
        );
        let html = "<p class=MsoNormal>Steps:</p><ul style=\"margin-top:0cm\"><li>one</li><li>two</li></ul><p class=MsoNormal>Done</p>";
        assert_eq!(html_to_text(html), "Steps:\n- one\n- two\nDone");
        let html = "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>";
        assert_eq!(html_to_text(html), "- a\n  - b\n- c");
    }

    #[test]
    fn html_entities_are_decoded() {
        assert_eq!(
            html_to_text("&lt;a&gt; &eacute;t&eacute; &#233; &#xE9; &euro; &#146; &bogus; &amp"),
            "<a> été é é € ’ &bogus; &"
        );
    }

    #[test]
    fn html_whitespace_is_normalised() {
        assert_eq!(
            html_to_text("<p>  a\n   b  </p>\n\n<p>\n c </p>"),
            "a b\n\nc"
        );
        assert_eq!(html_to_text("<pre>x  y\n  z</pre>"), "x  y\n  z");
    }

    #[test]
    fn html_blockquote_lines_are_quoted() {
        assert_eq!(
            html_to_text("new<blockquote>old<br>older</blockquote>"),
            "new\n> old\n> older"
        );
    }

    #[test]
    fn html_outlook_paragraphs_are_lines() {
        let html = "<p class=MsoNormal>Hello<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>Bob<o:p></o:p></p>";
        assert_eq!(html_to_text(html), "Hello\n\nBob");
    }

    #[test]
    fn html_broken_markup_does_not_panic() {
        for html in [
            "<",
            "<div",
            "<div class=\"x",
            "</",
            "<!--",
            "a < b > c",
            "<é>",
            "&#xFFFFFFFF;",
            "<a href='x>y",
            "<<<>>>",
        ] {
            let _ = html_to_text(html);
            let _ = html_reply_text(html);
        }
        assert_eq!(html_to_text("a < b"), "a < b");
    }

    #[test]
    fn html_reply_removes_gmail_quote() {
        let html = "<div dir=\"ltr\">Works now.</div><br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">On Mon, Jun 3, 2024 at 10:00 AM Bob &lt;<a href=\"mailto:b@x.com\">b@x.com</a>&gt; wrote:<br></div><blockquote class=\"gmail_quote\">Try again</blockquote></div>";
        assert_eq!(html_reply_text(html), "Works now.");
    }

    #[test]
    fn html_reply_removes_apple_and_thunderbird_quotes() {
        let html = "<div>Thanks!</div><div><br><blockquote type=\"cite\"><div>On 3 Jun 2024, at 10:00, Bob wrote:</div><div>old</div></blockquote></div>";
        assert_eq!(html_reply_text(html), "Thanks!");
        let html = "<p>Merci</p><div class=\"moz-cite-prefix\">Le 03/06/2024 à 10:00, Bob a écrit&nbsp;:<br></div><blockquote type=\"cite\" cite=\"mid:x@y\">vieux</blockquote>";
        assert_eq!(html_reply_text(html), "Merci");
    }

    #[test]
    fn html_reply_cuts_at_outlook_markers() {
        let html = "<div>Done</div><div id=\"appendonsend\"></div><hr><div id=\"divRplyFwdMsg\"><b>From:</b> Bob</div><div>old</div>";
        assert_eq!(html_reply_text(html), "Done");
        let html = "<div class=WordSection1><p class=MsoNormal>Fait<o:p></o:p></p><div><div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'><p class=MsoNormal><b>De&nbsp;:</b> Bob</p></div></div><p class=MsoNormal>vieux</p></div>";
        assert_eq!(html_reply_text(html), "Fait");
    }

    #[test]
    fn html_reply_removes_yahoo_quote() {
        let html = "<div>OK</div><div id=\"yahoo_quoted_123\" class=\"yahoo_quoted\"><div>On Monday, Bob wrote:</div><div>old</div></div>";
        assert_eq!(html_reply_text(html), "OK");
    }

    #[test]
    fn hostile_html_stays_linear() {
        // Thousands of quote blocks and a deep nest: must finish quickly (a quadratic scan would
        // take minutes here in a debug build).
        let many = "<p>x</p><blockquote type=\"cite\">q</blockquote>".repeat(20_000);
        assert_eq!(
            html_reply_text(&many).lines().filter(|l| *l == "x").count(),
            20_000
        );
        let deep = format!(
            "{}text{}",
            "<div class=\"gmail_quote\">".repeat(5_000),
            "</div>".repeat(5_000)
        );
        assert_eq!(html_reply_text(&deep), "text");
        let lines = "a\n\n\n".repeat(50_000);
        assert_eq!(
            crate::core::quotes::strip_quotes(&lines).lines().count(),
            99_999
        );
    }

    #[test]
    fn html_reply_keeps_gmail_forward() {
        let html = "<div dir=\"ltr\"><br><br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">---------- Forwarded message ---------<br>From: <strong>Alice</strong> &lt;a@x.com&gt;<br>Subject: Printer<br></div><br><br><div dir=\"ltr\">It is broken.</div></div></div>";
        assert_eq!(
            html_reply_text(html),
            "---------- Forwarded message ---------\nFrom: Alice <a@x.com>\nSubject: Printer\n\nIt is broken."
        );
    }

    #[test]
    fn html_reply_keeps_a_forward_split_over_two_blocks() {
        let html = "<div>Begin forwarded message:</div><blockquote type=\"cite\"><b>From:</b> Alice</blockquote>\
            <br><blockquote type=\"cite\">It is broken.</blockquote><div>Thanks</div><blockquote type=\"cite\">old</blockquote>";
        assert_eq!(
            html_reply_text(html),
            "Begin forwarded message:\nFrom: Alice\n\nIt is broken.\nThanks"
        );
    }

    #[test]
    fn html_reply_keeps_apple_forward() {
        let html = "<div>FYI</div><div><br><div>Begin forwarded message:</div><br><blockquote type=\"cite\"><div><b>From: </b>Alice &lt;a@x.com&gt;</div><br><div>It is broken.</div></blockquote></div>";
        assert_eq!(
            html_reply_text(html),
            "FYI\n\nBegin forwarded message:\n\nFrom: Alice <a@x.com>\n\nIt is broken."
        );
    }
}
