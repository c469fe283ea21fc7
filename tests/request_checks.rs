//! Request checks before the 101 on uniws's own server, over real sockets on 127.0.0.1: what
//! a check sees (method, target, headers, peer address), refusals with their exact status,
//! headers and body (401 with `WWW-Authenticate`, 403, 503), the accepted value handed to
//! the handler, and the Origin allow-list against look-alikes.

use uniws_test_support::raw;

use raw::{raw_upgrade_to, status_of};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use uniws_test_support::{bind, within};

use uniws::{ConnectOptions, Error, Message, OriginAllowList, Refusal, ServerOptions, WebSocket, connect};

/// A server whose check wants `Authorization: Bearer s3cret` (401 otherwise), refuses
/// `/full` with 503 and hands the user's name to a handler that greets it.
async fn auth_server() -> SocketAddr {
    let (listener, addr) = bind().await;
    let handler = ServerOptions::new().checked_handler(
        |request| {
            if request.target() == "/full" {
                return Err(Refusal::unavailable("try later").header("Retry-After", "5"));
            }
            match request.header("authorization") {
                Some("Bearer s3cret") => Ok("alice".to_owned()),
                _ => Err(Refusal::unauthorized("Bearer realm=\"chat\"").body("who are you?")),
            }
        },
        |mut ws: WebSocket, user: String| async move {
            let _ = ws.send(Message::text(format!("hello {user}"))).await;
            let _ = ws.close(1000, "").await;
        },
    );
    tokio::spawn(handler.serve(listener));
    addr
}

#[tokio::test]
async fn a_check_refuses_with_401_and_a_challenge_or_503_and_accepts_with_a_value() {
    let addr = auth_server().await;
    let response = raw_upgrade_to(addr, "/", "").await;
    assert_eq!(status_of(&response), Some(401), "{response}");
    assert!(response.contains("\r\nWWW-Authenticate: Bearer realm=\"chat\"\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\nwho are you?"), "{response}");

    let response = raw_upgrade_to(addr, "/", "Authorization: Bearer wrong\r\n").await;
    assert_eq!(status_of(&response), Some(401), "{response}");

    let err = within(connect(&format!("ws://{addr}/full"), &ConnectOptions::new())).await.unwrap_err();
    assert!(matches!(err, Error::Handshake { status: Some(503), .. }), "{err:?}");
    let response = raw_upgrade_to(addr, "/full", "").await;
    assert!(response.contains("\r\nRetry-After: 5\r\n") && response.ends_with("try later"), "{response}");

    let options = ConnectOptions::new().bearer_auth("s3cret");
    let mut ws = within(connect(&format!("ws://{addr}/"), &options)).await.unwrap();
    assert_eq!(within(ws.recv()).await.unwrap().as_text(), Some("hello alice"));
}

#[tokio::test]
async fn a_check_sees_the_method_target_headers_and_peer_address() {
    let (listener, addr) = bind().await;
    let seen = Arc::new(Mutex::new(None));
    let record = seen.clone();
    let server = tokio::spawn(async move {
        let (tcp, peer) = listener.accept().await.unwrap();
        let accepted = ServerOptions::new()
            .accept_with(tcp, move |request| {
                *record.lock().unwrap() = Some((
                    request.method().to_owned(),
                    request.target().to_owned(),
                    request.header("x-custom").map(str::to_owned),
                    request.headers().get_all("cookie").count(),
                    request.protocols().to_vec(),
                    request.peer_addr(),
                ));
                Ok(42)
            })
            .await;
        (accepted.map(|(_, state)| state), peer)
    });
    let options = ConnectOptions::new().header("X-Custom", "yes").cookie("a", "1").protocol("chat");
    let _ws = within(connect(&format!("ws://{addr}/room?x=1"), &options)).await;
    let (state, peer) = within(server).await.unwrap();
    assert_eq!(state.unwrap(), 42);
    let seen = seen.lock().unwrap().clone().unwrap();
    assert_eq!(
        seen,
        (
            "GET".to_owned(),
            "/room?x=1".to_owned(),
            Some("yes".to_owned()),
            1,
            vec!["chat".to_owned()],
            Some(peer)
        )
    );
}

