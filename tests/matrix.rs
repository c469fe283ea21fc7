//! The combination matrix (design.md, "Depth: where features meet"), natively against
//! uniws's own server on 127.0.0.1: every cell crosses compression on and off; equal frame
//! limits and unequal ones (the client's smaller, the server's smaller); whole messages
//! (`send_all`/`recv_all`) and frames (`send`/`recv`); receiving with every call raced in
//! `select!` by a fast ticker, or by a yield that cancels every call that has to wait (a
//! ticker as fast as the scheduler), or not raced; compressible text and incompressible
//! bytes; small (20 B) and large (300 KB) messages. One test per cell, named by its path
//! (`compressed::client_smaller::frames::ticker::incompressible::large`), each under a hang
//! guard; each checks that every message comes back intact and in order, and prints how many
//! receives were cancelled.
//!
//! The frame limit is what a side accepts, so each direction is sent in frames the receiver
//! takes: the side with the smaller limit starts (its frames fit either limit), the other
//! echoes each message in frames of at most that smaller limit. A compressed frame may then
//! be a little larger on the wire than the limit; it is its inflated size that must fit.
//!
//! Each cell runs on two runtime threads, and the server's socket buffers are small, so that
//! the two ends wait for each other as over a network: receives have to wait (and so are
//! cancelled), and sends wait for the peer to read while the other half receives.
//!
//! The axes that apply to a peer we did not write are crossed against Python `websockets`
//! too (`python_websockets`, one test: one Python echo server, a connection per cell, each
//! named in the output and under the hang guard). Our client starts; Python echoes each
//! message whole (`equal`: both limits the larger) or in frames of the smaller limit
//! (`client_smaller`: its own limit is per message, so the client's is the one that binds).

use std::task::Poll;
use std::time::Duration;

use tokio::io::AsyncBufReadExt;
use tokio::time::{Instant, MissedTickBehavior};
use uniws::{
    ConnectOptions, DeflateOptions, Error, Message, MessageType, RecvHalf, SendHalf, ServerOptions,
    WebSocket, connect,
};
use uniws_test_support::incompressible;

/// The bound on a cell: only a hang reaches it, however loaded the machine (a cell takes
/// milliseconds).
const LIMIT: Duration = Duration::from_secs(60);

/// The smaller frame limit of the matrix, and the larger.
const SMALL_LIMIT: usize = 16 << 10;
const LARGE_LIMIT: usize = 1 << 20;

/// What the server's socket buffers are asked to be.
const SOCKET_BUFFER: u32 = 32 << 10;

/// What `recv_all` takes: more than any message of the matrix.
const MAX_MESSAGE: usize = 1 << 20;

/// How often the ticker cuts a waiting receive short (tokio's timers have a resolution of a
/// millisecond, so in practice once per millisecond).
const TICK: Duration = Duration::from_micros(200);

#[derive(Debug, Clone, Copy)]
enum Limits {
    Equal,
    ClientSmaller,
    ServerSmaller,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// `send_all` and `recv_all`.
    Messages,
    /// `send` and `recv`, a message in frames of at most the smaller limit.
    Frames,
}

/// What races every receive in `select!`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cancel {
    /// Nothing: each receive is waited for.
    Never,
    /// A ticker of [`TICK`].
    Ticker,
    /// A ticker as fast as the scheduler: a receive is polled once, and dropped if it has to
    /// wait (made again once the task's turn comes back), so every wait is a cancellation.
    EveryWait,
}

#[derive(Debug, Clone, Copy)]
enum Data {
    /// Text that deflate shrinks many times.
    Compressible,
    /// Bytes that deflate cannot shrink.
    Incompressible,
}

#[derive(Debug, Clone, Copy)]
enum Size {
    Small,
    Large,
}

#[derive(Debug, Clone, Copy)]
struct Cell {
    compressed: bool,
    limits: Limits,
    mode: Mode,
    cancel: Cancel,
    data: Data,
    size: Size,
}

impl Cell {
    /// The frame limits of (client, server).
    fn limits(self) -> (usize, usize) {
        match self.limits {
            Limits::Equal => (SMALL_LIMIT, SMALL_LIMIT),
            Limits::ClientSmaller => (SMALL_LIMIT, LARGE_LIMIT),
            Limits::ServerSmaller => (LARGE_LIMIT, SMALL_LIMIT),
        }
    }

    /// The messages the starting side sends, each different, in order.
    fn messages(self) -> Vec<Message> {
        let (count, len) = match self.size {
            Size::Small => (20, 20),
            Size::Large => (3, 300_000),
        };
        (0..count)
            .map(|i| match self.data {
                Data::Compressible => {
                    let mut text = format!("message {i}: ");
                    let mut line = 0;
                    while text.len() < len {
                        text.push_str(&format!("line {line} of the log of message {i}; "));
                        line += 1;
                    }
                    text.truncate(len + i);
                    Message::text(text)
                }
                Data::Incompressible => Message::binary(incompressible(len + i, i as u64)),
            })
            .collect()
    }
}

