//! TLS settings from PEM files: the server's certificate chain and key (`serve --cert
//! --key`) and a client's extra trusted CA (`connect --ca`), both with the provider uniws chose
//! (`uniws::crypto_provider`);
//! and a plain hint for the commonest mistake with them.

use std::path::Path;
use std::sync::Arc;

use uniws::crypto_provider as provider;
use uniws::rustls::pki_types::pem::PemObject;
use uniws::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use uniws::rustls::{self, ClientConfig, RootCertStore, ServerConfig};

use crate::failure::{Context, Failure};

/// Every certificate in the PEM file at `path`; at least one.
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, Failure> {
    let reading = || format!("cannot read certificates from {}", path.display());
    let certificates: Vec<_> =
        CertificateDer::pem_file_iter(path).context(reading)?.collect::<Result<_, _>>().context(reading)?;
    if certificates.is_empty() {
        return Err(Failure::new(format!("no PEM certificate in {}", path.display())));
    }
    Ok(certificates)
}

/// A server configuration presenting the chain in `cert` with the private key in `key`.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, Failure> {
    let chain = certificates(cert)?;
    let key_der = PrivateKeyDer::from_pem_file(key)
        .context(|| format!("cannot read a private key from {}", key.display()))?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context(|| "cannot set up TLS")?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .context(|| format!("cannot use {} with {}", cert.display(), key.display()))?;
    Ok(Arc::new(config))
}

/// A client configuration trusting the Mozilla roots and the certificates in `ca`.
pub fn client_config(ca: &Path) -> Result<Arc<ClientConfig>, Failure> {
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    for certificate in certificates(ca)? {
        roots.add(certificate).context(|| format!("cannot trust {}", ca.display()))?;
    }
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context(|| "cannot set up TLS")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A failure to connect to `url`, with a hint when the server presents a CA certificate as
/// its own: `openssl req -x509` makes those by default, and rustls refuses them.
pub fn explain(url: &str, error: uniws::Error) -> Failure {
    let ca_as_server = matches!(&error, uniws::Error::Tls(inner)
        if matches!(inner.downcast_ref::<rustls::Error>(),
            Some(rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other)))
                if other.to_string().contains("CaUsedAsEndEntity")));
    if ca_as_server {
        return Failure::new(format!(
            "cannot connect to {url}: {error} (hint: the server's certificate is a CA certificate, as \
             'openssl req -x509' makes by default; give the server a certificate signed by that CA, \
             without 'CA:TRUE', and pass the CA with --ca)"
        ));
    }
    Failure::new(format!("cannot connect to {url}: {error}"))
}
