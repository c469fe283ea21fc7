//! permessage-deflate (RFC 7692) on real sockets: a raw peer that writes compressed frames
//! by hand against a uniws server (negotiation, what goes on the wire, RSV1 misuse, corrupt
//! and trailing deflate data, invalid UTF-8 inside compressed text, a deflate bomb whose heap
//! cost is measured), a fake server against a uniws client (what the client compresses and
//! what it refuses to negotiate), and uniws against itself through every send and receive
//! operation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use uniws::proto::deflate::{Deflater, Inflater};
use uniws::proto::handshake::accept_key;
use uniws::{
    ConnectOptions, DeflateOptions, Error, Message, MessageType, ServerOptions, Violation, WebSocket, connect,
};
use wire::{BINARY, CLOSE, CONTINUATION, FIN, KEY, PING, RSV1, RSV2, TEXT, header_value, masked};

use uniws_test_support::wire;

/// Counts the heap in use and its peak, so the bomb test can weigh what inflating cost.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the counters are only
// statistics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = IN_USE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    /// Counted as the change in size: large blocks grow in place (glibc remaps them).
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let now =
                IN_USE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size - layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        } else {
            IN_USE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The bound on every wait: a hang guard, not a speed requirement.
const LIMIT: Duration = Duration::from_secs(30);
/// The answer of a default uniws server to any valid offer.
const SERVER_ANSWER: &str = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

async fn within<T>(work: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, work).await.expect("hung")
}

/// `message` compressed whole, as one frame's payload (a fresh context, RFC 7692 §7.2.1).
fn deflate(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    Deflater::new(6, 15, true, 0).compress(message, true, &mut out);
    out
}

/// A raw TCP peer speaking WebSocket by hand.
struct Raw {
    tcp: TcpStream,
    /// The uniws end is a client: its frames are masked.
    from_client: bool,
    /// The HTTP head it received (the 101 on a client, the request on a server).
    head: String,
}

impl Raw {
    /// Upgrades a connection to `addr`, offering `extensions` if given.
    async fn client(addr: SocketAddr, extensions: Option<&str>) -> Self {
        let tcp = within(TcpStream::connect(addr)).await.unwrap();
        let offer = extensions.map(|e| format!("Sec-WebSocket-Extensions: {e}\r\n")).unwrap_or_default();
        let mut raw = Self { tcp, from_client: false, head: String::new() };
        let request = format!(
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n{offer}\r\n"
        );
        raw.send(request.as_bytes()).await;
        raw.head = raw.read_head().await;
        assert!(raw.head.starts_with("HTTP/1.1 101"), "{}", raw.head);
        raw
    }

    /// Accepts a uniws client's connection, answering `extensions` if given.
    async fn server(listener: &TcpListener, extensions: Option<&str>) -> Self {
        let (tcp, _) = within(listener.accept()).await.unwrap();
        let mut raw = Self { tcp, from_client: true, head: String::new() };
        raw.head = raw.read_head().await;
        let key = header_value(&raw.head, "sec-websocket-key").unwrap().to_owned();
        let answer = extensions.map(|e| format!("Sec-WebSocket-Extensions: {e}\r\n")).unwrap_or_default();
        let response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n{answer}\r\n",
            accept_key(&key)
        );
        raw.send(response.as_bytes()).await;
        raw
    }

    async fn send(&mut self, bytes: &[u8]) {
        within(self.tcp.write_all(bytes)).await.unwrap();
    }

    async fn read_head(&mut self) -> String {
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(within(self.tcp.read_u8()).await.unwrap());
        }
        String::from_utf8(head).unwrap()
    }

    /// The next frame: its first byte and its payload, unmasked.
    async fn read_frame(&mut self) -> (u8, Vec<u8>) {
        let masked = self.from_client;
        within(wire::read_frame(&mut self.tcp, masked, 1 << 20)).await.expect("a frame")
    }

    /// Reads up to the close frame and returns its code.
    async fn close_code(&mut self) -> u16 {
        loop {
            let (b0, payload) = self.read_frame().await;
            if b0 & 0x0f == CLOSE {
                return u16::from_be_bytes([payload[0], payload[1]]);
            }
        }
    }
}

/// A uniws server with `options` that echoes frames with `recv`/`send` and reports the
/// first error it meets.
async fn echo_server(options: ServerOptions) -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<Error>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (options, tx) = (options.clone(), tx.clone());
            tokio::spawn(async move {
                let Ok(mut ws) = options.accept(tcp).await else { return };
                loop {
                    match ws.recv().await {
                        Ok(m) if m.message_type().is_control() => {}
                        Ok(m) => {
                            if ws.send(m).await.is_err() {
                                return;
                            }
                        }
                        Err(e) => {
                            let _ = tx.send(e);
                            return;
                        }
                    }
                }
            });
        }
    });
    (addr, rx)
}

