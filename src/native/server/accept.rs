//! Accepting one connection on any stream: the upgrade request read within a size cap and a
//! deadline (a slow or hostile client cannot hold resources), the request check before the
//! 101, and a refusal sent in place of the 101.

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::native::check::{Refusal, Request};
use crate::native::transport::{BoxedTransport, Transport};
use crate::proto::handshake::{accept_response, parse_request};
use crate::{Error, HandshakeFailure, Result, WebSocket};

use super::options::{ServerOptions, accept_all};

impl ServerOptions {
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
}

/// Sends `refusal` in place of the 101 and closes the connection.
pub(super) async fn refuse(mut stream: BoxedTransport, refusal: Refusal) -> Error {
    let _ = stream.write_all(&refusal.encode()).await;
    let _ = stream.shutdown().await;
    refusal.into_error()
}
