//! Configuration: the TOML file of SPEC §5.2, in two stages.
//!
//! `raw.rs` reads the file into plain serde types and names every problem of its shape
//! (unknown sections and keys, values of the wrong type); `validate.rs` turns what is left
//! into [`Config`], the types the rest of the crate trusts, naming every problem with its
//! key path; `secrets.rs` reads passwords and tokens, but only when a command needs them.
//! Relative paths in a file are relative to the file's directory.

mod queues;
mod raw;
mod secrets;
mod validate;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::core::sla::SlaTimes;
pub use crate::core::{ClosedReply, StaffAuth};
use crate::core::{Lang, Policy, Severity, TicketType};
pub use crate::store::DatabaseUrl;
pub use queues::QueueConfig;
pub use raw::RawConfig;
pub use secrets::{Secret, SecretError, SecretSource};
pub(crate) use validate::is_loopback;

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub gateway: GatewayConfig,
    pub imap: ImapConfig,
    pub smtp: SmtpConfig,
    pub staff: StaffConfig,
    pub timers: TimersConfig,
    pub fields: FieldsConfig,
    /// Service levels per severity (`[sla]`); a severity not listed has none.
    pub sla: Vec<(Severity, SlaTimes)>,
    pub admin: AdminConfig,
    pub web: WebConfig,
    /// Set when `imap.auth` or `smtp.auth` is an OAuth2 mechanism.
    pub oauth2: Option<OAuth2Config>,
    /// `[[queues]]`: the support addresses after the first (the top-level tables), SPEC
    /// §5.4; [`Config::queue`] is the configuration as one of them sees it.
    pub queues: Vec<QueueConfig>,
}

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Lower-case address where customers write; `From` of every gateway mail.
    pub address: String,
    pub name: String,
    pub tag_prefix: String,
    pub default_language: Lang,
    /// The directory of the daemon's own files: the sled store itself, the attachments and
    /// the admin endpoint's address (`gateway.store`, or `gateway.state_dir` when the store
    /// is PostgreSQL).
    pub store: PathBuf,
    /// `gateway.store` as a PostgreSQL URL: the tickets, mails and outbox live there.
    pub database: Option<DatabaseUrl>,
    pub templates: PathBuf,
    pub max_message_size: u64,
    pub max_replies_per_hour: u32,
    pub forward_attachments_max: u64,
    pub closed_reply: ClosedReply,
    /// How long a hard-bounced address gets no mail.
    pub hard_bounce_pause: Duration,
    /// Other addresses that deliver into the mailbox (lower case): never participants,
    /// never recipients (SPEC §5.4).
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    Implicit,
    StartTls,
    None,
}

/// How the gateway logs in to IMAP or SMTP (SPEC §5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// LOGIN (IMAP), AUTH PLAIN or LOGIN (SMTP), with `password_file`/`password_env`.
    Password,
    /// SASL XOAUTH2 with an access token from `[oauth2]` (Gmail, Microsoft 365).
    XOAuth2,
    /// SASL OAUTHBEARER (RFC 7628) with an access token from `[oauth2]`.
    OAuthBearer,
}

impl Auth {
    pub(crate) fn is_oauth2(self) -> bool {
        self != Auth::Password
    }

    /// The SASL mechanism name.
    pub(crate) fn mechanism(self) -> &'static str {
        match self {
            Auth::Password => "PLAIN",
            Auth::XOAuth2 => "XOAUTH2",
            Auth::OAuthBearer => "OAUTHBEARER",
        }
    }
}

