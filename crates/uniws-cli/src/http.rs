//! The demo's static files over plain HTTP/1.1: GET and HEAD only, `/` meaning
//! `index.html`, a Content-Type by extension, 404 for what is missing, 400 for a path that
//! tries to leave the directory, one request per connection.

use std::path::{Path, PathBuf};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::sniff::{Head, Request};

/// A response: status, content type and body (left out for HEAD).
struct Response {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Response {
    fn error(status: u16) -> Self {
        let body = format!("{status} {}\n", reason(status)).into_bytes();
        Self { status, content_type: "text/plain; charset=utf-8", body }
    }

    fn encode(&self, with_body: bool) -> Vec<u8> {
        let mut bytes = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\n\
             X-Content-Type-Options: nosniff\r\n{}Connection: close\r\n\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len(),
            if self.status == 405 { "Allow: GET, HEAD\r\n" } else { "" },
        )
        .into_bytes();
        if with_body {
            bytes.extend_from_slice(&self.body);
        }
        bytes
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Internal Server Error",
    }
}

/// Answers the request whose head is waiting on `stream`, then closes the connection.
pub async fn answer(mut stream: TcpStream, head: &Head, www: &Path) {
    // Read the head first, so that closing does not reset the connection under the answer.
    let mut bytes = vec![0; head.len];
    if stream.read_exact(&mut bytes).await.is_err() {
        return;
    }
    let response = match &head.parsed {
        Ok(request) => respond(request, www).await,
        Err(status) => Response::error(*status),
    };
    let with_body = !head.parsed.as_ref().is_ok_and(|r| r.method == "HEAD");
    let _ = stream.write_all(&response.encode(with_body)).await;
    let _ = stream.shutdown().await;
}

async fn respond(request: &Request, www: &Path) -> Response {
    if request.method != "GET" && request.method != "HEAD" {
        return Response::error(405);
    }
    let Some(mut path) = resolve(www, &request.target) else { return Response::error(400) };
    if tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_dir()) {
        path.push("index.html");
    }
    match tokio::fs::read(&path).await {
        Ok(body) => Response { status: 200, content_type: content_type(&path), body },
        Err(_) => Response::error(404),
    }
}

/// The file `target` names under `www`; `None` for a target that is not an absolute path,
/// is not UTF-8 once percent-decoded, or has a `..` (or backslash) segment.
fn resolve(www: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or_default();
    if !path.starts_with('/') {
        return None;
    }
    let path = percent_decode(path)?;
    let mut file = www.to_path_buf();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => return None,
            s if s.contains(['\\', '\0']) => return None,
            s => file.push(s),
        }
    }
    if path.ends_with('/') {
        file.push("index.html");
    }
    Some(file)
}

fn percent_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

/// The Content-Type for a file name. TypeScript declarations have no registered type; they
/// are served as text so that a browser shows them.
fn content_type(path: &Path) -> &'static str {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match extension.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "ts" | "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside() {
        let www = Path::new("/srv/www");
        assert_eq!(resolve(www, "/"), Some(www.join("index.html")));
        assert_eq!(resolve(www, "/pkg/uniws.js?v=1"), Some(www.join("pkg/uniws.js")));
        assert_eq!(resolve(www, "/a%20b.css"), Some(www.join("a b.css")));
        assert_eq!(resolve(www, "/../Cargo.toml"), None);
        assert_eq!(resolve(www, "/%2e%2e/Cargo.toml"), None);
        assert_eq!(resolve(www, "/a/..%2f..%2fx"), None);
        assert_eq!(resolve(www, "/%zz"), None);
        assert_eq!(resolve(www, "http://evil/"), None);
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type(Path::new("uniws_bg.wasm")), "application/wasm");
        assert_eq!(content_type(Path::new("uniws.d.ts")), "text/plain; charset=utf-8");
        assert_eq!(content_type(Path::new("app.MJS")), "text/javascript; charset=utf-8");
        assert_eq!(content_type(Path::new("README")), "application/octet-stream");
    }
}
