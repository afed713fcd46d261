//! The ticket's fields (SPEC §2.5): type, severity, environment and version, their values in
//! English and French, and the customer's `Field: value` lines at the top of a first mail.

use super::text::fold;
use super::Lang;

/// How many non-blank lines at the top of a first mail may be field lines.
pub const FIELD_LINES: usize = 8;

/// The ticket's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TicketType {
    Question,
    Bug,
    Incident,
    Improvement,
}

/// The ticket's severity, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Blocker,
    Critical,
    Major,
    Minor,
    Trivial,
}

/// One value of a closed field: stored name, English and French labels, other spellings
/// (folded) a person may write.
struct Spelling<T: 'static> {
    value: T,
    stored: &'static str,
    en: &'static str,
    fr: &'static str,
    other: &'static [&'static str],
}

const TYPES: &[Spelling<TicketType>] = &[
    Spelling {
        value: TicketType::Question,
        stored: "question",
        en: "Question",
        fr: "Question",
        other: &[],
    },
    Spelling {
        value: TicketType::Bug,
        stored: "bug",
        en: "Bug",
        fr: "Anomalie",
        other: &["defect", "defaut"],
    },
    Spelling {
        value: TicketType::Incident,
        stored: "incident",
        en: "Incident",
        fr: "Incident",
        other: &[],
    },
    Spelling {
        value: TicketType::Improvement,
        stored: "improvement",
        en: "Improvement",
        fr: "Amélioration",
        other: &["enhancement", "evolution", "feature"],
    },
];

const SEVERITIES: &[Spelling<Severity>] = &[
    Spelling {
        value: Severity::Blocker,
        stored: "blocker",
        en: "Blocker",
        fr: "Bloquant",
        other: &["bloquante"],
    },
    Spelling {
        value: Severity::Critical,
        stored: "critical",
        en: "Critical",
        fr: "Critique",
        other: &[],
    },
    Spelling {
        value: Severity::Major,
        stored: "major",
        en: "Major",
        fr: "Majeur",
        other: &["majeure"],
    },
    Spelling {
        value: Severity::Minor,
        stored: "minor",
        en: "Minor",
        fr: "Mineur",
        other: &["mineure"],
    },
    Spelling {
        value: Severity::Trivial,
        stored: "trivial",
        en: "Trivial",
        fr: "Trivial",
        other: &["triviale"],
    },
];

fn spelling_of<T: Copy + PartialEq>(table: &'static [Spelling<T>], v: T) -> &'static Spelling<T> {
    table
        .iter()
        .find(|s| s.value == v)
        .expect("every value has a row in its table")
}

/// A value written by a person, in either language, case and accents ignored.
fn read<T: Copy>(table: &[Spelling<T>], written: &str) -> Option<T> {
    let w = fold(written.trim());
    table
        .iter()
        .find(|s| {
            s.stored == w || fold(s.en) == w || fold(s.fr) == w || s.other.contains(&w.as_str())
        })
        .map(|s| s.value)
}

fn labels<T>(table: &[Spelling<T>], lang: Lang) -> Vec<&'static str> {
    table
        .iter()
        .map(|s| match lang {
            Lang::En => s.en,
            Lang::Fr => s.fr,
        })
        .collect()
}

impl TicketType {
    pub const ALL: [TicketType; 4] = [
        TicketType::Question,
        TicketType::Bug,
        TicketType::Incident,
        TicketType::Improvement,
    ];

    /// As stored and in JSON.
    pub fn as_str(self) -> &'static str {
        spelling_of(TYPES, self).stored
    }

    pub fn label(self, lang: Lang) -> &'static str {
        let s = spelling_of(TYPES, self);
        match lang {
            Lang::En => s.en,
            Lang::Fr => s.fr,
        }
    }

    /// A value as a person writes it (`Anomalie`, `bug`, `AMÉLIORATION`).
    pub fn read(written: &str) -> Option<TicketType> {
        read(TYPES, written)
    }

    /// The labels a person may write, in `lang`.
    pub fn labels(lang: Lang) -> Vec<&'static str> {
        labels(TYPES, lang)
    }
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Blocker,
        Severity::Critical,
        Severity::Major,
        Severity::Minor,
        Severity::Trivial,
    ];

    pub fn as_str(self) -> &'static str {
        spelling_of(SEVERITIES, self).stored
    }

    pub fn label(self, lang: Lang) -> &'static str {
        let s = spelling_of(SEVERITIES, self);
        match lang {
            Lang::En => s.en,
            Lang::Fr => s.fr,
        }
    }

    pub fn read(written: &str) -> Option<Severity> {
        read(SEVERITIES, written)
    }

    pub fn labels(lang: Lang) -> Vec<&'static str> {
        labels(SEVERITIES, lang)
    }
}

/// A ticket's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    pub kind: TicketType,
    pub severity: Severity,
    /// Free text; empty when nobody said.
    pub environment: String,
    pub version: String,
}

