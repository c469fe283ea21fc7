//! The `decoder_whole` and `decoder_whole_limit` targets: `Decoder::decode_whole`, which puts
//! a fragmented message together in the read buffer, against plain `Decoder::decode` on the
//! same stream.
//!
//! Input layout: byte 0 and the chunking pattern as for the `decoder` target (role,
//! `max_frame_size` and budget; byte 1 % 8 pattern bytes, each % 65 a chunk size, cycled; all
//! zeros: the stream at once, up to 4 KiB at a time as a socket reads); then one byte whose
//! bits, cycled, pick `decode_whole` (1) or `decode` (0) for each call of the mixed run; then
//! three bytes that repeat a segment of the stream: the count, the segment's start and its
//! length; the rest is the stream. For `decoder_whole` the count is the byte (at least 1;
//! lowered so the segment repeated stays within 4 KiB). For `decoder_whole_limit` it is
//! `MAX_FRAGMENTS` plus bits 0-2, minus 4 (lowered so the segment repeated stays within
//! `MAX_FRAGMENTS` + 4 masked empty frames), so a short input can make a message of
//! `MAX_FRAGMENTS` frames, one more or one less; such a stream takes a hundred times as long
//! to check or more, hence a target of its own.
//!
//! P is the stream decoded with plain `decode`, fed at once, noting the frame header at the
//! front of the buffer before each call. E, the outcome whole decoding must have, is derived
//! from P: control messages as P has them, where they come; the data frames of each message
//! joined into one non-partial message at its last frame; P's error, but
//! - `MessageTooLarge { max: budget }` at the first data frame whose header takes the
//!   message (as the headers announced it) over the budget, once plain decoding accepted that
//!   header up to its budget check (P then has a message, needs more payload, fails on the
//!   payload's UTF-8 or fails with `MessageTooLarge` itself): so where P fails with
//!   `MessageTooLarge`, whole decoding does too, at that frame or an earlier one;
//! - `TooManyFragments` once a message's data frames, its last included, number more than
//!   `MAX_FRAGMENTS`, when that frame's payload is in (P has it); where P fails on that frame
//!   with `InvalidUtf8` after its whole payload arrived (a truncated character at the end),
//!   either error is right;
//! - no data message whose last frame did not arrive.
//!
//! Properties: no panic; `decode_whole`, fed up to 4 KiB at a time, gives exactly E's messages
//! and E's error (or none where E has none); fed chunked by the pattern, exactly the same
//! messages and error; in every run no more payload out than bytes in, text valid UTF-8,
//! `Ok(None)` idempotent, `Closed` only after a close message. Mixed run (the pattern's
//! chunks, each call `decode_whole` or `decode` by the mode bits, then plain `decode` once
//! the stream is in, to take what was put together): its error is P's, `MessageTooLarge` or
//! `TooManyFragments` (none only where P has none); its control messages are a prefix of
//! P's; its data, as messages put together piece by piece, is a prefix of P's (same types,
//! same bytes, message ends in the same places); and both are equal when neither failed and
//! the stream does not end inside a frame (an empty unfinished message aside). Streams over
//! 16 KiB (near the fragment limit) are checked against E only.

use bytes::BytesMut;
use uniws::proto::{Decoder, FrameHeader, Role};
use uniws::{Error, MAX_FRAGMENTS, Message, MessageType};

use super::Source;
use super::decoder::{BUDGETS, MAX_FRAME_SIZES};

/// The "at once" feed: a socket read's worth at a time (the decoder moves the input behind a
/// message being put together for every header it cuts out, so a stream of `MAX_FRAGMENTS`
/// frames fed whole would take quadratic time where a server has a read or so buffered).
const AT_ONCE: usize = 4096;
/// The most bytes a repeated segment may take, for `decoder_whole` and `decoder_whole_limit`.
const MAX_REPEATED: usize = 4096;
const MAX_REPEATED_LIMIT: usize = 6 * (MAX_FRAGMENTS + 4);
/// Longer streams (near the fragment limit) are only checked fed at once, in whole mode: the
/// limit is what they are for.
const MAX_CHUNKED: usize = 1 << 14;

struct Config {
    role: Role,
    max_frame_size: usize,
    budget: usize,
}

/// Checks one `decoder_whole` input; panics on a broken property.
pub fn check(data: &[u8]) {
    check_with(data, false);
}

/// Checks one `decoder_whole_limit` input: the segment repeated about `MAX_FRAGMENTS` times.
pub fn check_limit(data: &[u8]) {
    check_with(data, true);
}

