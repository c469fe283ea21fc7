//! Command-line options more than one subcommand takes.

use clap::Args;
use uniws::DeflateOptions;

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

fn parse_size(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(size) if size > 0 => Ok(size),
        _ => Err("expected a positive number of bytes".into()),
    }
}
