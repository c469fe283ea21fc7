//! Serving on many cores, on real sockets on 127.0.0.1: one listener served from a
//! multi-thread runtime with clients at once, and two accept loops on one port through
//! `bind_reuseport`, each on its own thread and current-thread runtime, both serving.

use std::collections::HashSet;
use std::net::SocketAddr;

use uniws::{ConnectOptions, Message, ServerOptions, WebSocket, bind_reuseport, connect};
use uniws_test_support::{bind, echo, within};

/// Greets with `name`, then echoes until the close.
async fn greet_and_echo(mut ws: WebSocket, name: String) {
    if ws.send(Message::text(name)).await.is_err() {
        return;
    }
    echo(ws).await;
}

/// Connects, reads the greeting, echoes one message; the greeting.
async fn visit(addr: SocketAddr, i: usize) -> String {
    let mut ws = within(connect(&format!("ws://{addr}/"), &ConnectOptions::new())).await.unwrap();
    let name = within(ws.recv()).await.unwrap().as_text().unwrap().to_owned();
    within(ws.send(Message::text(format!("{i}")))).await.unwrap();
    assert_eq!(within(ws.recv()).await.unwrap().as_text(), Some(format!("{i}").as_str()));
    within(ws.close(1000, "")).await.unwrap();
    name
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multi_thread_runtime_serves_many_clients_at_once() {
    let (listener, addr) = bind().await;
    let handler = ServerOptions::new().handler(|ws| greet_and_echo(ws, "mt".to_owned()));
    tokio::spawn(handler.serve(listener));
    let visits: Vec<_> = (0..64).map(|i| tokio::spawn(visit(addr, i))).collect();
    for visit in visits {
        assert_eq!(within(visit).await.unwrap(), "mt");
    }
}

#[test]
fn two_accept_loops_share_one_port_with_so_reuseport() {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let first = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = first.local_addr().unwrap();
    // The port is taken for good by the loops; the plain listener only found a free one.
    drop(first);
    let (bound, ready) = std::sync::mpsc::channel();
    let loops: Vec<_> = (0..2)
        .map(|n| {
            let (mut stopped, bound) = (stopped.clone(), bound.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(async move {
                    let listener = bind_reuseport(addr).unwrap();
                    bound.send(()).unwrap();
                    let handler =
                        ServerOptions::new().handler(move |ws| greet_and_echo(ws, format!("loop {n}")));
                    handler
                        .serve_until(listener, async move {
                            let _ = stopped.wait_for(|stop| *stop).await;
                        })
                        .await;
                })
            })
        })
        .collect();
    for _ in 0..2 {
        ready.recv().unwrap();
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let served: HashSet<String> = runtime.block_on(async {
        let visits: Vec<_> = (0..64).map(|i| tokio::spawn(visit(addr, i))).collect();
        let mut served = HashSet::new();
        for visit in visits {
            served.insert(within(visit).await.unwrap());
        }
        served
    });
    // The kernel hashes each connection's source port to a listener: with 64 connections,
    // both loops serve some (all on one would have odds of 2^-63).
    assert_eq!(served, HashSet::from(["loop 0".to_owned(), "loop 1".to_owned()]));
    stop.send(true).unwrap();
    for handle in loops {
        handle.join().unwrap();
    }
}
