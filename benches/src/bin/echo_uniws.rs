//! The uniws echo server: whole messages through `recv_all`, back through `send_all`
//! (1 MiB frames), on one current-thread runtime. `echo_uniws [PORT]`. permessage-deflate is
//! accepted when offered, at the server default (`DeflateOptions::server()`); with
//! `BENCH_DEFLATE_LEVEL` set, at that compression level instead (an experiment, see
//! benches/README.md).

use uniws::{DeflateOptions, MessageType, ServerOptions};
use uniws_benches::{CountingAlloc, FRAME_SIZE, MAX_MESSAGE, serve};

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
            let Ok(mut ws) = options.accept(tcp).await else { return };
            while let Ok(message) = ws.recv_all(MAX_MESSAGE).await {
                match message.message_type() {
                    MessageType::Binary | MessageType::Text => {
                        if ws.send_all(message).await.is_err() {
                            return;
                        }
                    }
                    MessageType::Close => return,
                    MessageType::Ping | MessageType::Pong => {}
                }
            }
        }
    });
}
