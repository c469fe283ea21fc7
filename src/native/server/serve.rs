//! The serve loops: the reference's `request_handler(continue, select_protocol,
//! max_frame_size)`, a `RequestHandler` that upgrades every connection of a TCP listener
//! (with or without TLS) and hands each socket to the handler, the connection limit, and
//! the graceful shutdown that closes every open connection with 1001.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::native::check::{Refusal, Request};
use crate::native::tls::tls_error;
use crate::native::transport::Transport;
use crate::native::websocket::Closer;
use crate::{CloseCode, Error, Result, WebSocket};

use super::options::{AcceptAll, ServerOptions, accept_all};

impl ServerOptions {
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
