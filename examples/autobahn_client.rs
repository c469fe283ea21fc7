//! The Autobahn|Testsuite client driver: `cargo run --release --example autobahn_client --
//! BASE_URL AGENT` (e.g. `ws://127.0.0.1:9002 uniws`), against a running
//! `wstest -m fuzzingserver` (see `scripts/autobahn.sh`, which runs both modes).
//!
//! Reads the number of cases N from `BASE_URL/getCaseCount`; runs each case i in 1..=N on
//! `BASE_URL/runCase?case=i&agent=AGENT`, sending every text and binary frame back as it came
//! (same type, same partial flag) until the connection closes; then asks
//! `BASE_URL/updateReports?agent=AGENT&shutdownOnComplete=true` to write the reports, which
//! also makes wstest exit. A case that ends in an error is logged to stderr and the next one
//! runs: wstest's report judges it.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use uniws::{ConnectOptions, Error, HandshakeFailure, MessageType, WebSocket, connect};

/// Frames up to 16 MiB, so the 9.* cases' large messages fit in one frame.
const MAX_FRAME_SIZE: usize = 16 << 20;

/// How long one `recv` may wait: wstest ends every case well within this, so only a hang hits it.
const RECV_TIMEOUT: Duration = Duration::from_secs(60);

fn options() -> ConnectOptions {
    ConnectOptions::new().max_frame_size(MAX_FRAME_SIZE).timeout(Duration::from_secs(30))
}

/// Reads the case count from the first text message on `/getCaseCount`.
async fn case_count(base: &str) -> Result<usize, String> {
    let url = format!("{base}/getCaseCount");
    let mut ws = connect(&url, &options()).await.map_err(|e| format!("{url}: {e}"))?;
    ws.set_input_timeout(Some(RECV_TIMEOUT));
    loop {
        let message = ws.recv_all(1024).await.map_err(|e| format!("{url}: {e}"))?;
        match message.message_type() {
            MessageType::Text => {
                let text = message.as_text().unwrap_or_default().trim();
                let count = text.parse().map_err(|_| format!("{url}: not a case count: {text:?}"))?;
                // The server closes after the count; answer its close if it comes quickly.
                let _ = ws.close(1000, "").await;
                return Ok(count);
            }
            MessageType::Close => return Err(format!("{url}: closed before sending the case count")),
            _ => {}
        }
    }
}

/// Echoes text and binary frames until the connection closes. `Ok` when it closed with a
/// close handshake (or was already closed), the error otherwise.
async fn echo(ws: &mut WebSocket) -> uniws::Result<()> {
    loop {
        let message = match ws.recv().await {
            Ok(message) => message,
            Err(Error::Closed) => return Ok(()),
            Err(e) => return Err(e),
        };
        match message.message_type() {
            MessageType::Text | MessageType::Binary => match ws.send(message).await {
                Ok(()) => {}
                Err(Error::Closed) => return Ok(()),
                Err(e) => return Err(e),
            },
            // Pings are answered by the socket itself.
            MessageType::Ping | MessageType::Pong => {}
            // The socket has answered the close; the server then closes the connection.
            MessageType::Close => return Ok(()),
        }
    }
}

async fn run_case(base: &str, case: usize, agent: &str) -> uniws::Result<()> {
    let options = options().param("case", case.to_string()).param("agent", agent);
    let mut ws = connect(&format!("{base}/runCase"), &options).await?;
    ws.set_input_timeout(Some(RECV_TIMEOUT));
    echo(&mut ws).await
}

async fn update_reports(base: &str, agent: &str) -> uniws::Result<()> {
    let options = options().param("agent", agent).param("shutdownOnComplete", "true");
    let mut ws = match connect(&format!("{base}/updateReports"), &options).await {
        Ok(ws) => ws,
        // With shutdownOnComplete, wstest writes the reports and stops at once, often before
        // its handshake answer leaves: a connection it closes mid-handshake is the expected end.
        Err(Error::Handshake { failure: failure @ HandshakeFailure::ClosedEarly, .. }) => {
            eprintln!(
                "autobahn_client: updateReports: {failure} (wstest shuts down once the reports are written)"
            );
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    // Writing the reports can take a while; wait for wstest to close.
    ws.set_input_timeout(Some(Duration::from_secs(300)));
    loop {
        match ws.recv().await {
            Ok(message) if message.message_type() == MessageType::Close => return Ok(()),
            Ok(_) => {}
            Err(Error::Closed) => return Ok(()),
            Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, agent] = args.as_slice() else {
        eprintln!("usage: autobahn_client BASE_URL AGENT   (e.g. ws://127.0.0.1:9002 uniws)");
        return ExitCode::from(2);
    };
    let base = base.trim_end_matches('/');

    let count = match case_count(base).await {
        Ok(count) => count,
        Err(e) => {
            eprintln!("autobahn_client: getCaseCount failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("autobahn_client: {count} cases, agent {agent:?}");

    let started = Instant::now();
    let mut errors = 0;
    for case in 1..=count {
        let case_started = Instant::now();
        if let Err(e) = run_case(base, case, agent).await {
            errors += 1;
            eprintln!("case {case}/{count}: ended with an error: {e}");
        }
        let took = case_started.elapsed();
        if took > Duration::from_secs(5) {
            eprintln!("case {case}/{count}: took {:.1} s", took.as_secs_f64());
        }
    }
    eprintln!(
        "autobahn_client: ran {count} cases in {:.1} s, {errors} ended with an error (wstest's report judges them)",
        started.elapsed().as_secs_f64()
    );

    match update_reports(base, agent).await {
        Ok(()) => {
            eprintln!("autobahn_client: reports updated");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("autobahn_client: updateReports failed: {e}");
            ExitCode::FAILURE
        }
    }
}
