//! The validation stage: [`RawConfig`] to [`Config`], every problem with its key path.
//!
//! Relative paths are anchored at the config file's directory. No secret is read here
//! (see `secrets.rs`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::raw::{RawConfig, RawFields, RawImap, RawOAuth2, RawSla, RawSmtp, RawStaff};
use super::*;
use crate::core::sla::SlaTimes;
use crate::core::Lang;
use crate::core::{Severity, TicketType};

pub(super) struct Validator {
    problems: Vec<Problem>,
    base: PathBuf,
}

impl Validator {
    /// Validates `raw`; relative paths are anchored at `base` (the config file's directory).
    pub(super) fn run(raw: RawConfig, base: PathBuf) -> (Option<Config>, Vec<Problem>) {
        let mut v = Validator {
            problems: Vec::new(),
            base,
        };
        let config = v.config(raw);
        (config, v.problems)
    }

    fn listen(&mut self, key: &str, s: &str) -> Option<SocketAddr> {
        match s.trim().parse() {
            Ok(a) => Some(a),
            Err(_) => {
                self.problem(
                    key,
                    format!("'{s}' is not an address:port like 127.0.0.1:9187"),
                );
                None
            }
        }
    }

    pub(super) fn problem(&mut self, key: &str, reason: impl Into<String>) {
        self.problems.push(Problem::new(key, reason));
    }

    pub(super) fn required(&mut self, key: &str, v: Option<String>) -> String {
        match v {
            Some(s) if !s.trim().is_empty() => s.trim().to_string(),
            _ => {
                self.problem(key, "is required");
                String::new()
            }
        }
    }

