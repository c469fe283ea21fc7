//! The opening handshake over real sockets on 127.0.0.1: subprotocol negotiation against a
//! real uniws server and against hand-written fake servers (bad accept key, unoffered
//! subprotocol, extensions, missing headers), bad upgrade requests sent as raw bytes (400,
//! 405, 426, 431), a slowloris client, the exact request the client sends (cookies, headers,
//! authorization, query parameters, subprotocols), redirects (followed, refused, looping,
//! relative), connection timeouts, refused connections and invalid URLs or header values.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uniws_test_support::{bind, within};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::net::TcpStream;
use tokio::time::timeout;
use uniws::proto::handshake::accept_key;
use uniws::{
    ConnectOptions, Error, HandshakeFailure, Message, ServerOptions, WebSocket, connect, request_handler,
};

/// Reads an HTTP head (up to and including the blank line), or whatever came before EOF.
async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(0) | Err(_) => break,
            Ok(_) => head.push(byte[0]),
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Reads until EOF or an error (a reset after the answer still leaves the answer).
async fn read_to_eof(stream: &mut (impl AsyncRead + Unpin)) -> String {
    let mut all = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => all.extend_from_slice(&chunk[..n]),
        }
    }
    String::from_utf8_lossy(&all).into_owned()
}

/// The value of the first header `name` (case-insensitive) in an HTTP head.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The status code on the first line of an HTTP response.
fn status_of(response: &str) -> Option<u16> {
    response.split(' ').nth(1)?.parse().ok()
}

/// The `Sec-WebSocket-Accept` value answering the request head `head`.
fn accept_for(head: &str) -> String {
    accept_key(header(head, "Sec-WebSocket-Key").expect("the request has a Sec-WebSocket-Key"))
}

/// A correct 101 answer to `head`, with `extra` header lines (each ending in CRLF).
fn switching(head: &str, extra: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n{extra}\r\n",
        accept_for(head)
    )
}

/// A hand-written HTTP server: it records each request head and answers it with whatever
/// `answer(index, head)` returns, then keeps the connection open a moment.
struct Fake {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    async fn start(answer: impl Fn(usize, &str, SocketAddr) -> String + Send + Sync + 'static) -> Self {
        let (listener, addr) = bind().await;
        let heads = Arc::new(Mutex::new(Vec::new()));
        let answer = Arc::new(answer);
        let recorded = heads.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut tcp, _)) = listener.accept().await else { return };
                let (answer, recorded) = (answer.clone(), recorded.clone());
                tokio::spawn(async move {
                    let head = read_head(&mut tcp).await;
                    let index = {
                        let mut heads = recorded.lock().unwrap();
                        heads.push(head.clone());
                        heads.len() - 1
                    };
                    let response = answer(index, &head, addr);
                    let _ = tcp.write_all(response.as_bytes()).await;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                });
            }
        });
        Self { addr, heads }
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

/// A real uniws server that echoes data messages and picks the first subprotocol offered.
async fn echo_server() -> SocketAddr {
    let (listener, addr) = bind().await;
    let handler = request_handler(
        |mut ws: WebSocket| async move {
            while let Ok(message) = ws.recv().await {
                if message.message_type().is_control() {
                    continue;
                }
                if ws.send(message).await.is_err() {
                    break;
                }
            }
        },
        |offered: &[String]| offered.first().cloned(),
        1 << 20,
    );
    tokio::spawn(handler.serve(listener));
    addr
}

async fn assert_echoes(ws: &mut WebSocket) {
    within(ws.send(Message::text("ping?"))).await.unwrap();
    assert_eq!(within(ws.recv()).await.unwrap(), Message::text("ping?"));
}

/// Connects to a fake server with `options` and returns the client's error.
async fn connect_err(url: &str, options: &ConnectOptions) -> Error {
    match within(connect(url, options)).await {
        Ok(ws) => panic!("connect to {url} succeeded: {ws:?}"),
        Err(e) => e,
    }
}

/// Sends `request` raw to a uniws server accepting with `options`; returns the raw response
/// (read to EOF) and what `accept` returned (the subprotocol on success).
async fn raw_exchange(options: ServerOptions, request: &[u8]) -> (String, Result<Option<String>, Error>) {
    let (listener, addr) = bind().await;
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        options.accept(tcp).await.map(|ws| ws.protocol().map(str::to_owned))
        // On success the WebSocket is dropped here, which closes the connection.
    });
    let mut client = within(TcpStream::connect(addr)).await.unwrap();
    let _ = within(client.write_all(request)).await;
    let accepted = within(server).await.unwrap();
    let response = within(read_to_eof(&mut client)).await;
    (response, accepted)
}

/// A valid upgrade request head with `extra` header lines (each ending in CRLF).
fn good_request(extra: &str) -> String {
    format!(
        "GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

fn assert_handshake_status(result: &Result<Option<String>, Error>, status: u16) {
    match result {
        Err(Error::Handshake { status: Some(s), .. }) if *s == status => {}
        other => panic!("expected Error::Handshake with status {status}, got {other:?}"),
    }
}

// ---- subprotocol negotiation with a real server ----

/// A connected (client, server) pair over TCP.
async fn pair(
    server: ServerOptions,
    client: ConnectOptions,
) -> (Result<WebSocket, Error>, Result<WebSocket, Error>) {
    let (listener, addr) = bind().await;
    let accept = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        server.accept(tcp).await
    });
    let client = within(connect(&format!("ws://{addr}/"), &client)).await;
    let server = within(accept).await.unwrap();
    (client, server)
}

