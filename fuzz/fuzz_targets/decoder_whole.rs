//! Fuzz target: `Decoder::decode_whole` (fragmented messages put together in place) against
//! plain `decode` on the same stream, and the two mixed; see `checks::decoder_whole`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| uniws_fuzz::checks::decoder_whole::check(data));
