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
//!
//! With --deflate the client offers permessage-deflate as a browser does
//! (`permessage-deflate; client_max_window_bits`), fails unless the server accepts it, and
//! sends JSON-like chat text of P bytes instead: 16 or more different messages (64 KiB in all) (one chat message
//! up to 400 B, a batch of them above), each compressed once, up front, from a fresh context
//! within the window the server answered (level 6, sync flush, tail cut, RSV1 set), sent in
//! turn. The first echo on each connection is inflated (uniws's `Inflater`) and compared with
//! the text sent. Every RESULT line then also carries the WebSocket bytes on the wire per
//! message each way (frame headers included, TCP/IP not). With --heap-file the idle and timed
//! runs also report the server's peak heap per connection; --hold (with --deflate) measures
//! the heap of connections each holding half of a compressed message: after one echo on each
//! connection (the idle figure) every connection sends the first frame of a two-frame
//! compressed message and stops there.
//!
//! load --port PORT --server-pid PID [--connections N] [--size P] [--frame F] [--warmup S]
//!      [--window S] [--raw] [--idle --heap-file PATH] [--messages M] [--deflate [--hold]]

use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uniws_benches::client::{FrameReader, handshake, masked_frames, masked_message};
use uniws_benches::{cpu_time, status_kib};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

static ECHOES: AtomicU64 = AtomicU64::new(0);
static READY: AtomicU64 = AtomicU64::new(0);
static ERRORS: AtomicU64 = AtomicU64::new(0);
/// Messages the connections have started to send (with --messages: tickets handed out).
static SENT: AtomicU64 = AtomicU64::new(0);
/// Bytes written and read on all connections (WebSocket frames; the handshake is not
/// counted).
static WIRE_OUT: AtomicU64 = AtomicU64::new(0);
static WIRE_IN: AtomicU64 = AtomicU64::new(0);
/// With --hold: set once the idle figure is taken; then every connection sends half a message.
static HOLD_GO: AtomicU64 = AtomicU64::new(0);
static HELD: AtomicU64 = AtomicU64::new(0);

/// How many different messages --deflate sends in turn: at least 16, and at least 64 KiB of
/// text in all, so a server that keeps its context between messages (a 32 KiB window at
/// most) never finds the very message it is compressing in its history.
fn variants(size: usize) -> usize {
    (64 * 1024usize).div_ceil(size.max(1)).max(16)
}

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
    deflate: bool,
    hold: bool,
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
        deflate: false,
        hold: false,
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
            "--deflate" => args.deflate = true,
            "--hold" => args.hold = true,
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(args.port != 0 && args.server_pid != 0, "--port and --server-pid are required");
    assert!(!(args.idle && args.messages.is_some()), "--idle and --messages exclude each other");
    assert!(args.messages != Some(0), "--messages must be at least 1");
    assert!(
        !args.hold || (args.deflate && args.messages.is_none()),
        "--hold needs --deflate, without --messages"
    );
    if args.hold {
        args.idle = true;
    }
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

/// The upgrade request --deflate sends: a browser's offer.
const DEFLATE_REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";

/// Sends the browser-like offer and reads the 101; returns the server's
/// `Sec-WebSocket-Extensions` answer, failing if it did not accept permessage-deflate.
async fn handshake_deflate(tcp: &mut TcpStream) -> std::io::Result<String> {
    tcp.write_all(DEFLATE_REQUEST).await?;
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    let end = loop {
        if let Some(at) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = tcp.read(&mut chunk).await?;
        if n == 0 || head.len() > 8192 {
            return Err(std::io::Error::other("no upgrade response"));
        }
        head.extend_from_slice(&chunk[..n]);
    };
    if end != head.len() {
        return Err(std::io::Error::other("bytes after the upgrade response"));
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    if !text.starts_with("HTTP/1.1 101") {
        return Err(std::io::Error::other(text));
    }
    let answer = text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case("sec-websocket-extensions"))
        .map(|(_, value)| value.trim().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if !answer.starts_with("permessage-deflate") {
        return Err(std::io::Error::other(format!("permessage-deflate not accepted: {answer:?}")));
    }
    Ok(answer)
}

/// The window the server allows the client, from its answer (15 when it sets none).
fn client_window_bits(answer: &str) -> u8 {
    answer
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("client_max_window_bits"))
        .filter_map(|v| v.trim().strip_prefix('=')?.trim().trim_matches('"').parse().ok())
        .next()
        .unwrap_or(15)
}

