//! The native `WebSocket` and its two halves: the public operations, timeouts, the close
//! handshake and the state both halves share (the writer, the negotiated subprotocol and
//! extensions, and the stream's addresses).

use std::net::SocketAddr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::BytesMut;

use super::reader::Reader;
use super::transport::{BoxedTransport, Transport};
use super::writer::{Outbox, Writer};
use crate::assemble::{Assembly, FrameSink, FrameSource};
use crate::proto::deflate::{DeflateParams, Deflater, Inflater};
use crate::proto::{Decoder, Encoder, Role};
use crate::{
    CloseCode, DEFAULT_CLOSE_TIMEOUT, DeflateOptions, Error, Message, MessageType, Result, WebSocket,
};

/// What both halves share.
struct Shared {
    outbox: Outbox,
    protocol: Option<String>,
    extensions: Option<String>,
    request_target: Option<String>,
    local_addr: Option<SocketAddr>,
    peer_addr: Option<SocketAddr>,
    max_frame_size: usize,
    auto_pong: bool,
    close_timeout: Duration,
}

/// How a connection is set up once its handshake is done.
#[derive(Debug, Clone)]
pub(crate) struct SocketConfig {
    pub(crate) role: Role,
    pub(crate) max_frame_size: usize,
    pub(crate) auto_pong: bool,
    pub(crate) protocol: Option<String>,
    /// The path and query the client asked for, on a server.
    pub(crate) request_target: Option<String>,
    /// The negotiated `Sec-WebSocket-Extensions` value.
    pub(crate) extensions: Option<String>,
    /// permessage-deflate as negotiated, with our side's level and threshold.
    pub(crate) deflate: Option<(DeflateParams, DeflateOptions)>,
}

/// The sending half of a split [`WebSocket`].
pub struct SendHalf {
    shared: Arc<Shared>,
    output_timeout: Option<Duration>,
}

/// The receiving half of a split [`WebSocket`]; it answers pings and the peer's close itself.
pub struct RecvHalf {
    shared: Arc<Shared>,
    reader: Reader,
    assembly: Assembly,
    input_timeout: Option<Duration>,
}

/// Sends a close frame on a socket that someone else owns (the server's graceful shutdown,
/// while the handler holds the socket). It holds the connection weakly, so it keeps nothing
/// alive once the handler drops the socket.
pub(crate) struct Closer(Weak<Shared>);

impl Closer {
    /// Starts the close handshake, as [`SendHalf::close`] does: the owner's next receive
    /// sees the peer's answer, its sends fail with `Error::Closed`.
    pub(crate) async fn close(&self, (code, reason): (CloseCode, &str)) {
        if let Some(shared) = self.0.upgrade() {
            // A socket already closed or failed has nothing left to close.
            let _ = shared.outbox.send(Message::close(code, reason)).await;
        }
    }
}

/// `work`, failing with `Timeout` after `limit`. The timer lives on the heap: tokio's is
/// large, and inline it would grow the future of every send and receive, timed or not.
async fn timed<T>(limit: Duration, work: impl Future<Output = Result<T>>) -> Result<T> {
    Box::pin(tokio::time::timeout(limit, work)).await.unwrap_or(Err(Error::Timeout))
}

impl WebSocket {
    /// Runs the WebSocket protocol over a stream whose opening handshake is already done.
    /// `role` says which end we are (clients mask their frames).
    pub fn from_stream<T: Transport>(stream: T, role: Role, max_frame_size: usize) -> Self {
        let config = SocketConfig {
            role,
            max_frame_size,
            auto_pong: true,
            protocol: None,
            request_target: None,
            extensions: None,
            deflate: None,
        };
        Self::new(Box::new(stream), BytesMut::new(), config)
    }

    /// `buffered` holds bytes read past the handshake: the first frames.
    pub(crate) fn new(stream: BoxedTransport, buffered: BytesMut, config: SocketConfig) -> Self {
        let (local_addr, peer_addr) = (stream.local_addr(), stream.peer_addr());
        let (read, write) = stream.into_halves();
        let mut encoder = Encoder::new(config.role, config.max_frame_size);
        let mut decoder = Decoder::new(config.role, config.max_frame_size);
        if let Some((params, options)) = &config.deflate {
            let (reset, bits) = params.sending(config.role);
            encoder = encoder.with_deflater(Deflater::new(options.level, bits, reset, options.threshold));
            let (reset, bits) = params.receiving(config.role);
            decoder = decoder.with_inflater(Inflater::new(bits, reset));
        }
        let shared = Arc::new(Shared {
            outbox: Outbox::new(Writer::new(write, encoder)),
            protocol: config.protocol,
            extensions: config.extensions,
            request_target: config.request_target,
            local_addr,
            peer_addr,
            max_frame_size: config.max_frame_size,
            auto_pong: config.auto_pong,
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
        });
        Self {
            send: SendHalf { shared: shared.clone(), output_timeout: None },
            recv: RecvHalf {
                shared,
                reader: Reader::new(read, buffered, decoder),
                assembly: Assembly::default(),
                input_timeout: None,
            },
        }
    }