/// A server that allows `https://app.example` and `http://localhost:8080`, and requests
/// without Origin when `allow_missing`.
async fn origin_server(allow_missing: bool) -> SocketAddr {
    let (listener, addr) = bind().await;
    let origins = OriginAllowList::new(["https://app.example", "http://localhost:8080"])
        .unwrap()
        .allow_missing(allow_missing);
    let handler = ServerOptions::new()
        .checked_handler(move |request| origins.check(request), |ws: WebSocket, ()| async move { drop(ws) });
    tokio::spawn(handler.serve(listener));
    addr
}

#[tokio::test]
async fn the_origin_allow_list_admits_exact_origins_and_refuses_look_alikes_with_403() {
    let addr = origin_server(false).await;
    for allowed in [
        "https://app.example",
        "HTTPS://APP.EXAMPLE",
        "https://app.example:443",
        "http://localhost:8080",
        "http://LocalHost:8080",
    ] {
        let response = raw_upgrade_to(addr, "/", &format!("Origin: {allowed}\r\n")).await;
        assert_eq!(status_of(&response), Some(101), "{allowed}: {response}");
    }
    for refused in [
        "null",
        "https://app.example.evil.com",
        "https://evil.com/app.example",
        "https://evilapp.example",
        "http://app.example",
        "https://app.example:8443",
        "wss://app.example",
        "https://app.example/",
        "https://app.example/path",
        "https://user@app.example",
        "http://localhost",
        "http://localhost:80",
        "http://127.0.0.1:8080",
        "app.example",
        "",
    ] {
        let response = raw_upgrade_to(addr, "/", &format!("Origin: {refused}\r\n")).await;
        assert_eq!(status_of(&response), Some(403), "{refused:?}: {response}");
    }
    // Two Origin headers, and none at all (not allowed by this server).
    let response =
        raw_upgrade_to(addr, "/", "Origin: https://app.example\r\nOrigin: https://evil.com\r\n").await;
    assert_eq!(status_of(&response), Some(403), "{response}");
    let response = raw_upgrade_to(addr, "/", "").await;
    assert_eq!(status_of(&response), Some(403), "{response}");

    let lenient = origin_server(true).await;
    let response = raw_upgrade_to(lenient, "/", "").await;
    assert_eq!(status_of(&response), Some(101), "{response}");
    let response = raw_upgrade_to(lenient, "/", "Origin: null\r\n").await;
    assert_eq!(status_of(&response), Some(403), "{response}");
}

#[test]
fn an_allow_list_entry_that_is_not_an_origin_is_an_error() {
    for bad in ["null", "app.example", "https://app.example/path", "not a url"] {
        assert!(matches!(OriginAllowList::new([bad]), Err(Error::InvalidUrl(_))), "{bad}");
    }
}

#[tokio::test]
async fn a_refusal_header_with_a_line_break_is_left_out_rather_than_splitting_the_response() {
    let (listener, addr) = bind().await;
    let handler = ServerOptions::new().checked_handler(
        |_: &uniws::Request<'_>| -> Result<(), Refusal> {
            Err(Refusal::new(403)
                .header("X-Reason", "a\r\nSet-Cookie: evil=1")
                .header("Bad Name", "x")
                .body("no"))
        },
        |ws: WebSocket, ()| async move { drop(ws) },
    );
    tokio::spawn(handler.serve(listener));
    let response = raw_upgrade_to(addr, "/", "").await;
    assert_eq!(status_of(&response), Some(403), "{response}");
    assert!(!response.contains("Set-Cookie") && !response.contains("Bad Name"), "{response}");
    assert!(response.ends_with("\r\n\r\nno"), "{response}");
}
