//! The uniws chat demo written in Rust: the page of `www/` (the JavaScript one, over the npm
//! package) as a Leptos client-side app over uniws's Rust API, served by `uniws demo` at
//! `/rust/` in the same room. Built by `scripts/build-leptos.sh` (cargo for wasm32,
//! wasm-bindgen `--target web`, wasm-opt) into `www/rust/`.
//!
//! - `chat`: the state as signals and the connection, a `Reconnecting` socket whose messages
//!   are read as a `Stream`;
//! - `view`: the components;
//! - `room`: the room's JSON;
//! - `bytes`: the 3 MiB message and the SHA-256 both pages show.

mod bytes;
mod chat;
mod room;
mod view;

/// Runs when the page loads the module: the app into the body.
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    leptos::mount::mount_to_body(view::App);
}