#[tokio::test]
async fn select_protocol_is_not_called_when_the_client_offers_none() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let server = ServerOptions::new().select_protocol(move |offered| {
        counted.fetch_add(1, Ordering::SeqCst);
        offered.first().cloned()
    });
    let (client, server) = pair(server, ConnectOptions::new()).await;
    let (mut client, mut server) = (client.unwrap(), server.unwrap());
    assert_eq!(calls.load(Ordering::SeqCst), 0, "select_protocol was called without an offer");
    assert_eq!(client.protocol(), None);
    assert_eq!(server.protocol(), None);
    within(client.send(Message::text("still works"))).await.unwrap();
    assert_eq!(within(server.recv()).await.unwrap(), Message::text("still works"));
}

#[tokio::test]
async fn a_refused_subprotocol_fails_both_sides_with_400() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let server = ServerOptions::new().select_protocol(move |_| {
        counted.fetch_add(1, Ordering::SeqCst);
        None
    });
    let (client, server) = pair(server, ConnectOptions::new().protocol("chat")).await;
    assert!(matches!(client, Err(Error::Handshake { status: Some(400), .. })), "{client:?}");
    assert!(matches!(server, Err(Error::Handshake { status: Some(400), .. })), "{server:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_server_choosing_a_protocol_it_was_not_offered_refuses_with_400() {
    let server = ServerOptions::new().select_protocol(|_| Some("other".to_owned()));
    let (client, server) = pair(server, ConnectOptions::new().protocol("chat")).await;
    assert!(matches!(client, Err(Error::Handshake { status: Some(400), .. })), "{client:?}");
    assert!(matches!(server, Err(Error::Handshake { status: Some(400), .. })), "{server:?}");
}

#[tokio::test]
async fn the_chosen_subprotocol_is_seen_by_both_sides() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorded = seen.clone();
    let server = ServerOptions::new().select_protocol(move |offered| {
        *recorded.lock().unwrap() = offered.to_vec();
        offered.iter().find(|p| *p == "chat.v1").cloned()
    });
    let client = ConnectOptions::new().protocol("chat.v2, chat.v1").protocols(["json"]);
    let (client, server) = pair(server, client).await;
    let (client, server) = (client.unwrap(), server.unwrap());
    assert_eq!(*seen.lock().unwrap(), ["chat.v2", "chat.v1", "json"], "offered in the client's order");
    assert_eq!(client.protocol(), Some("chat.v1"));
    assert_eq!(server.protocol(), Some("chat.v1"));
}

#[tokio::test]
async fn offers_are_ignored_by_a_server_without_select_protocol() {
    let (client, server) = pair(ServerOptions::new(), ConnectOptions::new().protocol("chat")).await;
    assert_eq!(client.unwrap().protocol(), None);
    assert_eq!(server.unwrap().protocol(), None);
}

// ---- the client's checks of the 101 answer, against fake servers ----

/// 101 answers the client must refuse: (what is wrong, subprotocols offered, the answer).
type BadAnswer = (&'static str, &'static str, fn(&str) -> String);

const BAD_ANSWERS: &[BadAnswer] = &[
    ("a subprotocol that was not offered", "chat", |head| {
        switching(head, "Sec-WebSocket-Protocol: mqtt\r\n")
    }),
    ("a subprotocol when none was offered", "", |head| switching(head, "Sec-WebSocket-Protocol: mqtt\r\n")),
    ("two subprotocols", "a, b", |head| switching(head, "Sec-WebSocket-Protocol: a, b\r\n")),
    ("an extension that was not offered", "", |head| {
        switching(head, "Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n")
    }),
    ("permessage-deflate with a parameter it does not have", "", |head| {
        switching(head, "Sec-WebSocket-Extensions: permessage-deflate; level=9\r\n")
    }),
    ("a wrong accept key", "", |_| {
        let accept = accept_key("dGhlIHNhbXBsZSBub25jZQ==");
        format!(
            "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        )
    }),
    ("no accept key", "", |_| {
        "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".to_owned()
    }),
    ("no Upgrade header", "", |head| {
        format!(
            "HTTP/1.1 101 OK\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
            accept_for(head)
        )
    }),
    ("no Connection header", "", |head| {
        format!("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {}\r\n\r\n", accept_for(head))
    }),
];

#[tokio::test]
async fn bad_101_answers_are_refused() {
    for &(what, offered, answer) in BAD_ANSWERS {
        let fake = Fake::start(move |_, head, _| answer(head)).await;
        let err =
            connect_err(&format!("ws://{}/", fake.addr), &ConnectOptions::new().protocol(offered)).await;
        assert!(matches!(err, Error::Handshake { status: Some(101), .. }), "{what}: {err:?}");
    }
}

#[tokio::test]
async fn a_correct_fake_answer_is_accepted_whatever_the_header_case() {
    let fake = Fake::start(|_, head, _| {
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\n\
             sec-websocket-accept: {}\r\nsec-websocket-protocol: b\r\n\r\n",
            accept_for(head)
        )
    })
    .await;
    let ws = within(connect(&format!("ws://{}/", fake.addr), &ConnectOptions::new().protocol("a, b")))
        .await
        .unwrap();
    assert_eq!(ws.protocol(), Some("b"));
}

