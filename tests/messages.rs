//! Messages over real sockets on 127.0.0.1: every type both ways, partial frames, `send_all`
//! and `recv_all` of large messages, the frame and message limits, the close handshake from
//! either side, automatic pongs, split halves, timeouts and backpressure.

use std::time::Duration;

use tokio::net::TcpListener;
use tokio::time::timeout;
use uniws::proto::Role;
use uniws::{
    CloseCode, ConnectOptions, DeflateOptions, Error, Message, MessageType, ServerOptions, WebSocket, connect,
};
use uniws_test_support::{incompressible, within};

/// The bound on every wait: only a hang reaches it, however loaded the machine.
const LIMIT: Duration = Duration::from_secs(60);

/// A connected (client, server) pair.
async fn pair(server: ServerOptions, client: ConnectOptions) -> (WebSocket, WebSocket) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accept = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        server.accept(tcp).await
    });
    let client = timeout(LIMIT, connect(&format!("ws://{addr}/"), &client)).await.unwrap().unwrap();
    let server = timeout(LIMIT, accept).await.unwrap().unwrap().unwrap();
    (client, server)
}

async fn default_pair() -> (WebSocket, WebSocket) {
    pair(ServerOptions::new(), ConnectOptions::new()).await
}

/// A pair without permessage-deflate, for tests about the sizes of frames on the wire.
async fn uncompressed_pair(server: ServerOptions, client: ConnectOptions) -> (WebSocket, WebSocket) {
    pair(server, client.deflate(DeflateOptions::disabled())).await
}

async fn recv(ws: &mut WebSocket) -> Result<Message, Error> {
    timeout(LIMIT, ws.recv()).await.expect("recv hung")
}

#[tokio::test]
async fn every_message_type_round_trips_both_ways() {
    let (mut client, mut server) = default_pair().await;
    let messages = [
        Message::text("hello, wörld ✓"),
        Message::text(""),
        Message::binary(vec![0u8, 1, 2, 254, 255]),
        Message::binary(Vec::new()),
        Message::pong(&b"unsolicited"[..]),
    ];
    for message in &messages {
        client.send(message.clone()).await.unwrap();
        assert_eq!(&recv(&mut server).await.unwrap(), message);
        server.send(message.clone()).await.unwrap();
        assert_eq!(&recv(&mut client).await.unwrap(), message);
    }
    // A ping is visible to recv, and the socket answers it by itself.
    client.send(Message::ping(&b"p1"[..])).await.unwrap();
    assert_eq!(recv(&mut server).await.unwrap(), Message::ping(&b"p1"[..]));
    assert_eq!(recv(&mut client).await.unwrap(), Message::pong(&b"p1"[..]));
    server.send(Message::ping(&b"p2"[..])).await.unwrap();
    assert_eq!(recv(&mut client).await.unwrap(), Message::ping(&b"p2"[..]));
    assert_eq!(recv(&mut server).await.unwrap(), Message::pong(&b"p2"[..]));
}

#[tokio::test]
async fn pings_go_unanswered_when_auto_pong_is_off() {
    let (mut client, mut server) = pair(ServerOptions::new().auto_pong(false), ConnectOptions::new()).await;
    client.send(Message::ping(&b"x"[..])).await.unwrap();
    assert_eq!(recv(&mut server).await.unwrap().message_type(), MessageType::Ping);
    client.set_input_timeout(Some(Duration::from_millis(200)));
    assert!(matches!(client.recv().await, Err(Error::Timeout)));
    // The application can answer by hand.
    server.send(Message::pong(&b"x"[..])).await.unwrap();
    assert_eq!(recv(&mut client).await.unwrap(), Message::pong(&b"x"[..]));
}

#[tokio::test]
async fn partial_frames_in_both_directions() {
    let (mut client, mut server) = default_pair().await;
    let parts =
        [Message::text("ab").with_partial(true), Message::text("cd").with_partial(true), Message::text("é")];
    for part in &parts {
        client.send(part.clone()).await.unwrap();
    }
    for part in &parts {
        assert_eq!(&recv(&mut server).await.unwrap(), part);
    }
    for part in &parts {
        server.send(part.clone()).await.unwrap();
    }
    let whole = timeout(LIMIT, client.recv_all(100)).await.unwrap().unwrap();
    assert_eq!(whole, Message::text("abcdé"));
    // Binary too, and a control frame between fragments does not disturb the message.
    client.send(Message::binary(vec![1u8; 3]).with_partial(true)).await.unwrap();
    client.send(Message::ping(&b"between"[..])).await.unwrap();
    client.send(Message::binary(vec![2u8; 3])).await.unwrap();
    assert_eq!(timeout(LIMIT, server.recv_all(6)).await.unwrap().unwrap().message_type(), MessageType::Ping);
    let whole = timeout(LIMIT, server.recv_all(6)).await.unwrap().unwrap();
    assert_eq!(whole, Message::binary(vec![1u8, 1, 1, 2, 2, 2]));
}

