#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: formatting and lint checks, the unit,
# integration and documentation tests (interop tests install Python `websockets` into a
# cached virtualenv themselves), the browser tests (the wasm32 toolchain, Chromium and
# wasm-bindgen-cli installed by scripts/setup-wasm.sh) and Autobahn in both modes. Idempotent; what it installs is cached under
# ${UNIWS_CACHE:-$HOME/.cache/uniws}.
set -euo pipefail
cd "$(dirname "$0")/.."

export UNIWS_CACHE="${UNIWS_CACHE:-$HOME/.cache/uniws}"
mkdir -p "$UNIWS_CACHE"

step() { printf '\n== %s\n' "$*"; }

step "rustfmt and clippy"
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
cargo fmt --all -- --check
cargo clippy --all-targets --features cli --locked -- -D warnings
# The hyper and axum integration, off by default, checked as well.
cargo clippy --all-targets --features cli,axum --locked -- -D warnings

step "unit, integration and doc tests (the uniws command and the axum integration included)"
cargo test --locked --features cli,axum -- --test-threads=2

step "browser backend: wasm32 build, clippy, wasm-bindgen-test in headless Chromium and Firefox"
./scripts/test-browser.sh

step "npm package in Node 22, Deno, Bun, Chromium and Firefox, TypeScript declarations, the demo, the Rust page"
./scripts/test-npm.sh

step "load: 10,000 concurrent connections (scripts/load.sh)"
./scripts/load.sh

step "Autobahn|Testsuite, both modes (scripts/autobahn.sh)"
./scripts/autobahn.sh
