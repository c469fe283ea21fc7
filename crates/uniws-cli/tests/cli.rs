//! The `uniws` command end to end, as real processes on 127.0.0.1: `serve --mode echo` with
//! `connect` piping lines in; `serve --mode broadcast` with library clients and a `connect`
//! printing binary as hex; subprotocols chosen and refused; a server closing first; `serve
//! --cert --key` with `connect wss://… --ca` (certificates made by rcgen); `demo` serving
//! files and its chat; `--help` of every subcommand; and bad input reported on one line with
//! a failing status. Run with `cargo test -p uniws-cli --test cli`.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::TcpStream;
use tokio::process::{Child, ChildStdout, Command};
use uniws::{ConnectOptions, Message, MessageType, ServerOptions, WebSocket, connect};
use uniws_test_support::within;

const BIN: &str = env!("CARGO_BIN_EXE_uniws");

// ---- processes ----

/// A `uniws` process, killed when dropped.
struct Running {
    child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    command
}

impl Running {
    fn spawn(mut command: Command) -> Self {
        let mut child = command.spawn().expect("the uniws binary starts");
        let stdout = BufReader::new(child.stdout.take().expect("piped")).lines();
        Self { child, stdout }
    }

    async fn line(&mut self) -> String {
        within(self.stdout.next_line()).await.unwrap().expect("the process ended its output")
    }
}

/// A server started with `args`, and the address from the line it prints once listening.
struct Server {
    /// Held for its `Drop`: the server ends with the test.
    _process: Running,
    addr: String,
}

async fn start(args: &[&str], announcement: &str) -> Server {
    let mut command = command(args);
    command.stderr(Stdio::null());
    let mut process = Running::spawn(command);
    let first = process.line().await;
    assert!(first.starts_with(announcement), "{first:?} does not start with {announcement:?}");
    let addr = first[announcement.len()..].split('/').next().unwrap().to_owned();
    Server { _process: process, addr }
}

