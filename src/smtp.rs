//! SMTP adapter: a pooled lettre transport, and errors that say transient or permanent.

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls as LettreTls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::{SmtpConfig, Tls};

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("smtp setup: {0}")]
    Setup(String),
    #[error("smtp: {source}")]
    Send {
        #[source]
        source: lettre::transport::smtp::Error,
    },
    #[error("invalid envelope: {0}")]
    Envelope(String),
}

impl SmtpError {
    /// 4xx answers and connection trouble are worth a retry; 5xx and bad envelopes are not.
    pub fn is_transient(&self) -> bool {
        match self {
            SmtpError::Setup(_) | SmtpError::Envelope(_) => false,
            SmtpError::Send { source } => !source.is_permanent(),
        }
    }
}

/// The outgoing transport.
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Smtp {
    pub fn new(cfg: &SmtpConfig) -> Result<Smtp, SmtpError> {
        let tls_params = || -> Result<TlsParameters, SmtpError> {
            let mut b = TlsParameters::builder(cfg.host.clone());
            if let Some(ca) = &cfg.ca_file {
                let pem = std::fs::read(ca)
                    .map_err(|e| SmtpError::Setup(format!("smtp.ca_file {}: {e}", ca.display())))?;
                for cert in split_pem(&pem) {
                    let c = Certificate::from_pem(&cert).map_err(|e| {
                        SmtpError::Setup(format!("smtp.ca_file {}: {e}", ca.display()))
                    })?;
                    b = b.add_root_certificate(c);
                }
            }
            b.build_rustls()
                .map_err(|e| SmtpError::Setup(format!("tls: {e}")))
        };
        let tls = match cfg.tls {
            Tls::Implicit => LettreTls::Wrapper(tls_params()?),
            Tls::StartTls => LettreTls::Required(tls_params()?),
            Tls::None => LettreTls::None,
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(cfg.host.clone())
            .port(cfg.port)
            .tls(tls)
            .timeout(Some(std::time::Duration::from_secs(30)))
            .pool_config(PoolConfig::new().max_size(8));
        if !cfg.username.is_empty() {
            b = b.credentials(Credentials::new(
                cfg.username.clone(),
                cfg.password.expose().to_string(),
            ));
        }
        Ok(Smtp {
            transport: b.build(),
        })
    }

    /// Sends raw bytes to `to`, envelope sender `from`.
    pub async fn send(&self, from: &str, to: &[String], raw: &[u8]) -> Result<(), SmtpError> {
        let from = from
            .parse()
            .map_err(|_| SmtpError::Envelope(format!("bad sender {from}")))?;
        let to = to
            .iter()
            .map(|a| a.parse())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| SmtpError::Envelope(format!("bad recipient in {to:?}")))?;
        let envelope =
            Envelope::new(Some(from), to).map_err(|e| SmtpError::Envelope(e.to_string()))?;
        self.transport
            .send_raw(&envelope, raw)
            .await
            .map(|_| ())
            .map_err(|source| SmtpError::Send { source })
    }

    /// Connects and says hello (for `check`).
    pub async fn test_connection(&self) -> Result<bool, SmtpError> {
        self.transport
            .test_connection()
            .await
            .map_err(|source| SmtpError::Send { source })
    }
}

/// Each `-----BEGIN CERTIFICATE-----` block of a PEM file, as its own PEM.
fn split_pem(pem: &[u8]) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(pem);
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        if line.starts_with("-----BEGIN CERTIFICATE") {
            cur.clear();
        }
        cur.push_str(line);
        cur.push('\n');
        if line.starts_with("-----END CERTIFICATE") {
            out.push(cur.as_bytes().to_vec());
            cur.clear();
        }
    }
    out
}
