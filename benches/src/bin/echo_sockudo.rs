//! The sockudo-ws echo server: its HTTP/1.1 upgrade (`handshake::server_handshake`, then a
//! `WebSocketStream` on the `TcpStream` with the bytes read past the request, as its
//! `WebSocketServer::accept_raw` does; that type exists only with its HTTP/2 or HTTP/3
//! features), whole messages from the stream (it reassembles fragments) sent back with `send`,
//! on one current-thread runtime. `echo_sockudo [PORT]`.
//!
//! Its defaults otherwise (idle timeout, pings after 30 s of silence, write coalescing); no
//! permessage-deflate (the feature is not built). It has no setting for the size of the frames
//! it sends, so a message goes back as one frame whatever its size: the 16 MiB row's echo is
//! one 16 MiB frame where the other servers send 1 MiB frames.

use futures_util::{SinkExt, StreamExt};
use sockudo_ws::handshake::server_handshake;
use sockudo_ws::{Config, Message, Role, WebSocketStream};
use uniws_benches::{CountingAlloc, MAX_MESSAGE, serve};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn main() {
    // Its clock calibrates on first use (up to 200 ms); its docs ask for that before the
    // runtime starts.
    sockudo_ws::init_clock();
    let config = Config::builder().max_payload_length(MAX_MESSAGE).build();
    serve(move |mut tcp| {
        let config = config.clone();
        async move {
            let Ok(handshake) = server_handshake(&mut tcp).await else { return };
            let mut ws =
                WebSocketStream::from_raw_with_leftover(tcp, Role::Server, config, handshake.leftover);
            while let Some(Ok(message)) = ws.next().await {
                match message {
                    Message::Binary(_) | Message::Text(_) => {
                        if ws.send(message).await.is_err() {
                            return;
                        }
                    }
                    Message::Close(_) => return,
                    Message::Ping(_) | Message::Pong(_) => {}
                }
            }
        }
    });
}
