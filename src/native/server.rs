//! The server: the reference's `request_handler(continue, select_protocol, max_frame_size)`,
//! `accept` on any stream, and `serve` loops for a TCP listener with or without TLS. The
//! upgrade request is read within a size cap and a deadline, so a slow or hostile client
//! cannot hold resources.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::tls::tls_error;
use super::transport::{BoxedTransport, Transport};
use super::websocket::SocketConfig;
use crate::options::{DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_MESSAGE_SIZE};
use crate::proto::Role;
use crate::proto::deflate::accept_offer;
use crate::proto::handshake::{Rejection, UpgradeRequest, accept_response, parse_request, protocol_refused};
use crate::{DEFAULT_CLOSE_TIMEOUT, DeflateOptions, Error, Heartbeat, Result, WebSocket};

type SelectProtocol = dyn Fn(&[String]) -> Option<String> + Send + Sync;

/// How the server accepts connections.
///
/// ```
/// use std::time::Duration;
/// let options = uniws::ServerOptions::new()
///     .select_protocol(|offered| offered.iter().find(|p| *p == "chat").cloned())
///     .max_frame_size(64 * 1024)
///     .handshake_timeout(Duration::from_secs(5));
/// assert_eq!(options.get_max_frame_size(), 64 * 1024);
/// ```
#[derive(Clone)]
pub struct ServerOptions {
    select_protocol: Option<Arc<SelectProtocol>>,
    max_frame_size: usize,
    max_message_size: usize,
    handshake_timeout: Duration,
    max_head_size: usize,
    auto_pong: bool,
    heartbeat: Option<Heartbeat>,
    deflate: DeflateOptions,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            select_protocol: None,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            handshake_timeout: Duration::from_secs(10),
            max_head_size: 8 * 1024,
            auto_pong: true,
            heartbeat: None,
            deflate: DeflateOptions::server(),
        }
    }
}

impl ServerOptions {
    /// The defaults: no subprotocol chosen, 1 MiB frames, a 10 s handshake deadline, an
    /// 8 KiB cap on the request head, automatic pongs, permessage-deflate accepted without
    /// context takeover ([`DeflateOptions::server`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Picks one of the client's subprotocols, or `None` to refuse the connection with 400.
    /// Not called when the client offers none; without it, offers are ignored.
    pub fn select_protocol(
        mut self,
        select: impl Fn(&[String]) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.select_protocol = Some(Arc::new(select));
        self
    }

    /// The largest frame accepted and sent (default 1 MiB).
    pub fn max_frame_size(mut self, size: usize) -> Self {
        self.max_frame_size = size;
        self
    }

    /// The largest whole message a [`Messages`](crate::Messages) stream receives (default
    /// 64 MiB).
    pub fn max_message_size(mut self, size: usize) -> Self {
        self.max_message_size = size;
        self
    }

    /// The configured frame limit.
    pub fn get_max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// How long a client has to complete the handshake (TLS included), default 10 s.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// The largest request head accepted; a larger one is answered with 431. Default 8 KiB.
    pub fn max_head_size(mut self, size: usize) -> Self {
        self.max_head_size = size;
        self
    }

    /// Whether pings are answered automatically (default true).
    pub fn auto_pong(mut self, on: bool) -> Self {
        self.auto_pong = on;
        self
    }

    /// A ping after `interval` of silence, and
    /// [`Error::HeartbeatTimeout`](crate::Error::HeartbeatTimeout) when nothing arrives within
    /// `timeout` after it (see [`Heartbeat`]; off by default).
    pub fn heartbeat(mut self, interval: Duration, timeout: Duration) -> Self {
        self.heartbeat = Some(Heartbeat { interval, timeout });
        self
    }

    /// How permessage-deflate offers are answered (default [`DeflateOptions::server`]: the
    /// first valid offer accepted, no context takeover either way, so an idle connection
    /// holds no compression state); [`DeflateOptions::disabled`] declines them all.
    pub fn deflate(mut self, options: DeflateOptions) -> Self {
        self.deflate = options;
        self
    }

    /// Reads and answers the upgrade request on `stream`. A bad request gets its status
    /// (400, 405, 426, 431) and `Error::Handshake`; a client too slow gets `Error::Timeout`.
    pub async fn accept<T: Transport>(&self, stream: T) -> Result<WebSocket> {
        let work = self.upgrade(Box::new(stream));
        tokio::time::timeout(self.handshake_timeout, work).await.unwrap_or(Err(Error::Timeout))
    }

