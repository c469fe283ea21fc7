//! Proxies, layered under the handshake: a proxy yields a stream to the target, over which
//! TLS and the upgrade run unchanged. HTTP CONNECT through `http://` and `https://` proxies
//! (`Proxy-Authorization: Basic` from the proxy URL's user info), SOCKS5 through
//! `socks5://` (we resolve the name) and `socks5h://` (the proxy does) with user/password
//! (tokio-socks). Which proxy: the one set on the options, else the environment's, as curl
//! and reqwest read it (`ALL_PROXY`, `HTTPS_PROXY` for wss, `HTTP_PROXY` for ws, lower-case
//! first, `NO_PROXY`).

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{BufMut, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::{Host, Url};

use super::dial::{percent_decode, tcp_to, tls_over};
use super::transport::BoxedTransport;
use crate::options::ProxyChoice;
use crate::{ConnectOptions, Error, Result};

/// The largest CONNECT answer head accepted.
const MAX_ANSWER_HEAD: usize = 8 * 1024;

/// A stream to `url`'s host and port: straight, or through the proxy that applies.
pub(crate) async fn open_stream(url: &Url, options: &ConnectOptions) -> Result<BoxedTransport> {
    let host = url.host().expect("checked in websocket_url");
    let port = url.port_or_known_default().expect("ws and wss have default ports");
    let proxy = match &options.proxy {
        ProxyChoice::Off => None,
        ProxyChoice::Url(proxy) => Some(parse_proxy(proxy)?),
        ProxyChoice::FromEnv => from_env(url, &|name| std::env::var(name).ok())?,
    };
    let Some(proxy) = proxy else { return Ok(Box::new(tcp_to(&host, port).await?)) };
    let proxy_host = proxy.host().expect("checked in parse_proxy");
    let proxy_port = proxy.port_or_known_default().expect("checked in parse_proxy");
    let credentials = (!proxy.username().is_empty())
        .then(|| (percent_decode(proxy.username()), percent_decode(proxy.password().unwrap_or(""))));
    match proxy.scheme() {
        "http" => connect_tunnel(Box::new(tcp_to(&proxy_host, proxy_port).await?), url, credentials).await,
        "https" => {
            let tls =
                tls_over(Box::new(tcp_to(&proxy_host, proxy_port).await?), &proxy_host, options).await?;
            connect_tunnel(tls, url, credentials).await
        }
        scheme => {
            let target = match (scheme, &host) {
                ("socks5h", Host::Domain(name)) => tokio_socks::TargetAddr::Domain((*name).into(), port),
                (_, Host::Domain(name)) => {
                    // Resolved here: each address in turn, as a direct connection tries them.
                    let mut last = None;
                    for addr in tokio::net::lookup_host((*name, port)).await? {
                        let tcp = tcp_to(&proxy_host, proxy_port).await?;
                        match socks5(tcp, tokio_socks::TargetAddr::Ip(addr), &credentials).await {
                            Ok(stream) => return Ok(stream),
                            Err(e) => last = Some(e),
                        }
                    }
                    return Err(last.unwrap_or_else(|| {
                        std::io::Error::new(std::io::ErrorKind::NotFound, format!("{name} has no address"))
                            .into()
                    }));
                }
                (_, Host::Ipv4(ip)) => tokio_socks::TargetAddr::Ip((*ip, port).into()),
                (_, Host::Ipv6(ip)) => tokio_socks::TargetAddr::Ip((*ip, port).into()),
            };
            let tcp = tcp_to(&proxy_host, proxy_port).await?;
            socks5(tcp, target, &credentials).await
        }
    }
}

/// Asks a SOCKS5 proxy, on `tcp`, for a stream to `target`.
async fn socks5(
    tcp: tokio::net::TcpStream,
    target: tokio_socks::TargetAddr<'_>,
    credentials: &Option<(String, String)>,
) -> Result<BoxedTransport> {
    use tokio_socks::tcp::Socks5Stream;
    let socks = match credentials {
        Some((user, password)) => {
            Socks5Stream::connect_with_password_and_socket(tcp, target, user, password).await
        }
        None => Socks5Stream::connect_with_socket(tcp, target).await,
    };
    // The tunnel is the TCP stream itself from here: it splits without a lock.
    Ok(Box::new(socks.map_err(socks_error)?.into_inner()))
}

/// A proxy URL, checked: a scheme we speak, a host, user info only as `user:password`.
fn parse_proxy(text: &str) -> Result<Url> {
    // `host:port` alone means an HTTP proxy, as curl takes it.
    let text = if text.contains("://") { text.to_owned() } else { format!("http://{text}") };
    let url = Url::parse(&text).map_err(|e| Error::InvalidUrl(format!("proxy URL: {e}").into()))?;
    if !matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") {
        let scheme = url.scheme();
        return Err(Error::InvalidUrl(
            format!("proxy scheme {scheme:?} is not http, https, socks5 or socks5h").into(),
        ));
    }
    if url.host().is_none() {
        return Err(Error::InvalidUrl("proxy URL without a host".into()));
    }
    if url.port_or_known_default().is_none() {
        return Err(Error::InvalidUrl("a SOCKS5 proxy URL needs a port".into()));
    }
    Ok(url)
}