    pub(super) fn address(&mut self, key: &str, v: &str) -> String {
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

    pub(super) fn path(&self, s: &str) -> PathBuf {
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

    /// `password_file` or `password_env`: where the password is (read when a login needs
    /// it). `needed`: a login uses a password, so naming neither is a problem at that time.
    fn password(
        &mut self,
        section: &str,
        file: Option<String>,
        env: Option<String>,
        needed: bool,
    ) -> SecretSource {
        let file = file.filter(|s| !s.trim().is_empty());
        let env = env.filter(|s| !s.trim().is_empty());
        match (file, env) {
            (Some(_), Some(_)) => {
                self.problem(
                    &format!("{section}.password_file"),
                    "give password_file or password_env, not both",
                );
                SecretSource::Unused
            }
            (Some(f), None) => self.secret_file(&format!("{section}.password_file"), &f),
            (None, Some(var)) => SecretSource::Env {
                key: format!("{section}.password_env"),
                var: var.trim().to_string(),
            },
            (None, None) if needed => SecretSource::Missing {
                key: format!("{section}.password_file"),
            },
            (None, None) => SecretSource::Unused,
        }
    }

    /// A secret in a file: a systemd credential name, or a path relative to the config.
    fn secret_file(&self, key: &str, f: &str) -> SecretSource {
        SecretSource::File {
            key: key.to_string(),
            written: f.trim().to_string(),
            path: self.path(f.trim()),
        }
    }

    /// `[fields]`: values as stored or as a person writes them (`bug`, `Anomalie`).
    fn fields(&mut self, f: RawFields) -> FieldsConfig {
        let default_type = match f.default_type.as_deref().map(str::trim) {
            None => TicketType::Question,
            Some(v) => TicketType::read(v).unwrap_or_else(|| {
                let known: Vec<&str> = TicketType::ALL.iter().map(|t| t.as_str()).collect();
                self.problem(
                    "fields.default_type",
                    format!("expected one of {}, got '{v}'", known.join(", ")),
                );
                TicketType::Question
            }),
        };
        let default_severity = match f.default_severity.as_deref().map(str::trim) {
            None => Severity::Major,
            Some(v) => Severity::read(v).unwrap_or_else(|| {
                let known: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
                self.problem(
                    "fields.default_severity",
                    format!("expected one of {}, got '{v}'", known.join(", ")),
                );
                Severity::Major
            }),
        };
        FieldsConfig {
            default_type,
            default_severity,
        }
    }

    /// `[sla]`: per severity, `first_response` and `resolution` durations, at least one.
    fn sla(&mut self, raw: RawSla) -> Vec<(Severity, SlaTimes)> {
        let mut out = Vec::new();
        for (severity, table) in [
            (Severity::Blocker, raw.blocker),
            (Severity::Critical, raw.critical),
            (Severity::Major, raw.major),
            (Severity::Minor, raw.minor),
            (Severity::Trivial, raw.trivial),
        ] {
            let Some(table) = table else { continue };
            let section = format!("sla.{}", severity.as_str());
            let mut times = SlaTimes::default();
            for (key, value) in table {
                let path = format!("{section}.{key}");
                let slot = match key.as_str() {
                    "first_response" => &mut times.first_response,
                    "resolution" => &mut times.resolution,
                    _ => {
                        self.problem(
                            &path,
                            "unknown key; a service level has first_response and resolution",
                        );
                        continue;
                    }
                };
                match value {
                    toml::Value::String(s) => {
                        *slot = Some(self.duration(&path, Some(s), "1s").as_secs().max(1) as i64)
                    }
                    other => self.problem(
                        &path,
                        format!("expected a duration like \"1h\", found {other}"),
                    ),
                }
            }
            if times == SlaTimes::default() {
                self.problem(&section, "give first_response, resolution or both");
            }
            out.push((severity, times));
        }
        out
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

    /// `[oauth2]` (`section`: `oauth2` or `queues[N].oauth2`), needed by an OAuth2
    /// `imap.auth` or `smtp.auth` (`used_by` names it).
    fn oauth2(
        &mut self,
        section: &str,
        raw: Option<RawOAuth2>,
        used_by: &str,
    ) -> Option<OAuth2Config> {
        let key = |k: &str| format!("{section}.{k}");
        let Some(o) = raw else {
            self.problem(
                section,
                format!("the [{section}] section is required when {used_by}"),
            );
            return None;
        };
        let token_url = self.required(&key("token_url"), o.token_url);
        if !token_url.is_empty() {
            if let Err(reason) = check_token_url(&token_url) {
                self.problem(&key("token_url"), reason);
            }
        }
        let client_id = self.required(&key("client_id"), o.client_id);
        let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let client_secret = match nonempty(o.client_secret_file) {
            Some(f) => self.secret_file(&key("client_secret_file"), &f),
            None => SecretSource::Unused,
        };
        let refresh_token = nonempty(o.refresh_token_file)
            .map(|f| self.secret_file(&key("refresh_token_file"), &f));
        Some(OAuth2Config {
            token_url,
            client_id,
            client_secret,
            refresh_token,
            scope: o.scope.unwrap_or_default().trim().to_string(),
            ca_file: self.ca_file(&key("ca_file"), o.ca_file),
        })
    }

    /// `[imap]`, or a queue's `imap` table (`section` names it in problems).
    pub(super) fn imap(&mut self, section: &str, i: RawImap) -> ImapConfig {
        let key = |k: &str| format!("{section}.{k}");
        let imap_tls = self.tls(&key("tls"), i.tls);
        let imap_auth = self.auth(&key("auth"), i.auth);
        ImapConfig {
            host: self.required(&key("host"), i.host),
            port: self.port(
                &key("port"),
                i.port,
                if imap_tls == Tls::Implicit { 993 } else { 143 },
            ),
            tls: imap_tls,
            ca_file: self.ca_file(&key("ca_file"), i.ca_file),
            username: self.required(&key("username"), i.username),
            password: self.password(
                section,
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
                    self.problem(&key("quarantine_mailbox"), "must name a mailbox");
                }
                q
            },
            idle: i.idle.unwrap_or(true),
            poll_interval: self.duration(&key("poll_interval"), i.poll_interval, "30s"),
            auth: imap_auth,
        }
    }

    /// `[smtp]`, or a queue's `smtp` table.
    pub(super) fn smtp(&mut self, section: &str, s: RawSmtp) -> SmtpConfig {
        let key = |k: &str| format!("{section}.{k}");
        let smtp_tls = self.tls(&key("tls"), s.tls);
        let smtp_auth = self.auth(&key("auth"), s.auth);
        let username = s.username.unwrap_or_default();
        if smtp_auth.is_oauth2() && username.trim().is_empty() {
            self.problem(
                &key("username"),
                format!("is required when {section}.auth is xoauth2 or oauthbearer"),
            );
        }
        SmtpConfig {
            host: self.required(&key("host"), s.host),
            port: self.port(
                &key("port"),
                s.port,
                match smtp_tls {
                    Tls::Implicit => 465,
                    Tls::StartTls => 587,
                    Tls::None => 25,
                },
            ),
            tls: smtp_tls,
            ca_file: self.ca_file(&key("ca_file"), s.ca_file),
            password: self.password(
                section,
                s.password_file,
                s.password_env,
                !username.is_empty() && !smtp_auth.is_oauth2(),
            ),
            username,
            give_up_after: self.duration(&key("give_up_after"), s.give_up_after, "3d"),
            auth: smtp_auth,
        }
    }

    /// `[oauth2]` (or a queue's, `within` = `queues[N].`) when its IMAP or SMTP logs in
    /// with OAuth2.
    pub(super) fn oauth2_for(
        &mut self,
        within: &str,
        imap: &ImapConfig,
        smtp: &SmtpConfig,
        raw: Option<RawOAuth2>,
    ) -> Option<OAuth2Config> {
        let used_by = match (imap.auth.is_oauth2(), smtp.auth.is_oauth2()) {
            (false, false) => return None,
            (true, _) => format!("{within}imap.auth is xoauth2 or oauthbearer"),
            (false, true) => format!("{within}smtp.auth is xoauth2 or oauthbearer"),
        };
        self.oauth2(&format!("{within}oauth2"), raw, &used_by)
    }

    /// `[staff]`, or a queue's `staff` table.
    pub(super) fn staff(&mut self, section: &str, st: RawStaff) -> StaffConfig {
        let key = |k: &str| format!("{section}.{k}");
        let domains: Vec<String> = st
            .domains
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(n, d)| {
                let d = d.trim().trim_start_matches('@').to_ascii_lowercase();
                if !is_domain(&d) {
                    self.problem(
                        &format!("{section}.domains[{n}]"),
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
                    &key("authentication"),
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
                &key("authserv_ids"),
                format!(
                    "must name at least one authserv-id when {section}.authentication is dkim or dmarc"
                ),
            );
        }
        StaffConfig {
            addresses: self.addresses(&key("addresses"), st.addresses),
            domains,
            notify: self.addresses(&key("notify"), st.notify),
            authentication,
            authserv_ids,
            notify_all: st.notify_all.unwrap_or(false),
        }
    }

    pub(super) fn addresses(&mut self, key: &str, v: Option<Vec<String>>) -> Vec<String> {
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
        let tag_prefix = self.tag_prefix(
            "gateway.tag_prefix",
            g.tag_prefix.unwrap_or_else(|| "SUP".into()),
        );
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
        // `gateway.store` is a directory (sled) or a PostgreSQL URL; with a URL, the files
        // the daemon keeps on its own disk (attachments, the admin endpoint's address) go
        // to `gateway.state_dir`.
        let store_value = g.store.as_deref().unwrap_or("/var/lib/ticket-gateway");
        let database = match DatabaseUrl::is_postgres(store_value) {
            true => match DatabaseUrl::parse(store_value) {
                Ok(url) => Some(url),
                Err(e) => {
                    self.problem("gateway.store", e);
                    None
                }
            },
            false => None,
        };
        let store = match DatabaseUrl::is_postgres(store_value) {
            true => self.path(g.state_dir.as_deref().unwrap_or("/var/lib/ticket-gateway")),
            false => {
                if g.state_dir.is_some() {
                    self.problem(
                        "gateway.state_dir",
                        "only with a PostgreSQL store: with sled, gateway.store is the directory",
                    );
                }
                if store_value.contains("://") {
                    self.problem(
                        "gateway.store",
                        format!(
                            "'{}' is neither a directory nor a postgres:// URL",
                            store_value.split("://").next().unwrap_or_default()
                        ),
                    );
                }
                self.path(store_value)
            }
        };
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
            tag_prefix,
            default_language,
            store,
            database,
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

        let imap = self.imap("imap", raw.imap);
        let smtp = self.smtp("smtp", raw.smtp);
        let oauth2 = self.oauth2_for("", &imap, &smtp, raw.oauth2);
        let staff = self.staff("staff", raw.staff);
        let fields = self.fields(raw.fields);
        let sla = self.sla(raw.sla);

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

        let listen = self
            .listen(
                "admin.listen",
                raw.admin.listen.as_deref().unwrap_or("127.0.0.1:9187"),
            )
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9187)));
        let w = raw.web;
        let web = WebConfig {
            listen: match w.listen.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(s) => self.listen("web.listen", s),
            },
            base_url: w.base_url.unwrap_or_default().trim().to_string(),
            key_file: w
                .key_file
                .filter(|s| !s.trim().is_empty())
                .map(|s| self.path(s.trim())),
        };
        if !web.base_url.is_empty() {
            if let Err(e) = check_base_url(&web.base_url) {
                self.problem("web.base_url", e);
            }
        } else if web.listen.is_some() {
            self.problem(
                "web.base_url",
                "needed when web.listen is set: every customer mail links to its page under it",
            );
        }

