#!/usr/bin/env bash
# The main job: builds the npm package (scripts/build-npm.sh), the Rust chat page
# (scripts/build-leptos.sh, into www/rust/) and the `uniws` command, then runs `uniws demo` —
# the chat page of www/ at /, the same chat written in Rust with Leptos at /rust/, and their
# WebSocket endpoint, one room, on one port (default 127.0.0.1:8080). Open the printed URL
# and /rust/ in two tabs.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build-npm.sh
./scripts/build-leptos.sh
exec cargo run --locked --release -p uniws-cli --bin uniws -- demo "${1:-127.0.0.1:8080}" --www www
