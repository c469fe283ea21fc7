//! The client: `connect(url, options)` for `ws://` and `wss://` — one deadline over name
//! lookup, TCP, the proxy, TLS and the handshake; redirects within a hop limit; the 101 answer
//! checked — and `connect_over(stream, url, options)`, the handshake alone over a stream the
//! caller opened.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

use super::dial::{percent_decode, tls_over};
use super::proxy;
use super::target::{target_url, websocket_url};
use super::transport::{BoxedTransport, Transport};
use super::websocket::SocketConfig;
use crate::proto::Role;
use crate::proto::deflate::client_offer;
use crate::proto::handshake::{ClientRequest, Response, generate_key, parse_response, validate_response};
use crate::{Auth, ConnectOptions, Error, HandshakeFailure, Result, WebSocket};

/// The largest response head accepted.
const MAX_RESPONSE_HEAD: usize = 16 * 1024;

/// Connects to a `ws://` or `wss://` URL: the reference's `websocket-connect`.
///
/// # Errors
///
/// - [`Error::InvalidUrl`]: not a `ws`, `wss`, `http` or `https` URL, or no host.
/// - [`Error::InvalidOptions`]: a subprotocol that is not a token, or a header, cookie or
///   token with a line break (nothing was sent).
/// - [`Error::Io`]: the TCP connection failed (refused, unreachable, reset).
/// - [`Error::Proxy`]: the proxy refused the tunnel or its SOCKS5 negotiation failed.
/// - [`Error::Tls`]: the TLS handshake failed (an untrusted or expired certificate, another
///   host's).
/// - [`Error::Handshake`]: the server did not switch protocols, or its answer breaks a rule;
///   its [`HandshakeFailure`] says which, its `status` is the server's.
/// - [`Error::Timeout`]: the options' `timeout` passed first.
///
/// ```no_run
/// # async fn demo() -> uniws::Result<()> {
/// use uniws::{connect, ConnectOptions, Message};
/// let mut ws = connect("ws://127.0.0.1:9001/chat", &ConnectOptions::new().protocol("chat")).await?;
/// ws.send(Message::text("hello")).await?;
/// let reply = ws.recv().await?;
/// println!("{:?} over {:?}", reply.as_text(), ws.protocol());
/// ws.close(1000, "done").await
/// # }
/// ```
pub async fn connect(url: &str, options: &ConnectOptions) -> Result<WebSocket> {
    let work = connect_following_redirects(url, options);
    match options.timeout {
        Some(limit) => tokio::time::timeout(limit, work).await.unwrap_or(Err(Error::Timeout)),
        None => work.await,
    }
}

async fn connect_following_redirects(url: &str, options: &ConnectOptions) -> Result<WebSocket> {
    check_options(options)?;
    let mut url = target_url(url, options)?;
    let origin = url.origin();
    let mut hops = 0;
    loop {
        let stream = open(&url, options).await?;
        // Like browsers and curl, credentials go only to the origin they were given for.
        let credentials = url.origin() == origin;
        let answer = handshake(stream, &url, options, credentials).await?;
        let redirect = matches!(answer.response.status, 301 | 302 | 303 | 307 | 308);
        if !(redirect && options.max_redirects > 0) {
            return socket(answer, options);
        }
        let response = answer.response;
        hops += 1;
        if hops > options.max_redirects {
            let failure = HandshakeFailure::TooManyRedirects { max: options.max_redirects };
            return Err(Error::handshake(Some(response.status), failure));
        }
        url = redirect_target(&url, &response)?;
    }
}

/// Runs the client's opening handshake over a stream the caller opened (a Unix socket, an
/// in-memory pipe, a tunnel of its own): what [`connect`] does once it has a stream. The URL
/// gives the request's `Host` and target, and its scheme nothing more: no TLS is added, and
/// no proxy or redirect is followed (a redirect fails as any other non-101 answer does).
/// The options' timeout bounds the handshake.
///
/// ```no_run
/// # async fn demo() -> uniws::Result<()> {
/// use uniws::{connect_over, ConnectOptions};
/// let stream = tokio::net::UnixStream::connect("/run/app.sock").await?;
/// let ws = connect_over(stream, "ws://localhost/chat", &ConnectOptions::new()).await?;
/// # drop(ws);
/// # Ok(())
/// # }
/// ```
pub async fn connect_over<T: Transport>(stream: T, url: &str, options: &ConnectOptions) -> Result<WebSocket> {
    let work = async {
        check_options(options)?;
        let url = target_url(url, options)?;
        socket(handshake(Box::new(stream), &url, options, true).await?, options)
    };
    match options.timeout {
        Some(limit) => tokio::time::timeout(limit, work).await.unwrap_or(Err(Error::Timeout)),
        None => work.await,
    }
}