/// Payloads of several connections served by one thread share read blocks: messages kept
/// while many more arrive (blocks filling up and being replaced) keep their bytes.
#[tokio::test]
async fn kept_messages_survive_later_reads_on_other_connections() {
    let (mut client_a, mut server_a) = default_pair().await;
    let (mut client_b, mut server_b) = default_pair().await;
    let payload = |conn: u8, i: usize| vec![conn ^ i as u8; 1 + (i * 37) % 3000];
    let mut kept = Vec::new();
    for i in 0..400 {
        client_a.send(Message::binary(payload(1, i))).await.unwrap();
        client_b.send(Message::binary(payload(2, i))).await.unwrap();
        kept.push((1, i, recv(&mut server_a).await.unwrap()));
        kept.push((2, i, recv(&mut server_b).await.unwrap()));
        // Every other message is dropped at once, so blocks are partly free.
        if i % 2 == 1 {
            kept.truncate(kept.len() - 2);
        }
    }
    assert_eq!(kept.len(), 400);
    for (conn, i, message) in &kept {
        assert_eq!(message.data(), &payload(*conn, *i)[..], "message {i} of connection {conn}");
    }
}

/// `recv_all` returns a ping that arrives between fragments; a plain `recv` after it hands
/// out what `recv_all` had put together, as a partial message, then the rest: nothing lost.
#[tokio::test]
async fn recv_after_an_interrupted_recv_all_loses_nothing() {
    let (mut client, mut server) = default_pair().await;
    client.send(Message::text("hé").with_partial(true)).await.unwrap();
    client.send(Message::text("llo").with_partial(true)).await.unwrap();
    client.send(Message::ping(&b"between"[..])).await.unwrap();
    client.send(Message::text(" wörld")).await.unwrap();
    let ping = timeout(LIMIT, server.recv_all(100)).await.unwrap().unwrap();
    assert_eq!(ping, Message::ping(&b"between"[..]));
    assert_eq!(recv(&mut server).await.unwrap(), Message::text("héllo").with_partial(true));
    assert_eq!(recv(&mut server).await.unwrap(), Message::text(" wörld"));
}

#[tokio::test]
async fn sixteen_mib_through_send_all_and_recv_all_in_one_mib_frames() {
    const SIZE: usize = 16 << 20;
    let (client, mut server) =
        pair(ServerOptions::new(), ConnectOptions::new().max_frame_size(1 << 20)).await;
    let data: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    let (mut sender, mut receiver) = client.split();
    let expected = data.clone();
    let send = tokio::spawn(async move { sender.send_all(Message::binary(data)).await });

    // The server sees 16 frames of 1 MiB, all but the last partial.
    let mut frames = Vec::new();
    loop {
        let frame = recv(&mut server).await.unwrap();
        assert_eq!(frame.message_type(), MessageType::Binary);
        assert!(frame.len() <= 1 << 20);
        let last = !frame.is_partial();
        frames.push(frame);
        if last {
            break;
        }
    }
    send.await.unwrap().unwrap();
    assert_eq!(frames.len(), 16);
    let joined: Vec<u8> = frames.iter().flat_map(|f| f.data().to_vec()).collect();
    assert!(joined == expected, "server got the bytes in order");

    // Back the other way, reassembled by recv_all.
    let echo = tokio::spawn(async move {
        server.send_all(Message::binary(joined)).await.unwrap();
        server
    });
    let whole = timeout(LIMIT, receiver.recv_all(SIZE)).await.unwrap().unwrap();
    assert_eq!(whole.len(), SIZE);
    assert!(whole.data() == expected.as_slice());
    echo.await.unwrap();
}

