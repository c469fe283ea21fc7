//! Graceful shutdown of `serve_until` and the connection limit, on real sockets on
//! 127.0.0.1: clients connected when the server stops each get a 1001 close frame, the
//! server stops accepting and returns once their handlers are done (or, for a handler that
//! never reads, once the shutdown timeout has passed); a client beyond `max_connections` is
//! answered with 503 and one is admitted again when a place frees up. A server's own close
//! waits for the client's answer as long as `ServerOptions::close_timeout` says (on tokio's
//! paused clock, over an in-memory pipe).

use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::oneshot;
use uniws::{CloseCode, ConnectOptions, Error, Message, MessageType, ServerOptions, WebSocket, connect};
use uniws_test_support::piped::piped_server;
use uniws_test_support::{bind, echo, within};

/// A client's view of the server going away: the close frame's code.
async fn close_code_seen(ws: &mut WebSocket) -> Option<CloseCode> {
    loop {
        match within(ws.recv()).await {
            Ok(m) if m.message_type() == MessageType::Close => return m.close_code(),
            Ok(_) => {}
            Err(e) => panic!("expected a close frame, got {e:?}"),
        }
    }
}

#[tokio::test]
async fn every_connected_client_gets_1001_and_the_server_stops_accepting() {
    let (listener, addr) = bind().await;
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(ServerOptions::new().handler(echo).serve_until(listener, async {
        let _ = stopped.await;
    }));
    let mut clients = Vec::new();
    for i in 0..3 {
        let mut ws = within(connect(&format!("ws://{addr}/"), &ConnectOptions::new())).await.unwrap();
        // Each is served (upgraded and handled) before the server stops.
        within(ws.send(Message::text(format!("{i}")))).await.unwrap();
        assert_eq!(within(ws.recv()).await.unwrap().as_text(), Some(format!("{i}").as_str()));
        clients.push(ws);
    }
    stop.send(()).unwrap();
    for ws in &mut clients {
        assert_eq!(close_code_seen(ws).await, Some(CloseCode::GOING_AWAY));
    }
    within(server).await.unwrap();
    // The listener is closed: nothing accepts on the port any more.
    assert!(within(TcpStream::connect(addr)).await.is_err());
}

#[tokio::test]
async fn a_handler_that_never_reads_is_dropped_at_the_shutdown_timeout() {
    let (listener, addr) = bind().await;
    let (stop, stopped) = oneshot::channel::<()>();
    let (handled, mut handling) = tokio::sync::mpsc::channel(1);
    let options = ServerOptions::new().shutdown_timeout(Duration::from_millis(200));
    let handler = options.handler(move |ws: WebSocket| {
        let handled = handled.clone();
        async move {
            let _ = handled.send(()).await;
            // Holds the socket without ever reading or sending.
            std::future::pending::<()>().await;
            drop(ws);
        }
    });
    let server = tokio::spawn(handler.serve_until(listener, async {
        let _ = stopped.await;
    }));
    let mut ws = within(connect(&format!("ws://{addr}/"), &ConnectOptions::new())).await.unwrap();
    within(handling.recv()).await.unwrap();
    stop.send(()).unwrap();
    within(server).await.unwrap();
    // The 1001 went out; the connection ends when the dropped handler lets it go.
    assert_eq!(close_code_seen(&mut ws).await, Some(CloseCode::GOING_AWAY));
    let end = within(ws.recv()).await;
    assert!(end.is_err(), "{end:?}");
}

#[tokio::test]
async fn clients_beyond_the_connection_limit_get_503_until_a_place_frees_up() {
    let (listener, addr) = bind().await;
    tokio::spawn(ServerOptions::new().max_connections(2).handler(echo).serve(listener));
    let url = format!("ws://{addr}/");
    let mut first = within(connect(&url, &ConnectOptions::new())).await.unwrap();
    let _second = within(connect(&url, &ConnectOptions::new())).await.unwrap();
    for _ in 0..3 {
        let err = within(connect(&url, &ConnectOptions::new())).await.unwrap_err();
        assert!(matches!(err, Error::Handshake { status: Some(503), .. }), "{err:?}");
    }
    within(first.close(1000, "")).await.unwrap();
    // The place frees up when the first connection's task ends, just after its close
    // handshake: until then a client may still be turned away.
    let mut third = within(async {
        loop {
            match connect(&url, &ConnectOptions::new()).await {
                Ok(ws) => break ws,
                Err(Error::Handshake { status: Some(503), .. }) => tokio::task::yield_now().await,
                Err(e) => panic!("{e:?}"),
            }
        }
    })
    .await;
    within(third.send(Message::text("in"))).await.unwrap();
    assert_eq!(within(third.recv()).await.unwrap().as_text(), Some("in"));
}

/// `close` against a client that never answers ends with `Timeout` after the server's own
/// close timeout: the option is the one in force (the clock is tokio's paused one, so the
/// hour passes at once).
#[tokio::test(start_paused = true)]
async fn a_servers_close_waits_for_its_own_close_timeout() {
    for (options, wait) in [
        (ServerOptions::new(), uniws::DEFAULT_CLOSE_TIMEOUT),
        (ServerOptions::new().close_timeout(Duration::from_secs(3600)), Duration::from_secs(3600)),
    ] {
        let (mut server, _client) = piped_server(options).await;
        let started = tokio::time::Instant::now();
        // The guard is on the same paused clock: past the wait, not within the usual limit.
        let closed = tokio::time::timeout(wait + uniws_test_support::LIMIT, server.close(1000, "bye"))
            .await
            .expect("a server's close hung past its close timeout");
        assert!(matches!(closed, Err(Error::Timeout)), "{closed:?}");
        let waited = started.elapsed();
        assert!(waited >= wait && waited < wait + Duration::from_secs(1), "waited {waited:?} for {wait:?}");
    }
}
