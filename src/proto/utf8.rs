//! Incremental UTF-8 validation across fragments: fails at the first byte that cannot start
//! or continue a character, and remembers an unfinished character at a fragment's end.
//! The bytes are checked by simdutf8 (SIMD where the CPU has it), which reports where a
//! prefix stops being valid just as `std` does.

use crate::Error;

/// Validates a text message fed to it in pieces that may split a character.
#[derive(Debug, Default, Clone)]
pub struct Utf8Validator {
    pending: [u8; 4],
    pending_len: usize,
}

impl Utf8Validator {
    /// A validator at the start of a message.
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates the next piece. Errors as soon as the bytes so far cannot be a prefix of
    /// valid UTF-8; an incomplete character at the end is kept for the next piece.
    pub fn feed(&mut self, mut input: &[u8]) -> Result<(), Error> {
        if self.pending_len > 0 {
            let width = char_width(self.pending[0]);
            let take = (width - self.pending_len).min(input.len());
            let mut char_bytes = self.pending;
            char_bytes[self.pending_len..self.pending_len + take].copy_from_slice(&input[..take]);
            let n = self.pending_len + take;
            match simdutf8::compat::from_utf8(&char_bytes[..n]) {
                Ok(_) => self.pending_len = 0,
                Err(e) if e.error_len().is_some() => return Err(Error::InvalidUtf8),
                Err(_) => {
                    self.pending = char_bytes;
                    self.pending_len = n;
                    return Ok(());
                }
            }
            input = &input[take..];
        }
        match simdutf8::compat::from_utf8(input) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_some() => Err(Error::InvalidUtf8),
            Err(e) => {
                let tail = &input[e.valid_up_to()..];
                self.pending[..tail.len()].copy_from_slice(tail);
                self.pending_len = tail.len();
                Ok(())
            }
        }
    }

    /// How many bytes at the end of what was fed form an unfinished character.
    pub fn pending_len(&self) -> usize {
        self.pending_len
    }

    /// Ends the message: an unfinished character is an error. Resets for the next message.
    pub fn finish(&mut self) -> Result<(), Error> {
        let complete = self.pending_len == 0;
        self.pending_len = 0;
        if complete { Ok(()) } else { Err(Error::InvalidUtf8) }
    }
}

/// The length of the character a valid leading byte starts (the validator only keeps bytes
/// that `from_utf8` accepted as a prefix, so the lead is valid).
fn char_width(lead: u8) -> usize {
    match lead {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_split(bytes: &[u8], cuts: &[usize]) -> Result<(), Error> {
        let mut v = Utf8Validator::new();
        let mut at = 0;
        for &cut in cuts {
            v.feed(&bytes[at..cut])?;
            at = cut;
        }
        v.feed(&bytes[at..])?;
        v.finish()
    }

    #[test]
    fn every_split_of_valid_text_is_accepted() {
        let text = "aé€𝄞z κόσμε";
        let bytes = text.as_bytes();
        for i in 0..=bytes.len() {
            for j in i..=bytes.len() {
                assert!(feed_split(bytes, &[i, j]).is_ok(), "cuts {i} {j}");
            }
        }
    }

    #[test]
    fn fails_fast_inside_a_split_character() {
        let mut v = Utf8Validator::new();
        v.feed(&[0xe2]).unwrap();
        assert_eq!(v.pending_len(), 1);
        // 0xe2 must be followed by a continuation byte.
        assert!(v.feed(&[0x28]).is_err());
    }

    #[test]
    fn rejects_surrogates_overlongs_and_out_of_range() {
        for bad in [
            &[0xed, 0xa0, 0x80][..],   // surrogate
            &[0xc0, 0xaf],             // overlong
            &[0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
            &[0xff],
            &[0x80],
        ] {
            assert!(feed_split(bad, &[]).is_err(), "{bad:x?}");
            // Fed one byte at a time, the error comes at the first bad byte, not at the end.
            let mut v = Utf8Validator::new();
            let failed_at = bad.iter().position(|b| v.feed(&[*b]).is_err());
            assert!(failed_at.is_some(), "{bad:x?}");
        }
    }

    #[test]
    fn unfinished_character_at_the_end_is_an_error() {
        assert!(feed_split(&[b'a', 0xe2, 0x82], &[]).is_err());
        let mut v = Utf8Validator::new();
        v.feed(&[0xf0, 0x9d]).unwrap();
        assert_eq!(v.pending_len(), 2);
        assert!(v.finish().is_err());
        // finish resets, so the next message starts clean.
        v.feed(b"ok").unwrap();
        v.finish().unwrap();
    }

    #[test]
    fn matches_std_on_many_inputs() {
        // A deterministic walk over short byte strings near the interesting ranges.
        let interesting = [
            0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f,
            0x90, 0x8f,
        ];
        for &a in &interesting {
            for &b in &interesting {
                for &c in &interesting {
                    let bytes = [a, b, c];
                    let expected = std::str::from_utf8(&bytes).is_ok();
                    for cut in 0..=3 {
                        assert_eq!(feed_split(&bytes, &[cut]).is_ok(), expected, "{bytes:x?} cut {cut}");
                    }
                }
            }
        }
    }
}
