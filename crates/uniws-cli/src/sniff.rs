//! Telling a WebSocket upgrade from a plain HTTP request on the demo's one port: the request
//! head is peeked at (not consumed) and parsed, so the stream can go on to either server.

use std::time::Duration;

use tokio::net::TcpStream;

/// The largest request head looked at.
pub const MAX_HEAD: usize = 8 * 1024;

/// How long a client has to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// The request head waiting on a connection.
pub struct Head {
    /// How many bytes of it were peeked at: the whole head when it parsed.
    pub len: usize,
    /// The request, or the status that refuses it: 400 for what is not HTTP, 431 for a
    /// head longer than [`MAX_HEAD`] or with too many fields.
    pub parsed: Result<Request, u16>,
}

/// The parts of a request the demo needs.
pub struct Request {
    pub method: String,
    pub target: String,
    /// Whether it asks for a WebSocket (`Upgrade: websocket`, in any case).
    pub upgrade: bool,
}

impl Head {
    /// The request if it asks for a WebSocket on `path` (the query aside).
    pub fn upgrade_to(&self, path: &str) -> bool {
        self.parsed.as_ref().is_ok_and(|r| r.upgrade && r.target.split('?').next() == Some(path))
    }
}

/// Peeks at the request head on `stream` and parses it; `None` if the client closed or
/// took too long.
pub async fn peek_head(stream: &TcpStream) -> Option<Head> {
    let bytes = tokio::time::timeout(HEAD_TIMEOUT, peek_until_blank_line(stream)).await.ok()??;
    Some(parse(&bytes))
}

/// Peeks until the bytes waiting hold a blank line or [`MAX_HEAD`] of them.
async fn peek_until_blank_line(stream: &TcpStream) -> Option<Vec<u8>> {
    let mut buf = vec![0; MAX_HEAD];
    let mut seen = 0;
    loop {
        let n = stream.peek(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        if n == MAX_HEAD || buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
            buf.truncate(n);
            return Some(buf);
        }
        // Peeking again returns at once with the same bytes; give the rest time to arrive.
        if n == seen {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        seen = n;
    }
}

fn parse(bytes: &[u8]) -> Head {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    let len = match request.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Head { len: bytes.len(), parsed: Err(431) },
        Err(httparse::Error::TooManyHeaders) => return Head { len: bytes.len(), parsed: Err(431) },
        Err(_) => return Head { len: bytes.len(), parsed: Err(400) },
    };
    let upgrade = request.headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case("upgrade")
            && String::from_utf8_lossy(h.value).split(',').any(|t| t.trim().eq_ignore_ascii_case("websocket"))
    });
    let method = request.method.unwrap_or_default().to_owned();
    let target = request.path.unwrap_or_default().to_owned();
    Head { len, parsed: Ok(Request { method, target, upgrade }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgrades_are_told_apart() {
        let upgrade = b"GET /chat?room=1 HTTP/1.1\r\nHost: x\r\nUPGRADE: WebSocket\r\n\r\n";
        let head = parse(upgrade);
        assert!(head.upgrade_to("/chat") && !head.upgrade_to("/") && head.len == upgrade.len());
        let head = parse(b"HEAD /a.js HTTP/1.1\r\n\r\n");
        assert!(!head.upgrade_to("/a.js") && head.parsed.is_ok_and(|r| r.method == "HEAD"));
        assert_eq!(parse(b"GET / HTTP/1.1\r\nHost").parsed.err(), Some(431));
        assert_eq!(parse(b"\x16\x03\x01 tls").parsed.err(), Some(400));
    }
}