fn check_with(data: &[u8], limit: bool) {
    let mut src = Source::new(data);
    let byte = src.byte();
    let config = Config {
        role: if byte & 1 == 0 { Role::Client } else { Role::Server },
        max_frame_size: MAX_FRAME_SIZES[usize::from(byte >> 1 & 7)],
        budget: BUDGETS[usize::from(byte >> 4 & 7)],
    };
    let pattern_len = usize::from(src.byte() % 8);
    let pattern: Vec<usize> = src.take(pattern_len).iter().map(|&b| usize::from(b % 65)).collect();
    let modes = src.byte();
    let (repeat, start, len) = (src.byte(), usize::from(src.byte()), usize::from(src.byte()));
    let stream = expand(src.rest(), repeat, start, len, limit);

    let plain = plain_calls(&config, &stream);
    let expected = expected_whole(&plain, config.budget);
    let whole = run(&config, &stream, &[], Mode::Whole);
    let error = whole.error.as_ref().map(|e| format!("{e:?}"));
    if let Some(diff) = difference(&whole.messages, &expected.messages) {
        panic!(
            "decode_whole against plain decode joined: {diff}; error {error:?}, want {:?}",
            expected.errors
        );
    }
    assert!(
        expected.errors.is_empty() && error.is_none()
            || error.as_ref().is_some_and(|e| expected.errors.contains(e)),
        "decode_whole ended with {error:?}, expected one of {:?} (none if empty)",
        expected.errors
    );
    if stream.len() > MAX_CHUNKED {
        return;
    }
    let chunked = run(&config, &stream, &pattern, Mode::Whole);
    if let Some(diff) = difference(&chunked.messages, &whole.messages) {
        panic!("decode_whole, chunked feeding changed the messages: {diff}");
    }
    let chunked_error = chunked.error.as_ref().map(|e| format!("{e:?}"));
    assert_eq!(chunked_error, error, "chunked feeding changed the error");

    check_mixed(&config, &plain, run(&config, &stream, &pattern, Mode::Mixed(modes)));
}

/// The stream with `[start, start + len)` repeated as `repeat` and `limit` say.
fn expand(rest: &[u8], repeat: u8, start: usize, len: usize, limit: bool) -> Vec<u8> {
    let (count, max) = if limit {
        (MAX_FRAGMENTS + usize::from(repeat & 7) - 4, MAX_REPEATED_LIMIT)
    } else {
        (usize::from(repeat), MAX_REPEATED)
    };
    let start = start.min(rest.len());
    let end = (start + len).min(rest.len());
    let segment = &rest[start..end];
    let count = count.min(max / segment.len().max(1)).max(1);
    let mut stream = Vec::with_capacity(rest.len() + segment.len() * (count - 1));
    stream.extend_from_slice(&rest[..start]);
    for _ in 0..count {
        stream.extend_from_slice(segment);
    }
    stream.extend_from_slice(&rest[end..]);
    stream
}

/// One call of plain decoding.
struct Call {
    /// The frame header at the front of the buffer before the call, if complete and valid.
    header: Option<FrameHeader>,
    /// Whether that frame's payload was all in the buffer.
    complete: bool,
    result: Result<Option<Message>, Error>,
}

/// Plain `decode` on the whole stream until it needs more or fails.
fn plain_calls(config: &Config, stream: &[u8]) -> Vec<Call> {
    let mut decoder = Decoder::new(config.role, config.max_frame_size);
    let mut buf = BytesMut::from(stream);
    let mut calls = Vec::new();
    loop {
        let (header, complete) = match FrameHeader::decode(&buf) {
            Ok(Some((header, len))) => (Some(header), (buf.len() - len) as u64 >= header.payload_len),
            _ => (None, false),
        };
        let result = decoder.decode(&mut buf, config.budget);
        let more = matches!(result, Ok(Some(_)));
        calls.push(Call { header, complete, result });
        if !more {
            return calls;
        }
    }
}

/// What whole decoding must give: messages, then one of `errors` (none if empty).
struct Expected {
    messages: Vec<Message>,
    errors: Vec<String>,
}

