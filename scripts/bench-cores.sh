#!/usr/bin/env bash
# Many cores (benches/README.md, "One and two cores"): echo msgs/s and server CPU per message
# for uniws served from one current-thread runtime, from a multi-thread runtime
# (`RequestHandler::serve` spawns a task per connection) and from N accept loops with
# SO_REUSEPORT (`uniws::bind_reuseport`, one current-thread runtime per thread), and the same
# three layouts for tokio-websockets, on the 100×20 B and 100×16 KiB rows of bench.sh.
#
# Cores are explicit (taskset): the "1 core" layouts pin the server to core 0 and the load
# generator to core 1, as bench.sh does; the "2 cores" layouts give the server cores 0-1 and
# the load generator the same cores 0-1 (the machine has two), so the server can use both
# only when the load generator leaves them room. `current` on cores 0-1 is the control: one
# server thread with the same two cores to run on. Server CPU time per message (all its
# threads, /proc/PID/stat) is the figure the contention disturbs least. Rounds are
# interleaved across the configurations; the table has the medians. Everything binds
# 127.0.0.1, every run is bounded by `timeout`, and every process is stopped by its PID.
#
#   ./scripts/bench-cores.sh     # BENCH_ROUNDS=5 BENCH_WARMUP=0.5 BENCH_WINDOW=2 BENCH_THREADS=2
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS="${BENCH_ROUNDS:-5}"
WARMUP="${BENCH_WARMUP:-0.5}"
WINDOW="${BENCH_WINDOW:-2}"
THREADS="${BENCH_THREADS:-2}"
# connections, payload bytes
ROWS=("100 20" "100 16384")
# name: binary runtime server-cores load-cores
CONFIGS=(
    "uniws:current:0:1"
    "uniws:current:0-1:0-1"
    "uniws:multi:0-1:0-1"
    "uniws:reuseport:0-1:0-1"
    "tokio_websockets:current:0:1"
    "tokio_websockets:current:0-1:0-1"
    "tokio_websockets:multi:0-1:0-1"
    "tokio_websockets:reuseport:0-1:0-1"
)

export CARGO_TARGET_DIR="$PWD/benches/target"
BIN="$CARGO_TARGET_DIR/release"
BENCH_NAME=bench-cores
# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh

echo "bench-cores: building (release)" >&2
timeout 1200 cargo build --release --manifest-path benches/Cargo.toml \
    --bin load --bin echo_uniws_cores --bin echo_tokio_websockets_cores >&2 || fail "build"

# start ID: the echo server of configuration ID (its index in CONFIGS) on a free port.
STARTS=0
start() {
    local id="$1" name runtime cores _load
    IFS=: read -r name runtime cores _load <<<"${CONFIGS[$id]}"
    launch "$id" "$work/$id.$((STARTS += 1))" env BENCH_RUNTIME="$runtime" BENCH_THREADS="$THREADS" \
        taskset -c "$cores" "$BIN/echo_${name}_cores"
}

load() {
    local id="$1" _name _runtime _cores load_cores
    shift
    IFS=: read -r _name _runtime _cores load_cores <<<"${CONFIGS[$id]}"
    timeout 60 taskset -c "$load_cores" "$BIN/load" --port "${PORTS[$id]}" --server-pid "${PIDS[$id]}" "$@" ||
        fail "load against ${CONFIGS[$id]} ($*)"
}

SECONDS=0
results="$work/results.tsv"
for row in "${ROWS[@]}"; do
    read -r connections size <<<"$row"
    label="${connections}×$(human "$size")"
    echo "bench-cores: $label, ${#CONFIGS[@]} configurations, $ROUNDS rounds" >&2
    for id in "${!CONFIGS[@]}"; do start "$id"; done
    for round in $(seq "$ROUNDS"); do
        for id in "${!CONFIGS[@]}"; do
            line="$(load "$id" --connections "$connections" --size "$size" --warmup "$WARMUP" --window "$WINDOW")"
            echo "  ${CONFIGS[$id]} round $round: ${line#RESULT }" >&2
            printf '%s\t%s\t%s\n' "$label" "${CONFIGS[$id]}" "${line#RESULT }" >>"$results"
        done
    done
    for id in "${!CONFIGS[@]}"; do stop "$id"; done
done

python3 - "$results" "$ROUNDS" "$WARMUP" "$WINDOW" "$THREADS" <<'PY'
import statistics, sys
results, rounds, warmup, window, threads = sys.argv[1:]
runs, rows, configs = {}, [], []
for line in open(results):
    row, config, fields = line.rstrip("\n").split("\t")
    values = dict(f.split("=") for f in fields.split())
    rows += [row] if row not in rows else []
    configs += [config] if config not in configs else []
    runs.setdefault((row, config), []).append(values)
med = lambda row, config, key: statistics.median(float(v[key]) for v in runs[(row, config)])
spread = lambda row, config, key: (min(float(v[key]) for v in runs[(row, config)]),
                                    max(float(v[key]) for v in runs[(row, config)]))
layout = {"current": "1 thread, current-thread runtime", "multi": f"multi-thread runtime, {threads} workers",
          "reuseport": f"{threads} SO_REUSEPORT loops, a current-thread runtime each"}
print(f"Medians of {rounds} rounds ({warmup} s warm-up, {window} s window each); msgs/s range in brackets. "
      "×1 core = msgs/s ÷ the same server's 1-thread, 1-core figure.\n")
print("| row | server | layout | server cores | load cores | msgs/s [min–max] | ×1 core | server CPU µs/msg | server CPU % | client CPU % |")
print("|---|---|---|---|---|---:|---:|---:|---:|---:|")
for row in rows:
    for config in configs:
        name, runtime, cores, load = config.split(":")
        base = med(row, f"{name}:current:0:1", "msgs_per_s")
        m = med(row, config, "msgs_per_s")
        lo, hi = spread(row, config, "msgs_per_s")
        print(f"| {row} | {name} | {layout[runtime]} | {cores} | {load} | {m:,.0f} [{lo:,.0f}–{hi:,.0f}] | "
              f"{m / base:.2f} | {med(row, config, 'server_us_per_msg'):.2f} | "
              f"{med(row, config, 'server_cpu_pct'):.0f} | {med(row, config, 'client_cpu_pct'):.0f} |")
PY
echo
echo "bench-cores: ${SECONDS} s"
