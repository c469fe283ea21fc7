//! The client's half of the opening handshake: the upgrade request it sends and its check of
//! the server's answer (RFC 6455 §4.1).

use super::{Headers, MAX_HEADERS, accept_key, tokens};
use crate::proto::HandshakeFailure;
use crate::proto::deflate::{DeflateParams, validate_answer};
use crate::{DeflateOptions, Error};

/// What the client puts in its upgrade request.
#[derive(Debug, Clone)]
pub struct ClientRequest<'a> {
    /// The `Host` header value (with the port when it is not the scheme's default).
    pub host: &'a str,
    /// The request target: path and query.
    pub target: &'a str,
    /// The `Sec-WebSocket-Key`.
    pub key: &'a str,
    /// Subprotocols offered, in order of preference.
    pub protocols: &'a [String],
    /// Extra headers (cookies and authorization included).
    pub headers: &'a [(String, String)],
    /// The `Sec-WebSocket-Extensions` offer, if any.
    pub extensions: Option<&'a str>,
}

impl ClientRequest<'_> {
    /// The request head, ready to write.
    pub fn encode(&self) -> Vec<u8> {
        let mut head = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n",
            self.target, self.host, self.key
        );
        if !self.protocols.is_empty() {
            head.push_str(&format!("Sec-WebSocket-Protocol: {}\r\n", self.protocols.join(", ")));
        }
        if let Some(extensions) = self.extensions {
            head.push_str(&format!("Sec-WebSocket-Extensions: {extensions}\r\n"));
        }
        for (name, value) in self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head.into_bytes()
    }
}

/// A parsed HTTP response head.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// The headers.
    pub headers: Headers,
    /// The length of the head, blank line included; bytes after it are WebSocket frames.
    pub head_len: usize,
}

/// Parses a response head from the start of `buf`. `Ok(None)` means incomplete; a head longer
/// than `max_head` or malformed is a handshake error.
pub fn parse_response(buf: &[u8], max_head: usize) -> Result<Option<Response>, Error> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(buf) {
        Ok(httparse::Status::Complete(head_len)) if head_len > max_head => {
            Err(Error::handshake(None, HandshakeFailure::ResponseTooLarge))
        }
        Ok(httparse::Status::Complete(head_len)) => Ok(Some(Response {
            status: response.code.unwrap_or(0),
            reason: response.reason.unwrap_or("").to_owned(),
            headers: Headers::from_httparse(response.headers),
            head_len,
        })),
        Ok(httparse::Status::Partial) if buf.len() < max_head => Ok(None),
        Ok(httparse::Status::Partial) => Err(Error::handshake(None, HandshakeFailure::ResponseTooLarge)),
        Err(e) => Err(Error::handshake(None, HandshakeFailure::MalformedResponse(e.to_string()))),
    }
}

/// Checks a 101 response against our request: `Upgrade: websocket`, `Connection: Upgrade`,
/// the accept key, a subprotocol we offered (or none) and an extension answer that fits the
/// offer `deflate` made (none if it made none). Returns the negotiated subprotocol and
/// compression.
pub fn validate_response(
    response: &Response,
    key: &str,
    offered: &[String],
    deflate: &DeflateOptions,
) -> Result<(Option<String>, Option<DeflateParams>), Error> {
    let fail = |failure: HandshakeFailure| Err(Error::handshake(Some(response.status), failure));
    if response.status != 101 {
        return fail(HandshakeFailure::NotSwitching { reason: response.reason.clone() });
    }
    let headers = &response.headers;
    if !headers.get("upgrade").is_some_and(|v| v.trim_ascii().eq_ignore_ascii_case(b"websocket")) {
        return fail(HandshakeFailure::MissingUpgrade);
    }
    if !headers.has_token("connection", "upgrade") {
        return fail(HandshakeFailure::MissingConnectionUpgrade);
    }
    if headers.get("sec-websocket-accept").map(<[u8]>::trim_ascii) != Some(accept_key(key).as_bytes()) {
        return fail(HandshakeFailure::WrongAccept);
    }
    let compression = match validate_answer(headers.get_all("sec-websocket-extensions"), deflate) {
        Ok(compression) => compression,
        Err(reason) => return fail(HandshakeFailure::Extensions(reason)),
    };
    let mut chosen = headers.get_all("sec-websocket-protocol").flat_map(tokens);
    let protocol = chosen.next().map(str::to_owned);
    if chosen.next().is_some() {
        return fail(HandshakeFailure::SeveralProtocols);
    }
    match protocol {
        Some(p) if !offered.contains(&p) => fail(HandshakeFailure::ProtocolNotOffered),
        p => Ok((p, compression)),
    }
}
