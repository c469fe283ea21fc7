//! The `roundtrip` target: a sequence of messages through an `Encoder` and a `Decoder` of the
//! other role, both ways (client to server and server to client).
//!
//! Input layout: byte 0 % 8 picks `max_frame_size` (the same on both ends); then up to 32
//! messages, each a tag byte (bits 0-2: text, binary, ping, pong, close with a code, close
//! without one, in that order, 6 and 7 read as text and binary; bit 3: partial; bits 4-7: a
//! length from `LENGTHS`), for a close with a code a code byte (an index into `CODES`, or at
//! 16 and above a raw big-endian code from the next two bytes), then up to 16 seed bytes
//! repeated to the length (text: their lossy UTF-8, cut at a character boundary); the
//! payloads of one input add up to 128 KiB at most.
//!
//! Properties: the encoder accepts exactly the messages RFC 6455 and its state allow (a
//! model of the rules decides; a control message over `max_frame_size` may go either way,
//! but if it is sent the decoder must take it); a refused message leaves its state and the output unchanged;
//! an accepted one moves the state as the model says and writes one frame, masked exactly
//! when the encoder is a client; and the decoder gives back exactly the accepted messages,
//! then `Closed` if a close went out, with no other error and no byte left over.

use bytes::BytesMut;
use uniws::proto::{Decoder, Encoder, FrameHeader, Role, WriteState};
use uniws::{Error, Message, MessageType};

use super::Source;

const MAX_FRAME_SIZES: [usize; 8] = [1 << 20, 0, 1, 16, 125, 126, 4096, 65536];
const LENGTHS: [usize; 16] = [0, 1, 2, 5, 16, 100, 123, 124, 125, 126, 127, 1000, 4096, 4097, 65535, 65536];
/// The most payload one input makes, to keep the target fast.
const MAX_TOTAL: usize = 2 * 65536;
const CODES: [u16; 16] =
    [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1011, 1014, 1015, 2999, 3000, 4999, 5000, 0];

/// Checks one fuzz input; panics on a broken property.
pub fn check(data: &[u8]) {
    let mut src = Source::new(data);
    let max_frame_size = MAX_FRAME_SIZES[usize::from(src.byte() % 8)];
    let mut messages = Vec::new();
    let mut room = MAX_TOTAL;
    while !src.is_empty() && messages.len() < 32 {
        let message = next_message(&mut src, room);
        room -= message.len();
        messages.push(message);
    }
    roundtrip(Role::Client, Role::Server, max_frame_size, &messages);
    roundtrip(Role::Server, Role::Client, max_frame_size, &messages);
}

/// A message of at most `room` bytes.
fn next_message(src: &mut Source<'_>, room: usize) -> Message {
    let tag = src.byte();
    let partial = tag & 0x08 != 0;
    let len = LENGTHS[usize::from(tag >> 4)].min(room);
    let code = match tag & 7 {
        4 => match src.byte() {
            i @ 0..16 => Some(CODES[usize::from(i)]),
            _ => Some(u16::from_be_bytes([src.byte(), src.byte()])),
        },
        _ => None,
    };
    let seed = src.take(16);
    let message = match tag & 7 {
        0 | 6 => Message::text(text_of(seed, len)),
        2 => Message::ping(bytes_of(seed, len)),
        3 => Message::pong(bytes_of(seed, len)),
        4 => Message::close(code.expect("read above"), text_of(seed, len)),
        5 => Message::close_without_code(),
        _ => Message::binary(bytes_of(seed, len)),
    };
    message.with_partial(partial)
}

fn bytes_of(seed: &[u8], len: usize) -> Vec<u8> {
    if seed.is_empty() { vec![0; len] } else { seed.iter().copied().cycle().take(len).collect() }
}

fn text_of(seed: &[u8], len: usize) -> String {
    let unit = String::from_utf8_lossy(seed);
    let unit = if unit.is_empty() { "é".into() } else { unit };
    let mut text = unit.repeat(len / unit.len() + 1);
    let mut cut = len.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text
}

/// What the rules say about a message: the encoder must accept it (and move to this state),
/// must refuse it, or may do either: a control message over `max_frame_size` may be refused
/// or sent, but once sent the decoder must take it.
#[derive(Debug)]
enum Expect {
    Accept(WriteState),
    Refuse,
    Either(WriteState),
}

