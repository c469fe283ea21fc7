//! Fuzz target: the client's response parser and validator; see
//! `checks::handshake::check_response`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| uniws_fuzz::checks::handshake::check_response(data));
