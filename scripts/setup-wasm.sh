#!/usr/bin/env bash
# Sets up everything needed to build uniws for wasm32-unknown-unknown and to run its
# wasm-bindgen-test tests in headless Chromium, then writes $UNIWS_CACHE/wasm-env.sh for
# other scripts to `source`. Idempotent and cached: a second run checks and does nothing.
#
#  * If the default rustup toolchain already has the wasm32-unknown-unknown target (a
#    user's laptop), that toolchain is used as is.
#  * Otherwise (these machines: rustup cannot download the target) Debian's Rust is used:
#    rustc-web, cargo-web, rust-web-src, rust-web-clippy and lld are installed, std is built
#    once for wasm32 with -Zbuild-std and copied into that toolchain's sysroot, and the
#    toolchain is linked into rustup as "web<major.minor>" (e.g. web1.96); wasm-ld links.
#  * In both cases chromium and chromium-driver are installed from Debian if missing, and
#    wasm-bindgen-cli (wasm-bindgen-test-runner) is installed with cargo at exactly the
#    wasm-bindgen version of Cargo.lock into $UNIWS_CACHE/wasm-bindgen-<version>.
#
# Only package registries are used (Debian, crates.io). UNIWS_CACHE defaults to
# $HOME/.cache/uniws; UNIWS_JOBS (default 2) is the build parallelism.
#
# Afterwards:  source "$UNIWS_CACHE/wasm-env.sh"
#              cargo +"$UNIWS_WASM_TOOLCHAIN" test --target wasm32-unknown-unknown
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export UNIWS_CACHE="${UNIWS_CACHE:-$HOME/.cache/uniws}"
JOBS="${UNIWS_JOBS:-2}"
WASM_TARGET=wasm32-unknown-unknown
mkdir -p "$UNIWS_CACHE"
START=$SECONDS

