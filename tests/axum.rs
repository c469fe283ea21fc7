//! A real axum 0.8 application with HTTP routes and uniws WebSockets on one port (feature
//! `axum`), and a plain hyper 1 server through `uniws::hyper::upgrade`: driven by uniws's
//! client, by hand-written requests (exact statuses of Origin and authentication refusals and
//! of bad upgrades) and by Python `websockets`.

use uniws_test_support::python;
use uniws_test_support::raw;

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use raw::{raw_request, raw_upgrade_to, status_of, upgrade_request};
use uniws::axum::WebSocketUpgrade;
use uniws::{
    ConnectOptions, DeflateOptions, Error, Message, MessageType, OriginAllowList, Refusal, ServerOptions,
    WebSocket, connect,
};
use uniws_test_support::{bind, within};

const PY_CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/py_client.py");

/// Echoes whole messages until the close.
async fn echo(mut ws: WebSocket) {
    while let Ok(message) = ws.recv_all(1 << 20).await {
        match message.message_type() {
            MessageType::Close => break,
            MessageType::Ping | MessageType::Pong => {}
            MessageType::Text | MessageType::Binary => {
                if ws.send_all(message).await.is_err() {
                    break;
                }
            }
        }
    }
}

fn options() -> ServerOptions {
    ServerOptions::new()
        .select_protocol(|offered| offered.iter().find(|p| *p == "chat").cloned())
        .max_frame_size(64 * 1024)
}

/// `/ws`: the echo, for no Origin or `https://app.example`.
async fn ws_route(State(origins): State<Arc<OriginAllowList>>, upgrade: WebSocketUpgrade) -> Response {
    if let Err(refusal) = upgrade.check(|request| origins.check(request)) {
        return refusal.into_response();
    }
    upgrade.options(options()).on_upgrade(echo)
}

/// `/private`: 401 without the bearer token; with it, greets the user.
async fn private_route(upgrade: WebSocketUpgrade) -> Response {
    let user = upgrade.check(|request| match request.header("authorization") {
        Some("Bearer s3cret") => Ok("alice"),
        _ => Err(Refusal::unauthorized("Bearer realm=\"private\"")),
    });
    match user {
        Ok(user) => upgrade.on_upgrade(move |mut ws| async move {
            let _ = ws.send(Message::text(format!("hello {user}"))).await;
            let _ = ws.close(1000, "").await;
        }),
        Err(refusal) => refusal.into_response(),
    }
}

