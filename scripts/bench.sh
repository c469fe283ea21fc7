#!/usr/bin/env bash
# The performance matrix (benches/README.md): builds the benches workspace in release, then,
# with every server pinned to one core and the load generator to another (taskset), runs
# each row of the matrix against the echo servers of uniws (whole messages, and `recv`/`send`:
# `uniws_recv`), tokio-tungstenite, fastwebsockets,
# tokio-websockets, sockudo-ws, yawc and a raw TCP echo, BENCH_ROUNDS (3) rounds interleaved
# across servers,
# and prints one table of medians (msgs/s, MiB/s, server CPU µs per message) with uniws's
# ratio to each peer and to raw TCP. Then the memory figures (heap and RSS per idle
# connection with BENCH_IDLE (10,000) connections; peak RSS while echoing 10×1 MiB) and the
# criterion micro-benchmarks (BENCH_MICRO=0 skips them), and last the instructions and
# syscalls per message of scripts/bench-count.sh (BENCH_COUNT=0 skips them). Everything
# binds 127.0.0.1, every run is bounded by `timeout`, and every process is stopped by its
# PID, also on any exit.
#
#   ./scripts/bench.sh            # BENCH_WARMUP=0.5 BENCH_WINDOW=2 BENCH_ROUNDS=3
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS="${BENCH_ROUNDS:-3}"
WARMUP="${BENCH_WARMUP:-0.5}"
WINDOW="${BENCH_WINDOW:-2}"
IDLE="${BENCH_IDLE:-10000}"
MICRO="${BENCH_MICRO:-1}"
COUNT="${BENCH_COUNT:-1}"
SERVER_CORE="${BENCH_SERVER_CORE:-0}"
LOAD_CORE="${BENCH_LOAD_CORE:-1}"
# BENCH_SERVERS="uniws uniws_before fastwebsockets ..." measures those only: every name is a
# binary echo_NAME in the release directory (a copy of an earlier build of echo_uniws, say;
# names other than the peers and raw are shown beside uniws, not counted as peers).
read -r -a SERVERS <<<"${BENCH_SERVERS:-uniws uniws_recv tungstenite fastwebsockets tokio_websockets sockudo yawc raw}"
# connections, payload bytes, frame bytes (0: one frame per message)
ROWS=("1 20 0" "100 20 0" "10 1024 0" "100 16384 0" "10 1048576 0" "1 16777216 1048576")

export CARGO_TARGET_DIR="$PWD/benches/target"
BIN="$CARGO_TARGET_DIR/release"
BENCH_NAME=bench
# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh

echo "bench: building (release)" >&2
timeout 1200 cargo build --release --manifest-path benches/Cargo.toml --bins >&2 || fail "build"
if [[ "$MICRO" == 1 ]]; then
    timeout 1200 cargo bench --manifest-path benches/Cargo.toml --bench micro --no-run >&2 2>/dev/null ||
        fail "build of the micro-benchmarks"
fi

# start NAME [ENV=VALUE...]: an echo server on a free port of 127.0.0.1, pinned to SERVER_CORE.
STARTS=0
start() {
    local name="$1"
    shift
    launch "$name" "$work/$name.$((STARTS += 1))" env "$@" taskset -c "$SERVER_CORE" "$BIN/echo_$name"
}

# load NAME ARGS...: one run of the load generator against server NAME, pinned to LOAD_CORE.
load() {
    local name="$1"
    shift
    local raw=()
    [[ "$name" == raw ]] && raw=(--raw)
    timeout 120 taskset -c "$LOAD_CORE" "$BIN/load" --port "${PORTS[$name]}" --server-pid "${PIDS[$name]}" \
        "${raw[@]}" "$@" || fail "load against $name ($*)"
}

SECONDS=0
results="$work/results.tsv"
for row in "${ROWS[@]}"; do
    read -r connections size frame <<<"$row"
    label="${connections}×$(human "$size")"
    ((frame > 0)) && label+=" in $(human "$frame") frames"
    echo "bench: $label: ${SERVERS[*]}, $ROUNDS rounds" >&2
    for name in "${SERVERS[@]}"; do start "$name"; done
    for round in $(seq "$ROUNDS"); do
        for name in "${SERVERS[@]}"; do
            line="$(load "$name" --connections "$connections" --size "$size" --frame "$frame" \
                --warmup "$WARMUP" --window "$WINDOW")"
            echo "  $name round $round: ${line#RESULT }" >&2
            printf '%s\t%s\t%s\t%s\n' "$label" "$name" "$round" "${line#RESULT }" \
                >>"$results"
        done
    done
    for name in "${SERVERS[@]}"; do stop "$name"; done
done
matrix_secs=$SECONDS

# Memory: heap and RSS per idle connection (each connection upgraded and one 20 B echo done).
memory="$work/memory.tsv"
if ((IDLE > 0)); then
    ulimit -n "$((IDLE * 2 + 1024))" 2>/dev/null || ulimit -Sn "$(ulimit -Hn)"
    ((IDLE + 512 <= $(ulimit -n))) || fail "$IDLE connections need more open files than $(ulimit -n)"
    for name in "${SERVERS[@]}"; do
        start "$name" BENCH_HEAP_FILE="$work/$name.heap"
        sleep 0.3
        line="$(load "$name" --idle --connections "$IDLE" --size 20 --heap-file "$work/$name.heap")"
        echo "  $name: ${line#RESULT }" >&2
        printf '%s\t%s\n' "$name" "${line#RESULT idle }" >>"$memory"
        stop "$name"
    done
