#!/usr/bin/env bash
# The floor for the size of the package's wasm: a minimal WebSocket echo on gloo-net (open,
# send a text, await the reply, exported to JavaScript through wasm-bindgen), built the way
# scripts/build-npm.sh builds uniws — the same toolchain, the settings of the `wasm-release`
# profile, the same wasm-bindgen and wasm-opt — in a throwaway crate under
# target/wasm-floor/. Prints its size beside uniws's (README, "Size"). Not part of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

export UNIWS_CACHE="${UNIWS_CACHE:-$HOME/.cache/uniws}"
./scripts/setup-wasm.sh >/dev/null
# shellcheck source=/dev/null
source "$UNIWS_CACHE/wasm-env.sh"
[ -x node_modules/.bin/wasm-opt ] || npm ci --no-audit --no-fund

# wasm-bindgen's macro and the CLI must be the same version: the one of our Cargo.lock.
WB_VER="$(awk '
    /^\[\[package\]\]/ { name = "" }
    /^name = /         { name = $3 }
    /^version = / && name == "\"wasm-bindgen\"" { gsub(/"/, "", $3); print $3; exit }
' Cargo.lock)"
CRATE=target/wasm-floor
mkdir -p "$CRATE/src"
cat >"$CRATE/Cargo.toml" <<TOML
[package]
name = "gloo_floor"
version = "0.0.0"
edition = "2021"
publish = false

# As uniws's: with a cdylib alone, cargo builds the dependencies as bitcode only, which
# Debian's rustc then fails to read for LTO.
[lib]
crate-type = ["cdylib", "rlib"]

[dependencies]
futures = { version = "0.3", default-features = false, features = ["std"] }
gloo-net = { version = "0.6", default-features = false, features = ["websocket"] }
wasm-bindgen = "=$WB_VER"
wasm-bindgen-futures = "0.4"

# The settings of uniws's [profile.wasm-release].
[profile.release]
debug = false
opt-level = "z"
lto = true
codegen-units = 1
panic = "abort"

[workspace]
TOML
cat >"$CRATE/src/lib.rs" <<'RUST'
//! A minimal gloo-net WebSocket echo, the floor uniws's wasm is measured against.
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::{futures::WebSocket, Message};
use wasm_bindgen::prelude::*;

/// Opens `url`, sends `text` and returns the first text that comes back.
#[wasm_bindgen]
pub async fn echo(url: String, text: String) -> Result<String, JsError> {
    let mut ws = WebSocket::open(&url)?;
    ws.send(Message::Text(text)).await?;
    match ws.next().await {
        Some(Ok(Message::Text(reply))) => Ok(reply),
        Some(Ok(Message::Bytes(_))) => Err(JsError::new("binary reply")),
        Some(Err(e)) => Err(e.into()),
        None => Err(JsError::new("closed")),
    }
}
RUST
echo "== gloo-net echo in $CRATE"
(cd "$CRATE" && cargo +"$UNIWS_WASM_TOOLCHAIN" build --release --target wasm32-unknown-unknown)
wasm-bindgen --target web --out-dir "$CRATE/pkg" "$CRATE/target/wasm32-unknown-unknown/release/gloo_floor.wasm"
# shellcheck source=scripts/wasm-opt.sh
source scripts/wasm-opt.sh
optimise_wasm "$CRATE/pkg/gloo_floor_bg.wasm"
print_wasm_size "gloo-net echo (floor)" "$CRATE/pkg/gloo_floor_bg.wasm"
if [ -f pkg/uniws_bg.wasm ]; then
    print_wasm_size "uniws (pkg/, from scripts/build-npm.sh)" pkg/uniws_bg.wasm
fi