    /// The socket back, with a handle that can start its close handshake from another task.
    /// It takes the socket by value so that a caller's future never borrows it: rustc keeps
    /// room for a borrowed local across every later await, and the server's tasks would
    /// carry a second socket's worth of bytes each.
    pub(crate) fn with_closer(self) -> (Self, Closer) {
        let closer = Closer(Arc::downgrade(&self.send.shared));
        (self, closer)
    }

    /// On a server, the request target (path and query) of the client's upgrade request;
    /// `None` on a client.
    pub fn request_target(&self) -> Option<&str> {
        self.send.shared.request_target.as_deref()
    }

    /// The local address, when the transport has one.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.send.shared.local_addr
    }

    /// The peer's address, when the transport has one.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.send.shared.peer_addr
    }

    /// The close handshake: sends a close frame with `code` and `reason`, waits (at most
    /// 5 seconds) for the peer's, discarding data that arrives meanwhile, and shuts the
    /// stream down. Closing a closed socket does nothing.
    pub async fn close(&mut self, code: impl Into<CloseCode>, reason: &str) -> Result<()> {
        match self.send.send(Message::close(code, reason)).await {
            Ok(()) | Err(Error::Closed) => {}
            Err(e) => return Err(e),
        }
        let limit = self.send.shared.close_timeout;
        let answer = tokio::time::timeout(limit, async {
            loop {
                match self.recv.recv_frame(usize::MAX, false).await {
                    Ok(m) if m.message_type() == MessageType::Close => return Ok(()),
                    Ok(_) => {}
                    Err(Error::Closed) => return Ok(()),
                    Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
                    Err(e) => return Err(e),
                }
            }
        })
        .await
        .unwrap_or(Err(Error::Timeout));
        let shutdown = self.send.shared.outbox.shutdown().await;
        answer.and(shutdown)
    }
}

impl SendHalf {
    /// Sends a close frame; the receiving half sees the peer's answer, which ends the
    /// handshake.
    pub async fn close(&mut self, code: impl Into<CloseCode>, reason: &str) -> Result<()> {
        self.send(Message::close(code, reason)).await
    }

    /// See [`WebSocket::protocol`].
    pub fn protocol(&self) -> Option<&str> {
        self.shared.protocol.as_deref()
    }

    /// See [`WebSocket::extensions`].
    pub fn extensions(&self) -> Option<&str> {
        self.shared.extensions.as_deref()
    }

    /// See [`WebSocket::max_frame_size`].
    pub fn max_frame_size(&self) -> usize {
        self.shared.max_frame_size
    }

    /// See [`WebSocket::set_output_timeout`].
    pub fn set_output_timeout(&mut self, timeout: Option<Duration>) {
        self.output_timeout = timeout;
    }
}

impl RecvHalf {
    /// See [`WebSocket::protocol`].
    pub fn protocol(&self) -> Option<&str> {
        self.shared.protocol.as_deref()
    }

    /// See [`WebSocket::max_frame_size`].
    pub fn max_frame_size(&self) -> usize {
        self.reader.max_frame_size()
    }

    /// See [`WebSocket::set_input_timeout`].
    pub fn set_input_timeout(&mut self, timeout: Option<Duration>) {
        self.input_timeout = timeout;
    }
}

impl FrameSink for SendHalf {
    fn max_frame_size(&self) -> usize {
        self.shared.max_frame_size
    }

    async fn send_frame(&mut self, message: Message) -> Result<()> {
        let send = self.shared.outbox.send(message);
        match self.output_timeout {
            None => send.await,
            Some(limit) => timed(limit, send).await,
        }
    }
}

impl FrameSource for RecvHalf {
    async fn fail(&mut self, error: &Error) {
        self.reader.stop();
        self.shared.outbox.fail(error, self.shared.close_timeout).await;
    }

    async fn recv_frame(&mut self, budget: usize, whole: bool) -> Result<Message> {
        let shared = &*self.shared;
        let work = self.reader.recv(budget, whole, &shared.outbox, shared.auto_pong, shared.close_timeout);
        match self.input_timeout {
            None => work.await,
            Some(limit) => timed(limit, work).await,
        }
    }

    fn assembly(&mut self) -> &mut Assembly {
        &mut self.assembly
    }
}
