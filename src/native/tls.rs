//! TLS through rustls: the crypto provider (the process default when one is installed, else
//! the one the features chose), the default client configuration (Mozilla's roots from
//! `webpki-roots`) and the mapping of rustls failures to `Error::Tls`.

use std::sync::{Arc, OnceLock};

use rustls::crypto::CryptoProvider;

use crate::Error;

/// The rustls crypto provider uniws builds its TLS configurations with: the process default
/// if the application installed one ([`CryptoProvider::install_default`]), else aws-lc-rs
/// (feature `aws-lc-rs`, on by default, as rustls's own default), else *ring* (feature
/// `ring`). Use it for the `rustls::ServerConfig` of
/// [`serve_tls`](crate::RequestHandler::serve_tls) too, so that client and server agree
/// whatever else in the build brought a provider.
///
/// # Panics
///
/// With neither feature on and no process default installed: there is no provider to use.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    if let Some(installed) = CryptoProvider::get_default() {
        return installed.clone();
    }
    #[cfg(feature = "aws-lc-rs")]
    return Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    // rustls 0.23.48 deprecates *ring*'s provider (it has no post-quantum key exchange) and
    // offers no other way to it; whoever turns on `ring` alone has asked for exactly that.
    #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
    #[allow(deprecated)]
    return Arc::new(rustls::crypto::ring::default_provider());
    #[cfg(not(any(feature = "aws-lc-rs", feature = "ring")))]
    panic!(
        "uniws: no rustls crypto provider: enable uniws's `aws-lc-rs` or `ring` feature, or install a \
         process default with rustls::crypto::CryptoProvider::install_default"
    );
}

/// The client configuration used when `ConnectOptions::tls_config` is not given.
pub(crate) fn default_client_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
            let config = rustls::ClientConfig::builder_with_provider(crypto_provider())
                .with_safe_default_protocol_versions()
                .expect("the provider supports the default protocol versions")
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
