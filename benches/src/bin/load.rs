//! The closed-loop load generator, in the style of uWebSockets' benchmarks/load_test, one
//! client for every server: N connections each send one masked binary message of P bytes
//! (in frames of F bytes), wait for the whole echo, and repeat. After a warm-up it counts
//! echoes over a timed window and prints one line
//!   RESULT msgs_per_s=.. mib_per_s=.. server_us_per_msg=.. server_cpu_pct=.. client_cpu_pct=.. ...
//! with the server's CPU time over the window from /proc/PID/stat. With --idle it instead
//! opens N connections, echoes one message on each, and prints the server's heap and RSS
//! per idle connection. With --messages M (no warm-up, no window) the connections echo M
//! messages in all, then it prints
//!   RESULT count messages=M connections=N secs=.. msgs_per_s=.. server_cpu_s=..
//! and exits (for figures counted over a fixed amount of work: instructions under
//! cachegrind, syscalls under perf, scripts/bench-count.sh).
//!
//! load --port PORT --server-pid PID [--connections N] [--size P] [--frame F] [--warmup S]
//!      [--window S] [--raw] [--idle --heap-file PATH] [--messages M]

use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uniws_benches::client::{FrameReader, handshake, masked_message};
use uniws_benches::{cpu_time, status_kib};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

static ECHOES: AtomicU64 = AtomicU64::new(0);
static READY: AtomicU64 = AtomicU64::new(0);
static ERRORS: AtomicU64 = AtomicU64::new(0);
/// Messages the connections have started to send (with --messages: tickets handed out).
static SENT: AtomicU64 = AtomicU64::new(0);

/// With --messages: how long the echo count may stand still before the run fails.
const STALL_LIMIT: Duration = Duration::from_secs(60);

#[derive(Clone)]
struct Args {
    port: u16,
    server_pid: u32,
    connections: usize,
    size: usize,
    frame: usize,
    warmup: f64,
    window: f64,
    raw: bool,
    idle: bool,
    heap_file: Option<String>,
    messages: Option<u64>,
}