const WORDS: &[&str] = &[
    "the", "meeting", "is", "moved", "to", "tomorrow", "at", "ten", "can", "you", "send", "me", "latest",
    "build", "logs", "please", "thanks", "deploy", "finished", "without", "errors", "I", "think", "we",
    "should", "ship", "it", "today", "lunch", "anyone", "ok", "sounds", "good", "review", "pull", "request",
    "tests", "are", "green", "again", "coffee", "break", "in", "five", "minutes", "see", "ticket", "for",
    "details", "who", "owns", "this", "service", "on", "call", "rotation", "starts", "monday", "great",
    "job",
];
const NAMES: &[&str] = &["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"];
const ROOMS: &[&str] = &["general", "random", "ops", "dev", "design"];

/// xorshift32.
fn next(x: &mut u32) -> u32 {
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    *x
}

/// One chat message as JSON with a text of exactly `text_len` bytes (words, ASCII).
fn chat(x: &mut u32, id: u32, text_len: usize) -> String {
    let mut text = String::with_capacity(text_len + 16);
    while text.len() < text_len {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(WORDS[next(x) as usize % WORDS.len()]);
    }
    text.truncate(text_len);
    let user = next(x) as usize % NAMES.len();
    format!(
        r#"{{"type":"message","id":{id},"room":"{}","user":{{"id":{},"name":"{}"}},"ts":{},"text":"{text}"}}"#,
        ROOMS[next(x) as usize % ROOMS.len()],
        1000 + user,
        NAMES[user],
        1_764_200_000_000u64 + (next(x) % 1_000_000) as u64,
    )
}

/// JSON-like chat text of exactly `size` bytes (at least 100): one message, or above 400 B a
/// batch `{"type":"batch","messages":[...]}` of messages with 60 to 250 bytes of text.
fn chat_text(size: usize, variant: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9u32 ^ (variant as u32).wrapping_mul(0x85eb_ca6b);
    let mut id = 40_000 + variant as u32 * 1000;
    let empty_len = |x: &mut u32, id| chat(&mut x.clone(), id, 0).len();
    if size <= 400 {
        let text_len = size.saturating_sub(empty_len(&mut x, id));
        return chat(&mut x, id, text_len).into_bytes();
    }
    let (head, tail) = (r#"{"type":"batch","messages":["#, "]}");
    let mut out = String::from(head);
    loop {
        let left = size - out.len() - tail.len() - 1; // a comma (or none for the first)
        let overhead = empty_len(&mut x, id);
        if left < overhead + 400 {
            let text_len = left.saturating_sub(overhead) + usize::from(out.len() == head.len());
            if out.len() > head.len() {
                out.push(',');
            }
            out.push_str(&chat(&mut x, id, text_len));
            break;
        }
        if out.len() > head.len() {
            out.push(',');
        }
        let text_len = 60 + next(&mut x) as usize % 190;
        out.push_str(&chat(&mut x, id, text_len));
        id += 1;
    }
    out.push_str(tail);
    out.into_bytes()
}

/// `text` compressed as one permessage-deflate message from a fresh context: raw deflate at
/// level 6 within `bits`, a sync flush, its `00 00 ff ff` tail cut (RFC 7692 §7.2.1).
fn deflate_message(text: &[u8], bits: u8) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let mut compressor = Compress::new_with_window_bits(Compression::new(6), false, bits.clamp(9, 15));
    let mut out = Vec::with_capacity(text.len() + 64);
    loop {
        let consumed = compressor.total_in() as usize;
        compressor.compress_vec(&text[consumed..], &mut out, FlushCompress::Sync).expect("deflate");
        if compressor.total_in() as usize == text.len() && out.len() < out.capacity() {
            break;
        }
        out.reserve(out.capacity().max(64));
    }
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]), "a sync flush ends with 00 00 ff ff");
    out.truncate(out.len() - 4);
    out
}

