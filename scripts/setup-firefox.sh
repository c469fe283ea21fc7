#!/usr/bin/env bash
# Sets up Firefox for the tests, idempotently: Debian's firefox-esr, and geckodriver (the
# WebDriver server for Firefox, a crate) built once with cargo into
# $UNIWS_CACHE/geckodriver-<version>. Writes $UNIWS_CACHE/firefox-env.sh, which sets
# UNIWS_FIREFOX and UNIWS_GECKODRIVER for scripts/test-browser.sh (wasm-bindgen-test in
# Firefox) and scripts/test-npm.sh (the npm package in Firefox). Only package registries are
# used (Debian, crates.io).
set -euo pipefail

export UNIWS_CACHE="${UNIWS_CACHE:-$HOME/.cache/uniws}"
JOBS="${UNIWS_JOBS:-2}"
GECKODRIVER_VERSION=0.37.1
mkdir -p "$UNIWS_CACHE"
cd "$UNIWS_CACHE"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

FIREFOX=/usr/bin/firefox-esr
if [ -x "$FIREFOX" ]; then
    echo "== firefox-esr: installed"
elif command -v apt-get >/dev/null; then
    echo "== firefox-esr: apt-get install"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q firefox-esr
else
    FIREFOX="$(command -v firefox || true)"
    [ -n "$FIREFOX" ] || { echo "setup-firefox: no firefox-esr, no firefox and no apt-get" >&2; exit 1; }
fi

ROOT_DIR="$UNIWS_CACHE/geckodriver-$GECKODRIVER_VERSION"
GECKODRIVER="$ROOT_DIR/bin/geckodriver"
if "$GECKODRIVER" --version 2>/dev/null | grep -q "^geckodriver $GECKODRIVER_VERSION"; then
    echo "== geckodriver $GECKODRIVER_VERSION: installed"
else
    echo "== geckodriver $GECKODRIVER_VERSION: cargo install (a few minutes, once)"
    env -u RUSTUP_TOOLCHAIN -u CARGO_BUILD_TARGET CARGO_TARGET_DIR="$UNIWS_CACHE/geckodriver-build" \
        cargo install geckodriver --version "=$GECKODRIVER_VERSION" --locked --force --root "$ROOT_DIR" -j "$JOBS"
fi

ENV_FILE="$UNIWS_CACHE/firefox-env.sh"
printf 'export UNIWS_FIREFOX=%q\nexport UNIWS_GECKODRIVER=%q\n' "$FIREFOX" "$GECKODRIVER" >"$ENV_FILE.tmp"
mv "$ENV_FILE.tmp" "$ENV_FILE"
echo "setup-firefox: ok: $("$FIREFOX" --version 2>/dev/null), $("$GECKODRIVER" --version | head -n1); source $ENV_FILE"
