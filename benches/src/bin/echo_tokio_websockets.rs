//! The tokio-websockets echo server: whole messages from the stream (it reassembles
//! fragments), sent back with its `frame_size` set to 1 MiB, on one current-thread runtime.
//! `echo_tokio_websockets [PORT]`.

use uniws_benches::{CountingAlloc, echo_tokio_websockets, serve};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn main() {
    serve(echo_tokio_websockets);
}
