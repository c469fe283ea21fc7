//! What the two servers (`serve` and `demo`) share: binding the listener, the upgrade
//! options (accepted subprotocols, frame limit) and running until Ctrl-C or SIGTERM.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use uniws::ServerOptions;

use crate::failure::{Context, Failure};

/// A listener on `addr` (`host:port`; port 0 picks a free one) and the address it got.
pub async fn bind(addr: &str) -> Result<(TcpListener, SocketAddr), Failure> {
    let failed = || format!("cannot listen on {addr}");
    let listener = TcpListener::bind(addr).await.context(failed)?;
    let bound = listener.local_addr().context(failed)?;
    Ok((listener, bound))
}

/// Says on standard output where the server listens (even when no one reads it).
pub fn announce(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// The upgrade options: the first subprotocol a client offers that is in `accepted` is
/// chosen, a client offering only others is refused (400); with `accepted` empty, offers
/// are ignored.
pub fn server_options(accepted: Vec<String>, max_frame_size: usize) -> ServerOptions {
    let options = ServerOptions::new().max_frame_size(max_frame_size);
    if accepted.is_empty() {
        return options;
    }
    options.select_protocol(move |offered: &[String]| offered.iter().find(|p| accepted.contains(p)).cloned())
}

/// Runs `server` until it ends or the process gets Ctrl-C (or SIGTERM on Unix).
pub async fn until_shutdown(server: impl Future<Output = Result<(), Failure>>) -> Result<(), Failure> {
    tokio::select! {
        result = server => result,
        () = shutdown_signal() => {
            tracing::info!("shutting down");
            Ok(())
        }
    }
}

/// Completes on Ctrl-C (or SIGTERM on Unix).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut terminate) = signal(SignalKind::terminate()) else { return ctrl_c().await };
        tokio::select! {
            () = ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c().await
}

/// Ctrl-C; never, if it cannot be listened for.
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
