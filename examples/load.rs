//! A bounded load test against an echo server (`examples/echo_server.rs`):
//! `cargo run --release --example load -- URL CONNECTIONS MESSAGES SIZE` opens CONNECTIONS
//! uniws clients to URL (at most 500 handshakes in flight) and holds them all open at once,
//! then every connection exchanges MESSAGES binary messages of SIZE bytes (send one, wait for
//! its echo, compare), then all are closed. Every operation has a deadline. Prints each
//! phase, then one line for scripts: `load-result connections=N messages=M errors=E
//! elapsed=T peak_rss_kib=K` (K: this process's peak RSS, VmHWM). Exits with 1 if any
//! connection, exchange or close failed, with 2 on bad arguments.

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use uniws::{ConnectOptions, Message, MessageType, WebSocket, connect};

/// Handshakes (and closes) in flight at once.
const IN_FLIGHT: usize = 500;
/// The deadline of one connect, send, receive or close: a hang guard, far past what a loaded
/// machine takes, so that a timeout (counted as an error) means something is stuck.
const OP_LIMIT: Duration = Duration::from_secs(120);
/// Failures described on stderr; the rest are only counted.
const SHOWN_FAILURES: usize = 5;

struct Args {
    url: String,
    connections: usize,
    messages: usize,
    size: usize,
}

fn parse_args() -> Result<Args, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, connections, messages, size] = &args[..] else {
        return Err(format!("expected 4 arguments, got {}", args.len()));
    };
    let number = |name: &str, text: &str| text.parse::<usize>().map_err(|e| format!("{name} {text:?}: {e}"));
    Ok(Args {
        url: url.clone(),
        connections: number("CONNECTIONS", connections)?,
        messages: number("MESSAGES", messages)?,
        size: number("SIZE", size)?,
    })
}

/// Failures, counted, the first few described.
#[derive(Default)]
struct Failures {
    count: AtomicUsize,
    shown: Mutex<Vec<String>>,
}

impl Failures {
    fn add(&self, what: String) {
        if self.count.fetch_add(1, Ordering::SeqCst) < SHOWN_FAILURES {
            self.shown.lock().expect("not poisoned").push(what);
        }
    }

    fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

/// `work` within [`OP_LIMIT`], a timeout being one more error.
async fn bounded<T>(work: impl Future<Output = uniws::Result<T>>) -> Result<T, String> {
    match tokio::time::timeout(OP_LIMIT, work).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {OP_LIMIT:?}")),
    }
}

/// Runs `work` on every item, at most `limit` at a time, and returns the results in no order.
async fn bounded_concurrency<I, T, F>(items: I, limit: usize, work: impl Fn(I::Item) -> F) -> Vec<T>
where
    I: IntoIterator,
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limit));
    let mut tasks = JoinSet::new();
    for item in items {
        let permit = permits.clone().acquire_owned().await.expect("the semaphore is never closed");
        let job = work(item);
        tasks.spawn(async move {
            let result = job.await;
            drop(permit);
            result
        });
    }
    tasks.join_all().await
}

/// The `n`th message of connection `c`: SIZE bytes that differ between connections and
/// messages, so an echo delivered to the wrong socket is caught.
fn payload(c: usize, n: usize, size: usize) -> Vec<u8> {
    (0..size).map(|i| (c.wrapping_mul(31) ^ n.wrapping_mul(7)).wrapping_add(i) as u8).collect()
}

/// Exchanges the messages of connection `c`; returns the socket and the messages echoed intact.
async fn exchange(
    mut ws: WebSocket,
    c: usize,
    args: Arc<Args>,
    failures: Arc<Failures>,
) -> (WebSocket, usize) {
    for n in 0..args.messages {
        // Shared, not copied, between the message sent and the comparison.
        let data = bytes::Bytes::from(payload(c, n, args.size));
        if let Err(e) = bounded(ws.send_all(Message::binary(data.clone()))).await {
            failures.add(format!("connection {c}, send {n}: {e}"));
            return (ws, n);
        }
        let echo = loop {
            match bounded(ws.recv_all(args.size)).await {
                Ok(m) if m.message_type().is_control() => continue,
                other => break other,
            }
        };
        match echo {
            Ok(m) if m.message_type() == MessageType::Binary && m.data() == data => {}
            Ok(m) => {
                failures.add(format!(
                    "connection {c}, message {n}: wrong echo {:?} of {} bytes",
                    m.message_type(),
                    m.len()
                ));
                return (ws, n);
            }
            Err(e) => {
                failures.add(format!("connection {c}, receive {n}: {e}"));
                return (ws, n);
            }
        }
    }
    (ws, args.messages)
}

/// This process's peak resident set size in KiB (VmHWM), 0 if unknown.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => Arc::new(args),
        Err(e) => {
            eprintln!("load: {e}\nusage: load URL CONNECTIONS MESSAGES SIZE");
            return ExitCode::from(2);
        }
    };
    let failures = Arc::new(Failures::default());
    let started = Instant::now();

    // Every connection open at once.
    let opened = bounded_concurrency(0..args.connections, IN_FLIGHT, |c| {
        let (args, failures) = (args.clone(), failures.clone());
        async move {
            match bounded(connect(&args.url, &ConnectOptions::new())).await {
                Ok(ws) => Some((c, ws)),
                Err(e) => {
                    failures.add(format!("connection {c}: connect: {e}"));
                    None
                }
            }
        }
    })
    .await;
    let sockets: Vec<(usize, WebSocket)> = opened.into_iter().flatten().collect();
    let connected = sockets.len();
    println!(
        "load: {connected} of {} connections open after {:.2} s",
        args.connections,
        started.elapsed().as_secs_f64()
    );

    // All of them exchanging at once.
    let exchanging = Instant::now();
    let mut tasks = JoinSet::new();
    for (c, ws) in sockets {
        tasks.spawn(exchange(ws, c, args.clone(), failures.clone()));
    }
    let done = tasks.join_all().await;
    let messages: usize = done.iter().map(|(_, n)| n).sum();
    println!(
        "load: {messages} of {} messages echoed in {:.2} s",
        connected * args.messages,
        exchanging.elapsed().as_secs_f64()
    );

    // And the close handshake on every one.
    let closing = Instant::now();
    bounded_concurrency(done, IN_FLIGHT, |(mut ws, _)| {
        let failures = failures.clone();
        async move {
            if let Err(e) = bounded(ws.close(1000, "load done")).await {
                failures.add(format!("close: {e}"));
            }
        }
    })
    .await;
    println!("load: {connected} connections closed in {:.2} s", closing.elapsed().as_secs_f64());

    let errors = failures.count();
    for what in failures.shown.lock().expect("not poisoned").iter() {
        eprintln!("load: error: {what}");
    }
    println!(
        "load-result connections={connected} messages={messages} errors={errors} elapsed={:.2} peak_rss_kib={}",
        started.elapsed().as_secs_f64(),
        peak_rss_kib()
    );
    if errors == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