#[tokio::test]
async fn send_all_cuts_text_at_character_boundaries() {
    let (client, mut server) = pair(ServerOptions::new(), ConnectOptions::new().max_frame_size(5)).await;
    let (mut sender, _receiver) = client.split();
    let text = "ééé€€a𝄞";
    sender.send_all(Message::text(text)).await.unwrap();
    let mut joined = String::new();
    loop {
        let frame = recv(&mut server).await.unwrap();
        assert!(frame.len() <= 5);
        joined.push_str(frame.as_text().expect("each frame is valid UTF-8"));
        if !frame.is_partial() {
            break;
        }
    }
    assert_eq!(joined, text);
}

#[tokio::test]
async fn oversize_frame_is_refused_on_send_and_the_socket_stays_usable() {
    let (mut client, mut server) =
        pair(ServerOptions::new(), ConnectOptions::new().max_frame_size(1024)).await;
    assert_eq!(client.max_frame_size(), 1024);
    let err = client.send(Message::binary(vec![0u8; 1025])).await.unwrap_err();
    assert!(matches!(err, Error::FrameTooLarge { size: 1025, max: 1024 }), "{err}");
    client.send(Message::binary(vec![0u8; 1024])).await.unwrap();
    assert_eq!(recv(&mut server).await.unwrap().len(), 1024);
}

#[tokio::test]
async fn oversize_frame_on_receive_fails_the_connection_with_1009() {
    let (mut client, mut server) =
        uncompressed_pair(ServerOptions::new().max_frame_size(1024), ConnectOptions::new()).await;
    client.send(Message::binary(vec![0u8; 2048])).await.unwrap();
    let err = recv(&mut server).await.unwrap_err();
    assert!(matches!(err, Error::FrameTooLarge { size: 2048, max: 1024 }), "{err}");
    let close = recv(&mut client).await.unwrap();
    assert_eq!(close.close_code(), Some(CloseCode::MESSAGE_TOO_BIG));
    assert!(matches!(recv(&mut server).await, Err(Error::Closed)));
}

#[tokio::test]
async fn recv_all_limit_counts_every_byte_and_fails_with_1009() {
    let (client, mut server) = pair(ServerOptions::new(), ConnectOptions::new().max_frame_size(1000)).await;
    let (mut sender, mut receiver) = client.split();
    // Exactly at the limit: fine.
    sender.send_all(Message::binary(vec![1u8; 3000])).await.unwrap();
    assert_eq!(timeout(LIMIT, server.recv_all(3000)).await.unwrap().unwrap().len(), 3000);
    // One byte over, in the final frame: refused.
    sender.send_all(Message::binary(vec![1u8; 3001])).await.unwrap();
    let err = timeout(LIMIT, server.recv_all(3000)).await.unwrap().unwrap_err();
    assert!(matches!(err, Error::MessageTooLarge { max: 3000 }), "{err}");
    let close = timeout(LIMIT, receiver.recv()).await.unwrap().unwrap();
    assert_eq!(close.close_code(), Some(CloseCode::MESSAGE_TOO_BIG));
}

/// A server that fails a connection at a frame's header (over its `recv_all` limit) while the
/// client is still sending the message: the 1009 close must reach the client. The server
/// reads and drops the rest until the client closes too: closing a socket with unread bytes
/// makes the kernel answer with a reset, which often costs the client the close frame
/// (`BrokenPipe` or `ConnectionReset` instead).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_failing_mid_message_delivers_its_1009_to_the_client_still_sending() {
    let data = incompressible(4 << 20, 9);
    for round in 0..20 {
        let (client, mut server) = uncompressed_pair(ServerOptions::new(), ConnectOptions::new()).await;
        let (mut sender, mut receiver) = client.split();
        let message = Message::binary(data.clone());
        // Its outcome is either: the message may go out whole before the close arrives, or
        // the close may end it.
        let sending = tokio::spawn(async move {
            let _ = sender.send_all(message).await;
            sender
        });
        let failing = tokio::spawn(async move {
            let err = within(server.recv_all(1 << 20)).await.unwrap_err();
            assert!(matches!(err, Error::MessageTooLarge { max } if max == 1 << 20), "round {round}: {err}");
            // Dropped at once, as an application would.
        });
        let close = within(receiver.recv()).await;
        let close = close.unwrap_or_else(|e| panic!("round {round}: no close frame but {e:?}"));
        assert_eq!(close.close_code(), Some(CloseCode::MESSAGE_TOO_BIG), "round {round}: {close:?}");
        within(failing).await.unwrap();
        drop(within(sending).await.unwrap());
    }
}

