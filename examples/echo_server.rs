//! An echo server: `cargo run --release --example echo_server -- [ADDR]` (default
//! 127.0.0.1:9001). Accepts the first subprotocol a client offers and sends every text and
//! binary frame back as it came (same type, same partial flag) until the client closes.
//! Frames up to 16 MiB are accepted, so whole test-suite messages fit in one frame.

use uniws::{MessageType, WebSocket, request_handler};

async fn echo(mut ws: WebSocket) {
    while let Ok(message) = ws.recv().await {
        match message.message_type() {
            MessageType::Text | MessageType::Binary => {
                if ws.send(message).await.is_err() {
                    break;
                }
            }
            // Pings are answered by the socket; the close handshake ends the loop.
            MessageType::Ping | MessageType::Pong => {}
            MessageType::Close => break,
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9001".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("echo server listening on ws://{}", listener.local_addr()?);
    request_handler(echo, |offered: &[String]| offered.first().cloned(), 16 << 20).serve(listener).await;
    Ok(())
}
