#!/usr/bin/env bash
# Browser tests: builds the crate for wasm32 (toolchain from scripts/setup-wasm.sh), checks it
# with clippy, starts examples/echo_server and examples/test_server on free ports of
# 127.0.0.1, and runs wasm-tests/ with wasm-bindgen-test against them in headless Chromium,
# then in headless Firefox (firefox-esr and geckodriver from scripts/setup-firefox.sh).
# The servers (scripts/lib/process.sh) log to target/test-browser/ and are stopped by PID on
# exit. Arguments go to the test harness (a test name filter, say).
set -euo pipefail
cd "$(dirname "$0")/.."

export UNIWS_CACHE="${UNIWS_CACHE:-$HOME/.cache/uniws}"
./scripts/setup-wasm.sh
./scripts/setup-firefox.sh
# shellcheck source=/dev/null
source "$UNIWS_CACHE/wasm-env.sh"
# shellcheck source=/dev/null
source "$UNIWS_CACHE/firefox-env.sh"
WASM_CARGO=(cargo "+$UNIWS_WASM_TOOLCHAIN")

# shellcheck source=scripts/lib/process.sh
source scripts/lib/process.sh
trap stop_all EXIT

step "clippy for wasm32"
export UNIWS_ECHO_URL UNIWS_TEST_URL UNIWS_SILENT_URL UNIWS_CLOSED_URL
echo_port=$(free_port)
test_port=$(free_port)
silent_port=$(free_port)
closed_port=$(free_port)
UNIWS_ECHO_URL="ws://127.0.0.1:$echo_port"
UNIWS_TEST_URL="ws://127.0.0.1:$test_port"
UNIWS_SILENT_URL="ws://127.0.0.1:$silent_port"
UNIWS_CLOSED_URL="ws://127.0.0.1:$closed_port"
"${WASM_CARGO[@]}" clippy --locked --target wasm32-unknown-unknown --lib --test browser -- -D warnings
# The npm package's crate (crates/uniws-js), which is wasm32 only.
"${WASM_CARGO[@]}" clippy --locked --target wasm32-unknown-unknown -p uniws-js --all-targets -- -D warnings

step "servers on 127.0.0.1"
cargo build --locked --example echo_server --example test_server
LOGS=target/test-browser
mkdir -p "$LOGS"
start_process echo_server "$LOGS/echo_server.log" target/debug/examples/echo_server "127.0.0.1:$echo_port"
wait_ready echo_server "$STARTED" "$LOGS/echo_server.log"
start_process test_server "$LOGS/test_server.log" \
    target/debug/examples/test_server "127.0.0.1:$test_port" "127.0.0.1:$silent_port"
wait_ready test_server "$STARTED" "$LOGS/test_server.log"
echo "servers ready; their logs in $LOGS/"

# wasm-bindgen-test-runner drives the browser whose driver variable is set: one at a time.
step "wasm-bindgen-test in headless Chromium"
# The runner's limit is on the whole run: 600 s only catches a hang, however loaded the
# machine (an older wasm-env.sh says 60).
export WASM_BINDGEN_TEST_TIMEOUT=600
env -u GECKODRIVER "${WASM_CARGO[@]}" test --locked --target wasm32-unknown-unknown --test browser -- "$@"
step "wasm-bindgen-test in headless Firefox"
env -u CHROMEDRIVER GECKODRIVER="$UNIWS_GECKODRIVER" \
    "${WASM_CARGO[@]}" test --locked --target wasm32-unknown-unknown --test browser -- "$@"
