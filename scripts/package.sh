#!/usr/bin/env bash
# Packages the crates as they would be published and checks what users would get: `cargo
# publish --dry-run` for uniws and uniws-cli (each built from its packaged .crate, uniws-cli
# against the packaged uniws), the file list of each package, and a dependent crate
# (tests/dependent) built from the unpacked uniws .crate beside a default rustls, run once:
# a TLS server and client through rustls's own builders. Its dependencies resolve afresh
# from the registry, as a new user's would. The npm package is packed by npm-tests (`npm
# pack`, npm-tests/harness.mjs). Needs nothing but cargo.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
VERSION="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"

echo "== cargo publish --dry-run (uniws $VERSION, uniws-cli)"
# --allow-dirty: the check is of the tree as it is, committed or not.
cargo publish --dry-run --locked --allow-dirty -p uniws -p uniws-cli

for package in uniws uniws-cli; do
    echo "== the files of $package"
    cargo package --list --locked --allow-dirty -p "$package"
done

echo "== a dependent of the packaged uniws, beside a default rustls"
# The .crate files themselves (the dry run verified them and kept them aside).
cargo package --no-verify --locked --allow-dirty -p uniws
work="$TARGET/dependent"
rm -rf "$work"
mkdir -p "$work/smoke"
tar xzf "$TARGET/package/uniws-$VERSION.crate" -C "$work"
sed "s|UNIWS_PATH|$work/uniws-$VERSION|" tests/dependent/Cargo.toml.in >"$work/smoke/Cargo.toml"
cp -r tests/dependent/src "$work/smoke/"
cargo run --quiet --manifest-path "$work/smoke/Cargo.toml" --target-dir "$TARGET/dependent-build"