#[tokio::test]
async fn close_started_by_the_client() {
    let (mut client, mut server) = default_pair().await;
    let serving = tokio::spawn(async move {
        let close = recv(&mut server).await.unwrap();
        let next = recv(&mut server).await;
        (close, next)
    });
    timeout(LIMIT, client.close(1000, "done")).await.unwrap().unwrap();
    let (close, next) = serving.await.unwrap();
    assert_eq!(close.message_type(), MessageType::Close);
    assert_eq!(close.close_code(), Some(CloseCode::NORMAL));
    assert_eq!(close.as_text(), Some("done"));
    assert!(matches!(next, Err(Error::Closed)));
    assert!(matches!(client.send(Message::text("late")).await, Err(Error::Closed)));
    assert!(matches!(client.recv().await, Err(Error::Closed)));
    // Closing again is harmless.
    timeout(LIMIT, client.close(1000, "")).await.unwrap().unwrap();
}

#[tokio::test]
async fn close_started_by_the_server() {
    let (mut client, mut server) = default_pair().await;
    let closing = tokio::spawn(async move { timeout(LIMIT, server.close(4001, "bye")).await.unwrap() });
    let close = recv(&mut client).await.unwrap();
    assert_eq!(close.close_code(), Some(CloseCode(4001)));
    assert_eq!(close.as_text(), Some("bye"));
    closing.await.unwrap().unwrap();
    assert!(matches!(recv(&mut client).await, Err(Error::Closed)));
}

#[tokio::test]
async fn close_waits_its_timeout_for_a_silent_peer_and_no_longer() {
    let (mut client, _server) = default_pair().await;
    // Connected on the real clock, then paused: the paused clock jumps straight to the next
    // timer once every task waits, so the wait is measured exactly however loaded the machine
    // (a close that waited longer would end at LIMIT, not at the close timeout).
    tokio::time::pause();
    let started = tokio::time::Instant::now();
    // The server never reads, so never answers the close.
    let result = timeout(LIMIT, client.close(1000, "")).await.unwrap();
    assert!(matches!(result, Err(Error::Timeout)), "{result:?}");
    let waited = started.elapsed();
    // The timer wheel counts whole milliseconds from when the runtime started.
    let exact = uniws::DEFAULT_CLOSE_TIMEOUT..=uniws::DEFAULT_CLOSE_TIMEOUT + Duration::from_millis(1);
    assert!(exact.contains(&waited), "{waited:?}");
}

#[tokio::test]
async fn invalid_close_messages_are_refused_on_send() {
    let (mut client, _server) = default_pair().await;
    for message in [Message::close(1005, ""), Message::close(1000, "x".repeat(124))] {
        assert!(matches!(client.send(message).await, Err(Error::InvalidMessage(_))));
    }
    let err = client.send(Message::ping(vec![0u8; 126])).await.unwrap_err();
    assert!(matches!(err, Error::InvalidMessage(_)), "{err}");
}

#[tokio::test]
async fn split_halves_work_from_two_tasks_at_once() {
    let (client, server) = default_pair().await;
    let echo = tokio::spawn(async move {
        let (mut tx, mut rx) = server.split();
        while let Ok(message) = rx.recv().await {
            if message.message_type() == MessageType::Close || tx.send(message).await.is_err() {
                break;
            }
        }
    });
    let (mut tx, mut rx) = client.split();
    let sending = tokio::spawn(async move {
        for i in 0..1000 {
            tx.send(Message::text(format!("message {i}"))).await.unwrap();
        }
        tx
    });
    for i in 0..1000 {
        let message = timeout(LIMIT, rx.recv()).await.unwrap().unwrap();
        assert_eq!(message.as_text(), Some(format!("message {i}").as_str()));
    }
    let mut tx = sending.await.unwrap();
    tx.close(1000, "").await.unwrap();
    let close = timeout(LIMIT, rx.recv()).await.unwrap().unwrap();
    assert_eq!(close.close_code(), Some(CloseCode::NORMAL));
    timeout(LIMIT, echo).await.unwrap().unwrap();
}

