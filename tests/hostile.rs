//! Hostile peers against a real uniws server (`request_handler(...).serve`) on 127.0.0.1,
//! played by a raw TCP client writing frames by hand: a message in 100,000 one-byte fragments
//! (`recv_all` stops it at `MAX_FRAGMENTS` with 1009, `recv` delivers every fragment), a flood
//! of 200,000 pings from a peer that never reads its pongs, a TCP reset in the middle of a
//! frame, a frame announcing 2^63-1 bytes, and data frames after the peer's close. Each test
//! checks what the server's `recv`/`recv_all` returned (the exact `Error`), what it put on the
//! wire (close code, then the end of the stream), and that the same server goes on serving
//! other connections. Every await has a deadline, there only to turn a hang into a failure:
//! what is checked is the outcome, never how fast it came.

use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpSocket;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use uniws::{
    ConnectOptions, Error, MAX_FRAGMENTS, Message, MessageType, WebSocket, connect, request_handler,
};

use uniws_test_support::wire;

/// The bound on every wait: only a hang reaches it, however loaded the machine. A violation
/// decidable from what was already sent is shown to be answered at once by the peer never
/// sending the rest: waiting for it would be a hang.
const LIMIT: Duration = Duration::from_secs(60);
/// The server's `max_frame_size`, and `recv_all`'s message limit.
const MAX_FRAME: usize = 1 << 20;
/// Fragments in the fragment floods.
const FRAGMENTS: usize = 100_000;
/// Pings in the ping flood.
const PINGS: u32 = 200_000;
/// Socket buffer size for the ping flood: small, so a few pongs fill the path to a peer that
/// does not read, whatever the kernel's autotuning would allow.
const SMALL_BUFFER: u32 = 4096;
const MASK: [u8; 4] = [0xa1, 0x5e, 0x07, 0xc3];

/// A frame's opcode (RFC 6455 §5.2).
#[derive(Clone, Copy)]
#[repr(u8)]
enum Op {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xa,
}

impl Op {
    /// The first byte of a frame of this opcode that ends its message (FIN set).
    const fn last(self) -> u8 {
        0x80 | self as u8
    }

    /// The first byte of a frame of this opcode that more fragments follow (FIN clear).
    const fn more(self) -> u8 {
        self as u8
    }
}

/// Awaits `work` within `limit`, panicking with `what` if it takes longer.
async fn deadline<T>(limit: Duration, what: &str, work: impl Future<Output = T>) -> T {
    timeout(limit, work).await.unwrap_or_else(|_| panic!("{what}: nothing within {limit:?}"))
}

// ---------------------------------------------------------------------------------------
// Frames, as a client writes them: masked, the length in minimal form.

/// A frame whose header announces `len` payload bytes, followed by `payload` (which may be
/// shorter than announced); `b0` is its first byte, [`Op::last`] or [`Op::more`].
fn frame(b0: u8, len: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![b0];
    match len {
        0..=125 => out.push(0x80 | len as u8),
        126..=0xffff => {
            out.push(0x80 | 126);
            out.extend((len as u16).to_be_bytes());
        }
        _ => {
            out.push(0x80 | 127);
            out.extend(len.to_be_bytes());
        }
    }
    out.extend(MASK);
    out.extend(payload.iter().zip(MASK.iter().cycle()).map(|(byte, key)| byte ^ key));
    out
}

/// A frame carrying all of `payload`.
fn whole(b0: u8, payload: &[u8]) -> Vec<u8> {
    frame(b0, payload.len() as u64, payload)
}

/// A close frame with `code` and `reason`.
fn close(code: u16, reason: &str) -> Vec<u8> {
    whole(Op::Close.last(), &[&code.to_be_bytes()[..], reason.as_bytes()].concat())
}

