//! Scenarios written only against the public API. The same file runs natively
//! (`tests/same_code.rs`) and in headless Chromium (`wasm-tests/browser.rs`), unchanged:
//! whatever compiles and passes here behaves the same in both worlds.
//!
//! `echo` is the URL of a server that echoes every frame; `test` the URL of
//! `examples/test_server.rs`; `silent` an address that accepts TCP and never answers.
//! Connection ids (`?id=`, for [`close_of`]) are unique across both test files: the browser
//! tests share one test server.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use uniws::{
    ConnectOptions, ConnectionState, Error, Message, MessageType, ReconnectPolicy, Reconnecting, connect,
};

/// The close the client of connection `id` sent to the test server, as `CODE REASON`
/// (`none` if none came within the server's wait).
pub async fn close_of(test: &str, id: &str) -> String {
    let mut report =
        connect(&format!("{test}/close-of?id={id}"), &ConnectOptions::new()).await.expect("connect");
    let report = report.recv().await.expect("report");
    report.as_text().expect("a text report").to_owned()
}

/// Text and binary messages, empty ones included, come back as they went.
pub async fn text_and_binary_round_trip(echo: &str) {
    let mut ws = connect(echo, &ConnectOptions::new()).await.expect("connect");
    let messages = [
        Message::text("hello, wörld ✓"),
        Message::text(""),
        Message::binary(vec![0u8, 1, 2, 255]),
        Message::binary(vec![]),
    ];
    for message in messages {
        ws.send(message.clone()).await.expect("send");
        assert_eq!(ws.recv().await.expect("recv"), message);
    }
    ws.close(1000, "done").await.expect("close");
    assert!(matches!(ws.recv().await, Err(Error::Closed)));
}

/// A 4 MiB message through `send_all` and `recv_all` with 64 KiB frames.
pub async fn large_message_in_small_frames(echo: &str) {
    const SIZE: usize = 4 << 20;
    let mut ws = connect(echo, &ConnectOptions::new().max_frame_size(64 << 10)).await.expect("connect");
    assert_eq!(ws.max_frame_size(), 64 << 10);
    let data: Vec<u8> = (0..SIZE).map(|i| (i % 253) as u8).collect();
    ws.send_all(Message::binary(data.clone())).await.expect("send_all");
    let echo = ws.recv_all(SIZE).await.expect("recv_all");
    assert_eq!(echo.message_type(), MessageType::Binary);
    assert_eq!(echo.len(), SIZE);
    assert!(echo.data() == data.as_slice(), "the bytes came back in order");
    let text = "é".repeat(100_000);
    ws.send_all(Message::text(text.clone())).await.expect("send_all text");
    assert_eq!(ws.recv_all(SIZE).await.expect("recv_all text").as_text(), Some(text.as_str()));
    ws.close(1000, "").await.expect("close");
}

/// A frame over `max_frame_size` is refused on send; the socket stays usable.
pub async fn oversize_send_is_refused(echo: &str) {
    let mut ws = connect(echo, &ConnectOptions::new().max_frame_size(1024)).await.expect("connect");
    let err = ws.send(Message::binary(vec![0u8; 1025])).await.expect_err("over the limit");
    assert!(matches!(err, Error::FrameTooLarge { size: 1025, max: 1024 }), "{err}");
    ws.send(Message::binary(vec![1u8; 1024])).await.expect("at the limit");
    assert_eq!(ws.recv().await.expect("echo").len(), 1024);
    ws.close(1000, "").await.expect("close");
}

/// `recv_all` fails once a message exceeds its limit, and the socket is then closed.
pub async fn recv_all_over_its_limit_fails(test: &str) {
    let mut ws = connect(&format!("{test}/send?size=200000"), &ConnectOptions::new()).await.expect("connect");
    let err = ws.recv_all(100_000).await.expect_err("over the limit");
    assert!(matches!(err, Error::MessageTooLarge { max: 100_000 }), "{err}");
    assert!(matches!(ws.recv().await, Err(Error::Closed)));
}

