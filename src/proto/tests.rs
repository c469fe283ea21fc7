//! The codec end to end without sockets: a client encoder feeding a server decoder and back,
//! byte by byte and in one piece, with every rule the state machines enforce.

use bytes::{Bytes, BytesMut};

use super::*;
use crate::{CloseCode, Error, Message, MessageType};

const MAX: usize = 1 << 20;

fn encode_all(role: Role, messages: &[Message]) -> BytesMut {
    let mut encoder = Encoder::new(role, MAX);
    let mut out = BytesMut::new();
    for message in messages {
        if let Some(payload) = encoder.encode(message, &mut out).unwrap() {
            out.extend_from_slice(&payload);
        }
    }
    out
}

/// Decodes everything in `wire`, feeding it `step` bytes at a time.
fn decode_all(role: Role, wire: &[u8], step: usize) -> Result<Vec<Message>, Error> {
    let mut decoder = Decoder::new(role, MAX);
    let mut buf = BytesMut::new();
    let mut messages = Vec::new();
    for chunk in wire.chunks(step.max(1)) {
        buf.extend_from_slice(chunk);
        while decoder.state() != ReadState::CloseReceived
            && let Some(message) = decoder.decode(&mut buf, usize::MAX)?
        {
            messages.push(message);
        }
    }
    assert!(buf.is_empty(), "bytes left over");
    Ok(messages)
}

fn sample_messages() -> Vec<Message> {
    vec![
        Message::text("hello"),
        Message::binary(vec![0u8, 1, 2, 255]),
        Message::text(""),
        Message::binary(vec![7u8; 70_000]),
        Message::ping(Bytes::from_static(b"are you there")),
        Message::pong(Bytes::new()),
        Message::text("frag").with_partial(true),
        Message::ping(Bytes::from_static(b"mid")),
        Message::text("ment").with_partial(true),
        Message::text("ed"),
        Message::binary(vec![9u8; 5000]).with_partial(true),
        Message::binary(vec![8u8; 5000]),
        Message::close(CloseCode::NORMAL, "bye"),
    ]
}

#[test]
fn every_message_survives_both_directions_whole_and_bytewise() {
    let messages = sample_messages();
    for (sender, receiver) in [(Role::Client, Role::Server), (Role::Server, Role::Client)] {
        let wire = encode_all(sender, &messages);
        for step in [1, 3, 7, 1000, wire.len()] {
            let decoded = decode_all(receiver, &wire, step).unwrap();
            assert_eq!(decoded, messages, "{sender:?} -> {receiver:?}, step {step}");
        }
    }
}

#[test]
fn fragments_go_out_as_continuation_frames() {
    let wire = encode_all(
        Role::Server,
        &[Message::text("ab").with_partial(true), Message::text("cd").with_partial(true), Message::text("e")],
    );
    assert_eq!(&wire[..], b"\x01\x02ab\x00\x02cd\x80\x01e");
}

#[test]
fn client_frames_are_masked_with_a_fresh_key_each() {
    let wire = encode_all(Role::Client, &[Message::text("same"), Message::text("same")]);
    let (first, n) = FrameHeader::decode(&wire).unwrap().unwrap();
    let (second, _) = FrameHeader::decode(&wire[n + 4..]).unwrap().unwrap();
    assert!(first.mask.is_some() && second.mask.is_some());
    assert_ne!(first.mask, second.mask);
    assert_ne!(&wire[n..n + 4], b"same", "payload is masked on the wire");
}

#[test]
fn masking_is_checked_by_role() {
    let from_server = encode_all(Role::Server, &[Message::text("x")]);
    let err = decode_all(Role::Server, &from_server, 100).unwrap_err();
    assert!(matches!(err, Error::Protocol(Violation::UnmaskedClientFrame)), "{err}");
    let from_client = encode_all(Role::Client, &[Message::text("x")]);
    let err = decode_all(Role::Client, &from_client, 100).unwrap_err();
    assert!(matches!(err, Error::Protocol(Violation::MaskedServerFrame)), "{err}");
}

