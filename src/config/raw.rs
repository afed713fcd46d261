//! The raw stage: the TOML file as plain serde types, and every problem of its shape.
//!
//! A file is read section by section and key by key, so that one mistake does not hide the
//! next: an unknown section or key is named (with the nearest known name), a value of the
//! wrong type is named by its key with what was expected and what was found, and the keys
//! that are fine still reach validation. Only a TOML syntax error stops the reading.

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::Deserialize;

use super::Problem;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub gateway: RawGateway,
    #[serde(default)]
    pub imap: RawImap,
    #[serde(default)]
    pub smtp: RawSmtp,
    #[serde(default)]
    pub staff: RawStaff,
    #[serde(default)]
    pub timers: RawTimers,
    #[serde(default)]
    pub fields: RawFields,
    #[serde(default)]
    pub sla: RawSla,
    #[serde(default)]
    pub admin: RawAdmin,
    #[serde(default)]
    pub web: RawWeb,
    pub oauth2: Option<RawOAuth2>,
    /// `[[queues]]`: the support addresses after the first (SPEC §5.4).
    #[serde(default)]
    pub queues: Vec<RawQueue>,
}

/// One `[[queues]]` table: a support address of its own, with its own prefix and mailbox;
/// what it leaves out (`smtp`, `oauth2`, `staff`, `templates`) is the top-level table's.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawQueue {
    pub address: Option<String>,
    pub name: Option<String>,
    pub tag_prefix: Option<String>,
    pub templates: Option<String>,
    pub imap: Option<RawImap>,
    pub smtp: Option<RawSmtp>,
    pub oauth2: Option<RawOAuth2>,
    pub staff: Option<RawStaff>,
}