#[tokio::test]
async fn a_recv_timeout_leaves_the_socket_usable() {
    let (mut client, mut server) = default_pair().await;
    client.set_input_timeout(Some(Duration::from_millis(100)));
    assert!(matches!(client.recv().await, Err(Error::Timeout)));
    server.send(Message::text("later")).await.unwrap();
    assert_eq!(client.recv().await.unwrap(), Message::text("later"));
}

#[tokio::test]
async fn a_peer_that_stops_reading_slows_the_sender_who_buffers_at_most_one_frame() {
    let (mut client, mut server) = uncompressed_pair(ServerOptions::new(), ConnectOptions::new()).await;
    client.set_output_timeout(Some(Duration::from_millis(300)));
    let frame = Message::binary(vec![7u8; 256 * 1024]);
    // The server does not read: the kernel buffers fill, then a send times out.
    let mut sent = 0usize;
    loop {
        match client.send(frame.clone()).await {
            Ok(()) => sent += 1,
            Err(Error::Timeout) => break,
            Err(e) => panic!("unexpected {e}"),
        }
        assert!(sent < 1000, "sends never blocked");
    }
    // Every frame whose send returned was handed to the kernel whole: the server reads them
    // all while the client does nothing.
    for _ in 0..sent {
        let message = recv(&mut server).await.unwrap();
        assert_eq!(message.len(), 256 * 1024);
        assert!(message.data().iter().all(|&b| b == 7));
    }
    // The timed-out frame did not all fit: its rest is the one frame the client holds, and
    // it stays there while the client does nothing (waiting longer cannot bring it).
    server.set_input_timeout(Some(Duration::from_millis(200)));
    let held = server.recv().await;
    assert!(matches!(held, Err(Error::Timeout)), "the timed-out frame arrived whole: {held:?}");
    server.set_input_timeout(None);
    // The next send writes that rest before its own frame: nothing is lost.
    client.set_output_timeout(None);
    let reading = tokio::spawn(async move {
        for _ in 0..2 {
            let message = recv(&mut server).await.unwrap();
            assert_eq!(message.len(), 256 * 1024);
            assert!(message.data().iter().all(|&b| b == 7));
        }
    });
    timeout(LIMIT, client.send(frame.clone())).await.unwrap().unwrap();
    timeout(LIMIT, reading).await.unwrap().unwrap();
}

#[tokio::test]
async fn addresses_and_eof_without_close() {
    let (mut client, server) = default_pair().await;
    assert_eq!(client.local_addr(), server.peer_addr());
    assert_eq!(client.peer_addr(), server.local_addr());
    assert!(client.peer_addr().unwrap().ip().is_loopback());
    assert_eq!(server.request_target(), Some("/"));
    assert_eq!(client.request_target(), None);
    drop(server);
    match recv(&mut client).await {
        Err(Error::Io(e)) => assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof),
        other => panic!("expected an unexpected EOF, got {other:?}"),
    }
}

#[tokio::test]
async fn both_sides_sending_bulk_with_pings_never_deadlock() {
    // Each side's sender fills the socket while the peer's pings arrive: a receiving half that
    // waited for its busy sender to send a pong would stop reading, and so would the peer.
    const FRAMES: usize = 100;
    // Small kernel buffers, so that senders block all the time.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_send_buffer_size(8192).unwrap();
    socket.set_recv_buffer_size(8192).unwrap();
    let tcp = socket.connect(listener.local_addr().unwrap()).await.unwrap();
    let (accepted, _) = listener.accept().await.unwrap();
    let client = WebSocket::from_stream(tcp, Role::Client, 1 << 20);
    let server = WebSocket::from_stream(accepted, Role::Server, 1 << 20);
    let run = |ws: WebSocket| async move {
        let (mut tx, mut rx) = ws.split();
        let sending = tokio::spawn(async move {
            for i in 0..FRAMES {
                tx.send(Message::binary(vec![1u8; 256 * 1024])).await.unwrap();
                if i % 2 == 0 {
                    tx.send(Message::ping(&b"hb"[..])).await.unwrap();
                }
            }
            tx
        });
        let mut frames = 0;
        while frames < FRAMES {
            let message = rx.recv().await.unwrap();
            if message.message_type() == MessageType::Binary {
                frames += 1;
            }
        }
        // Both halves live until both sides are done: dropping one with unread pongs
        // would reset the connection under the other.
        (sending.await.unwrap(), rx)
    };
    let both = async { tokio::join!(tokio::spawn(run(client)), tokio::spawn(run(server))) };
    let (a, b) = timeout(LIMIT, both).await.expect("deadlocked");
    let _sockets = (a.unwrap(), b.unwrap());
}

