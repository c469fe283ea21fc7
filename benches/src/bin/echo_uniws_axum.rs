//! The uniws echo server behind axum: the same echo as `echo_uniws` (`recv_all`, `send_all`,
//! 1 MiB frames), reached through an axum 0.8 router and uniws's `WebSocketUpgrade`
//! extractor, each connection served by hyper-util's auto builder with upgrades, as
//! `axum::serve` does. Measures what going through axum costs. `echo_uniws_axum [PORT]`.

use axum::Router;
use axum::response::Response;
use axum::routing::get;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use uniws::ServerOptions;
use uniws::axum::WebSocketUpgrade;
use uniws_benches::{CountingAlloc, FRAME_SIZE, echo_uniws, serve};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

async fn echo(upgrade: WebSocketUpgrade) -> Response {
    upgrade.options(ServerOptions::new().max_frame_size(FRAME_SIZE)).on_upgrade(echo_uniws)
}

fn main() {
    // The load generator asks for `/`.
    let app = Router::new().fallback(get(echo));
    serve(move |tcp| {
        let service = TowerToHyperService::new(app.clone());
        async move {
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let _ = builder.serve_connection_with_upgrades(TokioIo::new(tcp), service).await;
        }
    });
}
