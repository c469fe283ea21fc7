//! The `utf8` target: `Utf8Validator` fed a byte string in pieces.
//!
//! Input layout: byte 0 % 8 is the number of cut bytes that follow (each % (length + 1) is a
//! cut position, sorted); the rest is the text.
//!
//! Properties: the verdict (every `feed` and then `finish`) is `std::str::from_utf8`'s; it
//! fails fast, exactly at the `feed` whose piece holds the first byte after which the input
//! can no longer be the start of valid UTF-8, and not before; after each successful `feed`,
//! `pending_len` is the length of the unfinished character at the end of what was fed; and
//! `finish` resets the validator for the next message.

use uniws::Error;
use uniws::proto::Utf8Validator;

use super::Source;

/// Checks one fuzz input; panics on a broken property.
pub fn check(data: &[u8]) {
    let mut src = Source::new(data);
    let cut_count = usize::from(src.byte() % 8);
    let cut_bytes = src.take(cut_count);
    let input = src.rest();
    let mut cuts: Vec<usize> = cut_bytes.iter().map(|&b| usize::from(b) % (input.len() + 1)).collect();
    cuts.sort_unstable();

    let whole = std::str::from_utf8(input);
    // The end of the shortest prefix that cannot start any valid UTF-8 text.
    let broken_at = match whole {
        Err(e) if e.error_len().is_some() => {
            let start = e.valid_up_to();
            let end = (start + 1..=input.len()).find(
                |&end| matches!(std::str::from_utf8(&input[start..end]), Err(e) if e.error_len().is_some()),
            );
            Some(end.expect("an invalid sequence is found within its error_len"))
        }
        _ => None,
    };

    let mut validator = Utf8Validator::new();
    let mut at = 0;
    for end in cuts.into_iter().chain([input.len()]) {
        let result = validator.feed(&input[at..end]);
        match broken_at {
            Some(broken) if broken <= end => {
                assert!(
                    matches!(result, Err(Error::InvalidUtf8)),
                    "no error feeding {at}..{end} (broken at {broken})"
                );
                return;
            }
            _ => {
                assert!(result.is_ok(), "error feeding {at}..{end} of a valid prefix: {result:?}");
                assert_eq!(
                    validator.pending_len(),
                    unfinished(&input[..end]),
                    "pending_len after {end} bytes"
                );
            }
        }
        at = end;
    }
    assert!(broken_at.is_none(), "never failed on invalid input");
    assert_eq!(validator.finish().is_ok(), whole.is_ok(), "finish disagrees with std");
    assert_eq!(validator.pending_len(), 0, "finish did not reset");
    validator.feed(b"ok").expect("fresh message after finish");
    validator.finish().expect("fresh message after finish");
}

/// The length of the unfinished character at the end of a valid prefix.
fn unfinished(prefix: &[u8]) -> usize {
    match std::str::from_utf8(prefix) {
        Err(e) if e.error_len().is_none() => prefix.len() - e.valid_up_to(),
        _ => 0,
    }
}
