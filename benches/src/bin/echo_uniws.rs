//! The uniws echo server: whole messages through `recv_all`, back through `send_all`
//! (1 MiB frames), on one current-thread runtime. `echo_uniws [PORT]`.

use uniws::{MessageType, ServerOptions};
use uniws_benches::{CountingAlloc, FRAME_SIZE, MAX_MESSAGE, serve};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn main() {
    let options = ServerOptions::new().max_frame_size(FRAME_SIZE);
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
