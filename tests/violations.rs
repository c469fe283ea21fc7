//! Protocol violations against real uniws endpoints on 127.0.0.1, played by a hostile peer
//! writing raw bytes: every way RFC 6455 lets a peer break the protocol (masking, RSV bits,
//! reserved opcodes, control-frame rules, non-minimal and oversized lengths, fragmentation
//! order, invalid UTF-8 in text and close reasons, close codes, frame and message limits, a
//! connection dropped mid-frame), checked on both sides: what the uniws end's `recv` returns
//! (the exact `Error` variant) and what it puts on the wire (a close frame with 1002, 1007 or
//! 1009, then the end of the stream). Fail-fast cases send only what decides the failure (a
//! header, the bytes up to an invalid one) and never the rest: a uniws end that waited for
//! more would hang, which the deadlines (there only to catch hangs, never to time anything)
//! turn into a failure. Also what the RFC allows
//! and must get through (a character split across fragments, a ping between fragments,
//! application close codes), a server that goes on serving after a violation, and a uniws
//! client failing a connection to a misbehaving server.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::time::timeout;
use uniws::proto::handshake::accept_key;
use uniws::{
    ConnectOptions, Error, Message, MessageType, ServerOptions, Violation, WebSocket, connect,
    request_handler,
};
use wire::{
    BINARY, CLOSE, CONTINUATION, FIN, KEY, Len, MASK, PING, PONG, RSV1, RSV2, RSV3, TEXT, header_value,
    masked, raw_frame,
};

use uniws_test_support::wire;

/// The bound on every wait: only a hang reaches it, however loaded the machine.
const LIMIT: Duration = Duration::from_secs(60);
/// U+1D11E, four bytes of UTF-8, in the middle of a text.
const CLEF: &str = "ab\u{1D11E}cd";

/// Awaits `work` within `limit`, panicking with `what` if it does not finish.
async fn within<T>(limit: Duration, what: &str, work: impl Future<Output = T>) -> T {
    timeout(limit, work).await.unwrap_or_else(|_| panic!("{what}: no answer within {limit:?}"))
}

/// A close payload: the code big-endian, then the reason's bytes.
fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
    [&code.to_be_bytes()[..], reason].concat()
}

// ---------------------------------------------------------------------------------------
// A peer played by hand over raw TCP.

/// A frame the uniws end is expected to send.
#[derive(Clone, Debug, PartialEq)]
enum Wire {
    /// A close frame with this code (and a UTF-8 reason).
    Close(u16),
    /// A close frame with no payload.
    EmptyClose,
    /// A pong with this payload.
    Pong(Vec<u8>),
}

/// One end of a connection, written and read byte by byte by the test.
struct Peer {
    tcp: TcpStream,
    /// Whether frames from the uniws end must be masked (it is the client).
    incoming_masked: bool,
}

impl Peer {
    /// A raw client that upgraded a connection to the uniws server at `addr` by hand.
    async fn client(addr: SocketAddr) -> Self {
        let tcp = within(LIMIT, "connect", TcpStream::connect(addr)).await.expect("TCP connect");
        let mut peer = Self { tcp, incoming_masked: false };
        let request = format!(
            "GET /violations HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        peer.send(request.as_bytes()).await;
        let head = peer.read_head().await;
        assert!(head.starts_with("HTTP/1.1 101 "), "not a 101: {head:?}");
        assert_eq!(header_value(&head, "sec-websocket-accept"), Some(accept_key(KEY).as_str()));
        peer
    }

    /// A fake server that answered a uniws client's upgrade request with a correct 101.
    async fn server(listener: &TcpListener) -> Self {
        let (tcp, _) = within(LIMIT, "accept", listener.accept()).await.expect("TCP accept");
        let mut peer = Self { tcp, incoming_masked: true };
        let head = peer.read_head().await;
        assert!(head.starts_with("GET "), "not an upgrade request: {head:?}");
        let key = header_value(&head, "sec-websocket-key").expect("a Sec-WebSocket-Key").to_owned();
        let answer = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n\r\n",
            accept_key(&key)
        );
        peer.send(answer.as_bytes()).await;
        peer
    }

    async fn send(&mut self, bytes: &[u8]) {
        within(LIMIT, "write", self.tcp.write_all(bytes)).await.expect("write");
    }