/// Runs `uniws` with `args` and `input` on standard input, to the end.
async fn run(args: &[&str], input: &str) -> Output {
    let mut command = command(args);
    command.stdin(Stdio::piped());
    let mut child = command.spawn().expect("the uniws binary starts");
    let mut stdin = child.stdin.take().unwrap();
    within(stdin.write_all(input.as_bytes())).await.unwrap();
    drop(stdin);
    within(child.wait_with_output()).await.unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The run failed with exactly one line on standard error, starting with `prefix`.
fn assert_one_line_failure(output: &Output, prefix: &str) -> String {
    let stderr = text(&output.stderr);
    assert!(!output.status.success(), "succeeded; stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr:?}");
    assert!(stderr.starts_with(prefix), "{stderr:?} does not start with {prefix:?}");
    stderr
}

// ---- files ----

/// A directory of its own under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("uniws-cli-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let dir = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, contents: &str) -> String {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_owned()
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---- WebSocket clients ----

async fn client(url: &str, options: ConnectOptions) -> WebSocket {
    within(connect(url, &options)).await.unwrap()
}

/// Receives whole messages until `expected`, skipping others (other clients' traffic).
async fn expect(ws: &mut WebSocket, expected: &Message) {
    within(async {
        loop {
            let message = ws.recv_all(16 << 20).await.unwrap();
            if &message == expected {
                return;
            }
        }
    })
    .await
}

/// The next whole message, which must be text.
async fn next_text(ws: &mut WebSocket) -> String {
    let message = within(ws.recv_all(1 << 20)).await.unwrap();
    message.as_text().filter(|_| message.message_type() == MessageType::Text).unwrap().to_owned()
}

/// Sends `text` and waits for it to come back: the broadcast server has the client.
async fn joined(ws: &mut WebSocket, text: &str) {
    within(ws.send(Message::text(text))).await.unwrap();
    expect(ws, &Message::text(text)).await;
}

// ---- serve and connect ----

#[tokio::test]
async fn echo_server_and_line_client() {
    // Lines longer than a frame go out and come back in several.
    let args = ["serve", "127.0.0.1:0", "--mode", "echo", "--max-frame-size", "16"];
    let server = start(&args, "listening on ws://").await;
    let url = format!("ws://{}", server.addr);
    let input = "hello\nwörld, wörld, wörld, wörld\n\nlast";
    let output = run(&["connect", &url, "--max-frame-size", "16"], input).await;
    assert!(output.status.success(), "stderr: {}", text(&output.stderr));
    assert_eq!(text(&output.stdout), format!("{input}\n"));
    assert!(text(&output.stderr).contains(
        "connected (protocol: none, extensions: permessage-deflate; server_no_context_takeover; \
         client_no_context_takeover)"
    ));
    // Without compression on either side, nothing is negotiated; the echo is the same.
    for (server_flags, client_flags) in [(&["--no-deflate"][..], &[][..]), (&[], &["--no-deflate"])] {
        let args = [&["serve", "127.0.0.1:0", "--max-frame-size", "16"], server_flags].concat();
        let server = start(&args, "listening on ws://").await;
        let url = format!("ws://{}", server.addr);
        let args = [&["connect", &url, "--max-frame-size", "16"], client_flags].concat();
        let output = run(&args, input).await;
        assert_eq!(text(&output.stdout), format!("{input}\n"));
        assert!(text(&output.stderr).contains("connected (protocol: none, extensions: none)"));
    }
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_closes_every_client_with_1001_and_ends_serve() {
    let mut command = command(&["serve", "127.0.0.1:0"]);
    command.stderr(Stdio::null());
    let mut process = Running::spawn(command);
    let first = process.line().await;
    let addr = first.strip_prefix("listening on ws://").expect("the announcement").trim_end_matches('/');
    let mut clients = Vec::new();
    for _ in 0..2 {
        let mut ws = within(connect(&format!("ws://{addr}/"), &ConnectOptions::new())).await.unwrap();
        within(ws.send(Message::text("here"))).await.unwrap();
        assert_eq!(within(ws.recv()).await.unwrap().as_text(), Some("here"));
        clients.push(ws);
    }
    // Ends the process we started, by its id.
    let pid = process.child.id().expect("running").to_string();
    let killed = within(Command::new("kill").args(["-TERM", &pid]).status()).await.unwrap();
    assert!(killed.success());
    for ws in &mut clients {
        let close = within(ws.recv()).await.unwrap();
        assert_eq!(close.message_type(), MessageType::Close);
        assert_eq!(close.close_code(), Some(uniws::CloseCode::GOING_AWAY));
    }
    let status = within(process.child.wait()).await.unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn broadcast_reaches_every_client() {
    let server = start(&["serve", "127.0.0.1:0", "--mode", "broadcast"], "listening on ws://").await;
    let url = format!("ws://{}/", server.addr);
    let mut a = client(&url, ConnectOptions::new()).await;
    joined(&mut a, "a is here").await;
    let mut b = client(&url, ConnectOptions::new()).await;
    joined(&mut b, "b is here").await;

    within(a.send(Message::text("from a"))).await.unwrap();
    expect(&mut b, &Message::text("from a")).await;
    expect(&mut a, &Message::text("from a")).await;
    let big = Message::binary(vec![7u8; 3 << 20]); // in 1 MiB frames
    within(b.send_all(big.clone())).await.unwrap();
    expect(&mut a, &big).await;
    within(a.close(1000, "done")).await.unwrap();
    within(b.close(1000, "done")).await.unwrap();
}

/// A broadcast client that reads 1 KiB every 10 ms through a 4 KiB receive buffer: it falls
/// behind any busy room, and its forwarder on the server keeps missing messages.
async fn slow_reader(addr: &str) -> tokio::task::JoinHandle<()> {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut tcp = within(socket.connect(addr.parse().unwrap())).await.unwrap();
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    within(tcp.write_all(request.as_bytes())).await.unwrap();
    tokio::spawn(async move {
        let mut chunk = [0; 1024];
        while tcp.read(&mut chunk).await.is_ok_and(|n| n > 0) {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
}

#[tokio::test]
async fn broadcast_serves_on_while_its_stderr_is_not_read() {
    // Standard error is a pipe that no one reads (a supervisor that does not drain it): a
    // server that wrote a line for every lag of every slow client would fill it, and block
    // its runtime threads in the write.
    let mut process = Running::spawn(command(&["serve", "127.0.0.1:0", "--mode", "broadcast"]));
    let first = process.line().await;
    let addr = first.strip_prefix("listening on ws://").expect("the announcement").to_owned();
    let mut slow = Vec::new();
    for _ in 0..200 {
        slow.push(slow_reader(&addr).await);
    }
    // 100,000 messages of 1 KiB (or what goes out in 20 s): every slow client falls behind
    // again and again.
    let publisher = client(&format!("ws://{addr}"), ConnectOptions::new()).await;
    let (mut send, mut recv) = publisher.split();
    let draining = tokio::spawn(async move { while recv.recv().await.is_ok() {} });
    let _ = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        for _ in 0..100_000 {
            send.send(Message::binary(vec![1u8; 1024])).await.unwrap();
        }
    })
    .await;
    // A client that comes now is served. The hub drops what a lagging subscriber missed, and
    // while the publisher's backlog still goes out this client's own hello may be among it:
    // it asks again each second (a server that stopped serving answers none).
    let fresh = async {
        let ws = connect(&format!("ws://{addr}"), &ConnectOptions::new()).await.unwrap();
        let (mut tx, mut rx) = ws.split();
        let hello = Message::text("still serving?");
        let mut again = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = again.tick() => tx.send(hello.clone()).await.unwrap(),
                got = rx.recv_all(1 << 20) => if got.unwrap() == hello { break },
            }
        }
    };
    tokio::time::timeout(uniws_test_support::LIMIT, fresh)
        .await
        .expect("the server stopped serving while its standard error was not read");
    draining.abort();
    slow.iter().for_each(|reader| reader.abort());
}

#[tokio::test]
async fn line_client_prints_binary_as_hex() {
    let server = start(&["serve", "127.0.0.1:0", "--mode", "broadcast"], "listening on ws://").await;
    let url = format!("ws://{}", server.addr);
    let mut cli = command(&["connect", &url]);
    cli.stdin(Stdio::piped());
    let mut cli = Running::spawn(cli);
    let mut stdin = cli.child.stdin.take().unwrap();
    within(stdin.write_all(b"cli is here\n")).await.unwrap();
    assert_eq!(cli.line().await, "cli is here");

    let mut library = client(&url, ConnectOptions::new()).await;
    joined(&mut library, "library is here").await;
    within(library.send(Message::binary(vec![0xca, 0xfe, 0x00, 0x01]))).await.unwrap();
    assert_eq!(cli.line().await, "library is here");
    assert_eq!(cli.line().await, "cafe0001");
    within(stdin.write_all(b"from the cli\n")).await.unwrap();
    expect(&mut library, &Message::text("from the cli")).await;

    drop(stdin);
    let status = within(cli.child.wait()).await.unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn subprotocols_chosen_and_refused() {
    let args = ["serve", "127.0.0.1:0", "--protocol", "chat", "--protocol", "superchat"];
    let server = start(&args, "listening on ws://").await;
    let url = format!("ws://{}", server.addr);

    let output = run(&["connect", &url, "--protocol", "other", "--protocol", "chat"], "hi\n").await;
    assert!(output.status.success(), "stderr: {}", text(&output.stderr));
    assert!(text(&output.stderr).contains("connected (protocol: chat, extensions: permessage-deflate"));
    assert_eq!(text(&output.stdout), "hi\n");

    let library = client(&url, ConnectOptions::new().protocol("superchat, chat")).await;
    assert_eq!(library.protocol(), Some("superchat"));

    let output = run(&["connect", &url, "--protocol", "other"], "").await;
    let error = assert_one_line_failure(&output, &format!("uniws: cannot connect to {url}: "));
    assert!(error.contains("400"), "{error}");
}

/// A library server that says "bye" and closes with `code` as soon as a client connects.
async fn closing_server(code: u16) -> String {
    let (listener, addr) = uniws_test_support::bind().await;
    let handler = ServerOptions::new().handler(move |mut ws: WebSocket| async move {
        let _ = ws.send(Message::text("bye")).await;
        let _ = ws.close(code, "done").await;
    });
    tokio::spawn(handler.serve(listener));
    format!("ws://{addr}")
}

#[tokio::test]
async fn server_closing_first() {
    for (code, success) in [(1000, true), (1011, false)] {
        let url = closing_server(code).await;
        let mut command = command(&["connect", &url]);
        command.stdin(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let stdin = child.stdin.take(); // open: the server, not the input, ends it
        let output = within(child.wait_with_output()).await.unwrap();
        drop(stdin);
        assert_eq!(text(&output.stdout), "bye\n");
        let said = format!("closed by the server: {code} (done)");
        assert!(text(&output.stderr).contains(&said), "{}", text(&output.stderr));
        assert_eq!(output.status.success(), success, "{}", text(&output.stderr));
    }
}

// ---- TLS ----

/// PEM files in `dir`: a CA (`ca.pem`) and a certificate for localhost it signed
/// (`cert.pem`, `key.pem`).
fn make_certificates(dir: &TempDir) -> [String; 3] {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_pem = ca_params.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert =
        CertificateParams::new(vec!["localhost".to_owned()]).unwrap().signed_by(&key, &issuer).unwrap();
    [
        dir.write("ca.pem", &ca_pem),
        dir.write("cert.pem", &cert.pem()),
        dir.write("key.pem", &key.serialize_pem()),
    ]
}

#[tokio::test]
async fn tls_from_pem_files() {
    let dir = TempDir::new();
    let [ca, cert, key] = make_certificates(&dir);
    let args = ["serve", "127.0.0.1:0", "--cert", &cert, "--key", &key];
    let server = start(&args, "listening on wss://").await;
    let port = server.addr.rsplit(':').next().unwrap();
    let url = format!("wss://localhost:{port}");

    let output = run(&["connect", &url, "--ca", &ca], "secure\n").await;
    assert!(output.status.success(), "stderr: {}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "secure\n");

    let output = run(&["connect", &url], "").await;
    let error = assert_one_line_failure(&output, &format!("uniws: cannot connect to {url}: "));
    assert!(error.contains("TLS"), "{error}");

    let output = run(&["serve", "127.0.0.1:0", "--cert", &key, "--key", &key], "").await;
    assert_one_line_failure(&output, "uniws: no PEM certificate in ");
    let missing = dir.path().join("missing.pem");
    let output = run(&["connect", &url, "--ca", missing.to_str().unwrap()], "").await;
    assert_one_line_failure(&output, "uniws: cannot read certificates from ");
}

#[tokio::test]
async fn a_ca_certificate_used_as_the_servers_own_gets_a_hint() {
    // What `openssl req -x509` makes: a self-signed certificate that says CA:TRUE.
    let dir = TempDir::new();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let cert = dir.write("cert.pem", &params.self_signed(&key).unwrap().pem());
    let key = dir.write("key.pem", &key.serialize_pem());
    let server =
        start(&["serve", "127.0.0.1:0", "--cert", &cert, "--key", &key], "listening on wss://").await;
    let port = server.addr.rsplit(':').next().unwrap();
    let url = format!("wss://localhost:{port}");
    let output = run(&["connect", &url, "--ca", &cert], "").await;
    let error = assert_one_line_failure(&output, &format!("uniws: cannot connect to {url}: "));
    assert!(error.contains("CaUsedAsEndEntity") && error.contains("hint: "), "{error}");
    assert!(error.contains("without 'CA:TRUE'"), "{error}");
}

// ---- one shot, binary, heartbeat ----

#[tokio::test]
async fn one_shot_sends_one_line_prints_one_message_and_exits() {
    let server = start(&["serve", "127.0.0.1:0"], "listening on ws://").await;
    let url = format!("ws://{}", server.addr);
    let output = run(&["connect", &url, "-1"], "first\nsecond\n").await;
    assert!(output.status.success(), "stderr: {}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "first\n");
    // --binary: the line goes out as binary (no line break) and comes back printed as hex.
    let output = run(&["connect", &url, "-1", "--binary"], "abc\n").await;
    assert!(output.status.success(), "stderr: {}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "616263\n");
    // A heartbeat against a server that answers is no trouble.
    let output = run(&["connect", &url, "--ping-interval", "0.05"], "beat\n").await;
    assert!(output.status.success(), "stderr: {}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "beat\n");
}

#[tokio::test]
async fn ping_interval_gives_up_on_a_silent_server() {
    let (listener, addr) = uniws_test_support::bind().await;
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        // Accepts, then never reads: pings go unanswered.
        let _ws = ServerOptions::new().accept(tcp).await.unwrap();
        std::future::pending::<()>().await;
    });
    let mut cli = command(&["connect", &format!("ws://{addr}"), "--ping-interval", "0.05"]);
    cli.stdin(Stdio::piped()); // held open: only the heartbeat can end the run
    let mut child = cli.spawn().unwrap();
    let _stdin = child.stdin.take();
    let output = within(child.wait_with_output()).await.unwrap();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("uniws: ") && last.contains("heartbeat"), "{stderr}");
}

/// Reads until the server closes: the close code, after at least one ping.
async fn pinged_then_closed(ws: &mut WebSocket) -> Option<uniws::CloseCode> {
    let mut pings = 0;
    let close = within(async {
        loop {
            match ws.recv().await.expect("the server's close frame") {
                m if m.message_type() == MessageType::Ping => pings += 1,
                m if m.message_type() == MessageType::Close => return m,
                _ => {}
            }
        }
    })
    .await;
    assert!(pings > 0, "closed without a ping first");
    close.close_code()
}

#[tokio::test]
async fn serve_and_demo_drop_a_client_that_answers_no_ping() {
    let beat = ["--ping-interval", "0.05", "--ping-timeout", "0.05"];
    for (args, path) in [(&["serve", "127.0.0.1:0"][..], "/"), (&["demo", "127.0.0.1:0"], "/chat")] {
        let announcement = if args[0] == "serve" { "listening on ws://" } else { "demo on http://" };
        let server = start(&[args, &beat].concat(), announcement).await;
        // The client reads, but answers no ping: the server's heartbeat gives up on it.
        let url = format!("ws://{}{path}", server.addr);
        let mut ws = client(&url, ConnectOptions::new().auto_pong(false)).await;
        assert_eq!(pinged_then_closed(&mut ws).await, Some(uniws::CloseCode::INTERNAL_ERROR), "{args:?}");
    }
}

#[tokio::test]
async fn the_servers_heartbeat_is_on_by_default_and_zero_turns_it_off() {
    for subcommand in ["serve", "demo"] {
        let output = run(&[subcommand, "--help"], "").await;
        let help = text(&output.stdout);
        let defaults: Vec<_> = help.lines().filter(|line| line.contains("[default: ")).collect();
        for (flag, default) in [("--ping-interval", "20"), ("--ping-timeout", "10")] {
            let at = help.find(flag).unwrap_or_else(|| panic!("{subcommand} --help has no {flag}: {help}"));
            let after = &help[at..];
            let shown = after.find("[default: ").map(|i| &after[i + 10..]).unwrap_or_default();
            assert!(shown.starts_with(&format!("{default}]")), "{subcommand} {flag}: {defaults:?}");
        }
    }
    // Turned off, no ping comes (a heartbeat of 0 s and 50 ms would ping at once, and the
    // echo would come after it or not at all).
    let args = ["serve", "127.0.0.1:0", "--ping-interval", "0", "--ping-timeout", "0.05"];
    let server = start(&args, "listening on ws://").await;
    let mut ws = client(&format!("ws://{}", server.addr), ConnectOptions::new().auto_pong(false)).await;
    within(ws.send(Message::text("still here"))).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "still here");
}

// ---- demo ----

/// Sends `request` (a raw head) and returns the status, the head and the body.
async fn http(addr: &str, request: &str) -> (u16, String, String) {
    let mut stream = within(TcpStream::connect(addr)).await.unwrap();
    within(stream.write_all(request.as_bytes())).await.unwrap();
    let mut response = Vec::new();
    within(stream.read_to_end(&mut response)).await.unwrap();
    let response = text(&response);
    let (head, body) = response.split_once("\r\n\r\n").expect("a response head");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
    (status, head.to_ascii_lowercase(), body.to_owned())
}

async fn get(addr: &str, target: &str) -> (u16, String, String) {
    http(addr, &format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\n\r\n")).await
}

fn notice(kind: &str, clients: usize) -> String {
    format!(r#"{{"system":"{kind}","clients":{clients}}}"#)
}

#[tokio::test]
async fn demo_serves_files_and_chat() {
    let dir = TempDir::new();
    let page = "<!doctype html><title>uniws demo</title>\n";
    dir.write("www/index.html", page);
    dir.write("www/pkg/uniws_bg.wasm", "\0asm");
    let www = dir.path().join("www");
    let server = start(&["demo", "127.0.0.1:0", "--www", www.to_str().unwrap()], "demo on http://").await;
    let addr = &server.addr;

    let (status, head, body) = get(addr, "/").await;
    assert_eq!((status, body.as_str()), (200, page));
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(head.contains(&format!("content-length: {}", page.len())), "{head}");
    let (status, head, _) = get(addr, "/pkg/uniws_bg.wasm").await;
    assert!(status == 200 && head.contains("content-type: application/wasm"), "{head}");
    let (status, _, body) = http(addr, &format!("HEAD / HTTP/1.1\r\nHost: {addr}\r\n\r\n")).await;
    assert_eq!((status, body.as_str()), (200, ""));
    assert_eq!(get(addr, "/missing").await.0, 404);
    assert_eq!(get(addr, "/../Cargo.toml").await.0, 400);
    assert_eq!(get(addr, "/%2e%2e/Cargo.toml").await.0, 400);
    assert_eq!(http(addr, "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").await.0, 405);

    let url = format!("ws://{addr}/chat");
    // The chat's frame limit is 4 MiB (browsers send its 3 MiB message in one compressed
    // frame), and it forwards in frames that large: its clients take as much.
    let mut a = client(&url, ConnectOptions::new().protocol("chat.v1").max_frame_size(4 << 20)).await;
    assert_eq!(a.protocol(), Some("chat.v1"));
    assert_eq!(next_text(&mut a).await, notice("welcome", 1));
    let mut b = client(&url, ConnectOptions::new().max_frame_size(4 << 20)).await;
    assert_eq!(next_text(&mut b).await, notice("welcome", 2));
    assert_eq!(next_text(&mut a).await, notice("join", 2));

    let said = r#"{"text":"hello from b"}"#;
    within(b.send(Message::text(said))).await.unwrap();
    assert_eq!(next_text(&mut a).await, said);
    assert_eq!(next_text(&mut b).await, said);
    let big = Message::binary(vec![1u8; 3 << 20]);
    within(a.send_all(big.clone())).await.unwrap();
    expect(&mut b, &big).await;
    within(b.close(1000, "bye")).await.unwrap();
    expect(&mut a, &Message::text(notice("leave", 1))).await;
}

// ---- the command line ----

#[tokio::test]
async fn help_mentions_every_flag() {
    let subcommands: [(&str, &[&str]); 3] = [
        (
            "serve",
            &["ADDR", "--mode", "echo", "broadcast", "--protocol", "--max-frame-size", "--cert", "--key"],
        ),
        (
            "connect",
            &[
                "URL",
                "--protocol",
                "--header",
                "--max-frame-size",
                "--ca",
                "--timeout",
                "--proxy",
                "--no-proxy",
                "--ping-interval",
                "--binary",
                "-1",
            ],
        ),
        ("demo", &["ADDR", "--www", "127.0.0.1:8080"]),
    ];
    for (subcommand, flags) in subcommands {
        let output = run(&[subcommand, "--help"], "").await;
        assert!(output.status.success());
        let help = text(&output.stdout);
        for flag in flags {
            assert!(help.contains(flag), "`uniws {subcommand} --help` lacks {flag}:\n{help}");
        }
    }
    let help = text(&run(&["--help"], "").await.stdout);
    assert!(["serve", "connect", "demo"].iter().all(|s| help.contains(s)), "{help}");
}

#[tokio::test]
async fn bad_input_is_one_line() {
    let output = run(&["connect", "not a url"], "").await;
    assert_one_line_failure(&output, "uniws: cannot connect to not a url: invalid URL");
    let output = run(&["connect", "ftp://127.0.0.1/"], "").await;
    assert_one_line_failure(&output, "uniws: cannot connect to ftp://127.0.0.1/: ");

    let (listener, addr) = uniws_test_support::bind().await;
    drop(listener);
    let url = format!("ws://{addr}");
    let output = run(&["connect", &url, "--timeout", "2"], "").await;
    assert_one_line_failure(&output, &format!("uniws: cannot connect to {url}: "));

    let output = run(&["connect", &url, "--header", "no colon"], "").await;
    assert_one_line_failure(&output, "uniws: invalid value 'no colon' for '--header");
    let output = run(&["serve", "127.0.0.1:0", "--max-frame-size", "0"], "").await;
    assert_one_line_failure(&output, "uniws: invalid value '0' for '--max-frame-size");
    let output = run(&["serve", "127.0.0.1:0", "--mode", "shout"], "").await;
    assert_one_line_failure(&output, "uniws: invalid value 'shout' for '--mode");
    let output = run(&["serve"], "").await;
    assert_one_line_failure(&output, "uniws: the following required arguments were not provided");
    let output = run(&["serve", "not-an-address"], "").await;
    assert_one_line_failure(&output, "uniws: cannot listen on not-an-address: ");
    let output = run(&["demo", "127.0.0.1:0", "--www", "/nonexistent/www"], "").await;
    assert_one_line_failure(&output, "uniws: /nonexistent/www is not a directory");
}