/// The application on a free port of 127.0.0.1.
async fn app() -> SocketAddr {
    let origins = Arc::new(OriginAllowList::new(["https://app.example"]).unwrap().allow_missing(true));
    let app = Router::new()
        .route("/", get(|| async { "hello from axum" }))
        .route("/ws", get(ws_route))
        .route("/private", get(private_route))
        .with_state(origins);
    let (listener, addr) = bind().await;
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test]
async fn http_routes_and_uniws_websockets_share_one_port() {
    let addr = app().await;
    let response =
        raw_request(addr, &format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")).await;
    assert_eq!(status_of(&response), Some(200), "{response}");
    assert!(response.ends_with("hello from axum"), "{response}");

    let client = ConnectOptions::new().protocol("other, chat").max_frame_size(64 * 1024);
    let mut ws = within(connect(&format!("ws://{addr}/ws"), &client)).await.unwrap();
    assert_eq!(ws.protocol(), Some("chat"));
    assert!(ws.extensions().is_some_and(|e| e.starts_with("permessage-deflate")), "{:?}", ws.extensions());
    within(ws.send(Message::text("hello"))).await.unwrap();
    assert_eq!(within(ws.recv_all(1 << 20)).await.unwrap().as_text(), Some("hello"));
    let big = Message::binary((0..200_000u32).map(|i| (i * 7 % 251) as u8).collect::<Vec<_>>());
    within(ws.send_all(big.clone())).await.unwrap();
    let echo = within(ws.recv_all(1 << 20)).await.unwrap();
    assert!(echo.data() == big.data(), "the echo of 200,000 bytes differs ({} bytes)", echo.len());
    within(ws.close(1000, "bye")).await.unwrap();
}

/// The options' frame limit is the one in force behind axum: the server's 64 KiB frames cut
/// its echo, and a frame larger than that is still taken by its `recv_all`, whose limit is
/// the message's.
#[tokio::test]
async fn the_options_frame_limit_holds_behind_axum() {
    let addr = app().await;
    let client = ConnectOptions::new().max_frame_size(4 << 20).deflate(DeflateOptions::disabled());
    let mut ws = within(connect(&format!("ws://{addr}/ws"), &client)).await.unwrap();
    within(ws.send(Message::binary(vec![1u8; 100_000]))).await.unwrap();
    let first = within(ws.recv()).await.unwrap();
    assert_eq!((first.len(), first.is_partial()), (64 * 1024, true));
    let rest = within(ws.recv()).await.unwrap();
    assert_eq!((rest.len(), rest.is_partial()), (100_000 - 64 * 1024, false));
    within(ws.close(1000, "bye")).await.unwrap();
}

#[tokio::test]
async fn origins_and_authentication_are_refused_with_their_exact_status() {
    let addr = app().await;
    for (origin, status) in [
        ("", 101),
        ("Origin: https://app.example\r\n", 101),
        ("Origin: HTTPS://APP.EXAMPLE:443\r\n", 101),
        ("Origin: null\r\n", 403),
        ("Origin: https://app.example.evil.com\r\n", 403),
        ("Origin: http://app.example\r\n", 403),
        ("Origin: https://app.example:444\r\n", 403),
    ] {
        let response = raw_upgrade_to(addr, "/ws", origin).await;
        assert_eq!(status_of(&response), Some(status), "{origin:?}: {response}");
    }
    let response = raw_upgrade_to(addr, "/private", "").await;
    assert_eq!(status_of(&response), Some(401), "{response}");
    assert!(
        response.to_ascii_lowercase().contains("\r\nwww-authenticate: bearer realm=\"private\"\r\n"),
        "{response}"
    );
    let err = within(connect(&format!("ws://{addr}/private"), &ConnectOptions::new())).await.unwrap_err();
    assert!(matches!(err, Error::Handshake { status: Some(401), .. }), "{err:?}");

    let client = ConnectOptions::new().bearer_auth("s3cret");
    let mut ws = within(connect(&format!("ws://{addr}/private"), &client)).await.unwrap();
    assert_eq!(within(ws.recv()).await.unwrap().as_text(), Some("hello alice"));
}

#[tokio::test]
async fn bad_upgrades_are_refused_by_the_extractor_with_the_statuses_of_our_server() {
    let addr = app().await;
    let with_body = upgrade_request(addr, "/ws", "Content-Length: 6\r\n") + "\u{81}\u{80}\0\0\0\0";
    let response = raw_request(addr, &with_body).await;
    assert_eq!(status_of(&response), Some(400), "{response}");
    let version_8 = upgrade_request(addr, "/ws", "").replace("Version: 13", "Version: 8");
    let response = raw_request(addr, &version_8).await;
    assert_eq!(status_of(&response), Some(426), "{response}");
    assert!(response.contains("sec-websocket-version: 13\r\n"), "{response}");
    // A subprotocol the selection refuses.
    let response = raw_upgrade_to(addr, "/ws", "Sec-WebSocket-Protocol: nope\r\n").await;
    assert_eq!(status_of(&response), Some(400), "{response}");
}

/// A plain hyper 1 server: `uniws::hyper::upgrade` on every request, refusals as responses.
async fn hyper_server() -> SocketAddr {
    let (listener, addr) = bind().await;
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { continue };
            let service =
                hyper::service::service_fn(|mut request: hyper::Request<hyper::body::Incoming>| async move {
                    let response = match uniws::hyper::upgrade(&mut request, &options()) {
                        Ok((response, pending)) => {
                            tokio::spawn(async move {
                                if let Ok(mut ws) = pending.await {
                                    // hyper's TCP stream became the socket's own: it knows
                                    // the peer's address.
                                    let known = format!("peer known: {}", ws.peer_addr().is_some());
                                    if ws.send(Message::text(known)).await.is_ok() {
                                        echo(ws).await;
                                    }
                                }
                            });
                            response
                        }
                        Err(refusal) => refusal.into(),
                    };
                    Ok::<_, std::convert::Infallible>(response)
                });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
                .with_upgrades();
            tokio::spawn(connection);
        }
    });
    addr
}

#[tokio::test]
async fn the_hyper_function_upgrades_with_the_same_options_and_refusals() {
    let addr = hyper_server().await;
    let client = ConnectOptions::new().protocol("chat").max_frame_size(64 * 1024);
    let mut ws = within(connect(&format!("ws://{addr}/any"), &client)).await.unwrap();
    assert_eq!(ws.protocol(), Some("chat"));
    assert_eq!(within(ws.recv()).await.unwrap().as_text(), Some("peer known: true"));
    assert!(ws.extensions().is_some());
    within(ws.send_all(Message::text("x".repeat(100_000)))).await.unwrap();
    assert_eq!(within(ws.recv_all(1 << 20)).await.unwrap().len(), 100_000);
    within(ws.close(1000, "")).await.unwrap();

    let response = raw_request(addr, &format!("GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n")).await;
    assert_eq!(status_of(&response), Some(400), "{response}");
    let response = raw_request(addr, &upgrade_request(addr, "/", "").replacen("GET", "POST", 1)).await;
    assert_eq!(status_of(&response), Some(405), "{response}");
    assert!(response.contains("allow: GET\r\n"), "{response}");
}

/// Runs Python's client (`tests/interop/py_client.py`) with `args`; its stdout lines.
async fn python_client(args: &[String]) -> Vec<String> {
    let output = within(
        tokio::process::Command::new(python::python())
            .arg(PY_CLIENT)
            .args(args)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    stdout.lines().map(str::to_owned).collect()
}

#[tokio::test]
async fn python_websockets_talks_to_the_axum_application() {
    let addr = app().await;
    let args = [
        format!("ws://{addr}/ws"),
        "--protocol".into(),
        "chat".into(),
        "extensions".into(),
        format!("text:{}", hex(b"hello axum")),
        "fragmented:300000:65536".into(),
        "close:1000:bye".into(),
    ];
    let lines = python_client(&args).await;
    assert_eq!(lines[0], "open chat", "{lines:?}");
    assert!(lines[1].starts_with("extensions permessage-deflate"), "{lines:?}");
    assert_eq!(lines[2], format!("text {}", hex(b"hello axum")), "{lines:?}");
    assert_eq!(lines[3], "echo binary 300000 equal", "{lines:?}");
    assert!(lines[4].starts_with("closed 1000"), "{lines:?}");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
