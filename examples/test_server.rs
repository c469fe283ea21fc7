//! A server with the behaviours the browser tests need, beside `echo_server`:
//! `cargo run --example test_server -- ADDR SILENT_ADDR`.
//!
//! On ADDR (a WebSocket server that accepts the first subprotocol offered unless its name
//! starts with `x-refuse`, which it refuses with 400):
//! - `/send?size=N` sends one binary message of N bytes in a single frame, then echoes;
//! - `/close?code=C&reason=R` closes with that code and reason;
//! - `/last-close` sends, as text, `CODE REASON` of the last close any client sent, then closes;
//! - `/flood?count=N&size=M` sends N binary messages of M bytes as fast as it can, then echoes;
//! - `/stall` never reads (its client's sends back up);
//! - any other path echoes, and remembers the client's close code and reason.
//!
//! On SILENT_ADDR it accepts TCP connections and never answers, for timeout tests.

use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use uniws::{Message, MessageType, ServerOptions, WebSocket};

type LastClose = Arc<Mutex<String>>;

fn query_value<'a>(target: &'a str, name: &str) -> Option<&'a str> {
    let query = target.split_once('?')?.1;
    query.split('&').filter_map(|pair| pair.split_once('=')).find(|(n, _)| *n == name).map(|(_, v)| v)
}

async fn serve(mut ws: WebSocket, last_close: LastClose) {
    let target = ws.request_target().unwrap_or("/").to_owned();
    let path = target.split('?').next().unwrap_or("/");
    match path {
        "/send" => {
            let size = query_value(&target, "size").and_then(|s| s.parse().ok()).unwrap_or(0);
            if ws.send(Message::binary(vec![b'x'; size])).await.is_err() {
                return;
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
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            return;
        }
        "/last-close" => {
            let last = last_close.lock().unwrap().clone();
            let _ = ws.send(Message::text(last)).await;
            let _ = ws.close(1000, "").await;
            return;
        }
        _ => {}
    }
    while let Ok(message) = ws.recv().await {
        match message.message_type() {
            MessageType::Text | MessageType::Binary => {
                if ws.send(message).await.is_err() {
                    return;
                }
            }
            MessageType::Close => {
                let code = message.close_code().map(|c| c.0).unwrap_or(1005);
                *last_close.lock().unwrap() = format!("{code} {}", message.as_text().unwrap_or_default());
                return;
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
    let last_close = LastClose::default();
    let options = ServerOptions::new().max_frame_size(64 << 20).select_protocol(|offered: &[String]| {
        offered.first().filter(|p| !p.starts_with("x-refuse")).cloned()
    });
    options.handler(move |ws| serve(ws, last_close.clone())).serve(listener).await;
}

#[allow(dead_code, reason = "the native tests include this file for `run` alone")]
#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9002".into());
    let silent_addr = args.next().unwrap_or_else(|| "127.0.0.1:9003".into());
    let listener = TcpListener::bind(&addr).await?;
    let silent = TcpListener::bind(&silent_addr).await?;
    println!("test server on ws://{}, silent on {}", listener.local_addr()?, silent.local_addr()?);
    run(listener, silent).await;
    Ok(())
}
