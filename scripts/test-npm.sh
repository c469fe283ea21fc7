#!/usr/bin/env bash
# npm package tests: builds the package (scripts/build-npm.sh), the `uniws` command and the
# test server, installs the test tools (playwright-core, typescript; Chromium is Debian's
# from scripts/setup-wasm.sh), then runs npm-tests/ with node's test runner: the packed
# tarball in an empty folder driven from a page in headless Chromium, tsc on a TypeScript
# user, and the demo in two tabs.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/build-npm.sh
cargo build --locked --example test_server
cargo build --locked --features cli --bin uniws
npm ci --no-audit --no-fund
# The files, not the folder: Node 22 and later read these arguments as file patterns, and a
# folder matches no test file.
node --test --test-concurrency=1 npm-tests/*.test.mjs