#[tokio::test]
async fn a_non_101_answer_is_a_handshake_error_with_its_status() {
    let fake = Fake::start(|_, _, _| {
        "HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno".to_owned()
    })
    .await;
    let err = connect_err(&format!("ws://{}/", fake.addr), &ConnectOptions::new()).await;
    assert!(
        matches!(&err, Error::Handshake { status: Some(403), failure: HandshakeFailure::NotSwitching { reason } } if reason == "Forbidden"),
        "{err:?}"
    );
}

#[tokio::test]
async fn garbage_or_silence_then_close_is_a_handshake_error() {
    let garbage = Fake::start(|_, _, _| "SSH-2.0-OpenSSH_9.6\r\n\r\n".to_owned()).await;
    let err = connect_err(&format!("ws://{}/", garbage.addr), &ConnectOptions::new()).await;
    assert!(
        matches!(err, Error::Handshake { status: None, failure: HandshakeFailure::MalformedResponse(_) }),
        "{err:?}"
    );

    // A server that reads the request and hangs up without a word.
    let (listener, addr) = bind().await;
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        read_head(&mut tcp).await;
    });
    let err = connect_err(&format!("ws://{addr}/"), &ConnectOptions::new()).await;
    assert!(
        matches!(err, Error::Handshake { status: None, failure: HandshakeFailure::ClosedEarly }),
        "{err:?}"
    );
}

#[tokio::test]
async fn frames_sent_right_after_the_101_are_not_lost() {
    // The 101 and a first unmasked text frame "hi" arrive in one write.
    let (listener, addr) = bind().await;
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let head = read_head(&mut tcp).await;
        let mut answer = switching(&head, "").into_bytes();
        answer.extend_from_slice(&[0x81, 0x02, b'h', b'i']);
        tcp.write_all(&answer).await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
    });
    let mut ws = within(connect(&format!("ws://{addr}/"), &ConnectOptions::new())).await.unwrap();
    assert_eq!(within(ws.recv()).await.unwrap(), Message::text("hi"));
}

// ---- bad upgrade requests to a real server ----

#[tokio::test]
async fn a_valid_raw_request_is_answered_with_101_and_the_rfc_accept_key() {
    let (response, accepted) = raw_exchange(ServerOptions::new(), good_request("").as_bytes()).await;
    assert_eq!(status_of(&response), Some(101), "{response}");
    // RFC 6455 §1.3's example key and answer.
    assert_eq!(header(&response, "Sec-WebSocket-Accept"), Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    assert!(header(&response, "Upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket")));
    assert!(header(&response, "Connection").is_some_and(|v| v.eq_ignore_ascii_case("upgrade")));
    assert_eq!(header(&response, "Sec-WebSocket-Protocol"), None);
    assert!(matches!(accepted, Ok(None)), "{accepted:?}");
}

#[tokio::test]
async fn a_missing_key_is_answered_with_400() {
    let request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Version: 13\r\n\r\n";
    let (response, accepted) = raw_exchange(ServerOptions::new(), request.as_bytes()).await;
    assert_eq!(status_of(&response), Some(400), "{response}");
    assert_handshake_status(&accepted, 400);
}

#[tokio::test]
async fn a_key_that_is_not_16_bytes_is_answered_with_400() {
    let request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n";
    let (response, accepted) = raw_exchange(ServerOptions::new(), request.as_bytes()).await;
    assert_eq!(status_of(&response), Some(400), "{response}");
    assert_handshake_status(&accepted, 400);
}

#[tokio::test]
async fn missing_host_upgrade_or_connection_headers_are_answered_with_400() {
    let without = |name: &str| {
        good_request("").split("\r\n").filter(|line| !line.starts_with(name)).collect::<Vec<_>>().join("\r\n")
    };
    for name in ["Host:", "Upgrade:", "Connection:"] {
        let request = without(name);
        assert!(request.ends_with("\r\n\r\n"));
        let (response, accepted) = raw_exchange(ServerOptions::new(), request.as_bytes()).await;
        assert_eq!(status_of(&response), Some(400), "without {name}: {response}");
        assert_handshake_status(&accepted, 400);
    }
}

#[tokio::test]
async fn version_8_is_answered_with_426_naming_version_13() {
    let request = good_request("").replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8");
    let (response, accepted) = raw_exchange(ServerOptions::new(), request.as_bytes()).await;
    assert_eq!(status_of(&response), Some(426), "{response}");
    assert!(response.contains("Sec-WebSocket-Version: 13"), "{response}");
    assert_handshake_status(&accepted, 426);
}

#[tokio::test]
async fn post_is_answered_with_405() {
    let request = good_request("").replacen("GET", "POST", 1);
    let (response, accepted) = raw_exchange(ServerOptions::new(), request.as_bytes()).await;
    assert_eq!(status_of(&response), Some(405), "{response}");
    assert_eq!(header(&response, "Allow"), Some("GET"));
    assert_handshake_status(&accepted, 405);
}

#[tokio::test]
async fn http_1_0_is_answered_with_400() {
    let request = good_request("").replacen("HTTP/1.1", "HTTP/1.0", 1);
    let (response, accepted) = raw_exchange(ServerOptions::new(), request.as_bytes()).await;
    assert_eq!(status_of(&response), Some(400), "{response}");
    assert_handshake_status(&accepted, 400);
}

