//! The receiving half of the protocol state machine: turns bytes from the peer into
//! messages, enforcing masking by role, `max_frame_size` on the header, the fragmentation
//! rules and fail-fast UTF-8 validation of text as its bytes arrive.

use bytes::{Buf, Bytes, BytesMut};

use super::Role;
use super::close::parse_close_payload;
use super::frame::{FrameHeader, OpCode};
use super::mask::apply_mask;
use super::utf8::Utf8Validator;
use crate::{Error, Message, MessageType};

/// Where the receiving side stands between calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadState {
    /// Between messages.
    Open,
    /// Some frames of a message of this type have arrived, not its last one.
    Fragmented(MessageType),
    /// The peer's close frame has arrived; nothing more is read.
    CloseReceived,
}

#[derive(Debug)]
struct PartialFrame {
    header: FrameHeader,
    kind: MessageType,
    /// Payload bytes at the front of the buffer already unmasked (and validated, for text).
    processed: usize,
}

/// Decodes frames from a byte buffer, one call per frame. Pure: no I/O.
#[derive(Debug)]
pub struct Decoder {
    role: Role,
    max_frame_size: usize,
    state: ReadState,
    frame: Option<PartialFrame>,
    utf8: Utf8Validator,
    /// The start of a character split by the previous text fragment, delivered with the next.
    carry: Vec<u8>,
}

impl Decoder {
    /// A decoder for the given side of the connection.
    pub fn new(role: Role, max_frame_size: usize) -> Self {
        Self {
            role,
            max_frame_size,
            state: ReadState::Open,
            frame: None,
            utf8: Utf8Validator::new(),
            carry: Vec::new(),
        }
    }

    /// The largest frame payload accepted.
    pub fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// Where the receiving side stands.
    pub fn state(&self) -> ReadState {
        self.state
    }

    /// How many more bytes the buffer needs before the next call can make progress, given
    /// that it holds `buffered` bytes.
    pub fn bytes_wanted(&self, buffered: usize) -> usize {
        match &self.frame {
            Some(frame) => (frame.header.payload_len as usize).saturating_sub(buffered).max(1),
            None => 2usize.saturating_sub(buffered).max(1),
        }
    }

    /// Decodes the next frame from `buf`, removing its bytes. `Ok(None)` means more bytes are
    /// needed (those present were checked as far as they go). A data frame larger than
    /// `budget` is `MessageTooLarge` (the caller's remaining message allowance). Every error
    /// is the peer's fault and should fail the connection with [`Error::close_code`].
    pub fn decode(&mut self, buf: &mut BytesMut, budget: usize) -> Result<Option<Message>, Error> {
        if self.state == ReadState::CloseReceived {
            return Err(Error::Closed);
        }
        let frame = match &mut self.frame {
            Some(frame) => frame,
            None => match self.start_frame(buf, budget)? {
                Some(frame) => self.frame.insert(frame),
                None => return Ok(None),
            },
        };
        let len = frame.header.payload_len as usize;
        let available = buf.len().min(len);
        if frame.processed < available {
            let fresh = &mut buf[frame.processed..available];
            if let Some(key) = frame.header.mask {
                apply_mask(fresh, key, frame.processed);
            }
            if frame.kind == MessageType::Text {
                self.utf8.feed(fresh)?;
            }
            frame.processed = available;
        }
        if available < len {
            return Ok(None);
        }
        let PartialFrame { header, kind, .. } = self.frame.take().expect("frame in progress");
        // A payload that ends the buffer takes the buffer whole: splitting it would allocate a
        // shared reference count that nothing else needs.
        let payload = if buf.len() == len { std::mem::take(buf) } else { buf.split_to(len) }.freeze();
        self.finish_frame(header, kind, payload).map(Some)
    }

    fn start_frame(&mut self, buf: &mut BytesMut, budget: usize) -> Result<Option<PartialFrame>, Error> {
        let Some((header, header_len)) = FrameHeader::decode(buf)? else { return Ok(None) };
        match (self.role, header.mask) {
            (Role::Server, None) => return Err(Error::protocol("unmasked frame from a client")),
            (Role::Client, Some(_)) => return Err(Error::protocol("masked frame from a server")),
            _ => {}
        }
        // Control frames are capped at 125 bytes by the header rules, whatever the limit.
        if !header.opcode.is_control() && header.payload_len > self.max_frame_size as u64 {
            return Err(Error::FrameTooLarge { size: header.payload_len, max: self.max_frame_size });
        }
        let kind = match (header.opcode, self.state) {
            (OpCode::Continuation, ReadState::Fragmented(kind)) => kind,
            (OpCode::Continuation, _) => {
                return Err(Error::protocol("continuation frame with no message in progress"));
            }
            (OpCode::Text | OpCode::Binary, ReadState::Fragmented(_)) => {
                return Err(Error::protocol("new message before the fragmented one finished"));
            }
            (OpCode::Text, _) => MessageType::Text,
            (OpCode::Binary, _) => MessageType::Binary,
            (OpCode::Close, _) => MessageType::Close,
            (OpCode::Ping, _) => MessageType::Ping,
            (OpCode::Pong, _) => MessageType::Pong,
        };
        if !kind.is_control() && header.payload_len > budget as u64 {
            return Err(Error::MessageTooLarge { max: budget });
        }
        buf.advance(header_len);
        Ok(Some(PartialFrame { header, kind, processed: 0 }))
    }

    fn finish_frame(
        &mut self,
        header: FrameHeader,
        kind: MessageType,
        payload: Bytes,
    ) -> Result<Message, Error> {
        match kind {
            MessageType::Close => {
                let message = parse_close_payload(payload)?;
                self.state = ReadState::CloseReceived;
                Ok(message)
            }
            MessageType::Ping => Ok(Message::ping(payload)),
            MessageType::Pong => Ok(Message::pong(payload)),
            MessageType::Binary => {
                self.state = if header.fin { ReadState::Open } else { ReadState::Fragmented(kind) };
                Ok(Message::data_frame(kind, payload, !header.fin))
            }
            MessageType::Text => {
                let data = self.text_fragment(payload);
                if header.fin {
                    self.utf8.finish()?;
                    self.state = ReadState::Open;
                } else {
                    self.state = ReadState::Fragmented(kind);
                }
                Ok(Message::data_frame(kind, data, !header.fin))
            }
        }
    }

    /// The text of one fragment, cut at character boundaries: a character split across frames
    /// is held back and delivered with the frame that completes it.
    fn text_fragment(&mut self, payload: Bytes) -> Bytes {
        let ready = self.carry.len() + payload.len() - self.utf8.pending_len();
        if self.carry.is_empty() {
            self.carry.extend_from_slice(&payload[ready..]);
            return payload.slice(..ready);
        }
        let mut data = std::mem::take(&mut self.carry);
        data.extend_from_slice(&payload);
        self.carry = data.split_off(ready);
        Bytes::from(data)
    }
}
