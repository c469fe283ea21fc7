//! The shared scenarios of `wasm-tests/scenarios.rs`, natively: the very code the browser
//! tests run, against `examples/test_server.rs` served in-process on 127.0.0.1.

#[path = "../wasm-tests/scenarios.rs"]
mod scenarios;
#[path = "../examples/test_server.rs"]
mod test_server;

use tokio::net::TcpListener;

struct Servers {
    test: String,
    silent: String,
    closed: String,
}

async fn servers() -> Servers {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let urls = Servers {
        test: format!("ws://{}", listener.local_addr().unwrap()),
        silent: format!("ws://{}", silent.local_addr().unwrap()),
        closed: format!("ws://{closed}"),
    };
    tokio::spawn(test_server::run(listener, silent));
    urls
}

/// Runs one scenario against fresh servers. The deadline only catches a hang: it is past the
/// test server's own wait for a close, so a missing close fails on its report instead.
async fn run<F: Future<Output = ()>>(scenario: impl FnOnce(Servers) -> F) {
    let servers = servers().await;
    tokio::time::timeout(std::time::Duration::from_secs(120), scenario(servers))
        .await
        .expect("scenario hung");
}

#[tokio::test]
async fn text_and_binary_round_trip() {
    run(|s| async move { scenarios::text_and_binary_round_trip(&s.test).await }).await;
}

#[tokio::test]
async fn large_message_in_small_frames() {
    run(|s| async move { scenarios::large_message_in_small_frames(&s.test).await }).await;
}

#[tokio::test]
async fn oversize_send_is_refused() {
    run(|s| async move { scenarios::oversize_send_is_refused(&s.test).await }).await;
}

#[tokio::test]
async fn recv_all_over_its_limit_fails() {
    run(|s| async move { scenarios::recv_all_over_its_limit_fails(&s.test).await }).await;
}

#[tokio::test]
async fn subprotocol_chosen_and_refused() {
    run(|s| async move { scenarios::subprotocol_chosen_and_refused(&s.test).await }).await;
}

#[tokio::test]
async fn close_codes_and_reasons_both_ways() {
    run(|s| async move { scenarios::close_codes_and_reasons_both_ways(&s.test).await }).await;
}

#[tokio::test]
async fn failures_before_open_are_errors() {
    run(|s| async move { scenarios::failures_before_open_are_errors(&s.closed, &s.silent).await }).await;
}

#[tokio::test]
async fn compression_is_negotiated() {
    run(|s| async move { scenarios::compression_is_negotiated(&s.test).await }).await;
}

#[tokio::test]
async fn split_halves() {
    run(|s| async move { scenarios::split_halves(&s.test).await }).await;
}
