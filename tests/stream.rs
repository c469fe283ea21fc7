//! `Messages` as a `futures` `Stream` and `Sink` (with `StreamExt` and `SinkExt`), the
//! cancel-safety of `recv` (a `recv` dropped mid-frame loses nothing), and the bounded close
//! of split halves against a server that never answers a close. Real sockets on 127.0.0.1.

use std::task::Poll;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use uniws::proto::Role;
use uniws::{ConnectOptions, Error, Message, MessageType, ServerOptions, WebSocket, connect};
use uniws_test_support::{bind, within};

/// An echo server for whole messages on 127.0.0.1, for one connection.
async fn echo_server(options: ServerOptions) -> String {
    let (listener, addr) = bind().await;
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = options.accept(tcp).await.unwrap();
        while let Ok(message) = ws.recv_all(16 << 20).await {
            if message.message_type() == MessageType::Close || ws.send_all(message).await.is_err() {
                break;
            }
        }
    });
    format!("ws://{addr}")
}

#[tokio::test]
async fn stream_and_sink_round_trip_whole_messages() {
    let url = echo_server(ServerOptions::new().max_frame_size(1024)).await;
    let options = ConnectOptions::new().max_frame_size(1024).max_message_size(1 << 20);
    let mut messages = within(connect(&url, &options)).await.unwrap().into_messages();
    let large = Message::binary(vec![7u8; 100_000]); // a hundred frames each way
    within(messages.send(Message::text("hello"))).await.unwrap();
    within(messages.send(large.clone())).await.unwrap();
    within(messages.feed(Message::text("a"))).await.unwrap();
    within(messages.feed(Message::text("b"))).await.unwrap();
    within(messages.flush()).await.unwrap();
    let received: Vec<Message> = within(messages.by_ref().take(4).map(Result::unwrap).collect()).await;
    assert_eq!(received, [Message::text("hello"), large, Message::text("a"), Message::text("b")]);

    // split into a sink and a stream used by two tasks; closing the sink ends the stream.
    let (mut sink, mut stream) = messages.split();
    let sender = tokio::spawn(async move {
        for i in 0..50 {
            sink.send(Message::text(i.to_string())).await.unwrap();
        }
        sink.close().await.unwrap();
    });
    for i in 0..50 {
        assert_eq!(within(stream.next()).await.unwrap().unwrap(), Message::text(i.to_string()));
    }
    within(sender).await.unwrap();
    let close = within(stream.next()).await.unwrap().unwrap();
    assert_eq!(close.message_type(), MessageType::Close);
    assert!(within(stream.next()).await.is_none(), "the stream ends after the close");
}

#[tokio::test]
async fn stream_yields_the_limit_error_once_then_ends() {
    let url = echo_server(ServerOptions::new()).await;
    let mut messages =
        within(connect(&url, &ConnectOptions::new().max_message_size(1000))).await.unwrap().into_messages();
    within(messages.send(Message::binary(vec![0u8; 1001]))).await.unwrap();
    let error = within(messages.next()).await.unwrap().unwrap_err();
    assert!(matches!(error, Error::MessageTooLarge { max: 1000 }), "{error:?}");
    assert!(within(messages.next()).await.is_none());
    assert!(matches!(within(messages.send(Message::text("late"))).await, Err(Error::Closed)));
}

/// A client socket over a raw TCP connection whose server side the test writes by hand.
async fn raw_pair() -> (WebSocket, TcpStream) {
    let (listener, addr) = bind().await;
    let client = TcpStream::connect(addr).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (WebSocket::from_stream(client, Role::Client, 1 << 20), server)
}

#[tokio::test]
async fn a_recv_dropped_mid_frame_loses_nothing() {
    let (mut ws, mut server) = raw_pair().await;
    // A binary frame of 10 bytes: the header and the first half of its payload, then wait.
    server.write_all(&[0x82, 10, 0, 1, 2, 3, 4]).await.unwrap();
    for _ in 0..3 {
        tokio::select! {
            biased;
            frame = ws.recv() => panic!("a frame half sent came out: {frame:?}"),
            () = tokio::time::sleep(Duration::from_millis(50)) => {} // the recv is dropped here
        }
    }
    // The same with an input timeout, and with a recv_all cancelled mid-message.
    ws.set_input_timeout(Some(Duration::from_millis(20)));
    assert!(matches!(ws.recv().await, Err(Error::Timeout)));
    ws.set_input_timeout(None);
    server.write_all(&[5, 6, 7, 8, 9]).await.unwrap();
    let frame = within(ws.recv()).await.unwrap();
    assert_eq!(frame, Message::binary((0..10).collect::<Vec<u8>>()));

    // A fragmented text message: the first fragment, a cancelled recv_all, then the rest.
    server.write_all(&[0x01, 3, b'a', b'b', b'c', 0x80, 4, b'd']).await.unwrap();
    tokio::select! {
        biased;
        message = ws.recv_all(100) => panic!("half a message came out: {message:?}"),
        () = tokio::time::sleep(Duration::from_millis(50)) => {}
    }
    server.write_all(b"efg").await.unwrap();
    assert_eq!(within(ws.recv_all(100)).await.unwrap(), Message::text("abcdefg"));
}

