//! Fuzz target: the receiving state machine (`Decoder`), fed in chunks and all at once,
//! checked against a reference decoder; see `checks::decoder`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| uniws_fuzz::checks::decoder::check(data));