/// The socket over a stream whose server answered the upgrade, once the answer checks out.
fn socket(answer: Answer, options: &ConnectOptions) -> Result<WebSocket> {
    let Answer { response, key, stream, buffered } = answer;
    let (protocol, deflate) = validate_response(&response, &key, &options.protocols, &options.deflate)?;
    let extensions: Vec<&str> = response
        .headers
        .get_all("sec-websocket-extensions")
        .filter_map(|v| std::str::from_utf8(v).ok())
        .map(str::trim)
        .collect();
    let config = SocketConfig {
        role: Role::Client,
        max_frame_size: options.max_frame_size,
        max_message_size: options.max_message_size,
        auto_pong: options.auto_pong,
        heartbeat: options.heartbeat,
        close_timeout: options.close_timeout,
        protocol,
        request_target: None,
        extensions: deflate.is_some().then(|| extensions.join(", ")),
        deflate: deflate.map(|params| (params, options.deflate.clone())),
    };
    Ok(WebSocket::new(stream, buffered, config))
}

/// Where a redirect points, as a WebSocket URL; never from `wss` down to `ws`.
fn redirect_target(from: &Url, response: &Response) -> Result<Url> {
    let status = Some(response.status);
    let location = response
        .headers
        .get_str("location")
        .ok_or_else(|| Error::handshake(status, HandshakeFailure::BadRedirect("no Location".into())))?;
    let target = from
        .join(location.trim())
        .map_err(|e| Error::handshake(status, HandshakeFailure::BadRedirect(e.to_string())))?;
    let target = websocket_url(target)
        .map_err(|_| Error::handshake(status, HandshakeFailure::BadRedirect("not a WebSocket URL".into())))?;
    if from.scheme() == "wss" && target.scheme() == "ws" {
        return Err(Error::handshake(status, HandshakeFailure::InsecureRedirect));
    }
    Ok(target)
}

/// Header names and values may not smuggle line breaks into the request.
fn check_options(options: &ConnectOptions) -> Result<()> {
    let texts = options.headers.iter().chain(&options.cookies).flat_map(|(n, v)| [n, v]);
    let token = match &options.auth {
        Some(Auth::Bearer(token)) => Some(token),
        _ => None,
    };
    if texts.chain(&options.protocols).chain(token).any(|t| t.contains(['\r', '\n'])) {
        return Err(Error::InvalidOptions(
            "a header, cookie, token or subprotocol contains a line break".into(),
        ));
    }
    options.check_protocols()
}

/// The stream to the URL's host (through a proxy if one applies), with TLS on top for `wss`.
async fn open(url: &Url, options: &ConnectOptions) -> Result<BoxedTransport> {
    let stream = proxy::open_stream(url, options).await?;
    if url.scheme() != "wss" {
        return Ok(stream);
    }
    tls_over(stream, &url.host().expect("checked in websocket_url"), options).await
}

/// The server's answer to our upgrade request.
struct Answer {
    response: Response,
    /// The `Sec-WebSocket-Key` we sent.
    key: String,
    stream: BoxedTransport,
    /// Bytes read past the response head: the first frames.
    buffered: BytesMut,
}

/// Sends the upgrade request and reads the response head.
async fn handshake(
    mut stream: BoxedTransport,
    url: &Url,
    options: &ConnectOptions,
    credentials: bool,
) -> Result<Answer> {
    let key = generate_key();
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().expect("checked")),
        None => url.host_str().expect("checked").to_owned(),
    };
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let headers = request_headers(url, options, credentials);
    let offer = client_offer(&options.deflate);
    let request = ClientRequest {
        extensions: offer.as_deref(),
        host: &host,
        target: &target,
        key: &key,
        protocols: &options.protocols,
        headers: &headers,
    };
    stream.write_all(&request.encode()).await?;
    stream.flush().await?;

    let mut buf = BytesMut::with_capacity(1024);
    loop {
        if let Some(response) = parse_response(&buf, MAX_RESPONSE_HEAD)? {
            let _ = buf.split_to(response.head_len);
            return Ok(Answer { response, key, stream, buffered: buf });
        }
        if stream.read_buf(&mut buf).await? == 0 {
            return Err(Error::handshake(None, HandshakeFailure::ClosedEarly));
        }
    }
}

/// The user's headers plus, with `credentials`, `Cookie` and `Authorization` (from the
/// options, else the URL's user info).
fn request_headers(url: &Url, options: &ConnectOptions, credentials: bool) -> Vec<(String, String)> {
    let mut headers = options.headers.clone();
    if !credentials {
        return headers;
    }
    if !options.cookies.is_empty() {
        let cookies: Vec<String> = options.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect();
        headers.push(("Cookie".into(), cookies.join("; ")));
    }
    let url_auth = (!url.username().is_empty()).then(|| Auth::Basic {
        user: percent_decode(url.username()),
        password: percent_decode(url.password().unwrap_or("")),
    });
    match options.auth.clone().or(url_auth) {
        Some(Auth::Basic { user, password }) => {
            headers.push((
                "Authorization".into(),
                format!("Basic {}", BASE64.encode(format!("{user}:{password}"))),
            ));
        }
        Some(Auth::Bearer(token)) => headers.push(("Authorization".into(), format!("Bearer {token}"))),
        None => {}
    }
    headers
}
