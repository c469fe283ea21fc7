//! Fuzz target: `decoder_whole` with a segment of the stream repeated about `MAX_FRAGMENTS`
//! times, for the limit on fragments (slow inputs); see `checks::decoder_whole`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| uniws_fuzz::checks::decoder_whole::check_limit(data));
