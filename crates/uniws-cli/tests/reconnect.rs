//! Reconnection against real servers on 127.0.0.1: a `uniws serve` process killed and
//! started again on the same port (the client comes back by itself, tells each state, renews
//! its URL before each attempt and keeps each drop); a server that closes with a code and a
//! reason (kept); giving up after the maximum attempts; and never reconnecting after the
//! application's own close.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use uniws::{
    CloseCode, ConnectOptions, ConnectionState, Error, Message, ReconnectPolicy, Reconnecting, ServerOptions,
};
use uniws_test_support::{bind, within};

/// Short waits: the test's time goes into the server's restart, not into backoff.
fn policy() -> ReconnectPolicy {
    ReconnectPolicy::new().backoff(Duration::from_millis(20), Duration::from_millis(200))
}

/// `uniws demo` on `addr`, once it listens; killed when dropped. Its chat endpoint welcomes
/// each client with a message, so a client that came back has something to receive.
async fn serve(addr: &str) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_uniws"))
        .args(["demo", addr])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the uniws binary starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    let first = within(lines.next_line()).await.unwrap().expect("an announcement");
    assert!(first.starts_with("demo on http://"), "{first}");
    child
}

/// Every state told, as text.
fn recorder() -> (Arc<Mutex<Vec<String>>>, impl FnMut(&ConnectionState<'_>) + Send + 'static) {
    let states = Arc::new(Mutex::new(Vec::new()));
    let record = states.clone();
    let on_state = move |state: &ConnectionState<'_>| {
        let text = match state {
            ConnectionState::Connected { attempt } => format!("connected {attempt}"),
            ConnectionState::Dropped(drop) => format!("dropped {}", drop.code),
            ConnectionState::Reconnecting { attempt, .. } => format!("reconnecting {attempt}"),
            ConnectionState::AttemptFailed { attempt, .. } => format!("failed {attempt}"),
            ConnectionState::GaveUp => "gave up".into(),
            _ => "other".into(),
        };
        record.lock().unwrap().push(text);
    };
    (states, on_state)
}

#[tokio::test]
async fn comes_back_after_the_server_is_killed_and_restarted() {
    let (listener, addr) = bind().await;
    drop(listener);
    let mut server = serve(&addr.to_string()).await;
    let (states, on_state) = recorder();
    let renewed = Arc::new(Mutex::new(Vec::new()));
    let renewals = renewed.clone();
    let mut ws = Reconnecting::new(format!("ws://{addr}/chat?token=0"), ConnectOptions::new(), policy())
        .renew(move |attempt, url, _options| {
            *url = format!("ws://{addr}/chat?token={attempt}");
            renewals.lock().unwrap().push(url.clone());
        })
        .on_state(on_state);
    within(ws.connect()).await.unwrap();
    assert!(within(ws.recv()).await.unwrap().as_text().unwrap().contains("welcome"));
    within(ws.send(Message::text("before"))).await.unwrap();
    assert_eq!(within(ws.recv()).await.unwrap().as_text(), Some("before"));

    server.kill().await.unwrap();
    // The client's recv sees the drop and keeps trying while nothing listens; the server
    // comes back on the same port once an attempt has failed, and the recv goes on with
    // the new connection's welcome.
    let restart = states.clone();
    let restarted = tokio::spawn(async move {
        while !restart.lock().unwrap().iter().any(|s| s.starts_with("failed")) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        serve(&addr.to_string()).await
    });
    assert!(within(ws.recv()).await.unwrap().as_text().unwrap().contains("welcome"));
    let _server = within(restarted).await.unwrap();
    // A sender in another task, while recv waits: it uses the new connection.
    let sender = ws.sender();
    let sending = tokio::spawn(async move { sender.send(Message::text("after")).await });
    assert_eq!(within(ws.recv()).await.unwrap().as_text(), Some("after"));
    within(sending).await.unwrap().unwrap();

    let drops = ws.drops();
    assert_eq!(drops.len(), 1);
    assert_eq!(drops[0].code, CloseCode::ABNORMAL);
    assert!(drops[0].error.is_some());
    let states = states.lock().unwrap().clone();
    assert_eq!(states[..3], ["connected 0", "dropped 1006", "reconnecting 1"]);
    assert!(states.contains(&"failed 1".to_owned()), "{states:?}");
    assert!(states.last().unwrap().starts_with("connected"), "{states:?}");
    let renewed = renewed.lock().unwrap().clone();
    assert!(renewed.len() >= 2 && renewed[0].ends_with("token=1"), "{renewed:?}");
    within(ws.close(1000, "")).await.unwrap();
    assert!(matches!(within(ws.recv()).await, Err(Error::Closed)), "no reconnecting after our close");
}

#[tokio::test]
async fn keeps_each_close_code_and_reason_and_gives_up_after_the_maximum() {
    let (listener, addr) = bind().await;
    // Two connections, each closed by the server with its own code and reason; then the
    // listener is gone and every attempt fails.
    let server = tokio::spawn(async move {
        for (code, reason) in [(4001u16, "first"), (4002, "second")] {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = ServerOptions::new().accept(tcp).await.unwrap();
            ws.close(code, reason).await.unwrap();
        }
    });
    let (states, on_state) = recorder();
    let mut ws = Reconnecting::new(format!("ws://{addr}"), ConnectOptions::new(), policy().max_attempts(3))
        .on_state(on_state);
    within(ws.connect()).await.unwrap();
    let error = within(ws.recv()).await.unwrap_err();
    within(server).await.unwrap();
    assert!(matches!(error, Error::Io(_)), "the last attempt's error: {error:?}");
    let drops: Vec<(u16, &str)> = ws.drops().iter().map(|d| (d.code.0, d.reason.as_str())).collect();
    assert_eq!(drops, [(4001, "first"), (4002, "second")]);
    let states = states.lock().unwrap().clone();
    assert_eq!(
        states,
        [
            "connected 0",
            "dropped 4001",
            "reconnecting 1",
            "connected 1",
            "dropped 4002",
            "reconnecting 1",
            "failed 1",
            "reconnecting 2",
            "failed 2",
            "reconnecting 3",
            "failed 3",
            "gave up",
        ]
    );
    assert!(matches!(within(ws.recv()).await, Err(Error::Closed)));
}
