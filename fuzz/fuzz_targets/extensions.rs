//! Fuzz target: `Sec-WebSocket-Extensions` parsing and permessage-deflate negotiation in both
//! roles; see `checks::deflate::check_extensions`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| uniws_fuzz::checks::deflate::check_extensions(data));
