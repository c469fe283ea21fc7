//! Browser tests, run by wasm-bindgen-test in headless Chromium (`scripts/test-browser.sh`)
//! against `examples/echo_server.rs` and `examples/test_server.rs` on 127.0.0.1: the shared
//! scenarios, plus what only the browser's emulation does (large messages cut into partial
//! messages, options a browser cannot honour refused by name). Their URLs come from the
//! environment at build time.
#![cfg(target_arch = "wasm32")]

mod scenarios;

use std::time::Duration;

use uniws::{CloseCode, ConnectOptions, DeflateOptions, Error, Message, MessageType, connect};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const ECHO: &str = env!("UNIWS_ECHO_URL");
const TEST: &str = env!("UNIWS_TEST_URL");
const SILENT: &str = env!("UNIWS_SILENT_URL");
const CLOSED: &str = env!("UNIWS_CLOSED_URL");

#[wasm_bindgen_test]
async fn text_and_binary_round_trip() {
    scenarios::text_and_binary_round_trip(ECHO).await;
}

#[wasm_bindgen_test]
async fn large_message_in_small_frames() {
    scenarios::large_message_in_small_frames(ECHO).await;
}

#[wasm_bindgen_test]
async fn oversize_send_is_refused() {
    scenarios::oversize_send_is_refused(ECHO).await;
}

#[wasm_bindgen_test]
async fn recv_all_over_its_limit_fails() {
    scenarios::recv_all_over_its_limit_fails(TEST).await;
}

#[wasm_bindgen_test]
async fn subprotocol_chosen_and_refused() {
    scenarios::subprotocol_chosen_and_refused(TEST).await;
}

#[wasm_bindgen_test]
async fn close_codes_and_reasons_both_ways() {
    scenarios::close_codes_and_reasons_both_ways(TEST).await;
}

#[wasm_bindgen_test]
async fn failures_before_open_are_errors() {
    scenarios::failures_before_open_are_errors(CLOSED, SILENT).await;
}

#[wasm_bindgen_test]
async fn split_halves() {
    scenarios::split_halves(ECHO).await;
}

#[wasm_bindgen_test]
async fn reconnect_after_a_close() {
    scenarios::reconnect_after_a_close(TEST).await;
}

#[wasm_bindgen_test]
async fn split_close_is_bounded() {
    scenarios::split_close_is_bounded(TEST).await;
}

#[wasm_bindgen_test]
async fn stream_and_sink() {
    scenarios::stream_and_sink(ECHO).await;
}

/// A browser cannot send pings: its heartbeat is an idle timeout. Nothing comes from an echo
/// server that is sent nothing, so `recv` fails after `interval + timeout`, and the socket
/// is closed.
#[wasm_bindgen_test]
async fn heartbeat_is_an_idle_timeout() {
    let beat = Duration::from_millis(100);
    let mut ws = connect(ECHO, &ConnectOptions::new().heartbeat(beat, beat)).await.expect("connect");
    ws.send(Message::text("one")).await.expect("send");
    assert_eq!(ws.recv().await.expect("the echo").as_text(), Some("one"));
    assert!(matches!(ws.recv().await, Err(Error::HeartbeatTimeout)));
    assert!(matches!(ws.recv().await, Err(Error::Closed)));
}

#[wasm_bindgen_test]
async fn compression_is_negotiated() {
    scenarios::compression_is_negotiated(TEST).await;
}

#[wasm_bindgen_test]
async fn a_large_incoming_message_comes_in_partial_pieces() {
    let options = ConnectOptions::new().max_frame_size(65536);
    let mut ws = connect(&format!("{TEST}/send?size=200000"), &options).await.expect("connect");
    let mut sizes = Vec::new();
    loop {
        let piece = ws.recv().await.expect("piece");
        assert_eq!(piece.message_type(), MessageType::Binary);
        sizes.push(piece.len());
        if !piece.is_partial() {
            break;
        }
    }
    assert_eq!(sizes, [65536, 65536, 65536, 200000 - 3 * 65536]);
    // The same message through recv_all is whole again.
    ws.send(Message::binary(vec![7u8; 65536])).await.expect("send");
    let whole = ws.recv_all(1 << 20).await.expect("recv_all");
    assert_eq!(whole.len(), 65536);
    ws.close(1000, "").await.expect("close");
}

#[wasm_bindgen_test]
async fn partial_sends_go_out_as_one_message() {
    let mut ws = connect(ECHO, &ConnectOptions::new()).await.expect("connect");
    ws.send(Message::text("ab").with_partial(true)).await.expect("part");
    ws.send(Message::text("cd").with_partial(true)).await.expect("part");
    let mixed = ws.send(Message::binary(vec![1u8])).await;
    assert!(matches!(mixed, Err(Error::InvalidMessage(_))), "{mixed:?}");
    ws.send(Message::text("e")).await.expect("final part");
    assert_eq!(ws.recv().await.expect("echo"), Message::text("abcde"));
    ws.close(1000, "").await.expect("close");
}