#[tokio::test]
async fn a_server_inflates_what_it_gets_and_compresses_what_it_sends() {
    let (addr, _) = echo_server(ServerOptions::new()).await;
    let mut raw = Raw::client(addr, Some("permessage-deflate; client_max_window_bits")).await;
    assert_eq!(header_value(&raw.head, "sec-websocket-extensions"), Some(SERVER_ANSWER));

    // RFC 7692 §7.2.3.1's "Hello", compressed; it comes back uncompressed, being under the
    // threshold below which compressing does not pay.
    raw.send(&masked(FIN | RSV1 | TEXT, &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00])).await;
    assert_eq!(raw.read_frame().await, (FIN | TEXT, b"Hello".to_vec()));

    // A compressible message comes back much smaller on the wire, RSV1 set.
    let chat = br#"{"user":"ada","text":"hello hello hello hello hello hello hello hello"}"#.repeat(10);
    raw.send(&masked(FIN | RSV1 | TEXT, &deflate(&chat))).await;
    let (b0, payload) = raw.read_frame().await;
    assert_eq!(b0, FIN | RSV1 | TEXT);
    assert!(payload.len() * 5 < chat.len(), "{} bytes for {}", payload.len(), chat.len());
    let mut inflated = Vec::new();
    Inflater::new(15, true).inflate(&payload, true, 1 << 20, &mut inflated).unwrap();
    assert_eq!(inflated, chat);

    // A compressed message in three frames, RSV1 on the first only, comes back in three parts.
    let whole = deflate(&chat);
    // Most of it in the first frame, so that the first part echoed is over the threshold.
    let (a, rest) = whole.split_at(whole.len() - 6);
    let (b, c) = rest.split_at(3);
    raw.send(&[masked(RSV1 | BINARY, a), masked(CONTINUATION, b), masked(FIN | CONTINUATION, c)].concat())
        .await;
    let mut echoed = Vec::new();
    let mut inflater = Inflater::new(15, true);
    for i in 0..3 {
        let (b0, payload) = raw.read_frame().await;
        let first = i == 0;
        assert_eq!(b0 & RSV1 != 0, first, "RSV1 on the first frame only");
        inflater.inflate(&payload, b0 & FIN != 0, 1 << 20, &mut echoed).unwrap();
    }
    assert_eq!(echoed, chat);
}

#[tokio::test]
async fn invalid_offers_are_declined_and_the_connection_goes_on_uncompressed() {
    let (addr, _) = echo_server(ServerOptions::new()).await;
    for offer in [
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; mystery",
        "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; client_max_window_bits=\"",
        "x-webkit-deflate-frame",
    ] {
        let mut raw = Raw::client(addr, Some(offer)).await;
        assert_eq!(header_value(&raw.head, "sec-websocket-extensions"), None, "{offer}");
        raw.send(&masked(FIN | TEXT, b"plain text, long enough to be worth compressing")).await;
        let (b0, _) = raw.read_frame().await;
        assert_eq!(b0, FIN | TEXT, "{offer}: nothing compressed");
    }
    let (addr, _) = echo_server(ServerOptions::new().deflate(DeflateOptions::disabled())).await;
    let raw = Raw::client(addr, Some("permessage-deflate")).await;
    assert_eq!(header_value(&raw.head, "sec-websocket-extensions"), None, "compression turned off");
}

/// Sends `frames` on a fresh connection (negotiated or not) and returns the close code the
/// server answered with and the error its `recv` gave.
async fn violation(negotiate: bool, frames: &[Vec<u8>]) -> (u16, Error) {
    let (addr, mut errors) = echo_server(ServerOptions::new()).await;
    let mut raw = Raw::client(addr, negotiate.then_some("permessage-deflate")).await;
    raw.send(&frames.concat()).await;
    let code = raw.close_code().await;
    (code, within(errors.recv()).await.unwrap())
}

