//! Helpers the integration tests share: a deadline for every await and a listener on
//! 127.0.0.1 with its address.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

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