/// The proxy the environment sets for `url`, if any: `HTTPS_PROXY` for wss, `HTTP_PROXY`
/// for ws, else `ALL_PROXY` (each lower-case first; in a CGI program only `http_proxy`),
/// unless `NO_PROXY` exempts the host.
/// `var` reads a variable (the process environment, or a test's).
pub(crate) fn from_env(url: &Url, var: &dyn Fn(&str) -> Option<String>) -> Result<Option<Url>> {
    // In a CGI program, `HTTP_PROXY` is the request's `Proxy:` header ("httpoxy"): as
    // reqwest does, only the lower-case name counts there.
    let cgi = var("REQUEST_METHOD").is_some();
    let get = |name: &str| {
        let upper = (!(cgi && name == "HTTP_PROXY")).then(|| name.to_owned());
        std::iter::once(name.to_ascii_lowercase())
            .chain(upper)
            .find_map(|n| var(&n).filter(|v| !v.trim().is_empty()))
    };
    let scheme = if url.scheme() == "wss" { "HTTPS_PROXY" } else { "HTTP_PROXY" };
    let Some(proxy) = get(scheme).or_else(|| get("ALL_PROXY")) else { return Ok(None) };
    if get("NO_PROXY").is_some_and(|list| exempt(url.host().expect("checked in websocket_url"), &list)) {
        return Ok(None);
    }
    parse_proxy(proxy.trim()).map(Some)
}

/// Whether `NO_PROXY`'s `list` exempts `host`: `*`, a domain (itself and every name under
/// it, with or without a leading dot), an IP address or a CIDR block; ports are ignored.
fn exempt(host: Host<&str>, list: &str) -> bool {
    let ip = match host {
        Host::Domain(_) => None,
        Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
    };
    list.split(',').map(str::trim).filter(|e| !e.is_empty()).any(|entry| {
        if entry == "*" {
            return true;
        }
        match (ip, &host) {
            (Some(ip), _) => ip_matches(ip, entry),
            (None, Host::Domain(name)) => {
                let entry = entry.trim_start_matches("*.").trim_start_matches('.');
                let entry = entry.rsplit_once(':').map_or(entry, |(name, _port)| name);
                let name = name.trim_end_matches('.');
                name.eq_ignore_ascii_case(entry)
                    || name.len() > entry.len()
                        && name.as_bytes()[name.len() - entry.len() - 1] == b'.'
                        && name[name.len() - entry.len()..].eq_ignore_ascii_case(entry)
            }
            (None, _) => false,
        }
    })
}

/// An IP address against a `NO_PROXY` entry: an address (`[::1]` or with a port too) or a
/// CIDR block.
fn ip_matches(ip: IpAddr, entry: &str) -> bool {
    let (base, bits) = match entry.split_once('/') {
        Some((base, bits)) => match bits.parse::<u32>() {
            Ok(bits) => (base, Some(bits)),
            Err(_) => return false,
        },
        None => (entry, None),
    };
    let base = base.trim_start_matches('[');
    let base = base.split_once(']').map_or(base, |(inside, _port)| inside);
    let parsed = base.parse::<IpAddr>().or_else(|e| {
        // An IPv4 address with a port.
        base.rsplit_once(':').map_or(Err(e), |(addr, _port)| addr.parse::<IpAddr>())
    });
    let Ok(base) = parsed else { return false };
    match (ip, base) {
        (IpAddr::V4(ip), IpAddr::V4(base)) => {
            prefix_eq(u32::from(ip).into(), u32::from(base).into(), bits, 32)
        }
        (IpAddr::V6(ip), IpAddr::V6(base)) => prefix_eq(u128::from(ip), u128::from(base), bits, 128),
        _ => false,
    }
}

/// Whether the first `bits` (all `width` if none) of two addresses are the same.
fn prefix_eq(a: u128, b: u128, bits: Option<u32>, width: u32) -> bool {
    let bits = bits.unwrap_or(width).min(width);
    let shift = width - bits;
    shift >= 128 || (a >> shift) == (b >> shift)
}

