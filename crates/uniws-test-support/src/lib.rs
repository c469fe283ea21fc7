//! Helpers the integration tests of every crate of the workspace share (a dev-dependency,
//! never published): a deadline for every await, a listener on 127.0.0.1 with its address,
//! the frame-by-frame echo most test servers run; certificates (`pem`), a server over an in-memory pipe (`piped`), a real proxy
//! (`pproxy`), raw sockets (`raw`), a frame reader off the
//! wire (`wire`), and Python peers in a cached virtualenv (`venv`, `python`).

pub mod pem;
pub mod piped;
pub mod pproxy;
pub mod python;
pub mod raw;
pub mod venv;
pub mod wire;

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

/// Bytes that deflate cannot shrink (xorshift, from `seed`: the same every run), for tests
/// whose subject is compressed frames that grow.
pub fn incompressible(len: usize, seed: u64) -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1d ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}