        let mut config = Config {
            gateway,
            imap,
            smtp,
            staff,
            timers,
            fields,
            sla,
            admin: AdminConfig { listen },
            web,
            oauth2,
            queues: Vec::new(),
        };
        config.queues = self.queues(raw.queues, &config);
        Some(config)
    }

    /// A tag prefix: 1-16 ASCII letters or digits, kept in upper case.
    pub(super) fn tag_prefix(&mut self, key: &str, prefix: String) -> String {
        if prefix.is_empty()
            || prefix.len() > 16
            || !prefix.chars().all(|c| c.is_ascii_alphanumeric())
        {
            self.problem(
                key,
                format!("'{prefix}' must be 1-16 ASCII letters or digits"),
            );
        }
        prefix.to_ascii_uppercase()
    }
}

/// The customer page's base URL: `https://host[/path]`, or `http://` to a loopback address
/// (a page link is a secret: it must not cross a network in clear), without a query or
/// fragment (links are made by appending `/t/<TAG>/<token>`).
fn check_base_url(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("'{url}' is not a URL ({e})"))?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "'{url}': no query or fragment (links are appended to it)"
        ));
    }
    match (parsed.scheme(), parsed.host()) {
        ("https", Some(_)) => Ok(()),
        ("http", Some(host)) if is_loopback(&host) => Ok(()),
        ("http", Some(_)) => Err(format!(
            "'{url}': plain http only to a loopback address; use https (the reverse proxy terminates TLS)"
        )),
        _ => Err(format!("'{url}' is not an https:// URL")),
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
