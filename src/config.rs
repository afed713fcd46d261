//! Configuration: the TOML file of SPEC §5.2, in two stages.
//!
//! [`RawConfig`] is plain serde with `deny_unknown_fields`, so a typo fails loudly.
//! [`Config::parse`] validates every key and produces the types the rest of the crate
//! trusts. Every problem is collected with its key path, not just the first one.
//! This module reads the config file and the password files; it does nothing else.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub use crate::core::{ClosedReply, StaffAuth};
use crate::core::{Lang, Policy};

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub gateway: GatewayConfig,
    pub imap: ImapConfig,
    pub smtp: SmtpConfig,
    pub staff: StaffConfig,
    pub timers: TimersConfig,
    pub admin: AdminConfig,
}

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Lower-case address where customers write; `From` of every gateway mail.
    pub address: String,
    pub name: String,
    pub tag_prefix: String,
    pub default_language: Lang,
    pub store: PathBuf,
    pub templates: PathBuf,
    pub max_message_size: u64,
    pub max_replies_per_hour: u32,
    pub forward_attachments_max: u64,
    pub closed_reply: ClosedReply,
    /// How long a hard-bounced address gets no mail.
    pub hard_bounce_pause: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    Implicit,
    StartTls,
    None,
}

#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub ca_file: Option<PathBuf>,
    pub username: String,
    pub password: Secret,
    pub mailbox: String,
    /// `None`: leave processed mail in place, flagged `\Seen`.
    pub processed_mailbox: Option<String>,
    pub quarantine_mailbox: String,
    pub idle: bool,
    pub poll_interval: Duration,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub ca_file: Option<PathBuf>,
    /// Empty: no AUTH.
    pub username: String,
    pub password: Secret,
    pub give_up_after: Duration,
}