/// Fragments `range` of a binary message sent as `total` one-byte fragments: fragment 0 opens
/// it, fragment `total - 1` (FIN) ends it.
fn fragments(range: Range<usize>, total: usize) -> Vec<u8> {
    range
        .flat_map(|i| {
            let op = if i == 0 { Op::Binary } else { Op::Continuation };
            whole(if i + 1 == total { op.last() } else { op.more() }, &[i as u8])
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The server under attack.

/// What one server connection saw, sent to the test when its reading ended.
#[derive(Debug, Default)]
struct Outcome {
    /// Data frames (or whole messages, for `recv_all`) returned, and their bytes.
    frames: usize,
    bytes: usize,
    /// Data messages completed (a final frame or an unfragmented message).
    messages: usize,
    pings: usize,
    /// The close message returned, if any.
    close: Option<Message>,
    /// The error that ended the reading.
    end: Option<Error>,
}

/// What the handler shares with its test.
struct Shared {
    outcomes: mpsc::UnboundedSender<Outcome>,
    /// Pings seen so far on every connection, counted as they arrive.
    pings: AtomicUsize,
}

/// Reads one connection until an error, with `recv_all(MAX_FRAME)` if the request target is
/// `/recv_all` and with `recv` otherwise, echoing every message that came in one frame.
/// A close message does not end the loop: the `recv` after it must fail too.
async fn session(mut ws: WebSocket, shared: Arc<Shared>) {
    let assemble = ws.request_target() == Some("/recv_all");
    let mut outcome = Outcome::default();
    let mut run = 0;
    let end = loop {
        let next = async { if assemble { ws.recv_all(MAX_FRAME).await } else { ws.recv().await } };
        let message = match timeout(LIMIT, next).await.unwrap_or(Err(Error::Timeout)) {
            Ok(message) => message,
            Err(e) => break e,
        };
        match message.message_type() {
            MessageType::Ping => {
                outcome.pings += 1;
                shared.pings.fetch_add(1, Ordering::SeqCst);
            }
            MessageType::Pong => {}
            MessageType::Close => outcome.close = Some(message),
            MessageType::Text | MessageType::Binary => {
                outcome.frames += 1;
                outcome.bytes += message.len();
                run += 1;
                if !message.is_partial() {
                    outcome.messages += 1;
                    if std::mem::take(&mut run) == 1
                        && let Err(e) = ws.send(message).await
                    {
                        break e;
                    }
                }
            }
        }
    };
    outcome.end = Some(end);
    let _ = shared.outcomes.send(outcome);
}

/// A uniws server on a free port of 127.0.0.1, serving [`session`] on every connection.
struct Server {
    addr: SocketAddr,
    outcomes: mpsc::UnboundedReceiver<Outcome>,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Server {
    /// Starts a server; with `send_buffer`, its connections get that `SO_SNDBUF` (accepted
    /// sockets inherit it from the listener).
    async fn start(send_buffer: Option<u32>) -> Self {
        let socket = TcpSocket::new_v4().expect("socket");
        if let Some(size) = send_buffer {
            socket.set_send_buffer_size(size).expect("SO_SNDBUF");
        }
        socket.bind(([127, 0, 0, 1], 0).into()).expect("bind");
        let listener = socket.listen(64).expect("listen");
        let addr = listener.local_addr().expect("local address");
        let (tx, outcomes) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared { outcomes: tx, pings: AtomicUsize::new(0) });
        let state = shared.clone();
        let handler =
            request_handler(move |ws: WebSocket| session(ws, state.clone()), |_: &[String]| None, MAX_FRAME);
        Self { addr, outcomes, shared, task: tokio::spawn(handler.serve(listener)) }
    }

    /// What the next connection to end its reading saw.
    async fn outcome(&mut self) -> Outcome {
        deadline(LIMIT, "the server's outcome", self.outcomes.recv()).await.expect("the server is gone")
    }

    /// A new uniws client connection to `path` gets its message echoed and closes cleanly.
    async fn assert_still_serving(&mut self, path: &str) {
        let url = format!("ws://{}{path}", self.addr);
        let mut ws = deadline(LIMIT, "connect", connect(&url, &ConnectOptions::new()))
            .await
            .expect("a new connection after the attack");
        let hello = Message::text("still serving?");
        deadline(LIMIT, "send", ws.send(hello.clone())).await.expect("send");
        assert_eq!(deadline(LIMIT, "echo", ws.recv()).await.expect("echo"), hello);
        deadline(LIMIT, "close", ws.close(1000, "done")).await.expect("clean close");
        let outcome = self.outcome().await;
        assert!(matches!(outcome.end, Some(Error::Closed)), "the echo connection ended with {outcome:?}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

// ---------------------------------------------------------------------------------------
// The attacker: a raw TCP client.

/// A frame from the server (never masked): its first byte and payload.
type Frame = (u8, Vec<u8>);

struct Raw {
    read: BufReader<OwnedReadHalf>,
    write: OwnedWriteHalf,
}

impl Raw {
    /// Upgrades a connection to `path` by hand; with `recv_buffer`, the socket's `SO_RCVBUF`
    /// is set before connecting.
    async fn connect(addr: SocketAddr, path: &str, recv_buffer: Option<u32>) -> Self {
        let socket = TcpSocket::new_v4().expect("socket");
        if let Some(size) = recv_buffer {
            socket.set_recv_buffer_size(size).expect("SO_RCVBUF");
        }
        let tcp = deadline(LIMIT, "TCP connect", socket.connect(addr)).await.expect("TCP connect");
        let (read, write) = tcp.into_split();
        let mut raw = Self { read: BufReader::new(read), write };
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        raw.send(request.as_bytes()).await;
        let mut head = String::new();
        while !head.ends_with("\r\n\r\n") {
            let line = deadline(LIMIT, "the 101 answer", raw.read.read_line(&mut head)).await;
            assert!(line.expect("read the answer") > 0, "the server hung up during the handshake");
        }
        assert!(head.starts_with("HTTP/1.1 101 "), "not a 101: {head:?}");
        raw
    }

    async fn send(&mut self, bytes: &[u8]) {
        deadline(LIMIT, "write", self.write.write_all(bytes)).await.expect("write");
    }

    /// The next frame, or `None` at the end of the stream (a reset counts as one).
    async fn next_frame(&mut self, limit: Duration) -> Option<Frame> {
        let read = wire::read_frame(&mut self.read, false, MAX_FRAME as u64);
        match deadline(limit, "a frame or the end of the stream", read).await {
            Ok(frame) => Some(frame),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
                ) =>
            {
                None
            }
            Err(e) => panic!("reading from the server: {e}"),
        }
    }

    /// The next frame is a close frame with `code`.
    async fn expect_close(&mut self, code: u16) {
        match self.next_frame(LIMIT).await {
            Some((b0, payload)) if b0 == Op::Close.last() && payload.len() >= 2 => {
                assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), code, "close code");
                assert!(std::str::from_utf8(&payload[2..]).is_ok(), "close reason is not UTF-8");
            }
            Some(frame) => panic!("expected a close frame with {code}, got {frame:x?}"),
            None => panic!("expected a close frame with {code}, got the end of the stream"),
        }
    }

    /// The next frame is a pong carrying `data`.
    async fn expect_pong(&mut self, data: &[u8]) {
        let frame = self.next_frame(LIMIT).await;
        assert_eq!(frame, Some((Op::Pong.last(), data.to_vec())), "expected a pong");
    }

    /// Nothing more comes: the stream ends.
    async fn expect_end(&mut self) {
        if let Some(frame) = self.next_frame(LIMIT).await {
            panic!("a frame after the close: {frame:x?}");
        }
    }

    /// Resets the connection: with a zero linger time, closing sends RST, not FIN.
    fn reset(self) {
        let tcp = self.read.into_inner().reunite(self.write).expect("the two halves of one stream");
        tcp.set_zero_linger().expect("SO_LINGER");
        drop(tcp);
    }
}

// ---------------------------------------------------------------------------------------
// The tests.

#[tokio::test]
async fn recv_all_stops_a_message_of_100_000_fragments_right_after_max_fragments() {
    let mut server = Server::start(None).await;
    let mut raw = Raw::connect(server.addr, "/recv_all", None).await;
    // MAX_FRAGMENTS fragments are allowed: a ping after them is answered, nothing else comes.
    raw.send(&fragments(0..MAX_FRAGMENTS, FRAGMENTS)).await;
    raw.send(&whole(Op::Ping.last(), b"still assembling?")).await;
    raw.expect_pong(b"still assembling?").await;
    // One more fails the message at once: the remaining 34,463 are never needed (nor sent),
    // so the server held at most MAX_FRAGMENTS bytes of it.
    raw.send(&fragments(MAX_FRAGMENTS..MAX_FRAGMENTS + 1, FRAGMENTS)).await;
    let outcome = server.outcome().await;
    assert!(
        matches!(outcome.end, Some(Error::TooManyFragments { max: MAX_FRAGMENTS })),
        "expected TooManyFragments {{ max: {MAX_FRAGMENTS} }}, got {outcome:?}"
    );
    assert_eq!((outcome.frames, outcome.pings), (0, 1), "recv_all returned part of the message");
    raw.expect_close(1009).await;
    raw.expect_end().await;
    server.assert_still_serving("/recv_all").await;
}

#[tokio::test]
async fn recv_delivers_all_100_000_fragments_as_the_limit_is_recv_alls() {
    let mut server = Server::start(None).await;
    let mut raw = Raw::connect(server.addr, "/recv", None).await;
    raw.send(&fragments(0..FRAGMENTS, FRAGMENTS)).await;
    raw.send(&close(1000, "done")).await;
    raw.expect_close(1000).await;
    raw.expect_end().await;
    let outcome = server.outcome().await;
    assert_eq!((outcome.frames, outcome.bytes, outcome.messages), (FRAGMENTS, FRAGMENTS, 1), "{outcome:?}");
    assert_eq!(outcome.close, Some(Message::close(1000, "done")));
    assert!(matches!(outcome.end, Some(Error::Closed)), "{outcome:?}");
    server.assert_still_serving("/recv").await;
}

#[tokio::test]
async fn a_ping_flood_from_a_peer_that_never_reads_gets_coalesced_pongs() {
    let mut server = Server::start(Some(SMALL_BUFFER)).await;
    let raw = Raw::connect(server.addr, "/recv", Some(SMALL_BUFFER)).await;
    let Raw { read, mut write } = raw;
    // 200,000 pings, each carrying its number, written as fast as the server takes them.
    let flood: Vec<u8> = (0..PINGS).flat_map(|i| whole(Op::Ping.last(), &i.to_be_bytes())).collect();
    let writer = tokio::spawn(async move {
        let written = write.write_all(&flood).await;
        (write, written)
    });
    // The client reads nothing meanwhile: the server must go on reading all the same. Were
    // answering a ping to block reading, the count would stop short for good.
    let every_ping_read = async {
        while server.shared.pings.load(Ordering::SeqCst) < PINGS as usize {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    deadline(LIMIT, "the server reading every ping while the peer reads no pong", every_ping_read).await;
    let (write, written) = deadline(LIMIT, "the flood's write", writer).await.expect("writer task");
    written.expect("write the flood");
    let mut raw = Raw { read, write };

    // Now the client reads: pongs for some pings in order, the latest one's among them,
    // far fewer than the pings; and the connection still echoes.
    raw.send(&whole(Op::Text.last(), b"after the flood")).await;
    let (mut pongs, mut last, mut echoed) = (0u32, None, false);
    while !echoed || last != Some(PINGS - 1) {
        match raw.next_frame(LIMIT).await {
            Some((b0, data)) if b0 == Op::Pong.last() => {
                let n = u32::from_be_bytes(data.try_into().expect("a pong echoes a 4-byte ping"));
                assert!(n < PINGS && last.is_none_or(|last| n > last), "pong {n} after {last:?}");
                (pongs, last) = (pongs + 1, Some(n));
            }
            Some((b0, data)) if b0 == Op::Text.last() && !echoed => {
                assert_eq!(data, b"after the flood");
                echoed = true;
            }
            other => panic!("after {pongs} pongs (last {last:?}), echoed {echoed}: got {other:x?}"),
        }
    }
    assert!(pongs <= PINGS / 10, "{pongs} pongs for {PINGS} pings: not coalesced");
    raw.send(&close(1000, "")).await;
    raw.expect_close(1000).await;
    raw.expect_end().await;
    let outcome = server.outcome().await;
    assert_eq!((outcome.pings, outcome.messages), (PINGS as usize, 1), "{outcome:?}");
    assert!(matches!(outcome.end, Some(Error::Closed)), "{outcome:?}");
}

/// What follows an attack on the wire.
enum Then {
    /// The raw client resets the connection.
    Reset,
    /// The server answers with a close frame with this code, then ends the stream.
    Close(u16),
}

/// One attack whose outcome is an error on the server's first `recv`, possibly after a close
/// message, and maybe a close frame on the wire.
struct Case {
    name: &'static str,
    /// What the raw client sends after the handshake.
    send: Vec<u8>,
    /// What happens on the wire next.
    then: Then,
    /// The close message `recv` returns first, if any.
    close: Option<Message>,
    /// Whether the error that ends the reading is the right one.
    end: fn(&Error) -> bool,
}

#[tokio::test]
async fn resets_huge_frames_and_data_after_close_leave_the_server_serving() {
    let cases = [
        Case {
            name: "TCP reset after 10 of 100 announced bytes",
            send: frame(Op::Binary.last(), 100, &[7; 10]),
            then: Then::Reset,
            close: None,
            end: |e| {
                use std::io::ErrorKind::{ConnectionReset, UnexpectedEof};
                matches!(e, Error::Io(io) if matches!(io.kind(), ConnectionReset | UnexpectedEof))
            },
        },
        Case {
            name: "header announcing 2^63-1 bytes",
            send: frame(Op::Binary.last(), i64::MAX as u64, &[]),
            then: Then::Close(1009),
            close: None,
            end: |e| matches!(e, Error::FrameTooLarge { size, max: MAX_FRAME } if *size == i64::MAX as u64),
        },
        Case {
            name: "data frames after the client's close",
            send: [
                close(1000, "bye"),
                whole(Op::Text.last(), b"ignored"),
                whole(Op::Binary.more(), b"ignored"),
                whole(Op::Continuation.last(), b"too"),
            ]
            .concat(),
            then: Then::Close(1000),
            close: Some(Message::close(1000, "bye")),
            end: |e| matches!(e, Error::Closed),
        },
    ];
    for case in cases {
        let mut server = Server::start(None).await;
        let mut raw = Raw::connect(server.addr, "/recv", None).await;
        raw.send(&case.send).await;
        match case.then {
            Then::Reset => raw.reset(),
            Then::Close(code) => {
                raw.expect_close(code).await;
                raw.expect_end().await;
            }
        }
        let outcome = server.outcome().await;
        let name = case.name;
        assert!(outcome.end.as_ref().is_some_and(case.end), "{name}: ended with {outcome:?}");
        assert_eq!(outcome.close, case.close, "{name}: close message");
        assert_eq!(outcome.frames, 0, "{name}: data delivered");
        server.assert_still_serving("/recv").await;
    }
}

#[tokio::test]
async fn a_client_sending_data_after_its_close_still_gets_the_servers_close_frame() {
    let mut server = Server::start(None).await;
    // Twenty clients, one after the other. Each sends data (which the server echoes), its
    // close, and more data behind it, while it reads what comes back through a small receive
    // buffer: when the server answers the close, its echoes and its close frame still wait
    // in its send buffer. A server that then drops the socket with the data behind the close
    // unread makes the kernel send a reset and discard all that: the close frame is lost.
    let data: Vec<u8> = (0..8).flat_map(|_| whole(Op::Binary.last(), &[9; 16 << 10])).collect();
    let bytes = [data.clone(), close(1000, "bye"), data].concat();
    for client in 0..20 {
        let Raw { mut read, mut write } = Raw::connect(server.addr, "/recv", Some(SMALL_BUFFER)).await;
        let bytes = bytes.clone();
        // The writes may fail on the reset this is about: what counts is what the client reads.
        let writing = tokio::spawn(async move {
            let _ = write.write_all(&bytes).await;
            write
        });
        let mut echoes = 0;
        let end = loop {
            let frame = wire::read_frame(&mut read, false, MAX_FRAME as u64);
            match deadline(LIMIT, "the echoes and the server's close frame", frame).await {
                Ok((b0, _)) if b0 == Op::Binary.last() => echoes += 1,
                Ok((b0, payload)) if b0 == Op::Close.last() => break payload,
                Ok(frame) => panic!("client {client}: unexpected {:x?}", frame.0),
                Err(e) => panic!(
                    "client {client}: the connection ended after {echoes} echoes without the close frame: {e}"
                ),
            }
        };
        assert_eq!(end[..2], 1000u16.to_be_bytes(), "client {client}: close code");
        assert_eq!(echoes, 8, "client {client}: every message before the close echoed");
        let mut rest = Vec::new();
        let tail = deadline(LIMIT, "the end of the stream", read.read_to_end(&mut rest)).await;
        assert!(
            tail.is_ok() && rest.is_empty(),
            "client {client}: after the close frame: {tail:?} {rest:x?}"
        );
        drop((read, deadline(LIMIT, "the client's writes", writing).await));
        let outcome = server.outcome().await;
        assert_eq!(outcome.close, Some(Message::close(1000, "bye")), "client {client}");
        assert_eq!(outcome.frames, 8, "client {client}: only the data before the close delivered");
    }
    server.assert_still_serving("/recv").await;
}