/// What one side counts of its receives.
#[derive(Debug, Default)]
struct Counts {
    /// Receives cut short by what raced them (their futures dropped while they waited).
    cancelled: usize,
}

/// The next frame (or, `whole`, message), every call raced as `cancel` says: when the race
/// is lost the call is dropped and made again.
async fn recv(rx: &mut RecvHalf, whole: bool, cancel: Cancel, counts: &mut Counts) -> Result<Message, Error> {
    if cancel == Cancel::Never {
        return if whole { rx.recv_all(MAX_MESSAGE).await } else { rx.recv().await };
    }
    if cancel == Cancel::EveryWait {
        loop {
            let polled =
                if whole { poll_once(rx.recv_all(MAX_MESSAGE)).await } else { poll_once(rx.recv()).await };
            match polled {
                Poll::Ready(received) => return received,
                Poll::Pending => counts.cancelled += 1,
            }
            tokio::task::yield_now().await;
        }
    }
    let mut ticker = tokio::time::interval_at(Instant::now() + TICK, TICK);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let received = if whole {
            tokio::select! {
                received = rx.recv_all(MAX_MESSAGE) => Some(received),
                _ = ticker.tick() => None,
            }
        } else {
            tokio::select! {
                received = rx.recv() => Some(received),
                _ = ticker.tick() => None,
            }
        };
        match received {
            Some(received) => return received,
            None => counts.cancelled += 1,
        }
    }
}

/// Polls `future` once, then drops it.
async fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx))).await
}

/// The next data message, whole: from `recv_all`, or put together from `recv`'s frames.
async fn recv_message(rx: &mut RecvHalf, cell: Cell, counts: &mut Counts) -> Result<Message, String> {
    let mut parts: Option<(MessageType, Vec<u8>)> = None;
    loop {
        let frame = recv(rx, cell.mode == Mode::Messages, cell.cancel, counts)
            .await
            .map_err(|e| format!("receiving: {e}"))?;
        match frame.message_type() {
            MessageType::Ping | MessageType::Pong => continue,
            MessageType::Close => return Ok(frame),
            kind => {
                let (first, data) = parts.get_or_insert_with(|| (kind, Vec::new()));
                if *first != kind {
                    return Err(format!("a {kind} frame inside a {first} message"));
                }
                data.extend_from_slice(frame.data());
                if !frame.is_partial() {
                    let (kind, data) = parts.take().expect("just set");
                    return Ok(match kind {
                        MessageType::Text => {
                            Message::text(String::from_utf8(data).map_err(|e| e.to_string())?)
                        }
                        _ => Message::binary(data),
                    });
                }
            }
        }
    }
}

/// Sends `message` in frames of at most `frame` bytes: with `send_all` if that is the
/// sender's own limit, else cut here (the matrix's text is ASCII, cut anywhere).
async fn send_message(tx: &mut SendHalf, message: Message, frame: usize) -> Result<(), Error> {
    if tx.max_frame_size() == frame {
        return tx.send_all(message).await;
    }
    let kind = message.message_type();
    let data = message.into_data();
    let count = data.len().div_ceil(frame).max(1);
    for i in 0..count {
        let part = data.slice((i * frame).min(data.len())..((i + 1) * frame).min(data.len()));
        let part = match kind {
            MessageType::Text => Message::text(String::from_utf8(part.to_vec()).expect("ASCII")),
            _ => Message::binary(part),
        };
        tx.send(part.with_partial(i + 1 < count)).await?;
    }
    Ok(())
}

/// The side with the smaller limit: sends every message (from a task of its own, while it
/// receives), checks each comes back intact and in order, then closes.
async fn start(ws: WebSocket, cell: Cell, frame: usize) -> Result<Counts, String> {
    let (mut tx, mut rx) = ws.split();
    let messages = cell.messages();
    let sending = messages.clone();
    let sender = tokio::spawn(async move {
        for message in sending {
            match cell.mode {
                Mode::Messages => tx.send_all(message).await?,
                Mode::Frames => send_message(&mut tx, message, frame).await?,
            }
        }
        Ok::<_, Error>(tx)
    });
    let mut counts = Counts::default();
    for (i, sent) in messages.iter().enumerate() {
        let back = recv_message(&mut rx, cell, &mut counts).await.map_err(|e| format!("message {i}: {e}"))?;
        if back.message_type() != sent.message_type() || back.data() != sent.data() {
            return Err(format!(
                "message {i} of {} bytes came back as a {} message of {} bytes",
                sent.len(),
                back.message_type(),
                back.len()
            ));
        }
    }
    let mut tx = sender.await.expect("the sender").map_err(|e| format!("sending: {e}"))?;
    tx.close(1000, "done").await.map_err(|e| format!("closing: {e}"))?;
    match recv_message(&mut rx, cell, &mut counts).await {
        Ok(close) if close.message_type() == MessageType::Close => Ok(counts),
        other => Err(format!("after the messages, instead of the close: {other:?}")),
    }
}

