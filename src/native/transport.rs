//! The byte streams a WebSocket runs over: anything tokio can read and write, plus the
//! addresses of its two ends when it has them.

use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncWrite};

/// The reading half of a split transport.
pub type TransportReader = Box<dyn AsyncRead + Send + Unpin>;

/// The writing half of a split transport.
pub type TransportWriter = Box<dyn AsyncWrite + Send + Unpin>;

/// A stream a [`WebSocket`](crate::WebSocket) can run over. Implemented for TCP, TLS over
/// any transport, Unix sockets and in-memory duplex pipes; implement it (the address methods
/// have defaults) to run over anything else.
pub trait Transport: AsyncRead + AsyncWrite + Send + Unpin + 'static {
    /// The local address, if the stream has one.
    fn local_addr(&self) -> Option<SocketAddr> {
        None
    }

    /// The peer's address, if the stream has one.
    fn peer_addr(&self) -> Option<SocketAddr> {
        None
    }

    /// Splits the stream into halves that read and write independently. The default shares
    /// the stream behind a lock ([`tokio::io::split`]), taken on every read and write;
    /// override it for a stream that splits without one, as TCP does.
    fn into_halves(self: Box<Self>) -> (TransportReader, TransportWriter) {
        let (read, write) = tokio::io::split(self);
        (Box::new(read), Box::new(write))
    }
}

impl Transport for tokio::net::TcpStream {
    fn local_addr(&self) -> Option<SocketAddr> {
        tokio::net::TcpStream::local_addr(self).ok()
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        tokio::net::TcpStream::peer_addr(self).ok()
    }

    fn into_halves(self: Box<Self>) -> (TransportReader, TransportWriter) {
        let (read, write) = self.into_split();
        (Box::new(read), Box::new(write))
    }
}

impl<T: Transport> Transport for tokio_rustls::client::TlsStream<T> {
    fn local_addr(&self) -> Option<SocketAddr> {
        self.get_ref().0.local_addr()
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        self.get_ref().0.peer_addr()
    }
}

impl<T: Transport> Transport for tokio_rustls::server::TlsStream<T> {
    fn local_addr(&self) -> Option<SocketAddr> {
        self.get_ref().0.local_addr()
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        self.get_ref().0.peer_addr()
    }
}

impl Transport for tokio::io::DuplexStream {}

#[cfg(unix)]
impl Transport for tokio::net::UnixStream {}

impl Transport for Box<dyn Transport> {
    fn local_addr(&self) -> Option<SocketAddr> {
        (**self).local_addr()
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        (**self).peer_addr()
    }

    fn into_halves(self: Box<Self>) -> (TransportReader, TransportWriter) {
        (*self).into_halves()
    }
}

/// A transport with its type erased, so every WebSocket has one type.
pub(crate) type BoxedTransport = Box<dyn Transport>;
