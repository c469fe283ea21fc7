//! `wss://` over real sockets on 127.0.0.1 with certificates made in the test by rcgen (a CA
//! and server certificates it signs): round trips of text and binary to `localhost` and to
//! the IP address, `https` mapped to `wss`, and every way TLS must fail — a certificate for
//! another host, an untrusted self-signed one, an expired one, TLS to a plain server — as
//! `Error::Tls`; a plain client and a silent client against a TLS server, which goes on
//! serving; the connect timeout over TLS; redirects within `wss` followed and from `wss` down
//! to `ws` refused; and the errors' one-line `Display`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use uniws_test_support::{bind, within};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{CertificateError, ClientConfig, RootCertStore, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use uniws::{ConnectOptions, Error, Message, ServerOptions, WebSocket, connect, request_handler};

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    uniws::crypto_provider()
}

// ---- certificates ----

/// A certificate authority made for one test.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
    der: CertificateDer<'static>,
}

impl Ca {
    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        params.distinguished_name.push(DnType::CommonName, "uniws test CA");
        let key = KeyPair::generate().unwrap();
        let der = params.self_signed(&key).unwrap().der().clone();
        Self { issuer: Issuer::new(params, key), der }
    }

    /// A server certificate for `names` (DNS names or IP addresses) signed by this CA, with
    /// `adjust` applied to its parameters first.
    fn issue(&self, names: &[&str], adjust: impl FnOnce(&mut CertificateParams)) -> Identity {
        let mut params = server_params(names);
        adjust(&mut params);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Identity { chain: vec![cert.der().clone()], key: pkcs8(&key) }
    }

    /// A client configuration trusting only this CA.
    fn client_config(&self) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots.add(self.der.clone()).unwrap();
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }
}

/// A certificate chain and its private key.
struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Identity {
    /// A self-signed certificate for `names`, trusted by nobody.
    fn self_signed(names: &[&str]) -> Self {
        let key = KeyPair::generate().unwrap();
        let cert = server_params(names).self_signed(&key).unwrap();
        Self { chain: vec![cert.der().clone()], key: pkcs8(&key) }
    }

    fn server_config(self) -> Arc<ServerConfig> {
        let config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(self.chain, self.key)
            .unwrap();
        Arc::new(config)
    }
}

fn server_params(names: &[&str]) -> CertificateParams {
    let mut params =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params
}

fn pkcs8(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

// ---- servers ----

/// A uniws `wss` echo server that picks the first subprotocol offered.
async fn wss_echo_server(config: Arc<ServerConfig>) -> SocketAddr {
    let (listener, addr) = bind().await;
    let handler = request_handler(echo, |offered: &[String]| offered.first().cloned(), 1 << 20);
    tokio::spawn(handler.serve_tls(listener, config));
    addr
}

async fn echo(mut ws: WebSocket) {
    while let Ok(message) = ws.recv_all(16 << 20).await {
        if message.message_type().is_control() {
            continue;
        }
        if ws.send_all(message).await.is_err() {
            break;
        }
    }
}

/// A TLS server written by hand: each request head is answered with `answer(head)`.
async fn tls_fake_server(
    config: Arc<ServerConfig>,
    answer: impl Fn(&str) -> String + Send + Sync + 'static,
) -> (SocketAddr, Arc<AtomicUsize>) {
    let (listener, addr) = bind().await;
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    let answer = Arc::new(answer);
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let (acceptor, answer, counted) = (acceptor.clone(), answer.clone(), counted.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match tls.read(&mut byte).await {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                counted.fetch_add(1, Ordering::SeqCst);
                let response = answer(&String::from_utf8_lossy(&head));
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.flush().await;
                tokio::time::sleep(Duration::from_millis(500)).await;
            });
        }
    });
    (addr, requests)
}

// ---- helpers for the client's side ----

