# Sourced by scripts/build-npm.sh, scripts/build-leptos.sh and scripts/wasm-floor.sh, so that
# the package's wasm, the Rust chat page's and the gloo-net floor they are compared with are
# optimised and measured the same way.

# What a wasm build needs, from the repository's root: the wasm32 toolchain and wasm-bindgen
# (scripts/setup-wasm.sh, its environment sourced) and the npm tools (binaryen's wasm-opt
# among them), installed again only when the lock file changed.
prepare_wasm_build() {
    export UNIWS_CACHE="${UNIWS_CACHE:-$HOME/.cache/uniws}"
    ./scripts/setup-wasm.sh >/dev/null
    # shellcheck source=/dev/null
    source "$UNIWS_CACHE/wasm-env.sh"
    if [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        echo "== npm ci (binaryen's wasm-opt, the test tools)"
        npm ci --no-audit --no-fund
    fi
}

# wasm-opt -Oz in place, with the `binaryen` npm package of package-lock.json. The features
# enabled are those of rustc's wasm32 target, which the module uses; the producers and
# target-features sections are for linkers, not for running it.
optimise_wasm() {
    node_modules/.bin/wasm-opt -Oz --converge --strip-producers --strip-target-features \
        --enable-bulk-memory --enable-mutable-globals --enable-sign-ext \
        --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
        "$1" -o "$1"
}

# "NAME: N bytes (K KiB), M gzipped (L KiB)" for a wasm file (gzip -9, as a server sends it).
print_wasm_size() {
    local raw gzipped
    raw=$(wc -c <"$2")
    gzipped=$(gzip -9c "$2" | wc -c)
    awk -v name="$1" -v raw="$raw" -v gz="$gzipped" \
        'BEGIN { printf "%s: %d bytes (%.1f KiB), %d gzipped (%.1f KiB)\n", name, raw, raw / 1024, gz, gz / 1024 }'
}
