//! The sans-IO protocol core: frame headers, masking, UTF-8 validation, close payloads, the
//! receiving and sending state machines, permessage-deflate and the opening handshake's
//! parsing and building.
//! Everything here works on byte buffers; the native backend drives it over sockets, and
//! tests and fuzzers drive it directly.
//!
//! Its vocabulary — close codes, the rules a peer can break ([`Violation`]), why a handshake
//! failed ([`HandshakeFailure`]), the limits a message is held to, the roles — is on every target: the public `Error` and `Message` of
//! both backends speak it. So are the deadlines ([`Liveness`], [`Stall`]: time is an input,
//! never read here), which both backends drive. The codec and the handshake are native only
//! (the browser frames and shakes hands itself).

mod close_code;
mod handshake_failure;
mod liveness;
mod violation;

pub use close_code::{CloseCode, MAX_CLOSE_REASON};
pub use handshake_failure::HandshakeFailure;
pub use liveness::{Alarm, Liveness, Stall};
pub use violation::Violation;

/// The most fragments `recv_all` puts together into one message: many tiny fragments cost
/// far more than their bytes, so a peer may not send a message in more (it fails with 1009).
pub const MAX_FRAGMENTS: usize = 1 << 16;

#[cfg(not(target_arch = "wasm32"))]
mod close;
#[cfg(not(target_arch = "wasm32"))]
mod decoder;
#[cfg(not(target_arch = "wasm32"))]
pub mod deflate;
#[cfg(not(target_arch = "wasm32"))]
mod encoder;
#[cfg(not(target_arch = "wasm32"))]
mod frame;
#[cfg(not(target_arch = "wasm32"))]
pub mod handshake;
#[cfg(not(target_arch = "wasm32"))]
mod mask;
#[cfg(not(target_arch = "wasm32"))]
mod utf8;

#[cfg(not(target_arch = "wasm32"))]
pub use close::{encode_close_payload, parse_close_payload};
#[cfg(not(target_arch = "wasm32"))]
pub use decoder::{Decoder, ReadState};
#[cfg(not(target_arch = "wasm32"))]
pub use encoder::{Encoder, WriteState};
#[cfg(not(target_arch = "wasm32"))]
pub use frame::{FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, OpCode};
#[cfg(not(target_arch = "wasm32"))]
pub use mask::apply_mask;
#[cfg(not(target_arch = "wasm32"))]
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
