//! The lowest layer of a client connection, below proxies and the handshake: TCP to a host,
//! TLS over any stream, and the percent-decoded credentials of a URL. `client.rs` and
//! `proxy.rs` both build on it; it imports neither.

use tokio::net::TcpStream;
use url::Host;

use super::tls::{default_client_config, tls_error};
use super::transport::BoxedTransport;
use crate::{ConnectOptions, Error, Result};

/// TCP to `host` and `port`, without Nagle's delay (frames are written whole).
pub(crate) async fn tcp_to(host: &Host<&str>, port: u16) -> Result<TcpStream> {
    let tcp = match *host {
        Host::Domain(name) => TcpStream::connect((name, port)).await?,
        Host::Ipv4(ip) => TcpStream::connect((ip, port)).await?,
        Host::Ipv6(ip) => TcpStream::connect((ip, port)).await?,
    };
    tcp.set_nodelay(true)?;
    Ok(tcp)
}

/// TLS over `stream` to `host` (the server, or an `https://` proxy), with the options' TLS
/// configuration.
pub(crate) async fn tls_over(
    stream: BoxedTransport,
    host: &Host<&str>,
    options: &ConnectOptions,
) -> Result<BoxedTransport> {
    let name = match *host {
        Host::Domain(name) => rustls::pki_types::ServerName::try_from(name.to_owned())
            .map_err(|e| Error::InvalidUrl(format!("host is not a valid TLS name: {e}").into()))?,
        Host::Ipv4(ip) => rustls::pki_types::ServerName::IpAddress(std::net::IpAddr::V4(ip).into()),
        Host::Ipv6(ip) => rustls::pki_types::ServerName::IpAddress(std::net::IpAddr::V6(ip).into()),
    };
    let config = options.tls_config.clone().unwrap_or_else(default_client_config);
    let tls = tokio_rustls::TlsConnector::from(config).connect(name, stream).await.map_err(tls_error)?;
    Ok(Box::new(tls))
}

/// A URL's user or password, percent-decoded (the credentials of a `ws` URL or a proxy URL).
pub(crate) fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
