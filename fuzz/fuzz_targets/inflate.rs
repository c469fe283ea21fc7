//! Fuzz target: the permessage-deflate decompressor fed anything, and compress-inflate round
//! trips; see `checks::deflate::check_inflate`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| uniws_fuzz::checks::deflate::check_inflate(data));