#[tokio::test]
async fn split_close_against_a_silent_server_ends_within_the_close_timeout() {
    let (listener, addr) = bind().await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        // Accepts, then neither reads nor answers: the close is never echoed.
        let _ws = ServerOptions::new().accept(tcp).await.unwrap();
        let _ = stopped.await;
    });
    let options = ConnectOptions::new().close_timeout(Duration::from_millis(300));
    let ws = within(connect(&format!("ws://{addr}"), &options)).await.unwrap();
    let (mut sender, mut receiver) = ws.split();
    // The receiver already waits when the close goes out: the close must wake it.
    let waiting = tokio::spawn(async move { receiver.recv().await.map(|m| m.message_type()) });
    tokio::task::yield_now().await;
    within(sender.close(1000, "bye")).await.unwrap();
    let result = within(waiting).await.unwrap();
    assert!(matches!(result, Err(Error::Timeout)), "{result:?}");
    assert!(matches!(sender.send(Message::text("late")).await, Err(Error::Closed)));
    let _ = stop.send(());
}

#[tokio::test]
async fn split_close_ends_with_the_peers_close_when_it_answers() {
    let url = echo_server(ServerOptions::new()).await;
    let (mut sender, mut receiver) = within(connect(&url, &ConnectOptions::new())).await.unwrap().split();
    within(sender.close(1000, "bye")).await.unwrap();
    let close = within(receiver.recv()).await.unwrap();
    assert_eq!(close.close_code(), Some(uniws::CloseCode::NORMAL));
    assert!(matches!(within(receiver.recv()).await, Err(Error::Closed)));
}

/// A failure that a `recv_all` meets while a fast ticker keeps cancelling it (the use the
/// docs call cancel-safe) reaches a later call, with or without compression, whether the
/// reader or `recv_all` (which puts compressed messages together) found it: failing the
/// connection waits for the writer, held by a send the peer does not read, at most the close
/// timeout counted from the failure, not a new close timeout for every call, and the error
/// stays for the next call meanwhile.
#[tokio::test]
async fn an_error_met_by_a_recv_all_cancelled_over_and_over_reaches_a_later_call() {
    for (compress, fragments) in [(true, false), (false, false), (true, true), (false, true)] {
        let (listener, addr) = bind().await;
        let (blocked, wait_blocked) = tokio::sync::oneshot::channel::<()>();
        let (done, wait_done) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = ServerOptions::new().accept(tcp).await.unwrap();
            // Reads nothing; once the client's sender waits on the full socket, a message larger
            // than the client's recv_all takes (compressed, larger once inflated), or a message
            // in one fragment more than it takes.
            let _ = wait_blocked.await;
            if fragments {
                ws.send(Message::binary(vec![1u8; 10_000]).with_partial(true)).await.unwrap();
                for _ in 0..uniws::MAX_FRAGMENTS {
                    ws.send(Message::binary(Vec::new()).with_partial(true)).await.unwrap();
                }
            } else {
                ws.send(Message::binary(vec![1u8; 100_000])).await.unwrap();
            }
            let _ = wait_done.await;
        });
        let deflate =
            if compress { uniws::DeflateOptions::client() } else { uniws::DeflateOptions::disabled() };
        let options = ConnectOptions::new()
            .max_frame_size(16 << 10)
            .close_timeout(Duration::from_millis(200))
            .deflate(deflate);
        let (mut tx, mut rx) = within(connect(&format!("ws://{addr}"), &options)).await.unwrap().split();
        let sender = tokio::spawn(async move {
            let chunk = Message::binary(vec![3u8; 16 << 10]).with_compression(false);
            let mut blocked = Some(blocked);
            loop {
                let mut send = std::pin::pin!(tx.send(chunk.clone()));
                let result = match std::future::poll_fn(|cx| Poll::Ready(send.as_mut().poll(cx))).await {
                    Poll::Ready(result) => result,
                    Poll::Pending => {
                        // Waiting on the full socket, with the writer held.
                        if let Some(blocked) = blocked.take() {
                            let _ = blocked.send(());
                        }
                        send.await
                    }
                };
                if result.is_err() {
                    return;
                }
            }
        });
        let mut ticker = tokio::time::interval(Duration::from_micros(200));
        let mut cancelled = 0;
        let received = tokio::time::timeout(uniws_test_support::LIMIT, async {
            loop {
                tokio::select! {
                    received = rx.recv_all(16 << 10) => break received,
                    _ = ticker.tick() => cancelled += 1,
                }
            }
        })
        .await
        .expect("recv_all under a ticker hung instead of returning the error");
        let case = format!("compress {compress}, fragments {fragments}");
        match fragments {
            false => assert!(
                matches!(received, Err(Error::MessageTooLarge { max: 0x4000 })),
                "{case}: {received:?}"
            ),
            true => assert!(matches!(received, Err(Error::TooManyFragments { .. })), "{case}: {received:?}"),
        }
        eprintln!("{case}: the error after {cancelled} cancelled calls");
        assert!(matches!(within(rx.recv()).await, Err(Error::Closed)));
        let _ = done.send(());
        within(server).await.unwrap();
        within(sender).await.unwrap();
    }
}
