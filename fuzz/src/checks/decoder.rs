//! The `decoder` target: a byte stream fed to a `Decoder` in chunks and all at once.
//!
//! Input layout: byte 0 picks the role (bit 0: 0 = client, which reads unmasked frames;
//! 1 = server, which reads masked ones), `max_frame_size` (bits 1-3) and the message budget
//! (bits 4-6); byte 1 % 8 is the length of a chunking pattern that follows (each byte % 65
//! is a chunk size, cycled; a pattern of zeros means one chunk); the rest is the stream.
//!
//! Properties: no panic; never more payload out than bytes in; every text piece valid UTF-8
//! and a whole text message valid at FIN; message types follow the fragmentation rules; an
//! error has a close code or is `Closed` (only right after a close message); a call that
//! needs more bytes is idempotent; chunked and whole feeding give the same messages and the
//! same error; and the outcome agrees with an independent reference decoder written from
//! RFC 6455 (same frames and payloads, an error exactly where the reference finds a
//! violation and with one of its close codes; whether control frames are held to a
//! `max_frame_size` under 125 may go either way). A decodable frame header re-encodes to the
//! same bytes.

use bytes::BytesMut;
use uniws::proto::{Decoder, FrameHeader, MAX_HEADER_LEN, Role};
use uniws::{CloseCode, Error, Message, MessageType};

use super::Source;

pub(super) const MAX_FRAME_SIZES: [usize; 8] = [1 << 20, 0, 1, 125, 126, 1000, 65535, 65536];
pub(super) const BUDGETS: [usize; 8] = [usize::MAX, 0, 1, 125, 126, 1000, 65536, 1 << 20];

/// Checks one fuzz input; panics on a broken property.
pub fn check(data: &[u8]) {
    let mut src = Source::new(data);
    let config = src.byte();
    let role = if config & 1 == 0 { Role::Client } else { Role::Server };
    let max_frame_size = MAX_FRAME_SIZES[usize::from(config >> 1 & 7)];
    let budget = BUDGETS[usize::from(config >> 4 & 7)];
    let pattern_len = usize::from(src.byte() % 8);
    let pattern: Vec<usize> = src.take(pattern_len).iter().map(|&b| usize::from(b % 65)).collect();
    let stream = src.rest();

    check_header(stream);
    let whole = run(role, max_frame_size, budget, stream, &[]);
    let chunked = run(role, max_frame_size, budget, stream, &pattern);
    assert_eq!(whole.messages, chunked.messages, "chunked feeding changed the messages");
    assert_eq!(
        whole.error.as_ref().map(|e| format!("{e:?}")),
        chunked.error.as_ref().map(|e| format!("{e:?}")),
        "chunked feeding changed the error"
    );
    // Whether control frames (125 bytes at most) are held to a `max_frame_size` under 125 is
    // a choice: the decoder must agree with the reference under one of the two.
    let limited = compare(&whole, &reference(role, max_frame_size, budget, stream, true));
    if let Err(limited) = limited
        && let Err(exempt) = compare(&whole, &reference(role, max_frame_size, budget, stream, false))
    {
        panic!("{limited}\n(or, with control frames exempt from max_frame_size: {exempt})");
    }
}

/// A decodable header must re-encode to the same bytes, and every shorter prefix of it must
/// ask for more bytes.
fn check_header(stream: &[u8]) {
    match FrameHeader::decode(stream) {
        Ok(Some((header, len))) => {
            let mut out = [0; MAX_HEADER_LEN];
            let encoded = header.encode(&mut out);
            assert_eq!(&out[..encoded], &stream[..len], "header does not re-encode to its bytes");
            for cut in 0..len {
                assert!(matches!(FrameHeader::decode(&stream[..cut]), Ok(None)), "prefix {cut} of a header");
            }
        }
        Ok(None) => assert!(stream.len() < MAX_HEADER_LEN, "a full-length buffer is never incomplete"),
        Err(e) => assert_eq!(e.close_code(), Some(CloseCode::PROTOCOL_ERROR), "header error {e:?}"),
    }
}

struct Outcome {
    messages: Vec<Message>,
    error: Option<Error>,
}

