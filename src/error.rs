//! The one error type of the crate, whatever the backend, and the close code each protocol
//! error puts on the wire.

use std::borrow::Cow;

use crate::proto::{CloseCode, HandshakeFailure, Violation};

/// Everything that can go wrong with a WebSocket. Match on the variant; the `Display` text is
/// for people.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The WebSocket is closed (the close handshake finished, or the connection failed
    /// earlier): nothing more can be sent or received.
    #[error("the WebSocket is closed")]
    Closed,

    /// A frame is larger than `max_frame_size`: on send, nothing was sent; on receive, the
    /// header announced it and the connection was failed with 1009 before reading the payload,
    /// or, compressed, it inflated past the limit and the connection was failed then.
    #[error("frame of {size} bytes exceeds the maximum frame size of {max} bytes")]
    FrameTooLarge {
        /// The frame's payload size: inflated, if compressed (counted up to 64 MiB past the
        /// limit), unless its header already announced more than deflate makes of the limit.
        size: u64,
        /// The limit.
        max: usize,
    },

    /// A message assembled by `recv_all` would exceed its `max_message_size`; the connection
    /// was failed with 1009.
    #[error("message exceeds the maximum message size of {max} bytes")]
    MessageTooLarge {
        /// The limit.
        max: usize,
    },

    /// A message assembled by `recv_all` came in more fragments than it allows; the
    /// connection was failed with 1009.
    #[error("message in more than {max} fragments")]
    TooManyFragments {
        /// The limit.
        max: usize,
    },

    /// The peer broke a rule of RFC 6455 or 7692 (which one is the [`Violation`]); the
    /// connection was failed with its close code (1002, or 1007 for data that does not
    /// inflate).
    #[error("protocol violation (close code {code}): {0}", code = .0.close_code())]
    Protocol(Violation),

    /// In the browser, which cannot stop reading: the messages received and not yet read
    /// went over `max` bytes, so we closed the connection with 1008 (4008 on the wire, the
    /// browser's range). Ours to avoid by reading, not the peer's fault.
    #[error("the receive queue went over its limit of {max} unread bytes")]
    ReceiveQueueFull {
        /// The limit: 64 MiB, or 16 frames of `max_frame_size` when that is more.
        max: usize,
    },

    /// A text message or close reason was not valid UTF-8; the connection was failed with 1007.
    #[error("invalid UTF-8 in a text message or close reason")]
    InvalidUtf8,

    /// The message given to `send` cannot be sent as it is (a control message over 125 bytes
    /// or partial, a close code that may not be sent, a new message while a fragmented one
    /// is unfinished).
    #[error("invalid message: {0}")]
    InvalidMessage(Cow<'static, str>),

    /// The opening handshake failed: `status` is the HTTP status involved (the server's
    /// answer on a client; the answer we sent on a server), if any; `failure` says which
    /// rule or event.
    #[error("handshake failed{}: {failure}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Handshake {
        /// The HTTP status.
        status: Option<u16>,
        /// What went wrong.
        failure: HandshakeFailure,
    },

    /// The options given cannot be used as they are (a subprotocol that is not a token, a
    /// header with a line break): the caller's mistake, found before anything was sent.
    #[error("invalid options: {0}")]
    InvalidOptions(Cow<'static, str>),

    /// The proxy failed: it refused the tunnel (`status` is its HTTP answer, 407 when it
    /// wants credentials), or its SOCKS5 negotiation failed.
    #[error("proxy failed{}: {reason}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Proxy {
        /// The HTTP proxy's status.
        status: Option<u16>,
        /// What was wrong.
        reason: Cow<'static, str>,
    },

    /// The URL cannot be used for a WebSocket connection.
    #[error("invalid URL: {0}")]
    InvalidUrl(Cow<'static, str>),

    /// An operation took longer than its timeout.
    #[error("timed out")]
    Timeout,

    /// TLS failed (certificate not trusted, wrong host, expired, handshake error).
    #[error("TLS error: {0}")]
    Tls(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// The heartbeat heard nothing from the peer in time, or (natively) a send waited
    /// `interval + timeout` with the transport taking nothing (see
    /// [`Heartbeat`](crate::Heartbeat)); the connection was failed with 1011.
    #[error("the peer did not answer the heartbeat in time")]
    HeartbeatTimeout,

    /// The transport failed; an unexpected end of stream is `UnexpectedEof`.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// The backend cannot do this (the browser cannot set headers, for instance); names the
    /// option or operation.
    #[error("unsupported on this backend: {0}")]
    Unsupported(Cow<'static, str>),
}

impl Error {
    pub(crate) fn handshake(status: Option<u16>, failure: HandshakeFailure) -> Self {
        Self::Handshake { status, failure }
    }

    /// The close code that fails the connection after this error was seen on receive, if the
    /// error is the peer's fault.
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Self::Protocol(violation) => Some(violation.close_code()),
            Self::HeartbeatTimeout => Some(CloseCode::INTERNAL_ERROR),
            Self::ReceiveQueueFull { .. } => Some(CloseCode::POLICY_VIOLATION),
            Self::InvalidUtf8 => Some(CloseCode::INVALID_PAYLOAD),
            Self::FrameTooLarge { .. } | Self::MessageTooLarge { .. } | Self::TooManyFragments { .. } => {
                Some(CloseCode::MESSAGE_TOO_BIG)
            }
            _ => None,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