impl Fields {
    /// The fields of a ticket nobody said anything about: the configured defaults.
    pub fn defaults(kind: TicketType, severity: Severity) -> Fields {
        Fields {
            kind,
            severity,
            environment: String::new(),
            version: String::new(),
        }
    }
}

impl Default for Fields {
    /// SPEC §2.5's defaults (`fields.default_type`, `fields.default_severity`).
    fn default() -> Fields {
        Fields::defaults(TicketType::Question, Severity::Major)
    }
}

/// Which field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Type,
    Severity,
    Environment,
    Version,
}

impl Field {
    pub const ALL: [Field; 4] = [
        Field::Type,
        Field::Severity,
        Field::Environment,
        Field::Version,
    ];

    /// As in JSON and the decision log.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Type => "type",
            Field::Severity => "severity",
            Field::Environment => "environment",
            Field::Version => "version",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::En, Field::Type) => "Type",
            (Lang::En, Field::Severity) => "Severity",
            (Lang::En, Field::Environment) => "Environment",
            (Lang::En, Field::Version) => "Version",
            (Lang::Fr, Field::Type) => "Type",
            (Lang::Fr, Field::Severity) => "Sévérité",
            (Lang::Fr, Field::Environment) => "Environnement",
            (Lang::Fr, Field::Version) => "Version",
        }
    }

    /// A label as a customer writes it before the colon (folded): English or French.
    fn of_label(folded: &str) -> Option<Field> {
        match folded {
            "type" | "ticket type" | "type de ticket" | "type de demande" => Some(Field::Type),
            "severity" | "severite" | "gravite" | "priority" | "priorite" => Some(Field::Severity),
            "environment" | "environnement" | "env" => Some(Field::Environment),
            "version" | "product version" | "version du produit" => Some(Field::Version),
            _ => None,
        }
    }

    /// The value of this field in `f`, as its reader reads it.
    pub fn shown(self, f: &Fields, lang: Lang) -> String {
        match self {
            Field::Type => f.kind.label(lang).to_string(),
            Field::Severity => f.severity.label(lang).to_string(),
            Field::Environment => f.environment.clone(),
            Field::Version => f.version.clone(),
        }
    }

    /// The value of this field in `f`, as stored.
    pub fn stored(self, f: &Fields) -> String {
        match self {
            Field::Type => f.kind.as_str().to_string(),
            Field::Severity => f.severity.as_str().to_string(),
            Field::Environment => f.environment.clone(),
            Field::Version => f.version.clone(),
        }
    }

    /// Sets this field of `f` from a value as written: `false` (and `f` unchanged) for a
    /// value a closed field does not know.
    pub fn set(self, f: &mut Fields, written: &str) -> bool {
        let written = written.trim();
        match self {
            Field::Type => match TicketType::read(written) {
                Some(v) => f.kind = v,
                None => return false,
            },
            Field::Severity => match Severity::read(written) {
                Some(v) => f.severity = v,
                None => return false,
            },
            Field::Environment => f.environment = cap(written),
            Field::Version => f.version = cap(written),
        }
        true
    }

    /// The values a closed field accepts, in `lang` (empty for free text).
    pub fn values(self, lang: Lang) -> Vec<&'static str> {
        match self {
            Field::Type => TicketType::labels(lang),
            Field::Severity => Severity::labels(lang),
            Field::Environment | Field::Version => vec![],
        }
    }
}

/// The longest free-text value kept, in characters.
const MAX_VALUE_CHARS: usize = 100;

fn cap(s: &str) -> String {
    s.chars().take(MAX_VALUE_CHARS).collect()
}

/// A field line whose value a closed field does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    pub field: Field,
    pub written: String,
}

/// What the customer's field lines said, and the text without them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldLines {
    pub fields: Fields,
    /// The fields the customer set, in the order written.
    pub set: Vec<Field>,
    /// Values not understood: the default stays, and the acknowledgement lists the values.
    pub unknown: Vec<UnknownValue>,
    pub text: String,
}

/// Reads the `Field: value` lines among the first [`FIELD_LINES`] non-blank lines of a first
/// mail (SPEC §2.5): labels and values in English or French, case and accents ignored,
/// `Type : Anomalie` as well as `Type: Bug`. Those lines are removed from the text; other
/// lines (a greeting, `Subject: …`) stay.
pub fn customer_fields(text: &str, defaults: &Fields) -> FieldLines {
    let mut fields = defaults.clone();
    let mut set = Vec::new();
    let mut unknown = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut keep = vec![true; lines.len()];
    for (i, line) in lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .take(FIELD_LINES)
    {
        let Some((label, value)) = line.split_once(':') else {
            continue;
        };
        let label = fold(label.trim().trim_start_matches(['*', '-', '•']).trim());
        let label = label.trim_end_matches('*').trim();
        let Some(field) = Field::of_label(label) else {
            continue;
        };
        let value = value.trim().trim_matches('*').trim();
        if value.is_empty() {
            continue;
        }
        keep[i] = false;
        if !field.set(&mut fields, value) {
            unknown.push(UnknownValue {
                field,
                written: value.to_string(),
            });
        } else if !set.contains(&field) {
            set.push(field);
        }
    }
    let text = lines
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(l, _)| *l)
        .collect::<Vec<_>>()
        .join("\n");
    FieldLines {
        fields,
        set,
        unknown,
        text: text.trim().to_string(),
    }
}