    /// An HTTP head, read a byte at a time so nothing after it is consumed.
    async fn read_head(&mut self) -> String {
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            assert!(head.len() < 8192, "HTTP head too long");
            let byte = within(LIMIT, "HTTP head", self.tcp.read_u8()).await.expect("read the HTTP head");
            head.push(byte);
        }
        String::from_utf8(head).expect("an ASCII head")
    }

    /// The next frame from the uniws end, unmasked: its first byte and payload. Checks the
    /// mask bit against the uniws end's role.
    async fn read_frame(&mut self, limit: Duration) -> (u8, Vec<u8>) {
        let read = wire::read_frame(&mut self.tcp, self.incoming_masked, 1 << 20);
        within(limit, "a frame from uniws", read)
            .await
            .expect("a frame from uniws, not the end of the stream")
    }

    /// Reads the next frame and checks that it is `expected`.
    async fn expect(&mut self, expected: &Wire, limit: Duration) {
        let (b0, payload) = self.read_frame(limit).await;
        match expected {
            Wire::Close(code) => {
                assert_eq!(b0, FIN | CLOSE, "expected a close frame with {code}, got {b0:#04x} {payload:x?}");
                assert!((2..=125).contains(&payload.len()), "close payload of {} bytes", payload.len());
                assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), *code, "close code");
                assert!(std::str::from_utf8(&payload[2..]).is_ok(), "close reason is not UTF-8");
            }
            Wire::EmptyClose => {
                assert_eq!((b0, &payload[..]), (FIN | CLOSE, &[][..]), "expected an empty close");
            }
            Wire::Pong(data) => {
                assert_eq!((b0, &payload), (FIN | PONG, data), "expected a pong");
            }
        }
    }

    /// The uniws end closed its side: the stream ends cleanly (no reset, no more bytes).
    async fn expect_eof(&mut self) {
        let mut byte = [0];
        let read = within(LIMIT, "the end of the stream", self.tcp.read(&mut byte)).await;
        assert_eq!(read.expect("a clean end of stream, not an error"), 0, "bytes after the close frame");
    }
}

// ---------------------------------------------------------------------------------------
// The uniws server side, and what it should make of the bytes.

/// How the server reads.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Recv,
    RecvAll(usize),
}

/// What a server task saw: every `recv`/`recv_all` result up to the first error or close
/// message; the socket is kept so it is not dropped while the test still reads the wire.
struct Served {
    results: Vec<uniws::Result<Message>>,
    _ws: WebSocket,
}

/// A listener on 127.0.0.1 whose one connection is upgraded with `options` and read in
/// `mode` until an error or a close message.
async fn serve_once(options: ServerOptions, mode: Mode) -> (SocketAddr, oneshot::Receiver<Served>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let (tcp, _) = within(LIMIT, "server accept", listener.accept()).await.expect("accept");
        let mut ws = within(LIMIT, "server upgrade", options.accept(tcp)).await.expect("upgrade");
        let mut results = Vec::new();
        for _ in 0..16 {
            let next = async {
                match mode {
                    Mode::Recv => ws.recv().await,
                    Mode::RecvAll(max) => ws.recv_all(max).await,
                }
            };
            let result = timeout(LIMIT, next).await.unwrap_or(Err(Error::Timeout));
            let more = matches!(&result, Ok(m) if m.message_type() != MessageType::Close);
            results.push(result);
            if !more {
                break;
            }
        }
        let _ = tx.send(Served { results, _ws: ws });
    });
    (addr, rx)
}

/// The error a violation must produce locally.
#[derive(Clone, Copy, Debug)]
enum Failure {
    /// `Error::Protocol` for this rule (close code 1002).
    Protocol(Violation),
    /// `Error::InvalidUtf8` (1007).
    InvalidUtf8,
    /// `Error::FrameTooLarge` (1009).
    FrameTooLarge,
    /// `Error::MessageTooLarge` (1009).
    MessageTooLarge,
    /// `Error::Io` of kind `UnexpectedEof` (no close frame).
    Eof,
}

impl Failure {
    /// The close code that must go on the wire.
    fn code(self) -> Option<u16> {
        match self {
            Self::Protocol(_) => Some(1002),
            Self::InvalidUtf8 => Some(1007),
            Self::FrameTooLarge | Self::MessageTooLarge => Some(1009),
            Self::Eof => None,
        }
    }

    fn matches(self, error: &Error) -> bool {
        match (self, error) {
            (Self::Protocol(rule), Error::Protocol(violation)) => rule == *violation,
            (Self::InvalidUtf8, Error::InvalidUtf8)
            | (Self::FrameTooLarge, Error::FrameTooLarge { .. })
            | (Self::MessageTooLarge, Error::MessageTooLarge { .. }) => true,
            (Self::Eof, Error::Io(e)) => e.kind() == std::io::ErrorKind::UnexpectedEof,
            _ => false,
        }
    }
}

