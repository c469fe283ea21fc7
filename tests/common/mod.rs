//! Helpers the integration tests share: a deadline for every await, a listener on
//! 127.0.0.1 with its address, and the frame-by-frame echo most test servers run.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use uniws::{MessageType, WebSocket};

/// No await in these tests may take longer than this: a bound that only a hang reaches,
/// however loaded the machine (what is checked is the outcome, not its speed).
pub const LIMIT: Duration = Duration::from_secs(60);

/// Awaits `work`, failing the test as hung if it takes longer than [`LIMIT`].
pub async fn within<F: Future>(work: F) -> F::Output {
    tokio::time::timeout(LIMIT, work).await.expect("an operation hung")
}

/// A listener on a free port of 127.0.0.1.
pub async fn bind() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Sends every text and binary frame back as it came until the close or an error.
#[allow(dead_code, reason = "not every test crate serves an echo")]
pub async fn echo(mut ws: WebSocket) {
    while let Ok(message) = ws.recv().await {
        match message.message_type() {
            MessageType::Close => break,
            MessageType::Text | MessageType::Binary => {
                if ws.send(message).await.is_err() {
                    break;
                }
            }
            MessageType::Ping | MessageType::Pong => {}
        }
    }
}