/// Feeds `stream` in chunks cycling through `pattern` (one chunk if it is empty or all
/// zeros), decoding after each until the decoder needs more, and checks the per-call
/// properties on the way.
fn run(role: Role, max_frame_size: usize, budget: usize, stream: &[u8], pattern: &[usize]) -> Outcome {
    let mut decoder = Decoder::new(role, max_frame_size);
    let mut buf = BytesMut::new();
    let mut messages: Vec<Message> = Vec::new();
    let mut fed = 0;
    let mut returned = 0;
    let mut sequence = Sequence::default();
    let one_chunk = pattern.iter().all(|&n| n == 0);
    let mut sizes = pattern.iter().cycle();
    while fed < stream.len() {
        let size = if one_chunk { stream.len() } else { *sizes.next().expect("non-empty") };
        let end = (fed + size).min(stream.len());
        buf.extend_from_slice(&stream[fed..end]);
        fed = end;
        loop {
            let before = buf.len();
            match decoder.decode(&mut buf, budget) {
                Ok(Some(message)) => {
                    returned += message.len();
                    messages.push(message);
                    // Every frame has at least a 2-byte header.
                    assert!(returned + 2 * messages.len() <= fed, "more payload out than bytes in");
                    assert!(buf.len() < before, "a message consumed no bytes");
                    sequence.push(messages.last().expect("pushed"), max_frame_size, budget);
                }
                Ok(None) => {
                    assert!(decoder.bytes_wanted(buf.len()) >= 1);
                    let held = buf.len();
                    assert!(matches!(decoder.decode(&mut buf, budget), Ok(None)), "Ok(None) then not");
                    assert_eq!(buf.len(), held, "a second call without new bytes consumed some");
                    break;
                }
                Err(error) => {
                    match &error {
                        Error::Closed => assert!(sequence.closed, "Closed before any close message"),
                        e => assert!(e.close_code().is_some(), "error without a close code: {e:?}"),
                    }
                    return Outcome { messages, error: Some(error) };
                }
            }
        }
    }
    assert!(!sequence.closed, "a close message, then no Err(Closed)");
    Outcome { messages, error: None }
}

/// What the message sequence so far allows next.
#[derive(Default)]
struct Sequence {
    open: Option<MessageType>,
    text: Vec<u8>,
    closed: bool,
}

impl Sequence {
    fn push(&mut self, message: &Message, max_frame_size: usize, budget: usize) {
        assert!(!self.closed, "a message after the close message");
        let kind = message.message_type();
        let limit = max_frame_size.min(budget);
        match kind {
            MessageType::Text | MessageType::Binary => {
                if let Some(open) = self.open {
                    assert_eq!(open, kind, "a fragmented message changed type");
                }
                self.open = message.is_partial().then_some(kind);
                if kind == MessageType::Binary {
                    assert!(message.len() <= limit, "binary frame over the limits");
                } else {
                    assert!(message.as_text().is_some(), "text piece is not UTF-8");
                    // Up to 3 bytes of a character split by the previous frame come along.
                    assert!(message.len() <= limit.saturating_add(3), "text frame over the limits");
                    self.text.extend_from_slice(message.data());
                    if !message.is_partial() {
                        assert!(std::str::from_utf8(&self.text).is_ok(), "text message not UTF-8 at FIN");
                        self.text.clear();
                    }
                }
            }
            MessageType::Ping | MessageType::Pong => {
                assert!(!message.is_partial() && message.len() <= 125, "bad control message");
            }
            MessageType::Close => {
                assert!(!message.is_partial() && message.len() <= 123, "bad close message");
                assert!(message.as_text().is_some(), "close reason is not UTF-8");
                match message.close_code() {
                    Some(code) => assert!(code.is_sendable(), "close code {code} accepted"),
                    None => assert!(message.is_empty(), "a reason without a code"),
                }
                self.closed = true;
            }
        }
    }
}

// ---- the reference decoder ----

/// One frame the reference accepted: FIN, opcode and the unmasked payload.
struct RefFrame {
    fin: bool,
    opcode: u8,
    payload: Vec<u8>,
}