fi

python3 - "$results" "$memory" "$ROUNDS" "$WARMUP" "$WINDOW" "${SERVERS[@]}" <<'EOF'
import statistics, sys
results, memory, rounds, warmup, window = sys.argv[1:6]
servers = sys.argv[6:]
runs = {}
order = []
for line in open(results):
    row, server, _round, fields = line.rstrip("\n").split("\t")
    values = dict(f.split("=") for f in fields.split())
    if row not in order:
        order.append(row)
    runs.setdefault((row, server), []).append(values)
peers = [s for s in ["tungstenite", "fastwebsockets", "tokio_websockets", "sockudo", "yawc"] if s in servers]
med = lambda row, server, key: statistics.median(float(v[key]) for v in runs[(row, server)])
print(f"Medians of {rounds} rounds ({warmup} s warm-up, {window} s window each). ratio msgs/s = uniws ÷ "
      "this (>1: uniws faster); ratio CPU/msg = this ÷ uniws (>1: uniws cheaper).\n")
print("| row | server | msgs/s | MiB/s | server CPU µs/msg | server CPU % | client CPU % | msgs/s ratio | CPU/msg ratio |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for row in order:
    for s in servers:
        m, us = med(row, s, "msgs_per_s"), med(row, s, "server_us_per_msg")
        um, uus = med(row, "uniws", "msgs_per_s"), med(row, "uniws", "server_us_per_msg")
        ratio = "" if s == "uniws" else f"{um / m:.2f}"
        cratio = "" if s == "uniws" else f"{us / uus:.2f}"
        print(f"| {row} | {s} | {m:,.0f} | {med(row, s, 'mib_per_s'):,.1f} | {us:.2f} | "
              f"{med(row, s, 'server_cpu_pct'):.0f} | {med(row, s, 'client_cpu_pct'):.0f} | {ratio} | {cratio} |")
print("\nTargets per row (best peer = the fastest, resp. cheapest, of tungstenite, fastwebsockets, tokio-websockets, "
      "sockudo-ws, yawc):\n")
print("| row | fastest peer | uniws msgs/s ÷ fastest peer (target ≥ 1) | cheapest peer | cheapest peer CPU/msg ÷ uniws "
      "(target ≥ 1.10) | uniws ÷ raw msgs/s |")
print("|---|---|---:|---|---:|---:|")
for row in order:
    fastest = max(peers, key=lambda p: med(row, p, "msgs_per_s"))
    cheapest = min(peers, key=lambda p: med(row, p, "server_us_per_msg"))
    u_rate, u_cpu = med(row, "uniws", "msgs_per_s"), med(row, "uniws", "server_us_per_msg")
    raw = f"{u_rate / med(row, 'raw', 'msgs_per_s'):.2f}" if "raw" in servers else "-"
    print(f"| {row} | {fastest} | {u_rate / med(row, fastest, 'msgs_per_s'):.2f} | {cheapest} | "
          f"{med(row, cheapest, 'server_us_per_msg') / u_cpu:.2f} | {raw} |")
row_1m = next((r for r in order if r == "10×1 MiB"), None)
try:
    mem = dict(line.rstrip("\n").split("\t") for line in open(memory))
except FileNotFoundError:
    mem = {}
print("\nMemory: heap (counting allocator) and RSS per idle connection, and peak RSS (VmHWM) of a "
      "fresh server after the 10×1 MiB row:\n")
print("| server | idle connections | heap B/conn | RSS B/conn | RSS with them, KiB | peak RSS 10×1 MiB, KiB |")
print("|---|---:|---:|---:|---:|---:|")
for s in servers:
    v = dict(f.split("=") for f in mem.get(s, "").split())
    hwm = max(int(x["server_hwm_kib"]) for x in runs[(row_1m, s)]) if row_1m else "-"
    print(f"| {s} | {v.get('connections', '-')} | {v.get('heap_bytes_per_conn', '-')} | "
          f"{v.get('rss_bytes_per_conn', '-')} | {v.get('server_rss_kib', '-')} | {hwm} |")
EOF
echo
echo "matrix: ${matrix_secs} s; matrix and memory: ${SECONDS} s"

if [[ "$MICRO" == 1 ]]; then
    echo
    echo "Micro-benchmarks (criterion, pinned to core $SERVER_CORE):"
    timeout 600 taskset -c "$SERVER_CORE" cargo bench --manifest-path benches/Cargo.toml --bench micro \
        2>/dev/null | awk '/^[a-z0-9_]+\/[^ ]+/ {name = $1}
            /time:|thrpt:/ && !/%/ {match($0, /(time|thrpt): +\[.*\]/); print "  " name "  " substr($0, RSTART, RLENGTH)}' || fail "micro-benchmarks"
fi
if [[ "$COUNT" == 1 ]]; then
    echo
    echo "Instructions and syscalls per message (scripts/bench-count.sh):"
    echo
    ./scripts/bench-count.sh || fail "bench-count.sh"
fi
echo "total: ${SECONDS} s"
