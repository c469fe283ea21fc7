//! What a dependent does first with TLS: a `rustls::ServerConfig` and `ClientConfig` from
//! rustls's own builders (the process-level provider, which only works when one provider is
//! compiled in), a uniws TLS server and a `wss://` client, one echo. Exits 0 on success;
//! a hang is cut by the deadline and fails with its name.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use uniws::{ConnectOptions, Message, WebSocket, connect, request_handler};

#[tokio::main]
async fn main() {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("a certificate");
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
    // rustls's own builders: they panic when two providers are compiled in.
    let server = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key.into())
        .expect("a server config");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).expect("the certificate as a root");
    let client = rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let port = listener.local_addr().expect("its address").port();
    let handler = request_handler(
        |mut ws: WebSocket| async move {
            while let Ok(message) = ws.recv_all(1 << 20).await {
                if message.message_type().is_control() || ws.send_all(message).await.is_err() {
                    break;
                }
            }
        },
        |_: &[String]| None,
        1 << 20,
    );
    tokio::spawn(handler.serve_tls(listener, Arc::new(server)));
    let echo = async {
        let options = ConnectOptions::new().tls_config(Arc::new(client));
        let mut ws = connect(&format!("wss://localhost:{port}/"), &options).await.expect("connect");
        ws.send(Message::text("through TLS")).await.expect("send");
        let echo = ws.recv_all(1 << 20).await.expect("the echo");
        assert_eq!(echo.as_text(), Some("through TLS"));
        ws.close(1000, "").await.expect("close");
    };
    tokio::time::timeout(Duration::from_secs(60), echo).await.expect("the wss echo hung");
    println!("dependent smoke: a default rustls beside uniws, TLS server and client: ok");
}