/// The side with the larger limit: sends each message back as it came (frame by frame), or
/// whole messages in frames of at most `frame` bytes, until the close.
async fn echo(ws: WebSocket, cell: Cell, frame: usize) -> Result<Counts, String> {
    let (mut tx, mut rx) = ws.split();
    let mut counts = Counts::default();
    loop {
        let whole = cell.mode == Mode::Messages;
        let message =
            recv(&mut rx, whole, cell.cancel, &mut counts).await.map_err(|e| format!("echo: {e}"))?;
        let sent = match message.message_type() {
            MessageType::Close => return Ok(counts),
            MessageType::Ping | MessageType::Pong => continue,
            _ if whole => send_message(&mut tx, message, frame).await,
            _ => tx.send(message).await,
        };
        sent.map_err(|e| format!("echo: sending: {e}"))?;
    }
}

/// A listener on a free port of 127.0.0.1 whose connections have small kernel buffers (the
/// kernel doubles what is asked), so that a large message fills them, and sends wait for the
/// peer to read, as over a real network: the writer is then busy while a receive is cancelled.
fn small_buffered_listener() -> (tokio::net::TcpListener, std::net::SocketAddr) {
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket.set_recv_buffer_size(SOCKET_BUFFER).expect("SO_RCVBUF");
    socket.set_send_buffer_size(SOCKET_BUFFER).expect("SO_SNDBUF");
    socket.bind("127.0.0.1:0".parse().expect("an address")).expect("bind");
    let listener = socket.listen(16).expect("listen");
    let addr = listener.local_addr().expect("its address");
    (listener, addr)
}

impl Cell {
    /// Plays the cell on a fresh server and client: what the starting and the echoing side
    /// counted.
    async fn play(self) -> Result<(Counts, Option<Counts>), String> {
        let (client_limit, server_limit) = self.limits();
        let frame = client_limit.min(server_limit);
        let (server_deflate, client_deflate) = match self.compressed {
            true => (DeflateOptions::server(), DeflateOptions::client()),
            false => (DeflateOptions::disabled(), DeflateOptions::disabled()),
        };
        let (listener, addr) = small_buffered_listener();
        let server_options = ServerOptions::new().max_frame_size(server_limit).deflate(server_deflate);
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.expect("accept");
            // As `ServerOptions::serve` does: small frames are not held back for an ACK.
            tcp.set_nodelay(true).expect("TCP_NODELAY");
            server_options.accept(tcp).await.expect("the upgrade")
        });
        let client_options = ConnectOptions::new().max_frame_size(client_limit).deflate(client_deflate);
        let client = connect(&format!("ws://{addr}/"), &client_options)
            .await
            .map_err(|e| format!("connecting: {e}"))?;
        let server = server.await.expect("the server");
        assert_eq!(client.extensions().is_some(), self.compressed, "compression negotiated as asked");
        // The smaller limit starts; with equal limits, the client.
        let (starter, echoer) = match self.limits {
            Limits::ServerSmaller => (server, client),
            Limits::Equal | Limits::ClientSmaller => (client, server),
        };
        let echoing = tokio::spawn(echo(echoer, self, frame));
        let started = start(starter, self, frame).await?;
        let echoed = echoing.await.expect("the echo")?;
        Ok((started, Some(echoed)))
    }
}

/// Our client against the Python echo server on `port`, for the cells where the client starts
/// (`equal` and `client_smaller`).
async fn play_python(cell: Cell, port: u16) -> Result<(Counts, Option<Counts>), String> {
    let client_limit = match cell.limits {
        Limits::Equal => LARGE_LIMIT,
        Limits::ClientSmaller => SMALL_LIMIT,
        Limits::ServerSmaller => unreachable!("Python has no frame limit to be the smaller"),
    };
    let path = match cell.limits {
        Limits::ClientSmaller => format!("/echo?fragment={SMALL_LIMIT}"),
        _ => "/echo".into(),
    };
    let deflate = if cell.compressed { DeflateOptions::client() } else { DeflateOptions::disabled() };
    let options = ConnectOptions::new().max_frame_size(client_limit).deflate(deflate);
    let client = connect(&format!("ws://127.0.0.1:{port}{path}"), &options)
        .await
        .map_err(|e| format!("connecting: {e}"))?;
    assert_eq!(client.extensions().is_some(), cell.compressed, "compression negotiated as asked");
    Ok((start(client, cell, client_limit).await?, None))
}