/// How the reference's reading of the stream ends.
#[derive(Debug)]
enum RefEnd {
    /// The stream stops inside a frame or between frames. The decoder may already fail with
    /// one of `allowed` (violations visible in a header that is not complete yet), or wait.
    Incomplete { allowed: Vec<u16> },
    /// The decoder must fail with one of these close codes.
    Violation(Vec<u16>),
    /// A close frame was accepted: the decoder must then answer `Closed`.
    Closed,
}

fn is_sendable(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Whether `bytes` cannot be the start of any UTF-8 text.
fn utf8_broken(bytes: &[u8]) -> bool {
    matches!(std::str::from_utf8(bytes), Err(e) if e.error_len().is_some())
}

/// RFC 6455 §5 read straight from the bytes, the whole stream at once; `limit_control` holds
/// control frames to `max_frame_size` too.
fn reference(
    role: Role,
    max_frame_size: usize,
    budget: usize,
    stream: &[u8],
    limit_control: bool,
) -> (Vec<RefFrame>, RefEnd) {
    const PROTOCOL: u16 = 1002;
    const INVALID: u16 = 1007;
    const TOO_BIG: u16 = 1009;
    let mut frames = Vec::new();
    // The type of the fragmented message in progress (1 text, 2 binary) and its text so far.
    let mut open: Option<u8> = None;
    let mut text: Vec<u8> = Vec::new();
    let mut rest = stream;
    loop {
        let [b0, b1, ..] = *rest else { return (frames, RefEnd::Incomplete { allowed: Vec::new() }) };
        let mut violations = Vec::new();
        let fin = b0 & 0x80 != 0;
        let opcode = b0 & 0x0f;
        let known = matches!(opcode, 0 | 1 | 2 | 8 | 9 | 10);
        let control = opcode & 0x08 != 0;
        let masked = b1 & 0x80 != 0;
        if b0 & 0x70 != 0 || !known {
            violations.push(PROTOCOL);
        }
        let len7 = b1 & 0x7f;
        let ext = match len7 {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let header_len = 2 + ext + if masked { 4 } else { 0 };
        let len: Option<u64> = match len7 {
            126 => rest.get(2..4).map(|b| u64::from(u16::from_be_bytes([b[0], b[1]]))),
            127 => rest.get(2..10).map(|b| u64::from_be_bytes(b.try_into().expect("8 bytes"))),
            n => Some(u64::from(n)),
        };
        if let Some(len) = len {
            let minimal = match len7 {
                126 => len >= 126,
                127 => len >> 63 == 0 && len > 0xffff,
                _ => true,
            };
            if !minimal {
                violations.push(PROTOCOL);
            }
            if len > max_frame_size as u64 && (limit_control || !control) {
                violations.push(TOO_BIG);
            }
            if known && !control && len > budget as u64 {
                violations.push(TOO_BIG);
            }
        }
        if known && control && (!fin || len7 > 125) {
            violations.push(PROTOCOL);
        }
        if masked != (role == Role::Server) {
            violations.push(PROTOCOL);
        }
        match (opcode, open) {
            (0, None) | (1 | 2, Some(_)) => violations.push(PROTOCOL),
            _ => {}
        }
        if rest.len() < header_len {
            return (frames, RefEnd::Incomplete { allowed: violations });
        }
        if !violations.is_empty() {
            return (frames, RefEnd::Violation(violations));
        }
        let len = len.expect("header complete");
        let key = masked.then(|| {
            [rest[header_len - 4], rest[header_len - 3], rest[header_len - 2], rest[header_len - 1]]
        });
        let body = &rest[header_len..];
        let available = body.len().min(usize::try_from(len).unwrap_or(usize::MAX));
        let payload: Vec<u8> =
            body[..available].iter().enumerate().map(|(i, &b)| key.map_or(b, |k| b ^ k[i % 4])).collect();
        let is_text = opcode == 1 || (opcode == 0 && open == Some(1));
        if is_text {
            let mut so_far = text.clone();
            so_far.extend_from_slice(&payload);
            if utf8_broken(&so_far) {
                return (frames, RefEnd::Violation(vec![INVALID]));
            }
        }
        if (available as u64) < len {
            return (frames, RefEnd::Incomplete { allowed: Vec::new() });
        }
        match opcode {
            8 => {
                if payload.len() == 1 {
                    return (frames, RefEnd::Violation(vec![PROTOCOL]));
                }
                if payload.len() >= 2 {
                    if !is_sendable(u16::from_be_bytes([payload[0], payload[1]])) {
                        return (frames, RefEnd::Violation(vec![PROTOCOL]));
                    }
                    if std::str::from_utf8(&payload[2..]).is_err() {
                        return (frames, RefEnd::Violation(vec![INVALID]));
                    }
                }
                frames.push(RefFrame { fin, opcode, payload });
                return (frames, RefEnd::Closed);
            }
            9 | 10 => {}
            _ if is_text => {
                text.extend_from_slice(&payload);
                if fin {
                    if std::str::from_utf8(&text).is_err() {
                        return (frames, RefEnd::Violation(vec![INVALID]));
                    }
                    text.clear();
                }
                open = if fin { None } else { Some(1) };
            }
            _ => open = if fin { None } else { Some(2) },
        }
        frames.push(RefFrame { fin, opcode, payload });
        rest = &rest[header_len + available..];
    }
}

/// Fails with a description unless `$ok`.
macro_rules! ensure {
    ($ok:expr, $($why:tt)+) => {
        if !$ok {
            return Err(format!($($why)+));
        }
    };
}

/// The decoder's outcome against the reference's, frame by frame.
fn compare(outcome: &Outcome, (frames, end): &(Vec<RefFrame>, RefEnd)) -> Result<(), String> {
    ensure!(
        outcome.messages.len() == frames.len(),
        "decoder returned {} messages then {:?}; the reference accepts {} frames then {end:?}",
        outcome.messages.len(),
        outcome.error,
        frames.len()
    );
    // The text delivered so far and the text payloads received so far, for the current message.
    let mut delivered = Vec::new();
    let mut received = Vec::new();
    let mut open = None;
    for (i, (message, frame)) in outcome.messages.iter().zip(frames).enumerate() {
        let kind = match frame.opcode {
            0 => open.expect("continuation of an open message"),
            1 => MessageType::Text,
            2 => MessageType::Binary,
            8 => MessageType::Close,
            9 => MessageType::Ping,
            _ => MessageType::Pong,
        };
        ensure!(message.message_type() == kind, "message {i}: {message:?}, the reference has {kind}");
        ensure!(message.is_partial() != frame.fin, "message {i}: {message:?}, FIN {}", frame.fin);
        match kind {
            MessageType::Text => {
                delivered.extend_from_slice(message.data());
                received.extend_from_slice(&frame.payload);
                // A character split between frames is held back, never more.
                ensure!(
                    received.starts_with(&delivered),
                    "message {i}: text delivered is not the text received"
                );
                ensure!(received.len() - delivered.len() <= 3, "message {i}: text held back");
                if frame.fin {
                    ensure!(delivered == received, "message {i}: text message at FIN");
                    delivered.clear();
                    received.clear();
                }
            }
            MessageType::Close => {
                let expected = match frame.payload.as_slice() {
                    [hi, lo, reason @ ..] => (Some(CloseCode(u16::from_be_bytes([*hi, *lo]))), reason),
                    _ => (None, &[][..]),
                };
                ensure!((message.close_code(), message.data()) == expected, "message {i}: {message:?}");
            }
            _ => ensure!(message.data() == frame.payload.as_slice(), "message {i}: {kind} payload"),
        }
        if matches!(kind, MessageType::Text | MessageType::Binary) {
            open = (!frame.fin).then_some(kind);
        }
    }
    let code = outcome.error.as_ref().map(|e| e.close_code().map(|c| c.0));
    match end {
        RefEnd::Closed => {
            ensure!(matches!(outcome.error, Some(Error::Closed)), "after close: {:?}", outcome.error);
        }
        RefEnd::Violation(codes) => {
            ensure!(
                matches!(code, Some(Some(code)) if codes.contains(&code)),
                "expected an error with a code in {codes:?}, got {:?}",
                outcome.error
            );
        }
        RefEnd::Incomplete { allowed } => {
            ensure!(
                code.is_none() || matches!(code, Some(Some(code)) if allowed.contains(&code)),
                "stream incomplete (may fail with {allowed:?}), got {:?}",
                outcome.error
            );
        }
    }
    Ok(())
}