/// E from P (see the module documentation).
fn expected_whole(calls: &[Call], budget: usize) -> Expected {
    let too_large = format!("{:?}", Error::MessageTooLarge { max: budget });
    let too_many = format!("{:?}", Error::TooManyFragments { max: MAX_FRAGMENTS });
    let mut messages = Vec::new();
    // The data message in progress: its payload as plain decoding delivered it, and its size
    // and frames as the headers announced them.
    let mut joined = Vec::new();
    let mut size = 0u64;
    let mut frames = 0usize;
    for call in calls {
        let data_header = call.header.filter(|header| !header.opcode.is_control());
        let header_accepted =
            matches!(call.result, Ok(_) | Err(Error::InvalidUtf8 | Error::MessageTooLarge { .. }));
        if let Some(header) = data_header
            && header_accepted
            && size.saturating_add(header.payload_len) > budget as u64
        {
            return Expected { messages, errors: vec![too_large] };
        }
        let message = match &call.result {
            Ok(Some(message)) => message,
            Ok(None) => return Expected { messages, errors: Vec::new() },
            Err(error) => {
                let mut errors = vec![format!("{error:?}")];
                if matches!(error, Error::InvalidUtf8)
                    && data_header.is_some_and(|header| header.fin)
                    && call.complete
                    && frames + 1 > MAX_FRAGMENTS
                {
                    errors.push(too_many);
                }
                return Expected { messages, errors };
            }
        };
        let kind = message.message_type();
        if kind.is_control() {
            messages.push(message.clone());
            continue;
        }
        frames += 1;
        if frames > MAX_FRAGMENTS {
            return Expected { messages, errors: vec![too_many] };
        }
        size += data_header.expect("a data message has a data frame header").payload_len;
        joined.extend_from_slice(message.data());
        if !message.is_partial() {
            let data = std::mem::take(&mut joined);
            messages.push(match kind {
                MessageType::Text => Message::text(String::from_utf8(data).expect("text at FIN is UTF-8")),
                _ => Message::binary(data),
            });
            (size, frames) = (0, 0);
        }
    }
    unreachable!("plain decoding ends with Ok(None) or an error")
}

/// Where two message lists first differ, if they do.
fn difference(got: &[Message], want: &[Message]) -> Option<String> {
    match got.iter().zip(want).position(|(a, b)| a != b) {
        Some(i) => Some(format!("message {i}: got {:?}, want {:?}", got[i], want[i])),
        None if got.len() != want.len() => {
            let next = |list: &[Message]| list.get(got.len().min(want.len())).cloned();
            Some(format!(
                "{} messages, want {}; the first extra: got {:?}, want {:?}",
                got.len(),
                want.len(),
                next(got),
                next(want)
            ))
        }
        None => None,
    }
}

#[derive(Clone, Copy)]
enum Mode {
    /// `decode_whole` only.
    Whole,
    /// `decode_whole` or `decode` by these bits, cycled; then `decode` to the end.
    Mixed(u8),
}

struct Outcome {
    messages: Vec<Message>,
    error: Option<Error>,
}

/// Feeds `stream` in chunks cycling through `pattern` (`AT_ONCE` bytes if it is empty or all
/// zeros), decoding after each until the decoder needs more, and checks the per-call
/// properties on the way.
fn run(config: &Config, stream: &[u8], pattern: &[usize], mode: Mode) -> Outcome {
    let mut decoder = Decoder::new(config.role, config.max_frame_size);
    let mut buf = BytesMut::new();
    let mut messages: Vec<Message> = Vec::new();
    let (mut fed, mut returned, mut calls) = (0, 0, 0);
    let at_once = [AT_ONCE];
    let sizes = if pattern.iter().all(|&n| n == 0) { &at_once[..] } else { pattern };
    let mut sizes = sizes.iter().cycle();
    let mut closed = false;
    let mut done = false;
    while !done {
        let end = (fed + sizes.next().expect("non-empty")).min(stream.len());
        buf.extend_from_slice(&stream[fed..end]);
        fed = end;
        // Once the stream is in, the mixed run goes on with plain `decode` to take what was
        // put together.
        done = fed == stream.len();
        let passes: &[bool] = match mode {
            _ if fed == 0 => &[],
            Mode::Mixed(_) if done => &[false, true],
            _ => &[false],
        };
        for &plain_to_end in passes {
            loop {
                let whole = match mode {
                    Mode::Whole => true,
                    Mode::Mixed(_) if plain_to_end => false,
                    Mode::Mixed(bits) => bits >> (calls % 8) & 1 == 1,
                };
                calls += 1;
                let mut decode = |buf: &mut BytesMut| {
                    if whole {
                        decoder.decode_whole(buf, config.budget)
                    } else {
                        decoder.decode(buf, config.budget)
                    }
                };
                match decode(&mut buf) {
                    Ok(Some(message)) => {
                        assert!(!closed, "a message after the close message");
                        returned += message.len();
                        // Every frame has at least a 2-byte header.
                        assert!(returned + 2 * (messages.len() + 1) <= fed, "more payload out than bytes in");
                        let kind = message.message_type();
                        if kind == MessageType::Text {
                            assert!(message.as_text().is_some(), "text piece is not UTF-8");
                        }
                        if matches!(mode, Mode::Whole) {
                            assert!(!message.is_partial(), "decode_whole returned a partial message");
                        }
                        closed = kind == MessageType::Close;
                        messages.push(message);
                    }
                    Ok(None) => {
                        let held = buf.len();
                        assert!(matches!(decode(&mut buf), Ok(None)), "Ok(None) then not");
                        assert_eq!(buf.len(), held, "a second call without new bytes consumed some");
                        assert!(decoder.bytes_wanted(buf.len()) >= 1);
                        break;
                    }
                    Err(error) => {
                        match &error {
                            Error::Closed => assert!(closed, "Closed before any close message"),
                            e => assert!(e.close_code().is_some(), "error without a close code: {e:?}"),
                        }
                        return Outcome { messages, error: Some(error) };
                    }
                }
            }
        }
    }
    assert!(!closed, "a close message, then no Err(Closed)");
    Outcome { messages, error: None }
}

