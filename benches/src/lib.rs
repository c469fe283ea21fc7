//! What the benchmark binaries share: the accept loop every echo server runs on one
//! current-thread runtime, the echo loops of uniws and tokio-websockets that several servers
//! run, a counting allocator (live heap bytes, written to a file on
//! request), the load generator's minimal RFC 6455 client (one masked-frame writer and a
//! streaming frame reader, the same for every server), and CPU time and memory from /proc.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// Frames the servers send (where the library lets them choose) and accept.
pub const FRAME_SIZE: usize = 1 << 20;
/// The largest message the servers accept: the 16 MiB fragmented row fits.
pub const MAX_MESSAGE: usize = 32 << 20;

/// The pieces a message of `len` bytes goes back in when an echo server splits it itself
/// (libraries without a frame size setting, or whose setting costs every message): the byte
/// ranges of `FRAME_SIZE`, each with whether it is the last.
pub fn frame_pieces(len: usize) -> impl Iterator<Item = (std::ops::Range<usize>, bool)> {
    let last = len.div_ceil(FRAME_SIZE).max(1) - 1;
    (0..=last).map(move |i| (i * FRAME_SIZE..((i + 1) * FRAME_SIZE).min(len), i == last))
}

/// uniws's echo: whole messages through `recv_all`, back through `send_all`, until the close.
pub async fn echo_uniws(mut ws: uniws::WebSocket) {
    while let Ok(message) = ws.recv_all(MAX_MESSAGE).await {
        match message.message_type() {
            uniws::MessageType::Binary | uniws::MessageType::Text => {
                if ws.send_all(message).await.is_err() {
                    return;
                }
            }
            uniws::MessageType::Close => return,
            uniws::MessageType::Ping | uniws::MessageType::Pong => {}
        }
    }
}

/// tokio-websockets's echo on `tcp`: the upgrade, then whole messages from its stream (it
/// reassembles fragments) sent back with `frame_size` 1 MiB, until the close.
pub async fn echo_tokio_websockets(tcp: TcpStream) {
    use futures_util::{SinkExt, StreamExt};
    use tokio_websockets::{Config, Limits, ServerBuilder};
    let builder = ServerBuilder::new()
        .config(Config::default().frame_size(FRAME_SIZE))
        .limits(Limits::default().max_payload_len(Some(MAX_MESSAGE)));
    let Ok((_request, mut ws)) = builder.accept(tcp).await else { return };
    while let Some(Ok(message)) = ws.next().await {
        if message.is_close() {
            return;
        }
        if (message.is_binary() || message.is_text()) && ws.send(message).await.is_err() {
            return;
        }
    }
}

/// The system allocator, counting the bytes currently allocated (one relaxed add per call,
/// the same cost in every server).
pub struct CountingAlloc;

static LIVE_HEAP: AtomicUsize = AtomicUsize::new(0);
/// The most bytes allocated at once, kept only when `TRACK_PEAK` is on (with a heap file:
/// the memory runs), so the timed and counted runs pay one relaxed load for it.
static PEAK_HEAP: AtomicUsize = AtomicUsize::new(0);
static TRACK_PEAK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

