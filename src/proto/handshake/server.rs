//! The server's half of the opening handshake: parsing and validating the upgrade request
//! (RFC 6455 §4.2.1), the 101 answer and the refusals with the RFC's statuses.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::{Headers, MAX_HEADERS, accept_key, is_token, tokens};
use crate::Error;
use crate::proto::HandshakeFailure;

/// A validated upgrade request.
#[derive(Debug, Clone)]
pub struct UpgradeRequest {
    /// The request method (always `GET` once validated).
    pub method: String,
    /// The request target (path and query).
    pub target: String,
    /// The client's `Sec-WebSocket-Key`.
    pub key: String,
    /// The subprotocols the client offered, in its order.
    pub protocols: Vec<String>,
    /// Every header of the request.
    pub headers: Headers,
    /// The length of the head; bytes after it are WebSocket frames.
    pub head_len: usize,
}

/// Why an upgrade request was refused: the status to answer with and a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// 400, 405, 426 or 431.
    pub status: u16,
    /// What was wrong, also sent as the response body.
    pub reason: &'static str,
}

impl Rejection {
    fn new(status: u16, reason: &'static str) -> Self {
        Self { status, reason }
    }

    /// The headers this status calls for besides the body's (RFC 9110 §15.5.6 for 405,
    /// RFC 6455 §4.4 for 426).
    pub fn headers(&self) -> &'static [(&'static str, &'static str)] {
        match self.status {
            405 => &[("Allow", "GET")],
            426 => &[("Sec-WebSocket-Version", "13"), ("Upgrade", "websocket")],
            _ => &[],
        }
    }

    /// The HTTP response for this rejection, ready to write.
    pub fn encode(&self) -> Vec<u8> {
        let headers = self.headers().iter().map(|&(n, v)| (n, v));
        encode_response(self.status, headers, self.reason.as_bytes())
    }

    /// The error this rejection is on the server's side.
    pub fn into_error(self) -> Error {
        Error::handshake(Some(self.status), HandshakeFailure::Refused(self.reason))
    }
}

/// A complete HTTP/1.1 response that ends the connection: the status line, `headers`, the
/// body's type and length, and the body. Used for every refusal of an upgrade.
pub fn encode_response<'a>(
    status: u16,
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", status_text(status));
    let mut typed = false;
    for (name, value) in headers {
        // A header that is not valid HTTP (a line break in a value would split the
        // response) is left out, as hyper's responses leave it out.
        if !is_token(name) || value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            continue;
        }
        typed |= name.eq_ignore_ascii_case("content-type");
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !typed {
        head.push_str("Content-Type: text/plain; charset=utf-8\r\n");
    }
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
    let mut response = head.into_bytes();
    response.extend_from_slice(body);
    response
}

/// The reason phrase of the statuses a server refuses upgrades with.
pub fn status_text(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// Parses and validates an upgrade request from the start of `buf`. `Ok(None)` means the head
/// is incomplete; a head that cannot end within `max_head` bytes is refused with 431.
pub fn parse_request(buf: &[u8], max_head: usize) -> Result<Option<UpgradeRequest>, Rejection> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let head_len = match request.parse(buf) {
        Ok(httparse::Status::Complete(n)) if n > max_head => {
            return Err(Rejection::new(431, "request head too large"));
        }
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() < max_head => return Ok(None),
        Ok(httparse::Status::Partial) | Err(httparse::Error::TooManyHeaders) => {
            return Err(Rejection::new(431, "request head too large"));
        }
        Err(_) => return Err(Rejection::new(400, "malformed HTTP request")),
    };
    let target = request.path.unwrap_or("/").to_owned();
    let headers = Headers::from_httparse(request.headers);
    let mut upgrade =
        validate_request(request.method.unwrap_or(""), request.version == Some(1), target, headers)?;
    upgrade.head_len = head_len;
    Ok(Some(upgrade))
}

/// Validates an upgrade request whose head was parsed elsewhere (by [`parse_request`], or by
/// hyper for the `hyper` and `axum` features): a GET over HTTP/1.1 with `Host`, the upgrade
/// headers, version 13, a 16-byte key and no body. Subprotocol names that are not RFC 9110
/// tokens are left out of `protocols`, so they never reach a selection nor get echoed.
/// `head_len` is 0.
pub fn validate_request(
    method: &str,
    http11: bool,
    target: String,
    headers: Headers,
) -> Result<UpgradeRequest, Rejection> {
    if method != "GET" {
        return Err(Rejection::new(405, "a WebSocket upgrade must be a GET request"));
    }
    if !http11 {
        return Err(Rejection::new(400, "a WebSocket upgrade needs HTTP/1.1"));
    }
    if headers.get("host").is_none() {
        return Err(Rejection::new(400, "missing Host header"));
    }
    // Bytes of a body would be read as frames after the 101 (RFC 9112 §6.1: a request with
    // both length headers must not keep its connection either).
    if headers.get("transfer-encoding").is_some()
        || headers.get_all("content-length").any(|v| v.trim_ascii() != b"0")
    {
        return Err(Rejection::new(400, "an upgrade request cannot have a body"));
    }
    if !headers.has_token("upgrade", "websocket") {
        return Err(Rejection::new(400, "missing Upgrade: websocket"));
    }
    if !headers.has_token("connection", "upgrade") {
        return Err(Rejection::new(400, "Connection header lacks the upgrade token"));
    }
    if headers.get("sec-websocket-version").map(<[u8]>::trim_ascii) != Some(b"13") {
        return Err(Rejection::new(426, "Sec-WebSocket-Version must be 13"));
    }
    let key = {
        let mut keys = headers.get_all("sec-websocket-key");
        let key = match (keys.next(), keys.next()) {
            (Some(key), None) => key.trim_ascii(),
            _ => return Err(Rejection::new(400, "missing or repeated Sec-WebSocket-Key")),
        };
        if BASE64.decode(key).map(|k| k.len()) != Ok(16) {
            return Err(Rejection::new(400, "Sec-WebSocket-Key is not 16 bytes in base64"));
        }
        String::from_utf8_lossy(key).into_owned()
    };
    let protocols = headers
        .get_all("sec-websocket-protocol")
        .flat_map(tokens)
        .filter(|p| is_token(p))
        .map(str::to_owned)
        .collect();
    Ok(UpgradeRequest { method: method.to_owned(), target, key, protocols, headers, head_len: 0 })
}

/// The headers of the 101 answer accepting `request` with the chosen subprotocol and
/// extensions, besides its status line.
pub fn accept_headers(
    request: &UpgradeRequest,
    protocol: Option<&str>,
    extensions: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("Upgrade", "websocket".to_owned()),
        ("Connection", "Upgrade".to_owned()),
        ("Sec-WebSocket-Accept", accept_key(&request.key)),
    ];
    headers.extend(protocol.map(|p| ("Sec-WebSocket-Protocol", p.to_owned())));
    headers.extend(extensions.map(|e| ("Sec-WebSocket-Extensions", e.to_owned())));
    headers
}

/// The 101 answer accepting `request`, with the chosen subprotocol and extensions.
pub fn accept_response(
    request: &UpgradeRequest,
    protocol: Option<&str>,
    extensions: Option<&str>,
) -> Vec<u8> {
    let mut head = String::from("HTTP/1.1 101 Switching Protocols\r\n");
    for (name, value) in accept_headers(request, protocol, extensions) {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// The 400 answer for a client whose subprotocols the server refused.
pub fn protocol_refused() -> Rejection {
    Rejection::new(400, "none of the offered subprotocols is supported")
}
