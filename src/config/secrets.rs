//! Secrets: passwords, the OAuth2 client secret and refresh token.
//!
//! The config names where each secret is (a file, a systemd credential, an environment
//! variable) and nothing reads it when the config loads: a command reads a secret when it
//! needs it ([`SecretSource::read`]), so `tickets`, `show` and `outbox` work without any.
//! [`super::Config::read_secrets`] reads every one a login needs, for `run`, `ingest` and
//! `check` to report a missing one at once, with its key.

use std::fmt;
use std::path::{Path, PathBuf};

/// A secret value; `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where a secret is, as the config says; read with [`SecretSource::read`].
#[derive(Clone, Debug)]
pub enum SecretSource {
    /// None is used (no SMTP AUTH, an OAuth2 login instead of a password, a public client).
    Unused,
    /// A login needs one, and the config names none: reading it is an error that says so.
    Missing { key: String },
    /// The value itself (a config built by a program or a test).
    Value(Secret),
    /// `*_file`: under systemd, a relative name (or an absolute one that does not exist) is
    /// looked up in `$CREDENTIALS_DIRECTORY` first; then `path`, anchored at the config's
    /// directory.
    File {
        key: String,
        written: String,
        path: PathBuf,
    },
    /// `password_env`.
    Env { key: String, var: String },
}

/// A secret that cannot be read, named by its key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {reason}")]
pub struct SecretError {
    pub key: String,
    pub reason: String,
}

impl From<Secret> for SecretSource {
    fn from(s: Secret) -> SecretSource {
        SecretSource::Value(s)
    }
}

impl SecretSource {
    pub fn value(s: impl Into<String>) -> SecretSource {
        SecretSource::Value(Secret::new(s))
    }

    pub fn is_unused(&self) -> bool {
        matches!(self, SecretSource::Unused)
    }

    /// Reads the secret now (a final line break in a file is not part of it).
    pub fn read(&self) -> Result<Secret, SecretError> {
        self.read_from().map(|(s, _)| s)
    }

    /// The secret and the file it came from, if it came from one.
    pub(crate) fn read_from(&self) -> Result<(Secret, Option<PathBuf>), SecretError> {
        match self {
            SecretSource::Unused => Ok((Secret::new(""), None)),
            SecretSource::Missing { key } => Err(SecretError {
                key: key.clone(),
                reason: format!(
                    "a {} or {} is required",
                    key.rsplit('.').next().unwrap_or(key),
                    key.rsplit('.')
                        .next()
                        .unwrap_or(key)
                        .replace("_file", "_env")
                ),
            }),
            SecretSource::Value(s) => Ok((s.clone(), None)),
            SecretSource::Env { key, var } => match std::env::var(var) {
                Ok(s) => Ok((Secret::new(s), None)),
                Err(_) => Err(SecretError {
                    key: key.clone(),
                    reason: format!("environment variable {var} is not set"),
                }),
            },
            SecretSource::File { key, written, path } => {
                let candidates = candidates(written, path);
                let mut last = None;
                for c in &candidates {
                    match std::fs::read_to_string(c) {
                        Ok(s) => {
                            let s = s.trim_end_matches(['\n', '\r']).to_string();
                            return Ok((Secret::new(s), Some(c.clone())));
                        }
                        Err(e) => last = Some((c, e)),
                    }
                }
                let (c, e) = last.expect("at least the path itself is a candidate");
                Err(SecretError {
                    key: key.clone(),
                    reason: format!("cannot read {}: {}", c.display(), plain_io(&e)),
                })
            }
        }
    }
}

/// Where a `*_file` secret is looked for, in order.
fn candidates(written: &str, path: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(dir) = std::env::var("CREDENTIALS_DIRECTORY") {
        if !Path::new(written).is_absolute() || !path.exists() {
            if let Some(name) = Path::new(written).file_name() {
                out.push(Path::new(&dir).join(name));
            }
        }
    }
    out.push(path.to_path_buf());
    out
}

/// "No such file or directory" without "(os error 2)".
fn plain_io(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_variables_are_read_when_asked_not_before() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        let file = SecretSource::File {
            key: "imap.password_file".into(),
            written: "pw".into(),
            path: path.clone(),
        };
        let e = file.read().unwrap_err();
        assert_eq!(e.key, "imap.password_file");
        assert!(
            e.to_string().ends_with("pw: No such file or directory"),
            "{e}"
        );
        std::fs::write(&path, "s3cret\r\n").unwrap();
        assert_eq!(file.read().unwrap().expose(), "s3cret");
        assert_eq!(format!("{:?}", file.read().unwrap()), "[redacted]");

        let env = SecretSource::Env {
            key: "smtp.password_env".into(),
            var: "TG_TEST_SECRET_NEVER_SET".into(),
        };
        assert_eq!(
            env.read().unwrap_err().to_string(),
            "smtp.password_env: environment variable TG_TEST_SECRET_NEVER_SET is not set"
        );
        let missing = SecretSource::Missing {
            key: "imap.password_file".into(),
        };
        assert_eq!(
            missing.read().unwrap_err().to_string(),
            "imap.password_file: a password_file or password_env is required"
        );
        assert_eq!(SecretSource::Unused.read().unwrap().expose(), "");
    }
}
