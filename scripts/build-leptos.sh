#!/usr/bin/env bash
# Builds the Rust chat page (examples/leptos-chat: the chat of www/ as a Leptos client-side
# app over uniws's Rust API) into www/rust/, where `uniws demo` serves it at /rust/ beside
# the JavaScript page: the example crate for wasm32 in its `wasm-release` profile (the
# npm package's settings), wasm-bindgen's `web` glue (the CLI from scripts/setup-wasm.sh, the
# version the example pins) and wasm-opt -Oz (scripts/wasm-opt.sh). Prints the page's wasm
# size beside the npm package's.
#
# The example is a workspace of its own (its own Cargo.lock) so that the library's users
# never build Leptos; its target directory is target/leptos-chat/, kept between runs, and
# wasm-bindgen and wasm-opt run again only when cargo produced a new wasm.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/wasm-opt.sh
source scripts/wasm-opt.sh
prepare_wasm_build

EXAMPLE=examples/leptos-chat
NAME=uniws_leptos_chat
WASM="target/leptos-chat/wasm32-unknown-unknown/wasm-release/$NAME.wasm"
OUT=www/rust
echo "== cargo build --profile wasm-release for wasm32 ($EXAMPLE)"
cargo +"$UNIWS_WASM_TOOLCHAIN" build --locked --lib --target wasm32-unknown-unknown --profile wasm-release \
    --manifest-path "$EXAMPLE/Cargo.toml" --target-dir target/leptos-chat

# index.html is copied last: a run cut short leaves none, and the next one starts over.
if [ "$OUT/${NAME}_bg.wasm" -nt "$WASM" ] && [ "$OUT/index.html" -nt "$EXAMPLE/index.html" ]; then
    echo "== $OUT/ is up to date"
else
    echo "== wasm-bindgen --target web, wasm-opt -Oz into $OUT/"
    rm -rf "$OUT"
    wasm-bindgen --target web --no-typescript --out-dir "$OUT" --out-name "$NAME" "$WASM"
    optimise_wasm "$OUT/${NAME}_bg.wasm"
    cp "$EXAMPLE/index.html" "$OUT/"
fi

print_wasm_size "the Rust page's ${NAME}_bg.wasm" "$OUT/${NAME}_bg.wasm"
if [ -f pkg/uniws_bg.wasm ]; then
    print_wasm_size "beside the npm package's uniws_bg.wasm" pkg/uniws_bg.wasm
fi
