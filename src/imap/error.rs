//! What can go wrong talking to the IMAP server, and whether to retry ([`ImapError::is_transient`]).

use std::io;

use tokio_rustls::rustls;

use crate::tls::TlsError;

/// What went wrong talking to the IMAP server. [`ImapError::is_transient`] says whether to
/// reconnect with back-off or to stop and tell the operator.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// The TLS client configuration could not be built (CA file). Permanent.
    #[error("cannot set up tls for imap")]
    TlsSetup(#[from] TlsError),
    /// TCP connect failed or timed out, or the server greeted with BYE. Transient.
    #[error("cannot connect to imap server {addr}")]
    Connect {
        addr: String,
        #[source]
        source: io::Error,
    },
    /// TLS handshake failed. Permanent when the certificate is the problem (untrusted, wrong
    /// name, expired), transient otherwise.
    #[error("tls handshake with imap server {addr} failed")]
    Tls {
        addr: String,
        #[source]
        source: io::Error,
    },
    /// `tls = "starttls"` but the server does not offer or accept STARTTLS; the password was
    /// not sent. Permanent.
    #[error("imap server {addr} does not offer or accept STARTTLS ({detail}); not logging in without tls")]
    StartTls { addr: String, detail: String },
    /// The server refused the user name and password. Permanent.
    #[error("imap server refused login for {username}: {detail}")]
    LoginRefused { username: String, detail: String },
    /// The password cannot be read (its file or environment variable), named by its key.
    /// Permanent: the operator must put it there.
    #[error(transparent)]
    Password(#[from] crate::config::SecretError),
    /// No OAuth2 access token could be had for the login (the token endpoint is down or
    /// refused the grant, in its own words). Transient as the token source's error is.
    #[error("no oauth2 access token for the imap login")]
    Token(#[from] crate::oauth2::OAuth2Error),
    /// The server answered NO (it understood, but could not or would not).
    #[error("imap server refused {command}: {detail}")]
    No {
        command: &'static str,
        detail: String,
    },
    /// The server answered BAD (it did not understand). Permanent.
    #[error("imap server rejected {command} as bad: {detail}")]
    Bad {
        command: &'static str,
        detail: String,
    },
    /// A response the client could not make sense of. Transient: reconnect; a mail that
    /// keeps causing it is for the caller's bounded retries.
    #[error("imap protocol error during {command}")]
    Protocol {
        command: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// The connection broke, or the server fell silent for too long. Transient.
    #[error("imap connection failed during {command}")]
    Io {
        command: &'static str,
        #[source]
        source: io::Error,
    },
}

impl ImapError {
    /// True when trying again later (on a new connection) may succeed; false when the
    /// configuration, the credentials, the certificate or the server setup must change first.
    pub fn is_transient(&self) -> bool {
        match self {
            ImapError::TlsSetup(_) => false,
            ImapError::Connect { .. } => true,
            ImapError::Tls { source, .. } => !is_certificate_problem(source),
            ImapError::StartTls { .. } => false,
            ImapError::LoginRefused { .. } => false,
            ImapError::Password(_) => false,
            ImapError::Token(e) => e.is_transient(),
            ImapError::No { detail, .. } => !has_code(detail, PERMANENT_NO_CODES),
            ImapError::Bad { .. } => false,
            ImapError::Protocol { .. } => true,
            ImapError::Io { .. } => true,
        }
    }
}

/// RFC 5530 response codes after which repeating the same command cannot succeed.
const PERMANENT_NO_CODES: &[&str] = &[
    "NONEXISTENT",
    "TRYCREATE",
    "NOPERM",
    "CANNOT",
    "CONTACTADMIN",
    "AUTHORIZATIONFAILED",
];
/// RFC 5530 response codes that make a refused LOGIN worth retrying.
const TRANSIENT_LOGIN_CODES: &[&str] = &["UNAVAILABLE", "INUSE", "LIMIT", "SERVERBUG"];

pub(super) fn has_code(detail: &str, codes: &[&str]) -> bool {
    let upper = detail.to_ascii_uppercase();
    codes.iter().any(|c| upper.contains(c))
}

pub(super) fn is_certificate_problem(e: &io::Error) -> bool {
    if e.kind() == io::ErrorKind::InvalidInput {
        // the host name is not a valid TLS server name
        return true;
    }
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(
            rustls::Error::InvalidCertificate(_)
            | rustls::Error::NoCertificatesPresented
            | rustls::Error::UnsupportedNameType
            | rustls::Error::PeerIncompatible(_),
        ) => true,
        Some(_) | None => false,
    }
}

/// async-imap's NO/BAD text is `code: Some(X), info: Some("text")`; make it `[X] text`.
pub(super) fn server_text(raw: &str) -> String {
    let code = raw
        .strip_prefix("code: Some(")
        .and_then(|rest| rest.split_once("), info: "))
        .map(|(c, _)| c);
    let info = raw
        .split_once("info: Some(\"")
        .and_then(|(_, rest)| rest.strip_suffix("\")"))
        .map(|s| s.replace("\\\"", "\"").replace("\\\\", "\\"));
    match (code, info) {
        (Some(c), Some(i)) => format!("[{c}] {i}"),
        (None, Some(i)) => i,
        (Some(c), None) => format!("[{c}]"),
        (None, None) => raw.to_string(),
    }
}

pub(super) fn op_error(command: &'static str, e: async_imap::error::Error) -> ImapError {
    use async_imap::error::Error as E;
    match e {
        E::Io(source) => ImapError::Io { command, source },
        E::ConnectionLost => ImapError::Io {
            command,
            source: io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ),
        },
        E::No(detail) => ImapError::No {
            command,
            detail: server_text(&detail),
        },
        E::Bad(detail) => ImapError::Bad {
            command,
            detail: server_text(&detail),
        },
        other => ImapError::Protocol {
            command,
            source: Box::new(other),
        },
    }
}

pub(super) fn login_error(e: async_imap::error::Error, username: &str) -> ImapError {
    use async_imap::error::Error as E;
    match e {
        E::No(detail) | E::Bad(detail) => {
            let detail = server_text(&detail);
            if has_code(&detail, TRANSIENT_LOGIN_CODES) {
                ImapError::No {
                    command: "LOGIN",
                    detail,
                }
            } else {
                ImapError::LoginRefused {
                    username: username.to_string(),
                    detail,
                }
            }
        }
        other => op_error("LOGIN", other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_is_tidied() {
        assert_eq!(
            server_text(
                r#"code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")"#
            ),
            "[AUTHENTICATIONFAILED] Authentication failed."
        );
        assert_eq!(
            server_text(r#"code: Some(TryCreate), info: Some("Mailbox doesn't exist: X")"#),
            "[TryCreate] Mailbox doesn't exist: X"
        );
        assert_eq!(server_text("odd"), "odd");
    }

    #[test]
    fn transient_or_not() {
        let no = |detail: &str| ImapError::No {
            command: "UID MOVE",
            detail: detail.into(),
        };
        assert!(no("[OVERQUOTA] Quota exceeded").is_transient());
        assert!(!no("[TryCreate] Mailbox doesn't exist: X").is_transient());
        assert!(!no("[NONEXISTENT] Mailbox doesn't exist").is_transient());
        let refused = login_error(
            async_imap::error::Error::No(
                r#"code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")"#.into(),
            ),
            "u",
        );
        assert!(matches!(refused, ImapError::LoginRefused { .. }));
        assert!(!refused.is_transient());
        let busy = login_error(
            async_imap::error::Error::No(
                r#"code: None, info: Some("[UNAVAILABLE] Temporary authentication failure.")"#
                    .into(),
            ),
            "u",
        );
        assert!(busy.is_transient(), "{busy:?}");
        let cert = ImapError::Tls {
            addr: "x:993".into(),
            source: io::Error::new(
                io::ErrorKind::InvalidData,
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
            ),
        };
        assert!(!cert.is_transient());
        let reset = ImapError::Tls {
            addr: "x:993".into(),
            source: io::Error::new(io::ErrorKind::ConnectionReset, "reset"),
        };
        assert!(reset.is_transient());
    }
}
