//! The opening handshake (RFC 6455 §4) as pure functions, by role: the client's request and
//! its check of the server's 101 answer (`client.rs`), the server's parsing and validation of
//! the upgrade request and its answers (`server.rs`), permessage-deflate negotiated on both.
//! Here: what both roles use — the keys, header tokens and the header list. Heads are parsed
//! with `httparse`.

mod client;
mod server;

pub use client::{ClientRequest, Response, parse_response, validate_response};
pub use server::{
    Rejection, UpgradeRequest, accept_headers, accept_response, encode_response, parse_request,
    protocol_refused, status_text, validate_request,
};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha1::{Digest, Sha1};

const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const MAX_HEADERS: usize = 64;

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key`.
///
/// ```
/// // RFC 6455 §1.3's example.
/// assert_eq!(uniws::proto::handshake::accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
///            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn accept_key(key: &str) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key.as_bytes());
    sha1.update(GUID);
    BASE64.encode(sha1.finalize())
}

/// A fresh random `Sec-WebSocket-Key`.
pub fn generate_key() -> String {
    BASE64.encode(rand::random::<[u8; 16]>())
}

/// Whether a comma-separated header value holds `token` (case-insensitive).
fn has_token(value: &[u8], token: &str) -> bool {
    value.split(|&b| b == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// The comma-separated tokens of a header value.
fn tokens(value: &[u8]) -> impl Iterator<Item = &str> {
    std::str::from_utf8(value).unwrap_or("").split(',').map(str::trim).filter(|t| !t.is_empty())
}

/// Whether `value` is an RFC 9110 token (`1*tchar`), the grammar of a subprotocol name.
pub fn is_token(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A parsed HTTP head's headers, owned, with case-insensitive lookup.
#[derive(Debug, Clone, Default)]
pub struct Headers(Vec<(String, Vec<u8>)>);

impl<N: Into<String>, V: Into<Vec<u8>>> FromIterator<(N, V)> for Headers {
    /// Headers parsed by another HTTP implementation (hyper), for [`validate_request`].
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        Self(iter.into_iter().map(|(n, v)| (n.into(), v.into())).collect())
    }
}

impl Headers {
    fn from_httparse(headers: &[httparse::Header<'_>]) -> Self {
        headers.iter().map(|h| (h.name, h.value)).collect()
    }

    /// Every value of the header `name`.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.0.iter().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_slice())
    }

    /// The first value of the header `name`.
    pub fn get<'a>(&'a self, name: &'a str) -> Option<&'a [u8]> {
        self.get_all(name).next()
    }

    /// The first value of `name` as text, if it is UTF-8.
    pub fn get_str<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Whether any value of `name` holds `token`.
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.get_all(name).any(|v| has_token(v, token))
    }

    /// All (name, value) pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }
}
