//! A self-signed certificate made by rcgen for the tests that need TLS, and echo servers
//! (plain and TLS) on 127.0.0.1 that use it.

use std::path::PathBuf;
use std::sync::Arc;

use uniws::rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use uniws::{MessageType, WebSocket, request_handler};

use crate::bind;

/// A self-signed certificate for localhost and 127.0.0.1, as PEM files and as rustls types.
pub struct Pem {
    pub cert: PathBuf,
    pub key: PathBuf,
    der: CertificateDer<'static>,
    key_der: PrivatePkcs8KeyDer<'static>,
}

impl Pem {
    pub fn self_signed() -> Self {
        let certified =
            rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        let dir = std::env::temp_dir().join(format!("uniws-proxy-{}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert, certified.cert.pem()).unwrap();
        std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
        let der = certified.cert.der().clone();
        let key_der = PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
        Self { cert, key, der, key_der }
    }

    pub fn client_config(&self) -> Arc<uniws::rustls::ClientConfig> {
        let mut roots = uniws::rustls::RootCertStore::empty();
        roots.add(self.der.clone()).unwrap();
        let provider = uniws::crypto_provider();
        let config = uniws::rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }

    pub fn server_config(&self) -> Arc<uniws::rustls::ServerConfig> {
        let provider = uniws::crypto_provider();
        let config = uniws::rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![self.der.clone()], self.key_der.clone_key().into())
            .unwrap();
        Arc::new(config)
    }
}

impl Drop for Pem {
    fn drop(&mut self) {
        if let Some(dir) = self.cert.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

/// Echo servers on 127.0.0.1: plain and TLS; their ports.
pub async fn echo_servers(pem: &Pem) -> (u16, u16) {
    let handler = || {
        request_handler(
            |mut ws: WebSocket| async move {
                while let Ok(m) = ws.recv_all(1 << 20).await {
                    if m.message_type() == MessageType::Close || ws.send_all(m).await.is_err() {
                        break;
                    }
                }
            },
            |_: &[String]| None,
            1 << 20,
        )
    };
    let (plain, plain_addr) = bind().await;
    let (tls, tls_addr) = bind().await;
    tokio::spawn(handler().serve(plain));
    tokio::spawn(handler().serve_tls(tls, pem.server_config()));
    (plain_addr.port(), tls_addr.port())
}