#[inline]
fn grew(size: usize) {
    let live = LIVE_HEAP.fetch_add(size, Ordering::Relaxed) + size;
    if TRACK_PEAK.load(Ordering::Relaxed) {
        PEAK_HEAP.fetch_max(live, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded to `System` unchanged; only a counter is updated.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_HEAP.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size);
        LIVE_HEAP.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Bytes currently allocated through [`CountingAlloc`].
pub fn live_heap() -> usize {
    LIVE_HEAP.load(Ordering::Relaxed)
}

/// The most bytes allocated at once since the process started (0 unless a heap file is
/// written, see [`serve`]).
pub fn peak_heap() -> usize {
    PEAK_HEAP.load(Ordering::Relaxed)
}

/// Runs an echo server: binds 127.0.0.1 (port from the first argument, default 0), prints
/// `listening PORT pid PID` (its own PID, for scripts that start it under a wrapper such as
/// valgrind or perf), and runs `connection` on every accepted TCP stream (Nagle off), each in
/// its own task, on one current-thread runtime. With `BENCH_HEAP_FILE` set, the live heap
/// size and the peak heap size are written to that file (`LIVE PEAK`) every 100 ms (for the
/// memory figures).
pub fn serve<F, Fut>(connection: F)
where
    F: Fn(TcpStream) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let port: u16 = std::env::args().nth(1).map_or(0, |p| p.parse().expect("a port number"));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("address").port();
        println!("listening {port} pid {}", std::process::id());
        if let Some(path) = std::env::var_os("BENCH_HEAP_FILE") {
            TRACK_PEAK.store(true, Ordering::Relaxed);
            tokio::task::spawn_local(async move {
                loop {
                    let _ = std::fs::write(&path, format!("{} {}", live_heap(), peak_heap()));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            });
        }
        loop {
            match listener.accept().await {
                Ok((tcp, _)) => {
                    let _ = tcp.set_nodelay(true);
                    tokio::task::spawn_local(connection(tcp));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    });
}

/// The runtime layouts of the many-core figures (`scripts/bench-cores.sh`), chosen with
/// `BENCH_RUNTIME` and `BENCH_THREADS` (default 2):
/// - `current`: one current-thread runtime (the layout of [`serve`]);
/// - `multi`: one listener on a multi-thread runtime with `BENCH_THREADS` workers (the
///   accept loop is itself a task on them, each connection another);
/// - `reuseport`: `BENCH_THREADS` threads, each with a current-thread runtime and a listener
///   of its own on the same port (`SO_REUSEPORT`), the kernel spreading the connections.
#[derive(Clone, Copy, Debug)]
pub enum Cores {
    Current,
    Multi(usize),
    Reuseport(usize),
}

impl Cores {
    /// The layout `BENCH_RUNTIME` and `BENCH_THREADS` ask for.
    pub fn from_env() -> Self {
        let threads = std::env::var("BENCH_THREADS").ok().map_or(2, |t| t.parse().expect("BENCH_THREADS"));
        match std::env::var("BENCH_RUNTIME").as_deref() {
            Ok("current") | Err(_) => Cores::Current,
            Ok("multi") => Cores::Multi(threads),
            Ok("reuseport") => Cores::Reuseport(threads),
            Ok(other) => panic!("BENCH_RUNTIME={other}: current, multi or reuseport"),
        }
    }
}

/// A listener on `addr` with `SO_REUSEPORT` (what `uniws::bind_reuseport` does), for the
/// peers' `reuseport` layout. Inside a runtime.
pub fn reuseport_listener(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Runs `serve_listener` on 127.0.0.1 (port from the first argument, default 0) in the
/// layout of [`Cores::from_env`], and prints `listening PORT pid PID` once every listener
/// is bound. `bind_reuseport` binds the listeners of the `reuseport` layout (the library's
/// own function where it has one); the first binds the port, the others join it.
pub fn serve_cores<B, S, Fut>(bind_reuseport: B, serve_listener: S)
where
    B: Fn(std::net::SocketAddr) -> std::io::Result<TcpListener> + Copy + Send + 'static,
    S: Fn(TcpListener) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let port: u16 = std::env::args().nth(1).map_or(0, |p| p.parse().expect("a port number"));
    let announce =
        |port: u16| println!("listening {port} pid {} runtime {:?}", std::process::id(), Cores::from_env());
    match Cores::from_env() {
        Cores::Current => {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
                let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind 127.0.0.1");
                announce(listener.local_addr().expect("address").port());
                serve_listener(listener).await;
            });
        }
        Cores::Multi(workers) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind 127.0.0.1");
                announce(listener.local_addr().expect("address").port());
                tokio::spawn(serve_listener(listener)).await.expect("the accept loop");
            });
        }
        Cores::Reuseport(threads) => {
            let (bound_tx, bound_rx) = std::sync::mpsc::channel::<u16>();
            let (port_tx, port_rx) = std::sync::mpsc::channel::<u16>();
            let port_rx = std::sync::Arc::new(std::sync::Mutex::new(port_rx));
            let handles: Vec<_> = (0..threads)
                .map(|i| {
                    let (bound_tx, port_rx, serve_listener) =
                        (bound_tx.clone(), port_rx.clone(), serve_listener.clone());
                    std::thread::spawn(move || {
                        let runtime = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .expect("runtime");
                        runtime.block_on(async move {
                            // Thread 0 binds first (perhaps port 0); the others then join its port.
                            let port =
                                if i == 0 { port } else { port_rx.lock().unwrap().recv().expect("the port") };
                            let listener =
                                bind_reuseport(([127, 0, 0, 1], port).into()).expect("bind 127.0.0.1");
                            bound_tx
                                .send(listener.local_addr().expect("address").port())
                                .expect("main thread");
                            serve_listener(listener).await;
                        });
                    })
                })
                .collect();
            let first = bound_rx.recv().expect("the first listener");
            for _ in 1..threads {
                port_tx.send(first).expect("a thread");
            }
            for _ in 1..threads {
                assert_eq!(bound_rx.recv().expect("a listener"), first);
            }
            announce(first);
            for handle in handles {
                handle.join().expect("a serving thread");
            }
        }
    }
}

