//! The server: the reference's `request_handler(continue, select_protocol, max_frame_size)`,
//! `accept` on any stream (with a request check before the 101 if wanted), and `serve` loops
//! for a TCP listener with or without TLS. The upgrade request is read within a size cap and
//! a deadline, so a slow or hostile client cannot hold resources.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::check::{Refusal, Request};
use super::tls::tls_error;
use super::transport::{BoxedTransport, Transport};
use super::websocket::{Closer, SocketConfig};
use crate::options::{DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_MESSAGE_SIZE};
use crate::proto::Role;
use crate::proto::deflate::{DeflateParams, accept_offer};
use crate::proto::handshake::{Rejection, UpgradeRequest, accept_response, parse_request, protocol_refused};
use crate::{
    CloseCode, DEFAULT_CLOSE_TIMEOUT, DeflateOptions, Error, HandshakeFailure, Heartbeat, Result, WebSocket,
};

type SelectProtocol = dyn Fn(&[String]) -> Option<String> + Send + Sync;

/// The request check of a handler without one: every request that passes the protocol's
/// checks is accepted.
pub type AcceptAll = fn(&Request<'_>) -> std::result::Result<(), Refusal>;

fn accept_all(_: &Request<'_>) -> std::result::Result<(), Refusal> {
    Ok(())
}

/// What the server agreed to for one upgrade: the subprotocol and the permessage-deflate
/// parameters with their answer.
pub(crate) struct Negotiated {
    protocol: Option<String>,
    deflate: Option<(DeflateParams, String)>,
}

impl Negotiated {
    fn extensions(&self) -> Option<&str> {
        self.deflate.as_ref().map(|(_, answer)| answer.as_str())
    }

    /// The 101's headers.
    #[cfg(feature = "hyper")]
    pub(crate) fn headers(&self, request: &UpgradeRequest) -> Vec<(&'static str, String)> {
        crate::proto::handshake::accept_headers(request, self.protocol.as_deref(), self.extensions())
    }
}

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
    max_connections: usize,
    shutdown_timeout: Duration,
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
            max_connections: tokio::sync::Semaphore::MAX_PERMITS,
            shutdown_timeout: Duration::from_secs(10),
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
    /// `timeout` after it, or when a send waits `interval + timeout` with the client taking
    /// nothing (see [`Heartbeat`]).
    ///
    /// Off by default, and worth turning on in a server facing the internet: without it a
    /// client that vanishes without FIN or RST (a phone out of coverage, a NAT that forgot
    /// the flow) is held until TCP gives up, or forever, and so is a send to a client that
    /// stopped reading. `heartbeat(Duration::from_secs(20), Duration::from_secs(10))` is what
    /// `uniws serve`, `uniws demo` and `examples/echo_server.rs` run with. It stays off by
    /// default as in tokio-tungstenite and Node's `ws` (uWebSockets' 120 s `idleTimeout` and
    /// Python `websockets`' 20 s pings are on): a library sends nothing its application did
    /// not ask for, the pongs show up in `recv` loops, and each connection then keeps a
    /// timer, which an application with its own keepalive would pay for twice.
    pub fn heartbeat(mut self, interval: Duration, timeout: Duration) -> Self {
        self.heartbeat = Some(Heartbeat { interval, timeout });
        self
    }

    /// The most connections `serve` keeps open at once (handshakes included); a client
    /// beyond them is answered with 503 once its request head is read (within the
    /// handshake timeout, so such clients are bounded in time, not in number). Default: no
    /// limit but memory's.
    pub fn max_connections(mut self, limit: usize) -> Self {
        self.max_connections = limit.min(tokio::sync::Semaphore::MAX_PERMITS);
        self
    }

    /// How long `serve_until` waits, once stopped, for the handlers of open connections to
    /// end after their 1001 close frame (default 10 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
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
        self.accept_with(stream, accept_all).await.map(|(ws, ())| ws)
    }

    /// Like [`accept`](Self::accept), with `check` run on the request before the 101: it
    /// sees the method, target, headers and peer address, and either refuses (its
    /// [`Refusal`] is sent and `accept_with` returns `Error::Handshake` with that status) or
    /// accepts with a value handed back beside the socket (the authenticated user, say).
    ///
    /// ```no_run
    /// # async fn demo(tcp: tokio::net::TcpStream) -> uniws::Result<()> {
    /// use uniws::{Refusal, ServerOptions};
    /// let (ws, user) = ServerOptions::new()
    ///     .accept_with(tcp, |request| match request.header("authorization") {
    ///         Some("Bearer s3cret") => Ok("alice"),
    ///         _ => Err(Refusal::unauthorized("Bearer")),
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn accept_with<T: Transport, S>(
        &self,
        stream: T,
        check: impl FnOnce(&Request<'_>) -> std::result::Result<S, Refusal>,
    ) -> Result<(WebSocket, S)> {
        let work = self.upgrade(Box::new(stream), check);
        // On the heap: the handshake's state is large and short-lived, and a task's size is
        // that of its largest state, kept for the connection's whole life.
        Box::pin(tokio::time::timeout(self.handshake_timeout, work)).await.unwrap_or(Err(Error::Timeout))
    }

    async fn upgrade<S>(
        &self,
        mut stream: BoxedTransport,
        check: impl FnOnce(&Request<'_>) -> std::result::Result<S, Refusal>,
    ) -> Result<(WebSocket, S)> {
        let mut buf = BytesMut::with_capacity(1024);
        let request = loop {
            match parse_request(&buf, self.max_head_size) {
                Ok(Some(request)) => break request,
                Ok(None) => {}
                Err(rejection) => return Err(refuse(stream, rejection.into()).await),
            }
            if stream.read_buf(&mut buf).await? == 0 {
                return Err(Error::handshake(None, HandshakeFailure::ClosedEarly));
            }
        };
        let state = match check(&Request::new(&request, stream.peer_addr())) {
            Ok(state) => state,
            Err(refusal) => return Err(refuse(stream, refusal).await),
        };
        let negotiated = match self.negotiate(&request) {
            Ok(negotiated) => negotiated,
            Err(rejection) => return Err(refuse(stream, rejection.into()).await),
        };
        let answer = accept_response(&request, negotiated.protocol.as_deref(), negotiated.extensions());
        stream.write_all(&answer).await?;
        stream.flush().await?;
        let _ = buf.split_to(request.head_len);
        Ok((self.socket(stream, buf, request, negotiated), state))
    }

    /// Chooses the subprotocol and answers the permessage-deflate offers of a valid request.
    pub(crate) fn negotiate(&self, request: &UpgradeRequest) -> std::result::Result<Negotiated, Rejection> {
        let protocol = self.choose_protocol(request)?;
        let deflate = accept_offer(request.headers.get_all("sec-websocket-extensions"), &self.deflate);
        Ok(Negotiated { protocol, deflate })
    }

    /// The server's socket on `stream` once the 101 went out; `buffered` holds bytes read
    /// past the request head.
    pub(crate) fn socket(
        &self,
        stream: BoxedTransport,
        buffered: BytesMut,
        request: UpgradeRequest,
        negotiated: Negotiated,
    ) -> WebSocket {
        let config = SocketConfig {
            role: Role::Server,
            max_frame_size: self.max_frame_size,
            max_message_size: self.max_message_size,
            auto_pong: self.auto_pong,
            heartbeat: self.heartbeat,
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
            request_target: Some(request.target),
            extensions: negotiated.extensions().map(str::to_owned),
            protocol: negotiated.protocol,
            deflate: negotiated.deflate.map(|(params, _)| (params, self.deflate.clone())),
        };
        WebSocket::new(stream, buffered, config)
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
    pub fn handler<H, F>(
        self,
        handler: H,
    ) -> RequestHandler<impl Fn(WebSocket, ()) -> F + Send + Sync + 'static>
    where
        H: Fn(WebSocket) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        self.checked_handler(accept_all as AcceptAll, move |ws, ()| handler(ws))
    }

    /// A [`RequestHandler`] that runs `check` on each request before the 101 (see
    /// [`accept_with`](Self::accept_with)) and hands what it accepted to `handler` with the
    /// socket.
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// use uniws::{OriginAllowList, ServerOptions, WebSocket};
    /// let origins = OriginAllowList::new(["https://app.example"]).unwrap();
    /// let handler = ServerOptions::new().checked_handler(
    ///     move |request| {
    ///         origins.check(request)?;
    ///         Ok(request.header("x-user").unwrap_or("guest").to_owned())
    ///     },
    ///     |mut ws: WebSocket, user: String| async move {
    ///         let _ = ws.send(uniws::Message::text(format!("hello {user}"))).await;
    ///     },
    /// );
    /// handler.serve(tokio::net::TcpListener::bind("127.0.0.1:9001").await?).await;
    /// # Ok(()) }
    /// ```
    pub fn checked_handler<C, S, H, F>(self, check: C, handler: H) -> RequestHandler<H, C>
    where
        C: Fn(&Request<'_>) -> std::result::Result<S, Refusal> + Send + Sync + 'static,
        H: Fn(WebSocket, S) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        RequestHandler { options: self, check: Arc::new(check), handler: Arc::new(handler) }
    }
}

/// The close frame every open connection gets when `serve_until` stops.
const GOING_AWAY: (CloseCode, &str) = (CloseCode::GOING_AWAY, "server shutting down");

/// The open connections of a `serve` loop, so that a shutdown can close them all without
/// wrapping each handler (a wrapper would grow every connection's task). Each is listed
/// once upgraded and unlisted when its handler ends.
#[derive(Clone, Default)]
struct OpenConnections(Arc<std::sync::Mutex<Listed>>);

#[derive(Default)]
struct Listed {
    closers: std::collections::HashMap<u64, Closer>,
    next: u64,
    stopping: bool,
}

impl OpenConnections {
    fn lock(&self) -> std::sync::MutexGuard<'_, Listed> {
        // Nothing panics while the lock is held (map operations only).
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Lists a socket by its closer until the returned entry is dropped. Once the server
    /// stops, the socket is sent its 1001 at once instead (from a task of its own, beside
    /// its handler, which then sees the close handshake).
    fn list(&self, closer: Closer) -> Option<ListedEntry> {
        let mut listed = self.lock();
        if listed.stopping {
            tokio::spawn(async move { closer.close(GOING_AWAY).await });
            return None;
        }
        let id = listed.next;
        listed.next += 1;
        listed.closers.insert(id, closer);
        Some(ListedEntry { open: self.clone(), id })
    }

    /// Stops listing and hands out the closers of every connection open now.
    fn stop(&self) -> Vec<Closer> {
        let mut listed = self.lock();
        listed.stopping = true;
        listed.closers.drain().map(|(_, closer)| closer).collect()
    }
}

/// A connection's place in [`OpenConnections`], given up when dropped.
struct ListedEntry {
    open: OpenConnections,
    id: u64,
}

impl Drop for ListedEntry {
    fn drop(&mut self) {
        self.open.lock().closers.remove(&self.id);
    }
}

/// A listener on `addr` bound with `SO_REUSEPORT` (and `SO_REUSEADDR`), so that several
/// accept loops can listen on one port: one per thread, each on a current-thread runtime of
/// its own, and the kernel spreads incoming connections across them (Linux hashes each
/// connection's addresses to one listener). Call it inside the runtime that will serve it.
/// The other way to use many cores is one listener served from a multi-thread runtime,
/// where tokio's workers share the connections; see the README's "Many cores".
///
/// ```no_run
/// # fn demo() -> std::io::Result<()> {
/// let addr: std::net::SocketAddr = "127.0.0.1:9001".parse().unwrap();
/// let threads: Vec<_> = (0..2)
///     .map(|_| std::thread::spawn(move || {
///         let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
///         runtime.block_on(async {
///             let handler = uniws::ServerOptions::new().handler(|ws: uniws::WebSocket| async move { drop(ws) });
///             handler.serve(uniws::bind_reuseport(addr)?).await;
///             Ok::<_, std::io::Error>(())
///         })
///     }))
///     .collect();
/// # Ok(()) }
/// ```
#[cfg(unix)]
pub fn bind_reuseport(addr: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket =
        if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Sends `refusal` in place of the 101 and closes the connection.
async fn refuse(mut stream: BoxedTransport, refusal: Refusal) -> Error {
    let _ = stream.write_all(&refusal.encode()).await;
    let _ = stream.shutdown().await;
    refusal.into_error()
}

/// Upgrades connections and hands each [`WebSocket`] to a handler: the reference's
/// `websocket-request-handler`, with a request check `C` (none by default).
pub struct RequestHandler<H, C = AcceptAll> {
    options: ServerOptions,
    check: Arc<C>,
    handler: Arc<H>,
}

impl<H, C> Clone for RequestHandler<H, C> {
    fn clone(&self) -> Self {
        Self { options: self.options.clone(), check: self.check.clone(), handler: self.handler.clone() }
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
) -> RequestHandler<impl Fn(WebSocket, ()) -> F + Send + Sync + 'static>
where
    H: Fn(WebSocket) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    ServerOptions::new().select_protocol(select_protocol).max_frame_size(max_frame_size).handler(handler)
}

impl<H, C, S, F> RequestHandler<H, C>
where
    C: Fn(&Request<'_>) -> std::result::Result<S, Refusal> + Send + Sync + 'static,
    S: Send + 'static,
    H: Fn(WebSocket, S) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    /// The options connections are accepted with.
    pub fn options(&self) -> &ServerOptions {
        &self.options
    }

    /// Upgrades one connection (after the request check) and runs the handler on it.
    pub async fn handle<T: Transport>(&self, stream: T) -> Result<()> {
        let (ws, state) = self.options.accept_with(stream, |request| (self.check)(request)).await?;
        (self.handler)(ws, state).await;
        Ok(())
    }

    /// Accepts connections from `listener` forever, each in its own task. A connection that
    /// fails its handshake is dropped; the loop goes on.
    pub async fn serve(self, listener: TcpListener) {
        self.serve_until(listener, std::future::pending()).await
    }

    /// Like [`serve`](Self::serve), until `shutdown` completes (a signal, a channel): then it
    /// stops accepting (the listener is closed), sends every open connection a close frame
    /// with 1001 (going away; one still in its handshake gets it right after), and waits for
    /// their handlers to end, at most [`ServerOptions::shutdown_timeout`]; handlers still
    /// running then are dropped, which closes their connections.
    ///
    /// ```no_run
    /// # async fn demo(handler: uniws::RequestHandler<fn(uniws::WebSocket, ()) -> std::future::Ready<()>>) -> std::io::Result<()> {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
    /// handler.serve_until(listener, async { let _ = tokio::signal::ctrl_c().await; }).await;
    /// # Ok(()) }
    /// ```
    pub async fn serve_until(self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        self.serve_with(listener, shutdown, |_, tcp| async move { Ok(tcp) }).await
    }

    /// Like [`serve`](Self::serve), with TLS on every connection. The TLS handshake counts
    /// toward the handshake timeout.
    pub async fn serve_tls(self, listener: TcpListener, config: Arc<rustls::ServerConfig>) {
        self.serve_tls_until(listener, config, std::future::pending()).await
    }

    /// [`serve_until`](Self::serve_until) with TLS on every connection.
    pub async fn serve_tls_until(
        self,
        listener: TcpListener,
        config: Arc<rustls::ServerConfig>,
        shutdown: impl Future<Output = ()>,
    ) {
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        self.serve_with(listener, shutdown, move |limit, tcp| {
            let accept = acceptor.accept(tcp);
            async move {
                tokio::time::timeout(limit, accept).await.map_err(|_| Error::Timeout)?.map_err(tls_error)
            }
        })
        .await
    }

    /// The accept loop: `secure` turns each TCP connection into the stream the WebSocket
    /// runs over (within the handshake timeout it is given).
    async fn serve_with<N, NF, T>(self, listener: TcpListener, shutdown: impl Future<Output = ()>, secure: N)
    where
        N: Fn(Duration, tokio::net::TcpStream) -> NF,
        NF: Future<Output = Result<T>> + Send + 'static,
        T: Transport,
    {
        let open = OpenConnections::default();
        let limit = Arc::new(tokio::sync::Semaphore::new(self.options.max_connections));
        let mut connections = tokio::task::JoinSet::new();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                () = &mut shutdown => break,
                // Reaps the tasks of connections that ended, so the set holds open ones only.
                Some(_) = connections.join_next(), if !connections.is_empty() => continue,
                accepted = listener.accept() => accepted,
            };
            let Ok((tcp, _)) = accepted else {
                // Out of descriptors or a connection aborted before accept: wait a moment
                // rather than spin, and go on serving.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let permit = limit.clone().try_acquire_owned().ok();
            let stream = secure(self.options.handshake_timeout, tcp);
            connections.spawn(self.clone().connection(stream, permit, open.clone()));
        }
        drop(listener);
        let closers = open.stop();
        let closes = futures_util::future::join_all(closers.iter().map(|closer| closer.close(GOING_AWAY)));
        let drain = async {
            closes.await;
            while connections.join_next().await.is_some() {}
        };
        if tokio::time::timeout(self.options.shutdown_timeout, drain).await.is_err() {
            connections.shutdown().await;
        }
    }

    /// One connection of the accept loop. `permit` is its place under the connection limit,
    /// held until it ends; `None` when over it.
    async fn connection<T: Transport>(
        self,
        stream: impl Future<Output = Result<T>>,
        permit: Option<tokio::sync::OwnedSemaphorePermit>,
        open: OpenConnections,
    ) -> Result<()> {
        self.run(stream, permit.is_some(), &open).await
    }

    /// [`handle`](Self::handle) for the accept loop: `stream` becomes the transport (TLS
    /// or not), the request is refused with 503 unless `admitted`, and the socket is listed
    /// in `open` while its handler runs, so that a shutdown can close it.
    async fn run<T: Transport>(
        &self,
        stream: impl Future<Output = Result<T>>,
        admitted: bool,
        open: &OpenConnections,
    ) -> Result<()> {
        let stream = stream.await?;
        let (ws, state) = self
            .options
            .accept_with(stream, |request| {
                if admitted {
                    (self.check)(request)
                } else {
                    Err(Refusal::unavailable("too many connections"))
                }
            })
            .await?;
        let (ws, closer) = ws.with_closer();
        let _listed = open.list(closer);
        (self.handler)(ws, state).await;
        Ok(())
    }
}
