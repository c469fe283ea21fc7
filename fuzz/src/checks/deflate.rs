//! The `extensions`, `inflate` and `decoder_deflate` targets: permessage-deflate's header
//! parsing and negotiation, its decompressor fed anything, and the decoder with compressed
//! frames in the stream.
//!
//! `extensions` input: byte 0 picks the server's options (bit 0: disabled, bits 1–2: its
//! window limits, bit 3: context takeover allowed); the rest is one `Sec-WebSocket-Extensions`
//! value. Properties: no panic; a parsed list written back in canonical form parses to the
//! same list; the server's answer to it (if any) is one permessage-deflate extension that a
//! default client accepts with the same parameters, within the window limits asked for; read
//! as an answer, it is accepted only as exactly one permessage-deflate.
//!
//! `inflate` input: byte 0 picks the window bits (8–15) and context takeover, bytes 1–2 the
//! limit; the rest is cut into frames by a length byte each (bit 7 of it: final frame).
//! Properties: the frames, inflated as compressed data, never panic, never put out more than
//! the limit, and fail only as too large or corrupt; the same frames' bytes compressed by
//! `Deflater` as a message of those parts inflate back to exactly them, and to an error one
//! byte under their length.

use bytes::BytesMut;
use uniws::proto::deflate::{
    Deflater, Extension, InflateError, Inflater, accept_offer, parse_extensions, validate_answer,
};
use uniws::proto::{Decoder, Role};
use uniws::{DeflateOptions, Error, MessageType};

use super::Source;