/// What the uniws end's reads must return.
#[derive(Debug)]
enum Expect {
    /// Whatever valid frames came first, then this error.
    Fail(Failure),
    /// Exactly these messages.
    Deliver(Vec<Message>),
}

impl Expect {
    fn check(&self, results: &[uniws::Result<Message>]) {
        match self {
            Self::Fail(failure) => {
                let (last, before) = results.split_last().expect("at least one result");
                assert!(before.iter().all(Result::is_ok), "an error before the last result: {results:?}");
                let error = last.as_ref().expect_err("the violation was accepted");
                assert!(failure.matches(error), "expected {failure:?}, got {error:?}");
                assert_eq!(error.close_code().map(|c| c.0), failure.code(), "close code of {error:?}");
            }
            Self::Deliver(expected) => {
                let got: Vec<&Message> =
                    results.iter().map(|r| r.as_ref().expect("an error on valid input")).collect();
                assert_eq!(got, expected.iter().collect::<Vec<_>>());
                // Every text part is valid UTF-8 on its own, and the parts make up the text.
                let text = |messages: &mut dyn Iterator<Item = &Message>| -> String {
                    messages
                        .filter(|m| m.message_type() == MessageType::Text)
                        .map(|m| m.as_text().unwrap_or_else(|| panic!("text part not UTF-8: {m:?}")))
                        .collect()
                };
                assert_eq!(text(&mut got.iter().copied()), text(&mut expected.iter()));
            }
        }
    }
}

/// One server-side case: bytes sent after the handshake, what `recv`/`recv_all` returns, and
/// which frames come back before the end of the stream.
struct Case {
    name: String,
    options: ServerOptions,
    mode: Mode,
    send: Vec<u8>,
    expect: Expect,
    wire: Vec<Wire>,
}

impl Case {
    /// A violation: the server fails with `failure`, sends a close with its code, and ends.
    fn fails(name: impl Into<String>, send: Vec<u8>, failure: Failure) -> Self {
        let code = failure.code().expect("a violation answered with a close code");
        Self {
            expect: Expect::Fail(failure),
            ..Self::delivers(name, send, Vec::new(), vec![Wire::Close(code)])
        }
    }

    /// Valid input: the server returns `messages` and answers with `wire`, then ends.
    fn delivers(name: impl Into<String>, send: Vec<u8>, messages: Vec<Message>, wire: Vec<Wire>) -> Self {
        Self {
            name: name.into(),
            options: ServerOptions::new(),
            mode: Mode::Recv,
            send,
            expect: Expect::Deliver(messages),
            wire,
        }
    }

    fn mode(self, mode: Mode) -> Self {
        Self { mode, ..self }
    }

    async fn run(self) {
        let (addr, served) = serve_once(self.options, self.mode).await;
        let mut peer = Peer::client(addr).await;
        peer.send(&self.send).await;
        for frame in &self.wire {
            peer.expect(frame, LIMIT).await;
        }
        peer.expect_eof().await;
        let served = within(LIMIT, "server task", served).await.expect("the server task panicked");
        self.expect.check(&served.results);
    }
}

/// Runs named cases concurrently, each in its own task, and fails listing every case that
/// failed with its message.
async fn run_all<F: Future<Output = ()> + Send + 'static>(cases: Vec<(String, F)>) {
    let tasks: Vec<_> = cases.into_iter().map(|(name, case)| (name, tokio::spawn(case))).collect();
    let mut failures = Vec::new();
    for (name, task) in tasks {
        match timeout(LIMIT * 4, task).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) if e.is_panic() => {
                let panic = e.into_panic();
                let text = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failures.push(format!("{name}: {text}"));
            }
            Ok(Err(e)) => failures.push(format!("{name}: {e}")),
            Err(_) => failures.push(format!("{name}: hung")),
        }
    }
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

async fn run_cases(cases: Vec<Case>) {
    run_all(cases.into_iter().map(|case| (case.name.clone(), case.run())).collect()).await;
}

// ---------------------------------------------------------------------------------------
// The server side.

