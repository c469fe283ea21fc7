//! Interoperability with an implementation we did not write: the Python `websockets` library,
//! pinned and installed into a cached virtualenv by `tests/support/python.rs`. Our client
//! talks to its server (`tests/interop/py_server.py`) and its client
//! (`tests/interop/py_client.py`) talks to our server, over real sockets on 127.0.0.1: text and binary echo, fragmentation both ways,
//! subprotocol negotiation, pings, the frame limit (1009) and the close handshake from
//! either side. A failed install fails every test.

use std::net::SocketAddr;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader, Lines};
use tokio::net::TcpListener;
use tokio::process::{Child, ChildStdout, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use uniws::{
    CloseCode, ConnectOptions, DeflateOptions, Error, Message, MessageType, WebSocket, connect,
    request_handler,
};

/// What a uniws server answers to permessage-deflate offers.
const SERVER_DEFLATE: &str = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
/// What Python's server answers to `permessage-deflate; client_max_window_bits`.
const PYTHON_DEFLATE: &str = "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12";

/// How long any one step may take before the test fails instead of hanging: only a hang
/// reaches it, however loaded the machine.
const LIMIT: Duration = Duration::from_secs(60);

use support_python::python;
use uniws_test_support::python as support_python;

const PY_SERVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/py_server.py");
const PY_CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/py_client.py");

// ---------------------------------------------------------------------------------------
// Python processes, killed by their handle when dropped (a failing test included).

struct PyProcess {
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Option<JoinHandle<String>>,
    /// Every stdout line read so far, for failure messages.
    seen: Vec<String>,
}

impl Drop for PyProcess {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

impl PyProcess {
    fn spawn(script: &str, args: &[String]) -> Self {
        let mut child = Command::new(python())
            .arg("-u")
            .arg(script)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {script}: {e}"));
        let stdout = BufReader::new(child.stdout.take().expect("piped")).lines();
        let mut stderr = child.stderr.take().expect("piped");
        let stderr = tokio::spawn(async move {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text).await;
            text
        });
        Self { child, stdout, stderr: Some(stderr), seen: Vec::new() }
    }

    /// What the process wrote to stderr, once it has ended (or a note that it has not).
    async fn stderr(&mut self) -> String {
        match self.stderr.take() {
            Some(task) => match timeout(Duration::from_secs(2), task).await {
                Ok(Ok(text)) => text,
                _ => "(stderr not available: the process is still running)".into(),
            },
            None => "(stderr already taken)".into(),
        }
    }

    /// The next stdout line, `None` at the end of the output.
    async fn next_line(&mut self) -> Option<String> {
        let line = match timeout(LIMIT, self.stdout.next_line()).await {
            Ok(line) => line.expect("reading the Python process's stdout"),
            Err(_) => {
                let _ = self.child.start_kill();
                let stderr = self.stderr().await;
                panic!(
                    "the Python process printed nothing for {LIMIT:?}; so far {:?}\nstderr:\n{stderr}",
                    self.seen
                )
            }
        };
        if let Some(line) = &line {
            self.seen.push(line.clone());
        }
        line
    }

    /// Reads lines until one starts with `prefix` and returns it, trailing spaces trimmed.
    async fn line_starting(&mut self, prefix: &str) -> String {
        loop {
            match self.next_line().await {
                Some(line) if line.starts_with(prefix) => return line.trim_end().to_owned(),
                Some(line) if line.starts_with("error") => {
                    let stderr = self.stderr().await;
                    panic!(
                        "the Python process reported {line:?} while we waited for {prefix:?}\nstderr:\n{stderr}"
                    )
                }
                Some(_) => {}
                None => {
                    let stderr = self.stderr().await;
                    panic!(
                        "the Python process ended without printing {prefix:?}; it printed {:?}\nstderr:\n{stderr}",
                        self.seen
                    )
                }
            }
        }
    }

    /// Reads the rest of the output and waits for the exit; returns every line (trailing
    /// spaces trimmed) and the exit status.
    async fn finish(&mut self) -> (Vec<String>, ExitStatus) {
        while self.next_line().await.is_some() {}
        let status =
            timeout(LIMIT, self.child.wait()).await.expect("the Python process did not exit").unwrap();
        (self.seen.iter().map(|l| l.trim_end().to_owned()).collect(), status)
    }

    /// Runs the Python client to its end and returns its lines, failing unless it exited 0.
    async fn client(args: &[String]) -> Vec<String> {
        let mut py = Self::spawn(PY_CLIENT, args);
        let (lines, status) = py.finish().await;
        if !status.success() {
            let stderr = py.stderr().await;
            panic!("py_client.py {args:?} exited with {status}; it printed {lines:?}\nstderr:\n{stderr}");
        }
        lines
    }
}

/// Starts `py_server.py` and returns it with the port it listens on.
async fn py_server() -> (PyProcess, u16) {
    let mut py = PyProcess::spawn(PY_SERVER, &[]);
    let line = py.line_starting("port ").await;
    let port = line["port ".len()..].parse().unwrap_or_else(|_| panic!("bad port line {line:?}"));
    (py, port)
}

// ---------------------------------------------------------------------------------------
// Our server, with an echo handler that reports what it sees.

#[derive(Debug)]
enum Seen {
    /// A connection was upgraded with this subprotocol.
    Open(Option<String>),
    /// `recv_all` returned this message (data messages are echoed with `send_all`).
    Got(Message),
    /// `recv_all` or `send_all` failed; the handler stopped.
    Ended(Error),
}

struct OurServer {
    addr: SocketAddr,
    seen: mpsc::UnboundedReceiver<Seen>,
    task: JoinHandle<()>,
}

impl Drop for OurServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl OurServer {
    /// Our server with `max_frame_size`, its handler's `recv_all` taking up to 16 MiB.
    async fn start(max_frame_size: usize) -> Self {
        Self::start_with(max_frame_size, 16 << 20).await
    }

    /// Our server with `max_frame_size`, its handler's `recv_all` taking up to `max_message`.
    async fn start_with(max_frame_size: usize, max_message: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, seen) = mpsc::unbounded_channel();
        let handler = request_handler(
            move |mut ws: WebSocket| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(Seen::Open(ws.protocol().map(str::to_owned)));
                    loop {
                        let message = match ws.recv_all(max_message).await {
                            Ok(message) => message,
                            Err(e) => {
                                let _ = tx.send(Seen::Ended(e));
                                break;
                            }
                        };
                        let _ = tx.send(Seen::Got(message.clone()));
                        if matches!(message.message_type(), MessageType::Text | MessageType::Binary)
                            && let Err(e) = ws.send_all(message).await
                        {
                            let _ = tx.send(Seen::Ended(e));
                            break;
                        }
                    }
                }
            },
            |offered: &[String]| offered.iter().find(|p| *p == "chat").cloned(),
            max_frame_size,
        );
        let task = tokio::spawn(handler.serve(listener));
        Self { addr, seen, task }
    }

    fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    async fn next(&mut self) -> Seen {
        timeout(LIMIT, self.seen.recv()).await.expect("our server saw nothing").expect("server gone")
    }

    /// Everything the handler reports for one connection, up to its end.
    async fn connection(&mut self) -> Vec<Seen> {
        let mut seen = Vec::new();
        loop {
            let event = self.next().await;
            let end = matches!(event, Seen::Ended(_));
            seen.push(event);
            if end {
                return seen;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Helpers.

/// `n` bytes as the Python scripts make them: byte `i` is `i % 251`.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn connect_to(port: u16, path: &str, options: ConnectOptions) -> WebSocket {
    let url = format!("ws://127.0.0.1:{port}{path}");
    timeout(LIMIT, connect(&url, &options)).await.expect("connect hung").expect("connect failed")
}

async fn send(ws: &mut WebSocket, message: Message) {
    timeout(LIMIT, ws.send(message)).await.expect("send hung").expect("send failed");
}

async fn recv(ws: &mut WebSocket) -> Result<Message, Error> {
    timeout(LIMIT, ws.recv()).await.expect("recv hung")
}

async fn close(ws: &mut WebSocket, code: u16, reason: &str) {
    timeout(LIMIT, ws.close(code, reason)).await.expect("close hung").expect("close failed");
}

const NON_ASCII: &str = "héllo wörld ✓ 日本語 🦀";

// ---------------------------------------------------------------------------------------
// Our client against the Python server.

#[tokio::test]
async fn our_client_round_trips_text_and_binary_through_python_echo() {
    let (mut py, port) = py_server().await;
    let mut ws = connect_to(port, "/echo", ConnectOptions::new()).await;
    assert_eq!(ws.protocol(), None);
    assert_eq!(py.line_starting("open ").await, "open /echo -");
    // Python's answer to our browser-like offer: both directions compressed.
    assert_eq!(ws.extensions(), Some(PYTHON_DEFLATE));
    assert_eq!(py.line_starting("extensions ").await, format!("extensions /echo {PYTHON_DEFLATE}"));
    let messages = [
        Message::text("hello"),
        Message::text(NON_ASCII),
        Message::text(""),
        Message::binary(vec![0u8, 1, 2, 127, 128, 254, 255]),
        Message::binary(Vec::new()),
        Message::binary(pattern(100_000)),
    ];
    for message in messages {
        send(&mut ws, message.clone()).await;
        let echo = recv(&mut ws).await.unwrap();
        assert_eq!(echo.message_type(), message.message_type());
        assert_eq!(
            echo.data(),
            message.data(),
            "echo of a {} message of {} bytes",
            echo.message_type(),
            message.len()
        );
        assert!(!echo.is_partial());
    }
    close(&mut ws, 1000, "done").await;
    assert_eq!(py.line_starting("closed ").await, "closed /echo 1000 done");
}

#[tokio::test]
async fn our_client_fragments_and_reassembles_large_messages_with_python() {
    let (mut py, port) = py_server().await;
    // Python echoes anything over 10 000 bytes (or characters) as frames of that size.
    let options = ConnectOptions::new().max_frame_size(64 * 1024);
    let mut ws = connect_to(port, "/echo?fragment=10000", options).await;

    // 4 MiB through send_all in 64 KiB frames; Python reassembles them into one message.
    let big = pattern(4 << 20);
    timeout(LIMIT, ws.send_all(Message::binary(big.clone()))).await.unwrap().unwrap();
    assert_eq!(py.line_starting("received ").await, format!("received binary {}", 4 << 20));
    let echo = timeout(LIMIT, ws.recv_all(8 << 20)).await.unwrap().unwrap();
    assert_eq!(echo.message_type(), MessageType::Binary);
    assert!(!echo.is_partial());
    assert_eq!(echo.len(), big.len());
    assert!(echo.data() == big.as_slice(), "the 4 MiB echo differs");

    // Non-ASCII text, sent whole and received frame by frame: each frame is valid UTF-8.
    let text: String = NON_ASCII.repeat(2000);
    let chars = text.chars().count();
    send(&mut ws, Message::text(text.clone())).await;
    assert_eq!(py.line_starting("received ").await, format!("received text {chars}"));
    let mut frames = Vec::new();
    loop {
        let frame = recv(&mut ws).await.unwrap();
        assert_eq!(frame.message_type(), MessageType::Text);
        let partial = frame.is_partial();
        frames.push(frame.as_text().expect("a text frame is UTF-8").to_owned());
        if !partial {
            break;
        }
    }
    // websockets sends an iterable as one frame per item, then an empty final frame.
    assert_eq!(frames.len(), chars.div_ceil(10_000) + 1, "Python sent frames of 10 000 characters");
    assert_eq!(frames.last().map(String::as_str), Some(""));
    assert!(frames[..frames.len() - 1].iter().all(|f| f.chars().count() <= 10_000 && !f.is_empty()));
    assert_eq!(frames.concat(), text);

    close(&mut ws, 1000, "done").await;
    assert_eq!(py.line_starting("closed ").await, "closed /echo 1000 done");
}

#[tokio::test]
async fn our_client_negotiates_python_subprotocol() {
    let (mut py, port) = py_server().await;
    let mut ws = connect_to(port, "/echo", ConnectOptions::new().protocol("superchat, chat")).await;
    assert_eq!(ws.protocol(), Some("chat"));
    assert_eq!(py.line_starting("open ").await, "open /echo chat");
    send(&mut ws, Message::text("over chat")).await;
    assert_eq!(recv(&mut ws).await.unwrap(), Message::text("over chat"));
    close(&mut ws, 1000, "done").await;
    assert_eq!(py.line_starting("closed ").await, "closed /echo 1000 done");
}

#[tokio::test]
async fn our_client_sees_python_close_code_and_reason() {
    let (mut py, port) = py_server().await;
    let mut ws = connect_to(port, "/close", ConnectOptions::new()).await;
    let message = recv(&mut ws).await.unwrap();
    assert_eq!(message.message_type(), MessageType::Close);
    assert_eq!(message.close_code(), Some(CloseCode(4001)));
    assert_eq!(message.as_text(), Some("bye"));
    assert!(matches!(recv(&mut ws).await, Err(Error::Closed)));
    // Python's close handshake finished with our answer, which echoes its code.
    assert_eq!(py.line_starting("sent-close ").await, "sent-close /close");
    assert_eq!(py.line_starting("closed ").await, "closed /close 4001");
}

#[tokio::test]
async fn our_client_answers_python_ping() {
    let (mut py, port) = py_server().await;
    let mut ws = connect_to(port, "/ping", ConnectOptions::new()).await;
    assert_eq!(recv(&mut ws).await.unwrap(), Message::ping(&b"are you there"[..]));
    // The automatic pong reached Python, which then sends this.
    assert_eq!(recv(&mut ws).await.unwrap(), Message::text("pong ok"));
    assert_eq!(py.line_starting("pong ").await, "pong /ping");
    close(&mut ws, 1000, "done").await;
    assert_eq!(py.line_starting("closed ").await, "closed /ping 1000 done");
}

#[tokio::test]
async fn our_client_fails_an_oversized_python_frame_with_1009() {
    let (mut py, port) = py_server().await;
    // Uncompressed: the frame header announces too much.
    let options = ConnectOptions::new().max_frame_size(64 * 1024).deflate(DeflateOptions::disabled());
    let mut ws = connect_to(port, "/big?size=1048576", options).await;
    match recv(&mut ws).await {
        Err(Error::FrameTooLarge { size, max }) => assert_eq!((size, max), (1 << 20, 64 * 1024)),
        other => panic!("expected FrameTooLarge, got {other:?}"),
    }
    assert!(matches!(recv(&mut ws).await, Err(Error::Closed)));
    let closed = py.line_starting("closed ").await;
    assert!(closed.starts_with("closed /big 1009"), "Python saw {closed:?}");

    // Compressed: a small frame that inflates past the limit, reported with its real size.
    let options = ConnectOptions::new().max_frame_size(64 * 1024);
    let mut ws = connect_to(port, "/big?size=1048576", options).await;
    assert!(ws.extensions().is_some_and(|e| e.starts_with("permessage-deflate")), "{:?}", ws.extensions());
    match recv(&mut ws).await {
        Err(Error::FrameTooLarge { size, max }) => assert_eq!((size, max), (1 << 20, 64 * 1024)),
        other => panic!("expected FrameTooLarge, got {other:?}"),
    }
    assert!(matches!(recv(&mut ws).await, Err(Error::Closed)));
    let closed = py.line_starting("closed ").await;
    assert!(closed.starts_with("closed /big 1009"), "Python saw {closed:?}");
}

// ---------------------------------------------------------------------------------------
// The Python client against our server.

#[tokio::test]
async fn python_client_round_trips_through_our_echo_server() {
    let mut server = OurServer::start(1 << 20).await;
    let big = 3_000_000;
    let args = [
        server.url(),
        "--protocol".into(),
        "chat".into(),
        "extensions".into(),
        format!("text:{}", hex(b"hello")),
        format!("text:{}", hex(NON_ASCII.as_bytes())),
        "text:".into(),
        format!("binary:{}", hex(&[0, 1, 2, 127, 128, 254, 255])),
        "binary:".into(),
        // In frames of 100 000 bytes; we echo it in frames of our 1 MiB limit.
        format!("fragmented:{big}:100000"),
    ];
    let lines = PyProcess::client(&args).await;
    assert_eq!(
        lines,
        [
            "open chat".to_owned(),
            format!("extensions {SERVER_DEFLATE}"),
            format!("text {}", hex(b"hello")),
            format!("text {}", hex(NON_ASCII.as_bytes())),
            "text".into(),
            "binary 0001027f80feff".into(),
            "binary".into(),
            format!("echo binary {big} equal"),
        ]
    );

    let seen = server.connection().await;
    assert!(matches!(&seen[0], Seen::Open(Some(p)) if p == "chat"), "{seen:?}");
    let got: Vec<&Message> =
        seen.iter().filter_map(|s| if let Seen::Got(m) = s { Some(m) } else { None }).collect();
    assert_eq!(got.len(), 7, "{seen:?}");
    assert_eq!(*got[0], Message::text("hello"));
    assert_eq!(*got[1], Message::text(NON_ASCII));
    assert_eq!(*got[2], Message::text(""));
    assert_eq!(*got[3], Message::binary(vec![0u8, 1, 2, 127, 128, 254, 255]));
    assert_eq!(*got[4], Message::binary(Vec::new()));
    assert_eq!(got[5].message_type(), MessageType::Binary);
    assert!(got[5].data() == pattern(big).as_slice(), "the reassembled {big} bytes differ");
    // Leaving `async with connect(...)` closes with 1000 and no reason.
    assert_eq!(got[6].message_type(), MessageType::Close);
    assert_eq!(got[6].close_code(), Some(CloseCode::NORMAL));
    assert!(matches!(seen.last(), Some(Seen::Ended(Error::Closed))), "{seen:?}");

    // Without an offer there is no subprotocol.
    let lines = PyProcess::client(&[server.url(), format!("text:{}", hex(b"plain"))]).await;
    assert_eq!(lines, ["open -".to_owned(), format!("text {}", hex(b"plain"))]);
    assert!(matches!(server.next().await, Seen::Open(None)));
}

#[tokio::test]
async fn python_client_oversized_message_gets_1009_from_our_server() {
    // `recv_all`'s limit is the message's: a frame over 1 MiB is refused for that, on its
    // header when uncompressed.
    let mut server = OurServer::start_with(1 << 20, 1 << 20).await;
    let args = [server.url(), "--no-compression".into(), format!("size:{}", 2 << 20), "expect-close".into()];
    let lines = PyProcess::client(&args).await;
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0], "open -");
    assert!(lines[1].starts_with("closed 1009"), "Python saw {:?}", lines[1]);

    let seen = server.connection().await;
    assert!(matches!(seen[0], Seen::Open(None)), "{seen:?}");
    assert!(matches!(seen[1], Seen::Ended(Error::MessageTooLarge { max }) if max == 1 << 20), "{seen:?}");

    // Compressed (as Python offers by default): refused once it inflates past the limit.
    let args = [server.url(), "extensions".into(), format!("size:{}", 2 << 20), "expect-close".into()];
    let lines = PyProcess::client(&args).await;
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[1], format!("extensions {SERVER_DEFLATE}"));
    assert!(lines[2].starts_with("closed 1009"), "Python saw {:?}", lines[2]);
    let seen = server.connection().await;
    assert!(matches!(seen[1], Seen::Ended(Error::MessageTooLarge { max }) if max == 1 << 20), "{seen:?}");
}