#[wasm_bindgen_test]
async fn each_option_a_browser_cannot_honour_is_refused_by_name() {
    let cases = [
        (ConnectOptions::new().header("X-A", "1"), "headers"),
        (ConnectOptions::new().cookie("a", "1"), "cookies"),
        (ConnectOptions::new().basic_auth("u", "p"), "auth"),
        (ConnectOptions::new().bearer_auth("t"), "auth"),
        (ConnectOptions::new().max_redirects(3), "max_redirects"),
        (ConnectOptions::new().auto_pong(false), "auto_pong"),
        (ConnectOptions::new().deflate(DeflateOptions::disabled()), "deflate"),
        (ConnectOptions::new().deflate(DeflateOptions::client().level(1)), "deflate"),
        // Any configuration: the browser build has no TLS library to type it with.
        (ConnectOptions::new().tls_config(std::sync::Arc::new(())), "tls_config"),
        (ConnectOptions::new().proxy("http://127.0.0.1:3128"), "proxy"),
        (ConnectOptions::new().no_proxy(), "no_proxy"),
    ];
    for (options, name) in cases {
        match connect(ECHO, &options).await {
            Err(Error::Unsupported(what)) => assert!(what.contains(name), "{what} should name {name}"),
            other => panic!("{name}: expected Unsupported, got {other:?}"),
        }
    }
    let mut ws = connect(ECHO, &ConnectOptions::new()).await.expect("connect");
    for control in [Message::ping(vec![1u8]), Message::pong(vec![1u8])] {
        assert!(matches!(ws.send(control).await, Err(Error::Unsupported(_))));
    }
    assert!(matches!(ws.close(1001, "").await, Err(Error::Unsupported(_))));
    ws.close(1000, "").await.expect("close");
}

#[wasm_bindgen_test]
async fn urls_are_made_as_natively_by_the_browser_parser() {
    // http becomes ws, and the fragment goes (the browser's WebSocket refuses one); the
    // parameters are appended.
    let url = format!("{}/echo#part", ECHO.replacen("ws:", "http:", 1));
    let options = ConnectOptions::new().param("room", "a b&c");
    let mut ws = connect(&url, &options).await.expect("connect over an http URL with a fragment");
    ws.send(Message::text("x")).await.expect("send");
    assert_eq!(ws.recv().await.expect("echo"), Message::text("x"));
    ws.close(1000, "").await.expect("close");
    for bad in ["ftp://127.0.0.1/", "no scheme", ""] {
        match connect(bad, &ConnectOptions::new()).await {
            Err(Error::InvalidUrl(_)) => {}
            other => panic!("{bad:?}: expected InvalidUrl, got {other:?}"),
        }
    }
}

#[wasm_bindgen_test]
async fn dropping_a_socket_closes_it_with_1000() {
    let ws = connect(&format!("{TEST}/echo?id=dropped"), &ConnectOptions::new()).await.expect("connect");
    drop(ws);
    assert_eq!(scenarios::close_of(TEST, "dropped").await, "1000 ");
}

#[wasm_bindgen_test]
async fn a_browser_socket_knows_no_addresses() {
    let ws = connect(ECHO, &ConnectOptions::new()).await.expect("connect");
    assert_eq!(ws.local_addr(), None);
    assert_eq!(ws.peer_addr(), None);
    assert_eq!(ws.request_target(), None);
}

#[wasm_bindgen_test]
async fn recv_all_over_its_limit_closes_with_4009_on_the_wire() {
    let url = format!("{TEST}/send?size=200000&id=too-large");
    let mut ws = connect(&url, &ConnectOptions::new()).await.expect("connect");
    let err = ws.recv_all(100_000).await.expect_err("over the limit");
    assert!(matches!(err, Error::MessageTooLarge { max: 100_000 }), "{err}");
    assert_eq!(scenarios::close_of(TEST, "too-large").await, "4009 ");
}

/// Floods a socket the application does not read with `count` messages of 1 MiB, and
/// returns how many bytes it queued before it cut the flood off.
async fn unread_flood(id: &str, count: usize, options: &ConnectOptions) -> usize {
    let url = format!("{TEST}/flood?count={count}&size=1048576&id={id}");
    let mut ws = connect(&url, options).await.expect("connect");
    // Nothing is read until the server has the browser's close: the queue is full by then,
    // however long the flood took to arrive.
    assert_eq!(scenarios::close_of(TEST, id).await, "4008 receive queue over its limit");
    let mut received = 0;
    let err = loop {
        match ws.recv().await {
            Ok(message) if message.message_type() == MessageType::Binary => received += message.len(),
            Ok(other) => panic!("unexpected {other:?}"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, Error::ReceiveQueueFull { .. }), "{err}");
    assert_eq!(err.close_code(), Some(CloseCode::POLICY_VIOLATION));
    received
}

#[wasm_bindgen_test]
async fn a_flood_the_application_does_not_read_is_cut_off_past_64_mib() {
    let received = unread_flood("flood-64-mib", 70, &ConnectOptions::new()).await;
    assert_eq!(received, 64 << 20, "the messages that fitted in 64 MiB, every one of them");
}

#[wasm_bindgen_test]
async fn with_large_frames_the_receive_queue_holds_16_of_them() {
    // 16 frames of 5 MiB are 80 MiB, past the 64 MiB floor.
    let options = ConnectOptions::new().max_frame_size(5 << 20);
    let received = unread_flood("flood-16-frames", 85, &options).await;
    assert_eq!(received, 80 << 20);
}

#[wasm_bindgen_test]
async fn sends_wait_while_the_browser_buffer_is_full() {
    let mut ws = connect(&format!("{TEST}/stall"), &ConnectOptions::new()).await.expect("connect");
    ws.set_output_timeout(Some(Duration::from_millis(500)));
    // Incompressible, so that the browser's permessage-deflate cannot shrink it away.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let noise: Vec<u8> = (0..1 << 20)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let chunk = Message::binary(noise);
    let mut sent = 0;
    let err = loop {
        match ws.send(chunk.clone()).await {
            Ok(()) => sent += 1,
            Err(e) => break e,
        }
        assert!(sent < 200, "sends never waited");
    };
    assert!(matches!(err, Error::Timeout), "{err}");
}