#[tokio::test]
async fn a_malformed_request_is_answered_with_400() {
    let (response, accepted) =
        raw_exchange(ServerOptions::new(), b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n").await;
    assert_eq!(status_of(&response), Some(400), "{response}");
    assert_handshake_status(&accepted, 400);
}

#[tokio::test]
async fn a_head_over_the_cap_is_answered_with_431() {
    let big = format!("X-Big: {}\r\n", "a".repeat(20 * 1024));
    let request = good_request(&big);
    let (response, accepted) = raw_exchange(ServerOptions::new(), request.as_bytes()).await;
    assert_eq!(status_of(&response), Some(431), "{response}");
    assert_handshake_status(&accepted, 431);

    // The same request fits under a larger cap.
    let (response, accepted) =
        raw_exchange(ServerOptions::new().max_head_size(32 * 1024), request.as_bytes()).await;
    assert_eq!(status_of(&response), Some(101), "{response}");
    assert!(accepted.is_ok(), "{accepted:?}");
}

#[tokio::test]
async fn a_head_that_never_ends_is_cut_off_at_the_cap_with_431() {
    // No blank line ever comes: the server must stop reading at its cap, not wait for more.
    let (listener, addr) = bind().await;
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        ServerOptions::new().max_head_size(1024).accept(tcp).await.map(|_| ())
    });
    let mut client = within(TcpStream::connect(addr)).await.unwrap();
    let endless = format!("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: {}", "b".repeat(4096));
    let _ = within(client.write_all(endless.as_bytes())).await;
    let result = within(server).await.unwrap();
    assert!(matches!(result, Err(Error::Handshake { status: Some(431), .. })), "{result:?}");
    let response = within(read_to_eof(&mut client)).await;
    assert_eq!(status_of(&response), Some(431), "{response}");
}

#[tokio::test]
async fn the_server_chooses_a_subprotocol_from_a_raw_request() {
    let options = ServerOptions::new().select_protocol(|offered| offered.last().cloned());
    let request = good_request("Sec-WebSocket-Protocol: one, two\r\nSec-WebSocket-Protocol: three\r\n");
    let (response, accepted) = raw_exchange(options, request.as_bytes()).await;
    assert_eq!(status_of(&response), Some(101), "{response}");
    assert_eq!(header(&response, "Sec-WebSocket-Protocol"), Some("three"));
    assert_eq!(accepted.unwrap().as_deref(), Some("three"));
}

// ---- slow clients ----

/// Accepts one in-memory connection with a 300 ms handshake deadline: the outcome, and how
/// long it took on tokio's clock. The tests using it run on the paused clock, which moves
/// only when every task waits, straight to the next timer: the deadline is then measured
/// exactly, however loaded the machine, and needs no real socket (whose bytes in flight the
/// paused clock would not wait for).
fn accept_with_300ms_deadline(
    server_end: DuplexStream,
) -> tokio::task::JoinHandle<(Result<(), Error>, Duration)> {
    tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        let result =
            ServerOptions::new().handshake_timeout(Duration::from_millis(300)).accept(server_end).await;
        (result.map(|_| ()), started.elapsed())
    })
}

#[tokio::test(start_paused = true)]
async fn a_slowloris_client_is_cut_off_at_the_handshake_timeout() {
    let (server_end, mut client) = tokio::io::duplex(64 << 10);
    let server = accept_with_300ms_deadline(server_end);
    within(client.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: webs")).await.unwrap();
    let (result, elapsed) = within(server).await.unwrap();
    assert!(matches!(result, Err(Error::Timeout)), "{result:?}");
    assert_eq!(elapsed, Duration::from_millis(300));
    // The connection is closed: the client reads EOF (no upgrade, at most an error answer).
    let rest = within(read_to_eof(&mut client)).await;
    assert!(rest.is_empty() || status_of(&rest) == Some(408), "{rest}");
}

// ---- the request the client sends ----

#[tokio::test]
async fn the_request_carries_cookies_headers_basic_auth_params_and_protocols() {
    let fake = Fake::start(|_, head, _| switching(head, "Sec-WebSocket-Protocol: a\r\n")).await;
    let options = ConnectOptions::new()
        .protocol("a, b")
        .cookie("a", "1")
        .cookie("b", "2")
        .header("X-Custom", "custom value")
        .basic_auth("user", "pass")
        .param("room", "lobby")
        .param("q", "a&b=c/é");
    let url = format!("ws://{}/path/to?x=1#fragment", fake.addr);
    let ws = within(connect(&url, &options)).await.unwrap();
    assert_eq!(ws.protocol(), Some("a"));

    let heads = fake.heads();
    assert_eq!(heads.len(), 1);
    let head = &heads[0];
    let request_line = head.lines().next().unwrap();
    assert_eq!(request_line, "GET /path/to?x=1&room=lobby&q=a%26b%3Dc%2F%C3%A9 HTTP/1.1", "{head}");
    assert_eq!(header(head, "Host"), Some(fake.addr.to_string().as_str()));
    assert!(header(head, "Upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket")), "{head}");
    assert!(header(head, "Connection").is_some_and(|v| v.to_ascii_lowercase().contains("upgrade")), "{head}");
    assert_eq!(header(head, "Sec-WebSocket-Version"), Some("13"));
    assert_eq!(header(head, "Sec-WebSocket-Protocol"), Some("a, b"));
    assert_eq!(header(head, "Cookie"), Some("a=1; b=2"));
    assert_eq!(header(head, "X-Custom"), Some("custom value"));
    // base64("user:pass")
    assert_eq!(header(head, "Authorization"), Some("Basic dXNlcjpwYXNz"));
    assert!(head.contains("\r\nCookie: a=1; b=2\r\n"), "{head}");
    assert!(head.contains("\r\nSec-WebSocket-Protocol: a, b\r\n"), "{head}");
    assert!(head.contains("\r\nSec-WebSocket-Version: 13\r\n"), "{head}");

    // A fresh 16-byte key in base64 (24 characters, ending in "==").
    let key = header(head, "Sec-WebSocket-Key").unwrap();
    assert_eq!(key.len(), 24);
    assert!(key.ends_with("=="));
}

