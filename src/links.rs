//! The links to a ticket's page (SPEC §3.10): `<web.base_url>/t/<TAG>/<token>`, where the token
//! is an HMAC-SHA256 of the ticket id and one reader's address under the key in
//! `web.key_file`. Each customer gets a link of their own; changing the key revokes them all.
//!
//! The key file is made at first start when it is missing (32 random bytes, mode 0600). A link
//! is checked against the ticket's customers as they are now, in constant time: an address no
//! longer on the ticket, another ticket's token or a token under an older key opens nothing.
//!
//! This module computes and checks links; it serves nothing (the page is `web`'s).

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::WebConfig;
use crate::core::TicketId;

/// The length of a key the gateway makes; a key file holds at least [`MIN_KEY_BYTES`].
const NEW_KEY_BYTES: usize = 32;
const MIN_KEY_BYTES: usize = 16;

/// What a token signs besides the ticket and the address, so that a token of this key means
/// nothing anywhere else the key might be used.
const TOKEN_CONTEXT: &[u8] = b"ticket-gateway ticket page v1";

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("web.key_file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("web.key_file {}: a key needs at least {MIN_KEY_BYTES} bytes, the file has {len}", path.display())]
    ShortKey { path: PathBuf, len: usize },
}

/// The secret that signs page links.
pub struct PageKey(Vec<u8>);

impl std::fmt::Debug for PageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageKey([redacted])")
    }
}

impl PageKey {
    /// Reads the key in `path`, or makes one there (random, mode 0600) when the file does not
    /// exist. Two processes starting at once end up with the same key: the file appears whole
    /// or not at all (written aside, then linked into place, which fails if it exists).
    pub(crate) fn load_or_create(path: &Path) -> Result<PageKey, LinkError> {
        let err = |source| LinkError::Io {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::read(path) {
            Ok(bytes) => return PageKey::of(path, bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(err(e)),
        }
        let mut key = vec![0u8; NEW_KEY_BYTES];
        getrandom::fill(&mut key).map_err(|e| err(std::io::Error::other(e.to_string())))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        crate::store::private_dir(dir).map_err(err)?;
        let tmp = dir.join(format!(
            ".{}.{}.tmp",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("key"),
            std::process::id()
        ));
        {
            use std::io::Write as _;
            let mut f = crate::store::private_file(&tmp).map_err(err)?;
            f.write_all(&key).map_err(err)?;
            f.sync_all().map_err(err)?;
        }
        let linked = std::fs::hard_link(&tmp, path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                std::fs::File::open(dir)
                    .and_then(|d| d.sync_all())
                    .map_err(err)?;
                tracing::info!(path = %path.display(), "web.key_file made: a new key for page links");
                Ok(PageKey(key))
            }
            // Made by another process meanwhile: theirs is the key.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                PageKey::of(path, std::fs::read(path).map_err(err)?)
            }
            Err(e) => Err(err(e)),
        }
    }

    fn of(path: &Path, bytes: Vec<u8>) -> Result<PageKey, LinkError> {
        if bytes.len() < MIN_KEY_BYTES {
            return Err(LinkError::ShortKey {
                path: path.to_path_buf(),
                len: bytes.len(),
            });
        }
        Ok(PageKey(bytes))
    }

    #[cfg(test)]
    fn fixed(bytes: &[u8]) -> PageKey {
        PageKey(bytes.to_vec())
    }

    fn mac(&self, ticket: TicketId, address: &str) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(TOKEN_CONTEXT);
        mac.update(&[0]);
        mac.update(&ticket.0.to_be_bytes());
        mac.update(&[0]);
        mac.update(address.trim().to_ascii_lowercase().as_bytes());
        mac
    }
}

