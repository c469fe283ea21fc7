//! An echo server: `cargo run --release --example echo_server -- [ADDR] [--ping-interval
//! SECS] [--ping-timeout SECS]` (default 127.0.0.1:9001, a ping after 20 s of silence and 10 s
//! for the answer; 0 turns the heartbeat off). Accepts the first subprotocol a client offers
//! and sends every text and binary frame back as it came (same type, same partial flag)
//! until the client closes. Frames up to 16 MiB are accepted, so whole test-suite messages
//! fit in one frame. The heartbeat is on because a server should not hold a client that
//! vanished (no FIN, no RST) forever, nor a send to a client that stopped reading.

use std::time::Duration;

use uniws::{MessageType, ServerOptions, WebSocket};

async fn echo(mut ws: WebSocket) {
    while let Ok(message) = ws.recv().await {
        match message.message_type() {
            MessageType::Text | MessageType::Binary => {
                if ws.send(message).await.is_err() {
                    break;
                }
            }
            // Pings are answered by the socket (pongs answer the heartbeat's pings); the close
            // handshake ends the loop.
            MessageType::Ping | MessageType::Pong => {}
            MessageType::Close => break,
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut addr = "127.0.0.1:9001".to_owned();
    let (mut interval, mut timeout) = (Duration::from_secs(20), Duration::from_secs(10));
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut seconds = || {
            let value = args.next().and_then(|text| text.parse::<f64>().ok());
            value.and_then(|s| Duration::try_from_secs_f64(s).ok()).unwrap_or_else(|| {
                eprintln!("{arg} needs a number of seconds");
                std::process::exit(2)
            })
        };
        match arg.as_str() {
            "--ping-interval" => interval = seconds(),
            "--ping-timeout" => timeout = seconds(),
            _ => addr = arg,
        }
    }
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on ws://{}", listener.local_addr()?);
    let mut options = ServerOptions::new()
        .select_protocol(|offered: &[String]| offered.first().cloned())
        .max_frame_size(16 << 20);
    if !interval.is_zero() && !timeout.is_zero() {
        options = options.heartbeat(interval, timeout);
    }
    options.handler(echo).serve(listener).await;
    Ok(())
}