/// Runs one cell under a hang guard, failing with its name and what went wrong.
async fn run(cell: Cell, name: &str) {
    run_against(cell, name, cell.play()).await;
}

/// Runs `play`, a cell's game, under a hang guard, failing with the cell's name and what went
/// wrong.
async fn run_against(
    cell: Cell,
    name: &str,
    play: impl Future<Output = Result<(Counts, Option<Counts>), String>>,
) {
    let played = tokio::time::timeout(LIMIT, play).await.unwrap_or_else(|_| panic!("cell {name} hung"));
    match played {
        Ok((started, echoed)) => println!(
            "cell {name}: intact; receives cancelled: {} starting, {} echoing",
            started.cancelled,
            echoed.map_or("(not ours)".into(), |echoed| echoed.cancelled.to_string())
        ),
        Err(e) => panic!("cell {name} ({cell:?}): {e}"),
    }
}

// The cross product, one module per axis: each macro adds the value of its axis to those of
// the axes above it and hands them on.

macro_rules! sizes {
    ($compressed:expr, $limits:expr, $mode:expr, $cancel:expr, $data:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn small() {
            let cell = crate::Cell {
                compressed: $compressed,
                limits: $limits,
                mode: $mode,
                cancel: $cancel,
                data: $data,
                size: crate::Size::Small,
            };
            crate::run(cell, concat!(module_path!(), "::small")).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn large() {
            let cell = crate::Cell {
                compressed: $compressed,
                limits: $limits,
                mode: $mode,
                cancel: $cancel,
                data: $data,
                size: crate::Size::Large,
            };
            crate::run(cell, concat!(module_path!(), "::large")).await;
        }
    };
}

macro_rules! data {
    ($($above:expr),*) => {
        mod compressible {
            sizes!($($above,)* crate::Data::Compressible);
        }
        mod incompressible {
            sizes!($($above,)* crate::Data::Incompressible);
        }
    };
}

macro_rules! cancellation {
    ($($above:expr),*) => {
        mod waited {
            data!($($above,)* crate::Cancel::Never);
        }
        mod ticker {
            data!($($above,)* crate::Cancel::Ticker);
        }
        mod every_wait {
            data!($($above,)* crate::Cancel::EveryWait);
        }
    };
}

macro_rules! modes {
    ($($above:expr),*) => {
        mod messages {
            cancellation!($($above,)* crate::Mode::Messages);
        }
        mod frames {
            cancellation!($($above,)* crate::Mode::Frames);
        }
    };
}

macro_rules! limits {
    ($($above:expr),*) => {
        mod equal {
            modes!($($above,)* crate::Limits::Equal);
        }
        mod client_smaller {
            modes!($($above,)* crate::Limits::ClientSmaller);
        }
        mod server_smaller {
            modes!($($above,)* crate::Limits::ServerSmaller);
        }
    };
}

mod compressed {
    limits!(true);
}

mod uncompressed {
    limits!(false);
}

/// The cells that apply to Python `websockets` as the echoing server, in turn against one
/// Python server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_websockets() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/py_server.py");
    let mut server = tokio::process::Command::new(uniws_test_support::python::python())
        .args(["-u", script])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawning py_server.py");
    let mut lines = tokio::io::BufReader::new(server.stdout.take().expect("piped")).lines();
    let first = tokio::time::timeout(LIMIT, lines.next_line()).await.expect("py_server.py printed no port");
    let first = first.expect("its stdout").unwrap_or_default();
    let port: u16 = first.strip_prefix("port ").and_then(|p| p.parse().ok()).expect("a port line");
    // Its report of each connection is not needed: drained, so that it never blocks on stdout.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let mut cells = 0;
    for compressed in [true, false] {
        for limits in [Limits::Equal, Limits::ClientSmaller] {
            for mode in [Mode::Messages, Mode::Frames] {
                for cancel in [Cancel::Never, Cancel::Ticker] {
                    for data in [Data::Compressible, Data::Incompressible] {
                        for size in [Size::Small, Size::Large] {
                            let cell = Cell { compressed, limits, mode, cancel, data, size };
                            let name = format!(
                                "python::{}::{limits:?}::{mode:?}::{cancel:?}::{data:?}::{size:?}",
                                if compressed { "compressed" } else { "uncompressed" }
                            );
                            run_against(cell, &name, play_python(cell, port)).await;
                            cells += 1;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(cells, 64);
}
