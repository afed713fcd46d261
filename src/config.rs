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
    /// Set when `imap.auth` or `smtp.auth` is an OAuth2 mechanism.
    pub oauth2: Option<OAuth2Config>,
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
    pub fn is_oauth2(self) -> bool {
        self != Auth::Password
    }

    /// The SASL mechanism name.
    pub fn mechanism(self) -> &'static str {
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
    /// `None`: a public client (refresh-token grant only).
    pub client_secret: Option<Secret>,
    /// The refresh token as read at start, and its file (read again at each grant, so a
    /// replaced file is picked up without a restart). `None`: client-credentials grant.
    pub refresh_token: Option<(Secret, PathBuf)>,
    /// Empty: no `scope` parameter.
    pub scope: String,
    /// Extra PEM roots for the token endpoint's certificate.
    pub ca_file: Option<PathBuf>,
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
    pub password: Secret,
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
    pub oauth2: Option<RawOAuth2>,
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
            (Some(f), None) => self
                .secret_file(&format!("{section}.password_file"), &f)
                .map(|(secret, _)| secret)
                .unwrap_or_else(|| Secret::new("")),
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

    /// A secret in a file, and where it was found. Under systemd a relative name (or an
    /// absolute one that does not exist) is looked up in `$CREDENTIALS_DIRECTORY` first.
    fn secret_file(&mut self, key: &str, f: &str) -> Option<(Secret, PathBuf)> {
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
                return Some((Secret::new(s.trim_end_matches(['\n', '\r'])), c.clone()));
            }
        }
        self.problem(
            key,
            format!(
                "cannot read {}",
                candidates
                    .last()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            ),
        );
        None
    }

    fn auth(&mut self, key: &str, v: Option<String>) -> Auth {
        match v.as_deref().map(str::trim).unwrap_or("password") {
            "password" => Auth::Password,
            "xoauth2" => Auth::XOAuth2,
            "oauthbearer" => Auth::OAuthBearer,
            other => {
                self.problem(
                    key,
                    format!("expected password, xoauth2 or oauthbearer, got '{other}'"),
                );
                Auth::Password
            }
        }
    }

    /// `[oauth2]`, needed by an OAuth2 `imap.auth` or `smtp.auth` (`used_by` names it).
    fn oauth2(&mut self, raw: Option<RawOAuth2>, used_by: &str) -> Option<OAuth2Config> {
        let Some(o) = raw else {
            self.problem(
                "oauth2",
                format!("the [oauth2] section is required when {used_by}"),
            );
            return None;
        };
        let token_url = self.required("oauth2.token_url", o.token_url);
        if !token_url.is_empty() {
            if let Err(reason) = check_token_url(&token_url) {
                self.problem("oauth2.token_url", reason);
            }
        }
        let client_id = self.required("oauth2.client_id", o.client_id);
        let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let client_secret = nonempty(o.client_secret_file).and_then(|f| {
            self.secret_file("oauth2.client_secret_file", &f)
                .map(|(s, _)| s)
        });
        let refresh_token = nonempty(o.refresh_token_file)
            .and_then(|f| self.secret_file("oauth2.refresh_token_file", &f));
        if let Some((token, path)) = &refresh_token {
            if token.expose().trim().is_empty() {
                self.problem(
                    "oauth2.refresh_token_file",
                    format!("{} is empty", path.display()),
                );
            }
        }
        Some(OAuth2Config {
            token_url,
            client_id,
            client_secret,
            refresh_token,
            scope: o.scope.unwrap_or_default().trim().to_string(),
            ca_file: self.ca_file("oauth2.ca_file", o.ca_file),
        })
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
            aliases: self.addresses("gateway.aliases", g.aliases),
        };

        let i = raw.imap;
        let imap_tls = self.tls("imap.tls", i.tls);
        let imap_auth = self.auth("imap.auth", i.auth);
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
            password: self.password(
                "imap",
                i.password_file,
                i.password_env,
                !imap_auth.is_oauth2(),
            ),
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
            auth: imap_auth,
        };

        let s = raw.smtp;
        let smtp_tls = self.tls("smtp.tls", s.tls);
        let smtp_auth = self.auth("smtp.auth", s.auth);
        let username = s.username.unwrap_or_default();
        if smtp_auth.is_oauth2() && username.trim().is_empty() {
            self.problem(
                "smtp.username",
                "is required when smtp.auth is xoauth2 or oauthbearer",
            );
        }
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
                !username.is_empty() && !smtp_auth.is_oauth2(),
            ),
            username,
            give_up_after: self.duration("smtp.give_up_after", s.give_up_after, "3d"),
            auth: smtp_auth,
        };
        let oauth2 = match (imap.auth.is_oauth2(), smtp.auth.is_oauth2()) {
            (false, false) => None,
            (true, _) => self.oauth2(raw.oauth2, "imap.auth is xoauth2 or oauthbearer"),
            (false, true) => self.oauth2(raw.oauth2, "smtp.auth is xoauth2 or oauthbearer"),
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
            oauth2,
        })
    }
}

/// `https://host/...`, or `http://` to a loopback address (a token must not cross a network
/// in clear).
fn check_token_url(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("'{url}' is not a URL ({e})"))?;
    match (parsed.scheme(), parsed.host()) {
        ("https", Some(_)) => Ok(()),
        ("http", Some(host)) if is_loopback(&host) => Ok(()),
        ("http", Some(_)) => Err(format!(
            "'{url}': plain http only to a loopback address; use https"
        )),
        _ => Err(format!("'{url}' is not an https:// URL")),
    }
}

/// Is the URL host `localhost` or a loopback address?
pub(crate) fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
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
            aliases: self.gateway.aliases.clone(),
            max_replies_per_hour: self.gateway.max_replies_per_hour,
            hard_bounce_pause: self.gateway.hard_bounce_pause.as_secs() as i64,
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
        assert_eq!(o.client_secret.as_ref().unwrap().expose(), "cs");
        assert_eq!(o.refresh_token.as_ref().unwrap().0.expose(), "rt-1");
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
            "oauth2.refresh_token_file: cannot read",
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
