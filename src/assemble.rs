//! `send_all` and `recv_all`, written once for every backend: fragmenting a message into
//! frames of at most `max_frame_size`, and assembling partial frames into one message within
//! a size limit.

use bytes::{Bytes, BytesMut};

use crate::proto::MAX_FRAGMENTS;
use crate::{Error, Message, MessageType, Result};

/// The sending side a backend provides for `send_all`.
pub(crate) trait FrameSink {
    fn max_frame_size(&self) -> usize;
    /// Sends one frame.
    async fn send_frame(&mut self, message: Message) -> Result<()>;
}

/// The receiving side a backend provides for `recv_all`.
pub(crate) trait FrameSource {
    /// Fails the connection after `error` (its close code goes to the peer); nothing more
    /// is received. Returns `error`, for the caller to return: a backend that waits while
    /// failing keeps it meanwhile, so that a call cancelled then leaves it to the next.
    async fn fail(&mut self, error: Error) -> Error;
    /// Receives one frame; a data frame larger than `budget` fails the connection with
    /// `MessageTooLarge` before its payload is read. With `whole`, the backend may instead
    /// return a whole data message it put together itself (within `budget` and
    /// [`MAX_FRAGMENTS`]), without the copies assembling frames here costs.
    async fn recv_frame(&mut self, budget: usize, whole: bool) -> Result<Message>;
    /// The message being assembled by `recv_all`, kept across calls so that a control
    /// message returned in the middle of it loses nothing.
    fn assembly(&mut self) -> &mut Assembly;
}

/// A fragmented message being assembled.
#[derive(Debug, Default)]
pub(crate) struct Assembly {
    kind: Option<MessageType>,
    data: BytesMut,
    fragments: usize,
}

impl Assembly {
    /// No message is being put together.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn is_empty(&self) -> bool {
        self.kind.is_none()
    }

    /// What is left of `max_message_size` for the rest of the message.
    pub(crate) fn budget(&self, max_message_size: usize) -> usize {
        max_message_size.saturating_sub(self.data.len())
    }

    /// Drops an unfinished message.
    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }

    /// An unfinished message, as a partial message, for a plain `recv` that takes over its
    /// remaining frames.
    pub(crate) fn take_partial(&mut self) -> Option<Message> {
        let kind = self.kind?;
        let data = std::mem::take(self).data.freeze();
        Some(Message::data_frame(kind, data, true))
    }
}

/// Sends `message` as frames of at most `max_frame_size`; a text message is cut at character
/// boundaries so every frame is valid UTF-8 on its own.
pub(crate) async fn send_all<T: FrameSink>(io: &mut T, message: Message) -> Result<()> {
    let max = io.max_frame_size();
    if message.message_type().is_control() || message.len() <= max {
        return io.send_frame(message).await;
    }
    // On the heap: the future of every `send_all` (held by every connection that sends)
    // stays the size of one frame's send.
    Box::pin(send_fragments(io, Fragments::new(message, max))).await
}

async fn send_fragments<T: FrameSink>(io: &mut T, fragments: Fragments) -> Result<()> {
    for fragment in fragments {
        io.send_frame(fragment).await?;
    }
    Ok(())
}

/// A data message cut into fragments of at most `max` bytes, text at character boundaries;
/// all but the last are partial (and the last too if the message was). Each keeps whether the
/// message may be compressed.
pub(crate) struct Fragments {
    kind: MessageType,
    data: Bytes,
    at: usize,
    max: usize,
    last_partial: bool,
    compressible: bool,
}

impl Fragments {
    pub(crate) fn new(message: Message, max: usize) -> Self {
        let (kind, last_partial) = (message.message_type(), message.is_partial());
        let compressible = message.is_compressible();
        Self { kind, data: message.into_data(), at: 0, max: max.max(1), last_partial, compressible }
    }
}

impl Iterator for Fragments {
    type Item = Message;

    fn next(&mut self) -> Option<Message> {
        if self.at >= self.data.len() {
            return None;
        }
        let mut end = (self.at + self.max).min(self.data.len());
        if self.kind == MessageType::Text {
            end = char_boundary(&self.data, self.at, end);
        }
        let partial = end < self.data.len() || self.last_partial;
        let fragment = Message::data_frame(self.kind, self.data.slice(self.at..end), partial);
        self.at = end;
        Some(fragment.with_compression(self.compressible))
    }
}

/// The largest character boundary in `(start, end]`, or the end of the character at `start`
/// if none (a frame limit smaller than one character then fails on send, as it should).
fn char_boundary(text: &[u8], start: usize, end: usize) -> usize {
    let is_boundary = |i: usize| i == text.len() || (text[i] as i8) >= -0x40;
    (start + 1..=end)
        .rev()
        .find(|&i| is_boundary(i))
        .unwrap_or_else(|| (end..=text.len()).find(|&i| is_boundary(i)).expect("the end is a boundary"))
}

/// Receives one whole message, assembling partial frames, failing once it would exceed
/// `max_message_size` (every byte counts, the final frame's included) or [`MAX_FRAGMENTS`]. A
/// control message arriving between fragments is returned at once; the next call resumes the
/// assembly. `received` is a first frame the backend already has (or the error receiving it).
pub(crate) async fn recv_all<T: FrameSource>(
    io: &mut T,
    max_message_size: usize,
    mut received: Option<Result<Message>>,
) -> Result<Message> {
    loop {
        let frame = match received.take() {
            Some(frame) => frame,
            None => {
                let budget = io.assembly().budget(max_message_size);
                io.recv_frame(budget, true).await
            }
        };
        let frame = match frame {
            Ok(frame) => frame,
            // The backend knows the message's remaining allowance, not its limit: the limit
            // is that plus what is assembled. Not `max_message_size`: the error may be one a
            // cancelled call with another limit met, kept for this call (the assembly was
            // kept with it, so the sum is that call's limit).
            Err(Error::MessageTooLarge { max: remaining }) => {
                let assembly = io.assembly();
                let max = remaining.saturating_add(assembly.data.len());
                assembly.clear();
                return Err(Error::MessageTooLarge { max });
            }
            Err(e) => return Err(e),
        };
        let kind = frame.message_type();
        let assembly = io.assembly();
        if kind.is_control() || (assembly.kind.is_none() && !frame.is_partial()) {
            return Ok(frame);
        }
        assembly.kind = Some(kind);
        assembly.fragments += 1;
        if assembly.fragments > MAX_FRAGMENTS {
            assembly.clear();
            return Err(io.fail(Error::TooManyFragments { max: MAX_FRAGMENTS }).await);
        }
        assembly.data.extend_from_slice(frame.data());
        if !frame.is_partial() {
            let data = std::mem::take(&mut assembly.data).freeze();
            assembly.kind = None;
            return Ok(Message::data_frame(kind, data, false));
        }
    }
}