#[test]
fn a_character_split_across_frames_is_delivered_whole() {
    let text = "a\u{1D11E}é€z";
    let bytes = text.as_bytes();
    for i in 0..=bytes.len() {
        for j in i..=bytes.len() {
            // Build the frames by hand: the encoder only takes whole characters.
            let mut wire = Vec::new();
            let parts = [&bytes[..i], &bytes[i..j], &bytes[j..]];
            for (n, part) in parts.iter().enumerate() {
                let opcode = if n == 0 { 0x1 } else { 0x0 };
                let fin = if n == 2 { 0x80 } else { 0 };
                wire.push(fin | opcode);
                wire.push(part.len() as u8);
                wire.extend_from_slice(part);
            }
            let messages = decode_all(Role::Client, &wire, 1).unwrap();
            let joined: String = messages.iter().map(|m| m.as_text().expect("valid UTF-8 alone")).collect();
            assert_eq!(joined, text, "cuts {i} {j}");
            assert_eq!(messages.iter().filter(|m| m.is_partial()).count(), 2);
        }
    }
}

#[test]
fn invalid_utf8_fails_as_soon_as_it_arrives() {
    let mut decoder = Decoder::new(Role::Client, MAX);
    // A text frame announcing 100 bytes, of which only 6 arrived; the 4th is invalid.
    let mut buf = BytesMut::from(&b"\x81\x64abc\xc0de"[..]);
    assert!(matches!(decoder.decode(&mut buf, usize::MAX), Err(Error::InvalidUtf8)));
    // Unfinished character at the end of the message.
    let err = decode_all(Role::Client, b"\x81\x02a\xe2", 1).unwrap_err();
    assert!(matches!(err, Error::InvalidUtf8));
    assert_eq!(err.close_code(), Some(CloseCode::INVALID_PAYLOAD));
}

#[test]
fn frame_limit_is_checked_on_the_header_alone() {
    let mut decoder = Decoder::new(Role::Client, 1000);
    // 2^62 bytes announced; no payload in the buffer.
    let mut buf = BytesMut::from(&[0x82, 0x7f, 0x40, 0, 0, 0, 0, 0, 0, 0][..]);
    let err = decoder.decode(&mut buf, usize::MAX).unwrap_err();
    assert!(matches!(err, Error::FrameTooLarge { size, max: 1000 } if size == 1 << 62));
    assert_eq!(err.close_code(), Some(CloseCode::MESSAGE_TOO_BIG));
}