/// What `check` says of the key file: readable and long enough, or made at the first start;
/// it makes nothing itself.
pub(crate) fn check_key(web: &WebConfig, store: &Path) -> Result<String, String> {
    let path = key_path(web, store);
    match std::fs::read(&path) {
        Ok(bytes) => PageKey::of(&path, bytes)
            .map(|_| format!("web.key_file {}: a key for page links", path.display()))
            .map_err(|e| e.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(format!(
            "web.key_file {}: does not exist yet; a key is made at the first start",
            path.display()
        )),
        Err(e) => Err(LinkError::Io { path, source: e }.to_string()),
    }
}

fn key_path(web: &WebConfig, store: &Path) -> PathBuf {
    web.key_file
        .clone()
        .unwrap_or_else(|| store.join("web.key"))
}

/// Page links of one gateway: its base URL and its key.
#[derive(Debug)]
pub struct Links {
    /// `web.base_url` without a trailing `/`.
    base_url: String,
    /// The path part of `web.base_url` without a trailing `/` (`""` at the root): the page
    /// server answers under it, as the reverse proxy passes the path on unchanged.
    base_path: String,
    key: PageKey,
}

impl Links {
    /// The links of `web`, when the page is served (`web.listen` set); the key file defaults
    /// to `web.key` in the store directory.
    pub fn load(web: &WebConfig, store: &Path) -> Result<Option<Links>, LinkError> {
        if web.listen.is_none() {
            return Ok(None);
        }
        let path = key_path(web, store);
        Ok(Some(Links::new(
            &web.base_url,
            PageKey::load_or_create(&path)?,
        )))
    }

    pub fn new(base_url: &str, key: PageKey) -> Links {
        let base_url = base_url.trim().trim_end_matches('/').to_string();
        let base_path = url::Url::parse(&base_url)
            .map(|u| u.path().trim_end_matches('/').to_string())
            .unwrap_or_default();
        Links {
            base_url,
            base_path,
            key,
        }
    }

    /// The path prefix the pages live under (`""`, or `/support`).
    pub(crate) fn base_path(&self) -> &str {
        &self.base_path
    }

    /// The token of `address` for `ticket`: 43 characters of base64url.
    pub fn token(&self, ticket: TicketId, address: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.key.mac(ticket, address).finalize().into_bytes())
    }

    /// The page link of `address` for `ticket`, whose tag is `tag`.
    pub fn url(&self, tag: &str, ticket: TicketId, address: &str) -> String {
        format!("{}/t/{tag}/{}", self.base_url, self.token(ticket, address))
    }

    /// Which of `readers` (the ticket's customers) `token` was made for, if any. Each
    /// comparison takes the same time whatever the token holds.
    pub fn reader<'a>(
        &self,
        ticket: TicketId,
        readers: &'a [String],
        token: &str,
    ) -> Option<&'a str> {
        if token.len() != 43 {
            return None;
        }
        let given = URL_SAFE_NO_PAD.decode(token).ok()?;
        readers
            .iter()
            .find(|r| self.key.mac(ticket, r).verify_slice(&given).is_ok())
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(key: &[u8]) -> Links {
        Links::new("https://support.example.com/help/", PageKey::fixed(key))
    }

    #[test]
    fn a_token_opens_its_ticket_for_its_reader_only() {
        let l = links(&[7; 32]);
        let readers = vec!["alice@x.test".to_string(), "bob@x.test".to_string()];
        let alice = l.token(TicketId(42), "Alice@X.test");
        assert_eq!(alice.len(), 43);
        assert_eq!(
            l.reader(TicketId(42), &readers, &alice),
            Some("alice@x.test")
        );
        let bob = l.token(TicketId(42), "bob@x.test");
        assert_ne!(alice, bob);
        assert_eq!(l.reader(TicketId(42), &readers, &bob), Some("bob@x.test"));
        // Another ticket, an address no longer on the ticket, another key, a changed letter.
        assert_eq!(l.reader(TicketId(43), &readers, &alice), None);
        assert_eq!(l.reader(TicketId(42), &readers[1..], &alice), None);
        assert_eq!(links(&[8; 32]).reader(TicketId(42), &readers, &alice), None);
        let mut tampered = alice.clone().into_bytes();
        tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(l.reader(TicketId(42), &readers, &tampered), None);
        for junk in ["", "x", &alice[..42], &format!("{alice}A"), &"=".repeat(43)] {
            assert_eq!(l.reader(TicketId(42), &readers, junk), None, "{junk}");
        }
    }

    #[test]
    fn a_link_is_the_base_url_the_tag_and_the_token() {
        let l = links(&[7; 32]);
        let url = l.url("SUP-42", TicketId(42), "alice@x.test");
        let token = l.token(TicketId(42), "alice@x.test");
        assert_eq!(
            url,
            format!("https://support.example.com/help/t/SUP-42/{token}")
        );
        assert_eq!(l.base_path(), "/help");
        assert_eq!(
            Links::new("https://support.example.com", PageKey::fixed(&[1; 16])).base_path(),
            ""
        );
    }

    #[test]
    fn a_missing_key_file_is_made_private_once_and_then_read() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/web.key");
        let first = PageKey::load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read(&path).unwrap().len(), NEW_KEY_BYTES);
        let again = PageKey::load_or_create(&path).unwrap();
        assert_eq!(first.0, again.0, "the key is read, not made again");
        assert_eq!(format!("{first:?}"), "PageKey([redacted])");
        std::fs::write(&path, b"short").unwrap();
        let e = PageKey::load_or_create(&path).unwrap_err().to_string();
        assert!(e.contains("at least 16 bytes"), "{e}");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    }
}