#[derive(Debug, Clone)]
pub struct StaffConfig {
    pub addresses: Vec<String>,
    pub domains: Vec<String>,
    pub notify: Vec<String>,
    pub authentication: StaffAuth,
    pub authserv_ids: Vec<String>,
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

// ---------------------------------------------------------------------------------------------
// Raw (serde) stage

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
    pub admin: RawAdmin,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawGateway {
    pub address: Option<String>,
    pub name: Option<String>,
    pub tag_prefix: Option<String>,
    pub default_language: Option<String>,
    pub store: Option<String>,
    pub templates: Option<String>,
    pub max_message_size: Option<String>,
    pub max_replies_per_hour: Option<i64>,
    pub forward_attachments_max: Option<String>,
    pub closed_reply: Option<String>,
    pub hard_bounce_pause: Option<String>,
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
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawStaff {
    pub addresses: Option<Vec<String>>,
    pub domains: Option<Vec<String>>,
    pub notify: Option<Vec<String>>,
    pub authentication: Option<String>,
    pub authserv_ids: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawTimers {
    pub waiting_reminder: Option<String>,
    pub waiting_autoclose: Option<String>,
    pub resolved_autoclose: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawAdmin {
    pub listen: Option<String>,
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

impl ConfigError {
    fn render(&self) -> String {
        let mut out = String::new();
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            if p.key.is_empty() {
                out.push_str(&format!("{}: {}", self.file.display(), p.reason));
            } else {
                out.push_str(&format!("{}: {}: {}", self.file.display(), p.key, p.reason));
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Loading and validation

impl Config {
    /// Reads, parses and validates `path`; reads the password files or variables it names.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let fail = |reason: String| ConfigError {
            file: path.to_path_buf(),
            problems: vec![Problem {
                key: String::new(),
                reason,
            }],
        };
        let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
        Config::parse(&text, path)
    }

    /// Parses and validates config text; `path` names the file in errors and anchors
    /// relative paths (store, templates, ca files, password files).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            problems: vec![toml_problem(&e)],
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut v = Validator {
            problems: Vec::new(),
            base,
        };
        let config = v.config(raw);
        match config {
            Some(c) if v.problems.is_empty() => Ok(c),
            _ => Err(ConfigError {
                file: path.to_path_buf(),
                problems: v.problems,
            }),
        }
    }
}

fn toml_problem(e: &toml::de::Error) -> Problem {
    // toml's message names the unknown field and its neighbours; keep it to one line.
    let msg = e.message().replace('\n', " ");
    let key = e.span().map(|_| String::new()).unwrap_or_default();
    Problem {
        key,
        reason: msg.trim().to_string(),
    }
}

struct Validator {
    problems: Vec<Problem>,
    base: PathBuf,
}

impl Validator {
    fn problem(&mut self, key: &str, reason: impl Into<String>) {
        self.problems.push(Problem {
            key: key.to_string(),
            reason: reason.into(),
        });
    }

    fn required(&mut self, key: &str, v: Option<String>) -> String {
        match v {
            Some(s) if !s.trim().is_empty() => s.trim().to_string(),
            _ => {
                self.problem(key, "is required");
                String::new()
            }
        }
    }

    fn address(&mut self, key: &str, v: &str) -> String {
        let a = v.trim().to_ascii_lowercase();
        if !is_address(&a) {
            self.problem(key, format!("'{v}' is not an email address"));
        }
        a
    }

    fn duration(&mut self, key: &str, v: Option<String>, default: &str) -> Duration {
        let s = v.unwrap_or_else(|| default.to_string());
        match humantime::parse_duration(s.trim()) {
            Ok(d) if !d.is_zero() => d,
            Ok(_) => {
                self.problem(key, "must be longer than zero");
                Duration::from_secs(1)
            }
            Err(e) => {
                self.problem(
                    key,
                    format!("'{s}' is not a duration like \"30s\" or \"3d\" ({e})"),
                );
                Duration::from_secs(1)
            }
        }
    }

    fn size(&mut self, key: &str, v: Option<String>, default: &str) -> u64 {
        let s = v.unwrap_or_else(|| default.to_string());
        match parse_size::parse_size(s.trim()) {
            Ok(n) if n > 0 => n,
            Ok(_) => {
                self.problem(key, "must be larger than zero");
                1
            }
            Err(e) => {
                self.problem(key, format!("'{s}' is not a size like \"25MiB\" ({e})"));
                1
            }
        }
    }

    fn port(&mut self, key: &str, v: Option<i64>, default: u16) -> u16 {
        match v {
            None => default,
            Some(p) if (1..=65535).contains(&p) => p as u16,
            Some(p) => {
                self.problem(key, format!("expected 1-65535, got {p}"));
                default
            }
        }
    }

    fn tls(&mut self, key: &str, v: Option<String>) -> Tls {
        match v.as_deref().unwrap_or("implicit") {
            "implicit" => Tls::Implicit,
            "starttls" => Tls::StartTls,
            "none" => Tls::None,
            other => {
                self.problem(
                    key,
                    format!("expected implicit, starttls or none, got '{other}'"),
                );
                Tls::Implicit
            }
        }
    }

    fn path(&self, s: &str) -> PathBuf {
        let p = PathBuf::from(s);
        if p.is_absolute() {
            p
        } else {
            self.base.join(p)
        }
    }

    fn ca_file(&mut self, key: &str, v: Option<String>) -> Option<PathBuf> {
        let s = v.unwrap_or_default();
        if s.trim().is_empty() {
            return None;
        }
        let p = self.path(s.trim());
        if !p.is_file() {
            self.problem(
                key,
                format!("{} does not exist or is not a file", p.display()),
            );
        }
        Some(p)
    }

    /// `password_file` (systemd credentials: a relative name is looked up in
    /// `$CREDENTIALS_DIRECTORY` first) or `password_env`.
    fn password(
        &mut self,
        section: &str,
        file: Option<String>,
        env: Option<String>,
        needed: bool,
    ) -> Secret {
        let file = file.filter(|s| !s.trim().is_empty());
        let env = env.filter(|s| !s.trim().is_empty());
        match (file, env) {
            (Some(_), Some(_)) => {
                self.problem(
                    &format!("{section}.password_file"),
                    "give password_file or password_env, not both",
                );
                Secret::new("")
            }
            (Some(f), None) => {
                let f = f.trim();
                let mut candidates = Vec::new();
                if let Ok(dir) = std::env::var("CREDENTIALS_DIRECTORY") {
                    if !Path::new(f).is_absolute() || !Path::new(f).exists() {
                        let name = Path::new(f)
                            .file_name()
                            .map(PathBuf::from)
                            .unwrap_or_default();
                        candidates.push(Path::new(&dir).join(name));
                    }
                }
                candidates.push(self.path(f));
                for c in &candidates {
                    if let Ok(s) = std::fs::read_to_string(c) {
                        return Secret::new(s.trim_end_matches(['\n', '\r']));
                    }
                }
                self.problem(
                    &format!("{section}.password_file"),
                    format!(
                        "cannot read {}",
                        candidates
                            .last()
                            .map(|p| p.display().to_string())
                            .unwrap_or_default()
                    ),
                );
                Secret::new("")
            }
            (None, Some(var)) => match std::env::var(var.trim()) {
                Ok(s) => Secret::new(s),
                Err(_) => {
                    self.problem(
                        &format!("{section}.password_env"),
                        format!("environment variable {} is not set", var.trim()),
                    );
                    Secret::new("")
                }
            },
            (None, None) => {
                if needed {
                    self.problem(
                        &format!("{section}.password_file"),
                        "a password_file or password_env is required",
                    );
                }
                Secret::new("")
            }
        }
    }

    fn addresses(&mut self, key: &str, v: Option<Vec<String>>) -> Vec<String> {
        v.unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, a)| self.address(&format!("{key}[{i}]"), a))
            .collect()
    }

    fn config(&mut self, raw: RawConfig) -> Option<Config> {
        let g = raw.gateway;
        let address = self.required("gateway.address", g.address);
        let address = if address.is_empty() {
            address
        } else {
            self.address("gateway.address", &address)
        };
        let tag_prefix = g.tag_prefix.unwrap_or_else(|| "SUP".into());
        if tag_prefix.is_empty()
            || tag_prefix.len() > 16
            || !tag_prefix.chars().all(|c| c.is_ascii_alphanumeric())
        {
            self.problem(
                "gateway.tag_prefix",
                format!("'{tag_prefix}' must be 1-16 ASCII letters or digits"),
            );
        }
        let default_language = match g.default_language.as_deref().unwrap_or("en") {
            "en" => Lang::En,
            "fr" => Lang::Fr,
            other => {
                self.problem(
                    "gateway.default_language",
                    format!("expected en or fr, got '{other}'"),
                );
                Lang::En
            }
        };
        let store = self.path(g.store.as_deref().unwrap_or("/var/lib/ticket-gateway"));
        let templates = self.path(
            g.templates
                .as_deref()
                .unwrap_or("/usr/share/ticket-gateway/templates"),
        );
        if !templates.is_dir() {
            self.problem(
                "gateway.templates",
                format!("{} is not a directory", templates.display()),
            );
        }
        let max_message_size = self.size("gateway.max_message_size", g.max_message_size, "25MiB");
        let max_replies_per_hour = match g.max_replies_per_hour {
            None => 5,
            Some(n) if (0..=u32::MAX as i64).contains(&n) => n as u32,
            Some(n) => {
                self.problem(
                    "gateway.max_replies_per_hour",
                    format!("expected a count >= 0, got {n}"),
                );
                5
            }
        };
        let forward_attachments_max = self.size(
            "gateway.forward_attachments_max",
            g.forward_attachments_max,
            "10MiB",
        );
        let closed_reply = match g.closed_reply.as_deref().unwrap_or("comment") {
            "comment" => ClosedReply::Comment,
            "new_ticket" => ClosedReply::NewTicket,
            other => {
                self.problem(
                    "gateway.closed_reply",
                    format!("expected comment or new_ticket, got '{other}'"),
                );
                ClosedReply::Comment
            }
        };
        let gateway = GatewayConfig {
            address,
            name: g.name.unwrap_or_else(|| "Support".into()),
            tag_prefix: tag_prefix.to_ascii_uppercase(),
            default_language,
            store,
            templates,
            max_message_size,
            max_replies_per_hour,
            forward_attachments_max,
            closed_reply,
            hard_bounce_pause: self.duration(
                "gateway.hard_bounce_pause",
                g.hard_bounce_pause,
                "1d",
            ),
        };

        let i = raw.imap;
        let imap_tls = self.tls("imap.tls", i.tls);
        let imap = ImapConfig {
            host: self.required("imap.host", i.host),
            port: self.port(
                "imap.port",
                i.port,
                if imap_tls == Tls::Implicit { 993 } else { 143 },
            ),
            tls: imap_tls,
            ca_file: self.ca_file("imap.ca_file", i.ca_file),
            username: self.required("imap.username", i.username),
            password: self.password("imap", i.password_file, i.password_env, true),
            mailbox: i.mailbox.unwrap_or_else(|| "INBOX".into()),
            processed_mailbox: match i.processed_mailbox {
                None => Some("Processed".into()),
                Some(s) if s.trim().is_empty() => None,
                Some(s) => Some(s),
            },
            quarantine_mailbox: {
                let q = i.quarantine_mailbox.unwrap_or_else(|| "Quarantine".into());
                if q.trim().is_empty() {
                    self.problem("imap.quarantine_mailbox", "must name a mailbox");
                }
                q
            },
            idle: i.idle.unwrap_or(true),
            poll_interval: self.duration("imap.poll_interval", i.poll_interval, "30s"),
        };

        let s = raw.smtp;
        let smtp_tls = self.tls("smtp.tls", s.tls);
        let username = s.username.unwrap_or_default();
        let smtp = SmtpConfig {
            host: self.required("smtp.host", s.host),
            port: self.port(
                "smtp.port",
                s.port,
                match smtp_tls {
                    Tls::Implicit => 465,
                    Tls::StartTls => 587,
                    Tls::None => 25,
                },
            ),
            tls: smtp_tls,
            ca_file: self.ca_file("smtp.ca_file", s.ca_file),
            password: self.password(
                "smtp",
                s.password_file,
                s.password_env,
                !username.is_empty(),
            ),
            username,
            give_up_after: self.duration("smtp.give_up_after", s.give_up_after, "3d"),
        };

        let st = raw.staff;
        let domains: Vec<String> = st
            .domains
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(n, d)| {
                let d = d.trim().trim_start_matches('@').to_ascii_lowercase();
                if !is_domain(&d) {
                    self.problem(
                        &format!("staff.domains[{n}]"),
                        format!("'{d}' is not a domain"),
                    );
                }
                d
            })
            .collect();
        let authentication = match st.authentication.as_deref().unwrap_or("none") {
            "none" => StaffAuth::None,
            "dkim" => StaffAuth::Dkim,
            "dmarc" => StaffAuth::Dmarc,
            other => {
                self.problem(
                    "staff.authentication",
                    format!("expected none, dkim or dmarc, got '{other}'"),
                );
                StaffAuth::None
            }
        };
        let authserv_ids: Vec<String> = st
            .authserv_ids
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect();
        if authentication != StaffAuth::None && authserv_ids.is_empty() {
            self.problem(
                "staff.authserv_ids",
                "must name at least one authserv-id when staff.authentication is dkim or dmarc",
            );
        }
        let staff = StaffConfig {
            addresses: self.addresses("staff.addresses", st.addresses),
            domains,
            notify: self.addresses("staff.notify", st.notify),
            authentication,
            authserv_ids,
        };

        let t = raw.timers;
        let timers = TimersConfig {
            waiting_reminder: self.duration("timers.waiting_reminder", t.waiting_reminder, "3d"),
            waiting_autoclose: self.duration(
                "timers.waiting_autoclose",
                t.waiting_autoclose,
                "14d",
            ),
            resolved_autoclose: self.duration(
                "timers.resolved_autoclose",
                t.resolved_autoclose,
                "7d",
            ),
        };
        if timers.waiting_autoclose <= timers.waiting_reminder {
            self.problem(
                "timers.waiting_autoclose",
                "must be longer than timers.waiting_reminder",
            );
        }

        let listen_s = raw.admin.listen.unwrap_or_else(|| "127.0.0.1:9187".into());
        let listen = match listen_s.trim().parse() {
            Ok(a) => a,
            Err(_) => {
                self.problem(
                    "admin.listen",
                    format!("'{listen_s}' is not an address:port like 127.0.0.1:9187"),
                );
                std::net::SocketAddr::from(([127, 0, 0, 1], 9187))
            }
        };

        Some(Config {
            gateway,
            imap,
            smtp,
            staff,
            timers,
            admin: AdminConfig { listen },
        })
    }
}

fn is_domain(d: &str) -> bool {
    !d.is_empty()
        && d.len() <= 253
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn is_address(a: &str) -> bool {
    match a.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !local
                    .chars()
                    .any(|c| c.is_whitespace() || c == '<' || c == '>')
                && is_domain(domain)
        }
        None => false,
    }
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
        assert_eq!(c.imap.password.expose(), "s3cret");
        assert_eq!(format!("{:?}", c.imap.password), "[redacted]");
        assert!(
            c.gateway.store.is_absolute(),
            "relative paths are anchored at the file"
        );
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
    fn unknown_keys_and_missing_passwords_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let text = base(dir.path()).replace("[imap]", "[imap]\npasword_file = \"pw\"");
        let err = parse(dir.path(), &text).unwrap_err().to_string();
        assert!(err.contains("pasword_file"), "{err}");
        let text = base(dir.path()).replacen(
            "password_file = \"pw\"",
            "password_env = \"TG_TEST_UNSET_VARIABLE\"",
            1,
        );
        let err = parse(dir.path(), &text).unwrap_err().to_string();
        assert!(
            err.contains(
                "imap.password_env: environment variable TG_TEST_UNSET_VARIABLE is not set"
            ),
            "{err}"
        );
        let text =
            base(dir.path()).replacen("password_file = \"pw\"", "password_file = \"nope\"", 1);
        let err = parse(dir.path(), &text).unwrap_err().to_string();
        assert!(err.contains("imap.password_file: cannot read"), "{err}");
        let text = base(dir.path()).replace("address = \"Support@Example.com\"\n", "");
        let err = parse(dir.path(), &text).unwrap_err().to_string();
        assert!(err.contains("gateway.address: is required"), "{err}");
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
}