/// Where the access token for an OAuth2 login comes from (`[oauth2]`).
#[derive(Debug, Clone)]
pub struct OAuth2Config {
    /// `https://…`, or `http://` to a loopback address only.
    pub token_url: String,
    pub client_id: String,
    /// `Unused`: a public client (refresh-token grant only).
    pub client_secret: SecretSource,
    /// The refresh token's file (read at each grant, so a replaced file is picked up
    /// without a restart). `None`: client-credentials grant.
    pub refresh_token: Option<SecretSource>,
    /// Empty: no `scope` parameter.
    pub scope: String,
    /// Extra PEM roots for the token endpoint's certificate.
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub ca_file: Option<PathBuf>,
    pub username: String,
    pub password: SecretSource,
    pub mailbox: String,
    /// `None`: leave processed mail in place, flagged `\Seen`.
    pub processed_mailbox: Option<String>,
    pub quarantine_mailbox: String,
    pub idle: bool,
    pub poll_interval: Duration,
    pub auth: Auth,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub ca_file: Option<PathBuf>,
    /// Empty: no AUTH.
    pub username: String,
    pub password: SecretSource,
    pub give_up_after: Duration,
    pub auth: Auth,
}

#[derive(Debug, Clone)]
pub struct StaffConfig {
    pub addresses: Vec<String>,
    pub domains: Vec<String>,
    pub notify: Vec<String>,
    pub authentication: StaffAuth,
    pub authserv_ids: Vec<String>,
    /// Customer mail on an owned ticket goes to `notify` too, not only to its owner.
    pub notify_all: bool,
}

/// `[fields]`: a new ticket's type and severity when its first mail says none.
#[derive(Debug, Clone)]
pub struct FieldsConfig {
    pub default_type: TicketType,
    pub default_severity: Severity,
}

#[derive(Debug, Clone)]
pub struct TimersConfig {
    pub waiting_reminder: Duration,
    pub waiting_autoclose: Duration,
    pub resolved_autoclose: Duration,
}

#[derive(Debug, Clone)]
pub struct AdminConfig {
    pub listen: std::net::SocketAddr,
}

/// `[web]`, the customer page of SPEC §3.10 (served by `web`, its links made by `links`).
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// `None`: off (`listen = ""`): no page, and customer mail carries no link.
    pub listen: Option<std::net::SocketAddr>,
    /// Where customers reach the page (through a reverse proxy that terminates TLS).
    pub base_url: String,
    /// The key that signs page links; `None`: `web.key` in the store directory.
    pub key_file: Option<PathBuf>,
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Every problem found in one config file, each with its key path.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.render())]
pub struct ConfigError {
    pub file: PathBuf,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `smtp.port`, or empty for the file as a whole.
    pub key: String,
    pub reason: String,
}

impl Problem {
    pub fn new(key: &str, reason: impl Into<String>) -> Problem {
        Problem {
            key: key.to_string(),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.key.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{}: {}", self.key, self.reason)
        }
    }
}

