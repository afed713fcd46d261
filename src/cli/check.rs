//! `check`: the config, its secrets, the templates, the store, the listen addresses, and
//! the IMAP and SMTP logins, one `ok`/`FAIL` line each; exit 1 if any failed.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{bail, Result};

use super::print;
use crate::admin;
use crate::config::Config;
use crate::store::{PgStore, SledStore, Store as _, StoreError};

/// Prints `ok`/`FAIL`/`SKIP` lines and counts the failures.
#[derive(Default)]
struct Report {
    failed: usize,
}

impl Report {
    fn ok(&mut self, line: impl std::fmt::Display) -> Result<()> {
        print(&format!("ok    {line}\n"))
    }
    fn fail(&mut self, line: impl std::fmt::Display) -> Result<()> {
        self.failed += 1;
        print(&format!("FAIL  {line}\n"))
    }
    fn skip(&mut self, line: impl std::fmt::Display) -> Result<()> {
        print(&format!("SKIP  {line}\n"))
    }
    fn result(&self) -> Result<()> {
        if self.failed > 0 {
            bail!("{} check(s) failed", self.failed);
        }
        Ok(())
    }
}

/// One line per check, `ok` or `FAIL`; non-zero exit if any failed.
pub(super) async fn check(path: &Path) -> Result<()> {
    let mut r = Report::default();
    let config = match Config::load(path) {
        Ok(c) => {
            r.ok(format_args!(
                "config {}: parsed and validated",
                path.display()
            ))?;
            c
        }
        Err(e) => {
            for p in &e.problems {
                r.fail(format_args!("config {}: {p}", path.display()))?;
            }
            r.skip("templates, store, listen addresses, imap, smtp: not checked until the config is valid")?;
            return r.result();
        }
    };
    // Secrets: each one a login needs; the logins are not tried without them.
    let secrets = config.read_secrets(path);
    if let Err(e) = &secrets {
        for p in &e.problems {
            r.fail(format_args!("config {}: {p}", path.display()))?;
        }
    }
    let g = &config.gateway;
    match crate::templates::Templates::load(&g.templates, &g.name, &g.tag_prefix) {
        Ok(_) => r.ok(format_args!(
            "templates {}: every notice rendered with sample data",
            g.templates.display()
        ))?,
        Err(errs) => {
            for e in errs {
                r.fail(e)?;
            }
        }
    }
    if config.web.listen.is_some() {
        match crate::web::page::Pages::load(&g.templates) {
            Ok(_) => r.ok(format_args!(
                "page templates {}: the ticket page rendered with sample data in every state",
                g.templates.display()
            ))?,
            Err(errs) => {
                for e in errs {
                    r.fail(e)?;
                }
            }
        }
        match crate::links::check_key(&config.web, &g.store) {
            Ok(line) => r.ok(line)?,
            Err(line) => r.fail(line)?,
        }
    }
    let shown = match &g.database {
        Some(url) => url.to_string(),
        None => g.store.display().to_string(),
    };
    match check_store(&config).await {
        Ok(line) => r.ok(format_args!("store {shown}: {line}"))?,
        Err(line) => r.fail(format_args!("store {shown}: {line}"))?,
    }
    let daemon = admin::Client::discover(&g.store).ok();
    let mut listen = vec![("admin.listen", config.admin.listen)];
    listen.extend(config.web.listen.map(|a| ("web.listen", a)));
    for (key, addr) in listen {
        match check_listen(key, addr, daemon.as_ref()) {
            Ok(line) => r.ok(format_args!("{key} {addr}: {line}"))?,
            Err(line) => r.fail(format_args!("{key} {addr}: {line}"))?,
        }
    }
    if secrets.is_err() {
        r.skip("imap, smtp: no login without the secrets above")?;
        return r.result();
    }
    // Each queue's logins (SPEC §5.4), the first queue's (the top-level tables) first.
    for n in 0..config.queue_count() {
        let queue = config.queue(n);
        let who = match n {
            0 => String::new(),
            _ => format!("queue {}: ", queue.gateway.tag_prefix),
        };
        if n > 0 && queue.gateway.templates != g.templates {
            let q = &queue.gateway;
            match crate::templates::Templates::load(&q.templates, &q.name, &q.tag_prefix) {
                Ok(_) => r.ok(format_args!(
                    "{who}templates {}: every notice rendered with sample data",
                    q.templates.display()
                ))?,
                Err(errs) => {
                    for e in errs {
                        r.fail(format_args!("{who}{e}"))?;
                    }
                }
            }
        }
        check_logins(&mut r, &queue, &who).await?;
    }
    r.result()
}