step() { printf '== %s\n' "$*"; }
note() { printf '   %s\n' "$*"; }
die() { printf 'setup-wasm: error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the given Debian packages that are not installed yet (apt-get update once, first).
APT_UPDATED=0
apt_install_missing() {
    local missing=() p
    for p in "$@"; do
        if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
            missing+=("$p")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        note "already installed: $*"
        return 0
    fi
    command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get to install them"
    if [ "$APT_UPDATED" -eq 0 ]; then
        note "apt-get update"
        as_root apt-get update -q
        APT_UPDATED=1
    fi
    note "apt-get install ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

# Run rustup/cargo from the cache dir so no rust-toolchain file of a caller overrides them.
cd "$UNIWS_CACHE"

step "default rustup toolchain and its targets"
command -v rustup >/dev/null || die "rustup is required"
DEFAULT_TC="$(rustup default | awk '{print $1; exit}')"
[ -n "$DEFAULT_TC" ] || die "rustup has no default toolchain"
note "default toolchain: $DEFAULT_TC"

WASM_LINKER=""
if rustup target list --installed --toolchain "$DEFAULT_TC" 2>/dev/null | grep -qx "$WASM_TARGET"; then
    note "$DEFAULT_TC has $WASM_TARGET installed: using it, skipping Debian's toolchain"
    WASM_TC="$DEFAULT_TC"
else
    note "$DEFAULT_TC has no $WASM_TARGET: using Debian's Rust (rustc-web) with a self-built std"

    step "Debian packages: Rust for the web, its library source and clippy, lld"
    apt_install_missing rustc-web cargo-web rust-web-src rust-web-clippy lld
    if [ ! -x /usr/bin/rustc ] || [ ! -x /usr/bin/cargo ]; then
        die "/usr/bin/rustc or /usr/bin/cargo missing after install"
    fi
    command -v wasm-ld >/dev/null || die "wasm-ld (lld) not on PATH"
    WASM_LINKER=wasm-ld

    SYSROOT="$(/usr/bin/rustc --print sysroot)"
    RUSTC_VER="$(/usr/bin/rustc --version | awk '{print $2}')"   # e.g. 1.96.0
    WASM_TC="web${RUSTC_VER%.*}"                                   # e.g. web1.96
    LIBDIR="$SYSROOT/lib/rustlib/$WASM_TARGET/lib"
    note "Debian rustc $RUSTC_VER, sysroot $SYSROOT"

    step "rustup toolchain $WASM_TC -> $SYSROOT"
    if rustup toolchain list | awk '{print $1}' | grep -qx "$WASM_TC"; then
        note "already linked"
    else
        note "rustup toolchain link $WASM_TC $SYSROOT"
        rustup toolchain link "$WASM_TC" "$SYSROOT"
    fi
    [ "$(rustc +"$WASM_TC" --print sysroot)" = "$SYSROOT" ] \
        || die "toolchain $WASM_TC does not point at $SYSROOT (rustup toolchain uninstall $WASM_TC, then rerun)"

    # A tiny cdylib that uses std: builds and links only if the installed wasm32 std is
    # there, matches this rustc, and wasm-ld works.
    CHECK_DIR="$UNIWS_CACHE/wasm-std/check"
    std_works() {
        compgen -G "$LIBDIR/libstd-*.rlib" >/dev/null || return 1
        mkdir -p "$CHECK_DIR/src"
        cat >"$CHECK_DIR/Cargo.toml" <<'EOF'
[package]
name = "uniws_wasm_std_check"
version = "0.0.0"
edition = "2021"
publish = false

[lib]
crate-type = ["cdylib"]

[workspace]
EOF
        cat >"$CHECK_DIR/src/lib.rs" <<'EOF'
#[no_mangle]
pub extern "C" fn uniws_check(n: u32) -> u32 {
    let v: Vec<String> = (0..n).map(|i| format!("{i}")).collect();
    v.iter().map(|s| s.len() as u32).sum()
}
EOF
        (cd "$CHECK_DIR" && env -u RUSTC -u RUSTUP_TOOLCHAIN CARGO_TARGET_DIR="$CHECK_DIR/target" \
            CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld \
            cargo +"$WASM_TC" build -q --target "$WASM_TARGET" -j "$JOBS" >"$CHECK_DIR/last.log" 2>&1) \
            && [ -f "$CHECK_DIR/target/$WASM_TARGET/debug/uniws_wasm_std_check.wasm" ]
    }

    step "std for $WASM_TARGET in $LIBDIR"
    if std_works; then
        note "installed and working (test build of a std-using cdylib succeeded)"
    else
        if compgen -G "$LIBDIR/libstd-*.rlib" >/dev/null; then
            note "present but the test build failed (see $CHECK_DIR/last.log): rebuilding"
        else
            note "not installed: building it once with -Zbuild-std (about a minute or two)"
        fi
        BUILD_DIR="$UNIWS_CACHE/wasm-std/build"
        SCRATCH=uniws_wasm_std_scratch
        rm -rf "$BUILD_DIR"
        mkdir -p "$BUILD_DIR/src"
        printf '[package]\nname = "%s"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[workspace]\n' \
            "$SCRATCH" >"$BUILD_DIR/Cargo.toml"
        : >"$BUILD_DIR/src/lib.rs"
        note "RUSTC_BOOTSTRAP=1 /usr/bin/cargo build --release --target $WASM_TARGET -Zbuild-std=std,panic_abort,proc_macro,test"
        (cd "$BUILD_DIR" && env -u RUSTUP_TOOLCHAIN RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
            CARGO_TARGET_DIR="$BUILD_DIR/target" \
            CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld \
            /usr/bin/cargo build --release --target "$WASM_TARGET" -j "$JOBS" \
            -Zbuild-std=std,panic_abort,proc_macro,test)
        DEPS="$BUILD_DIR/target/$WASM_TARGET/release/deps"
        compgen -G "$DEPS/libstd-*.rlib" >/dev/null || die "std build produced no libstd rlib in $DEPS"
        note "installing the rlibs into $LIBDIR"
        as_root mkdir -p "$LIBDIR"
        as_root find "$LIBDIR" -maxdepth 1 -name 'lib*.rlib' -delete
        n=0
        for f in "$DEPS"/lib*.rlib; do
            case "$(basename "$f")" in "lib$SCRATCH"-*) continue ;; esac
            as_root cp "$f" "$LIBDIR/"
            n=$((n + 1))
        done
        note "copied $n rlibs"
        std_works || die "std installed but the test build still fails: see $CHECK_DIR/last.log"
        note "test build of a std-using cdylib succeeded"
    fi
fi

step "Chromium and chromedriver"
if command -v dpkg >/dev/null; then
    apt_install_missing chromium chromium-driver
else
    note "no dpkg/apt here: using the chromedriver (and Chrome) already installed"
fi
CHROMEDRIVER_BIN=/usr/bin/chromedriver
[ -x "$CHROMEDRIVER_BIN" ] || CHROMEDRIVER_BIN="$(command -v chromedriver || true)"
[ -n "$CHROMEDRIVER_BIN" ] || die "chromedriver not found"
note "$("$CHROMEDRIVER_BIN" --version 2>/dev/null | head -n1)"

step "wasm-bindgen-cli at the wasm-bindgen version of Cargo.lock"
[ -f "$ROOT/Cargo.lock" ] || die "$ROOT/Cargo.lock not found"
WB_VER="$(awk '
    /^\[\[package\]\]/ { name = "" }
    /^name = /         { name = $3 }
    /^version = / && name == "\"wasm-bindgen\"" { gsub(/"/, "", $3); print $3; exit }
' "$ROOT/Cargo.lock")"
[ -n "$WB_VER" ] || die "no wasm-bindgen package in $ROOT/Cargo.lock"
WB_ROOT="$UNIWS_CACHE/wasm-bindgen-$WB_VER"
WB_BIN="$WB_ROOT/bin"
note "wasm-bindgen $WB_VER (from Cargo.lock) -> $WB_ROOT"
if [ -x "$WB_BIN/wasm-bindgen" ] && [ -x "$WB_BIN/wasm-bindgen-test-runner" ] \
    && "$WB_BIN/wasm-bindgen" --version 2>/dev/null | grep -qw "$WB_VER"; then
    note "already installed: $("$WB_BIN/wasm-bindgen" --version)"
else
    # Native tool: built with the default rustup toolchain, in a target dir of the cache.
    wb_cargo() {
        env -u RUSTC -u RUSTUP_TOOLCHAIN -u CARGO_BUILD_TARGET \
            CARGO_TARGET_DIR="$UNIWS_CACHE/wasm-bindgen-build" cargo +"$DEFAULT_TC" "$@"
    }
    note "cargo +$DEFAULT_TC install wasm-bindgen-cli --version =$WB_VER --locked (about 4 minutes on 2 cores)"
    if ! wb_cargo install wasm-bindgen-cli --version "=$WB_VER" --locked --force \
        --root "$WB_ROOT" -j "$JOBS"; then
        # The crate's own Cargo.lock can name a version that the registry no longer offers
        # (yanked; e.g. 0.2.130 locks webpki-roots 1.0.11). Then build from the crate's
        # source with only those entries moved to the newest available compatible version,
        # everything else as locked.
        note "--locked install failed: retrying from the crate's source, relaxing only unavailable lock entries"
        CRATE_FILE="$(find "${CARGO_HOME:-$HOME/.cargo}/registry/cache" -name "wasm-bindgen-cli-$WB_VER.crate" 2>/dev/null | head -n1)"
        [ -n "$CRATE_FILE" ] || die "wasm-bindgen-cli-$WB_VER.crate not in cargo's download cache"
        SRC_PARENT="$UNIWS_CACHE/wasm-bindgen-src"
        SRC_DIR="$SRC_PARENT/wasm-bindgen-cli-$WB_VER"
        rm -rf "$SRC_DIR"
        mkdir -p "$SRC_PARENT"
        tar -xzf "$CRATE_FILE" -C "$SRC_PARENT"
        relaxed=0
        while ! (cd "$SRC_DIR" && wb_cargo fetch --locked -q >"$SRC_PARENT/fetch.log" 2>&1); do
            # shellcheck disable=SC2016  # the backquotes are cargo's, not shell's
            spec="$(sed -n 's/.*failed to select a version for the requirement `\([^ ]*\) = [^`]*` (locked to \([^)]*\)).*/\1@\2/p' \
                "$SRC_PARENT/fetch.log" | head -n1)"
            if [ -z "$spec" ] || [ "$relaxed" -ge 10 ]; then
                cat "$SRC_PARENT/fetch.log" >&2
                die "cannot resolve wasm-bindgen-cli $WB_VER's dependencies"
            fi
            note "locked $spec is not in the registry: cargo update -p $spec"
            (cd "$SRC_DIR" && wb_cargo update -q -p "$spec")
            relaxed=$((relaxed + 1))
        done
        note "cargo install --path $SRC_DIR --locked"
        (cd "$SRC_DIR" && wb_cargo install --path . --locked --force --root "$WB_ROOT" -j "$JOBS")
    fi
    "$WB_BIN/wasm-bindgen" --version | grep -qw "$WB_VER" || die "installed wasm-bindgen is not $WB_VER"
    note "installed: $("$WB_BIN/wasm-bindgen" --version)"
fi

step "environment file $UNIWS_CACHE/wasm-env.sh"
ENV_FILE="$UNIWS_CACHE/wasm-env.sh"
TMP_ENV="$(mktemp "$UNIWS_CACHE/.wasm-env.XXXXXX")"
# shellcheck disable=SC2016  # $PATH and $UNIWS_WASM_TOOLCHAIN expand when the file is sourced
{
    printf '# Written by uniws scripts/setup-wasm.sh; source it, then:\n'
    printf '#   cargo +"$UNIWS_WASM_TOOLCHAIN" test --target wasm32-unknown-unknown\n'
    printf 'export UNIWS_WASM_TOOLCHAIN=%q\n' "$WASM_TC"
    if [ -n "$WASM_LINKER" ]; then
        printf 'export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=%q\n' "$WASM_LINKER"
    fi
    printf 'case "$PATH" in %q:*) ;; *) export PATH=%q:"$PATH" ;; esac\n' "$WB_BIN" "$WB_BIN"
    printf 'export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner\n'
    printf 'export CHROMEDRIVER=%q\n' "$CHROMEDRIVER_BIN"
    # For the whole run: a hang guard, never a bound on speed.
    printf 'export WASM_BINDGEN_TEST_TIMEOUT=600\n'
} >"$TMP_ENV"
if [ -f "$ENV_FILE" ] && cmp -s "$TMP_ENV" "$ENV_FILE"; then
    rm -f "$TMP_ENV"
    note "unchanged"
else
    mv "$TMP_ENV" "$ENV_FILE"
    note "written"
fi

printf 'setup-wasm: ok in %ss: toolchain %s%s, wasm-bindgen %s, chromedriver %s; source %s\n' \
    "$((SECONDS - START))" "$WASM_TC" "${WASM_LINKER:+ (linker $WASM_LINKER)}" "$WB_VER" \
    "$CHROMEDRIVER_BIN" "$ENV_FILE"
