//! The sans-IO protocol core: frame headers, masking, UTF-8 validation, close payloads, the
//! receiving and sending state machines, permessage-deflate and the opening handshake's
//! parsing and building.
//! Everything here works on byte buffers; the native backend drives it over sockets, and
//! tests and fuzzers drive it directly.

mod close;
mod decoder;
pub mod deflate;
mod encoder;
mod frame;
pub mod handshake;
mod mask;
mod utf8;

pub use close::{MAX_CLOSE_REASON, encode_close_payload, parse_close_payload};
pub use decoder::{Decoder, ReadState};
pub use encoder::{Encoder, WriteState};
pub use frame::{FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, OpCode};
pub use mask::apply_mask;
pub use utf8::Utf8Validator;

/// Which end of the connection we are: it decides who masks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Masks every frame it sends; rejects masked frames.
    Client,
    /// Sends unmasked frames; rejects unmasked ones.
    Server,
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod whole_tests;
