//! The receiving half of the protocol state machine: turns bytes from the peer into
//! messages, enforcing masking by role, `max_frame_size` on the header, the fragmentation
//! rules and fail-fast UTF-8 validation of text as its bytes arrive. With permessage-deflate,
//! each frame of a compressed message is inflated once it is in, within the frame and message
//! limits, and its text validated as it comes out: the frame limit counts inflated bytes, and
//! holds the header only to what deflate may make of that many.

use bytes::{Buf, Bytes, BytesMut};

use super::Role;
use super::close::parse_close_payload;
use super::deflate::{InflateError, Inflater, max_deflated_len};
use super::frame::{FrameHeader, OpCode};
use super::mask::apply_mask;
use super::utf8::Utf8Validator;
use super::{MAX_FRAGMENTS, Violation};
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
    /// Part of a compressed message: inflated once complete, validated after.
    compressed: bool,
    /// Payload bytes at the front of the input already unmasked (and validated, for text).
    processed: usize,
    /// Bytes of an interrupted assembly taken in front of the payload (see
    /// `release_assembled`): counted in `processed`, not in the mask's offset.
    front: usize,
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
    /// For [`decode_whole`](Self::decode_whole): the payloads of a fragmented message so far,
    /// at the front of the buffer; the input starts behind them.
    assembled: usize,
    /// The data frames of that message so far (0: none is being put together).
    fragments: usize,
    /// With permessage-deflate negotiated, the peer's compressed messages are inflated here
    /// (boxed: a connection without it stays small).
    inflater: Option<Box<Inflater>>,
    /// The message in progress is compressed.
    compressed: bool,
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
            assembled: 0,
            fragments: 0,
            inflater: None,
            compressed: false,
        }
    }

    /// Accepts compressed messages (RSV1 on their first frame), inflated by `inflater`.
    pub fn with_inflater(mut self, inflater: Inflater) -> Self {
        self.inflater = Some(Box::new(inflater));
        self
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
        let input = buffered - self.assembled;
        match &self.frame {
            Some(frame) => (frame.header.payload_len as usize).saturating_sub(input).max(1),
            None => 2usize.saturating_sub(input).max(1),
        }
    }

    /// Decodes the next frame from `buf`, removing its bytes. `Ok(None)` means more bytes are
    /// needed (those present were checked as far as they go). A data frame larger than
    /// `budget` is `MessageTooLarge` (the caller's remaining message allowance). Every error
    /// is the peer's fault and should fail the connection with [`Error::close_code`].
    #[inline]
    pub fn decode(&mut self, buf: &mut BytesMut, budget: usize) -> Result<Option<Message>, Error> {
        if self.idle(buf, false) {
            return Ok(None);
        }
        if let Some(single) = self.decode_single(buf, budget) {
            return single.map(Some);
        }
        self.decode_frames(buf, budget, false)
    }

    /// Like [`decode`](Self::decode), but a fragmented data message is put together in place,
    /// each payload right behind the last with the headers cut out, and comes out whole
    /// without a copy. Control frames between its fragments come out as they arrive.
    /// `budget` bounds the whole message; more than [`MAX_FRAGMENTS`] frames is
    /// `TooManyFragments`. A plain `decode` after it first hands out what was put together,
    /// as a partial message.
    #[inline]
    pub fn decode_whole(&mut self, buf: &mut BytesMut, budget: usize) -> Result<Option<Message>, Error> {
        if self.idle(buf, true) {
            return Ok(None);
        }
        if let Some(single) = self.decode_single(buf, budget) {
            return single.map(Some);
        }
        self.decode_frames(buf, budget, true)
    }

    /// The common case, taken before the general path sets up a frame in progress: between
    /// messages, a whole uncompressed text or binary message of one frame with a 7- or
    /// 16-bit length, masked as the role requires and within the limits, at the front of the
    /// buffer. `None` (nothing consumed) for anything else, errors included: the general path
    /// decides those.
    #[inline(always)]
    fn decode_single(&mut self, buf: &mut BytesMut, budget: usize) -> Option<Result<Message, Error>> {
        if self.frame.is_some() || self.assembled != 0 || self.state != ReadState::Open {
            return None;
        }
        let kind = match *buf.first()? {
            0x81 => MessageType::Text,
            0x82 => MessageType::Binary,
            _ => return None,
        };
        let b1 = *buf.get(1)?;
        let masked = b1 & 0x80 != 0;
        if masked != (self.role == Role::Server) {
            return None;
        }
        let (len, mut header_len) = match b1 & 0x7f {
            127 => return None,
            126 => match u16::from_be_bytes(buf.get(2..4)?.try_into().expect("2 bytes")) {
                n @ 126.. => (n as usize, 4),
                _ => return None,
            },
            n => (n as usize, 2),
        };
        let key = if masked {
            let key: [u8; 4] = buf.get(header_len..header_len + 4)?.try_into().expect("4 bytes");
            header_len += 4;
            Some(key)
        } else {
            None
        };
        if buf.len() - header_len < len || len > self.max_frame_size || len > budget {
            return None;
        }
        let payload = &mut buf[header_len..header_len + len];
        if let Some(key) = key {
            apply_mask(payload, key, 0);
        }
        if kind == MessageType::Text && simdutf8::basic::from_utf8(payload).is_err() {
            buf.advance(header_len + len);
            return Some(Err(Error::InvalidUtf8));
        }
        // The header goes with the frame and is skipped there: a `Bytes` moves its start
        // with two additions, a `BytesMut` with a check of its representation.
        let mut payload = take_front(buf, header_len + len);
        payload.advance(header_len);
        Some(Ok(Message::data_frame(kind, payload, false)))
    }

    /// Whether a call could do nothing but ask for more bytes: no input, nothing to hand out.
    /// Checked inline, as it is the case every time a connection waits.
    #[inline]
    fn idle(&self, buf: &BytesMut, whole: bool) -> bool {
        buf.len() == self.assembled
            && self.state != ReadState::CloseReceived
            && (whole || self.fragments == 0)
    }

    fn decode_frames(
        &mut self,
        buf: &mut BytesMut,
        budget: usize,
        whole: bool,
    ) -> Result<Option<Message>, Error> {
        if self.state == ReadState::CloseReceived {
            return Err(Error::Closed);
        }
        if !whole
            && self.fragments > 0
            && let Some(message) = self.release_assembled(buf)
        {
            return Ok(Some(message));
        }
        loop {
            let at = self.assembled;
            // No input is nothing to do: a frame's last byte and its completion come together.
            if buf.len() == at {
                return Ok(None);
            }
            let frame = match &mut self.frame {
                Some(frame) => frame,
                None => match self.start_frame(buf, budget, whole)? {
                    Some(frame) => self.frame.insert(frame),
                    None => return Ok(None),
                },
            };
            let len = frame.header.payload_len as usize;
            let available = (buf.len() - at).min(len);
            if frame.processed < available {
                let fresh = &mut buf[at + frame.processed..at + available];
                if let Some(key) = frame.header.mask {
                    apply_mask(fresh, key, frame.processed - frame.front);
                }
                if frame.kind == MessageType::Text && !frame.compressed {
                    self.utf8.feed(fresh)?;
                }
                frame.processed = available;
            }
            if available < len {
                return Ok(None);
            }
            let PartialFrame { header, kind, compressed, .. } = self.frame.take().expect("frame in progress");
            // A frame of a message being put together (empty fragments put nothing in front, so
            // the count, not the bytes, says whether one is). A compressed message is inflated
            // frame by frame instead, and put together by the caller.
            if whole && !kind.is_control() && !compressed && (!header.fin || self.fragments > 0) {
                self.fragments += 1;
                if self.fragments > MAX_FRAGMENTS {
                    return Err(Error::TooManyFragments { max: MAX_FRAGMENTS });
                }
                self.assembled += len;
                if !header.fin {
                    self.state = ReadState::Fragmented(kind);
                    continue;
                }
                return self.finish_whole(buf, kind).map(Some);
            }
            let payload = if at == 0 {
                take_front(buf, len)
            } else {
                // A control frame between fragments: its payload (125 bytes at most) is copied
                // out from behind the message being put together.
                let payload = Bytes::copy_from_slice(&buf[at..at + len]);
                cut(buf, at, len);
                payload
            };
            let payload =
                if compressed { self.inflate(&header, kind, &payload, budget, whole)? } else { payload };
            return self.finish_frame(header, kind, payload).map(Some);
        }
    }

    /// The largest data frame a call accepts: `max_frame_size` for `decode` (a frame is what
    /// it hands out), but for `decode_whole` the message's own allowance: `recv_all`'s limit
    /// is the message's, and the size of the peer's frames is the peer's choice (a browser,
    /// which hides frames, behaves the same way). So a side with small frames still takes a
    /// whole message cut in larger ones, within its message limit.
    fn frame_limit(&self, budget: usize, whole: bool) -> usize {
        if whole { budget } else { self.max_frame_size }
    }

    fn start_frame(
        &mut self,
        buf: &mut BytesMut,
        budget: usize,
        whole: bool,
    ) -> Result<Option<PartialFrame>, Error> {
        let at = self.assembled;
        let Some((header, header_len)) = FrameHeader::decode(&buf[at..])? else { return Ok(None) };
        match (self.role, header.mask) {
            (Role::Server, None) => return Err(Error::Protocol(Violation::UnmaskedClientFrame)),
            (Role::Client, Some(_)) => return Err(Error::Protocol(Violation::MaskedServerFrame)),
            _ => {}
        }
        if header.rsv1 {
            if self.inflater.is_none() {
                return Err(Error::Protocol(Violation::ReservedBits));
            }
            match header.opcode {
                OpCode::Text | OpCode::Binary => {}
                OpCode::Continuation => return Err(Error::Protocol(Violation::CompressedContinuation)),
                _ => return Err(Error::Protocol(Violation::CompressedControl)),
            }
        }
        let compressed = match header.opcode {
            OpCode::Text | OpCode::Binary => header.rsv1,
            OpCode::Continuation => self.compressed,
            _ => false,
        };
        // Control frames are capped at 125 bytes by the header rules, whatever the limit. A
        // compressed frame is held to the limit by what it inflates to: on the wire it may
        // have what deflate adds to data that does not compress.
        let limit = self.frame_limit(budget, whole);
        let wire_max = if compressed { max_deflated_len(limit) } else { limit };
        if !header.opcode.is_control() && header.payload_len > wire_max as u64 {
            return Err(match whole {
                true => Error::MessageTooLarge { max: budget },
                false => Error::FrameTooLarge { size: header.payload_len, max: self.max_frame_size },
            });
        }
        let kind = match (header.opcode, self.state) {
            (OpCode::Continuation, ReadState::Fragmented(kind)) => kind,
            (OpCode::Continuation, _) => {
                return Err(Error::Protocol(Violation::UnexpectedContinuation));
            }
            (OpCode::Text | OpCode::Binary, ReadState::Fragmented(_)) => {
                return Err(Error::Protocol(Violation::InterleavedMessage));
            }
            (OpCode::Text, _) => MessageType::Text,
            (OpCode::Binary, _) => MessageType::Binary,
            (OpCode::Close, _) => MessageType::Close,
            (OpCode::Ping, _) => MessageType::Ping,
            (OpCode::Pong, _) => MessageType::Pong,
        };
        // A compressed frame's budget is checked on what it inflates to.
        if !kind.is_control() && !compressed && header.payload_len > budget.saturating_sub(at) as u64 {
            return Err(Error::MessageTooLarge { max: budget });
        }
        cut(buf, at, header_len);
        Ok(Some(PartialFrame { header, kind, compressed, processed: 0, front: 0 }))
    }

    /// Inflates a complete frame of a compressed message: never past the frame limit (nor
    /// `budget`, the message's allowance), text validated as it comes out.
    fn inflate(
        &mut self,
        header: &FrameHeader,
        kind: MessageType,
        payload: &[u8],
        budget: usize,
        whole: bool,
    ) -> Result<Bytes, Error> {
        let frame_limit = self.frame_limit(budget, whole);
        let inflater = self.inflater.as_mut().expect("compressed frames only with an inflater");
        let limit = frame_limit.min(budget);
        let mut inflated = Vec::new();
        match inflater.inflate(payload, header.fin, limit, &mut inflated) {
            Ok(()) => {}
            Err(InflateError::TooLarge { .. }) if whole || budget < self.max_frame_size => {
                return Err(Error::MessageTooLarge { max: budget });
            }
            Err(InflateError::TooLarge { size }) => {
                return Err(Error::FrameTooLarge { size, max: self.max_frame_size });
            }
            Err(InflateError::Corrupt(violation)) => return Err(Error::Protocol(violation)),
        }
        self.compressed = !header.fin;
        if kind == MessageType::Text {
            self.utf8.feed(&inflated)?;
        }
        Ok(Bytes::from(inflated))
    }

    /// The message put together by `decode_whole`, now that its last frame is in.
    fn finish_whole(&mut self, buf: &mut BytesMut, kind: MessageType) -> Result<Message, Error> {
        let mut data = take_front(buf, std::mem::take(&mut self.assembled));
        self.fragments = 0;
        self.state = ReadState::Open;
        if kind == MessageType::Text {
            self.utf8.finish()?;
            // The message began in plain `decode` calls, one of which held back a split character.
            if !self.carry.is_empty() {
                let mut joined = std::mem::take(&mut self.carry);
                joined.extend_from_slice(&data);
                data = Bytes::from(joined);
            }
        }
        Ok(Message::data_frame(kind, data, false))
    }

    /// After `decode_whole` stopped mid-message (a control frame came out, or its caller gave
    /// up), a plain `decode` hands out what was put together: as a partial message, or, with
    /// a data frame in progress, as the front of that frame's payload.
    fn release_assembled(&mut self, buf: &mut BytesMut) -> Option<Message> {
        let assembled = std::mem::take(&mut self.assembled);
        self.fragments = 0;
        if assembled == 0 {
            return None;
        }
        if let Some(frame) = &mut self.frame
            && !frame.kind.is_control()
        {
            frame.header.payload_len += assembled as u64;
            frame.processed += assembled;
            frame.front += assembled;
            return None;
        }
        let ReadState::Fragmented(kind) = self.state else {
            unreachable!("assembled bytes outside a message")
        };
        let payload = take_front(buf, assembled);
        let data = if kind == MessageType::Text { self.text_fragment(payload) } else { payload };
        Some(Message::data_frame(kind, data, true))
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

/// The first `len` bytes of `buf`, without a copy. A payload that ends the buffer takes the
/// buffer whole: splitting it would allocate a shared reference count nothing else needs.
fn take_front(buf: &mut BytesMut, len: usize) -> Bytes {
    if buf.len() == len { std::mem::take(buf) } else { buf.split_to(len) }.freeze()
}

/// Removes `len` bytes at `at`; at the front, without moving anything.
fn cut(buf: &mut BytesMut, at: usize, len: usize) {
    if at == 0 {
        buf.advance(len);
    } else {
        buf.copy_within(at + len.., at);
        buf.truncate(buf.len() - len);
    }
}