#[tokio::test]
async fn control_frames_pass_whatever_the_frame_limit() {
    // A frame limit below 125 bytes still lets pings and a close with a reason through:
    // control frames have their own cap.
    let (mut client, mut server) =
        pair(ServerOptions::new().max_frame_size(3), ConnectOptions::new().max_frame_size(3)).await;
    client.send(Message::ping(vec![9u8; 100])).await.unwrap();
    assert_eq!(recv(&mut server).await.unwrap(), Message::ping(vec![9u8; 100]));
    assert_eq!(recv(&mut client).await.unwrap(), Message::pong(vec![9u8; 100]));
    let closing = tokio::spawn(async move { recv(&mut server).await });
    timeout(LIMIT, client.close(1000, "a reason longer than three bytes")).await.unwrap().unwrap();
    let close = closing.await.unwrap().unwrap();
    assert_eq!(close.as_text(), Some("a reason longer than three bytes"));
}

/// A client that takes frames of 16 KiB gets back, from a server that echoes them one by one
/// (as `examples/echo_server` does), 300 KB that do not compress: each part, compressed
/// again, is a few bytes larger than 16 KiB on the wire, and fits the limit once inflated,
/// which is what the limit counts.
#[tokio::test]
async fn incompressible_parts_echoed_compressed_fit_a_small_frame_limit() {
    let (mut client, mut server) =
        pair(ServerOptions::new(), ConnectOptions::new().max_frame_size(16 << 10)).await;
    assert!(client.extensions().is_some());
    tokio::spawn(async move {
        while let Ok(message) = server.recv().await {
            if message.message_type().is_control() || server.send(message).await.is_err() {
                break;
            }
        }
    });
    let data = incompressible(300_000, 0);
    timeout(LIMIT, client.send_all(Message::binary(data.clone()))).await.unwrap().unwrap();
    let echoed = timeout(LIMIT, client.recv_all(1 << 20)).await.expect("recv_all hung").unwrap();
    assert!(echoed.data() == &data[..], "{} bytes back", echoed.len());
    timeout(LIMIT, client.send_all(Message::binary(data.clone()))).await.unwrap().unwrap();
    let mut joined = Vec::new();
    loop {
        let part = recv(&mut client).await.unwrap();
        assert!(part.len() <= 16 << 10);
        joined.extend_from_slice(part.data());
        if !part.is_partial() {
            break;
        }
    }
    assert!(joined == data, "{} bytes back in frames", joined.len());
}

/// The common pairs of two uniws ends, one limit changed and the other left at its default,
/// either way round, with and without compression: whole messages of 1 MiB go both ways,
/// each side cutting them into its own frames and taking the other's larger ones in
/// `recv_all` (its limit is the message's). The README's quick start is the first pair.
#[tokio::test]
async fn ends_with_unequal_frame_limits_exchange_whole_messages() {
    let small = 64 * 1024;
    for compressed in [true, false] {
        let deflate = |on: bool| if on { DeflateOptions::client() } else { DeflateOptions::disabled() };
        let pairs = [
            (
                "client 64 KiB, server default",
                ServerOptions::new(),
                ConnectOptions::new().max_frame_size(small),
            ),
            (
                "client default, server 64 KiB",
                ServerOptions::new().max_frame_size(small),
                ConnectOptions::new(),
            ),
        ];
        for (what, server_options, client_options) in pairs {
            let cell = format!("{what}, compression {compressed}");
            let (mut client, mut server) =
                pair(server_options, client_options.deflate(deflate(compressed))).await;
            let message = Message::binary(incompressible(1 << 20, 0));
            for client_sends in [true, false] {
                let (from, to) =
                    if client_sends { (&mut client, &mut server) } else { (&mut server, &mut client) };
                let (sent, got) = timeout(LIMIT, async {
                    tokio::join!(from.send_all(message.clone()), to.recv_all(2 << 20))
                })
                .await
                .unwrap_or_else(|_| panic!("{cell}: hung"));
                sent.unwrap_or_else(|e| panic!("{cell}: send_all: {e}"));
                let got = got.unwrap_or_else(|e| panic!("{cell}: recv_all: {e}"));
                assert!(got.data() == message.data(), "{cell}: the message differs");
            }
        }
    }
}