#[tokio::test]
async fn the_request_carries_a_bearer_token() {
    let fake = Fake::start(|_, head, _| switching(head, "")).await;
    let options = ConnectOptions::new().bearer_auth("tok");
    within(connect(&format!("ws://{}/", fake.addr), &options)).await.unwrap();
    let head = &fake.heads()[0];
    assert_eq!(header(head, "Authorization"), Some("Bearer tok"), "{head}");
    assert!(head.contains("\r\nAuthorization: Bearer tok\r\n"), "{head}");
    assert_eq!(header(head, "Cookie"), None);
    assert_eq!(header(head, "Sec-WebSocket-Protocol"), None);
    assert!(head.starts_with("GET / HTTP/1.1\r\n"), "{head}");
}

#[tokio::test]
async fn user_info_in_the_url_becomes_basic_auth() {
    let fake = Fake::start(|_, head, _| switching(head, "")).await;
    let url = format!("ws://al%20ice:p%40ss@{}/", fake.addr);
    within(connect(&url, &ConnectOptions::new())).await.unwrap();
    let head = &fake.heads()[0];
    // base64("al ice:p@ss")
    assert_eq!(header(head, "Authorization"), Some("Basic YWwgaWNlOnBAc3M="), "{head}");
    assert!(!head.contains("al%20ice"), "user info leaked into the request: {head}");
}

#[tokio::test]
async fn each_request_gets_a_fresh_key() {
    let fake = Fake::start(|_, head, _| switching(head, "")).await;
    let url = format!("ws://{}/", fake.addr);
    within(connect(&url, &ConnectOptions::new())).await.unwrap();
    within(connect(&url, &ConnectOptions::new())).await.unwrap();
    let heads = fake.heads();
    assert_eq!(heads.len(), 2);
    assert_ne!(header(&heads[0], "Sec-WebSocket-Key"), header(&heads[1], "Sec-WebSocket-Key"));
}

// ---- redirects ----

#[tokio::test]
async fn a_redirect_to_a_real_server_is_followed() {
    let echo = echo_server().await;
    let fake = Fake::start(move |_, _, _| {
        format!("HTTP/1.1 302 Found\r\nLocation: ws://{echo}/x\r\nContent-Length: 0\r\n\r\n")
    })
    .await;
    let options = ConnectOptions::new().max_redirects(3).protocol("chat");
    let mut ws = within(connect(&format!("ws://{}/start", fake.addr), &options)).await.unwrap();
    assert_eq!(ws.protocol(), Some("chat"));
    assert_echoes(&mut ws).await;
    assert_eq!(fake.heads().len(), 1);
    assert!(fake.heads()[0].starts_with("GET /start HTTP/1.1\r\n"));
}

#[tokio::test]
async fn redirects_are_not_followed_by_default() {
    let echo = echo_server().await;
    let fake = Fake::start(move |_, _, _| {
        format!("HTTP/1.1 302 Found\r\nLocation: ws://{echo}/x\r\nContent-Length: 0\r\n\r\n")
    })
    .await;
    let err = connect_err(&format!("ws://{}/", fake.addr), &ConnectOptions::new()).await;
    let failure = HandshakeFailure::NotSwitching { reason: "Found".into() };
    assert!(matches!(&err, Error::Handshake { status: Some(302), failure: f } if *f == failure), "{err:?}");
    assert_eq!(fake.heads().len(), 1);
}

#[tokio::test]
async fn a_redirect_loop_stops_after_max_redirects() {
    let fake = Fake::start(|_, _, me| {
        format!("HTTP/1.1 302 Found\r\nLocation: ws://{me}/again\r\nContent-Length: 0\r\n\r\n")
    })
    .await;
    let err = connect_err(&format!("ws://{}/", fake.addr), &ConnectOptions::new().max_redirects(3)).await;
    let failure = HandshakeFailure::TooManyRedirects { max: 3 };
    assert!(
        matches!(&err, Error::Handshake { status: Some(302 | 301), failure: f } if *f == failure),
        "{err:?}"
    );
    // The first request and three redirects: four requests, then it stops.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(fake.heads().len(), 4, "{:#?}", fake.heads());
}

#[tokio::test]
async fn a_relative_location_is_resolved_against_the_current_url() {
    for status in [301, 302, 303, 307, 308] {
        let fake = Fake::start(move |index, head, _| match index {
            0 => format!("HTTP/1.1 {status} Moved\r\nLocation: /other?y=2\r\nContent-Length: 0\r\n\r\n"),
            _ => switching(head, ""),
        })
        .await;
        let options = ConnectOptions::new().max_redirects(1);
        within(connect(&format!("ws://{}/first/page", fake.addr), &options)).await.unwrap();
        let heads = fake.heads();
        assert_eq!(heads.len(), 2, "status {status}");
        assert!(heads[1].starts_with("GET /other?y=2 HTTP/1.1\r\n"), "status {status}: {}", heads[1]);
        assert_eq!(header(&heads[1], "Host"), Some(fake.addr.to_string().as_str()));
    }
}

