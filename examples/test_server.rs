//! A server with the behaviours the browser tests need, beside `echo_server`:
//! `cargo run --example test_server -- ADDR SILENT_ADDR`.
//!
//! On ADDR (a WebSocket server that accepts the first subprotocol offered unless its name
//! starts with `x-refuse`, which it refuses with 400):
//! - `/send?size=N` sends one binary message of N bytes in a single frame, then echoes;
//! - `/close?code=C&reason=R` closes with that code and reason;
//! - `/flood?count=N&size=M` sends N binary messages of M bytes as fast as it can, then echoes;
//! - `/stall` never reads (its client's sends back up);
//! - `/close-of?id=X` sends, as text, `CODE REASON` of the close the client of connection `X`
//!   sent (waiting up to 60 s for it), or `none` if none came, then closes;
//! - any other path echoes.
//!
//! A connection whose query has `id=X` (any path but `/close-of`) has its client's close noted
//! under `X`, or `no close frame: ERROR` if it ended without one. Each test names its own
//! connections, so what it reads is its own connection's close whatever ran before it.
//!
//! On SILENT_ADDR it accepts TCP connections and never answers, for timeout tests.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use uniws::{Message, MessageType, ServerOptions, WebSocket};

/// The closes noted so far, by connection id; `/close-of` waits on it for the one it names.
type Closes = Arc<watch::Sender<HashMap<String, String>>>;

/// How long `/close-of` waits for a close that has not come yet: only a guard against a
/// close that never comes, so a slow machine is not mistaken for a missing close.
const CLOSE_WAIT: Duration = Duration::from_secs(60);

fn query_value<'a>(target: &'a str, name: &str) -> Option<&'a str> {
    let query = target.split_once('?')?.1;
    query.split('&').filter_map(|pair| pair.split_once('=')).find(|(n, _)| *n == name).map(|(_, v)| v)
}

/// Answers `/close-of?id=X` with the close noted under `X`, once it is there.
async fn report_close(mut ws: WebSocket, id: &str, closes: Closes) {
    let mut noted = closes.subscribe();
    let report =
        match tokio::time::timeout(CLOSE_WAIT, noted.wait_for(|closes| closes.contains_key(id))).await {
            Ok(Ok(closes)) => closes[id].clone(),
            _ => "none".to_owned(),
        };
    let _ = ws.send(Message::text(report)).await;
    let _ = ws.close(1000, "").await;
}

async fn serve(mut ws: WebSocket, closes: Closes) {
    let target = ws.request_target().unwrap_or("/").to_owned();
    let path = target.split('?').next().unwrap_or("/");
    let id = query_value(&target, "id").map(str::to_owned);
    if path == "/close-of" {
        return report_close(ws, id.as_deref().unwrap_or_default(), closes).await;
    }
    let note = |close: String| {
        if let Some(id) = &id {
            closes.send_modify(|closes| {
                closes.insert(id.clone(), close);
            });
        }
    };
    match path {
        "/send" => {
            let size = query_value(&target, "size").and_then(|s| s.parse().ok()).unwrap_or(0);
            if let Err(e) = ws.send(Message::binary(vec![b'x'; size])).await {
                return note(format!("no close frame: {e}"));
            }
        }
        "/close" => {
            let code = query_value(&target, "code").and_then(|c| c.parse::<u16>().ok()).unwrap_or(1000);
            let reason = query_value(&target, "reason").unwrap_or("");
            let _ = ws.close(code, reason).await;
            return;
        }
        "/flood" => {
            let count = query_value(&target, "count").and_then(|s| s.parse().ok()).unwrap_or(0);
            let size = query_value(&target, "size").and_then(|s| s.parse().ok()).unwrap_or(0);
            let message = Message::binary(vec![b'f'; size]);
            for _ in 0..count {
                if ws.send(message.clone()).await.is_err() {
                    break;
                }
            }
        }
        "/stall" => {
            // Hold the connection without reading until the client goes away.
            tokio::time::sleep(Duration::from_secs(60)).await;
            return;
        }
        _ => {}
    }
    loop {
        let message = match ws.recv().await {
            Ok(message) => message,
            Err(e) => return note(format!("no close frame: {e}")),
        };
        match message.message_type() {
            MessageType::Text | MessageType::Binary => {
                if let Err(e) = ws.send(message).await {
                    return note(format!("no close frame: {e}"));
                }
            }
            MessageType::Close => {
                let code = message.close_code().map(|c| c.0).unwrap_or(1005);
                return note(format!("{code} {}", message.as_text().unwrap_or_default()));
            }
            MessageType::Ping | MessageType::Pong => {}
        }
    }
}

/// Serves both listeners until the process ends (the native tests run it in-process).
pub async fn run(listener: TcpListener, silent: TcpListener) {
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = silent.accept().await {
            held.push(tcp);
        }
    });
    let closes = Closes::new(watch::Sender::new(HashMap::new()));
    let options = ServerOptions::new().max_frame_size(64 << 20).select_protocol(|offered: &[String]| {
        offered.first().filter(|p| !p.starts_with("x-refuse")).cloned()
    });
    options.handler(move |ws| serve(ws, closes.clone())).serve(listener).await;
}

#[allow(dead_code, reason = "the native tests include this file for `run` alone")]
#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9002".into());
    let silent_addr = args.next().unwrap_or_else(|| "127.0.0.1:9003".into());
    let listener = TcpListener::bind(&addr).await?;
    let silent = TcpListener::bind(&silent_addr).await?;
    println!("listening on ws://{}", listener.local_addr()?);
    println!("listening on ws://{}", silent.local_addr()?);
    run(listener, silent).await;
    Ok(())
}
