//! A line client: `cargo run --release --example client -- URL`. Sends each line of standard
//! input as a text message, prints each message received (text as is, binary as hex), one per
//! line, and closes with 1000 at the end of input, waiting for the server's answer at most
//! the close timeout. It goes through the proxy the environment names (`HTTPS_PROXY`,
//! `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`), as every client does by default.

use std::process::ExitCode;

use tokio::io::{AsyncBufReadExt, BufReader};
use uniws::{ConnectOptions, Message, MessageType, connect};

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

async fn run(url: &str) -> uniws::Result<()> {
    let ws = connect(url, &ConnectOptions::new()).await?;
    let (mut sender, mut receiver) = ws.split();
    let printer = tokio::spawn(async move {
        loop {
            match receiver.recv_all(64 << 20).await {
                Ok(m) if m.message_type() == MessageType::Text => {
                    println!("{}", m.as_text().unwrap_or_default())
                }
                Ok(m) if m.message_type() == MessageType::Binary => println!("{}", hex(m.data())),
                Ok(m) if m.message_type() == MessageType::Close => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
    });
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        sender.send_all(Message::text(line)).await?;
    }
    sender.close(1000, "end of input").await?;
    printer.await.expect("printer task")
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: client URL");
        return ExitCode::from(2);
    };
    match run(&url).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("client: {e}");
            ExitCode::FAILURE
        }
    }
}
