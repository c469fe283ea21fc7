//! `uniws serve`: a WebSocket server that echoes each message to its sender or broadcasts it
//! to every client, over TCP or, with `--cert` and `--key`, TLS. Ctrl-C or SIGTERM closes
//! every connection with 1001 before the process ends.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args as ClapArgs, ValueEnum};
use uniws::{DeflateOptions, WebSocket};

use crate::failure::Failure;
use crate::hub::Hub;
use crate::listen::{announce, bind, server_options, shutdown_signal};
use crate::messages::{Next, next_message};
use crate::options::{Compression, FrameSize, Heartbeat};
use crate::tls;

/// What the server does with each message.
#[derive(Clone, Copy, ValueEnum)]
pub enum Mode {
    /// Send each message back to its sender.
    Echo,
    /// Send each message to every connected client, the sender included.
    Broadcast,
}

/// Options of `uniws serve`.
#[derive(ClapArgs)]
pub struct Args {
    /// The address to listen on, as host:port (port 0 picks a free port).
    #[arg(value_name = "ADDR")]
    addr: String,
    /// What to do with each text or binary message.
    #[arg(long, value_enum, default_value = "echo")]
    mode: Mode,
    /// A subprotocol to accept (repeat for several). The first one a client offers that is
    /// listed is chosen; a client offering only others is refused with 400. Without this
    /// option, offers are ignored.
    #[arg(long = "protocol", value_name = "P")]
    protocols: Vec<String>,
    #[command(flatten)]
    frame_size: FrameSize,
    #[command(flatten)]
    compression: Compression,
    #[command(flatten)]
    heartbeat: Heartbeat,
    /// A PEM file with the server's certificate chain: serve wss:// (needs --key).
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// A PEM file with the certificate's private key (needs --cert).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
}

pub async fn run(args: Args) -> Result<(), Failure> {
    let tls = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => Some(tls::server_config(cert, key)?),
        _ => None,
    };
    let (listener, addr) = bind(&args.addr).await?;
    let scheme = if tls.is_some() { "wss" } else { "ws" };
    announce(&format!("listening on {scheme}://{addr}"));

    let options = server_options(args.protocols, args.frame_size.get())
        .deflate(args.compression.options(DeflateOptions::server()))
        .shutdown_timeout(Duration::from_secs(2));
    let options = args.heartbeat.apply(options);
    let hub = Hub::new(false);
    let mode = args.mode;
    let handler = options.handler(move |ws| {
        let hub = hub.clone();
        async move {
            match mode {
                Mode::Echo => echo(ws).await,
                Mode::Broadcast => hub.serve_client(ws).await,
            }
        }
    });
    // On Ctrl-C or SIGTERM, clients get a 1001 close frame and a moment to answer it.
    let shutdown = async {
        shutdown_signal().await;
        tracing::info!("shutting down");
    };
    match tls {
        Some(config) => handler.serve_tls_until(listener, config, shutdown).await,
        None => handler.serve_until(listener, shutdown).await,
    }
    Ok(())
}

/// Sends each whole message back until the client closes.
async fn echo(ws: WebSocket) {
    let (mut send, mut recv) = ws.split();
    while let Ok(Next::Data(message)) = next_message(&mut recv).await {
        if send.send_all(message).await.is_err() {
            break;
        }
    }
}
