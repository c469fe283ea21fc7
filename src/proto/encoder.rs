//! The sending half of the protocol state machine: checks each outgoing message against the
//! frame limit, the control-frame rules and the fragment in progress, then writes its frame
//! (a fresh random mask on every client frame).

use bytes::{Bytes, BytesMut};

use super::Role;
use super::close::encode_close_payload;
use super::frame::{FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, OpCode};
use super::mask::apply_mask;
use crate::{Error, Message, MessageType};

/// Payloads up to this size are copied next to their header so a frame goes out in one
/// write; larger ones are handed back to be written from the caller's buffer.
const COPY_THRESHOLD: usize = 4096;

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
}

impl Encoder {
    /// An encoder for the given side of the connection.
    pub fn new(role: Role, max_frame_size: usize) -> Self {
        Self { role, max_frame_size, state: WriteState::Open }
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
            put_frame(FrameHeader { fin, opcode, mask, payload_len: payload.len() as u64 }, &payload, out);
        } else {
            let header = FrameHeader { fin, opcode, mask, payload_len: message.len() as u64 };
            if mask.is_none() && message.len() > COPY_THRESHOLD {
                put_header(header, out);
                large_payload = Some(message.bytes().clone());
            } else {
                put_frame(header, message.data(), out);
            }
        }
        self.state = next_state;
        Ok(large_payload)
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
            (WriteState::Fragmented(open), _) if open != kind => {
                return Err(Error::InvalidMessage(
                    format!("a partial {open} message is unfinished; cannot send {kind}").into(),
                ));
            }
            (WriteState::Fragmented(_), _) => OpCode::Continuation,
            (_, MessageType::Text) => OpCode::Text,
            _ => OpCode::Binary,
        };
        let next = if message.is_partial() { WriteState::Fragmented(kind) } else { WriteState::Open };
        Ok((opcode, next))
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
