//! HTTPS, when `serve` is given a certificate and its key (PEM files), so tokens and data never
//! cross a network in clear: the TLS handshake runs under the header timeout of
//! [`crate::connections`], like the request line it precedes.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::connections::Handshake;

/// Where the certificate chain and its private key are, as PEM.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS certificate {path}: {reason} (give a PEM file: --tls-cert)")]
    Cert { path: PathBuf, reason: String },
    #[error("cannot read the TLS private key {path}: {reason} (give a PEM file: --tls-key)")]
    Key { path: PathBuf, reason: String },
    #[error("the TLS certificate and key do not go together: {0}")]
    Config(#[from] rustls::Error),
}

/// HTTPS connections: the TLS handshake, then HTTP inside it.
#[derive(Clone)]
pub struct Tls(TlsAcceptor);

impl Tls {
    /// Reads the files and checks that the key is the certificate's.
    pub fn load(files: &TlsFiles) -> Result<Tls, TlsError> {
        let chain = CertificateDer::pem_file_iter(&files.cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|error| TlsError::Cert {
                path: files.cert.clone(),
                reason: error.to_string(),
            })?;
        if chain.is_empty() {
            return Err(TlsError::Cert {
                path: files.cert.clone(),
                reason: "it holds no certificate".into(),
            });
        }
        let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|error| TlsError::Key {
            path: files.key.clone(),
            reason: error.to_string(),
        })?;
        // The provider named, as the build holds more than one.
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls(TlsAcceptor::from(Arc::new(config))))
    }
}

impl Handshake for Tls {
    type Io = TlsStream<TcpStream>;
    async fn handshake(&self, stream: TcpStream) -> io::Result<TlsStream<TcpStream>> {
        self.0.accept(stream).await
    }
}