async fn connect_err(url: &str, options: &ConnectOptions) -> Error {
    match within(connect(url, options)).await {
        Ok(ws) => panic!("connect to {url} succeeded: {ws:?}"),
        Err(e) => e,
    }
}

/// The rustls error inside an `Error::Tls`.
fn rustls_error(err: &Error) -> &rustls::Error {
    match err {
        Error::Tls(inner) => inner.downcast_ref::<rustls::Error>().unwrap_or_else(|| panic!("{inner:?}")),
        other => panic!("expected Error::Tls, got {other:?}"),
    }
}

fn assert_one_line(err: &Error, prefix: &str) {
    let text = err.to_string();
    assert!(text.starts_with(prefix), "{text:?} does not start with {prefix:?}");
    assert!(!text.contains('\n') && !text.contains('\r'), "{text:?}");
    assert!(text.len() > prefix.len() + 5 && text.len() < 300, "{text:?}");
}

// ---- tests ----

#[tokio::test]
async fn wss_round_trips_text_and_binary_to_localhost_and_to_the_ip() {
    let ca = Ca::new();
    let addr = wss_echo_server(ca.issue(&["localhost", "127.0.0.1"], |_| {}).server_config()).await;
    let options = ConnectOptions::new().tls_config(ca.client_config()).protocol("chat");
    for url in [format!("wss://localhost:{}/", addr.port()), format!("wss://{addr}/echo")] {
        let mut ws = within(connect(&url, &options)).await.unwrap();
        assert_eq!(ws.protocol(), Some("chat"), "{url}");
        let text = Message::text("hello over TLS ✓");
        within(ws.send(text.clone())).await.unwrap();
        assert_eq!(within(ws.recv()).await.unwrap(), text, "{url}");
        let binary = Message::binary((0..=255u8).collect::<Vec<_>>());
        within(ws.send(binary.clone())).await.unwrap();
        assert_eq!(within(ws.recv()).await.unwrap(), binary, "{url}");
        // Larger than one frame and than TLS records: cut up and put back together.
        let big: Vec<u8> = (0..3 * 1024 * 1024 + 7).map(|i| (i % 251) as u8).collect();
        within(ws.send_all(Message::binary(big.clone()))).await.unwrap();
        let echoed = within(ws.recv_all(16 << 20)).await.unwrap();
        assert_eq!(echoed.data(), &big[..], "{url}");
        within(ws.close(1000, "bye")).await.unwrap();
    }
}

#[tokio::test]
async fn https_urls_are_mapped_to_wss() {
    let ca = Ca::new();
    let addr = wss_echo_server(ca.issue(&["localhost"], |_| {}).server_config()).await;
    let options = ConnectOptions::new().tls_config(ca.client_config());
    let mut ws = within(connect(&format!("https://localhost:{}/", addr.port()), &options)).await.unwrap();
    within(ws.send(Message::text("via https"))).await.unwrap();
    assert_eq!(within(ws.recv()).await.unwrap(), Message::text("via https"));
}

#[tokio::test]
async fn a_certificate_for_another_host_is_a_tls_error() {
    let ca = Ca::new();
    let addr = wss_echo_server(ca.issue(&["example.org"], |_| {}).server_config()).await;
    let options = ConnectOptions::new().tls_config(ca.client_config());
    for url in [format!("wss://localhost:{}/", addr.port()), format!("wss://{addr}/")] {
        let err = connect_err(&url, &options).await;
        match rustls_error(&err) {
            rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            ) => {}
            other => panic!("{url}: expected a name mismatch, got {other:?}"),
        }
        assert_one_line(&err, "TLS error: ");
    }
}