#[tokio::test]
async fn server_fails_bad_frame_headers_with_1002() {
    use Failure::Protocol;
    let cases = vec![
        Case::fails(
            "unmasked client frame",
            raw_frame(FIN | TEXT, Len::Exact, None, b"hi"),
            Protocol(Violation::UnmaskedClientFrame),
        ),
        Case::fails(
            "RSV1 without an extension",
            masked(FIN | RSV1 | TEXT, b"hi"),
            Protocol(Violation::ReservedBits),
        ),
        Case::fails("RSV2", masked(FIN | RSV2 | BINARY, b"hi"), Protocol(Violation::ReservedBits)),
        Case::fails("RSV3", masked(FIN | RSV3 | TEXT, b"hi"), Protocol(Violation::ReservedBits)),
        Case::fails("reserved data opcode 0x3", masked(FIN | 0x3, b"x"), Protocol(Violation::ReservedOpcode)),
        Case::fails(
            "reserved control opcode 0xB",
            masked(FIN | 0xb, b"x"),
            Protocol(Violation::ReservedOpcode),
        ),
        Case::fails(
            "ping of 126 bytes in the 16-bit form",
            raw_frame(FIN | PING, Len::Bits16(126), Some(MASK), &[b'p'; 126]),
            Protocol(Violation::ControlTooLong),
        ),
        Case::fails(
            "fragmented ping (FIN clear)",
            masked(PING, b"p"),
            Protocol(Violation::FragmentedControl),
        ),
        Case::fails(
            "length 5 in the 16-bit form",
            raw_frame(FIN | BINARY, Len::Bits16(5), Some(MASK), b"hello"),
            Protocol(Violation::NonMinimalLength),
        ),
        Case::fails(
            "length 5 in the 64-bit form",
            raw_frame(FIN | BINARY, Len::Bits64(5), Some(MASK), b"hello"),
            Protocol(Violation::NonMinimalLength),
        ),
        Case::fails(
            "64-bit length with the high bit set (header only)",
            raw_frame(FIN | BINARY, Len::Bits64(1 << 63 | 1 << 20), Some(MASK), &[]),
            Protocol(Violation::LengthHighBit),
        ),
        Case::fails(
            "continuation with no message started",
            masked(FIN | CONTINUATION, b"x"),
            Protocol(Violation::UnexpectedContinuation),
        ),
        Case::fails(
            "new text frame inside a fragmented binary message",
            [masked(BINARY, b"part"), masked(FIN | TEXT, b"new")].concat(),
            Protocol(Violation::InterleavedMessage),
        ),
        Case::fails(
            "new binary frame inside a fragmented text message",
            [masked(TEXT, b"part"), masked(FIN | BINARY, b"new")].concat(),
            Protocol(Violation::InterleavedMessage),
        ),
        Case::fails(
            "unmasked continuation inside recv_all",
            [masked(TEXT, b"part"), raw_frame(FIN | CONTINUATION, Len::Exact, None, b"rest")].concat(),
            Protocol(Violation::UnmaskedClientFrame),
        )
        .mode(Mode::RecvAll(1000)),
        // A ping answered before the violation: its pong goes out first, then the close.
        Case {
            wire: vec![Wire::Pong(b"first".to_vec()), Wire::Close(1002)],
            ..Case::fails(
                "violation after a ping",
                [masked(FIN | PING, b"first"), masked(FIN | RSV1 | BINARY, b"x")].concat(),
                Protocol(Violation::ReservedBits),
            )
        },
    ];
    run_cases(cases).await;
}

#[tokio::test]
async fn server_fails_oversized_frames_and_messages_with_1009_right_after_the_header() {
    let cases = vec![
        // Only the 14-byte header goes out: the limit is enforced on the announced length.
        Case::fails(
            "frame announcing 2^62 bytes, max_frame_size 1 MiB",
            raw_frame(FIN | BINARY, Len::Bits64(1 << 62), Some(MASK), &[]),
            Failure::FrameTooLarge,
        ),
        Case {
            options: ServerOptions::new().max_frame_size(1000),
            ..Case::fails(
                "frame of 1001 bytes, max_frame_size 1000 (header only)",
                raw_frame(FIN | TEXT, Len::Bits16(1001), Some(MASK), &[]),
                Failure::FrameTooLarge,
            )
        },
        // The first fragment whole, then only the second one's header.
        Case::fails(
            "recv_all(1000) of 600 + 600 bytes",
            [masked(BINARY, &[1; 600]), raw_frame(FIN | CONTINUATION, Len::Bits16(600), Some(MASK), &[])]
                .concat(),
            Failure::MessageTooLarge,
        )
        .mode(Mode::RecvAll(1000)),
        Case::fails(
            "recv_all(1000) of one 1001-byte frame (header only)",
            raw_frame(FIN | BINARY, Len::Bits16(1001), Some(MASK), &[]),
            Failure::MessageTooLarge,
        )
        .mode(Mode::RecvAll(1000)),
    ];
    run_cases(cases).await;
}