/// The peers' accept loop for [`serve_cores`]: Nagle off, each connection a task of the
/// runtime it was accepted on.
pub async fn accept_loop<F, Fut>(listener: TcpListener, connection: F)
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        match listener.accept().await {
            Ok((tcp, _)) => {
                let _ = tcp.set_nodelay(true);
                tokio::spawn(connection(tcp));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// CPU time (user + system, all threads) a process has used so far, from /proc/PID/stat.
pub fn cpu_time(pid: u32) -> std::io::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start at field 3 (state);
    // utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')').ok_or(std::io::ErrorKind::InvalidData)? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0);
    Ok(Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second() as f64))
}

/// `sysconf(_SC_CLK_TCK)`: 100 on every Linux build this runs on; `getconf` confirms it.
fn clock_ticks_per_second() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    })
}

/// A field of /proc/PID/status in KiB (`VmRSS`, `VmHWM`).
pub fn status_kib(pid: u32, field: &str) -> std::io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| std::io::ErrorKind::NotFound.into())
}

/// The client's side of the protocol, kept minimal so the load generator costs little and
/// the same for every server.
pub mod client {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    /// A fixed key: the load generator does not check the server's accept hash.
    const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    /// Sends the upgrade request and reads the response head; fails unless it is a 101.
    /// Bytes past the head (the server speaks only after our first frame) are an error.
    pub async fn handshake(tcp: &mut TcpStream) -> std::io::Result<()> {
        tcp.write_all(REQUEST).await?;
        let mut head = Vec::with_capacity(256);
        let mut chunk = [0u8; 1024];
        let end = loop {
            if let Some(at) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let n = tcp.read(&mut chunk).await?;
            if n == 0 || head.len() > 4096 {
                return Err(std::io::Error::other("no upgrade response"));
            }
            head.extend_from_slice(&chunk[..n]);
        };
        if end != head.len() {
            return Err(std::io::Error::other("bytes after the upgrade response"));
        }
        if !head.starts_with(b"HTTP/1.1 101") {
            return Err(std::io::Error::other(String::from_utf8_lossy(&head).into_owned()));
        }
        Ok(())
    }

    /// The frames of one binary message of `payload`, `frame_size` bytes of payload per frame
    /// (the last may be shorter), each masked with `key`: written once, sent many times.
    pub fn masked_message(payload: &[u8], frame_size: usize, key: [u8; 4]) -> Vec<u8> {
        masked_frames(payload, frame_size, key, 0x2)
    }