/// Bytes that deflate cannot shrink (xorshift: the same every run).
fn incompressible(len: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A server frame of a compressed message: `payload` as it is, RSV1 on a first frame.
fn compressed_frame(first: bool, fin: bool, payload: &[u8]) -> BytesMut {
    let opcode = if first { OpCode::Binary } else { OpCode::Continuation };
    let header = FrameHeader { fin, rsv1: first, opcode, mask: None, payload_len: payload.len() as u64 };
    let mut bytes = [0; MAX_HEADER_LEN];
    let len = header.encode(&mut bytes);
    let mut frame = BytesMut::from(&bytes[..len]);
    frame.extend_from_slice(payload);
    frame
}

/// What a frame limit counts on a compressed frame is what it inflates to: a part of a
/// message that does not compress grows past the limit on the wire and is still taken; one
/// that inflates past it is refused with its real size; a header announcing more than
/// deflate makes of the limit is refused before its payload, with the size it announced.
#[test]
fn a_compressed_frame_is_held_to_the_frame_limit_by_what_it_inflates_to() {
    const LIMIT: usize = 16 << 10;
    let decoder = || Decoder::new(Role::Client, LIMIT).with_inflater(deflate::Inflater::new(15, true));
    for level in [1, 6, 9] {
        for bits in [9, 15] {
            let data = incompressible(LIMIT);
            let mut compressed = Vec::new();
            deflate::Deflater::new(level, bits, true, 0).compress(&data, false, &mut compressed);
            assert!(compressed.len() > LIMIT && compressed.len() <= deflate::max_deflated_len(LIMIT));
            let mut tail = Vec::new();
            deflate::Deflater::new(level, bits, true, 0).compress(b"", true, &mut tail);
            let mut decoder = decoder();
            let mut buf = compressed_frame(true, false, &compressed);
            buf.extend_from_slice(&compressed_frame(false, true, &tail));
            let part = decoder.decode(&mut buf, usize::MAX).unwrap().expect("the first frame");
            assert_eq!((part.data(), part.is_partial()), (&data[..], true), "level {level}, {bits} bits");
            let end = decoder.decode(&mut buf, usize::MAX).unwrap().expect("the last frame");
            assert!(end.data().is_empty() && !end.is_partial());
        }
    }
    // One byte more than the limit, inflated: refused with its size, counted on.
    let mut compressed = Vec::new();
    deflate::Deflater::new(6, 15, true, 0).compress(&[b'a'; LIMIT + 5000], true, &mut compressed);
    let err = decoder().decode(&mut compressed_frame(true, true, &compressed), usize::MAX).unwrap_err();
    assert!(matches!(err, Error::FrameTooLarge { size: 21_384, max: LIMIT }), "{err:?}");
    assert_eq!(err.close_code(), Some(CloseCode::MESSAGE_TOO_BIG));
    // Past deflate's bound, the header alone is refused.
    let over = deflate::max_deflated_len(LIMIT) as u64 + 1;
    let header = FrameHeader { fin: true, rsv1: true, opcode: OpCode::Binary, mask: None, payload_len: over };
    let mut bytes = [0; MAX_HEADER_LEN];
    let len = header.encode(&mut bytes);
    let err = decoder().decode(&mut BytesMut::from(&bytes[..len]), usize::MAX).unwrap_err();
    assert!(matches!(err, Error::FrameTooLarge { size, max: LIMIT } if size == over), "{err:?}");
    // Uncompressed, the limit is the wire's.
    let header = FrameHeader { rsv1: false, payload_len: LIMIT as u64 + 1, ..header };
    let len = header.encode(&mut bytes);
    let err = decoder().decode(&mut BytesMut::from(&bytes[..len]), usize::MAX).unwrap_err();
    assert!(matches!(err, Error::FrameTooLarge { size: 16_385, max: LIMIT }), "{err:?}");
}

/// Our own compressed frames never exceed the frame limit on the wire, so a peer with the
/// same limit takes them whether it counts wire or inflated bytes.
#[test]
fn compressed_frames_sent_fit_the_senders_limit_on_the_wire() {
    const LIMIT: usize = 16 << 10;
    let data = Bytes::from(incompressible(300_000));
    let mut encoder = Encoder::new(Role::Server, LIMIT).with_deflater(deflate::Deflater::new(6, 15, true, 0));
    let mut decoder = Decoder::new(Role::Client, LIMIT).with_inflater(deflate::Inflater::new(15, true));
    let mut wire = BytesMut::new();
    let fragments = crate::assemble::Fragments::new(Message::binary(data.clone()), LIMIT);
    for fragment in fragments {
        if let Some(payload) = encoder.encode(&fragment, &mut wire).unwrap() {
            wire.extend_from_slice(&payload);
        }
    }
    let mut received = Vec::new();
    while !wire.is_empty() {
        let (header, _) = FrameHeader::decode(&wire).unwrap().expect("a whole header");
        assert!(header.payload_len <= LIMIT as u64, "{} bytes on the wire", header.payload_len);
        let part = decoder.decode(&mut wire, usize::MAX).unwrap().expect("a whole frame");
        received.extend_from_slice(part.data());
    }
    assert_eq!(received, data);
}

#[test]
fn message_budget_is_checked_on_the_header_alone() {
    let mut decoder = Decoder::new(Role::Client, MAX);
    let mut buf = BytesMut::from(&[0x82, 0x7e, 0x01, 0x00][..]);
    assert!(matches!(decoder.decode(&mut buf, 255), Err(Error::MessageTooLarge { max: 255 })));
    // Control frames are not counted against the message.
    let mut buf = BytesMut::from(&b"\x89\x05hello"[..]);
    assert_eq!(
        Decoder::new(Role::Client, MAX).decode(&mut buf, 0).unwrap(),
        Some(Message::ping(&b"hello"[..]))
    );
}

#[test]
fn fragmentation_rules() {
    let violates =
        |wire: &[u8], rule| matches!(decode_all(Role::Client, wire, 1), Err(Error::Protocol(v)) if v == rule);
    assert!(
        violates(b"\x80\x01a", Violation::UnexpectedContinuation),
        "continuation with nothing to continue"
    );
    assert!(
        violates(b"\x01\x01a\x81\x01b", Violation::InterleavedMessage),
        "new message inside a fragmented one"
    );
    assert!(
        violates(b"\x02\x01a\x01\x01b", Violation::InterleavedMessage),
        "new text inside a fragmented binary"
    );
    // A control frame between fragments is fine.
    let ok = decode_all(Role::Client, b"\x01\x01a\x89\x00\x80\x01b", 1).unwrap();
    assert_eq!(ok.len(), 3);
    assert_eq!(ok[1].message_type(), MessageType::Ping);
}

#[test]
fn nothing_is_read_after_a_close() {
    let mut decoder = Decoder::new(Role::Client, MAX);
    let mut buf = BytesMut::from(&b"\x88\x02\x03\xe8\x81\x01a"[..]);
    let close = decoder.decode(&mut buf, usize::MAX).unwrap().unwrap();
    assert_eq!(close.close_code(), Some(CloseCode::NORMAL));
    assert_eq!(decoder.state(), ReadState::CloseReceived);
    assert!(matches!(decoder.decode(&mut buf, usize::MAX), Err(Error::Closed)));
}

#[test]
fn encoder_refuses_what_cannot_be_sent_and_stays_usable() {
    let mut encoder = Encoder::new(Role::Client, 10);
    let mut out = BytesMut::new();
    let refused = [
        Message::binary(vec![0u8; 11]),
        Message::ping(vec![0u8; 126]),
        Message::ping(Bytes::new()).with_partial(true),
        Message::close(1006, ""),
        Message::close(1000, "x".repeat(124)),
    ];
    for message in &refused {
        assert!(encoder.encode(message, &mut out).is_err(), "{message:?}");
        assert!(out.is_empty(), "nothing written for {message:?}");
        assert_eq!(encoder.state(), WriteState::Open);
    }
    assert!(matches!(
        encoder.encode(&Message::binary(vec![0u8; 11]), &mut out),
        Err(Error::FrameTooLarge { size: 11, max: 10 })
    ));
    encoder.encode(&Message::text("abc").with_partial(true), &mut out).unwrap();
    assert_eq!(encoder.state(), WriteState::Fragmented(MessageType::Text));
    assert!(matches!(encoder.encode(&Message::binary(vec![1u8]), &mut out), Err(Error::InvalidMessage(_))));
    encoder.encode(&Message::ping(Bytes::new()), &mut out).unwrap();
    encoder.encode(&Message::text("d"), &mut out).unwrap();
    encoder.encode(&Message::close(1000, ""), &mut out).unwrap();
    assert_eq!(encoder.state(), WriteState::CloseSent);
    assert!(matches!(encoder.encode(&Message::text("late"), &mut out), Err(Error::Closed)));
}

#[test]
fn large_server_payloads_are_not_copied() {
    let data = Bytes::from(vec![5u8; 100_000]);
    let mut encoder = Encoder::new(Role::Server, MAX);
    let mut out = BytesMut::new();
    let payload = encoder.encode(&Message::binary(data.clone()), &mut out).unwrap().expect("handed back");
    assert_eq!(payload.as_ptr(), data.as_ptr());
    assert_eq!(out.len(), 10, "only the header was written");
}

#[test]
fn received_payloads_are_not_copied() {
    let wire = encode_all(Role::Server, &[Message::binary(vec![3u8; 10_000])]);
    let mut buf = BytesMut::from(&wire[..]);
    let start = buf.as_ptr() as usize;
    let message = Decoder::new(Role::Client, MAX).decode(&mut buf, usize::MAX).unwrap().unwrap();
    assert_eq!(message.data().as_ptr() as usize, start + 4, "payload points into the read buffer");
}
