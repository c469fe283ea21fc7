#!/usr/bin/env bash
# Fuzzes uniws's protocol core: builds the cargo-fuzz targets in fuzz/ (nightly toolchain,
# cargo-fuzz installed with cargo into ${UNIWS_CACHE:-$HOME/.cache/uniws}/cargo-fuzz if
# missing) and runs each target in turn, one process (the machine has 2 cores), for
# SECONDS (default 60) seconds. Each run starts from the committed seeds fuzz/corpus/<target>/
# copied into a working corpus target/fuzz-corpus/<target>/ (kept between runs; the committed
# corpus never grows). Prints per target the executions and whether it crashed; a crash
# input is minimized (bounded) and copied into fuzz/regressions/<target>/, where
# tests/fuzz_regressions.rs replays it as a test. Exits non-zero if anything crashed.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
# Environment: UNIWS_FUZZ_SANITIZER
# (default none; "address" for ASan, over the unsafe SIMD masking); UNIWS_FUZZ_MAX_LEN
# (libFuzzer -max_len, default 4096); UNIWS_FUZZ_FRESH=1 to start the working corpus from the
# seeds only.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export UNIWS_CACHE="${UNIWS_CACHE:-$HOME/.cache/uniws}"
SECONDS_PER_TARGET="${1:-60}"
shift || true
SANITIZER="${UNIWS_FUZZ_SANITIZER:-none}"
MAX_LEN="${UNIWS_FUZZ_MAX_LEN:-4096}"
FUZZ_BIN="$UNIWS_CACHE/cargo-fuzz/bin"
BUILD_DIR="$ROOT/target/fuzz"
WORK="$ROOT/target/fuzz-corpus"
ARTIFACTS="$ROOT/target/fuzz-artifacts"
LOGS="$ROOT/target/fuzz-logs"

die() { printf 'fuzz.sh: error: %s\n' "$*" >&2; exit 2; }
step() { printf '\n== %s\n' "$*"; }

case "$SECONDS_PER_TARGET" in
    '' | *[!0-9]*) die "SECONDS must be a whole number, not '$SECONDS_PER_TARGET'" ;;
esac
if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
else
    TARGETS=()
    for file in "$ROOT"/fuzz/fuzz_targets/*.rs; do TARGETS+=("$(basename "$file" .rs)"); done
fi

rustup toolchain list | grep -q '^nightly' || die "the nightly toolchain is not installed (rustup toolchain list)"

step "cargo-fuzz"
start=$SECONDS
if [ ! -x "$FUZZ_BIN/cargo-fuzz" ]; then
    cargo install cargo-fuzz --locked --root "$UNIWS_CACHE/cargo-fuzz"
fi
export PATH="$FUZZ_BIN:$PATH"
printf '   %s (%ds)\n' "$(cargo-fuzz --version)" $((SECONDS - start))

# Release build with debug assertions and overflow checks (uniws debug_asserts that text is
# UTF-8), no sanitizer unless asked.
FLAGS=(--fuzz-dir "$ROOT/fuzz" --target-dir "$BUILD_DIR" -O -a --sanitizer "$SANITIZER")

step "build (${#TARGETS[@]} targets, sanitizer $SANITIZER)"
start=$SECONDS
for target in "${TARGETS[@]}"; do
    cargo +nightly fuzz build "${FLAGS[@]}" "$target"
done
printf '   built in %ds\n' $((SECONDS - start))

mkdir -p "$WORK" "$ARTIFACTS" "$LOGS"
declare -A EXECS RESULT
crashed=0
for target in "${TARGETS[@]}"; do
    step "fuzz $target for ${SECONDS_PER_TARGET}s"
    corpus="$WORK/$target"
    artifacts="$ARTIFACTS/$target"
    log="$LOGS/$target.log"
    [ "${UNIWS_FUZZ_FRESH:-0}" = 1 ] && rm -rf "$corpus"
    rm -rf "$artifacts"
    mkdir -p "$corpus" "$artifacts"
    cp "$ROOT/fuzz/corpus/$target"/* "$corpus"/
    printf '   working corpus: %s (%d inputs)\n' "$corpus" "$(find "$corpus" -type f | wc -l)"
    start=$SECONDS
    status=0
    cargo +nightly fuzz run "${FLAGS[@]}" "$target" "$corpus" -- \
        -max_total_time="$SECONDS_PER_TARGET" -max_len="$MAX_LEN" -timeout=10 -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\)[[:space:]]*DONE.*/\1/p' "$log" | tail -1)
    [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\)[[:space:]].*/\1/p' "$log" | tail -1)
    EXECS[$target]="${execs:-?}"
    printf '   %s executions in %ds, corpus now %d inputs (log: %s)\n' \
        "${execs:-?}" $((SECONDS - start)) "$(find "$corpus" -type f | wc -l)" "$log"

    mapfile -t found < <(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \))
    if [ "$status" -eq 0 ] && [ "${#found[@]}" -eq 0 ]; then
        RESULT[$target]="ok"
        continue
    fi
    crashed=1
    if [ "${#found[@]}" -eq 0 ]; then
        RESULT[$target]="FAILED (exit $status, no artifact; see $log)"
        tail -30 "$log"
        continue
    fi
    RESULT[$target]="CRASHED (${#found[@]} input(s))"
    grep -m1 -A3 'panicked at' "$log" || tail -20 "$log"
    mkdir -p "$ROOT/fuzz/regressions/$target"
    for input in "${found[@]}"; do
        name="$(basename "$input")"
        minimized="$artifacts/minimized-$name"
        # Minimize, bounded; keep the original if that fails.
        if cargo +nightly fuzz tmin "${FLAGS[@]}" "$target" "$input" -r 5000 -- \
            -max_total_time=60 -exact_artifact_path="$minimized" >"$LOGS/$target-tmin.log" 2>&1 &&
            [ -s "$minimized" ]; then
            cp "$minimized" "$ROOT/fuzz/regressions/$target/$name"
        else
            cp "$input" "$ROOT/fuzz/regressions/$target/$name"
        fi
        printf '   saved fuzz/regressions/%s/%s (%d bytes): %s\n' "$target" "$name" \
            "$(wc -c <"$ROOT/fuzz/regressions/$target/$name")" \
            "$(od -An -tx1 -v "$ROOT/fuzz/regressions/$target/$name" | tr -s ' \n' ' ' | cut -c1-200)"
    done
done

step "summary (${SECONDS_PER_TARGET}s per target)"
for target in "${TARGETS[@]}"; do
    printf '   %-20s %12s executions  %s\n' "$target" "${EXECS[$target]}" "${RESULT[$target]}"
done
if [ "$crashed" -ne 0 ]; then
    printf '\nfuzz.sh: crashes saved under fuzz/regressions/; replay: cargo test --test fuzz_regressions\n'
    exit 1
fi