/// An extension list in canonical form: every value quoted, escapes where needed.
fn write(list: &[Extension]) -> String {
    let quote = |v: &str| {
        v.chars()
            .flat_map(|c| if c == '"' || c == '\\' { vec!['\\', c] } else { vec![c] })
            .collect::<String>()
    };
    list.iter()
        .map(|e| {
            let mut text = e.name.clone();
            for (name, value) in &e.params {
                text.push_str("; ");
                text.push_str(name);
                if let Some(value) = value {
                    text.push_str(&format!("=\"{}\"", quote(value)));
                }
            }
            text
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks one `extensions` input; panics on a broken property.
pub fn check_extensions(data: &[u8]) {
    let mut src = Source::new(data);
    let pick = src.byte();
    let value = src.rest();
    let mut server = if pick & 1 != 0 { DeflateOptions::disabled() } else { DeflateOptions::server() };
    if pick & 2 != 0 {
        server = server.server_max_window_bits(8 + (pick >> 4) % 8);
    }
    if pick & 4 != 0 {
        server = server.client_max_window_bits(8 + (pick >> 5) % 8);
    }
    if pick & 8 != 0 {
        server = server.server_no_context_takeover(false).client_no_context_takeover(false);
    }

    let parsed = parse_extensions([value]);
    if let Some(list) = &parsed {
        let again = parse_extensions([write(list).as_bytes()]);
        assert_eq!(again.as_ref(), Some(list), "the canonical form parses the same");
    }

    if let Some((params, answer)) = accept_offer([value], &server) {
        assert!(server.is_enabled(), "accepted with compression off");
        assert!(parsed.is_some(), "accepted a malformed offer");
        let list = parse_extensions([answer.as_bytes()]).expect("the answer parses");
        assert!(list.len() == 1 && list[0].name == "permessage-deflate", "{answer}");
        let agreed = validate_answer([answer.as_bytes()], &DeflateOptions::client());
        assert_eq!(agreed, Ok(Some(params)), "a default client agrees to {answer:?}");
        for bits in [params.server_max_window_bits, params.client_max_window_bits] {
            assert!((8..=15).contains(&bits), "{params:?}");
        }
        if pick & 2 != 0 {
            assert!(params.server_max_window_bits <= 8 + (pick >> 4) % 8, "{params:?}");
        }
    }

    if let Ok(Some(_)) = validate_answer([value], &DeflateOptions::client()) {
        let list = parsed.expect("accepted a malformed answer");
        assert!(list.len() == 1 && list[0].name.eq_ignore_ascii_case("permessage-deflate"), "{list:?}");
    }
}

/// Checks one `inflate` input; panics on a broken property.
pub fn check_inflate(data: &[u8]) {
    let mut src = Source::new(data);
    let pick = src.byte();
    let (bits, reset) = (8 + pick % 8, pick & 8 != 0);
    let limit = usize::from(u16::from_le_bytes([src.byte(), src.byte()]));
    let mut frames = Vec::new();
    while !src.is_empty() {
        let head = src.byte();
        frames.push((src.take(usize::from(head & 0x7f)), head & 0x80 != 0));
    }

    // Anything as compressed data.
    let mut inflater = Inflater::new(bits, reset);
    let mut out = Vec::new();
    for &(payload, fin) in &frames {
        let before = out.len();
        match inflater.inflate(payload, fin, limit, &mut out) {
            Ok(()) => {
                assert!(out.len() - before <= limit, "{} bytes over a limit of {limit}", out.len() - before)
            }
            Err(InflateError::TooLarge { size }) => {
                assert!(out.len() - before <= limit + 1 && size > limit as u64, "{size} bytes, limit {limit}")
            }
            Err(InflateError::Corrupt(_)) => {}
        }
        if fin {
            out.clear();
        }
    }

    // The same bytes compressed as one message of those parts come back exactly.
    let parts: Vec<&[u8]> = frames.iter().map(|&(payload, _)| payload).collect();
    let whole: Vec<u8> = parts.concat();
    let mut deflater = Deflater::new(u32::from(pick >> 4) % 10, bits, reset, 0);
    let mut inflater = Inflater::new(bits, reset);
    let mut compressed = Vec::new();
    for round in 0..2 {
        let mut inflated = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let fin = i + 1 == parts.len();
            compressed.clear();
            deflater.compress(part, fin, &mut compressed);
            inflater
                .inflate(&compressed, fin, usize::MAX, &mut inflated)
                .expect("our own deflate data inflates");
        }
        if parts.is_empty() {
            compressed.clear();
            deflater.compress(b"", true, &mut compressed);
            inflater
                .inflate(&compressed, true, usize::MAX, &mut inflated)
                .expect("an empty message inflates");
        }
        assert_eq!(inflated, whole, "round {round}");
    }
    if !whole.is_empty() {
        let mut fresh = Deflater::new(6, bits, true, 0);
        compressed.clear();
        fresh.compress(&whole, true, &mut compressed);
        let mut out = Vec::new();
        let cut = Inflater::new(bits, true).inflate(&compressed, true, whole.len() - 1, &mut out);
        let size = whole.len() as u64;
        assert_eq!(cut, Err(InflateError::TooLarge { size }), "one byte under the length");
    }
}

/// Checks one `decoder_deflate` input: a stream of frames (compressed ones among them) fed to
/// a server's `Decoder` that accepts permessage-deflate, whole and in chunks.
///
/// Input layout: byte 0 picks the peer's window bits (bits 0–2, 8 + n), its context takeover
/// (bit 3), `max_frame_size` (bits 4–5: 16, 1000, 65536, 1 MiB) and whether `decode_whole` is
/// used (bit 6); byte 1 % 64 + 1 is the chunk size; the rest is the stream (frames masked or
/// not, as the fuzzer writes them). Properties: no panic; no message's data longer than
/// `max_frame_size`; text always valid UTF-8; an error has a close code or is `Closed`;
/// chunked and whole feeding give the same messages and the same error.
pub fn check_decoder(data: &[u8]) {
    let mut src = Source::new(data);
    let pick = src.byte();
    let chunk = usize::from(src.byte() % 64) + 1;
    let stream = src.rest();
    let max_frame_size = [16, 1000, 65536, 1 << 20][usize::from(pick >> 4 & 3)];
    let whole = pick & 0x40 != 0;
    let run = |chunk: usize| {
        let inflater = Inflater::new(8 + (pick & 7), pick & 8 != 0);
        let mut decoder = Decoder::new(Role::Server, max_frame_size).with_inflater(inflater);
        let mut buf = BytesMut::new();
        let mut messages = Vec::new();
        for piece in stream.chunks(chunk) {
            buf.extend_from_slice(piece);
            loop {
                let decoded = match whole {
                    true => decoder.decode_whole(&mut buf, 1 << 16),
                    false => decoder.decode(&mut buf, usize::MAX),
                };
                match decoded {
                    Ok(Some(message)) => {
                        assert!(message.len() <= max_frame_size.max(1 << 16), "{} bytes", message.len());
                        if message.message_type() == MessageType::Text {
                            assert!(std::str::from_utf8(message.data()).is_ok(), "text not UTF-8");
                        }
                        messages.push(message);
                    }
                    Ok(None) => break,
                    Err(error) => {
                        assert!(matches!(error, Error::Closed) || error.close_code().is_some(), "{error:?}");
                        return (messages, Some(format!("{error:?}")));
                    }
                }
            }
        }
        (messages, None)
    };
    assert_eq!(run(stream.len().max(1)), run(chunk), "chunked feeding changed the outcome");
}