    /// As [`masked_message`], the first frame's opcode and RSV bits given by `first` (0x2
    /// binary; 0x41 a compressed text message: text with RSV1).
    pub fn masked_frames(payload: &[u8], frame_size: usize, key: [u8; 4], first: u8) -> Vec<u8> {
        let mut out = Vec::with_capacity(payload.len() + 14 * (payload.len() / frame_size.max(1) + 1));
        let chunks: Vec<&[u8]> =
            if payload.is_empty() { vec![&[][..]] } else { payload.chunks(frame_size.max(1)).collect() };
        let last = chunks.len() - 1;
        for (i, chunk) in chunks.iter().enumerate() {
            let opcode = if i == 0 { first } else { 0x0 };
            let fin = if i == last { 0x80 } else { 0 };
            out.push(fin | opcode);
            let len = chunk.len();
            if len < 126 {
                out.push(0x80 | len as u8);
            } else if len <= 0xffff {
                out.push(0x80 | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            } else {
                out.push(0x80 | 127);
                out.extend_from_slice(&(len as u64).to_be_bytes());
            }
            out.extend_from_slice(&key);
            out.extend(chunk.iter().enumerate().map(|(j, b)| b ^ key[j & 3]));
        }
        out
    }

    /// Reads frames from a stream without copying payloads: it only counts their bytes,
    /// unless asked to keep them (to check one echo).
    #[derive(Default)]
    pub struct FrameReader {
        header: Vec<u8>,
        /// Payload bytes of the current frame still to come, and whether it is the last.
        remaining: u64,
        fin: bool,
        in_frame: bool,
        /// Payload bytes of the current message so far.
        message_len: u64,
        /// Kept payload, when `keep` is on.
        pub kept: Vec<u8>,
        /// The first header byte (FIN, RSV bits, opcode) of the first frame of the last
        /// message begun: RSV1 (0x40) marks a compressed one.
        pub first_byte: u8,
        pub keep: bool,
    }

    impl FrameReader {
        /// A reader that keeps the payload of what it reads until `keep` is turned off.
        pub fn keeping() -> Self {
            Self { keep: true, ..Default::default() }
        }

        /// Feeds bytes read from the stream, pushing the payload length of every message they
        /// complete onto `done`; fails on a control frame (the servers send none here).
        pub fn feed(&mut self, mut data: &[u8], done: &mut Vec<u64>) -> std::io::Result<()> {
            while !data.is_empty() {
                if self.in_frame {
                    let take = (self.remaining as usize).min(data.len());
                    if self.keep {
                        self.kept.extend_from_slice(&data[..take]);
                    }
                    data = &data[take..];
                    self.remaining -= take as u64;
                    self.message_len += take as u64;
                    if self.remaining == 0 {
                        self.end_frame(done);
                    }
                    continue;
                }
                self.header.push(data[0]);
                data = &data[1..];
                if let Some((fin, opcode, len)) = parse_header(&self.header) {
                    if opcode & 0x8 != 0 {
                        return Err(std::io::Error::other(format!("unexpected control frame {opcode}")));
                    }
                    if opcode != 0 {
                        self.first_byte = self.header[0];
                    }
                    self.header.clear();
                    self.fin = fin;
                    self.remaining = len;
                    self.in_frame = true;
                    if len == 0 {
                        self.end_frame(done);
                    }
                }
            }
            Ok(())
        }

        fn end_frame(&mut self, done: &mut Vec<u64>) {
            self.in_frame = false;
            if self.fin {
                done.push(self.message_len);
                self.message_len = 0;
            }
        }
    }

    /// A complete header's fin bit, opcode and payload length; a masking key (only the raw
    /// TCP echo sends masked frames back) is skipped.
    fn parse_header(h: &[u8]) -> Option<(bool, u8, u64)> {
        if h.len() < 2 {
            return None;
        }
        let masked = h[1] & 0x80 != 0;
        let (len_bytes, short) = match h[1] & 0x7f {
            126 => (2, None),
            127 => (8, None),
            n => (0, Some(n as u64)),
        };
        let need = 2 + len_bytes + if masked { 4 } else { 0 };
        if h.len() < need {
            return None;
        }
        let len = short.unwrap_or_else(|| h[2..2 + len_bytes].iter().fold(0u64, |a, &b| a << 8 | b as u64));
        Some((h[0] & 0x80 != 0, h[0] & 0x0f, len))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn reads_back_what_it_writes_in_any_split() {
            let payload: Vec<u8> = (0..70_000u32).map(|i| i as u8).collect();
            let wire = masked_message(&payload, 30_000, [1, 2, 3, 4]);
            for step in [1, 7, 4096, wire.len()] {
                let mut reader = FrameReader::keeping();
                let mut done = Vec::new();
                for piece in wire.chunks(step) {
                    reader.feed(piece, &mut done).unwrap();
                }
                assert_eq!(done, vec![payload.len() as u64]);
                // 30,000 is a multiple of 4: the key lines up across frames.
                let unmasked: Vec<u8> =
                    reader.kept.iter().enumerate().map(|(j, b)| b ^ [1, 2, 3, 4][j & 3]).collect();
                assert_eq!(unmasked, payload);
            }
        }
    }
}