#[tokio::test]
async fn server_fails_invalid_utf8_with_1007_as_soon_as_it_is_seen() {
    let clef = CLEF.as_bytes();
    let cases = vec![
        Case::fails("text with 0xff", masked(FIN | TEXT, b"ok\xff"), Failure::InvalidUtf8),
        Case::fails(
            "invalid UTF-8 split across fragments (E2 82 | 28)",
            [masked(TEXT, b"ab\xe2\x82"), masked(FIN | CONTINUATION, b"\x28cd")].concat(),
            Failure::InvalidUtf8,
        ),
        Case::fails(
            "text ending inside a character",
            [masked(TEXT, b"ab"), masked(FIN | CONTINUATION, &clef[..4])].concat(),
            Failure::InvalidUtf8,
        ),
        // The header announces 100 bytes; only 10 go out, the 6th of them invalid.
        Case::fails(
            "fail-fast: 0xC0 in the first 10 of 100 announced bytes",
            raw_frame(FIN | TEXT, Len::Short(100), Some(MASK), b"hello\xc0abcd"),
            Failure::InvalidUtf8,
        ),
        Case::fails(
            "fail-fast: a fragment's 0xFF while the message goes on",
            [masked(TEXT, b"ab"), raw_frame(CONTINUATION, Len::Short(100), Some(MASK), b"cd\xff")].concat(),
            Failure::InvalidUtf8,
        ),
    ];
    run_cases(cases).await;
}

#[tokio::test]
async fn server_checks_close_frames() {
    let close = |payload: &[u8]| masked(FIN | CLOSE, payload);
    let mut cases = vec![
        Case::fails(
            "close payload of one byte",
            close(&[0x03]),
            Failure::Protocol(Violation::OneByteClosePayload),
        ),
        Case::fails(
            "close reason with invalid UTF-8",
            close(&close_payload(1000, b"bye\xff\xfe")),
            Failure::InvalidUtf8,
        ),
    ];
    for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
        cases.push(Case::fails(
            format!("close code {code}"),
            close(&close_payload(code, b"")),
            Failure::Protocol(Violation::ForbiddenCloseCode),
        ));
    }
    for code in [1000, 1001, 3000, 4999] {
        cases.push(Case::delivers(
            format!("close code {code} is echoed"),
            close(&close_payload(code, b"fine")),
            vec![Message::close(code, "fine")],
            vec![Wire::Close(code)],
        ));
    }
    cases.push(Case::delivers(
        "empty close is answered with an empty close",
        close(b""),
        vec![Message::close_without_code()],
        vec![Wire::EmptyClose],
    ));
    run_cases(cases).await;
}

/// Fragmented input that is valid, followed by a normal close (echoed with 1000).
#[tokio::test]
async fn server_delivers_what_the_rfc_allows() {
    let clef = CLEF.as_bytes();
    let bye = masked(FIN | CLOSE, &close_payload(1000, b""));
    // U+1D11E split 1 + 3 between two fragments.
    let split_char = [masked(TEXT, &clef[..3]), masked(FIN | CONTINUATION, &clef[3..]), bye.clone()].concat();
    let ping_between = [
        masked(TEXT, b"hello "),
        masked(FIN | PING, b"are you there?"),
        masked(FIN | CONTINUATION, b"world"),
        bye.clone(),
    ]
    .concat();
    let closed = || Message::close(1000, "");
    let cases = vec![
        Case::delivers(
            "4-byte character split 1+3, recv",
            split_char.clone(),
            vec![Message::text("ab").with_partial(true), Message::text("\u{1D11E}cd"), closed()],
            vec![Wire::Close(1000)],
        ),
        Case::delivers(
            "4-byte character split 1+3, recv_all",
            split_char,
            vec![Message::text(CLEF), closed()],
            vec![Wire::Close(1000)],
        )
        .mode(Mode::RecvAll(1000)),
        Case::delivers(
            "ping between fragments, recv_all",
            ping_between,
            vec![Message::ping(&b"are you there?"[..]), Message::text("hello world"), closed()],
            vec![Wire::Pong(b"are you there?".to_vec()), Wire::Close(1000)],
        )
        .mode(Mode::RecvAll(1000)),
        // Control frames may come between fragments, the peer's close included.
        Case::delivers(
            "close between fragments",
            [masked(TEXT, b"unfinished"), masked(FIN | CLOSE, &close_payload(1001, b"going"))].concat(),
            vec![Message::text("unfinished").with_partial(true), Message::close(1001, "going")],
            vec![Wire::Close(1001)],
        ),
    ];
    run_cases(cases).await;
}

