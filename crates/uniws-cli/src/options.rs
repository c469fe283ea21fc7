//! Command-line options more than one subcommand takes.

use std::time::Duration;

use clap::Args;
use uniws::{DeflateOptions, ServerOptions};

/// `--max-frame-size N`, for `serve` and `connect`.
#[derive(Args)]
pub struct FrameSize {
    /// The largest frame accepted and sent, in bytes; longer messages go out in several
    /// frames [default: 1048576]
    #[arg(long = "max-frame-size", value_name = "N", value_parser = parse_size)]
    max_frame_size: Option<usize>,
}

impl FrameSize {
    pub fn get(&self) -> usize {
        self.max_frame_size.unwrap_or(uniws::DEFAULT_MAX_FRAME_SIZE)
    }
}

/// `--no-deflate`, for `serve` and `connect`.
#[derive(Args)]
pub struct Compression {
    /// Turn permessage-deflate off: a client offers no compression, a server declines it
    /// (it is on by default, as in browsers)
    #[arg(long = "no-deflate")]
    no_deflate: bool,
}

impl Compression {
    /// The options for a side whose defaults are `defaults`.
    pub fn options(&self, defaults: DeflateOptions) -> DeflateOptions {
        if self.no_deflate { DeflateOptions::disabled() } else { defaults }
    }
}

/// `--ping-interval SECS` and `--ping-timeout SECS` (websocat's names), for the servers: on
/// by default, since a client that vanishes without FIN or RST (a phone out of coverage, a
/// NAT that forgot the flow) would otherwise be held forever, and a peer that stops reading
/// would hold the send to it.
#[derive(Args)]
pub struct Heartbeat {
    /// Ping a client after SECS seconds of silence (0: no heartbeat)
    #[arg(long = "ping-interval", value_name = "SECS", default_value = "20", value_parser = parse_seconds)]
    interval: Duration,
    /// Drop a client that sends nothing for SECS seconds after the ping, or takes nothing of
    /// a send for the interval and this long (0: no heartbeat)
    #[arg(long = "ping-timeout", value_name = "SECS", default_value = "10", value_parser = parse_seconds)]
    timeout: Duration,
}

impl Heartbeat {
    /// `options` with the heartbeat, unless either flag turned it off.
    pub fn apply(&self, options: ServerOptions) -> ServerOptions {
        if self.interval.is_zero() || self.timeout.is_zero() {
            options
        } else {
            options.heartbeat(self.interval, self.timeout)
        }
    }
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| "expected a number of seconds (0 turns the heartbeat off)".into())
}

fn parse_size(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(size) if size > 0 => Ok(size),
        _ => Err("expected a positive number of bytes".into()),
    }
}
