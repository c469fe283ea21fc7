//! Fuzz target: the server's upgrade request parser and its 101 answer; see
//! `checks::handshake::check_request`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| uniws_fuzz::checks::handshake::check_request(data));