#[tokio::test]
async fn tcp_closed_mid_frame_is_an_unexpected_eof() {
    let (addr, served) = serve_once(ServerOptions::new(), Mode::Recv).await;
    let mut peer = Peer::client(addr).await;
    peer.send(&raw_frame(FIN | BINARY, Len::Short(100), Some(MASK), &[7; 10])).await;
    drop(peer);
    let served = within(LIMIT, "server task", served).await.expect("the server task panicked");
    Expect::Fail(Failure::Eof).check(&served.results);
}

#[tokio::test]
async fn server_goes_on_serving_after_a_violation() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local address");
    let echo = |mut ws: WebSocket| async move {
        while let Ok(message) = ws.recv_all(1 << 20).await {
            if !message.message_type().is_control() && ws.send_all(message).await.is_err() {
                break;
            }
        }
    };
    let server = tokio::spawn(request_handler(echo, |_: &[String]| None, 1 << 20).serve(listener));

    let mut bad = Peer::client(addr).await;
    bad.send(&raw_frame(FIN | TEXT, Len::Exact, None, b"unmasked")).await;
    bad.expect(&Wire::Close(1002), LIMIT).await;
    bad.expect_eof().await;

    // A raw client on a second connection gets its echo.
    let mut raw = Peer::client(addr).await;
    raw.send(&masked(FIN | TEXT, b"still there?")).await;
    assert_eq!(raw.read_frame(LIMIT).await, (FIN | TEXT, b"still there?".to_vec()));

    // And so does a uniws client on a third.
    let mut good = within(LIMIT, "connect", connect(&format!("ws://{addr}/"), &ConnectOptions::new()))
        .await
        .expect("connect after a violation");
    within(LIMIT, "send", good.send(Message::text("hello again"))).await.expect("send");
    let echoed = within(LIMIT, "echo", good.recv()).await.expect("echo");
    assert_eq!(echoed, Message::text("hello again"));
    within(LIMIT, "close", good.close(1000, "done")).await.expect("clean close");
    server.abort();
}

// ---------------------------------------------------------------------------------------
// The client side, against a fake server.

/// A uniws client connects to a fake server that sends `frame`; the client's `recv` must fail
/// with `failure` and a masked close frame with its code must reach the fake server.
async fn client_case(frame: Vec<u8>, failure: Failure) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/", listener.local_addr().expect("local address"));
    let client = tokio::spawn(async move {
        let mut ws = within(LIMIT, "connect", connect(&url, &ConnectOptions::new())).await.expect("connect");
        let result = timeout(LIMIT, ws.recv()).await.unwrap_or(Err(Error::Timeout));
        (result, ws)
    });
    let mut server = Peer::server(&listener).await;
    server.send(&frame).await;
    server.expect(&Wire::Close(failure.code().expect("a close code")), LIMIT).await;
    server.expect_eof().await;
    let (result, _ws) = within(LIMIT, "client task", client).await.expect("the client task panicked");
    Expect::Fail(failure).check(&[result]);
}

#[tokio::test]
async fn client_fails_a_misbehaving_server() {
    let cases = [
        (
            "masked server frame",
            raw_frame(FIN | TEXT, Len::Exact, Some(MASK), b"hi"),
            Failure::Protocol(Violation::MaskedServerFrame),
        ),
        ("invalid UTF-8 text", raw_frame(FIN | TEXT, Len::Exact, None, b"a\xffb"), Failure::InvalidUtf8),
        (
            "reserved opcode",
            raw_frame(FIN | 0x3, Len::Exact, None, b""),
            Failure::Protocol(Violation::ReservedOpcode),
        ),
        (
            "close code 1005",
            raw_frame(FIN | CLOSE, Len::Exact, None, &close_payload(1005, b"")),
            Failure::Protocol(Violation::ForbiddenCloseCode),
        ),
        (
            "frame over 1 MiB (header only)",
            raw_frame(FIN | BINARY, Len::Bits64(1 << 21), None, &[]),
            Failure::FrameTooLarge,
        ),
    ];
    run_all(
        cases
            .into_iter()
            .map(|(name, frame, failure)| (name.to_owned(), client_case(frame, failure)))
            .collect(),
    )
    .await;
}
