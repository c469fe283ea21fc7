//! `uniws connect`: a line client. Each line of standard input goes out as a text message
//! (binary with `--binary`); each message received is printed on its own line (text as is,
//! binary as hex). At the end of input it closes with 1000 and waits for the server's close;
//! with `-1`, after the first message received. Proxies come from `--proxy` or the
//! environment, a heartbeat from `--ping-interval`.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args as ClapArgs;
use tokio::sync::mpsc;
use uniws::{CloseCode, ConnectOptions, DeflateOptions, Message, RecvHalf, SendHalf, connect};

use crate::failure::{Context, Failure};
use crate::messages::{Next, describe_close, display, next_message};
use crate::options::{Compression, FrameSize};
use crate::tls;

/// Options of `uniws connect`.
#[derive(ClapArgs)]
pub struct Args {
    /// The server's URL: ws://, wss://, http:// or https://.
    #[arg(value_name = "URL")]
    url: String,
    /// A subprotocol to offer (repeat for several, in order of preference).
    #[arg(long = "protocol", value_name = "P")]
    protocols: Vec<String>,
    /// An extra header for the upgrade request, as 'Name: value' (repeatable).
    #[arg(long = "header", value_name = "'NAME: VALUE'", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    #[command(flatten)]
    frame_size: FrameSize,
    #[command(flatten)]
    compression: Compression,
    /// A PEM file with a CA certificate to trust for wss://, besides the usual roots.
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Give up connecting (name lookup, TCP, proxy, TLS and handshake) after SECS seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    timeout: Option<Duration>,
    /// Connect through this proxy: http://, https://, socks5:// or socks5h://, with
    /// user:password@ if it wants credentials [default: from HTTPS_PROXY, HTTP_PROXY,
    /// ALL_PROXY and NO_PROXY]
    #[arg(long, value_name = "URL", conflicts_with = "no_proxy")]
    proxy: Option<String>,
    /// Connect straight, ignoring the proxy environment variables.
    #[arg(long)]
    no_proxy: bool,
    /// Ping after SECS seconds of silence, and give up when nothing arrives SECS seconds
    /// after the ping.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    ping_interval: Option<Duration>,
    /// Send each line of standard input as a binary message (without its line break).
    #[arg(long)]
    binary: bool,
    /// One shot: send the first line, print the first message received, close and exit.
    #[arg(short = '1')]
    once: bool,
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().into(), value.trim().into())),
        _ => Err("expected 'Name: value'".into()),
    }
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text.parse().map_err(|_| "expected a number of seconds".to_owned())?;
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| "expected a positive number of seconds".into())
}

impl Args {
    fn options(&self) -> Result<ConnectOptions, Failure> {
        let mut options = ConnectOptions::new()
            .max_frame_size(self.frame_size.get())
            .deflate(self.compression.options(DeflateOptions::client()));
        for protocol in &self.protocols {
            options = options.protocol(protocol);
        }
        for (name, value) in &self.headers {
            options = options.header(name, value);
        }
        if let Some(ca) = &self.ca {
            options = options.tls_config(tls::client_config(ca)?);
        }
        if let Some(timeout) = self.timeout {
            options = options.timeout(timeout);
        }
        if let Some(proxy) = &self.proxy {
            options = options.proxy(proxy);
        }
        if self.no_proxy {
            options = options.no_proxy();
        }
        if let Some(interval) = self.ping_interval {
            options = options.heartbeat(interval, interval);
        }
        Ok(options)
    }
}

pub async fn run(args: Args) -> Result<(), Failure> {
    let options = args.options()?;
    let ws = connect(&args.url, &options).await.map_err(|e| tls::explain(&args.url, e))?;
    eprintln!(
        "connected (protocol: {}, extensions: {})",
        ws.protocol().unwrap_or("none"),
        ws.extensions().unwrap_or("none")
    );
    let (mut send, recv) = ws.split();
    let mut printer = tokio::spawn(print_messages(recv, args.once));
    let mut lines = stdin_lines();
    let sent = tokio::select! {
        sent = send_lines(&mut send, &mut lines, args.binary, args.once) => sent,
        printed = &mut printer => return server_closed(printed),
    };
    sent?;
    if args.once {
        // One shot: the close goes out after the answer, which the printer waits for.
        if let Some(close) = (&mut printer).await.context(|| "receiving failed")?? {
            return server_closed(Ok(Ok(Some(close))));
        }
    }
    match send.close(1000, "end of input").await {
        Ok(()) | Err(uniws::Error::Closed) => {}
        Err(e) => return Err(Failure::new(format!("cannot close: {e}"))),
    }
    if !args.once {
        // The receiving half ends within the close timeout after the close.
        printer.await.context(|| "receiving failed")?.context(|| "no close from the server")?;
    }
    Ok(())
}

/// The server closed first (or the connection failed): said on standard error, and a
/// failure unless the close was normal (1000, 1001 or no status).
fn server_closed(
    printed: Result<Result<Option<Message>, Failure>, tokio::task::JoinError>,
) -> Result<(), Failure> {
    let Some(close) = printed.context(|| "receiving failed")?? else { return Ok(()) };
    let said = format!("closed by the server: {}", describe_close(&close));
    let normal = [None, Some(CloseCode::NORMAL), Some(CloseCode::GOING_AWAY)].contains(&close.close_code());
    if !normal {
        return Err(Failure::new(said));
    }
    eprintln!("{said}");
    Ok(())
}

/// Prints each message until the server's close, which it returns; with `once`, only the
/// first message (then `None`).
async fn print_messages(mut recv: RecvHalf, once: bool) -> Result<Option<Message>, Failure> {
    let mut out = std::io::stdout();
    loop {
        match next_message(&mut recv).await.context(|| "connection failed")? {
            Next::Data(message) => writeln!(out, "{}", display(&message))
                .and_then(|()| out.flush())
                .context(|| "cannot write to standard output")?,
            Next::Closed(close) => return Ok(Some(close)),
        }
        if once {
            return Ok(None);
        }
    }
}

/// Sends each line (the first only, with `once`) as a text message, or as binary.
async fn send_lines(
    send: &mut SendHalf,
    lines: &mut mpsc::Receiver<std::io::Result<String>>,
    binary: bool,
    once: bool,
) -> Result<(), Failure> {
    while let Some(line) = lines.recv().await {
        let line = line.context(|| "cannot read standard input")?;
        let message = if binary { Message::binary(line.into_bytes()) } else { Message::text(line) };
        send.send_all(message).await.context(|| "cannot send")?;
        if once {
            break;
        }
    }
    Ok(())
}

/// The lines of standard input, read on a thread of their own: a blocking read cannot be
/// cancelled, and this way it does not hold up the exit.
fn stdin_lines() -> mpsc::Receiver<std::io::Result<String>> {
    let (tx, rx) = mpsc::channel(16);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let failed = line.is_err();
            if tx.blocking_send(line).is_err() || failed {
                return;
            }
        }
    });
    rx
}
