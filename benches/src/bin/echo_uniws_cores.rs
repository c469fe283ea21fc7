//! The uniws echo of `echo_uniws` (`recv_all` → `send_all`, 1 MiB frames) served by the
//! library's own accept loop, `RequestHandler::serve`, in the runtime layout of
//! `BENCH_RUNTIME` (`current`, `multi`, `reuseport`; `BENCH_THREADS`, default 2): one
//! current-thread runtime, a multi-thread runtime, or one current-thread runtime per thread
//! each serving a listener from `uniws::bind_reuseport`. `echo_uniws_cores [PORT]`; for
//! `scripts/bench-cores.sh`.

use uniws::{DeflateOptions, ServerOptions};
use uniws_benches::{CountingAlloc, FRAME_SIZE, echo_uniws, serve_cores};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn main() {
    let handler =
        ServerOptions::new().max_frame_size(FRAME_SIZE).deflate(DeflateOptions::server()).handler(echo_uniws);
    serve_cores(uniws::bind_reuseport, move |listener| handler.clone().serve(listener));
}
