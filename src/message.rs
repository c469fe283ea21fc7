//! The message model: a message is the unit of I/O, with its data, its type and a partial
//! flag ("more of this message follows"), plus the close code a close message carries.

use std::fmt;

use bytes::Bytes;

use crate::proto::CloseCode;

/// The kind of a [`Message`]: the reference's `'binary`, `'text`, `'ping`, `'pong`, `'close`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// Arbitrary bytes.
    Binary,
    /// UTF-8 text.
    Text,
    /// A ping; the peer answers it with a pong carrying the same data.
    Ping,
    /// A pong, the answer to a ping (or an unsolicited heartbeat).
    Pong,
    /// The close handshake: a status code and a UTF-8 reason.
    Close,
}

impl MessageType {
    /// The sending rule of a fragmented message, for both backends: after partial frames of
    /// a message of this type, a data frame of type `next` may only continue it.
    pub(crate) fn check_continued_by(self, next: MessageType) -> crate::Result<()> {
        if self == next {
            return Ok(());
        }
        Err(crate::Error::InvalidMessage(
            format!("a partial {self} message is unfinished; cannot send {next}").into(),
        ))
    }

    /// Whether this is a control type (ping, pong, close): at most 125 bytes, never partial.
    pub fn is_control(self) -> bool {
        matches!(self, Self::Ping | Self::Pong | Self::Close)
    }

    /// The reference's name of the type: "binary", "text", "ping", "pong" or "close".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Binary => "binary",
            Self::Text => "text",
            Self::Ping => "ping",
            Self::Pong => "pong",
            Self::Close => "close",
        }
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A WebSocket message: data, type and a partial flag, as in the reference's `message`.
///
/// Text and close data are always valid UTF-8 (a close message's data is its reason);
/// binary, ping and pong data are bytes. `partial` means more of this message follows: it is
/// one frame of a fragmented message. A text message received in fragments is cut at
/// character boundaries, so every partial text message is valid UTF-8 on its own.
///
/// ```
/// use uniws::{Message, MessageType};
/// let m = Message::text("hello").with_partial(true);
/// assert_eq!(m.message_type(), MessageType::Text);
/// assert_eq!(m.as_text(), Some("hello"));
/// assert!(m.is_partial());
/// assert_eq!(Message::binary(vec![1, 2, 3]).data(), &[1, 2, 3]);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    data: Bytes,
    kind: MessageType,
    partial: bool,
    close_code: Option<CloseCode>,
    /// Sent without compression even where permessage-deflate is on.
    uncompressed: bool,
}

impl Message {
    fn new(kind: MessageType, data: Bytes) -> Self {
        Self { data, kind, partial: false, close_code: None, uncompressed: false }
    }

    /// A text message.
    pub fn text(text: impl Into<String>) -> Self {
        Self::new(MessageType::Text, Bytes::from(text.into()))
    }

    /// A binary message.
    pub fn binary(data: impl Into<Bytes>) -> Self {
        Self::new(MessageType::Binary, data.into())
    }

    /// A ping (at most 125 bytes).
    pub fn ping(data: impl Into<Bytes>) -> Self {
        Self::new(MessageType::Ping, data.into())
    }

    /// A pong (at most 125 bytes).
    pub fn pong(data: impl Into<Bytes>) -> Self {
        Self::new(MessageType::Pong, data.into())
    }

    /// A close message with a status code and a reason (at most 123 bytes of UTF-8).
    pub fn close(code: impl Into<CloseCode>, reason: impl Into<String>) -> Self {
        let mut message = Self::new(MessageType::Close, Bytes::from(reason.into()));
        message.close_code = Some(code.into());
        message
    }

    /// A close message with no status code (an empty close frame; the peer sees 1005).
    pub fn close_without_code() -> Self {
        Self::new(MessageType::Close, Bytes::new())
    }

    /// A close message whose reason is already known to be valid UTF-8 (from the codec).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn close_from_utf8(code: Option<CloseCode>, reason: Bytes) -> Self {
        debug_assert!(std::str::from_utf8(&reason).is_ok());
        let mut message = Self::new(MessageType::Close, reason);
        message.close_code = code;
        message
    }

    /// A data message of `kind` (text or binary) from bytes; text must be valid UTF-8.
    pub(crate) fn data_frame(kind: MessageType, data: Bytes, partial: bool) -> Self {
        debug_assert!(kind != MessageType::Text || std::str::from_utf8(&data).is_ok());
        Self { data, kind, partial, close_code: None, uncompressed: false }
    }

    /// Sets the partial flag: `true` means more of this message follows.
    pub fn with_partial(mut self, partial: bool) -> Self {
        self.partial = partial;
        self
    }

    /// Whether the message may be compressed where permessage-deflate was negotiated
    /// (default true). Turn it off for data that is compressed already (images, archives):
    /// deflating it again costs time and gains nothing. The first part of a message sent in
    /// parts decides for the whole message.
    ///
    /// ```
    /// let jpeg = uniws::Message::binary(vec![0xff, 0xd8, 0xff]).with_compression(false);
    /// assert!(!jpeg.is_compressible());
    /// ```
    pub fn with_compression(mut self, on: bool) -> Self {
        self.uncompressed = !on;
        self
    }

    /// See [`with_compression`](Self::with_compression).
    pub fn is_compressible(&self) -> bool {
        !self.uncompressed
    }

    /// The message's type.
    pub fn message_type(&self) -> MessageType {
        self.kind
    }

    /// Whether more of this message follows.
    pub fn is_partial(&self) -> bool {
        self.partial
    }

    /// The payload bytes (for text, its UTF-8; for close, the reason's UTF-8).
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The payload as shared bytes, borrowed (for the codec's zero-copy writes).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn bytes(&self) -> &Bytes {
        &self.data
    }

    /// The payload as shared bytes, without copying.
    pub fn into_data(self) -> Bytes {
        self.data
    }

    /// The text of a text message, or the reason of a close message.
    pub fn as_text(&self) -> Option<&str> {
        match self.kind {
            // The constructors only admit valid UTF-8 for these two types.
            MessageType::Text | MessageType::Close => simdutf8::basic::from_utf8(&self.data).ok(),
            _ => None,
        }
    }

    /// The status code of a close message; `None` for other types and for a close frame
    /// that carried no code.
    pub fn close_code(&self) -> Option<CloseCode> {
        self.close_code
    }

    /// The payload length in bytes.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Message");
        s.field("type", &self.kind);
        match self.as_text() {
            Some(text) if text.len() <= 64 => s.field("data", &text),
            _ => s.field("len", &self.data.len()),
        };
        if let Some(code) = self.close_code {
            s.field("code", &code.0);
        }
        s.field("partial", &self.partial).finish()
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Self::text(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Self::text(text)
    }
}

impl From<Vec<u8>> for Message {
    fn from(data: Vec<u8>) -> Self {
        Self::binary(data)
    }
}

impl From<Bytes> for Message {
    fn from(data: Bytes) -> Self {
        Self::binary(data)
    }
}