#[tokio::test]
async fn rsv1_where_it_may_not_be_fails_with_1002() {
    let hello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    let cases = [
        (false, vec![masked(FIN | RSV1 | TEXT, &hello)], Violation::ReservedBits),
        (
            true,
            vec![masked(RSV1 | TEXT, &hello[..3]), masked(FIN | RSV1 | CONTINUATION, &hello[3..])],
            Violation::CompressedContinuation,
        ),
        (
            true,
            vec![masked(TEXT, b"a"), masked(FIN | RSV1 | CONTINUATION, &hello)],
            Violation::CompressedContinuation,
        ),
        (true, vec![masked(FIN | RSV1 | PING, b"")], Violation::CompressedControl),
        (true, vec![masked(FIN | RSV1 | CLOSE, &1000u16.to_be_bytes())], Violation::CompressedControl),
        (true, vec![masked(FIN | RSV2 | TEXT, b"a")], Violation::ReservedBits),
    ];
    for (negotiate, frames, rule) in cases {
        let (code, error) = violation(negotiate, &frames).await;
        assert_eq!(code, 1002, "{frames:x?}");
        assert!(matches!(error, Error::Protocol(violation) if violation == rule), "{rule:?}: {error:?}");
    }
}

#[tokio::test]
async fn corrupt_trailing_or_invalid_text_data_fails_with_1007() {
    let mut trailing = vec![0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    trailing.extend(b"more");
    // `None`: invalid UTF-8 rather than a deflate rule.
    for (what, frames, rule) in [
        (
            "a reserved block type",
            vec![masked(FIN | RSV1 | BINARY, &[0xff, 0xff, 0xff])],
            Some(Violation::InvalidDeflate),
        ),
        (
            "stored block lengths that disagree",
            vec![masked(FIN | RSV1 | BINARY, &[0x00, 0x05, 0x00, 0x00, 0x00])],
            Some(Violation::InvalidDeflate),
        ),
        (
            "bytes after the final block",
            vec![masked(FIN | RSV1 | BINARY, &trailing)],
            Some(Violation::DataAfterFinalBlock),
        ),
        ("invalid UTF-8 once inflated", vec![masked(FIN | RSV1 | TEXT, &deflate(b"ok \xff\xfe"))], None),
        (
            "UTF-8 cut short at the message's end",
            vec![
                masked(RSV1 | TEXT, &deflate(b"\xe2\x82")[..1]),
                masked(FIN | CONTINUATION, &deflate(b"\xe2\x82")[1..]),
            ],
            None,
        ),
    ] {
        let (code, error) = violation(true, &frames).await;
        assert_eq!(code, 1007, "{what}");
        match rule {
            None => assert!(matches!(error, Error::InvalidUtf8), "{what}: {error:?}"),
            Some(rule) => assert!(matches!(error, Error::Protocol(v) if v == rule), "{what}: {error:?}"),
        }
    }
}

/// A frame of about 1 MB that inflates to 1 GiB of zeros: 64 runs of 16 MiB, each compressed
/// in the context of the zeros before it.
fn bomb() -> Vec<u8> {
    let mut deflater = Deflater::new(9, 15, false, 0);
    let zeros = vec![0u8; 16 << 20];
    let mut first = Vec::new();
    deflater.compress(&zeros, false, &mut first);
    let mut run = Vec::new();
    deflater.compress(&zeros, false, &mut run);
    let mut bomb = first;
    for _ in 1..64 {
        bomb.extend_from_slice(&run);
    }
    deflater.compress(b"", true, &mut bomb);
    bomb
}

#[tokio::test]
async fn a_deflate_bomb_stops_at_the_limit_and_costs_at_most_about_the_limit() {
    let bomb = bomb();
    assert!(bomb.len() < 1_100_000, "{} bytes", bomb.len());
    // Inflated independently, the bomb is what it claims (checked on the first 64 MiB).
    let mut inflated = Vec::new();
    let cut_short = Inflater::new(15, true).inflate(&bomb, true, 64 << 20, &mut inflated);
    assert!(cut_short.is_err() && inflated.len() > 64 << 20 && inflated.iter().all(|&b| b == 0));
    drop(inflated);
    let framed = masked(FIN | RSV1 | BINARY, &bomb);

    for (max_frame_size, recv_all) in [(2 << 20, None), (2 << 20, Some(256 << 10))] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = ServerOptions::new().max_frame_size(max_frame_size).accept(tcp).await.unwrap();
            let before = IN_USE.load(Ordering::Relaxed);
            PEAK.store(before, Ordering::Relaxed);
            let result = match recv_all {
                None => ws.recv().await,
                Some(max) => ws.recv_all(max).await,
            };
            (result, PEAK.load(Ordering::Relaxed) - before)
        });
        let mut raw = Raw::client(addr, Some("permessage-deflate")).await;
        raw.send(&framed).await;
        assert_eq!(raw.close_code().await, 1009);
        let (result, heap) = within(server).await.unwrap();
        match recv_all {
            None => assert!(matches!(result, Err(Error::FrameTooLarge { max: 0x20_0000, .. })), "{result:?}"),
            Some(max) => {
                assert!(matches!(result, Err(Error::MessageTooLarge { max: m }) if m == max), "{result:?}")
            }
        }
        // The frame itself is read in (1 MB), then at most the limit is inflated. The peak
        // may include the test's own peer and buffers of the runtime, so it gets 1 MiB more.
        let limit = recv_all.unwrap_or(max_frame_size);
        eprintln!("bomb of {} bytes, limit {limit}: peak heap {heap} bytes", bomb.len());
        assert!(heap < bomb.len() + limit + (1 << 20), "peak heap {heap} bytes for a limit of {limit}");
    }
}

