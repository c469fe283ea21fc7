#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: formatting and lint checks, the unit,
# integration and documentation tests of every crate of the workspace (interop tests install
# Python `websockets` into a cached virtualenv themselves), the browser tests (the wasm32
# toolchain, Chromium and wasm-bindgen-cli installed by scripts/setup-wasm.sh), the npm
# package, the load test and Autobahn in both modes. Idempotent; what it installs is cached
# under ${UNIWS_CACHE:-$HOME/.cache/uniws}.
#
#   ./scripts/test.sh                 every stage, in order
#   ./scripts/test.sh STAGE [STAGE…]  only those: lint, rust, package, browser, npm, load,
#                                     autobahn
set -euo pipefail
cd "$(dirname "$0")/.."

export UNIWS_CACHE="${UNIWS_CACHE:-$HOME/.cache/uniws}"
mkdir -p "$UNIWS_CACHE"

STAGES=(lint rust package browser npm load autobahn)

step() { printf '\n== %s\n' "$*"; }

stage_lint() {
    step "rustfmt and clippy (every crate of the workspace, with and without the axum integration)"
    rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
    rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets --locked -- -D warnings
    cargo clippy --workspace --all-targets --features uniws/axum --locked -- -D warnings
    # The other crypto provider, alone: the library and its TLS tests build with it.
    cargo clippy -p uniws --all-targets --no-default-features --features ring --locked -- -D warnings
    # Every feature documented, no broken link (docs.rs builds with all of them).
    RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --all-features --locked
    # The minimum Rust version claimed is the toolchain that builds the tests, or one rustup has.
    local msrv rustc_version
    msrv="$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)"
    rustc_version="$(rustc --version | cut -d' ' -f2)"
    if [[ $rustc_version == "$msrv" || $rustc_version == "$msrv".* ]]; then
        echo "rust-version $msrv: checked by this toolchain ($rustc_version)"
    elif rustup toolchain list | grep -q "^$msrv"; then
        cargo +"$msrv" check --workspace --all-targets --locked
    else
        echo "test.sh: rust-version $msrv is checked by nothing here (rustc $rustc_version)" >&2
        return 1
    fi
}

stage_rust() {
    step "unit, integration and doc tests of every crate (the uniws command and the axum integration included)"
    cargo test --workspace --locked --features uniws/axum -- --test-threads=2
    # The TLS tests with the other provider.
    cargo test -p uniws --locked --no-default-features --features ring --test tls
}

stage_package() {
    step "packages: cargo publish --dry-run, their files, a dependent built from the .crate"
    ./scripts/package.sh
}

stage_browser() {
    step "browser backend: wasm32 build, clippy, wasm-bindgen-test in headless Chromium and Firefox"
    ./scripts/test-browser.sh
}

stage_npm() {
    step "npm package in Node 22, Deno, Bun, Chromium and Firefox, TypeScript declarations, the demo, the Rust page"
    ./scripts/test-npm.sh
}

stage_load() {
    step "load: 10,000 concurrent connections (scripts/load.sh)"
    ./scripts/load.sh
}

stage_autobahn() {
    step "Autobahn|Testsuite, both modes (scripts/autobahn.sh)"
    ./scripts/autobahn.sh
}

selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=("${STAGES[@]}")
for stage in "${selected[@]}"; do
    if ! declare -F "stage_$stage" >/dev/null; then
        echo "test.sh: no stage '$stage' (stages: ${STAGES[*]})" >&2
        exit 2
    fi
done
for stage in "${selected[@]}"; do
    started=$SECONDS
    "stage_$stage"
    printf '== stage %s passed in %d s\n' "$stage" $((SECONDS - started))
done
