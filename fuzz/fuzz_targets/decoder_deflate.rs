//! Fuzz target: the decoder with permessage-deflate on, compressed frames in the stream; see
//! `checks::deflate::check_decoder`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| uniws_fuzz::checks::deflate::check_decoder(data));
