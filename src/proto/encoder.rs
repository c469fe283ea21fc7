//! The sending half of the protocol state machine: checks each outgoing message against the
//! frame limit, the control-frame rules and the fragment in progress, then writes its frame
//! (a fresh random mask on every client frame). With permessage-deflate, a data message is
//! compressed part by part, one sync flush per part, RSV1 on its first frame: every frame
//! then inflates to at most the part, so a peer with the same frame limit takes it.

use bytes::{Bytes, BytesMut};

use super::Role;
use super::close::encode_close_payload;
use super::deflate::Deflater;
use super::frame::{FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, OpCode};
use super::mask::apply_mask;
use crate::{Error, Message, MessageType};

/// Payloads up to this size are copied next to their header so a frame goes out in one
/// plain write; larger ones are handed back to go out from the caller's buffer in the same
/// (vectored) write. Counted with valgrind, copying 1 KiB costs more than the vectored write.
const COPY_THRESHOLD: usize = 512;

/// Compressed payloads, already in a buffer of their own, are copied only up to this size.
const OWNED_COPY_THRESHOLD: usize = 256;

/// Where the sending side stands between calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteState {
    /// Between messages.
    Open,
    /// Partial frames of a message of this type went out, not its last one.
    Fragmented(MessageType),
    /// Our close frame went out; nothing more may be sent.
    CloseSent,
}

/// Encodes messages into frames. Pure but for the random masking keys.
#[derive(Debug)]
pub struct Encoder {
    role: Role,
    max_frame_size: usize,
    state: WriteState,
    /// With permessage-deflate negotiated, data messages are compressed by it (boxed: a
    /// connection without it stays small).
    deflater: Option<Box<Deflater>>,
    /// The message in progress is compressed.
    compressing: bool,
}

impl Encoder {
    /// An encoder for the given side of the connection.
    pub fn new(role: Role, max_frame_size: usize) -> Self {
        Self { role, max_frame_size, state: WriteState::Open, deflater: None, compressing: false }
    }

    /// Compresses data messages with `deflater` (those that allow it and are worth it).
    pub fn with_deflater(mut self, deflater: Deflater) -> Self {
        self.deflater = Some(Box::new(deflater));
        self
    }

    /// The largest frame payload `encode` accepts.
    pub fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// Where the sending side stands.
    pub fn state(&self) -> WriteState {
        self.state
    }

    /// Checks `message` and appends its frame to `out`. A large unmasked payload is not
    /// copied: it is returned, to be written right after `out`. On error nothing is written
    /// and the state is unchanged.
    pub fn encode(&mut self, message: &Message, out: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        if let Some(large_payload) = self.encode_single(message, out) {
            return Ok(large_payload);
        }
        let (opcode, next_state) = self.plan(message)?;
        let mask = match self.role {
            Role::Client => Some(rand::random::<[u8; 4]>()),
            Role::Server => None,
        };
        let fin = !message.is_partial();
        let mut large_payload = None;
        if opcode == OpCode::Close {
            let mut payload = BytesMut::with_capacity(MAX_CONTROL_PAYLOAD);
            encode_close_payload(message, &mut payload)?;
            let header = FrameHeader { fin, rsv1: false, opcode, mask, payload_len: payload.len() as u64 };
            put_frame(header, &payload, out);
        } else if compresses(self.compressing, opcode, message, self.deflater.as_deref()) {
            let deflater = self.deflater.as_mut().expect("compressing needs a deflater");
            let mut compressed = Vec::new();
            deflater.compress(message.data(), fin, &mut compressed);
            self.compressing = !fin;
            let rsv1 = opcode != OpCode::Continuation;
            if compressed.len() <= self.max_frame_size {
                let header = FrameHeader { fin, rsv1, opcode, mask, payload_len: compressed.len() as u64 };
                large_payload = put_compressed(header, compressed, out);
            } else {
                // Incompressible data grew past a frame (deflate's stored blocks cost 5 bytes
                // each): the rest goes out in more frames of the same message.
                let pieces = compressed.chunks(self.max_frame_size.max(1));
                let last = pieces.len() - 1;
                for (i, piece) in pieces.enumerate() {
                    let header = FrameHeader {
                        fin: fin && i == last,
                        rsv1: rsv1 && i == 0,
                        opcode: if i == 0 { opcode } else { OpCode::Continuation },
                        mask: mask.map(|_| rand::random()),
                        payload_len: piece.len() as u64,
                    };
                    put_frame(header, piece, out);
                }
            }
        } else {
            let header = FrameHeader { fin, rsv1: false, opcode, mask, payload_len: message.len() as u64 };
            large_payload = put_payload(header, message.bytes(), out);
        }
        self.state = next_state;
        Ok(large_payload)
    }

