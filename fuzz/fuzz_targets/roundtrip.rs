//! Fuzz target: messages through `Encoder` then `Decoder` of the other role, for both roles;
//! see `checks::roundtrip`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| uniws_fuzz::checks::roundtrip::check(data));
