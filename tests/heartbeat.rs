//! The heartbeat in both roles, on real sockets on 127.0.0.1: pings after silence keep a
//! live connection open, and a peer that stops answering fails the connection with
//! `Error::HeartbeatTimeout` and close code 1011 on the wire. Short intervals; the only
//! deadlines are hang guards. A peer that stops reading while the server sends fails the
//! `send` the same way, whole or split (over an in-memory pipe, on tokio's paused clock).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uniws::{CloseCode, ConnectOptions, Error, Message, MessageType, ServerOptions, WebSocket, connect};
use uniws_test_support::piped::piped_server;
use uniws_test_support::{bind, within};

const BEAT: Duration = Duration::from_millis(50);

/// Accepts one connection with `options` and hands the socket over.
async fn accept_one(options: ServerOptions) -> (String, tokio::sync::oneshot::Receiver<WebSocket>) {
    let (listener, addr) = bind().await;
    let (give, take) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let _ = give.send(options.accept(tcp).await.unwrap());
    });
    (format!("ws://{addr}"), take)
}

/// Reads until the connection ends: how many pings arrived, and how it ended.
async fn read_to_end(ws: &mut WebSocket) -> (usize, Result<uniws::Message, Error>) {
    let mut pings = 0;
    loop {
        match ws.recv().await {
            Ok(m) if m.message_type() == MessageType::Ping => pings += 1,
            Ok(m) if m.message_type() == MessageType::Close => return (pings, Ok(m)),
            Ok(_) => {}
            Err(e) => return (pings, Err(e)),
        }
    }
}

#[tokio::test]
async fn client_heartbeat_lives_while_answered_and_fails_when_not() {
    let (url, server) = accept_one(ServerOptions::new()).await;
    let mut client = within(connect(&url, &ConnectOptions::new().heartbeat(BEAT, BEAT))).await.unwrap();
    let mut server = within(server).await.unwrap();

    // The server reads (and so answers) five pings, then stops reading: the client's wait
    // sees the five pongs, then nothing, and fails with HeartbeatTimeout.
    let reading = tokio::spawn(async move {
        for _ in 0..5 {
            assert_eq!(server.recv().await.unwrap().message_type(), MessageType::Ping);
        }
        server
    });
    let mut pongs = 0;
    let error = loop {
        match within(client.recv()).await {
            Ok(m) if m.message_type() == MessageType::Pong => pongs += 1,
            Ok(m) => panic!("unexpected {m:?}"),
            Err(e) => break e,
        }
    };
    assert!(matches!(error, Error::HeartbeatTimeout), "{error:?}");
    assert_eq!(pongs, 5, "every ping answered kept the connection open");
    assert!(matches!(client.recv().await, Err(Error::Closed)));
    let mut server = within(reading).await.unwrap();
    let (_, end) = within(read_to_end(&mut server)).await;
    assert_eq!(end.unwrap().close_code(), Some(CloseCode::INTERNAL_ERROR));
}

#[tokio::test]
async fn server_heartbeat_fails_a_client_that_stops_answering() {
    let (url, server) = accept_one(ServerOptions::new().heartbeat(BEAT, BEAT)).await;
    let mut client = within(connect(&url, &ConnectOptions::new())).await.unwrap();
    let mut server = within(server).await.unwrap();
    // The client does not read, so it answers no ping.
    assert!(matches!(within(server.recv()).await, Err(Error::HeartbeatTimeout)));
    let (pings, end) = within(read_to_end(&mut client)).await;
    assert_eq!(pings, 1, "one ping, then the timeout");
    assert_eq!(end.unwrap().close_code(), Some(CloseCode::INTERNAL_ERROR));
}

