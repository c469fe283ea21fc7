#!/usr/bin/env bash
# npm package tests: builds the package (scripts/build-npm.sh), the `uniws` command and the
# test server, installs the test tools (playwright-core, typescript; Chromium is Debian's
# from scripts/setup-wasm.sh), then runs npm-tests/ with node's test runner: the packed
# tarball in an empty folder driven from a page in headless Chromium, tsc on a TypeScript
# user, the demo in two tabs, and examples/axum_server from pages of allowed and refused
# origins.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/build-npm.sh
cargo build --locked --example test_server
cargo build --locked --features cli --bin uniws
cargo build --locked --features axum --example axum_server
npm ci --no-audit --no-fund
node --test --test-concurrency=1 npm-tests/
