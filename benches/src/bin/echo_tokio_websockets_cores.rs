//! The tokio-websockets echo of `echo_tokio_websockets` (whole messages, 1 MiB frames) in
//! the runtime layout of `BENCH_RUNTIME` (`current`, `multi`, `reuseport`; `BENCH_THREADS`,
//! default 2), see `uniws_benches::Cores`. `echo_tokio_websockets_cores [PORT]`; for
//! `scripts/bench-cores.sh`.

use futures_util::{SinkExt, StreamExt};
use tokio_websockets::{Config, Limits, ServerBuilder};
use uniws_benches::{CountingAlloc, FRAME_SIZE, MAX_MESSAGE, accept_loop, reuseport_listener, serve_cores};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn main() {
    serve_cores(reuseport_listener, |listener| {
        accept_loop(listener, |tcp| async move {
            let builder = ServerBuilder::new()
                .config(Config::default().frame_size(FRAME_SIZE))
                .limits(Limits::default().max_payload_len(Some(MAX_MESSAGE)));
            let Ok((_request, mut ws)) = builder.accept(tcp).await else { return };
            while let Some(Ok(message)) = ws.next().await {
                if message.is_close() {
                    return;
                }
                if (message.is_binary() || message.is_text()) && ws.send(message).await.is_err() {
                    return;
                }
            }
        })
    });
}
