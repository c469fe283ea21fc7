#!/usr/bin/env bash
# The main job: builds the npm package (scripts/build-npm.sh) and the `uniws` command, then
# runs `uniws demo` — the chat page of www/ and its WebSocket endpoint on one port
# (default 127.0.0.1:8080). Open the printed URL in two tabs.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build-npm.sh
exec cargo run --locked --release --features cli --bin uniws -- demo "${1:-127.0.0.1:8080}" --www www