/// The server picks the offered subprotocol, or refuses the connection.
pub async fn subprotocol_chosen_and_refused(test: &str) {
    let ws = connect(test, &ConnectOptions::new().protocol("chat")).await.expect("connect");
    assert_eq!(ws.protocol(), Some("chat"));
    let plain = connect(test, &ConnectOptions::new()).await.expect("connect");
    assert_eq!(plain.protocol(), None);
    let refused = connect(test, &ConnectOptions::new().protocol("x-refuse-me")).await;
    assert!(matches!(refused, Err(Error::Handshake { .. })), "{refused:?}");
}

/// The server sees our close code and reason; we see the server's.
pub async fn close_codes_and_reasons_both_ways(test: &str) {
    let mut ws =
        connect(&format!("{test}/echo?id=client-close"), &ConnectOptions::new()).await.expect("connect");
    ws.close(4001, "bye from the client").await.expect("close");
    assert_eq!(close_of(test, "client-close").await, "4001 bye from the client");

    let mut ws = connect(&format!("{test}/close?code=4002&reason=server"), &ConnectOptions::new())
        .await
        .expect("connect");
    let close = ws.recv().await.expect("close message");
    assert_eq!(close.message_type(), MessageType::Close);
    assert_eq!(close.close_code().map(|c| c.0), Some(4002));
    assert_eq!(close.as_text(), Some("server"));
    assert!(matches!(ws.recv().await, Err(Error::Closed)));
}

/// Nothing hangs before open: a closed port fails at once, a silent server at the timeout.
pub async fn failures_before_open_are_errors(closed: &str, silent: &str) {
    // Long enough that only a hang, never a slow refusal, reaches it.
    let options = ConnectOptions::new().timeout(Duration::from_secs(60));
    let refused = connect(closed, &options).await.expect_err("nothing listens there");
    // Natively the refusal itself comes back; a browser only says it could not connect.
    #[cfg(not(target_arch = "wasm32"))]
    assert!(
        matches!(&refused, Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused),
        "{refused}"
    );
    #[cfg(target_arch = "wasm32")]
    assert!(
        matches!(
            refused,
            Error::Handshake { status: None, failure: uniws::HandshakeFailure::BrowserRefused }
        ),
        "{refused}"
    );
    let options = ConnectOptions::new().timeout(Duration::from_millis(500));
    let silent = connect(silent, &options).await.expect_err("the server never answers");
    assert!(matches!(silent, Error::Timeout), "{silent}");
}

/// Two halves, one sending and one receiving, of the same socket.
pub async fn split_halves(echo: &str) {
    let ws = connect(echo, &ConnectOptions::new()).await.expect("connect");
    let (mut sender, mut receiver) = ws.split();
    for i in 0..100 {
        sender.send(Message::text(format!("{i}"))).await.expect("send");
    }
    for i in 0..100 {
        assert_eq!(receiver.recv().await.expect("recv").as_text(), Some(format!("{i}").as_str()));
    }
    sender.close(1000, "").await.expect("close");
    assert_eq!(receiver.recv().await.expect("close").message_type(), MessageType::Close);
}