/// What the connections send: per message, the frames on the wire, the payload the echo
/// must carry (inflated if compressed) and, with --hold, the first of two frames.
struct Workload {
    wire: Vec<Vec<u8>>,
    expected: Vec<Vec<u8>>,
    half: Vec<Vec<u8>>,
    /// The server's answer to the offer (--deflate).
    answer: String,
}

/// One connection: connect, upgrade, then echo forever (or `rounds` times, or until `total`
/// messages have been sent over all connections). The first echo is checked byte for byte.
/// Once done, the connection is held open, idle, until the process exits.
async fn connection(
    args: Rc<Args>,
    work: Rc<Workload>,
    index: usize,
    rounds: Option<u64>,
    total: Option<u64>,
) -> std::io::Result<()> {
    let mut tcp = TcpStream::connect(("127.0.0.1", args.port)).await?;
    tcp.set_nodelay(true)?;
    if args.deflate {
        let answer = handshake_deflate(&mut tcp).await?;
        if answer != work.answer {
            return Err(std::io::Error::other(format!("answers differ: {answer:?}, {:?}", work.answer)));
        }
    } else if !args.raw {
        handshake(&mut tcp).await?;
    }
    READY.fetch_add(1, Ordering::Relaxed);
    let (mut read, mut write) = tcp.split();
    let longest = work.wire.iter().map(Vec::len).max().unwrap_or(0);
    let mut buf = vec![0u8; longest.clamp(4096, 256 * 1024)];
    let mut reader = FrameReader::keeping();
    let mut done = Vec::with_capacity(1);
    let mut count = 0u64;
    loop {
        if total.is_some_and(|total| SENT.fetch_add(1, Ordering::Relaxed) >= total) {
            std::future::pending::<()>().await;
        }
        let variant = (index + count as usize) % work.wire.len();
        let (wire, expected) = (&work.wire[variant], &work.expected[variant]);
        let receive = async {
            while done.is_empty() {
                let n = read.read(&mut buf).await?;
                if n == 0 {
                    return Err(std::io::Error::other("the server closed the connection"));
                }
                WIRE_IN.fetch_add(n as u64, Ordering::Relaxed);
                reader.feed(&buf[..n], &mut done)?;
            }
            Ok(())
        };
        let (sent, received) = tokio::join!(write.write_all(wire), receive);
        sent?;
        received?;
        WIRE_OUT.fetch_add(wire.len() as u64, Ordering::Relaxed);
        if done.len() != 1 || (!args.deflate && done[0] != args.size as u64) {
            return Err(std::io::Error::other(format!("echo of {:?} bytes, expected {}", done, args.size)));
        }
        done.clear();
        if reader.keep {
            if args.raw {
                // The raw echo sends our masked frames back (frame sizes are multiples of 4).
                reader.kept.iter_mut().enumerate().for_each(|(j, b)| *b ^= KEY[j & 3]);
            }
            if args.deflate {
                if reader.first_byte & 0x70 != 0x40 || reader.first_byte & 0x0f != 0x1 {
                    return Err(std::io::Error::other(format!(
                        "the echo is not a compressed text message (first byte {:#04x})",
                        reader.first_byte
                    )));
                }
                let mut inflater = uniws::proto::deflate::Inflater::new(15, false);
                let mut text = Vec::new();
                inflater
                    .inflate(&reader.kept, true, 1 << 26, &mut text)
                    .map_err(|e| std::io::Error::other(format!("the echo does not inflate: {e:?}")))?;
                reader.kept = text;
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
            if args.hold {
                while HOLD_GO.load(Ordering::Relaxed) == 0 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                write.write_all(&work.half[variant]).await?;
                HELD.fetch_add(1, Ordering::Relaxed);
            }
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

/// The server's live heap (the first figure of its heap file).
fn read_heap(path: &Option<String>) -> Option<u64> {
    std::fs::read_to_string(path.as_ref()?).ok()?.split_whitespace().next()?.parse().ok()
}

/// The server's peak heap (the second figure of its heap file).
fn read_peak(path: &Option<String>) -> Option<u64> {
    std::fs::read_to_string(path.as_ref()?).ok()?.split_whitespace().nth(1)?.parse().ok()
}

/// The workload: one binary message of `size` pseudo-random bytes, or with --deflate
/// `variants` chat texts compressed within the window the server allows (asked for with one
/// probing connection).
async fn workload(args: &Args) -> Result<Workload, String> {
    if !args.deflate {
        let data = payload(args.size);
        let wire = masked_message(&data, args.frame, KEY);
        return Ok(Workload { wire: vec![wire], expected: vec![data], half: vec![], answer: String::new() });
    }
    let mut probe =
        TcpStream::connect(("127.0.0.1", args.port)).await.map_err(|e| format!("connect: {e}"))?;
    let answer = handshake_deflate(&mut probe).await.map_err(|e| format!("handshake: {e}"))?;
    // A clean close, so the server's counts are not disturbed by a reset.
    let _ = probe.write_all(&masked_frames(&[0x03, 0xe8], 125, KEY, 0x8)).await;
    let mut sink = [0u8; 256];
    let _ = tokio::time::timeout(Duration::from_secs(2), probe.read(&mut sink)).await;
    drop(probe);
    let bits = client_window_bits(&answer);
    let mut work = Workload { wire: vec![], expected: vec![], half: vec![], answer };
    for variant in 0..variants(args.size) {
        let text = chat_text(args.size.max(100), variant);
        let compressed = deflate_message(&text, bits);
        work.wire.push(masked_frames(&compressed, args.frame.max(compressed.len()), KEY, 0x41));
        let mut halves =
            masked_frames(&compressed, compressed.len().div_ceil(2).next_multiple_of(4), KEY, 0x41);
        // Only the first frame: the FIN bit off, its header is 2 or 4 bytes, then the key.
        let first_len = compressed.len().div_ceil(2).next_multiple_of(4);
        let header = if first_len < 126 { 6 } else { 8 };
        halves.truncate(header + first_len);
        work.half.push(halves);
        work.expected.push(text);
    }
    Ok(work)
}

async fn run(args: Args) -> Result<String, String> {
    let args = Rc::new(args);
    let work = Rc::new(workload(&args).await?);
    let payload_per_msg =
        work.expected.iter().map(Vec::len).sum::<usize>() as f64 / work.expected.len() as f64;
    let pid = args.server_pid;
    let rss = |field| status_kib(pid, field).map_err(|e| format!("server /proc/{pid}/status: {e}"));

    let heap_before = read_heap(&args.heap_file);
    let rss_before = rss("VmRSS")?;
    let rounds = if args.idle { Some(1) } else { None };
    let start = Instant::now();
    // Connections open in batches, so the listen backlog is never overrun.
    for i in 0..args.connections {
        let (args, work) = (args.clone(), work.clone());
        tokio::task::spawn_local(async move {
            let total = args.messages;
            if let Err(e) = connection(args, work, i, rounds, total).await
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
        let heap_idle = read_heap(&args.heap_file);
        let heap = match (heap_before, heap_idle) {
            (Some(before), Some(after)) => format!("{:.0}", (after as f64 - before as f64) / n),
            _ => "n/a".into(),
        };
        let mut line = format!(
            "RESULT idle connections={} heap_bytes_per_conn={heap} rss_bytes_per_conn={:.0} server_rss_kib={rss_after}",
            args.connections,
            (rss_after as f64 - rss_before as f64) * 1024.0 / n,
        );
        if args.hold {
            // Every connection now sends the first half of a compressed message.
            HOLD_GO.store(1, Ordering::Relaxed);
            let start = Instant::now();
            while HELD.load(Ordering::Relaxed) < args.connections as u64 {
                if start.elapsed() > Duration::from_secs(60) || ERRORS.load(Ordering::Relaxed) > 0 {
                    return Err("not every connection sent its half message".into());
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            tokio::time::sleep(Duration::from_millis(1000)).await;
            let rss_held = rss("VmRSS")?;
            let per = |v: Option<u64>, base: Option<u64>| match (v, base) {
                (Some(v), Some(b)) => format!("{:.0}", (v as f64 - b as f64) / n),
                _ => "n/a".into(),
            };
            line += &format!(
                " held_heap_bytes_per_conn={} held_extra_heap_bytes_per_conn={} held_rss_bytes_per_conn={:.0} \
                 peak_heap_bytes_per_conn={}",
                per(read_heap(&args.heap_file), heap_before),
                per(read_heap(&args.heap_file), heap_idle),
                (rss_held as f64 - rss_before as f64) * 1024.0 / n,
                per(read_peak(&args.heap_file), heap_before),
            );
        }
        if args.deflate {
            line += &format!(" extensions={:?}", work.answer);
        }
        return Ok(line);
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
            "RESULT count messages={total} connections={} secs={secs:.3} msgs_per_s={:.1} server_cpu_s={:.2} \
             up_bytes_per_msg={:.1} down_bytes_per_msg={:.1}",
            args.connections,
            total as f64 / secs,
            cpu(pid)?.as_secs_f64(),
            WIRE_OUT.load(Ordering::Relaxed) as f64 / echoes_done() as f64,
            WIRE_IN.load(Ordering::Relaxed) as f64 / echoes_done() as f64,
        ));
    }

    tokio::time::sleep(Duration::from_secs_f64(args.warmup)).await;
    let me = std::process::id();
    let (echoes0, server0, client0, t0) =
        (ECHOES.load(Ordering::Relaxed), cpu(pid)?, cpu(me)?, Instant::now());
    let (out0, in0) = (WIRE_OUT.load(Ordering::Relaxed), WIRE_IN.load(Ordering::Relaxed));
    tokio::time::sleep(Duration::from_secs_f64(args.window)).await;
    let (echoes1, server1, client1, secs) =
        (ECHOES.load(Ordering::Relaxed), cpu(pid)?, cpu(me)?, t0.elapsed().as_secs_f64());
    let (out1, in1) = (WIRE_OUT.load(Ordering::Relaxed), WIRE_IN.load(Ordering::Relaxed));
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
    let mut line = format!(
        "RESULT msgs_per_s={:.1} mib_per_s={:.2} server_us_per_msg={:.3} server_cpu_pct={:.0} \
         client_cpu_pct={:.0} messages={messages} secs={secs:.3} server_hwm_kib={}",
        messages as f64 / secs,
        messages as f64 * payload_per_msg / secs / (1 << 20) as f64,
        server_cpu * 1e6 / messages as f64,
        server_cpu * 100.0 / secs,
        client_cpu * 100.0 / secs,
        rss("VmHWM")?,
    );
    if let (Some(before), Some(peak)) = (heap_before, read_peak(&args.heap_file)) {
        line += &format!(
            " peak_heap_bytes_per_conn={:.0}",
            (peak as f64 - before as f64) / args.connections as f64
        );
    }
    if args.deflate {
        // Bytes counted when a whole echo is in: up to one message per connection of
        // difference at each end of the window, negligible over thousands.
        line += &format!(
            " payload_bytes={payload_per_msg:.0} up_bytes_per_msg={:.1} down_bytes_per_msg={:.1} extensions={:?}",
            (out1 - out0) as f64 / messages as f64,
            (in1 - in0) as f64 / messages as f64,
            work.answer,
        );
    }
    Ok(line)
}

fn echoes_done() -> u64 {
    ECHOES.load(Ordering::Relaxed).max(1)
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