/// Asks an HTTP proxy for a tunnel to `url`'s host and port (`CONNECT`), on `stream`.
async fn connect_tunnel(
    mut stream: BoxedTransport,
    url: &Url,
    credentials: Option<(String, String)>,
) -> Result<BoxedTransport> {
    let authority = format!(
        "{}:{}",
        url.host_str().expect("checked in websocket_url"),
        url.port_or_known_default().expect("ws and wss have default ports")
    );
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some((user, password)) = credentials {
        let token = BASE64.encode(format!("{user}:{password}"));
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await?;
    stream.flush().await?;
    // Read byte-exact up to the end of the head: what follows belongs to the tunnel (and a
    // proxy may not send anything before we do).
    let mut head = BytesMut::with_capacity(256);
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_ANSWER_HEAD {
            return Err(Error::Proxy { status: None, reason: "the proxy's answer head is too large".into() });
        }
        if stream.read_buf(&mut (&mut head).limit(1)).await? == 0 {
            return Err(Error::Proxy { status: None, reason: "the proxy closed the connection".into() });
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut answer = httparse::Response::new(&mut headers);
    let status = match answer.parse(&head) {
        Ok(httparse::Status::Complete(_)) => answer.code.unwrap_or(0),
        _ => return Err(Error::Proxy { status: None, reason: "the proxy's answer is not HTTP".into() }),
    };
    match status {
        200..=299 => Ok(stream),
        407 => Err(Error::Proxy { status: Some(407), reason: "the proxy wants credentials (407)".into() }),
        _ => Err(Error::Proxy {
            status: Some(status),
            reason: format!("the proxy refused the tunnel ({status})").into(),
        }),
    }
}

fn socks_error(error: tokio_socks::Error) -> Error {
    match error {
        tokio_socks::Error::Io(e) => Error::Io(e),
        other => Error::Proxy { status: None, reason: format!("SOCKS5: {other}").into() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy_for(url: &str, vars: &[(&str, &str)]) -> Option<String> {
        let url = Url::parse(url).unwrap();
        let var = |name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string());
        from_env(&url, &var).unwrap().map(|u| u.to_string())
    }

    #[test]
    fn the_environment_chooses_by_scheme_lower_case_first() {
        let vars = [
            ("HTTP_PROXY", "http://upper:1"),
            ("http_proxy", "http://lower:2"),
            ("HTTPS_PROXY", "socks5h://tls:3"),
            ("ALL_PROXY", "socks5://all:4"),
        ];
        assert_eq!(proxy_for("ws://a.test/", &vars).as_deref(), Some("http://lower:2/"));
        assert_eq!(proxy_for("wss://a.test/", &vars).as_deref(), Some("socks5h://tls:3"));
        assert_eq!(proxy_for("ws://a.test/", &vars[3..]).as_deref(), Some("socks5://all:4"));
        assert_eq!(proxy_for("ws://a.test/", &[("http_proxy", " ")]), None);
        assert_eq!(
            proxy_for("ws://a.test/", &[("HTTP_PROXY", "proxy.test:3128")]).as_deref(),
            Some("http://proxy.test:3128/")
        );
        assert_eq!(proxy_for("ws://a.test/", &[]), None);
        // httpoxy: a CGI request's `Proxy:` header arrives as HTTP_PROXY.
        assert_eq!(
            proxy_for("ws://a.test/", &[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://evil:1")]),
            None
        );
        let cgi = [("REQUEST_METHOD", "GET"), ("http_proxy", "http://mine:1")];
        assert_eq!(proxy_for("ws://a.test/", &cgi).as_deref(), Some("http://mine:1/"));
    }

    #[test]
    fn no_proxy_exempts_suffixes_ips_blocks_and_everything() {
        for (url, list, exempted) in [
            ("ws://example.com/", "example.com", true),
            ("ws://api.example.com/", "example.com", true),
            ("ws://api.example.com/", ".example.com", true),
            ("ws://API.Example.COM/", "*.example.com", true),
            ("ws://badexample.com/", "example.com", false),
            ("ws://example.com/", "other.test, example.com:443", true),
            ("ws://127.0.0.1:9/", "127.0.0.1", true),
            ("ws://127.0.0.1:9/", "127.0.0.1:9", true),
            ("ws://127.0.0.2/", "127.0.0.0/8", true),
            ("ws://10.0.0.1/", "127.0.0.0/8", false),
            ("ws://[::1]:9/", "::1", true),
            ("ws://[::1]:9/", "[::1]:9", true),
            ("ws://[fd00::5]/", "fd00::/8", true),
            ("ws://[::1]/", "127.0.0.1", false),
            ("ws://anything.test/", "*", true),
            ("ws://anything.test/", "", false),
        ] {
            let vars = [("ALL_PROXY", "http://p:1"), ("no_proxy", list)];
            assert_eq!(proxy_for(url, &vars).is_none(), exempted, "{url} with NO_PROXY={list:?}");
        }
    }

    #[test]
    fn bad_proxy_urls_are_typed_errors() {
        for bad in ["ftp://p:1", "http://", "socks5://p", "://"] {
            let error = parse_proxy(bad).unwrap_err();
            assert!(matches!(error, Error::InvalidUrl(_)), "{bad}: {error:?}");
        }
        assert!(parse_proxy("socks5h://user:pw@p:1080").is_ok());
    }
}