#[tokio::test]
async fn a_message_sent_in_frames_keeps_its_compression_choice() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let text = "a text longer than one frame of 32 bytes, sent in four frames ".repeat(2);
    let sent = text.clone();
    let client = tokio::spawn(async move {
        let mut ws = connect(&url, &ConnectOptions::new().max_frame_size(32)).await.unwrap();
        ws.send_all(Message::text(sent.clone()).with_compression(false)).await.unwrap();
        ws.send_all(Message::text(sent)).await.unwrap();
        ws
    });
    let mut raw = Raw::server(&listener, Some("permessage-deflate; client_max_window_bits=10")).await;
    let mut plain = Vec::new();
    loop {
        let (b0, payload) = raw.read_frame().await;
        assert_eq!(b0 & RSV1, 0, "with_compression(false) holds for every frame of the message");
        plain.extend_from_slice(&payload);
        if b0 & FIN != 0 {
            break;
        }
    }
    assert_eq!(plain, text.as_bytes());
    let (b0, _) = raw.read_frame().await;
    assert_eq!(b0, RSV1 | TEXT, "the same message, compressible, is compressed");
    within(client).await.unwrap();
}

#[tokio::test]
async fn a_client_compresses_as_told_and_refuses_answers_it_did_not_ask_for() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let client = tokio::spawn(async move {
        let mut ws = connect(&url, &ConnectOptions::new()).await.unwrap();
        assert_eq!(ws.extensions(), Some("permessage-deflate; client_max_window_bits=10"));
        let text = "a message a client compresses, a message a client compresses".to_owned();
        ws.send(Message::text(text.clone())).await.unwrap();
        ws.send(Message::text(text.clone()).with_compression(false)).await.unwrap();
        ws.send(Message::text("tiny")).await.unwrap();
        ws.send(Message::binary(text.clone().into_bytes()).with_partial(true)).await.unwrap();
        ws.send(Message::binary(text.into_bytes())).await.unwrap();
        ws
    });
    let mut raw = Raw::server(&listener, Some("permessage-deflate; client_max_window_bits=10")).await;
    assert_eq!(
        header_value(&raw.head, "sec-websocket-extensions"),
        Some("permessage-deflate; client_max_window_bits"),
        "offered as browsers offer"
    );
    let mut inflater = Inflater::new(10, false);
    let mut inflate = |payload: &[u8], fin: bool| {
        let mut out = Vec::new();
        inflater.inflate(payload, fin, 1 << 20, &mut out).unwrap();
        out
    };
    let text = b"a message a client compresses, a message a client compresses";
    let (b0, payload) = raw.read_frame().await;
    assert_eq!((b0, inflate(&payload, true).as_slice()), (FIN | RSV1 | TEXT, &text[..]));
    assert_eq!(raw.read_frame().await, (FIN | TEXT, text.to_vec()), "with_compression(false)");
    assert_eq!(raw.read_frame().await, (FIN | TEXT, b"tiny".to_vec()), "under the threshold");
    let (b0, first) = raw.read_frame().await;
    assert_eq!((b0, inflate(&first, false).as_slice()), (RSV1 | BINARY, &text[..]));
    let (b0, last) = raw.read_frame().await;
    assert_eq!((b0, inflate(&last, true).as_slice()), (FIN | CONTINUATION, &text[..]), "context taken over");
    within(client).await.unwrap();

    for (options, answer) in [
        (ConnectOptions::new().deflate(DeflateOptions::disabled()), "permessage-deflate"),
        (ConnectOptions::new(), "x-webkit-deflate-frame"),
        (ConnectOptions::new(), "permessage-deflate, permessage-deflate"),
        (ConnectOptions::new(), "permessage-deflate; client_max_window_bits"),
        (ConnectOptions::new(), "permessage-deflate; server_max_window_bits=7"),
        (ConnectOptions::new(), "permessage-deflate; secret_option"),
        (ConnectOptions::new(), "permessage-deflate; server_no_context_takeover=yes"),
        (ConnectOptions::new(), "permessage-deflate;;"),
        (
            ConnectOptions::new().deflate(DeflateOptions::client().server_no_context_takeover(true)),
            "permessage-deflate",
        ),
        (
            ConnectOptions::new().deflate(DeflateOptions::client().client_max_window_bits(9)),
            "permessage-deflate; client_max_window_bits=12",
        ),
    ] {
        let url = format!("ws://{}/", listener.local_addr().unwrap());
        let client = tokio::spawn(async move { connect(&url, &options).await });
        let _raw = Raw::server(&listener, Some(answer)).await;
        let result = within(client).await.unwrap();
        assert!(matches!(result, Err(Error::Handshake { status: Some(101), .. })), "{answer}: {result:?}");
    }
}

