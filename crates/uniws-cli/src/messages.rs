//! The receive loop every subcommand shares — whole text and binary messages until the
//! peer's close — and how a received message is shown on one line.

use uniws::{Message, MessageType, RecvHalf};

/// The largest message assembled from frames (64 MiB).
pub const MAX_MESSAGE_SIZE: usize = 64 << 20;

/// What ends a stream of messages.
pub enum Next {
    /// A whole text or binary message.
    Data(Message),
    /// The peer's close frame (already answered by the socket).
    Closed(Message),
}

/// The next whole text or binary message or the peer's close; pings and pongs are skipped
/// (the socket answers pings itself). A socket already closed counts as closed.
pub async fn next_message(recv: &mut RecvHalf) -> uniws::Result<Next> {
    loop {
        match recv.recv_all(MAX_MESSAGE_SIZE).await {
            Ok(m) if m.message_type() == MessageType::Close => return Ok(Next::Closed(m)),
            Ok(m) if m.message_type().is_control() => continue,
            Ok(m) => return Ok(Next::Data(m)),
            Err(uniws::Error::Closed) => return Ok(Next::Closed(Message::close_without_code())),
            Err(e) => return Err(e),
        }
    }
}

/// A message as one line: text as it is, binary as lowercase hex.
pub fn display(message: &Message) -> String {
    match message.as_text() {
        Some(text) if message.message_type() == MessageType::Text => text.to_owned(),
        _ => message.data().iter().map(|b| format!("{b:02x}")).collect(),
    }
}

/// How a close frame reads: `1000 (bye)`, or `no status` without a code.
pub fn describe_close(close: &Message) -> String {
    match (close.close_code(), close.as_text().unwrap_or_default()) {
        (Some(code), "") => code.to_string(),
        (Some(code), reason) => format!("{code} ({reason})"),
        (None, _) => "no status".to_owned(),
    }
}
