//! The tokio-websockets echo of `echo_tokio_websockets` (whole messages, 1 MiB frames) in
//! the runtime layout of `BENCH_RUNTIME` (`current`, `multi`, `reuseport`; `BENCH_THREADS`,
//! default 2), see `uniws_benches::Cores`. `echo_tokio_websockets_cores [PORT]`; for
//! `scripts/bench-cores.sh`.

use uniws_benches::{CountingAlloc, accept_loop, echo_tokio_websockets, reuseport_listener, serve_cores};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn main() {
    serve_cores(reuseport_listener, |listener| accept_loop(listener, echo_tokio_websockets));
}
