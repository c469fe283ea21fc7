//! The upgrade inside a hyper 1 server (feature `hyper`), so WebSockets share a port with an
//! HTTP application. A thin adapter: hyper's request head is validated and negotiated by the
//! same `proto` code as `ServerOptions::accept`, the 101 is hyper's response, and the
//! upgraded stream becomes the one uniws [`WebSocket`].

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri, Version};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::check::Refusal;
use super::server::ServerOptions;
use super::transport::{BoxedTransport, Transport};
use crate::proto::handshake::{Headers, Rejection, UpgradeRequest, validate_request};
use crate::{Error, Result, WebSocket};

/// The body of the responses [`upgrade`] makes.
pub type Body = Full<Bytes>;

/// The stream under a WebSocket upgraded by hyper (its addresses are hyper's to know).
impl Transport for TokioIo<::hyper::upgrade::Upgraded> {}

/// The WebSocket of an accepted upgrade: it resolves once hyper has sent the 101 and handed
/// the connection over, so await it in a task of its own after returning the response.
pub struct PendingWebSocket(Pin<Box<dyn Future<Output = Result<WebSocket>> + Send>>);

impl Future for PendingWebSocket {
    type Output = Result<WebSocket>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl std::fmt::Debug for PendingWebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PendingWebSocket")
    }
}

/// Upgrades `request` as `options` say (subprotocol selection, limits, permessage-deflate):
/// the 101 response to return to hyper and the socket to await, or the [`Refusal`] of a bad
/// upgrade request (400, 405, 426), which converts into a response. Run request checks
/// (Origin, authentication) on `request` before calling it.
///
/// ```no_run
/// use hyper::{Request, body::Incoming};
/// async fn service(mut request: Request<Incoming>) -> Result<http::Response<uniws::hyper::Body>, std::convert::Infallible> {
///     match uniws::hyper::upgrade(&mut request, &uniws::ServerOptions::new()) {
///         Ok((response, pending)) => {
///             tokio::spawn(async move {
///                 if let Ok(mut ws) = pending.await {
///                     while let Ok(message) = ws.recv().await {
///                         if !message.message_type().is_control() && ws.send(message).await.is_err() { break }
///                     }
///                 }
///             });
///             Ok(response)
///         }
///         Err(refusal) => Ok(refusal.into()),
///     }
/// }
/// ```
pub fn upgrade<B>(
    request: &mut Request<B>,
    options: &ServerOptions,
) -> std::result::Result<(Response<Body>, PendingWebSocket), Refusal> {
    let upgrade = upgrade_request(request.method(), request.version(), request.uri(), request.headers())?;
    let on_upgrade = ::hyper::upgrade::on(request);
    accept(options, upgrade, on_upgrade)
}

/// The upgrade request in hyper's head, validated as [`validate_request`] does for ours.
pub(crate) fn upgrade_request(
    method: &Method,
    version: Version,
    uri: &Uri,
    headers: &HeaderMap,
) -> std::result::Result<UpgradeRequest, Rejection> {
    let headers: Headers = headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    let target = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    validate_request(method.as_str(), version == Version::HTTP_11, target, headers)
}

/// Negotiates a valid upgrade request: the 101 and the socket that follows it.
pub(crate) fn accept(
    options: &ServerOptions,
    request: UpgradeRequest,
    on_upgrade: ::hyper::upgrade::OnUpgrade,
) -> std::result::Result<(Response<Body>, PendingWebSocket), Refusal> {
    let negotiated = options.negotiate(&request).map_err(Refusal::from)?;
    let mut response = Response::new(Body::default());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    for (name, value) in negotiated.headers(&request) {
        // The values are ours or one of the client's tokens; a selection returning
        // something else is the server's error.
        let value = HeaderValue::try_from(value).map_err(|_| Refusal::new(500))?;
        response.headers_mut().insert(name, value);
    }
    let options = options.clone();
    let pending = async move {
        let upgraded = on_upgrade.await.map_err(|e| Error::Io(std::io::Error::other(e)))?;
        let (stream, buffered) = unwrap_tcp(upgraded);
        Ok(options.socket(stream, buffered, request, negotiated))
    };
    Ok((response, PendingWebSocket(Box::pin(pending))))
}

/// The TCP stream under an upgraded connection when hyper's HTTP/1 server ran on a
/// `TokioIo<TcpStream>`, with the bytes hyper read past the request: the socket then has its
/// addresses and splits without a lock. Any other stream (axum's, which hyper-util wraps to
/// detect the HTTP version) is used through hyper's wrapper.
fn unwrap_tcp(upgraded: ::hyper::upgrade::Upgraded) -> (BoxedTransport, BytesMut) {
    match upgraded.downcast::<TokioIo<TcpStream>>() {
        Ok(parts) => (Box::new(parts.io.into_inner()), BytesMut::from(&parts.read_buf[..])),
        Err(upgraded) => (Box::new(TokioIo::new(upgraded)), BytesMut::new()),
    }
}

impl From<Refusal> for Response<Body> {
    fn from(refusal: Refusal) -> Self {
        let mut response = Response::new(Body::new(Bytes::copy_from_slice(refusal.body_bytes())));
        *response.status_mut() =
            StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        // As uniws's own server does: a refused upgrade does not keep its connection (and
        // one with a body must not, RFC 9112 §6.1).
        headers.insert(http::header::CONNECTION, HeaderValue::from_static("close"));
        for (name, value) in refusal.headers() {
            // A header that is not valid HTTP is left out rather than failing the refusal.
            if let (Ok(name), Ok(value)) = (http::HeaderName::try_from(name), HeaderValue::try_from(value)) {
                if name == http::header::CONTENT_TYPE {
                    headers.insert(name, value);
                } else {
                    headers.append(name, value);
                }
            }
        }
        response
    }
}