/// The payload length of the frame a message makes (a close frame's code counts).
fn wire_len(message: &Message) -> usize {
    message.len() + if message.close_code().is_some() { 2 } else { 0 }
}

/// RFC 6455's rules and the sending state, for `message`.
fn model(state: WriteState, max_frame_size: usize, message: &Message) -> Expect {
    if state == WriteState::CloseSent {
        return Expect::Refuse;
    }
    let kind = message.message_type();
    let next = match kind {
        _ if kind.is_control() && message.is_partial() => None,
        MessageType::Close => {
            let ok = match message.close_code() {
                None => message.is_empty(),
                Some(code) => code.is_sendable() && message.len() <= 123,
            };
            ok.then_some(WriteState::CloseSent)
        }
        MessageType::Ping | MessageType::Pong => (message.len() <= 125).then_some(state),
        _ => {
            let fits = message.len() <= max_frame_size;
            let continues = !matches!(state, WriteState::Fragmented(open) if open != kind);
            let next = if message.is_partial() { WriteState::Fragmented(kind) } else { WriteState::Open };
            (fits && continues).then_some(next)
        }
    };
    match next {
        None => Expect::Refuse,
        Some(next) if kind.is_control() && wire_len(message) > max_frame_size => Expect::Either(next),
        Some(next) => Expect::Accept(next),
    }
}

fn roundtrip(sender: Role, receiver: Role, max_frame_size: usize, messages: &[Message]) {
    let mut encoder = Encoder::new(sender, max_frame_size);
    let mut wire = BytesMut::new();
    let mut sent = Vec::new();
    for message in messages {
        let state = encoder.state();
        let written = wire.len();
        let expected = model(state, max_frame_size, message);
        match encoder.encode(message, &mut wire) {
            Ok(large) => {
                let (Expect::Accept(next) | Expect::Either(next)) = expected else {
                    panic!("{sender:?} encoder accepted {message:?} in {state:?}")
                };
                assert_eq!(encoder.state(), next, "state after {message:?}");
                let (header, header_len) =
                    FrameHeader::decode(&wire[written..]).expect("valid header").expect("whole header");
                assert_eq!(header.mask.is_some(), sender == Role::Client, "masking by role");
                assert_eq!(header.fin, !message.is_partial(), "FIN bit");
                if let Some(payload) = large {
                    assert_eq!(sender, Role::Server, "a masked payload handed back");
                    assert_eq!(wire.len(), written + header_len, "header only before a large payload");
                    assert_eq!(payload.as_ref(), message.data(), "large payload");
                    wire.extend_from_slice(&payload);
                }
                assert_eq!(wire.len() - written - header_len, header.payload_len as usize, "frame length");
                sent.push(message.clone());
            }
            Err(error) => {
                assert!(
                    !matches!(expected, Expect::Accept(_)),
                    "{sender:?} encoder refused {message:?} in {state:?}: {error:?}"
                );
                assert_eq!(encoder.state(), state, "a refused message changed the state");
                assert_eq!(wire.len(), written, "a refused message wrote bytes");
                if state == WriteState::CloseSent {
                    assert!(matches!(error, Error::Closed), "after close: {error:?}");
                }
            }
        }
    }

    let mut decoder = Decoder::new(receiver, max_frame_size);
    let mut received = Vec::new();
    loop {
        match decoder.decode(&mut wire, usize::MAX) {
            Ok(Some(message)) => received.push(message),
            Ok(None) => break,
            Err(Error::Closed) if received.last().is_some_and(is_close) => break,
            Err(error) => panic!(
                "{receiver:?} decoder failed on what the encoder accepted: {error:?} after {} of {} \
                 messages (max_frame_size {max_frame_size}; next sent {:?})",
                received.len(),
                sent.len(),
                sent.get(received.len())
            ),
        }
    }
    assert!(wire.is_empty(), "{} bytes left undecoded", wire.len());
    assert_eq!(received, sent, "{sender:?} to {receiver:?}");
}

fn is_close(message: &Message) -> bool {
    message.message_type() == MessageType::Close
}
