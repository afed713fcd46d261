//! OAuth2 logins over IMAP `AUTHENTICATE` (XOAUTH2, OAUTHBEARER), with one renewed token
//! when the server refuses the first.
//!
//! The token never passes through async-imap, which traces what it sends: the authenticator
//! answers with a placeholder, and the transport swaps its base64 for the real response on
//! the way out (as LOGIN does with the password).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use tracing::debug;

use super::error::login_error;
use super::transport::Conn;
use super::ImapError;
use crate::config::ImapConfig;
use crate::oauth2::{sasl_error_ack, sasl_response, AccessToken, TokenSource};

const PLACEHOLDER: &str = "tg-oauth2-sasl-placeholder";

/// Logs `client` in with `cfg.auth` and a token from `tokens`; a refused token is renewed
/// once, and a refusal of the renewed one is [`ImapError::LoginRefused`] with the server's
/// words (its tagged answer and the SASL error it sent).
pub(super) async fn authenticate(
    mut client: async_imap::Client<Conn>,
    cfg: &ImapConfig,
    tokens: &TokenSource,
) -> Result<async_imap::Session<Conn>, ImapError> {
    let mut token = tokens.token().await?;
    loop {
        match attempt(client, cfg, &token).await {
            Ok(session) => return Ok(session),
            Err(Attempt::Failed(e)) => return Err(e),
            Err(Attempt::Refused {
                detail,
                client: back,
            }) => match tokens.refused(&token).await? {
                Some(renewed) => {
                    debug!(username = %cfg.username, %detail, "imap refused the access token; trying a renewed one");
                    token = renewed;
                    client = back;
                }
                None => {
                    return Err(ImapError::LoginRefused {
                        username: cfg.username.clone(),
                        detail: format!(
                            "{detail}; the access token was refused, also when renewed"
                        ),
                    })
                }
            },
        }
    }
}

enum Attempt {
    /// The server refused the token; the connection can try again.
    Refused {
        detail: String,
        client: async_imap::Client<Conn>,
    },
    Failed(ImapError),
}

async fn attempt(
    mut client: async_imap::Client<Conn>,
    cfg: &ImapConfig,
    token: &AccessToken,
) -> Result<async_imap::Session<Conn>, Attempt> {
    let response = sasl_response(cfg.auth, &cfg.username, token.expose());
    client
        .get_mut()
        .substitute_raw(&B64.encode(PLACEHOLDER), &B64.encode(response));
    let mut sasl = Sasl {
        placeholder: Some(PLACEHOLDER),
        ack: sasl_error_ack(cfg.auth),
        challenge: None,
    };
    match client.authenticate(cfg.auth.mechanism(), &mut sasl).await {
        Ok(mut session) => {
            session.get_mut().secret = None;
            Ok(session)
        }
        Err((e, mut back)) => {
            back.get_mut().secret = None;
            match login_error(e, &cfg.username) {
                ImapError::LoginRefused { detail, .. } => Err(Attempt::Refused {
                    detail: match sasl.challenge.filter(|c| !c.trim().is_empty()) {
                        Some(c) => format!("{detail} (sasl: {})", c.trim()),
                        None => detail,
                    },
                    client: back,
                }),
                other => Err(Attempt::Failed(other)),
            }
        }
    }
}

/// Answers the server's first (empty) challenge with the placeholder, and an error
/// challenge (a JSON status) with the mechanism's acknowledgement, keeping its text.
struct Sasl {
    placeholder: Option<&'static str>,
    ack: &'static str,
    challenge: Option<String>,
}

impl async_imap::Authenticator for &mut Sasl {
    type Response = Vec<u8>;

    fn process(&mut self, challenge: &[u8]) -> Vec<u8> {
        match self.placeholder.take() {
            Some(p) => p.as_bytes().to_vec(),
            None => {
                self.challenge = Some(String::from_utf8_lossy(challenge).into_owned());
                self.ack.as_bytes().to_vec()
            }
        }
    }
}