/// permessage-deflate, offered by default (natively as browsers offer it, in a browser by the
/// browser), is accepted by a uniws server without context takeover, and messages compressed
/// both ways come back intact, one over several frames included.
pub async fn compression_is_negotiated(test: &str) {
    let mut ws = connect(&format!("{test}/echo"), &ConnectOptions::new().max_frame_size(64 << 10))
        .await
        .expect("connect");
    // Natively and in Chromium, the server's answer whole; Firefox reports the name alone.
    let extensions = ws.extensions().expect("compression negotiated");
    assert!(
        ["permessage-deflate; server_no_context_takeover; client_no_context_takeover", "permessage-deflate"]
            .contains(&extensions),
        "{extensions}"
    );
    #[cfg(not(target_arch = "wasm32"))]
    assert_eq!(extensions, "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    let chat = r#"{"user":"ada","text":"compress me, compress me, compress me"}"#;
    ws.send(Message::text(chat)).await.expect("send");
    assert_eq!(ws.recv().await.expect("recv").as_text(), Some(chat));
    let large: Vec<u8> = (0..1 << 20).map(|i: u32| (i / 1000) as u8).collect();
    ws.send_all(Message::binary(large.clone())).await.expect("send_all");
    let echo = ws.recv_all(2 << 20).await.expect("recv_all");
    assert!(echo.data() == large.as_slice(), "the bytes came back in order");
    ws.close(1000, "").await.expect("close");
}

/// The socket as a `Stream` of whole messages and a `Sink` (`StreamExt`, `SinkExt`): a
/// message over many frames comes out whole, the stream's limit is the option's, and closing
/// the sink ends the stream after the peer's close.
pub async fn stream_and_sink(echo: &str) {
    let options = ConnectOptions::new().max_frame_size(1024).max_message_size(64 << 10);
    let mut messages = connect(echo, &options).await.expect("connect").into_messages();
    let large = Message::binary((0..50_000u32).map(|i| i as u8).collect::<Vec<u8>>());
    messages.send(Message::text("hello")).await.expect("send");
    messages.send(large.clone()).await.expect("send a large message");
    assert_eq!(messages.next().await.expect("a message").expect("hello"), Message::text("hello"));
    assert_eq!(messages.next().await.expect("a message").expect("large"), large);
    messages.send(Message::binary(vec![0u8; (64 << 10) + 1])).await.expect("send over the limit");
    let error = messages.next().await.expect("an error").expect_err("over the limit");
    assert!(matches!(error, Error::MessageTooLarge { max } if max == 64 << 10), "{error:?}");
    assert!(messages.next().await.is_none(), "the stream ends after an error");

    let mut messages = connect(echo, &ConnectOptions::new()).await.expect("connect").into_messages();
    messages.send(Message::text("last")).await.expect("send");
    assert_eq!(messages.next().await.expect("a message").expect("last"), Message::text("last"));
    messages.close().await.expect("close");
    let close = messages.next().await.expect("the close").expect("the close");
    assert_eq!(close.message_type(), MessageType::Close);
    assert!(messages.next().await.is_none());
}

/// Reconnection, the same on both targets: the server closes with a code and a reason, the
/// socket keeps them, renews its URL and comes back (to an endpoint that sends at once), and
/// after the application's close it stays closed.
pub async fn reconnect_after_a_close(test: &str) {
    let policy = ReconnectPolicy::new().backoff(Duration::from_millis(10), Duration::from_millis(100));
    let next = format!("{test}/send?size=3");
    let states = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = states.clone();
    let mut ws =
        Reconnecting::new(format!("{test}/close?code=4001&reason=first"), ConnectOptions::new(), policy)
            .renew(move |_, url, _| *url = next.clone())
            .on_state(move |state| {
                if let ConnectionState::Connected { attempt } = state {
                    record.lock().unwrap().push(*attempt);
                }
            });
    ws.connect().await.expect("connect");
    assert_eq!(ws.recv().await.expect("from the new connection"), Message::binary(b"xxx".to_vec()));
    let drops: Vec<(u16, &str)> = ws.drops().iter().map(|d| (d.code.0, d.reason.as_str())).collect();
    assert_eq!(drops, [(4001, "first")]);
    assert_eq!(*states.lock().unwrap(), [0, 1]);
    ws.close(1000, "").await.expect("close");
    assert!(matches!(ws.recv().await, Err(Error::Closed)));
}

/// After `SendHalf::close`, the receiving half's wait for a server that never answers (it
/// does not read) ends within the close timeout, with `Timeout`; then the socket is closed.
pub async fn split_close_is_bounded(test: &str) {
    let options = ConnectOptions::new().close_timeout(Duration::from_millis(300));
    let ws = connect(&format!("{test}/stall"), &options).await.expect("connect");
    let (mut sender, mut receiver) = ws.split();
    sender.close(1000, "bye").await.expect("close");
    assert!(matches!(receiver.recv().await, Err(Error::Timeout)));
    assert!(matches!(receiver.recv().await, Err(Error::Closed)));
}
