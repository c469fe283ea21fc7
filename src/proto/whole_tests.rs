//! `Decoder::decode_whole`: fragmented messages put together in place, control frames
//! between fragments, the switch back to plain `decode`, and the limits.

use bytes::{Bytes, BytesMut};

use super::*;
use crate::{CloseCode, Error, MAX_FRAGMENTS, Message, MessageType};

const MAX: usize = 1 << 20;

fn client_wire(messages: &[Message]) -> BytesMut {
    let mut encoder = Encoder::new(Role::Client, MAX);
    let mut out = BytesMut::new();
    for message in messages {
        assert!(encoder.encode(message, &mut out).unwrap().is_none(), "clients copy every payload");
    }
    out
}

/// Everything `decode_whole` makes of `wire`, fed `step` bytes at a time.
fn decode_whole_all(wire: &[u8], step: usize, budget: usize) -> Result<Vec<Message>, Error> {
    let mut decoder = Decoder::new(Role::Server, MAX);
    let mut buf = BytesMut::new();
    let mut messages = Vec::new();
    for chunk in wire.chunks(step) {
        buf.extend_from_slice(chunk);
        while decoder.state() != ReadState::CloseReceived
            && let Some(message) = decoder.decode_whole(&mut buf, budget)?
        {
            messages.push(message);
        }
    }
    assert!(buf.is_empty(), "bytes left over");
    Ok(messages)
}

/// Client frames built by hand (mask key 0), for text cut inside characters, which the
/// encoder refuses.
fn raw_text_frames(parts: &[&[u8]]) -> Vec<u8> {
    let mut wire = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let opcode = if i == 0 { 0x1 } else { 0x0 };
        let fin = if i + 1 == parts.len() { 0x80 } else { 0 };
        wire.extend([fin | opcode, 0x80 | part.len() as u8, 0, 0, 0, 0]);
        wire.extend_from_slice(part);
    }
    wire
}

fn fragments(kind: MessageType, parts: &[&[u8]]) -> Vec<Message> {
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| Message::data_frame(kind, Bytes::copy_from_slice(part), i + 1 < parts.len()))
        .collect()
}

#[test]
fn fragments_come_out_as_one_message_with_control_frames_first() {
    let mut sent = fragments(MessageType::Binary, &[&[1; 300], &[2; 5], &[], &[3; 70_000]]);
    sent.insert(2, Message::ping(Bytes::from_static(b"mid")));
    sent.push(Message::text("after"));
    sent.push(Message::close(CloseCode::NORMAL, "bye"));
    let wire = client_wire(&sent);
    let mut whole = vec![1; 300];
    whole.extend([2; 5]);
    whole.extend([3; 70_000]);
    for step in [1, 7, 4096, wire.len()] {
        let got = decode_whole_all(&wire, step, usize::MAX).unwrap();
        let kinds: Vec<_> = got.iter().map(|m| (m.message_type(), m.is_partial())).collect();
        assert_eq!(
            kinds,
            [
                (MessageType::Ping, false),
                (MessageType::Binary, false),
                (MessageType::Text, false),
                (MessageType::Close, false)
            ],
            "step {step}"
        );
        assert_eq!(got[0].data(), b"mid");
        assert_eq!(got[1].data(), &whole[..], "step {step}");
        assert_eq!(got[2].as_text(), Some("after"));
    }
}

#[test]
fn the_message_is_put_together_in_the_read_buffer() {
    let wire = client_wire(&fragments(MessageType::Binary, &[&[4; 1000], &[5; 1000]]));
    let mut buf = BytesMut::from(&wire[..]);
    let start = buf.as_ptr() as usize;
    let mut decoder = Decoder::new(Role::Server, MAX);
    let message = decoder.decode_whole(&mut buf, usize::MAX).unwrap().expect("whole");
    assert_eq!(message.len(), 2000);
    assert_eq!(message.data().as_ptr() as usize, start + 8, "no copy: it starts behind the first header");
}

#[test]
fn text_split_inside_characters_is_validated_and_joined() {
    let text = "a\u{1D11E}é€z";
    let bytes = text.as_bytes();
    for i in 0..=bytes.len() {
        let parts = [&bytes[..i], &bytes[i..]];
        let wire = raw_text_frames(&parts);
        let got = decode_whole_all(&wire, 1, usize::MAX).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].as_text(), Some(text), "cut at {i}");
    }
    let mut invalid = raw_text_frames(&[b"ok", &[0xC3]]);
    invalid.extend_from_slice(&raw_text_frames(&[b"x"]));
    assert!(matches!(decode_whole_all(&invalid, 1, usize::MAX), Err(Error::InvalidUtf8)));
}

#[test]
fn the_budget_bounds_the_whole_message_on_each_header() {
    let wire = client_wire(&fragments(MessageType::Binary, &[&[0; 600], &[0; 600]]));
    assert_eq!(decode_whole_all(&wire, wire.len(), 1200).unwrap()[0].len(), 1200);
    // The second header alone shows the message going over (headers of 8 bytes here).
    let err = decode_whole_all(&wire[..608 + 8], 1, 1199).unwrap_err();
    assert!(matches!(err, Error::MessageTooLarge { max: 1199 }), "{err}");
}