#[tokio::test]
async fn an_untrusted_self_signed_certificate_fails_with_the_default_roots() {
    let addr = wss_echo_server(Identity::self_signed(&["localhost", "127.0.0.1"]).server_config()).await;
    let err = connect_err(&format!("wss://localhost:{}/", addr.port()), &ConnectOptions::new()).await;
    assert!(
        matches!(rustls_error(&err), rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        "{err:?}"
    );
    assert_one_line(&err, "TLS error: ");
    // Nor does trusting some other CA help.
    let options = ConnectOptions::new().tls_config(Ca::new().client_config());
    let err = connect_err(&format!("wss://{addr}/"), &options).await;
    assert!(
        matches!(rustls_error(&err), rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_expired_certificate_is_a_tls_error() {
    let ca = Ca::new();
    let identity = ca.issue(&["localhost", "127.0.0.1"], |params| {
        params.not_before = date_time_ymd(2000, 1, 1);
        params.not_after = date_time_ymd(2001, 1, 1);
    });
    let addr = wss_echo_server(identity.server_config()).await;
    let options = ConnectOptions::new().tls_config(ca.client_config());
    let err = connect_err(&format!("wss://localhost:{}/", addr.port()), &options).await;
    match rustls_error(&err) {
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => {}
        other => panic!("expected an expired certificate, got {other:?}"),
    }
    assert_one_line(&err, "TLS error: ");
}

#[tokio::test]
async fn wss_to_a_plain_server_is_a_tls_error() {
    let (listener, addr) = bind().await;
    tokio::spawn(request_handler(echo, |_: &[String]| None, 1 << 20).serve(listener));
    let options = ConnectOptions::new().tls_config(Ca::new().client_config());
    let err = connect_err(&format!("wss://{addr}/"), &options).await;
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
    assert_one_line(&err, "TLS error: ");
}

#[tokio::test]
async fn a_plain_client_fails_against_a_tls_server_which_goes_on_serving() {
    let ca = Ca::new();
    let addr = wss_echo_server(ca.issue(&["localhost"], |_| {}).server_config()).await;
    let result = within(connect(&format!("ws://{addr}/"), &ConnectOptions::new())).await;
    assert!(matches!(result, Err(Error::Handshake { .. } | Error::Io(_))), "{result:?}");
    let options = ConnectOptions::new().tls_config(ca.client_config());
    let mut ws = within(connect(&format!("wss://localhost:{}/", addr.port()), &options)).await.unwrap();
    within(ws.send(Message::text("still serving"))).await.unwrap();
    assert_eq!(within(ws.recv()).await.unwrap(), Message::text("still serving"));
}

#[tokio::test]
async fn a_silent_client_is_dropped_by_the_tls_server_at_the_handshake_timeout() {
    let ca = Ca::new();
    let (listener, addr) = bind().await;
    let handler = ServerOptions::new().handshake_timeout(Duration::from_millis(300)).handler(echo);
    tokio::spawn(handler.serve_tls(listener, ca.issue(&["localhost"], |_| {}).server_config()));
    let started = Instant::now();
    let mut silent = within(TcpStream::connect(addr)).await.unwrap();
    let mut rest = Vec::new();
    // Without the deadline the server would wait for a ClientHello for ever: this would hang.
    let _ = within(silent.read_to_end(&mut rest)).await;
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(250), "{elapsed:?}");
    // And the server goes on.
    let options = ConnectOptions::new().tls_config(ca.client_config());
    let ws = within(connect(&format!("wss://localhost:{}/", addr.port()), &options)).await;
    assert!(ws.is_ok(), "{ws:?}");
}

#[tokio::test]
async fn the_connect_timeout_covers_the_tls_handshake() {
    // The TCP handshake completes on the backlog; no ServerHello ever comes.
    let (listener, addr) = bind().await;
    let options =
        ConnectOptions::new().tls_config(Ca::new().client_config()).timeout(Duration::from_millis(300));
    let started = Instant::now();
    let err = connect_err(&format!("wss://{addr}/"), &options).await;
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(started.elapsed() >= Duration::from_millis(250), "{:?}", started.elapsed());
    assert_eq!(err.to_string(), "timed out");
    drop(listener);
}

#[tokio::test]
async fn a_redirect_from_wss_to_ws_is_refused() {
    let ca = Ca::new();
    // A plain server that must never see the client.
    let (plain, plain_addr) = bind().await;
    let (addr, requests) = tls_fake_server(ca.issue(&["localhost"], |_| {}).server_config(), move |_| {
        format!("HTTP/1.1 302 Found\r\nLocation: ws://{plain_addr}/\r\nContent-Length: 0\r\n\r\n")
    })
    .await;
    let options = ConnectOptions::new().tls_config(ca.client_config()).max_redirects(3);
    let err = connect_err(&format!("wss://localhost:{}/", addr.port()), &options).await;
    assert!(matches!(err, Error::Handshake { status: Some(302), .. }), "{err:?}");
    assert_one_line(&err, "handshake failed (HTTP 302): ");
    assert!(err.to_string().contains("wss"), "{err}");
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    let downgraded = timeout(Duration::from_millis(200), plain.accept()).await;
    assert!(downgraded.is_err(), "the client followed a redirect from wss to ws");

    // An http:// Location is a downgrade too.
    let (addr, _) = tls_fake_server(ca.issue(&["localhost"], |_| {}).server_config(), move |_| {
        format!("HTTP/1.1 301 Moved Permanently\r\nLocation: http://{plain_addr}/\r\n\r\n")
    })
    .await;
    let err = connect_err(&format!("wss://localhost:{}/", addr.port()), &options).await;
    assert!(matches!(err, Error::Handshake { status: Some(301), .. }), "{err:?}");
    let downgraded = timeout(Duration::from_millis(200), plain.accept()).await;
    assert!(downgraded.is_err(), "the client followed a redirect from wss to http");
}

#[tokio::test]
async fn redirects_within_wss_are_followed() {
    let ca = Ca::new();
    let echo_addr = wss_echo_server(ca.issue(&["localhost"], |_| {}).server_config()).await;
    let echo_port = echo_addr.port();
    let (addr, requests) = tls_fake_server(ca.issue(&["localhost"], |_| {}).server_config(), move |_| {
        format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: wss://localhost:{echo_port}/x\r\n\r\n")
    })
    .await;
    let options = ConnectOptions::new().tls_config(ca.client_config()).max_redirects(1);
    let mut ws = within(connect(&format!("wss://localhost:{}/", addr.port()), &options)).await.unwrap();
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    within(ws.send(Message::binary(&b"\x00\x01redirected"[..]))).await.unwrap();
    assert_eq!(within(ws.recv()).await.unwrap(), Message::binary(&b"\x00\x01redirected"[..]));

    // A relative Location stays on wss (and on the same server).
    let (addr, requests) = tls_fake_server(ca.issue(&["localhost"], |_| {}).server_config(), move |head| {
        if head.starts_with("GET /next ") {
            let key = head
                .split("\r\n")
                .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
                .expect("the request has a key");
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: {}\r\n\r\n",
                uniws::proto::handshake::accept_key(key)
            )
        } else {
            "HTTP/1.1 302 Found\r\nLocation: /next\r\n\r\n".to_owned()
        }
    })
    .await;
    within(connect(&format!("wss://localhost:{}/", addr.port()), &options)).await.unwrap();
    assert_eq!(requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn one_tls_config_serves_many_connections() {
    let ca = Ca::new();
    let addr = wss_echo_server(ca.issue(&["localhost"], |_| {}).server_config()).await;
    let options = ConnectOptions::new().tls_config(ca.client_config());
    let url = format!("wss://localhost:{}/", addr.port());
    let mut sockets = Vec::new();
    for i in 0..4 {
        let mut ws = within(connect(&url, &options)).await.unwrap();
        within(ws.send(Message::text(format!("n{i}")))).await.unwrap();
        sockets.push(ws);
    }
    for (i, ws) in sockets.iter_mut().enumerate() {
        assert_eq!(within(ws.recv()).await.unwrap(), Message::text(format!("n{i}")));
    }
}
