//! `uniws connect`: a line client. Each line of standard input goes out as a text message;
//! each message received is printed on its own line (text as is, binary as hex). At the end
//! of input it closes with 1000 and waits for the server's close.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args as ClapArgs;
use tokio::sync::mpsc;
use uniws::{
    CloseCode, ConnectOptions, DEFAULT_CLOSE_TIMEOUT, DeflateOptions, Message, RecvHalf, SendHalf, connect,
};

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
    /// Give up connecting (name lookup, TCP, TLS and handshake) after SECS seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    timeout: Option<Duration>,
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
        Ok(options)
    }
}

pub async fn run(args: Args) -> Result<(), Failure> {
    let options = args.options()?;
    let ws = connect(&args.url, &options).await.context(|| format!("cannot connect to {}", args.url))?;
    eprintln!(
        "connected (protocol: {}, extensions: {})",
        ws.protocol().unwrap_or("none"),
        ws.extensions().unwrap_or("none")
    );
    let (mut send, recv) = ws.split();
    let mut printer = tokio::spawn(print_messages(recv));
    let sent = tokio::select! {
        sent = send_lines(&mut send, stdin_lines()) => sent,
        printed = &mut printer => return server_closed(printed),
    };
    sent?;
    match send.close(1000, "end of input").await {
        Ok(()) | Err(uniws::Error::Closed) => {}
        Err(e) => return Err(Failure::new(format!("cannot close: {e}"))),
    }
    let answer = tokio::time::timeout(DEFAULT_CLOSE_TIMEOUT, printer).await;
    answer.context(|| "no close from the server")?.context(|| "receiving failed")??;
    Ok(())
}

/// The server closed first (or the connection failed): said on standard error, and a
/// failure unless the close was normal (1000, 1001 or no status).
fn server_closed(printed: Result<Result<Message, Failure>, tokio::task::JoinError>) -> Result<(), Failure> {
    let close = printed.context(|| "receiving failed")??;
    let said = format!("closed by the server: {}", describe_close(&close));
    let normal = [None, Some(CloseCode::NORMAL), Some(CloseCode::GOING_AWAY)].contains(&close.close_code());
    if !normal {
        return Err(Failure::new(said));
    }
    eprintln!("{said}");
    Ok(())
}

/// Prints each message until the server's close, which it returns.
async fn print_messages(mut recv: RecvHalf) -> Result<Message, Failure> {
    let mut out = std::io::stdout();
    loop {
        match next_message(&mut recv).await.context(|| "connection failed")? {
            Next::Data(message) => writeln!(out, "{}", display(&message))
                .and_then(|()| out.flush())
                .context(|| "cannot write to standard output")?,
            Next::Closed(close) => return Ok(close),
        }
    }
}

async fn send_lines(
    send: &mut SendHalf,
    mut lines: mpsc::Receiver<std::io::Result<String>>,
) -> Result<(), Failure> {
    while let Some(line) = lines.recv().await {
        let line = line.context(|| "cannot read standard input")?;
        send.send_all(Message::text(line)).await.context(|| "cannot send")?;
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
