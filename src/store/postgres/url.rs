//! `gateway.store = "postgres://…"`: the connection settings, and TLS when the URL asks.
//!
//! `sslmode=require` (or `verify-ca`, `verify-full`) connects over rustls and checks the
//! server's certificate against the public roots and `sslrootcert` (a PEM file, for a
//! private CA); any other mode, or none, connects without TLS. Unlike libpq's `require`,
//! the certificate is always verified: a store that holds every ticket is not sent to a
//! server that cannot prove who it is.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How long a connection attempt may take before it counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A server that stops answering is noticed by TCP keepalives after about this long, so a
/// partitioned daemon's queries fail instead of hanging (it must stop acting on a lease it
/// can no longer renew).
const KEEPALIVE_IDLE: Duration = Duration::from_secs(5);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(2);
const KEEPALIVE_RETRIES: u32 = 3;
/// Written data unacknowledged this long fails the connection (Linux `TCP_USER_TIMEOUT`).
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(10);

/// A validated PostgreSQL URL. `Display` hides the password.
#[derive(Clone)]
pub struct DatabaseUrl {
    shown: String,
    config: tokio_postgres::Config,
    tls: Option<MakeRustlsConnect>,
}

impl DatabaseUrl {
    /// Whether `s` is meant as a PostgreSQL URL (the other form of `gateway.store` is a path).
    pub fn is_postgres(s: &str) -> bool {
        s.starts_with("postgres://") || s.starts_with("postgresql://")
    }

    /// Parses a URL; the error is one line fit for a config problem.
    pub fn parse(s: &str) -> Result<DatabaseUrl, String> {
        let mut url = url::Url::parse(s).map_err(|e| format!("not a valid URL: {e}"))?;
        let mut ssl_mode = None;
        let mut root_cert = None;
        let mut kept = Vec::new();
        for (k, v) in url.query_pairs() {
            match &*k {
                "sslmode" => ssl_mode = Some(v.into_owned()),
                "sslrootcert" => root_cert = Some(PathBuf::from(v.into_owned())),
                _ => kept.push((k.into_owned(), v.into_owned())),
            }
        }
        let tls_asked = match ssl_mode.as_deref() {
            None | Some("disable" | "allow" | "prefer") => false,
            Some("require" | "verify-ca" | "verify-full") => true,
            Some(other) => {
                return Err(format!(
                    "sslmode={other}: expected disable, prefer, require, verify-ca or verify-full"
                ))
            }
        };
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(&kept);
        }
        let mut config = tokio_postgres::Config::from_str(url.as_str())
            .map_err(|e| format!("not a PostgreSQL URL: {e}"))?;
        if config.get_hosts().is_empty() {
            return Err("the URL names no host".into());
        }
        if config.get_user().is_none() {
            return Err("the URL names no user (postgres://USER:PASSWORD@HOST/DB)".into());
        }
        if config.get_dbname().is_none() {
            return Err("the URL names no database (postgres://USER:PASSWORD@HOST/DB)".into());
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config
            .keepalives(true)
            .keepalives_idle(KEEPALIVE_IDLE)
            .keepalives_interval(KEEPALIVE_INTERVAL)
            .keepalives_retries(KEEPALIVE_RETRIES)
            .tcp_user_timeout(TCP_USER_TIMEOUT)
            .application_name("ticket-gateway");
        let tls = if tls_asked {
            config.ssl_mode(SslMode::Require);
            let roots = crate::tls::client_config(root_cert.as_deref())
                .map_err(|e| format!("sslrootcert: {e}"))?;
            Some(MakeRustlsConnect::new((*roots).clone()))
        } else {
            config.ssl_mode(SslMode::Disable);
            None
        };
        let mut shown = url;
        if shown.password().is_some() {
            let _ = shown.set_password(Some("***"));
        }
        Ok(DatabaseUrl {
            shown: shown.to_string(),
            config,
            tls,
        })
    }

    pub(super) fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    pub(super) fn tls(&self) -> Option<&MakeRustlsConnect> {
        self.tls.as_ref()
    }

    /// Whether the connection uses TLS.
    pub fn uses_tls(&self) -> bool {
        self.tls.is_some()
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_the_password_is_never_shown() {
        let u = DatabaseUrl::parse("postgres://tg:s3cret@db.example:5433/desk").unwrap();
        assert_eq!(u.to_string(), "postgres://tg:***@db.example:5433/desk");
        assert!(!format!("{u:?}").contains("s3cret"));
        assert!(!u.uses_tls());
        assert_eq!(u.config().get_ports(), [5433]);
        let u = DatabaseUrl::parse("postgresql://tg@db.example/desk?sslmode=require").unwrap();
        assert!(u.uses_tls());
        assert_eq!(u.config().get_ssl_mode(), SslMode::Require);
        for (bad, says) in [
            (
                "postgres://tg@db.example/desk?sslmode=sometimes",
                "sslmode=sometimes",
            ),
            ("postgres://db.example/desk", "no user"),
            ("postgres://tg@db.example", "no database"),
            (
                "postgres://tg@db.example/desk?sslmode=require&sslrootcert=/nonexistent.pem",
                "sslrootcert",
            ),
            (
                "postgres://tg@db.example/desk?frobnicate=1",
                "not a PostgreSQL URL",
            ),
        ] {
            let err = DatabaseUrl::parse(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
