#!/usr/bin/env bash
# Builds the npm package: the crate for wasm32 through wasm-pack (installed once, cached,
# with wasm-bindgen and no wasm-opt taken from the machine rather than downloaded) into
# pkg/, and a copy in www/pkg/ for the demo page. The package itself is the top-level
# package.json, which ships pkg/.
set -euo pipefail
cd "$(dirname "$0")/.."

export UNIWS_CACHE="${UNIWS_CACHE:-$HOME/.cache/uniws}"
WASM_PACK_VERSION=0.15.1
./scripts/setup-wasm.sh >/dev/null
# shellcheck source=/dev/null
source "$UNIWS_CACHE/wasm-env.sh"

WASM_PACK="$UNIWS_CACHE/wasm-pack/bin/wasm-pack"
if ! "$WASM_PACK" --version 2>/dev/null | grep -q " $WASM_PACK_VERSION\$"; then
    echo "== installing wasm-pack $WASM_PACK_VERSION into $UNIWS_CACHE/wasm-pack"
    cargo install wasm-pack --version "=$WASM_PACK_VERSION" --locked --root "$UNIWS_CACHE/wasm-pack" -j 2
fi

echo "== wasm-pack build (target web) into pkg/"
RUSTUP_TOOLCHAIN="$UNIWS_WASM_TOOLCHAIN" "$WASM_PACK" build --target web --release --mode no-install \
    --out-dir pkg --out-name uniws --no-pack . -- --locked
rm -rf www/pkg
mkdir -p www/pkg
cp pkg/uniws.js pkg/uniws.d.ts pkg/uniws_bg.wasm www/pkg/
ls -l pkg/uniws_bg.wasm