async fn pair(server: ServerOptions, client: ConnectOptions) -> (WebSocket, WebSocket) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let accept = tokio::spawn(async move { server.accept(listener.accept().await.unwrap().0).await });
    let client = within(connect(&url, &client)).await.unwrap();
    (client, within(accept).await.unwrap().unwrap())
}

#[tokio::test]
async fn every_operation_works_compressed_with_each_kind_of_context() {
    let text: String = (0..20_000).map(|i| format!("line {i} of the log, ")).collect();
    for (server, client) in [
        (DeflateOptions::server(), DeflateOptions::client()),
        (
            DeflateOptions::server().server_no_context_takeover(false).client_no_context_takeover(false),
            DeflateOptions::client(),
        ),
        (
            DeflateOptions::server().server_max_window_bits(8).client_max_window_bits(9),
            DeflateOptions::client().level(1),
        ),
    ] {
        let server = ServerOptions::new().max_frame_size(64 << 10).deflate(server);
        let client = ConnectOptions::new().max_frame_size(64 << 10).deflate(client);
        let (mut a, mut b) = pair(server, client).await;
        assert!(a.extensions().is_some_and(|e| e.starts_with("permessage-deflate")));
        assert_eq!(a.extensions(), b.extensions());
        for _ in 0..3 {
            // A whole message in frames of at most 64 KiB, each inflating to at most that.
            within(a.send_all(Message::text(text.clone()))).await.unwrap();
            let got = within(b.recv_all(1 << 20)).await.unwrap();
            assert_eq!(got.as_text(), Some(text.as_str()));
            // recv hands out each frame's inflated part.
            within(b.send_all(Message::binary(text.clone().into_bytes()))).await.unwrap();
            let mut joined = Vec::new();
            loop {
                let part = within(a.recv()).await.unwrap();
                assert_eq!(part.message_type(), MessageType::Binary);
                assert!(part.len() <= 64 << 10);
                joined.extend_from_slice(part.data());
                if !part.is_partial() {
                    break;
                }
            }
            assert_eq!(joined, text.as_bytes());
            // Partial sends make one compressed message.
            within(a.send(Message::text("first part, ").with_partial(true))).await.unwrap();
            within(a.send(Message::text("second part"))).await.unwrap();
            assert_eq!(within(b.recv_all(1024)).await.unwrap().as_text(), Some("first part, second part"));
            // recv_all's limit counts inflated bytes.
        }
        within(a.send_all(Message::text(text.clone()))).await.unwrap();
        let err = within(b.recv_all(100_000)).await.unwrap_err();
        assert!(matches!(err, Error::MessageTooLarge { max: 100_000 }), "{err:?}");
    }
}

/// A compressed frame that inflates past the frame limit is refused with its real size, the
/// inflated one (not the limit and the byte that crossed it).
#[tokio::test]
async fn a_compressed_frame_over_the_limit_reports_its_inflated_size() {
    let (addr, mut errors) = echo_server(ServerOptions::new().max_frame_size(16 << 10)).await;
    let mut raw = Raw::client(addr, Some("permessage-deflate")).await;
    raw.send(&masked(FIN | RSV1 | BINARY, &deflate(&[b'x'; 20_000]))).await;
    assert_eq!(raw.close_code().await, 1009);
    let error = within(errors.recv()).await.unwrap();
    assert!(matches!(error, Error::FrameTooLarge { size: 20_000, max: 0x4000 }), "{error:?}");
}