/// What a staff keyword changed: a field or the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    Field(Field),
    Owner,
}

impl Changed {
    pub fn as_str(self) -> &'static str {
        match self {
            Changed::Field(f) => f.as_str(),
            Changed::Owner => "owner",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Changed::Field(f), _) => f.label(lang),
            (Changed::Owner, Lang::En) => "Owner",
            (Changed::Owner, Lang::Fr) => "Responsable",
        }
    }

    /// A stored value as its reader reads it (`bug` -> `Anomalie` in French).
    pub fn shown(self, stored: &str, lang: Lang) -> String {
        match self {
            Changed::Field(Field::Type) => {
                TicketType::read(stored).map_or(stored.to_string(), |t| t.label(lang).to_string())
            }
            Changed::Field(Field::Severity) => {
                Severity::read(stored).map_or(stored.to_string(), |s| s.label(lang).to_string())
            }
            _ => stored.to_string(),
        }
    }

    /// The customer is told of this change (SPEC §2.5: type and severity).
    pub fn told_to_customer(self) -> bool {
        matches!(self, Changed::Field(Field::Type | Field::Severity))
    }
}

/// A field or the owner changed by staff: what it was and what it is, as stored (an empty
/// string for no owner or no value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub what: Changed,
    pub from: String,
    pub to: String,
}

/// The changes from `before` to `after`, fields in [`Field::ALL`] order.
pub fn changes(before: &Fields, after: &Fields) -> Vec<Change> {
    Field::ALL
        .into_iter()
        .filter_map(|f| {
            let (from, to) = (f.stored(before), f.stored(after));
            (from != to).then_some(Change {
                what: Changed::Field(f),
                from,
                to,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_in_either_language_whatever_the_case_and_accents() {
        for (w, t) in [
            ("Anomalie", TicketType::Bug),
            ("bug", TicketType::Bug),
            ("AMÉLIORATION", TicketType::Improvement),
            ("amelioration", TicketType::Improvement),
            ("Improvement", TicketType::Improvement),
            ("incident", TicketType::Incident),
            (" Question ", TicketType::Question),
        ] {
            assert_eq!(TicketType::read(w), Some(t), "{w}");
        }
        for (w, s) in [
            ("Bloquant", Severity::Blocker),
            ("critique", Severity::Critical),
            ("Critical", Severity::Critical),
            ("Majeur", Severity::Major),
            ("mineure", Severity::Minor),
            ("TRIVIAL", Severity::Trivial),
        ] {
            assert_eq!(Severity::read(w), Some(s), "{w}");
        }
        assert_eq!(Severity::read("urgentissime"), None);
        assert_eq!(TicketType::Improvement.label(Lang::Fr), "Amélioration");
        assert_eq!(Severity::Blocker.label(Lang::Fr), "Bloquant");
    }

    #[test]
    fn a_french_customers_field_lines_set_the_fields_and_leave_the_text() {
        let body = "Type : Anomalie\nSévérité : Majeur\nEnvironnement : recette\nVersion : 10.10\n\nBonjour,\nl'export plante.";
        let f = customer_fields(body, &Fields::default());
        assert_eq!(f.fields.kind, TicketType::Bug);
        assert_eq!(f.fields.severity, Severity::Major);
        assert_eq!(f.fields.environment, "recette");
        assert_eq!(f.fields.version, "10.10");
        assert_eq!(
            f.set,
            [
                Field::Type,
                Field::Severity,
                Field::Environment,
                Field::Version
            ]
        );
        assert!(f.unknown.is_empty());
        assert_eq!(f.text, "Bonjour,\nl'export plante.");
    }

    #[test]
    fn an_unknown_value_keeps_the_default_and_is_reported() {
        let defaults = Fields::defaults(TicketType::Question, Severity::Minor);
        let f = customer_fields(
            "Hello,\nSeverity: urgent!!\nType: Incident\nText",
            &defaults,
        );
        assert_eq!(f.fields.severity, Severity::Minor);
        assert_eq!(f.fields.kind, TicketType::Incident);
        assert_eq!(
            f.unknown,
            [UnknownValue {
                field: Field::Severity,
                written: "urgent!!".into()
            }]
        );
        assert_eq!(f.text, "Hello,\nText");
    }

    #[test]
    fn only_the_first_lines_count_and_other_colons_stay_text() {
        let late = format!("{}Type: Bug\n", "line\n".repeat(FIELD_LINES));
        let f = customer_fields(&late, &Fields::default());
        assert_eq!(f.fields.kind, TicketType::Question);
        assert!(f.text.ends_with("Type: Bug"));
        let f = customer_fields(
            "Note: the printer\nTime: 10:30\nType:\n",
            &Fields::default(),
        );
        assert_eq!(f.fields, Fields::default());
        assert_eq!(f.text, "Note: the printer\nTime: 10:30\nType:");
    }
}
