#!/usr/bin/env bash
# Builds the npm package into pkg/ (and a copy in www/pkg/ for the demo page): the crate for
# wasm32 in the `wasm-release` profile of Cargo.toml (no debug info, size-optimised, LTO),
# wasm-bindgen's `web` glue (wasm-bindgen-cli at the version of Cargo.lock, from
# scripts/setup-wasm.sh), wasm-opt -Oz from the `binaryen` npm package (scripts/wasm-opt.sh)
# and the runtime entries of crates/uniws-js/js/. Prints the wasm's size, raw and gzipped;
# scripts/wasm-floor.sh gives the same figure for a minimal gloo-net echo, the floor to
# compare it with. The package itself is the top-level package.json, which ships pkg/.
#
# No wasm-pack: of its steps this build would keep only cargo and wasm-bindgen, which it runs
# itself with the profile it wants; the rest (fetching wasm-opt, a package.json) it does not
# take.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/wasm-opt.sh
source scripts/wasm-opt.sh
prepare_wasm_build

WASM="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/uniws_js.wasm"
echo "== cargo build -p uniws-js --profile wasm-release for wasm32"
cargo +"$UNIWS_WASM_TOOLCHAIN" build --locked -p uniws-js --target wasm32-unknown-unknown --profile wasm-release
echo "== wasm-bindgen --target web into pkg/"
rm -rf pkg
wasm-bindgen --target web --out-dir pkg --out-name uniws "$WASM"
# `init()` resolves with wasm-bindgen's `InitOutput`, which declares every raw export of the
# wasm (typed `any`): in the declarations users see, it keeps only the memory; the rest are
# the package's internals, called by its own JavaScript.
awk '
    /^export interface InitOutput \{$/ {
        print "/** What `init()` resolves with: the wasm instance'"'"'s memory among its exports (the"
        print " *  others are the package'"'"'s internals, for its own JavaScript). */"
        print $0
        print "    readonly memory: WebAssembly.Memory;"
        skip = 1
        next
    }
    skip && /^\}$/ { skip = 0 }
    !skip
' pkg/uniws.d.ts >pkg/uniws.d.ts.new
mv pkg/uniws.d.ts.new pkg/uniws.d.ts
echo "== wasm-opt -Oz"
optimise_wasm pkg/uniws_bg.wasm
cp crates/uniws-js/js/node.js crates/uniws-js/js/deno.js pkg/

rm -rf www/pkg
mkdir -p www/pkg
cp -r pkg/uniws.js pkg/uniws.d.ts pkg/uniws_bg.wasm pkg/snippets www/pkg/
print_wasm_size uniws_bg.wasm pkg/uniws_bg.wasm