#[test]
fn too_many_fragments_is_an_error() {
    let mut parts = vec![&b"x"[..]; MAX_FRAGMENTS];
    assert_eq!(
        decode_whole_all(&client_wire(&fragments(MessageType::Binary, &parts)), 4096, usize::MAX).unwrap()[0]
            .len(),
        MAX_FRAGMENTS
    );
    parts.push(b"y");
    let err = decode_whole_all(&client_wire(&fragments(MessageType::Binary, &parts)), 4096, usize::MAX)
        .unwrap_err();
    assert!(matches!(err, Error::TooManyFragments { max: MAX_FRAGMENTS }), "{err}");
}

/// A plain `decode` after `decode_whole` stopped at a control frame hands out what was put
/// together, cut at a character boundary, and the rest follows frame by frame; nothing is lost.
#[test]
fn plain_decode_after_an_interrupted_whole_message_loses_nothing() {
    let text = "héllo wörld €";
    let bytes = text.as_bytes();
    for cut in 1..bytes.len() {
        let frames = raw_text_frames(&[&bytes[..cut], &bytes[cut..]]);
        // A ping between the two frames.
        let first_len = 6 + cut;
        let mut wire = frames[..first_len].to_vec();
        wire.extend_from_slice(&client_wire(&[Message::ping(Bytes::new())]));
        wire.extend_from_slice(&frames[first_len..]);
        let mut decoder = Decoder::new(Role::Server, MAX);
        let mut buf = BytesMut::from(&wire[..]);
        let ping = decoder.decode_whole(&mut buf, usize::MAX).unwrap().expect("the ping");
        assert_eq!(ping.message_type(), MessageType::Ping);
        let mut joined = String::new();
        while let Some(message) = decoder.decode(&mut buf, usize::MAX).unwrap() {
            joined.push_str(message.as_text().expect("each piece is valid UTF-8 alone"));
        }
        assert_eq!(joined, text, "cut at {cut}");
    }
}

/// The same after a whole-message read stopped inside a frame (a timeout, say): the frame in
/// progress takes what was put together in front of its own payload.
#[test]
fn plain_decode_inside_a_frame_takes_the_assembled_part_along() {
    // Lengths not multiples of 4: the rest of the frame must still unmask in phase.
    let wire = client_wire(&fragments(MessageType::Binary, &[&[1; 101], &[2; 102], &[3; 103]]));
    let cut = 107 + 6 + 50;
    let mut decoder = Decoder::new(Role::Server, MAX);
    let mut buf = BytesMut::from(&wire[..cut]);
    assert!(decoder.decode_whole(&mut buf, usize::MAX).unwrap().is_none());
    buf.extend_from_slice(&wire[cut..]);
    let first = decoder.decode(&mut buf, usize::MAX).unwrap().expect("the first two frames");
    assert!(first.is_partial());
    assert_eq!(first.data(), &[&[1u8; 101][..], &[2; 102]].concat()[..]);
    let last = decoder.decode(&mut buf, usize::MAX).unwrap().expect("the last frame");
    assert!(!last.is_partial());
    assert_eq!(last.data(), &[3u8; 103][..]);
}

/// A message begun with plain `decode` (a character held back) and finished whole.
#[test]
fn whole_after_plain_keeps_a_held_back_character() {
    let bytes = "x€y".as_bytes();
    let wire = raw_text_frames(&[&bytes[..2], &bytes[2..3], &bytes[3..]]);
    let mut decoder = Decoder::new(Role::Server, MAX);
    let mut buf = BytesMut::from(&wire[..]);
    let first = decoder.decode(&mut buf, usize::MAX).unwrap().expect("first frame");
    assert_eq!(first.as_text(), Some("x"));
    let rest = decoder.decode_whole(&mut buf, usize::MAX).unwrap().expect("the rest, whole");
    assert_eq!(rest.as_text(), Some("€y"));
    assert!(!rest.is_partial());
}

/// Empty fragments put nothing in front of the next, but still count, and the count starts
/// again with each message.
#[test]
fn empty_fragments_count_per_message() {
    let mut parts = vec![&b""[..]; MAX_FRAGMENTS - 1];
    parts.push(b"z");
    let one = client_wire(&fragments(MessageType::Binary, &parts));
    let twice = [&one[..], &one[..]].concat();
    let got = decode_whole_all(&twice, 4096, usize::MAX).unwrap();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|m| m.data() == b"z" && !m.is_partial()));
    parts.insert(0, b"");
    let err = decode_whole_all(&client_wire(&fragments(MessageType::Binary, &parts)), 4096, usize::MAX)
        .unwrap_err();
    assert!(matches!(err, Error::TooManyFragments { max: MAX_FRAGMENTS }), "{err}");
}