#[tokio::test]
async fn a_redirect_keeps_the_subprotocol_offer_and_headers() {
    let fake = Fake::start(move |index, head, _| match index {
        0 => "HTTP/1.1 307 Temporary Redirect\r\nLocation: /next\r\n\r\n".to_owned(),
        _ => switching(head, "Sec-WebSocket-Protocol: b\r\n"),
    })
    .await;
    let options = ConnectOptions::new().max_redirects(2).protocol("a, b").header("X-Trace", "42");
    let ws = within(connect(&format!("ws://{}/", fake.addr), &options)).await.unwrap();
    assert_eq!(ws.protocol(), Some("b"));
    let heads = fake.heads();
    assert_eq!(header(&heads[1], "Sec-WebSocket-Protocol"), Some("a, b"));
    assert_eq!(header(&heads[1], "X-Trace"), Some("42"));
}

#[tokio::test]
async fn credentials_follow_a_redirect_only_within_the_same_origin() {
    let other = Fake::start(|_, head, _| switching(head, "")).await;
    let other_addr = other.addr;
    let fake = Fake::start(move |index, head, _| match index {
        0 => "HTTP/1.1 302 Found\r\nLocation: /same-origin\r\n\r\n".to_owned(),
        1 => format!("HTTP/1.1 302 Found\r\nLocation: ws://{other_addr}/elsewhere\r\n\r\n"),
        _ => switching(head, ""),
    })
    .await;
    let options = ConnectOptions::new()
        .max_redirects(2)
        .bearer_auth("secret")
        .cookie("session", "s1")
        .header("X-Trace", "7");
    within(connect(&format!("ws://{}/", fake.addr), &options)).await.unwrap();
    let heads = fake.heads();
    assert_eq!(header(&heads[1], "Authorization"), Some("Bearer secret"));
    assert_eq!(header(&heads[1], "Cookie"), Some("session=s1"));
    let elsewhere = &other.heads()[0];
    assert!(elsewhere.starts_with("GET /elsewhere "), "{elsewhere}");
    assert_eq!(header(elsewhere, "Authorization"), None);
    assert_eq!(header(elsewhere, "Cookie"), None);
    assert_eq!(header(elsewhere, "X-Trace"), Some("7"));
}

