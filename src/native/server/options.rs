//! `ServerOptions`: how a server accepts connections (subprotocol choice, limits, the
//! handshake's deadline and size cap, heartbeat, permessage-deflate, the connection limit
//! and shutdown), and what it negotiates for one upgrade request.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;

use crate::native::check::{Refusal, Request};
use crate::native::transport::BoxedTransport;
use crate::native::websocket::SocketConfig;
use crate::options::{DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_MESSAGE_SIZE};
use crate::proto::Role;
use crate::proto::deflate::{DeflateParams, accept_offer};
use crate::proto::handshake::{Rejection, UpgradeRequest, protocol_refused};
use crate::{DEFAULT_CLOSE_TIMEOUT, DeflateOptions, Heartbeat, Result, WebSocket};

type SelectProtocol = dyn Fn(&[String]) -> Option<String> + Send + Sync;

/// The request check of a handler without one: every request that passes the protocol's
/// checks is accepted.
pub type AcceptAll = fn(&Request<'_>) -> std::result::Result<(), Refusal>;

pub(super) fn accept_all(_: &Request<'_>) -> std::result::Result<(), Refusal> {
    Ok(())
}

/// What the server agreed to for one upgrade: the subprotocol and the permessage-deflate
/// parameters with their answer.
pub(crate) struct Negotiated {
    pub(super) protocol: Option<String>,
    pub(super) deflate: Option<(DeflateParams, String)>,
}

impl Negotiated {
    pub(super) fn extensions(&self) -> Option<&str> {
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
    pub(super) select_protocol: Option<Arc<SelectProtocol>>,
    pub(super) max_frame_size: usize,
    pub(super) max_message_size: usize,
    pub(super) handshake_timeout: Duration,
    pub(super) max_head_size: usize,
    pub(super) auto_pong: bool,
    pub(super) heartbeat: Option<Heartbeat>,
    pub(super) deflate: DeflateOptions,
    pub(super) max_connections: usize,
    pub(super) shutdown_timeout: Duration,
    pub(super) close_timeout: Duration,
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
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
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

    /// The largest frame `recv` hands out and `send` allows; `send_all` cuts messages into
    /// frames of this size (default 1 MiB). A frame larger than this fails `recv` with
    /// `FrameTooLarge` (1009), but `recv_all` takes it: its limit is the message's, since the
    /// size of the peer's frames is the peer's choice. So two ends with different limits
    /// exchange whole messages whatever their frame sizes (as a browser, which takes any);
    /// frame by frame, the receiver's limit must be at least the sender's.
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

    /// How long a connection's `close` waits for the client's close, a failing connection for
    /// its close frame to go out, and a connection whose client closed for the client to end
    /// TCP after our answer (default [`DEFAULT_CLOSE_TIMEOUT`], 5 seconds), as
    /// [`ConnectOptions::close_timeout`](crate::ConnectOptions::close_timeout) on a client.
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// How permessage-deflate offers are answered (default [`DeflateOptions::server`]: the
    /// first valid offer accepted, no context takeover either way, so an idle connection
    /// holds no compression state); [`DeflateOptions::disabled`] declines them all.
    pub fn deflate(mut self, options: DeflateOptions) -> Self {
        self.deflate = options;
        self
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
            close_timeout: self.close_timeout,
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
}
