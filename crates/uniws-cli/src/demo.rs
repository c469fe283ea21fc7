//! `uniws demo`: the static files of a directory over HTTP and a broadcast chat WebSocket at
//! `/chat`, on one port. Each connection's request head is peeked at to tell an upgrade from
//! a page request.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args as ClapArgs;
use tokio::net::{TcpListener, TcpStream};
use uniws::ServerOptions;

use crate::failure::Failure;
use crate::http;
use crate::hub::Hub;
use crate::listen::{announce, bind, server_options, until_shutdown};
use crate::options::Heartbeat;
use crate::sniff::peek_head;

/// The chat's subprotocol, chosen when a client offers it.
const CHAT_PROTOCOL: &str = "chat.v1";

/// The directory served when `--www` is not given and `./www` does not exist.
const BUILT_IN_WWW: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../www");

/// Options of `uniws demo`.
#[derive(ClapArgs)]
pub struct Args {
    /// The address to listen on, as host:port (port 0 picks a free port).
    #[arg(value_name = "ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    /// The directory of the page's files [default: ./www, else the www directory of the
    /// uniws source tree]
    #[arg(long, value_name = "DIR")]
    www: Option<PathBuf>,
    #[command(flatten)]
    heartbeat: Heartbeat,
}

/// The frame limit of the chat. Browsers choose their own framing, and with
/// permessage-deflate Chromium sends the page's 3 MiB message as one compressed frame, which
/// inflates to all of it: the limit must hold the largest message the page sends.
const MAX_FRAME_SIZE: usize = 4 << 20;

/// What every connection needs.
struct Site {
    www: PathBuf,
    options: ServerOptions,
    chat: Arc<Hub>,
}

pub async fn run(args: Args) -> Result<(), Failure> {
    let www = www_dir(args.www)?;
    let (listener, addr) = bind(&args.addr).await?;
    announce(&format!("demo on http://{addr}/ (open it in two tabs)"));
    let options = args.heartbeat.apply(server_options(vec![CHAT_PROTOCOL.to_owned()], MAX_FRAME_SIZE));
    let site = Arc::new(Site { www, options, chat: Hub::new(true) });
    until_shutdown(accept_loop(listener, site)).await
}

fn www_dir(given: Option<PathBuf>) -> Result<PathBuf, Failure> {
    if let Some(dir) = given {
        if !dir.is_dir() {
            return Err(Failure::new(format!("{} is not a directory", dir.display())));
        }
        return Ok(dir);
    }
    [Path::new("www"), Path::new(BUILT_IN_WWW)]
        .into_iter()
        .find(|dir| dir.is_dir())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            Failure::new(format!("no www directory here nor at {BUILT_IN_WWW}; give one with --www"))
        })
}

async fn accept_loop(listener: TcpListener, site: Arc<Site>) -> Result<(), Failure> {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, site.clone()));
            }
            // Out of descriptors, or a connection aborted early: wait rather than spin.
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
        }
    }
}

/// Hands the connection to the chat if it asks for a WebSocket at /chat, else answers it
/// over HTTP.
async fn connection(stream: TcpStream, site: Arc<Site>) {
    let _ = stream.set_nodelay(true);
    let Some(head) = peek_head(&stream).await else { return };
    if !head.upgrade_to("/chat") {
        return http::answer(stream, &head, &site.www).await;
    }
    if let Ok(ws) = site.options.accept(stream).await {
        site.chat.clone().serve_client(ws).await;
    }
}
