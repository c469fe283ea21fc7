//! TLS through rustls: the default client configuration (Mozilla's roots from
//! `webpki-roots`) and the mapping of rustls failures to `Error::Tls`.

use std::sync::{Arc, OnceLock};

use crate::Error;

/// The client configuration used when `ConnectOptions::tls_config` is not given.
pub(crate) fn default_client_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring supports the default protocol versions")
                .with_root_certificates(roots)
                .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
}

/// A TLS handshake's I/O error as `Error::Tls` when rustls caused it.
pub(crate) fn tls_error(error: std::io::Error) -> Error {
    if error.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) {
        Error::Tls(error.into_inner().expect("checked above"))
    } else {
        Error::Io(error)
    }
}
