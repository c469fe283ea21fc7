//! Fuzz target: two uniws ends over an in-memory pipe, driven through the public API with
//! random limits, compression, sends, receives, cancellations, pings and closes; see
//! `checks::websocket`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| uniws_fuzz::checks::websocket::check(data));