/// A queue's logins: its OAuth2 grant, IMAP mailbox and SMTP server; `who` names the queue
/// (empty for the first).
async fn check_logins(r: &mut Report, config: &Config, who: &str) -> Result<()> {
    // OAuth2: one token source for both logins, as in the daemon; its grant is a check of
    // its own, so that a refused refresh token is named as such, in the endpoint's words.
    let tokens = match &config.oauth2 {
        None => None,
        Some(o) => match crate::oauth2::TokenSource::new(o) {
            Ok(t) => {
                match t.token().await {
                    Ok(_) => r.ok(format_args!(
                        "{who}oauth2 {}: access token granted ({})",
                        o.token_url,
                        t.status().unwrap_or_default()
                    ))?,
                    Err(e) => r.fail(format_args!("{who}oauth2 {}: {}", o.token_url, chain(&e)))?,
                }
                Some(t)
            }
            Err(e) => {
                r.fail(format_args!("{who}oauth2 {}: {}", o.token_url, chain(&e)))?;
                None
            }
        },
    };
    let imap = &config.imap;
    let at = format!("{who}imap {}:{}", imap.host, imap.port);
    match crate::imap::Session::connect_with(imap, tokens.as_deref()).await {
        Ok(mut s) => match s.select(&imap.mailbox).await {
            Ok(st) => {
                r.ok(format_args!(
                    "{at}: logged in as {}{}, mailbox {} ({} mails)",
                    imap.username,
                    auth_note(imap.auth),
                    imap.mailbox,
                    st.exists
                ))?;
                let _ = s.logout().await;
            }
            Err(e) => r.fail(format_args!(
                "{at}: mailbox {}: {}",
                imap.mailbox,
                chain(&e)
            ))?,
        },
        Err(e) => r.fail(format_args!(
            "{at}: {}",
            describe_imap(&e, &imap.username, imap.auth)
        ))?,
    }
    let smtp = &config.smtp;
    let at = format!("{who}smtp {}:{}", smtp.host, smtp.port);
    // The adapter's errors name the server too: say it once.
    let unprefix = |s: String| match s.strip_prefix(&format!("{at}: ")) {
        Some(rest) => rest.to_string(),
        None => s,
    };
    match crate::smtp::Smtp::with_tokens(smtp, tokens.clone()) {
        Ok(s) => match s.test_connection().await {
            Ok(true) if smtp.username.is_empty() => r.ok(format_args!(
                "{at}: connected (no AUTH: smtp.username is empty)"
            ))?,
            Ok(true) => r.ok(format_args!(
                "{at}: logged in as {}{}",
                smtp.username,
                auth_note(smtp.auth)
            ))?,
            Ok(false) => r.fail(format_args!("{at}: the server does not answer NOOP"))?,
            Err(e) => r.fail(format_args!(
                "{at}: {}",
                unprefix(describe_smtp(&e, &smtp.username, smtp.auth))
            ))?,
        },
        Err(e) => r.fail(format_args!("{at}: {}", unprefix(chain(&e))))?,
    }
    Ok(())
}

/// Can the daemon listen on `addr`? It is tried by binding it for a moment. The admin
/// address of the daemon that runs now is its own, not a conflict.
fn check_listen(
    key: &str,
    addr: SocketAddr,
    daemon: Option<&admin::Client>,
) -> std::result::Result<String, String> {
    if addr.port() == 0 {
        return Ok("a free port chosen at start".into());
    }
    let ours = |d: &&admin::Client| match key {
        "admin.listen" => d.addr() == addr,
        _ => d.web() == Some(addr),
    };
    if let Some(d) = daemon.filter(ours) {
        return Ok(format!("in use by the running daemon (pid {})", d.pid()));
    }
    match std::net::TcpListener::bind(addr) {
        Ok(_) => Ok("free".into()),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Err(format!(
            "address already in use: another process listens there; stop it or set {key} to a free address"
        )),
        Err(e) => Err(format!("cannot listen there: {e}")),
    }
}

