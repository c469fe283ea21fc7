//! The seam between the surface and the backends: the facts of a connection, held once in
//! [`Facts`] that both halves of either backend reach (each backend says where, with
//! `facts()`), and what is written once on top of them for [`WebSocket`], [`SendHalf`] and
//! [`RecvHalf`] on every target: the accessors (one definition for the three types, so the
//! compiler keeps the surfaces of the socket, the halves and the two targets equal) and the
//! end of the close handshake, over the backends' [`FrameSource`].

use std::net::SocketAddr;
use std::time::Duration;

use crate::assemble::FrameSource;
use crate::{Error, MessageType, RecvHalf, Result, SendHalf, WebSocket};

/// What a connection is, settled once its handshake is done.
#[derive(Debug)]
pub(crate) struct Facts {
    /// The negotiated subprotocol.
    pub(crate) protocol: Option<String>,
    /// The negotiated `Sec-WebSocket-Extensions` value (in a browser, the browser's).
    pub(crate) extensions: Option<String>,
    /// On a server, the path and query the client asked for.
    pub(crate) request_target: Option<String>,
    pub(crate) local_addr: Option<SocketAddr>,
    pub(crate) peer_addr: Option<SocketAddr>,
    /// The frame size limit for both directions.
    pub(crate) max_frame_size: usize,
    /// The `recv_all` limit of the `Messages` stream.
    pub(crate) max_message_size: usize,
    /// How long the peer's close is awaited after ours.
    pub(crate) close_timeout: Duration,
}

impl WebSocket {
    fn facts(&self) -> &Facts {
        self.send.facts()
    }
}

/// The accessors, for each type given; its `facts()` says where they are.
macro_rules! accessors {
    ($($carrier:ty),+) => {$(
        impl $carrier {
            /// The negotiated subprotocol, if any.
            pub fn protocol(&self) -> Option<&str> {
                self.facts().protocol.as_deref()
            }

            /// The negotiated extensions, as the `Sec-WebSocket-Extensions` value
            /// (`permessage-deflate` and its parameters when compression is on), or `None`.
            /// In a browser, the browser's `WebSocket.extensions`.
            pub fn extensions(&self) -> Option<&str> {
                self.facts().extensions.as_deref()
            }

            /// The frame size limit for both directions.
            pub fn max_frame_size(&self) -> usize {
                self.facts().max_frame_size
            }

            /// The limit on whole messages received through
            /// [`WebSocket::into_messages`] (`max_message_size` of the options, default
            /// 64 MiB).
            pub fn max_message_size(&self) -> usize {
                self.facts().max_message_size
            }

            /// On a server, the request target (path and query) of the client's upgrade
            /// request; `None` on a client.
            pub fn request_target(&self) -> Option<&str> {
                self.facts().request_target.as_deref()
            }

            /// The local address, when the transport has one (a browser does not tell).
            pub fn local_addr(&self) -> Option<SocketAddr> {
                self.facts().local_addr
            }

            /// The peer's address, when the transport has one (a browser does not tell).
            pub fn peer_addr(&self) -> Option<SocketAddr> {
                self.facts().peer_addr
            }
        }
    )+};
}

accessors!(WebSocket, SendHalf, RecvHalf);

impl RecvHalf {
    /// The rest of the close handshake that [`SendHalf::close`] started: receives and drops
    /// what arrives until the peer's close (or the end of the connection). It waits at most
    /// the close timeout (5 seconds by default) from the close, then fails with
    /// [`Error::Timeout`].
    pub async fn finish_close(&mut self) -> Result<()> {
        loop {
            match self.recv_frame(usize::MAX, false).await {
                Ok(m) if m.message_type() == MessageType::Close => return Ok(()),
                Ok(_) => {}
                Err(Error::Closed) => return Ok(()),
                Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }
}