    /// The common case on a server, before the general path: between messages, a whole
    /// uncompressed text or binary message, written as `encode` does (`None`: nothing
    /// written, the general path decides).
    #[inline]
    fn encode_single(&mut self, message: &Message, out: &mut BytesMut) -> Option<Option<Bytes>> {
        let opcode = match message.message_type() {
            MessageType::Text => OpCode::Text,
            MessageType::Binary => OpCode::Binary,
            _ => return None,
        };
        let len = message.len();
        if self.role != Role::Server
            || self.state != WriteState::Open
            || message.is_partial()
            || len > self.max_frame_size
            || self.deflater.as_ref().is_some_and(|d| d.worth_compressing(len) && message.is_compressible())
        {
            return None;
        }
        if len <= MAX_CONTROL_PAYLOAD {
            // A short header written here, as one constant-size copy: through `put_frame` (any
            // header, any mask) a 20-byte message costs 76 instructions more to echo.
            out.reserve(2 + len);
            out.extend_from_slice(&[0x80 | opcode.bits(), len as u8]);
            out.extend_from_slice(message.data());
            return Some(None);
        }
        let header = FrameHeader { fin: true, rsv1: false, opcode, mask: None, payload_len: len as u64 };
        Some(put_payload(header, message.bytes(), out))
    }

    /// Validates `message` against the rules and the state: its opcode and the state after it.
    fn plan(&self, message: &Message) -> Result<(OpCode, WriteState), Error> {
        if self.state == WriteState::CloseSent {
            return Err(Error::Closed);
        }
        let kind = message.message_type();
        if kind.is_control() {
            if message.is_partial() {
                return Err(Error::InvalidMessage(format!("a {kind} message cannot be partial").into()));
            }
            return Ok(match kind {
                MessageType::Close => (OpCode::Close, WriteState::CloseSent),
                _ if message.len() > MAX_CONTROL_PAYLOAD => {
                    return Err(Error::InvalidMessage(
                        format!("a {kind} message is limited to 125 bytes").into(),
                    ));
                }
                MessageType::Ping => (OpCode::Ping, self.state),
                _ => (OpCode::Pong, self.state),
            });
        }
        if message.len() > self.max_frame_size {
            return Err(Error::FrameTooLarge { size: message.len() as u64, max: self.max_frame_size });
        }
        let opcode = match (self.state, kind) {
            (WriteState::Fragmented(open), _) => {
                open.check_continued_by(kind)?;
                OpCode::Continuation
            }
            (_, MessageType::Text) => OpCode::Text,
            _ => OpCode::Binary,
        };
        let next = if message.is_partial() { WriteState::Fragmented(kind) } else { WriteState::Open };
        Ok((opcode, next))
    }
}

/// Whether a frame with `opcode` carrying `message` is compressed: every frame of a
/// compressed message, and the first of a data message that allows it and is worth it.
fn compresses(compressing: bool, opcode: OpCode, message: &Message, deflater: Option<&Deflater>) -> bool {
    match opcode {
        OpCode::Continuation => compressing,
        OpCode::Text | OpCode::Binary => {
            deflater.is_some_and(|d| d.worth_compressing(message.len())) && message.is_compressible()
        }
        _ => false,
    }
}

/// Appends a compressed frame. The payload is ours: beyond a few hundred bytes it is masked in
/// place and written from its own buffer, so it costs no copy, and the write buffer (kept
/// by an idle connection) does not grow to its size.
fn put_compressed(header: FrameHeader, mut payload: Vec<u8>, out: &mut BytesMut) -> Option<Bytes> {
    if payload.len() <= OWNED_COPY_THRESHOLD {
        put_frame(header, &payload, out);
        return None;
    }
    if let Some(key) = header.mask {
        apply_mask(&mut payload, key, 0);
    }
    put_header(header, out);
    Some(payload.into())
}

/// Appends a data frame: its payload copied behind the header when small or masked, else
/// returned to be written from its own buffer.
#[inline]
fn put_payload(header: FrameHeader, payload: &Bytes, out: &mut BytesMut) -> Option<Bytes> {
    if header.mask.is_none() && payload.len() > COPY_THRESHOLD {
        put_header(header, out);
        Some(payload.clone())
    } else {
        put_frame(header, payload, out);
        None
    }
}

fn put_frame(header: FrameHeader, payload: &[u8], out: &mut BytesMut) {
    out.reserve(MAX_HEADER_LEN + payload.len());
    put_header(header, out);
    let at = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = header.mask {
        apply_mask(&mut out[at..], key, 0);
    }
}

fn put_header(header: FrameHeader, out: &mut BytesMut) {
    let mut bytes = [0; MAX_HEADER_LEN];
    let len = header.encode(&mut bytes);
    out.extend_from_slice(&bytes[..len]);
}
