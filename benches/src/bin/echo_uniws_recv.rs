//! The uniws echo server with the shortest loop a user writes: each `recv` (a whole message,
//! or a part of a fragmented one) straight back through `send`, on one current-thread runtime.
//! `echo_uniws_recv [PORT]`. Counted beside `echo_uniws` (whole messages) because both are
//! the library's usual echo.

use uniws::{MessageType, ServerOptions};
use uniws_benches::{CountingAlloc, FRAME_SIZE, serve};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn main() {
    let options = ServerOptions::new().max_frame_size(FRAME_SIZE);
    serve(move |tcp| {
        let options = options.clone();
        async move {
            let Ok(mut ws) = options.accept(tcp).await else { return };
            while let Ok(message) = ws.recv().await {
                match message.message_type() {
                    MessageType::Binary | MessageType::Text => {
                        if ws.send(message).await.is_err() {
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