/// The mixed run against plain decoding (see the module documentation).
fn check_mixed(config: &Config, plain: &[Call], mixed: Outcome) {
    let last = plain.last().expect("at least one call");
    let plain_error = last.result.as_ref().err();
    if let Some(error) = &mixed.error {
        let allowed =
            [Error::MessageTooLarge { max: config.budget }, Error::TooManyFragments { max: MAX_FRAGMENTS }];
        let error = format!("{error:?}");
        assert!(
            plain_error.is_some_and(|e| format!("{e:?}") == error)
                || allowed.iter().any(|e| format!("{e:?}") == error),
            "mixed run failed with {error}, plain decoding with {plain_error:?}"
        );
    } else {
        assert!(plain_error.is_none(), "mixed run did not fail, plain decoding did with {plain_error:?}");
    }
    let messages: Vec<&Message> =
        plain.iter().filter_map(|call| call.result.as_ref().ok()?.as_ref()).collect();
    let want = Transcript::of(messages);
    let got = Transcript::of(mixed.messages.iter());
    assert!(want.controls.starts_with(&got.controls), "mixed run: control messages not a prefix of plain's");
    let n = got.data.len();
    assert!(n <= want.data.len(), "mixed run: {n} data messages, plain decoding {}", want.data.len());
    if n > 0 {
        assert_eq!(got.data[..n - 1], want.data[..n - 1], "mixed run: data messages differ");
        let ((kind, bytes, finished), (want_kind, want_bytes, want_finished)) =
            (&got.data[n - 1], &want.data[n - 1]);
        assert_eq!(kind, want_kind, "mixed run: data message {} changed type", n - 1);
        assert!(want_bytes.starts_with(bytes), "mixed run: data message {} not a prefix of plain's", n - 1);
        assert!(
            !finished || (*want_finished && bytes == want_bytes),
            "mixed run: data message {} ended early",
            n - 1
        );
    }
    if mixed.error.is_none() && last.header.is_none() {
        assert!(got.controls == want.controls, "mixed run: control messages lost");
        assert!(got.data == want.data, "mixed run: data lost or duplicated");
    }
}

/// Messages as data messages put together piece by piece, and control messages.
#[derive(Default)]
struct Transcript {
    controls: Vec<Message>,
    /// Type, bytes and whether it is finished; only the last may be unfinished.
    data: Vec<(MessageType, Vec<u8>, bool)>,
}

impl Transcript {
    fn of<'a>(messages: impl IntoIterator<Item = &'a Message>) -> Self {
        let mut transcript = Self::default();
        for message in messages {
            let kind = message.message_type();
            if kind.is_control() {
                transcript.controls.push(message.clone());
                continue;
            }
            match transcript.data.last_mut() {
                Some((open, bytes, finished @ false)) => {
                    assert_eq!(*open, kind, "a fragmented message changed type");
                    bytes.extend_from_slice(message.data());
                    *finished = !message.is_partial();
                }
                _ => transcript.data.push((kind, message.data().to_vec(), !message.is_partial())),
            }
        }
        // A message begun with empty frames may not show in the other decoding yet.
        if transcript.data.last().is_some_and(|(_, bytes, finished)| !finished && bytes.is_empty()) {
            transcript.data.pop();
        }
        transcript
    }
}
