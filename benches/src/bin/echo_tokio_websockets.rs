//! The tokio-websockets echo server: whole messages from the stream (it reassembles
//! fragments), sent back with its `frame_size` set to 1 MiB, on one current-thread runtime.
//! `echo_tokio_websockets [PORT]`.

use futures_util::{SinkExt, StreamExt};
use tokio_websockets::{Config, Limits, ServerBuilder};
use uniws_benches::{CountingAlloc, FRAME_SIZE, MAX_MESSAGE, serve};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn main() {
    serve(|tcp| async move {
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
    });
}