async fn check_store(config: &Config) -> std::result::Result<String, String> {
    if let Some(url) = &config.gateway.database {
        let url = url.clone();
        let opened = tokio::task::spawn_blocking(move || {
            let s = PgStore::open(&url)?;
            s.next_ticket_id()
        })
        .await
        .map_err(|e| e.to_string())?;
        return opened
            .map(|id| match id.0.saturating_sub(1) {
                1 => "connects; schema up to date; 1 ticket".to_string(),
                n => format!("connects; schema up to date; {n} tickets"),
            })
            .map_err(|e| chain(&e));
    }
    let dir = &config.gateway.store;
    if !dir.exists() {
        return match dir.parent() {
            Some(p) if p.is_dir() => Ok("does not exist yet; created at the first start".into()),
            _ => Err("neither it nor its parent directory exists".into()),
        };
    }
    match SledStore::open(dir) {
        Ok(s) => s
            .next_ticket_id()
            .map(|id| match id.0.saturating_sub(1) {
                1 => "opens; 1 ticket".to_string(),
                n => format!("opens; {n} tickets"),
            })
            .map_err(|e| chain(&e)),
        Err(StoreError::Locked { .. }) => match admin::Client::discover(dir) {
            Ok(c) => Ok(format!(
                "in use by the running daemon (pid {}, admin endpoint {})",
                c.pid(),
                c.addr()
            )),
            Err(e) => Err(format!("in use by another process, and {e}")),
        },
        Err(e) => Err(chain(&e)),
    }
}

fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    crate::telemetry::chain(e)
}

/// The rustls error somewhere in an error's chain (io::Error hides its inner error from
/// `source()`, so look inside those too).
fn rustls_error<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a tokio_rustls::rustls::Error> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<tokio_rustls::rustls::Error>() {
            return Some(r);
        }
        if let Some(r) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<tokio_rustls::rustls::Error>())
        {
            return Some(r);
        }
        cur = err.source();
    }
    None
}

/// A certificate problem in plain words, with what to do about it.
fn certificate_hint(e: &(dyn std::error::Error + 'static), section: &str) -> Option<String> {
    use tokio_rustls::rustls::{CertificateError, Error as E};
    let what = match rustls_error(e)? {
        E::InvalidCertificate(CertificateError::UnknownIssuer) => format!(
            "untrusted certificate: it is not signed by a CA this host trusts; set \
             {section}.ca_file to the PEM file of the CA that signed it"
        ),
        E::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!(
            "certificate does not match the host name; set {section}.host to a name the \
             certificate is for"
        ),
        E::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "the server's certificate has expired".to_string(),
        E::InvalidCertificate(other) => format!("the server's certificate is refused ({other:?})"),
        _ => return None,
    };
    Some(format!("{what} ({})", chain(e)))
}

/// " with XOAUTH2" for an OAuth2 login, nothing for a password.
fn auth_note(auth: crate::config::Auth) -> String {
    if auth.is_oauth2() {
        format!(" with {}", auth.mechanism())
    } else {
        String::new()
    }
}

fn describe_imap(e: &crate::imap::ImapError, username: &str, auth: crate::config::Auth) -> String {
    use crate::imap::ImapError as E;
    match e {
        E::LoginRefused { detail, .. } if auth.is_oauth2() => format!(
            "{} login refused for {username}: is the token's account {username}, and its scope right? (server said: {detail})",
            auth.mechanism()
        ),
        E::LoginRefused { detail, .. } => {
            format!("login refused for {username}: wrong user name or password? (server said: {detail})")
        }
        _ => certificate_hint(e, "imap").unwrap_or_else(|| chain(e)),
    }
}

fn describe_smtp(e: &crate::smtp::SmtpError, username: &str, auth: crate::config::Auth) -> String {
    if let crate::smtp::SmtpError::AuthRefused { detail, .. } = e {
        return format!(
            "{} login refused for {username}: is the token's account {username}, and its scope right? (server said: {detail})",
            auth.mechanism()
        );
    }
    if let crate::smtp::SmtpError::Send { source } = e {
        let code = source.status().map(|c| c.to_string()).unwrap_or_default();
        if matches!(code.as_str(), "535" | "534" | "530") {
            return format!(
                "login refused for {username}: wrong user name or password? (server said: {})",
                chain(source)
            );
        }
    }
    certificate_hint(e, "smtp").unwrap_or_else(|| chain(e))
}