impl ConfigError {
    fn render(&self) -> String {
        self.problems
            .iter()
            .map(|p| format!("{}: {p}", self.file.display()))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

// ---------------------------------------------------------------------------------------------
// Loading

impl Config {
    /// Reads, parses and validates `path`. Reads no secret ([`Config::read_secrets`]).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            problems: vec![Problem::new("", format!("cannot read: {e}"))],
        })?;
        Config::parse(&text, path)
    }

    /// Parses and validates config text; `path` names the file in errors, and its
    /// directory anchors relative paths (store, templates, ca files, secret files, key
    /// files), so that a config works wherever it is copied and whatever the working
    /// directory.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let fail = |problems| ConfigError {
            file: path.to_path_buf(),
            problems,
        };
        let (raw, mut problems) = raw::parse(text).map_err(|p| fail(vec![p]))?;
        let (config, more) = validate::Validator::run(raw, base_dir(path));
        // A key whose value was refused as it stood was left out of validation: say
        // nothing more of it (not "is required" after "expected a string").
        let refused: Vec<String> = problems.iter().map(|p| p.key.clone()).collect();
        problems.extend(more.into_iter().filter(|p| !refused.contains(&p.key)));
        match config {
            Some(c) if problems.is_empty() => Ok(c),
            _ => Err(fail(problems)),
        }
    }

    /// Reads every secret a login needs (IMAP, SMTP, the OAuth2 grant), to report each
    /// that cannot be read, with its key, before anything starts. The commands that only
    /// read the store never call it.
    pub(crate) fn read_secrets(&self, file: &Path) -> Result<(), ConfigError> {
        let mut sources = vec![&self.imap.password, &self.smtp.password];
        if let Some(o) = &self.oauth2 {
            sources.push(&o.client_secret);
            sources.extend(o.refresh_token.iter());
        }
        for q in &self.queues {
            sources.extend([&q.imap.password, &q.smtp.password]);
            if let Some(o) = &q.oauth2 {
                sources.push(&o.client_secret);
                sources.extend(o.refresh_token.iter());
            }
        }
        // A table a queue took from the top level is read once.
        let mut seen = Vec::new();
        sources.retain(|s| {
            let key = format!("{s:?}");
            let new = !seen.contains(&key);
            seen.push(key);
            new
        });
        let mut problems = Vec::new();
        for s in sources {
            match s.read_from() {
                Err(e) => problems.push(Problem::new(&e.key, e.reason)),
                Ok((secret, Some(from))) if secret.expose().trim().is_empty() => {
                    if let SecretSource::File { key, .. } = s {
                        problems.push(Problem::new(key, format!("{} is empty", from.display())));
                    }
                }
                Ok(_) => {}
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError {
                file: file.to_path_buf(),
                problems,
            })
        }
    }
}

/// The config file's directory, absolute: relative paths in the file are relative to it.
fn base_dir(path: &Path) -> PathBuf {
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    std::path::absolute(&dir).unwrap_or(dir)
}

impl StaffConfig {
    /// Is `address` (lower case) a staff address by the lists, before any authentication?
    pub fn lists(&self, address: &str) -> bool {
        if self.addresses.iter().any(|a| a == address) {
            return true;
        }
        match address.rsplit_once('@') {
            Some((_, d)) => self.domains.iter().any(|s| s == d),
            None => false,
        }
    }
}

impl Config {
    /// The part of the configuration the pure core needs.
    pub fn policy(&self) -> Policy {
        Policy {
            gateway_address: self.gateway.address.clone(),
            tag_prefix: self.gateway.tag_prefix.clone(),
            // The store's registry: the gateway sets it once the store has given each
            // prefix its slot.
            prefixes: Vec::new(),
            default_language: self.gateway.default_language,
            closed_reply: self.gateway.closed_reply,
            staff_addresses: self.staff.addresses.clone(),
            staff_domains: self.staff.domains.clone(),
            staff_notify: self.staff.notify.clone(),
            staff_auth: self.staff.authentication,
            authserv_ids: self.staff.authserv_ids.clone(),
            waiting_reminder: self.timers.waiting_reminder.as_secs() as i64,
            waiting_autoclose: self.timers.waiting_autoclose.as_secs() as i64,
            resolved_autoclose: self.timers.resolved_autoclose.as_secs() as i64,
            forward_attachments_max: self.gateway.forward_attachments_max,
            aliases: self.gateway.aliases.clone(),
            max_replies_per_hour: self.gateway.max_replies_per_hour,
            hard_bounce_pause: self.gateway.hard_bounce_pause.as_secs() as i64,
            notify_all: self.staff.notify_all,
            default_type: self.fields.default_type,
            default_severity: self.fields.default_severity,
            sla: self.sla.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(dir: &Path) -> String {
        std::fs::write(dir.join("pw"), "s3cret\n").unwrap();
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        r#"
[gateway]
address = "Support@Example.com"
templates = "templates"
store = "store"
[imap]
host = "imap.example.com"
username = "support@example.com"
password_file = "pw"
[smtp]
host = "smtp.example.com"
username = "support@example.com"
password_file = "pw"
"#
        .to_string()
    }

    fn parse(dir: &Path, text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, &dir.join("gateway.toml"))
    }

    #[test]
    fn a_minimal_file_gets_the_documented_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let c = parse(dir.path(), &base(dir.path())).unwrap();
        assert_eq!(c.gateway.address, "support@example.com");
        assert_eq!(c.gateway.tag_prefix, "SUP");
        assert_eq!(c.gateway.max_message_size, 25 * 1024 * 1024);
        assert_eq!(c.gateway.max_replies_per_hour, 5);
        assert_eq!(c.gateway.closed_reply, ClosedReply::Comment);
        assert_eq!(c.imap.port, 993);
        assert_eq!(c.imap.tls, Tls::Implicit);
        assert_eq!(c.imap.processed_mailbox.as_deref(), Some("Processed"));
        assert_eq!(c.imap.poll_interval, Duration::from_secs(30));
        assert_eq!(c.smtp.port, 465);
        assert_eq!(c.smtp.give_up_after, Duration::from_secs(3 * 86400));
        assert_eq!(c.timers.waiting_reminder, Duration::from_secs(3 * 86400));
        assert_eq!(c.timers.waiting_autoclose, Duration::from_secs(14 * 86400));
        assert_eq!(c.timers.resolved_autoclose, Duration::from_secs(7 * 86400));
        assert_eq!(c.admin.listen.to_string(), "127.0.0.1:9187");
        let password = c.imap.password.read().unwrap();
        assert_eq!(password.expose(), "s3cret");
        assert_eq!(format!("{password:?}"), "[redacted]");
        assert!(
            c.gateway.store.is_absolute(),
            "relative paths are anchored at the file"
        );
    }

