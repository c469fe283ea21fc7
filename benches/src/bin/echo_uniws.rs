//! The uniws echo server: whole messages through `recv_all`, back through `send_all`
//! (1 MiB frames), on one current-thread runtime. `echo_uniws [PORT]`. permessage-deflate is
//! accepted when offered, at the server default (`DeflateOptions::server()`); with
//! `BENCH_DEFLATE_LEVEL` set, at that compression level instead (an experiment, see
//! benches/README.md).

use uniws::{DeflateOptions, ServerOptions};
use uniws_benches::{CountingAlloc, FRAME_SIZE, echo_uniws, serve};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn main() {
    let mut deflate = DeflateOptions::server();
    if let Some(level) = std::env::var("BENCH_DEFLATE_LEVEL").ok().and_then(|l| l.parse().ok()) {
        deflate = deflate.level(level);
    }
    let options = ServerOptions::new().max_frame_size(FRAME_SIZE).deflate(deflate);
    serve(move |tcp| {
        let options = options.clone();
        async move {
            if let Ok(ws) = options.accept(tcp).await {
                echo_uniws(ws).await;
            }
        }
    });
}
