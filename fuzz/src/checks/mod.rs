//! The property checks behind each fuzz target. Every `check` takes the fuzzer's raw bytes,
//! derives its parameters from the first few of them and panics when a property fails, so a
//! libFuzzer crash and a failing regression test (tests/fuzz_regressions.rs replays
//! fuzz/regressions/<target>/ through the same functions) are the same thing.

pub mod decoder;
pub mod decoder_whole;
pub mod deflate;
pub mod handshake;
pub mod roundtrip;
pub mod utf8;
pub mod websocket;

/// Reads parameters off the front of a fuzz input; past its end every byte reads as 0.
pub struct Source<'a> {
    data: &'a [u8],
}

impl<'a> Source<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// The next byte, or 0 once the input is used up.
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// The next `n` bytes, or fewer at the end of the input.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// Whether the input is used up.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Everything not read yet.
    pub fn rest(self) -> &'a [u8] {
        self.data
    }
}
