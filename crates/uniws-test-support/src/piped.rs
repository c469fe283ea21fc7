//! A server `WebSocket` over an in-memory pipe, for the tests whose subject is time (on
//! tokio's paused clock, which real sockets would not follow) or a peer that stops reading.

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use uniws::{ServerOptions, WebSocket};

use crate::within;

/// A server socket accepted with `options` over an in-memory pipe (64 KiB each way), and
/// the client's raw end once it has read the 101.
pub async fn piped_server(options: ServerOptions) -> (WebSocket, DuplexStream) {
    let (server_end, mut client) = tokio::io::duplex(64 << 10);
    let request = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    let handshake = async {
        client.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(client.read_u8().await.unwrap());
        }
        assert!(head.starts_with(b"HTTP/1.1 101 "), "{}", String::from_utf8_lossy(&head));
    };
    let (ws, ()) = within(async { tokio::join!(options.accept(server_end), handshake) }).await;
    (ws.unwrap(), client)
}
