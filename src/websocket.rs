//! The one `WebSocket` type: the sending and the receiving half of whichever backend is
//! built, with the operations written once for both targets on top of each backend's
//! `FrameSink` and `FrameSource`; its accessors are in `connection.rs`, with the halves'.
//! What differs (opening, the first half of closing) lives beside each backend.

use std::time::Duration;

use crate::assemble::{self, FrameSink};
use crate::{Message, RecvHalf, Result, SendHalf};

/// A WebSocket connection: the reference's `WebSocket`, natively over any
/// [`Transport`](crate::Transport), in a browser over the browser's own.
///
/// Natively, sending waits until the transport has taken the frame, so a slow peer slows the
/// sender rather than growing a buffer; pings are answered automatically (see `auto_pong` in
/// [`ConnectOptions`](crate::ConnectOptions)) and still returned by `recv`. A `recv` past the
/// input timeout fails with [`Error::Timeout`](crate::Error::Timeout) and the socket stays
/// usable (nothing read is lost); a `send` past the output timeout fails the same way and the
/// unsent rest of its frame goes out first on the next operation.
///
/// In a browser the message model is emulated on the browser's whole messages (see the
/// README), and what a browser cannot do is an [`Error::Unsupported`](crate::Error::Unsupported).
pub struct WebSocket {
    pub(crate) send: SendHalf,
    pub(crate) recv: RecvHalf,
}

impl WebSocket {
    /// Sends one frame; fails with [`Error::FrameTooLarge`](crate::Error::FrameTooLarge) if
    /// its payload exceeds `max_frame_size`. A partial message is followed by more of the
    /// same type.
    ///
    /// Safe to cancel (a `send` in a `tokio::select!` branch that loses, or past the output
    /// timeout): the connection never carries half a frame. The cancelled frame either was
    /// not taken, or was and goes out whole before anything sent next.
    #[inline]
    pub fn send(&mut self, message: impl Into<Message>) -> impl Future<Output = Result<()>> {
        self.send.send(message)
    }

    /// Sends a whole message of any size, in frames of at most `max_frame_size`.
    #[inline]
    pub fn send_all(&mut self, message: impl Into<Message>) -> impl Future<Output = Result<()>> {
        self.send.send_all(message)
    }

    /// Receives the next frame as a message (partial ones included).
    ///
    /// Cancel-safe, as is `recv_all`: dropping the future (a `tokio::select!` branch that
    /// loses, or the input timeout) loses nothing. Bytes read stay buffered, a decoded frame
    /// stays ready and a message half put together by `recv_all` is kept, so the next call
    /// takes up where the dropped one stopped.
    #[inline]
    pub fn recv(&mut self) -> impl Future<Output = Result<Message>> {
        self.recv.recv()
    }

    /// Receives a whole message, assembling its frames; fails with
    /// [`Error::MessageTooLarge`](crate::Error::MessageTooLarge) (and closes with 1009) once
    /// it exceeds `max_message_size`. Its limit is the message's: a frame larger than
    /// `max_frame_size` is taken within it (the peer chooses its frame size).
    #[inline]
    pub fn recv_all(&mut self, max_message_size: usize) -> impl Future<Output = Result<Message>> {
        self.recv.recv_all(max_message_size)
    }

    /// The input timeout: how long `recv` and `recv_all` wait (`None`: forever).
    pub fn set_input_timeout(&mut self, timeout: Option<Duration>) {
        self.recv.set_input_timeout(timeout);
    }

    /// The output timeout: how long `send` and `send_all` wait (`None`: forever).
    pub fn set_output_timeout(&mut self, timeout: Option<Duration>) {
        self.send.set_output_timeout(timeout);
    }

    /// Splits the socket into halves that two tasks can use at once.
    pub fn split(self) -> (SendHalf, RecvHalf) {
        #[cfg(not(target_arch = "wasm32"))]
        let recv = self.recv.split_off();
        #[cfg(target_arch = "wasm32")]
        let recv = self.recv;
        (self.send, recv)
    }
}

impl SendHalf {
    /// See [`WebSocket::send`].
    #[inline]
    pub fn send(&mut self, message: impl Into<Message>) -> impl Future<Output = Result<()>> {
        self.send_frame(message.into())
    }

    /// See [`WebSocket::send_all`].
    #[inline]
    pub fn send_all(&mut self, message: impl Into<Message>) -> impl Future<Output = Result<()>> {
        assemble::send_all(self, message.into())
    }
}

impl std::fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("protocol", &self.protocol())
            .field("max_frame_size", &self.max_frame_size())
            .finish_non_exhaustive()
    }
}