    async fn upgrade(&self, mut stream: BoxedTransport) -> Result<WebSocket> {
        let mut buf = BytesMut::with_capacity(1024);
        let request = loop {
            match parse_request(&buf, self.max_head_size) {
                Ok(Some(request)) => break request,
                Ok(None) => {}
                Err(rejection) => return Err(reject(stream, rejection).await),
            }
            if stream.read_buf(&mut buf).await? == 0 {
                return Err(Error::handshake(None, "the client closed the connection during the handshake"));
            }
        };
        let protocol = match self.choose_protocol(&request) {
            Ok(protocol) => protocol,
            Err(rejection) => return Err(reject(stream, rejection).await),
        };
        let deflate = accept_offer(request.headers.get_all("sec-websocket-extensions"), &self.deflate);
        let extensions = deflate.as_ref().map(|(_, answer)| answer.clone());
        stream.write_all(&accept_response(&request, protocol.as_deref(), extensions.as_deref())).await?;
        stream.flush().await?;
        let _ = buf.split_to(request.head_len);
        let config = SocketConfig {
            role: Role::Server,
            max_frame_size: self.max_frame_size,
            max_message_size: self.max_message_size,
            auto_pong: self.auto_pong,
            heartbeat: self.heartbeat,
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
            protocol,
            request_target: Some(request.target),
            extensions,
            deflate: deflate.map(|(params, _)| (params, self.deflate.clone())),
        };
        Ok(WebSocket::new(stream, buf, config))
    }

    fn choose_protocol(&self, request: &UpgradeRequest) -> Result<Option<String>, Rejection> {
        let Some(select) = &self.select_protocol else { return Ok(None) };
        if request.protocols.is_empty() {
            return Ok(None);
        }
        match select(&request.protocols) {
            Some(chosen) if request.protocols.contains(&chosen) => Ok(Some(chosen)),
            _ => Err(protocol_refused()),
        }
    }

    /// Wraps `handler` (the reference's `continue`) into a [`RequestHandler`].
    pub fn handler<H, F>(self, handler: H) -> RequestHandler<H>
    where
        H: Fn(WebSocket) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        RequestHandler { options: self, handler: Arc::new(handler) }
    }
}

async fn reject(mut stream: BoxedTransport, rejection: Rejection) -> Error {
    let _ = stream.write_all(&rejection.encode()).await;
    let _ = stream.shutdown().await;
    rejection.into_error()
}

/// Upgrades connections and hands each [`WebSocket`] to a handler: the reference's
/// `websocket-request-handler`.
pub struct RequestHandler<H> {
    options: ServerOptions,
    handler: Arc<H>,
}

impl<H> Clone for RequestHandler<H> {
    fn clone(&self) -> Self {
        Self { options: self.options.clone(), handler: self.handler.clone() }
    }
}

/// The reference's `websocket-request-handler`: `handler` gets every upgraded socket,
/// `select_protocol` picks one of a client's subprotocols (it is not called when the client
/// offers none; `None` refuses the connection with 400).
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// let handler = uniws::request_handler(
///     |mut ws: uniws::WebSocket| async move {
///         while let Ok(message) = ws.recv_all(1 << 24).await {
///             if message.message_type().is_control() { continue; }
///             if ws.send_all(message).await.is_err() { break; }
///         }
///     },
///     |offered: &[String]| offered.first().cloned(),
///     1 << 20,
/// );
/// handler.serve(tokio::net::TcpListener::bind("127.0.0.1:9001").await?).await;
/// # Ok(()) }
/// ```
pub fn request_handler<H, F>(
    handler: H,
    select_protocol: impl Fn(&[String]) -> Option<String> + Send + Sync + 'static,
    max_frame_size: usize,
) -> RequestHandler<H>
where
    H: Fn(WebSocket) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    ServerOptions::new().select_protocol(select_protocol).max_frame_size(max_frame_size).handler(handler)
}

impl<H, F> RequestHandler<H>
where
    H: Fn(WebSocket) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    /// The options connections are accepted with.
    pub fn options(&self) -> &ServerOptions {
        &self.options
    }

    /// Upgrades one connection and runs the handler on it.
    pub async fn handle<T: Transport>(&self, stream: T) -> Result<()> {
        let ws = self.options.accept(stream).await?;
        (self.handler)(ws).await;
        Ok(())
    }

    /// Accepts connections from `listener` forever, each in its own task. A connection that
    /// fails its handshake is dropped; the loop goes on.
    pub async fn serve(self, listener: TcpListener) {
        self.serve_with(listener, |handler, tcp| async move { handler.handle(tcp).await }).await
    }

    /// Like [`serve`](Self::serve), with TLS on every connection. The TLS handshake counts
    /// toward the handshake timeout.
    pub async fn serve_tls(self, listener: TcpListener, config: Arc<rustls::ServerConfig>) {
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        self.serve_with(listener, move |handler, tcp| {
            let acceptor = acceptor.clone();
            async move {
                let limit = handler.options.handshake_timeout;
                let tls =
                    tokio::time::timeout(limit, acceptor.accept(tcp)).await.map_err(|_| Error::Timeout)?;
                handler.handle(tls.map_err(tls_error)?).await
            }
        })
        .await
    }

    async fn serve_with<C, CF>(self, listener: TcpListener, connection: C)
    where
        C: Fn(Self, tokio::net::TcpStream) -> CF,
        CF: Future<Output = Result<()>> + Send + 'static,
    {
        loop {
            match listener.accept().await {
                Ok((tcp, _)) => {
                    let _ = tcp.set_nodelay(true);
                    tokio::spawn(connection(self.clone(), tcp));
                }
                // Out of descriptors or a connection aborted before accept: wait a moment
                // rather than spin, and go on serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }
}