#[tokio::test]
async fn a_redirect_without_location_or_to_a_non_websocket_url_fails() {
    let no_location =
        Fake::start(|_, _, _| "HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n".to_owned()).await;
    let options = ConnectOptions::new().max_redirects(3);
    let err = connect_err(&format!("ws://{}/", no_location.addr), &options).await;
    assert!(
        matches!(err, Error::Handshake { status: Some(302), failure: HandshakeFailure::BadRedirect(_) }),
        "{err:?}"
    );

    let to_ftp =
        Fake::start(|_, _, _| "HTTP/1.1 301 Moved\r\nLocation: ftp://127.0.0.1/x\r\n\r\n".to_owned()).await;
    let err = connect_err(&format!("ws://{}/", to_ftp.addr), &options).await;
    assert!(
        matches!(err, Error::Handshake { status: Some(301), failure: HandshakeFailure::BadRedirect(_) }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_redirect_to_http_is_followed_as_ws() {
    let echo = echo_server().await;
    let fake = Fake::start(move |_, _, _| {
        format!("HTTP/1.1 308 Permanent Redirect\r\nLocation: http://{echo}/\r\n\r\n")
    })
    .await;
    let mut ws = within(connect(&format!("ws://{}/", fake.addr), &ConnectOptions::new().max_redirects(1)))
        .await
        .unwrap();
    assert_echoes(&mut ws).await;
}

// ---- timeouts and refused connections ----

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    // The kernel completes the TCP handshake on the backlog; nobody ever answers.
    let (listener, addr) = bind().await;
    let started = Instant::now();
    let options = ConnectOptions::new().timeout(Duration::from_millis(300));
    let err = connect_err(&format!("ws://{addr}/"), &options).await;
    let elapsed = started.elapsed();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(elapsed >= Duration::from_millis(250), "{elapsed:?}");
    drop(listener);
}

#[tokio::test]
async fn the_timeout_covers_redirects_too() {
    let (silent, silent_addr) = bind().await;
    let fake =
        Fake::start(move |_, _, _| format!("HTTP/1.1 302 Found\r\nLocation: ws://{silent_addr}/\r\n\r\n"))
            .await;
    let options = ConnectOptions::new().max_redirects(2).timeout(Duration::from_millis(300));
    let err = connect_err(&format!("ws://{}/", fake.addr), &options).await;
    assert!(matches!(err, Error::Timeout), "{err:?}");
    drop(silent);
}

#[tokio::test]
async fn a_closed_port_is_an_io_error_with_no_timeout_set() {
    let (listener, addr) = bind().await;
    drop(listener);
    // No timeout is set: only the refusal itself can end the connect.
    let err = connect_err(&format!("ws://{addr}/"), &ConnectOptions::new()).await;
    match &err {
        Error::Io(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused),
        other => panic!("expected Error::Io, got {other:?}"),
    }
}

// ---- URLs and header values ----

#[tokio::test]
async fn http_urls_are_mapped_to_ws() {
    let echo = echo_server().await;
    let mut ws = within(connect(&format!("http://{echo}/"), &ConnectOptions::new())).await.unwrap();
    assert_echoes(&mut ws).await;
    let mut ws = within(connect(&format!("HTTP://{echo}"), &ConnectOptions::new())).await.unwrap();
    assert_echoes(&mut ws).await;
}

#[tokio::test]
async fn urls_that_are_not_websocket_urls_are_refused() {
    for url in
        ["ftp://x", "ftp://127.0.0.1/file", "not a url", "ws://", "mailto:someone@example.org", "ws://[::1"]
    {
        let err = connect_err(url, &ConnectOptions::new()).await;
        assert!(matches!(err, Error::InvalidUrl(_)), "{url}: {err:?}");
    }
}

#[tokio::test]
async fn line_breaks_in_header_values_are_refused_before_anything_is_sent() {
    let (listener, addr) = bind().await;
    let url = format!("ws://{addr}/");
    let cases = [
        ConnectOptions::new().header("X-Evil", "a\r\nInjected: yes"),
        ConnectOptions::new().header("X-Evil\n", "a"),
        ConnectOptions::new().cookie("c", "1\r\n\r\nGET / HTTP/1.1"),
        ConnectOptions::new().protocols(["chat\r\nX: y"]),
    ];
    for options in &cases {
        let err = connect_err(&url, options).await;
        assert!(matches!(err, Error::InvalidOptions(_)), "{options:?}: {err:?}");
    }
    // Not even a TCP connection was made.
    let accepted = timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(accepted.is_err(), "the client connected although its options were refused");
}

#[tokio::test]
async fn subprotocols_that_are_not_tokens_are_refused() {
    let (listener, addr) = bind().await;
    let url = format!("ws://{addr}/");
    for options in [ConnectOptions::new().protocols(["a b"]), ConnectOptions::new().protocols(["a,b"])] {
        let err = connect_err(&url, &options).await;
        assert!(matches!(err, Error::InvalidOptions(_)), "{options:?}: {err:?}");
    }
    let accepted = timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(accepted.is_err());
}

#[tokio::test]
async fn handshake_errors_display_as_one_clear_line() {
    let server = ServerOptions::new().select_protocol(|_| None);
    let (client, _) = pair(server, ConnectOptions::new().protocol("chat")).await;
    let text = client.unwrap_err().to_string();
    assert!(text.starts_with("handshake failed (HTTP 400)"), "{text}");
    assert!(!text.contains('\n'), "{text}");
    let text = connect_err("ftp://x", &ConnectOptions::new()).await.to_string();
    assert!(text.starts_with("invalid URL"), "{text}");
    assert!(!text.contains('\n'), "{text}");
}

// ---- more of the same, at the edges ----

#[tokio::test]
async fn line_breaks_in_a_bearer_token_are_refused_before_anything_is_sent() {
    let fake = Fake::start(|_, head, _| switching(head, "")).await;
    let options = ConnectOptions::new().bearer_auth("tok\r\nX-Injected: yes");
    let result = within(connect(&format!("ws://{}/", fake.addr), &options)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let heads = fake.heads();
    assert!(
        !heads.iter().any(|head| head.contains("\r\nX-Injected: yes\r\n")),
        "a header was injected through the bearer token: {heads:#?}"
    );
    assert!(matches!(result, Err(Error::InvalidOptions(_))), "{result:?}");
    assert!(heads.is_empty(), "a request was sent: {heads:#?}");
}

#[tokio::test]
async fn a_response_head_over_16_kib_is_refused() {
    let fake =
        Fake::start(|_, head, _| switching(head, &format!("X-Big: {}\r\n", "z".repeat(20 * 1024)))).await;
    let err = connect_err(&format!("ws://{}/", fake.addr), &ConnectOptions::new()).await;
    assert!(
        matches!(err, Error::Handshake { status: None, failure: HandshakeFailure::ResponseTooLarge }),
        "{err:?}"
    );
}

#[tokio::test]
async fn header_names_and_tokens_are_matched_without_regard_to_case() {
    let request = "GET /chat HTTP/1.1\r\nhost: 127.0.0.1\r\nupgrade: WebSocket\r\nconnection: keep-alive, UPGRADE\r\n\
                   sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n";
    let (response, accepted) = raw_exchange(ServerOptions::new(), request.as_bytes()).await;
    assert_eq!(status_of(&response), Some(101), "{response}");
    assert_eq!(header(&response, "Sec-WebSocket-Accept"), Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    assert!(accepted.is_ok(), "{accepted:?}");
}

#[tokio::test]
async fn too_many_headers_are_answered_with_431() {
    let many: String = (0..100).map(|i| format!("X-H{i}: {i}\r\n")).collect();
    let (response, accepted) = raw_exchange(ServerOptions::new(), good_request(&many).as_bytes()).await;
    assert_eq!(status_of(&response), Some(431), "{response}");
    assert_handshake_status(&accepted, 431);
}

#[tokio::test]
async fn a_frame_sent_with_the_request_is_not_lost() {
    let (listener, addr) = bind().await;
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = ServerOptions::new().accept(tcp).await.unwrap();
        ws.recv().await
    });
    let mut client = within(TcpStream::connect(addr)).await.unwrap();
    let mut bytes = good_request("").into_bytes();
    // A masked text frame "hi" right behind the head, in the same write.
    let mask = [1u8, 2, 3, 4];
    bytes.extend_from_slice(&[0x81, 0x82]);
    bytes.extend_from_slice(&mask);
    bytes.extend(b"hi".iter().zip(mask).map(|(b, m)| b ^ m));
    within(client.write_all(&bytes)).await.unwrap();
    let response = within(read_head(&mut client)).await;
    assert_eq!(status_of(&response), Some(101), "{response}");
    assert_eq!(within(server).await.unwrap().unwrap(), Message::text("hi"));
}

#[tokio::test(start_paused = true)]
async fn a_client_dripping_bytes_is_cut_off_at_the_handshake_timeout() {
    let (server_end, mut client) = tokio::io::duplex(64 << 10);
    let server = accept_with_300ms_deadline(server_end);
    let drip = tokio::spawn(async move {
        // One byte every 50 ms: the deadline covers the whole head, not each read.
        for &byte in good_request("").as_bytes() {
            if client.write_all(&[byte]).await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    });
    let (result, elapsed) = within(server).await.unwrap();
    assert!(matches!(result, Err(Error::Timeout)), "{result:?}");
    assert_eq!(elapsed, Duration::from_millis(300));
    // The dripping client finds the connection closed.
    assert!(within(drip).await.unwrap(), "the server kept reading after its deadline");
}

#[tokio::test]
async fn serve_drops_a_silent_client_after_the_handshake_timeout_and_goes_on() {
    let (listener, addr) = bind().await;
    let handled = Arc::new(AtomicUsize::new(0));
    let counted = handled.clone();
    let handler = ServerOptions::new().handshake_timeout(Duration::from_millis(300)).handler(
        move |mut ws: WebSocket| {
            counted.fetch_add(1, Ordering::SeqCst);
            async move {
                if let Ok(message) = ws.recv().await {
                    let _ = ws.send(message).await;
                }
            }
        },
    );
    tokio::spawn(handler.serve(listener));
    let started = Instant::now();
    let mut silent = within(TcpStream::connect(addr)).await.unwrap();
    // Without the deadline the server would wait for the head for ever, and this would hang.
    let rest = within(read_to_eof(&mut silent)).await;
    assert!(rest.is_empty() || status_of(&rest) == Some(408), "{rest}");
    assert!(started.elapsed() >= Duration::from_millis(250), "{:?}", started.elapsed());
    // The loop still serves.
    let mut ws = within(connect(&format!("ws://{addr}/"), &ConnectOptions::new())).await.unwrap();
    assert_echoes(&mut ws).await;
    assert_eq!(handled.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn handle_returns_the_handshake_error_without_calling_the_handler() {
    let (listener, addr) = bind().await;
    let called = Arc::new(AtomicUsize::new(0));
    let counted = called.clone();
    let handler = request_handler(
        move |_ws: WebSocket| {
            counted.fetch_add(1, Ordering::SeqCst);
            async {}
        },
        |offered: &[String]| offered.first().cloned(),
        1 << 20,
    );
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        handler.handle(tcp).await
    });
    let mut client = within(TcpStream::connect(addr)).await.unwrap();
    within(client.write_all(good_request("").replacen("GET", "PUT", 1).as_bytes())).await.unwrap();
    let response = within(read_to_eof(&mut client)).await;
    assert_eq!(status_of(&response), Some(405), "{response}");
    let result = within(server).await.unwrap();
    assert!(matches!(result, Err(Error::Handshake { status: Some(405), .. })), "{result:?}");
    assert_eq!(called.load(Ordering::SeqCst), 0);
}

// ---- hygiene: what a request may not carry ----

#[tokio::test]
async fn subprotocol_values_that_are_not_tokens_never_reach_select_protocol_nor_the_answer() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let options = ServerOptions::new().select_protocol(move |offered| {
        record.lock().unwrap().push(offered.to_vec());
        offered.first().cloned()
    });
    // The probe's value: `b`, 5,000 spaces, `x` (trimmed, still not a token); then a token.
    let offer = format!("Sec-WebSocket-Protocol: b{}x, a/b, \"q\", chat\r\n", " ".repeat(5000));
    let (response, accepted) =
        raw_exchange(options.clone().max_head_size(16 * 1024), good_request(&offer).as_bytes()).await;
    assert_eq!(status_of(&response), Some(101), "{response}");
    assert_eq!(header(&response, "Sec-WebSocket-Protocol"), Some("chat"));
    assert_eq!(accepted.unwrap().as_deref(), Some("chat"));
    assert_eq!(*seen.lock().unwrap(), [vec!["chat".to_owned()]]);

    // Only non-tokens offered: select_protocol is not called and nothing is echoed.
    let offer = format!("Sec-WebSocket-Protocol: b{}x\r\n", " ".repeat(5000));
    let (response, accepted) =
        raw_exchange(options.max_head_size(16 * 1024), good_request(&offer).as_bytes()).await;
    assert_eq!(status_of(&response), Some(101), "{response}");
    assert_eq!(header(&response, "Sec-WebSocket-Protocol"), None);
    assert!(matches!(accepted, Ok(None)), "{accepted:?}");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_upgrade_request_with_a_body_is_answered_with_400() {
    for extra in [
        "Content-Length: 6\r\n",
        "Transfer-Encoding: chunked\r\n",
        "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n",
        "Content-Length: 0\r\nContent-Length: 6\r\n",
        "Content-Length: x\r\n",
    ] {
        // The body is a masked frame: it must not be read as one.
        let mut request = good_request(extra).into_bytes();
        request.extend_from_slice(&[0x81, 0x80, 0, 0, 0, 0]);
        let (response, accepted) = raw_exchange(ServerOptions::new(), &request).await;
        assert_eq!(status_of(&response), Some(400), "{extra}: {response}");
        assert!(response.ends_with("an upgrade request cannot have a body"), "{response}");
        assert_handshake_status(&accepted, 400);
    }
    // An explicit empty body is no body.
    let (response, accepted) =
        raw_exchange(ServerOptions::new(), good_request("Content-Length: 0\r\n").as_bytes()).await;
    assert_eq!(status_of(&response), Some(101), "{response}");
    assert!(accepted.is_ok(), "{accepted:?}");
}