#[tokio::test]
async fn data_counts_as_life() {
    // Longer than the beat elsewhere: only a stall of the test machine longer than this
    // between two sends could fail it.
    const PATIENT: Duration = Duration::from_millis(500);
    let (url, server) = accept_one(ServerOptions::new().heartbeat(PATIENT, PATIENT)).await;
    let mut client = within(connect(&url, &ConnectOptions::new().auto_pong(false))).await.unwrap();
    let mut server = within(server).await.unwrap();
    // The client never answers pings, but sends data more often than the beat (and over
    // twice its length in all): the server's heartbeat hears it and never gives up.
    let talking = tokio::spawn(async move {
        for _ in 0..20 {
            client.send(uniws::Message::text("alive")).await.unwrap();
            tokio::time::sleep(PATIENT / 10).await;
        }
        client
    });
    for _ in 0..20 {
        assert_eq!(within(server.recv()).await.unwrap().as_text(), Some("alive"));
    }
    let _client = within(talking).await.unwrap();
    assert!(matches!(within(server.recv()).await, Err(Error::HeartbeatTimeout)));
}

/// Sends 16 KiB messages until a send fails: the error.
async fn send_until_error(send: &mut uniws::SendHalf) -> Error {
    loop {
        if let Err(e) = send.send(Message::binary(vec![7u8; 16 << 10])).await {
            return e;
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_send_to_a_peer_that_stops_reading_fails_with_heartbeat_timeout() {
    let (mut server, _client) = piped_server(ServerOptions::new().heartbeat(BEAT, BEAT)).await;
    // The client never reads: the pipe fills, and the send waits on it. Without the
    // heartbeat bounding the write it waits forever (the hang guard's panic).
    let error = tokio::time::timeout(uniws_test_support::LIMIT, async {
        loop {
            if let Err(e) = server.send(Message::binary(vec![7u8; 16 << 10])).await {
                return e;
            }
        }
    })
    .await
    .expect("a send to a peer that does not read hung despite the heartbeat");
    assert!(matches!(error, Error::HeartbeatTimeout), "{error:?}");
    // The connection is failed: nothing more goes out.
    let again = within(server.send(Message::text("more"))).await;
    assert!(matches!(again, Err(Error::Closed)), "{again:?}");
}

#[tokio::test(start_paused = true)]
async fn a_stalled_send_half_fails_the_receiving_half_that_still_hears_data() {
    let (server, mut client) = piped_server(ServerOptions::new().heartbeat(BEAT, BEAT)).await;
    let (mut send, mut recv) = server.split();
    // The client talks (masked text frames, more often than the beat) but never reads: the
    // receiving half's heartbeat hears life, the sending half's writes get nowhere.
    let talking = tokio::spawn(async move {
        let frame = [0x81, 0x82, 0, 0, 0, 0, b'h', b'i'];
        while client.write_all(&frame).await.is_ok() {
            tokio::time::sleep(BEAT / 5).await;
        }
    });
    let sending = tokio::spawn(async move { send_until_error(&mut send).await });
    let error = tokio::time::timeout(uniws_test_support::LIMIT, sending)
        .await
        .expect("a split send to a peer that does not read hung despite the heartbeat")
        .unwrap();
    assert!(matches!(error, Error::HeartbeatTimeout), "{error:?}");
    // The receiving half, which hears data all along, fails too instead of going on.
    let end = tokio::time::timeout(uniws_test_support::LIMIT, async {
        loop {
            match recv.recv().await {
                Ok(m) => assert_eq!(m.as_text(), Some("hi")),
                Err(e) => return e,
            }
        }
    })
    .await
    .expect("the receiving half went on after its sending half failed the connection");
    assert!(matches!(end, Error::HeartbeatTimeout), "{end:?}");
    talking.abort();
}

#[tokio::test(start_paused = true)]
async fn a_send_to_a_slow_reader_goes_on_while_the_transport_moves() {
    let (mut server, mut client) = piped_server(ServerOptions::new().heartbeat(BEAT, BEAT)).await;
    // The client reads 4 KiB at a time, five times a beat: each send waits on the pipe for
    // many beats in all, but never the heartbeat's span without the pipe moving.
    let reading = tokio::spawn(async move {
        let mut chunk = vec![0; 4 << 10];
        while client.read(&mut chunk).await.is_ok_and(|n| n > 0) {
            tokio::time::sleep(BEAT / 5).await;
        }
    });
    for _ in 0..20 {
        within(server.send(Message::binary(vec![7u8; 16 << 10]))).await.expect("a send to a slow reader");
    }
    reading.abort();
}
