//! The `uniws` command: `serve` (an echo or broadcast WebSocket server), `connect` (a line
//! client in the spirit of wscat) and `demo` (static files and a chat endpoint on one port).
//! This file owns the command line and how a failure is reported: one line on standard
//! error, `uniws: …`, and a non-zero exit status.

mod connect;
mod demo;
mod failure;
mod http;
mod hub;
mod listen;
mod messages;
mod options;
mod serve;
mod sniff;
mod tls;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use failure::Failure;

/// A WebSocket server, client and demo built on the uniws library.
#[derive(Parser)]
#[command(name = "uniws", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a WebSocket server that echoes or broadcasts every message.
    Serve(serve::Args),
    /// Connect to a WebSocket server: send each line of standard input, print each message.
    Connect(connect::Args),
    /// Serve a web page and its chat WebSocket endpoint (/chat) on one port.
    Demo(demo::Args),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(error),
    };
    // Held to the end: it writes out what is queued when dropped.
    let _log = log_to_stderr();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Connect(args) => connect::run(args).await,
        Command::Demo(args) => demo::run(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => report(&failure),
    }
}

/// What the servers log (`tracing` events) goes to standard error from a thread of its own,
/// through a bounded queue that drops lines when full: a standard error that no one reads
/// (a supervisor's pipe) must not block a runtime thread, and so the serving. Failures and
/// the client's output are written directly, as the command ends or by the client itself.
fn log_to_stderr() -> tracing_appender::non_blocking::WorkerGuard {
    let (writer, guard) =
        tracing_appender::non_blocking::NonBlockingBuilder::default().lossy(true).finish(std::io::stderr());
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_max_level(tracing::Level::INFO)
        .with_target(false)
        .without_time()
        .init();
    guard
}

fn report(failure: &Failure) -> ExitCode {
    eprintln!("uniws: {failure}");
    ExitCode::FAILURE
}

/// `--help` and `--version` print as clap writes them; a usage error becomes one line.
fn usage_error(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind::{DisplayHelp, DisplayHelpOnMissingArgumentOrSubcommand, DisplayVersion};
    if matches!(error.kind(), DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand) {
        let _ = error.print();
        return if error.kind() == DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    // The message proper ends at the first blank line; usage and tips follow.
    let text = error.to_string();
    let message = text.split("\n\n").next().unwrap_or_default();
    let message = message.strip_prefix("error: ").unwrap_or(message);
    eprintln!("uniws: {} (see 'uniws --help')", failure::Failure::new(message));
    ExitCode::from(2)
}