/// The tables of a `[[queues]]` entry, which have the keys of the top-level sections.
const QUEUE_TABLES: [&str; 4] = ["imap", "smtp", "oauth2", "staff"];

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawGateway {
    pub address: Option<String>,
    pub name: Option<String>,
    pub tag_prefix: Option<String>,
    pub default_language: Option<String>,
    pub store: Option<String>,
    pub state_dir: Option<String>,
    pub templates: Option<String>,
    pub max_message_size: Option<String>,
    pub max_replies_per_hour: Option<i64>,
    pub forward_attachments_max: Option<String>,
    pub closed_reply: Option<String>,
    pub hard_bounce_pause: Option<String>,
    pub aliases: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawImap {
    pub host: Option<String>,
    pub port: Option<i64>,
    pub tls: Option<String>,
    pub ca_file: Option<String>,
    pub username: Option<String>,
    pub password_file: Option<String>,
    pub password_env: Option<String>,
    pub mailbox: Option<String>,
    pub processed_mailbox: Option<String>,
    pub quarantine_mailbox: Option<String>,
    pub idle: Option<bool>,
    pub poll_interval: Option<String>,
    pub auth: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawSmtp {
    pub host: Option<String>,
    pub port: Option<i64>,
    pub tls: Option<String>,
    pub ca_file: Option<String>,
    pub username: Option<String>,
    pub password_file: Option<String>,
    pub password_env: Option<String>,
    pub give_up_after: Option<String>,
    pub auth: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawStaff {
    pub addresses: Option<Vec<String>>,
    pub domains: Option<Vec<String>>,
    pub notify: Option<Vec<String>>,
    pub authentication: Option<String>,
    pub authserv_ids: Option<Vec<String>>,
    pub notify_all: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawTimers {
    pub waiting_reminder: Option<String>,
    pub waiting_autoclose: Option<String>,
    pub resolved_autoclose: Option<String>,
}

/// `[fields]` (SPEC §2.5).
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawFields {
    pub default_type: Option<String>,
    pub default_severity: Option<String>,
}

/// `[sla]` (SPEC §2.7): one table a severity, `{ first_response = "1h", resolution = "1d" }`,
/// its keys checked by the validation stage.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawSla {
    pub blocker: Option<toml::Table>,
    pub critical: Option<toml::Table>,
    pub major: Option<toml::Table>,
    pub minor: Option<toml::Table>,
    pub trivial: Option<toml::Table>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawAdmin {
    pub listen: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawWeb {
    pub listen: Option<String>,
    pub base_url: Option<String>,
    pub key_file: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawOAuth2 {
    pub token_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret_file: Option<String>,
    pub refresh_token_file: Option<String>,
    pub scope: Option<String>,
    pub ca_file: Option<String>,
}

/// The sections and the keys each allows, as the raw types declare them.
fn sections() -> Vec<(&'static str, &'static [&'static str], SectionCheck)> {
    vec![
        ("gateway", fields_of::<RawGateway>(), check::<RawGateway>),
        ("imap", fields_of::<RawImap>(), check::<RawImap>),
        ("smtp", fields_of::<RawSmtp>(), check::<RawSmtp>),
        ("staff", fields_of::<RawStaff>(), check::<RawStaff>),
        ("timers", fields_of::<RawTimers>(), check::<RawTimers>),
        ("fields", fields_of::<RawFields>(), check::<RawFields>),
        ("sla", fields_of::<RawSla>(), check::<RawSla>),
        ("admin", fields_of::<RawAdmin>(), check::<RawAdmin>),
        ("web", fields_of::<RawWeb>(), check::<RawWeb>),
        ("oauth2", fields_of::<RawOAuth2>(), check::<RawOAuth2>),
    ]
}

/// Does a one-key table deserialize as section type `T`?
type SectionCheck = fn(&str, &toml::Value) -> bool;

fn check<T: DeserializeOwned>(key: &str, value: &toml::Value) -> bool {
    let mut one = toml::Table::new();
    one.insert(key.to_string(), value.clone());
    T::deserialize(toml::Value::Table(one)).is_ok()
}

/// Parses config text into the raw types. Problems of shape (unknown sections and keys,
/// values of the wrong type) come back with the raw config of everything else, so that
/// validation can still report its own; `Err` only for a TOML syntax error.
pub fn parse(text: &str) -> Result<(RawConfig, Vec<Problem>), Problem> {
    let table: toml::Table = toml::from_str(text).map_err(|e| syntax_problem(text, &e))?;
    let mut problems = Vec::new();
    let mut clean = toml::Table::new();
    let known = sections();
    for (name, value) in table {
        if name == "queues" {
            let queues = queues(value, &known, &mut problems);
            clean.insert(name, toml::Value::Array(queues));
            continue;
        }
        let Some((_, fields, check)) = known.iter().find(|(s, _, _)| *s == name) else {
            problems.push(unknown_section(&name, &value, &known));
            continue;
        };
        let toml::Value::Table(section) = value else {
            problems.push(Problem::new(
                &name,
                format!(
                    "expected a section [{name}], found {}",
                    describe(&value, false)
                ),
            ));
            continue;
        };
        let kept = clean_section(&name, section, fields, *check, &mut problems);
        clean.insert(name, toml::Value::Table(kept));
    }
    let raw = RawConfig::deserialize(toml::Value::Table(clean))
        .expect("every key left was deserialized on its own, and no key is required");
    Ok((raw, problems))
}

/// The keys of one section (`path` names it: `imap`, `queues[0].imap`) that are known and of
/// the right type; a problem for each of the others.
fn clean_section(
    path: &str,
    section: toml::Table,
    fields: &[&str],
    check: SectionCheck,
    problems: &mut Vec<Problem>,
) -> toml::Table {
    let mut kept = toml::Table::new();
    for (key, value) in section {
        let key_path = format!("{path}.{key}");
        if !fields.contains(&key.as_str()) {
            let hint = nearest(&key, fields.iter().copied())
                .map(|k| format!(" (did you mean {path}.{k}?)"))
                .unwrap_or_else(|| format!(" in [{path}]; known keys: {}", fields.join(", ")));
            problems.push(Problem::new(&key_path, format!("unknown key{hint}")));
        } else if check(&key, &value) {
            kept.insert(key, value);
        } else {
            let expected = expected_kind(&key, check);
            problems.push(Problem::new(
                &key_path,
                format!("expected {expected}, found {}", describe(&value, true)),
            ));
        }
    }
    kept
}

/// `[[queues]]`: each entry's keys, and the keys of its tables as their top-level sections
/// allow them, named `queues[N].imap.host` (N counts the `[[queues]]` tables from 0).
fn queues(
    value: toml::Value,
    known: &[(&'static str, &'static [&'static str], SectionCheck)],
    problems: &mut Vec<Problem>,
) -> Vec<toml::Value> {
    let toml::Value::Array(entries) = value else {
        problems.push(Problem::new(
            "queues",
            format!(
                "expected [[queues]] tables, found {}",
                describe(&value, false)
            ),
        ));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let path = format!("queues[{i}]");
        let toml::Value::Table(entry) = entry else {
            problems.push(Problem::new(
                &path,
                format!(
                    "expected a [[queues]] table, found {}",
                    describe(&entry, false)
                ),
            ));
            continue;
        };
        let mut tables = toml::Table::new();
        let mut scalars = toml::Table::new();
        for (key, value) in entry {
            match (QUEUE_TABLES.contains(&key.as_str()), value) {
                (true, toml::Value::Table(section)) => {
                    let (_, fields, check) = known
                        .iter()
                        .find(|(s, _, _)| *s == key)
                        .expect("every queue table is a top-level section");
                    let kept =
                        clean_section(&format!("{path}.{key}"), section, fields, *check, problems);
                    tables.insert(key, toml::Value::Table(kept));
                }
                (true, other) => problems.push(Problem::new(
                    &format!("{path}.{key}"),
                    format!("expected a table, found {}", describe(&other, false)),
                )),
                (false, value) => {
                    scalars.insert(key, value);
                }
            }
        }
        let mut kept = clean_section(
            &path,
            scalars,
            fields_of::<RawQueue>(),
            check::<RawQueue>,
            problems,
        );
        kept.extend(tables);
        out.push(toml::Value::Table(kept));
    }
    out
}

fn unknown_section(
    name: &str,
    value: &toml::Value,
    known: &[(&'static str, &'static [&'static str], SectionCheck)],
) -> Problem {
    let names = known.iter().map(|(s, _, _)| *s);
    if let (toml::Value::Array(_), Some(q)) = (value, nearest(name, ["queues"].into_iter())) {
        return Problem::new(
            "",
            format!("unknown section [[{name}]] (did you mean [[{q}]]?)"),
        );
    }
    match value {
        toml::Value::Table(_) => {
            let hint = nearest(name, names.clone())
                .map(|s| format!(" (did you mean [{s}]?)"))
                .unwrap_or_else(|| {
                    format!(
                        "; sections are {}",
                        names
                            .map(|s| format!("[{s}]"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
            Problem::new("", format!("unknown section [{name}]{hint}"))
        }
        // A key above the first section: which section has a key of that name?
        _ => {
            let home: Vec<String> = known
                .iter()
                .filter(|(_, fields, _)| fields.contains(&name))
                .map(|(s, _, _)| format!("[{s}]"))
                .collect();
            let hint = if home.is_empty() {
                "keys belong in a section such as [gateway]".to_string()
            } else {
                format!("it belongs in {}", home.join(" or "))
            };
            Problem::new(name, format!("a key outside any section ({hint})"))
        }
    }
}

/// The closest known name, if it is close enough to be what was meant.
fn nearest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    known
        .map(|k| (strsim::damerau_levenshtein(name, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4) && *d < k.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// What a key accepts, found by offering it one value of each TOML type.
fn expected_kind(key: &str, check: SectionCheck) -> String {
    let probes: [(&str, toml::Value); 5] = [
        ("a string", toml::Value::String("x".into())),
        ("an integer", toml::Value::Integer(0)),
        ("true or false", toml::Value::Boolean(false)),
        (
            "a list of strings",
            toml::Value::Array(vec![toml::Value::String("x".into())]),
        ),
        ("a table", toml::Value::Table(toml::Table::new())),
    ];
    let fits: Vec<&str> = probes
        .iter()
        .filter(|(_, v)| check(key, v))
        .map(|(what, _)| *what)
        .collect();
    match fits.as_slice() {
        [] => "another value".into(),
        [one] => one.to_string(),
        more => more.join(" or "),
    }
}

/// A value as the operator wrote it (`"five"`, `5`, `[1, 2]`), or its kind.
fn describe(value: &toml::Value, literal: bool) -> String {
    let kind = match value {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a number",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "a list",
        toml::Value::Table(_) => "a table",
    };
    let text = value.to_string();
    if literal && text.len() <= 60 && !text.contains('\n') {
        text
    } else {
        kind.to_string()
    }
}

/// A TOML syntax error: its line and column, and toml's one-line reason.
fn syntax_problem(text: &str, e: &toml::de::Error) -> Problem {
    let reason = e.message().replace('\n', " ").trim().to_string();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            Problem::new("", format!("line {line}, column {column}: {reason}"))
        }
        None => Problem::new("", reason),
    }
}

/// The field names a serde-derived struct declares (serde hands them to
/// `deserialize_struct`; this deserializer records them and stops).
fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Fields(Option<&'static [&'static str]>);
    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("field names recorded")
        }
    }
    impl std::error::Error for Stop {}
    impl de::Error for Stop {
        fn custom<M: std::fmt::Display>(_: M) -> Stop {
            Stop
        }
    }
    impl<'de> Deserializer<'de> for &mut Fields {
        type Error = Stop;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            self.0 = Some(fields);
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let mut f = Fields(None);
    let _ = T::deserialize(&mut f);
    f.0.unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        parse(text)
            .unwrap()
            .1
            .into_iter()
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn field_names_come_from_the_types() {
        assert!(fields_of::<RawImap>().contains(&"poll_interval"));
        assert!(fields_of::<RawConfig>().contains(&"timers"));
        assert_eq!(fields_of::<RawAdmin>(), &["listen"]);
    }

    #[test]
    fn three_mistakes_are_three_problems_and_the_rest_is_kept() {
        let text = "[gateway]\naddress = \"s@example.com\"\nmax_replies_per_hour = \"five\"\n\
                    [imap]\npoll_intervall = \"2s\"\nhost = \"imap.example.com\"\n\
                    [timer]\nwaiting_reminder = \"3d\"\n";
        let (raw, p) = parse(text).unwrap();
        let p: Vec<String> = p.into_iter().map(|p| p.to_string()).collect();
        assert_eq!(
            p,
            [
                "gateway.max_replies_per_hour: expected an integer, found \"five\"",
                "imap.poll_intervall: unknown key (did you mean imap.poll_interval?)",
                "unknown section [timer] (did you mean [timers]?)",
            ]
        );
        assert_eq!(raw.gateway.address.as_deref(), Some("s@example.com"));
        assert_eq!(raw.imap.host.as_deref(), Some("imap.example.com"));
    }

    #[test]
    fn each_kind_of_value_is_named() {
        let p = problems(
            "[imap]\nport = \"993\"\nidle = \"yes\"\n[staff]\naddresses = \"a@b.c\"\nnotify = [1]\n\
             [admin]\nlisten = 9187\n",
        );
        assert_eq!(
            p,
            [
                "imap.port: expected an integer, found \"993\"",
                "imap.idle: expected true or false, found \"yes\"",
                "staff.addresses: expected a list of strings, found \"a@b.c\"",
                "staff.notify: expected a list of strings, found [1]",
                "admin.listen: expected a string, found 9187",
            ]
        );
    }

    #[test]
    fn keys_outside_sections_and_sections_of_the_wrong_shape() {
        let p = problems("listen = \"x\"\nbogus = 1\nimap = 5\n[gatway]\n[frobnicate]\n");
        assert_eq!(
            p,
            [
                "listen: a key outside any section (it belongs in [admin] or [web])",
                "bogus: a key outside any section (keys belong in a section such as [gateway])",
                "imap: expected a section [imap], found an integer",
                "unknown section [gatway] (did you mean [gateway]?)",
                "unknown section [frobnicate]; sections are [gateway], [imap], [smtp], [staff], [timers], [fields], [sla], [admin], [web], [oauth2]",
            ]
        );
    }

    #[test]
    fn a_syntax_error_has_its_line_and_column() {
        let e = parse("[gateway]\naddress = \"x\"\nname = \n").unwrap_err();
        assert!(e.reason.starts_with("line 3, column 8: "), "{e}");
    }

    #[test]
    fn queue_tables_are_read_key_by_key_with_their_index() {
        let text = "[[queues]]\naddress = \"billing@example.com\"\ntag_prefix = 5\nnmae = \"x\"\n\
                    [queues.imap]\nhost = \"imap.example.com\"\nport = \"993\"\n\
                    [queues.staff]\nnotfy = []\n\
                    [[queues]]\nsmtp = 1\n[[queue]]\naddress = \"x@y.z\"\n";
        let (raw, p) = parse(text).unwrap();
        let p: Vec<String> = p.into_iter().map(|p| p.to_string()).collect();
        assert_eq!(
            p,
            [
                "queues[0].imap.port: expected an integer, found \"993\"",
                "queues[0].staff.notfy: unknown key (did you mean queues[0].staff.notify?)",
                "queues[0].tag_prefix: expected a string, found 5",
                "queues[0].nmae: unknown key (did you mean queues[0].name?)",
                "queues[1].smtp: expected a table, found an integer",
                "unknown section [[queue]] (did you mean [[queues]]?)",
            ]
        );
        assert_eq!(raw.queues.len(), 2);
        let q = &raw.queues[0];
        assert_eq!(q.address.as_deref(), Some("billing@example.com"));
        let imap = q.imap.as_ref().unwrap();
        assert_eq!(imap.host.as_deref(), Some("imap.example.com"));
        assert!(q.smtp.is_none() && raw.queues[1].smtp.is_none());
    }
}
