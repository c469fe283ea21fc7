//! Upgrade requests written by hand on a TCP connection, for tests that check the exact
//! status, headers and body a server answers with.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::within;

/// Sends `request` as it is; the response: its head and the body its `Content-Length`
/// announces (a 101 has none), read without waiting for the connection to end (a server may
/// keep it open).
pub async fn raw_request(addr: SocketAddr, request: &str) -> String {
    let mut tcp = within(TcpStream::connect(addr)).await.unwrap();
    within(tcp.write_all(request.as_bytes())).await.unwrap();
    let mut response = Vec::new();
    loop {
        let text = String::from_utf8_lossy(&response).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| {
                    line.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned())
                })
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if response.len() >= end + 4 + length {
                return text;
            }
        }
        if within(tcp.read_buf(&mut response)).await.unwrap() == 0 {
            return text;
        }
    }
}

/// A valid upgrade request head for `target` with `extra` header lines.
pub fn upgrade_request(addr: SocketAddr, target: &str, extra: &str) -> String {
    format!(
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// Sends a valid upgrade request for `target` with `extra` header lines; the whole response.
pub async fn raw_upgrade_to(addr: SocketAddr, target: &str, extra: &str) -> String {
    raw_request(addr, &upgrade_request(addr, target, extra)).await
}

/// The status code of a response.
pub fn status_of(response: &str) -> Option<u16> {
    response.split(' ').nth(1)?.parse().ok()
}