#[tokio::test]
async fn python_client_ping_gets_pong_from_our_server() {
    let mut server = OurServer::start(1 << 20).await;
    let lines = PyProcess::client(&[server.url(), format!("ping:{}", hex(b"hi there"))]).await;
    assert_eq!(lines, ["open -".to_owned(), format!("pong {}", hex(b"hi there"))]);

    let seen = server.connection().await;
    assert!(matches!(seen[0], Seen::Open(None)), "{seen:?}");
    assert!(matches!(&seen[1], Seen::Got(m) if *m == Message::ping(&b"hi there"[..])), "{seen:?}");
    assert!(matches!(&seen[2], Seen::Got(m) if m.message_type() == MessageType::Close), "{seen:?}");
    assert!(matches!(seen[3], Seen::Ended(Error::Closed)), "{seen:?}");
}

#[tokio::test]
async fn python_client_close_reaches_our_server() {
    let mut server = OurServer::start(1 << 20).await;
    let lines = PyProcess::client(&[server.url(), "close:1000:bye".into()]).await;
    // Our server answered with the same code, which ends Python's close handshake.
    assert_eq!(lines, ["open -", "closed 1000"]);

    let seen = server.connection().await;
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(matches!(seen[0], Seen::Open(None)), "{seen:?}");
    let Seen::Got(close) = &seen[1] else { panic!("expected a close message: {seen:?}") };
    assert_eq!(close.message_type(), MessageType::Close);
    assert_eq!(close.close_code(), Some(CloseCode::NORMAL));
    assert_eq!(close.as_text(), Some("bye"));
    assert!(matches!(seen[2], Seen::Ended(Error::Closed)), "{seen:?}");
}
