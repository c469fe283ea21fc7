//! permessage-deflate (RFC 7692) in the sans-IO core: the `Sec-WebSocket-Extensions` header
//! grammar, the negotiation on either side, and the per-direction compressor and
//! decompressor the encoder and decoder drive. Limits always count inflated bytes.

mod codec;
mod extensions;
mod negotiate;
mod pool;

pub use codec::{Deflater, InflateError, Inflater, max_deflated_len};
pub use extensions::{Extension, parse_extensions};
pub use negotiate::{DeflateParams, accept_offer, client_offer, validate_answer};

#[cfg(test)]
mod tests;
