#!/usr/bin/env bash
# npm package tests: builds the package (scripts/build-npm.sh, which also installs the npm
# tools: playwright-core, typescript, binaryen), the `uniws` command and the test server;
# installs Firefox and geckodriver (scripts/setup-firefox.sh; Chromium is Debian's, from
# scripts/setup-wasm.sh) and the runtimes Node 22, Deno and Bun (npm packages pinned by
# npm-tests/runtimes/package-lock.json); then runs npm-tests/ with Node 22's test runner:
# the packed tarball in an empty folder under Node, Deno, Bun, Chromium and Firefox (page
# and Worker), the page tests in Chromium, tsc on a TypeScript user, the demo in two tabs,
# the Rust chat page (examples/leptos-chat, built by scripts/build-leptos.sh) with the
# JavaScript one across a server restart, and examples/axum_server from Chromium pages of
# allowed and refused origins.
set -euo pipefail
cd "$(dirname "$0")/.."

export UNIWS_CACHE="${UNIWS_CACHE:-$HOME/.cache/uniws}"
./scripts/build-npm.sh
./scripts/build-leptos.sh
# The Rust page's crate is a workspace of its own, out of the top-level checks' reach: its
# formatting and its clippy for wasm32 here, beside its build.
# shellcheck source=/dev/null
source "$UNIWS_CACHE/wasm-env.sh"
cargo fmt --manifest-path examples/leptos-chat/Cargo.toml -- --check
cargo +"$UNIWS_WASM_TOOLCHAIN" clippy --locked --target wasm32-unknown-unknown \
    --manifest-path examples/leptos-chat/Cargo.toml --target-dir target/leptos-chat -- -D warnings
./scripts/setup-firefox.sh
# shellcheck source=/dev/null
source "$UNIWS_CACHE/firefox-env.sh"
cargo build --locked --example test_server
cargo build --locked -p uniws-cli --bin uniws
cargo build --locked --features axum --example axum_server

RUNTIMES=npm-tests/runtimes
if [ ! -x "$RUNTIMES/node_modules/.bin/node" ] || [ "$RUNTIMES/package-lock.json" -nt "$RUNTIMES/node_modules/.package-lock.json" ]; then
    echo "== npm ci in $RUNTIMES (Node 22, Deno, Bun)"
    (cd "$RUNTIMES" && npm ci --no-audit --no-fund)
fi
NODE="$RUNTIMES/node_modules/.bin/node"
echo "== node --test under $("$NODE" --version)"
# Files, not the folder: Node 22's runner takes a folder argument as a file to run.
"$NODE" --test --test-concurrency=1 npm-tests/*.test.mjs
