//! Fuzz target: the incremental `Utf8Validator` against `std::str::from_utf8`; see
//! `checks::utf8`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| uniws_fuzz::checks::utf8::check(data));