fn parse_args() -> Args {
    let mut args = Args {
        port: 0,
        server_pid: 0,
        connections: 1,
        size: 20,
        frame: 0,
        warmup: 0.5,
        window: 2.0,
        raw: false,
        idle: false,
        heap_file: None,
        messages: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => args.port = value().parse().expect("--port"),
            "--server-pid" => args.server_pid = value().parse().expect("--server-pid"),
            "--connections" => args.connections = value().parse().expect("--connections"),
            "--size" => args.size = value().parse().expect("--size"),
            "--frame" => args.frame = value().parse().expect("--frame"),
            "--warmup" => args.warmup = value().parse().expect("--warmup"),
            "--window" => args.window = value().parse().expect("--window"),
            "--heap-file" => args.heap_file = Some(value()),
            "--messages" => args.messages = Some(value().parse().expect("--messages")),
            "--raw" => args.raw = true,
            "--idle" => args.idle = true,
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(args.port != 0 && args.server_pid != 0, "--port and --server-pid are required");
    assert!(!(args.idle && args.messages.is_some()), "--idle and --messages exclude each other");
    assert!(args.messages != Some(0), "--messages must be at least 1");
    if args.frame == 0 {
        args.frame = args.size.max(1);
    }
    args
}

/// Pseudo-random payload bytes (xorshift), the same on every run.
fn payload(size: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// One connection: connect, upgrade, then echo forever (or `rounds` times, or until `total`
/// messages have been sent over all connections). The first echo is checked byte for byte.
/// Once done, the connection is held open, idle, until the process exits.
async fn connection(
    args: Rc<Args>,
    wire: Rc<Vec<u8>>,
    expected: Rc<Vec<u8>>,
    rounds: Option<u64>,
    total: Option<u64>,
) -> std::io::Result<()> {
    let mut tcp = TcpStream::connect(("127.0.0.1", args.port)).await?;
    tcp.set_nodelay(true)?;
    if !args.raw {
        handshake(&mut tcp).await?;
    }
    READY.fetch_add(1, Ordering::Relaxed);
    let (mut read, mut write) = tcp.split();
    let mut buf = vec![0u8; wire.len().clamp(4096, 256 * 1024)];
    let mut reader = FrameReader::keeping();
    let mut done = Vec::with_capacity(1);
    let mut count = 0u64;
    loop {
        if total.is_some_and(|total| SENT.fetch_add(1, Ordering::Relaxed) >= total) {
            std::future::pending::<()>().await;
        }
        let receive = async {
            while done.is_empty() {
                let n = read.read(&mut buf).await?;
                if n == 0 {
                    return Err(std::io::Error::other("the server closed the connection"));
                }
                reader.feed(&buf[..n], &mut done)?;
            }
            Ok(())
        };
        let (sent, received) = tokio::join!(write.write_all(&wire), receive);
        sent?;
        received?;
        if done.len() != 1 || done[0] != args.size as u64 {
            return Err(std::io::Error::other(format!("echo of {:?} bytes, expected {}", done, args.size)));
        }
        done.clear();
        if reader.keep {
            if args.raw {
                // The raw echo sends our masked frames back (frame sizes are multiples of 4).
                reader.kept.iter_mut().enumerate().for_each(|(j, b)| *b ^= KEY[j & 3]);
            }
            if reader.kept != *expected {
                return Err(std::io::Error::other("the echo differs from the message sent"));
            }
            reader.keep = false;
            reader.kept = Vec::new();
        }
        ECHOES.fetch_add(1, Ordering::Relaxed);
        count += 1;
        if rounds == Some(count) {
            std::future::pending::<()>().await;
        }
    }
}

/// Waits until every connection is up (or failed), within `limit`.
async fn all_ready(connections: usize, limit: Duration) -> bool {
    let start = Instant::now();
    while (READY.load(Ordering::Relaxed) + ERRORS.load(Ordering::Relaxed)) < connections as u64 {
        if start.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    ERRORS.load(Ordering::Relaxed) == 0
}

fn read_heap(path: &Option<String>) -> Option<u64> {
    std::fs::read_to_string(path.as_ref()?).ok()?.trim().parse().ok()
}

async fn run(args: Args) -> Result<String, String> {
    let args = Rc::new(args);
    let data = payload(args.size);
    let wire = Rc::new(masked_message(&data, args.frame, KEY));
    let expected = Rc::new(data);
    let pid = args.server_pid;
    let rss = |field| status_kib(pid, field).map_err(|e| format!("server /proc/{pid}/status: {e}"));

    let heap_before = read_heap(&args.heap_file);
    let rss_before = rss("VmRSS")?;
    let rounds = if args.idle { Some(1) } else { None };
    let start = Instant::now();
    // Connections open in batches, so the listen backlog is never overrun.
    for i in 0..args.connections {
        let (args, wire, expected) = (args.clone(), wire.clone(), expected.clone());
        tokio::task::spawn_local(async move {
            let total = args.messages;
            if let Err(e) = connection(args, wire, expected, rounds, total).await
                && ERRORS.fetch_add(1, Ordering::Relaxed) < 3
            {
                eprintln!("load: connection: {e}");
            }
        });
        if i % 256 == 255 {
            while READY.load(Ordering::Relaxed) + ERRORS.load(Ordering::Relaxed) + 64 < i as u64 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
    if !all_ready(args.connections, Duration::from_secs(60)).await {
        return Err(format!(
            "{} of {} connections up, {} failed",
            READY.load(Ordering::Relaxed),
            args.connections,
            ERRORS.load(Ordering::Relaxed)
        ));
    }

    if args.idle {
        let start = Instant::now();
        while ECHOES.load(Ordering::Relaxed) < args.connections as u64 {
            if start.elapsed() > Duration::from_secs(60) || ERRORS.load(Ordering::Relaxed) > 0 {
                return Err("not every idle connection echoed its message".into());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Let the server settle and refresh its heap file.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let n = args.connections as f64;
        let rss_after = rss("VmRSS")?;
        let heap = match (heap_before, read_heap(&args.heap_file)) {
            (Some(before), Some(after)) => format!("{:.0}", (after as f64 - before as f64) / n),
            _ => "n/a".into(),
        };
        return Ok(format!(
            "RESULT idle connections={} heap_bytes_per_conn={heap} rss_bytes_per_conn={:.0} server_rss_kib={rss_after}",
            args.connections,
            (rss_after as f64 - rss_before as f64) * 1024.0 / n,
        ));
    }

    let cpu = |pid| cpu_time(pid).map_err(|e| format!("/proc/{pid}/stat: {e}"));
    if let Some(total) = args.messages {
        // Count the echoes until `total`: failed connections or an echo count that stands
        // still for STALL_LIMIT end the run.
        let (mut last, mut since) = (0, Instant::now());
        loop {
            let echoes = ECHOES.load(Ordering::Relaxed);
            if echoes >= total {
                break;
            }
            let errors = ERRORS.load(Ordering::Relaxed);
            if errors > 0 {
                return Err(format!("{errors} connections failed after {echoes} of {total} echoes"));
            }
            if echoes != last {
                (last, since) = (echoes, Instant::now());
            } else if since.elapsed() > STALL_LIMIT {
                return Err(format!("stalled at {echoes} of {total} echoes"));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let secs = start.elapsed().as_secs_f64();
        return Ok(format!(
            "RESULT count messages={total} connections={} secs={secs:.3} msgs_per_s={:.1} server_cpu_s={:.2}",
            args.connections,
            total as f64 / secs,
            cpu(pid)?.as_secs_f64(),
        ));
    }

    tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;
    let me = std::process::id();
    let (echoes0, server0, client0, t0) =
        (ECHOES.load(Ordering::Relaxed), cpu(pid)?, cpu(me)?, Instant::now());
    tokio::time::sleep(Duration::from_secs_f64(args.window)).await;
    let (echoes1, server1, client1, secs) =
        (ECHOES.load(Ordering::Relaxed), cpu(pid)?, cpu(me)?, t0.elapsed().as_secs_f64());
    let errors = ERRORS.load(Ordering::Relaxed);
    if errors > 0 {
        return Err(format!("{errors} connections failed"));
    }
    let messages = echoes1 - echoes0;
    if messages == 0 {
        return Err("no echo in the window".into());
    }
    let server_cpu = (server1 - server0).as_secs_f64();
    let client_cpu = (client1 - client0).as_secs_f64();
    Ok(format!(
        "RESULT msgs_per_s={:.1} mib_per_s={:.2} server_us_per_msg={:.3} server_cpu_pct={:.0} \
         client_cpu_pct={:.0} messages={messages} secs={secs:.3} server_hwm_kib={}",
        messages as f64 / secs,
        messages as f64 * args.size as f64 / secs / (1 << 20) as f64,
        server_cpu * 1e6 / messages as f64,
        server_cpu * 100.0 / secs,
        client_cpu * 100.0 / secs,
        rss("VmHWM")?,
    ))
}

fn main() {
    let args = parse_args();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let local = tokio::task::LocalSet::new();
    let result = local.block_on(&runtime, run(args));
    // Exit at once: connections are dropped with the process, as a closed loop ends.
    match result {
        Ok(line) => {
            println!("{line}");
            std::process::exit(0);
        }
        Err(e) => {
            eprintln!("load: FAILED: {e}");
            std::process::exit(1);
        }
    }
}