    #[test]
    fn fields_and_service_levels_are_read_and_each_mistake_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let c = parse(dir.path(), &base(dir.path())).unwrap();
        assert_eq!(
            (c.fields.default_type, c.fields.default_severity),
            (TicketType::Question, Severity::Major)
        );
        assert!(c.sla.is_empty() && !c.staff.notify_all);
        let text = format!(
            "{}[fields]\ndefault_type = \"Anomalie\"\ndefault_severity = \"minor\"\n\
             [sla]\ncritical = {{ first_response = \"1h\", resolution = \"1d\" }}\n\
             blocker = {{ resolution = \"4h\" }}\n[staff]\nnotify_all = true\n",
            base(dir.path())
        );
        let c = parse(dir.path(), &text).unwrap();
        assert_eq!(
            (c.fields.default_type, c.fields.default_severity),
            (TicketType::Bug, Severity::Minor)
        );
        assert!(c.staff.notify_all);
        let p = c.policy();
        assert_eq!(
            crate::core::sla::times_of(&p, Severity::Critical),
            SlaTimes {
                first_response: Some(3600),
                resolution: Some(86_400)
            }
        );
        assert_eq!(
            crate::core::sla::times_of(&p, Severity::Blocker).first_response,
            None
        );

        let text = format!(
            "{}[fields]\ndefault_type = \"feature request\"\ndefault_severity = \"urgent\"\n\
             [sla]\ncritical = {{ first_respons = \"1h\" }}\nmajor = {{ resolution = \"soon\" }}\n\
             critcal = {{ resolution = \"1d\" }}\n",
            base(dir.path())
        );
        let msg = parse(dir.path(), &text).unwrap_err().to_string();
        for part in [
            "fields.default_type: expected one of question, bug, incident, improvement, got 'feature request'",
            "fields.default_severity: expected one of blocker, critical, major, minor, trivial, got 'urgent'",
            "sla.critical.first_respons: unknown key; a service level has first_response and resolution",
            "sla.critical: give first_response, resolution or both",
            "sla.major.resolution: 'soon' is not a duration",
            "sla.critcal: unknown key (did you mean sla.critical?)",
        ] {
            assert!(msg.contains(part), "{part:?} in\n{msg}");
        }
    }

    #[test]
    fn every_problem_is_reported_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let text = base(dir.path())
            .replace("[imap]", "[imap]\nport = 0\npoll_interval = \"soon\"\ntls = \"maybe\"")
            .replace("[smtp]", "[smtp]\ngive_up_after = \"3 fortnights\"")
            .replace("[gateway]", "[gateway]\nmax_message_size = \"lots\"\ndefault_language = \"de\"\ntag_prefix = \"S U P\"");
        let err = parse(dir.path(), &text).unwrap_err();
        let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
        for key in [
            "imap.port",
            "imap.poll_interval",
            "imap.tls",
            "smtp.give_up_after",
            "gateway.max_message_size",
            "gateway.default_language",
            "gateway.tag_prefix",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
        let msg = err.to_string();
        assert!(
            msg.contains("gateway.toml: imap.port: expected 1-65535, got 0"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_keys_are_refused_and_secrets_are_read_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let text = base(dir.path()).replace("[imap]", "[imap]\npasword_file = \"pw\"");
        let err = parse(dir.path(), &text).unwrap_err().to_string();
        assert!(
            err.contains("imap.pasword_file: unknown key (did you mean imap.password_file?)"),
            "{err}"
        );
        let file = dir.path().join("gateway.toml");
        let text = base(dir.path())
            .replacen(
                "password_file = \"pw\"",
                "password_env = \"TG_TEST_UNSET_VARIABLE\"",
                1,
            )
            .replacen("password_file = \"pw\"", "password_file = \"nope\"", 1);
        let c = parse(dir.path(), &text).expect("no secret is read when the config loads");
        let err = c.read_secrets(&file).unwrap_err().to_string();
        assert!(
            err.contains(
                "gateway.toml: imap.password_env: environment variable TG_TEST_UNSET_VARIABLE is not set"
            ),
            "{err}"
        );
        assert!(
            err.contains("gateway.toml: smtp.password_file: cannot read "),
            "{err}"
        );
        let text = base(dir.path()).replacen("password_file = \"pw\"\n", "", 1);
        let c = parse(dir.path(), &text).unwrap();
        let err = c.read_secrets(&file).unwrap_err().to_string();
        assert!(
            err.contains("imap.password_file: a password_file or password_env is required"),
            "{err}"
        );
        let c = parse(dir.path(), &base(dir.path())).unwrap();
        std::fs::write(dir.path().join("pw"), "\n").unwrap();
        let err = c.read_secrets(&file).unwrap_err().to_string();
        assert!(
            err.contains("imap.password_file: ") && err.contains("pw is empty"),
            "{err}"
        );
        let text = base(dir.path()).replace("address = \"Support@Example.com\"\n", "");
        let err = parse(dir.path(), &text).unwrap_err().to_string();
        assert!(err.contains("gateway.address: is required"), "{err}");
    }

    #[test]
    fn a_postgres_store_is_a_url_with_a_state_directory_and_a_bad_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let pg = base(dir.path()).replace(
            "store = \"store\"",
            "store = \"postgres://tg:pw@db.example:5433/desk?sslmode=require\"\nstate_dir = \"state\"",
        );
        let c = parse(dir.path(), &pg).unwrap();
        let url = c.gateway.database.as_ref().expect("a database");
        assert_eq!(url.to_string(), "postgres://tg:***@db.example:5433/desk");
        assert!(url.uses_tls());
        assert_eq!(c.gateway.store, dir.path().join("state"));
        assert!(
            !format!("{c:?}").contains(":pw@"),
            "the password is never shown"
        );
        // sled stays the default: a path, no database.
        let c = parse(dir.path(), &base(dir.path())).unwrap();
        assert!(c.gateway.database.is_none());
        for (store, extra, says) in [
            (
                "postgres://tg@db.example/desk?sslmode=maybe",
                "",
                "gateway.store: sslmode=maybe: expected disable",
            ),
            (
                "postgres://db.example/desk",
                "",
                "gateway.store: the URL names no user",
            ),
            (
                "mysql://tg@db/desk",
                "",
                "gateway.store: 'mysql' is neither a directory nor a postgres:// URL",
            ),
            (
                "store",
                "state_dir = \"s\"\n",
                "gateway.state_dir: only with a PostgreSQL store",
            ),
        ] {
            let text = base(dir.path())
                .replace("store = \"store\"", &format!("{extra}store = \"{store}\""));
            let err = parse(dir.path(), &text).unwrap_err().to_string();
            assert!(err.contains(says), "{store}: {err}");
        }
    }

    #[test]
    fn a_value_of_the_wrong_type_is_reported_once_with_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let text = base(dir.path())
            .replace("[gateway]", "[gateway]\nmax_replies_per_hour = \"five\"")
            .replace("host = \"imap.example.com\"", "host = 143\nport = 0")
            .replace("[smtp]", "[timer]\nwaiting_reminder = \"1d\"\n[smtp]");
        let err = parse(dir.path(), &text).unwrap_err();
        let got: Vec<String> = err.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            got,
            [
                "gateway.max_replies_per_hour: expected an integer, found \"five\"",
                "imap.host: expected a string, found 143",
                "unknown section [timer] (did you mean [timers]?)",
                "imap.port: expected 1-65535, got 0",
            ]
        );
    }

    #[test]
    fn oauth2_logins_need_the_oauth2_section_and_no_password() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("refresh"), "rt-1\n").unwrap();
        std::fs::write(dir.path().join("client-secret"), "cs\n").unwrap();
        let oauth = base(dir.path())
            .replace("password_file = \"pw\"\n", "")
            .replace("[imap]", "[imap]\nauth = \"xoauth2\"")
            .replace("[smtp]", "[smtp]\nauth = \"oauthbearer\"");
        let err = parse(dir.path(), &oauth).unwrap_err().to_string();
        assert!(
            err.contains("oauth2: the [oauth2] section is required when imap.auth is xoauth2"),
            "{err}"
        );
        assert!(!err.contains("password"), "no password needed: {err}");
        let text = format!(
            "{oauth}\n[oauth2]\ntoken_url = \"https://oauth2.googleapis.com/token\"\nclient_id = \"gw\"\nclient_secret_file = \"client-secret\"\nrefresh_token_file = \"refresh\"\nscope = \"https://mail.google.com/\"\n"
        );
        let c = parse(dir.path(), &text).unwrap();
        assert_eq!(c.imap.auth, Auth::XOAuth2);
        assert_eq!(c.smtp.auth, Auth::OAuthBearer);
        let o = c.oauth2.as_ref().expect("oauth2");
        assert_eq!(o.client_secret.read().unwrap().expose(), "cs");
        assert_eq!(
            o.refresh_token.as_ref().unwrap().read().unwrap().expose(),
            "rt-1"
        );
        assert_eq!(o.scope, "https://mail.google.com/");
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("rt-1") && !shown.contains("\"cs\""),
            "{shown}"
        );
        // Every mistake at once, each with its key.
        let bad = text
            .replace(
                "https://oauth2.googleapis.com/token",
                "http://oauth2.example.com/token",
            )
            .replace("client_id = \"gw\"", "client_id = \"\"")
            .replace("\"refresh\"", "\"missing\"")
            .replace("auth = \"xoauth2\"", "auth = \"oauth\"");
        let err = parse(dir.path(), &bad).unwrap_err().to_string();
        for want in [
            "oauth2.token_url: 'http://oauth2.example.com/token': plain http only to a loopback address",
            "oauth2.client_id: is required",
            "imap.auth: expected password, xoauth2 or oauthbearer, got 'oauth'",
        ] {
            assert!(err.contains(want), "{want} missing from {err}");
        }
        // An unused [oauth2] section (password logins) is not checked beyond its keys.
        let unused = format!(
            "{}\n[oauth2]\ntoken_url = \"\"\nclient_id = \"\"\n",
            base(dir.path())
        );
        assert!(parse(dir.path(), &unused).unwrap().oauth2.is_none());
        // A refresh token that cannot be read is reported when the secrets are read.
        let c = parse(dir.path(), &text.replace("\"refresh\"", "\"missing\"")).unwrap();
        let err = c
            .read_secrets(&dir.path().join("gateway.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("oauth2.refresh_token_file: cannot read "),
            "{err}"
        );
    }

    #[test]
    fn the_customer_page_needs_a_base_url_that_keeps_links_off_clear_networks() {
        let dir = tempfile::tempdir().unwrap();
        let web = |lines: &str| format!("{}\n[web]\n{lines}\n", base(dir.path()));
        let off = parse(dir.path(), &web("listen = \"\"\nbase_url = \"\"")).unwrap();
        assert_eq!(off.web.listen, None);
        let on = parse(
            dir.path(),
            &web("listen = \"127.0.0.1:8087\"\nbase_url = \"https://support.example.com/help/\"\nkey_file = \"keys/web.key\""),
        )
        .unwrap();
        assert_eq!(on.web.listen, Some("127.0.0.1:8087".parse().unwrap()));
        assert_eq!(
            on.web.key_file,
            Some(dir.path().join("keys/web.key")),
            "relative to the file"
        );
        let local = web("listen = \"127.0.0.1:8087\"\nbase_url = \"http://127.0.0.1:8087\"");
        assert!(parse(dir.path(), &local).is_ok(), "plain http to loopback");
        for (lines, want) in [
            (
                "listen = \"127.0.0.1:8087\"",
                "web.base_url: needed when web.listen is set",
            ),
            (
                "listen = \"127.0.0.1:8087\"\nbase_url = \"http://support.example.com\"",
                "web.base_url: 'http://support.example.com': plain http only to a loopback address",
            ),
            (
                "base_url = \"https://support.example.com/?a=1\"",
                "web.base_url: 'https://support.example.com/?a=1': no query or fragment",
            ),
            (
                "base_url = \"support.example.com\"",
                "web.base_url: 'support.example.com' is not a URL",
            ),
        ] {
            let err = parse(dir.path(), &web(lines)).unwrap_err().to_string();
            assert!(err.contains(want), "{want} missing from {err}");
        }
    }

    #[test]
    fn staff_authentication_needs_pinned_authserv_ids() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "{}\n[staff]\nauthentication = \"dmarc\"\n",
            base(dir.path())
        );
        let err = parse(dir.path(), &text).unwrap_err().to_string();
        assert!(err.contains("staff.authserv_ids"), "{err}");
        let text = format!("{}\n[staff]\nauthentication = \"dmarc\"\nauthserv_ids = [\"MX.example.com\"]\ndomains = [\"@Example.com\"]\n", base(dir.path()));
        let c = parse(dir.path(), &text).unwrap();
        assert_eq!(c.staff.authserv_ids, vec!["mx.example.com".to_string()]);
        assert!(c.policy().is_staff_address("bob@example.com"));
    }

    fn queue_imap(user: &str) -> String {
        format!(
            "[queues.imap]\nhost = \"imap.example.com\"\nusername = \"{user}\"\npassword_file = \"pw\"\n"
        )
    }

    #[test]
    fn a_queue_takes_what_it_leaves_out_from_the_top_level_tables() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("billing-templates")).unwrap();
        let text = base(dir.path())
            + "[staff]\nnotify = [\"team@example.com\"]\n"
            + "[[queues]]\naddress = \"Billing@Example.com\"\nname = \"Billing\"\ntag_prefix = \"bil\"\n"
            + &queue_imap("billing@example.com")
            + "[queues.staff]\nnotify = [\"money@example.com\"]\n"
            + "[[queues]]\naddress = \"ops@example.com\"\ntag_prefix = \"OPS\"\n\
               templates = \"billing-templates\"\n"
            + &queue_imap("ops@example.com")
            + "[queues.smtp]\nhost = \"smtp.ops.example.com\"\nport = 587\ntls = \"starttls\"\n";
        let c = parse(dir.path(), &text).unwrap();
        assert_eq!(c.queue_count(), 3);
        assert_eq!(c.tag_prefixes(), ["SUP", "BIL", "OPS"]);
        let bil = c.queue(1);
        assert_eq!(bil.gateway.address, "billing@example.com");
        assert_eq!(bil.gateway.name, "Billing");
        assert_eq!(bil.gateway.tag_prefix, "BIL");
        assert_eq!(bil.imap.username, "billing@example.com");
        assert_eq!(bil.staff.notify, ["money@example.com"]);
        assert_eq!(bil.smtp.host, "smtp.example.com", "the top-level [smtp]");
        assert_eq!(bil.gateway.templates, c.gateway.templates);
        let ops = c.queue(2);
        assert_eq!(ops.gateway.name, "Support", "the top-level name");
        assert_eq!(
            ops.staff.notify,
            ["team@example.com"],
            "the top-level [staff]"
        );
        assert_eq!(
            (ops.smtp.host.as_str(), ops.smtp.port),
            ("smtp.ops.example.com", 587)
        );
        assert_eq!(ops.gateway.templates, dir.path().join("billing-templates"));
        // Every other queue's address is an alias of each: never a participant.
        let first = c.queue(0);
        assert_eq!(first.gateway.address, "support@example.com");
        assert_eq!(
            first.gateway.aliases,
            ["billing@example.com", "ops@example.com"]
        );
        assert_eq!(
            bil.gateway.aliases,
            ["support@example.com", "ops@example.com"]
        );
        let p = bil.policy();
        assert!(p.is_gateway_address("support+x@example.com"));
        assert!(p.is_gateway_address("ops+billing@example.com"));
        assert!(p.is_gateway_address("billing+x@example.com"));
    }

    #[test]
    fn every_queue_problem_is_named_at_once_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let text = base(dir.path())
            + "[gateway]\n"
            + "[[queues]]\naddress = \"support@example.com\"\ntag_prefix = \"sup\"\n"
            + &queue_imap("support@example.com")
            + "[[queues]]\naddress = \"billing@example.com\"\ntag_prefix = \"B-1\"\ntemplates = \"nowhere\"\n"
            + "[[queues]]\naddress = \"billing@example.com\"\n"
            + &queue_imap("billing@example.com")
            + "[queues.smtp]\nhost = \"smtp.example.com\"\nauth = \"xoauth2\"\nusername = \"b@example.com\"\n";
        // `[gateway]` twice is a TOML error: keep the one of `base`.
        let text = text.replacen("[gateway]\n[[queues]]", "[[queues]]", 1);
        let err = parse(dir.path(), &text).unwrap_err().to_string();
        for expected in [
            "queues[0].tag_prefix: 'SUP' is the prefix of the top-level queue",
            "queues[0].address: support@example.com is the address of the top-level queue",
            "queues[0].imap.mailbox: INBOX of support@example.com@imap.example.com is the mailbox of the top-level queue",
            "queues[1].tag_prefix: 'B-1' must be 1-16 ASCII letters or digits",
            "queues[1].imap: is required",
            "queues[1].templates:",
            "queues[2].tag_prefix: is required",
            "queues[2].address: billing@example.com is the address of queues[1]",
            "queues[2].oauth2: the [queues[2].oauth2] section is required when queues[2].smtp.auth is xoauth2",
        ] {
            assert!(err.contains(expected), "{expected}\nin:\n{err}");
        }
        assert_eq!(err.lines().count(), 9, "{err}");
    }
}
