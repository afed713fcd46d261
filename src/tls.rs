//! rustls client configuration shared by the adapters: webpki roots plus `ca_file`.
//!
//! This module owns trust decisions and nothing else: it never opens a socket, and it never
//! offers a way to switch certificate verification off. The ring provider is passed
//! explicitly, so no process-wide default provider has to be installed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;

/// Why a TLS client configuration could not be built. Never transient: the file or the
/// build has to change.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read ca file {}", path.display())]
    ReadCaFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("ca file {} is not valid PEM", path.display())]
    ParseCaFile {
        path: PathBuf,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    #[error("ca file {} contains no PEM certificate", path.display())]
    EmptyCaFile { path: PathBuf },
    #[error("ca file {} holds certificate #{index} that is not a usable trust anchor", path.display())]
    BadCertificate {
        path: PathBuf,
        /// 1-based position of the certificate in the file.
        index: usize,
        #[source]
        source: rustls::Error,
    },
    #[error("tls provider refused the protocol versions")]
    Provider(#[source] rustls::Error),
}

/// A client configuration trusting the webpki (Mozilla) roots plus every PEM certificate in
/// `ca_file`. Certificate and host name verification are always on.
pub(crate) fn client_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = ca_file {
        for cert in read_ca_file(path)? {
            let index = cert.0;
            roots
                .add(cert.1)
                .map_err(|source| TlsError::BadCertificate {
                    path: path.to_path_buf(),
                    index,
                    source,
                })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Provider)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Every certificate in the PEM file, numbered from 1; other PEM sections (keys) are skipped.
pub(crate) fn read_ca_file(path: &Path) -> Result<Vec<(usize, CertificateDer<'static>)>, TlsError> {
    let pem = std::fs::read(path).map_err(|source| TlsError::ReadCaFile {
        path: path.to_path_buf(),
        source,
    })?;
    let mut certs = Vec::new();
    for (i, cert) in CertificateDer::pem_slice_iter(&pem).enumerate() {
        let cert = cert.map_err(|source| TlsError::ParseCaFile {
            path: path.to_path_buf(),
            source,
        })?;
        certs.push((i + 1, cert));
    }
    if certs.is_empty() {
        return Err(TlsError::EmptyCaFile {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_ca_file_gives_webpki_roots_only() {
        assert!(client_config(None).is_ok());
    }

    #[test]
    fn missing_ca_file_names_the_file() {
        let err = client_config(Some(Path::new("/nonexistent/ca.pem"))).unwrap_err();
        assert!(matches!(err, TlsError::ReadCaFile { .. }));
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }

    #[test]
    fn ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.pem");
        std::fs::write(&path, "just some text\n").unwrap();
        let err = client_config(Some(&path)).unwrap_err();
        assert!(matches!(err, TlsError::EmptyCaFile { .. }), "{err:?}");
        assert!(err.to_string().contains("empty.pem"), "{err}");
    }

    #[test]
    fn garbage_certificate_is_refused_with_its_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.pem");
        std::fs::write(
            &path,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let err = client_config(Some(&path)).unwrap_err();
        assert!(
            matches!(err, TlsError::BadCertificate { index: 1, .. }),
            "{err:?}"
        );
    }
}
