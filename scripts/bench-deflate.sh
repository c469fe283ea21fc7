#!/usr/bin/env bash
# permessage-deflate figures (benches/README.md, "permessage-deflate"): JSON-like chat text
# sent compressed, as a browser would (`permessage-deflate; client_max_window_bits` offered),
# echoed by uniws (its server default, DeflateOptions::server(): no context takeover either
# way, compressors pooled per thread), yawc 0.5 (balanced preset, context takeover as offered;
# and yawc_pool: no context takeover either way with a DeflatePool, its documented setting for
# many idle connections) and Python `websockets` 17.4 (its defaults); uniws_level1 is uniws at
# compression level 1 (an experiment: the default is 6). For each row:
#  - the matrix: BENCH_ROUNDS (3) rounds interleaved across the servers, medians of msgs/s,
#    server CPU µs per message, WebSocket bytes on the wire per message each way;
#  - instructions per message (the Rust servers; cachegrind, N minus N/10 messages, as
#    bench-count.sh does);
# then memory per server: heap (counting allocator) and RSS per connection with
# BENCH_DEFLATE_IDLE (2,000) connections idle after one 16 KiB echo each, the same
# connections each holding the first half of a compressed 16 KiB message (one frame of two),
# and the peak heap per connection while 100 connections echo 16 KiB messages.
# Servers are pinned to BENCH_SERVER_CORE (0), the load generator to BENCH_LOAD_CORE (1);
# everything binds 127.0.0.1, every process is bounded by `timeout` and stopped by its PID.
#
#   ./scripts/bench-deflate.sh   # BENCH_ROUNDS=3 BENCH_WARMUP=0.5 BENCH_WINDOW=2
#                                # BENCH_DEFLATE_IDLE=2000 BENCH_DEFLATE_COUNT=1
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS="${BENCH_ROUNDS:-3}"
WARMUP="${BENCH_WARMUP:-0.5}"
WINDOW="${BENCH_WINDOW:-2}"
IDLE="${BENCH_DEFLATE_IDLE:-2000}"
COUNT="${BENCH_DEFLATE_COUNT:-1}"
SERVER_CORE="${BENCH_SERVER_CORE:-0}"
LOAD_CORE="${BENCH_LOAD_CORE:-1}"
SERVERS=(uniws yawc yawc_pool websockets uniws_level1)
RUST_SERVERS=(uniws yawc yawc_pool uniws_level1)
# connections, text bytes, messages N under cachegrind (also run with N/10 >= connections).
ROWS=(
    "100 200 10000"
    "10 1024 10000"
    "100 16384 2000"
)
if [[ -n "${BENCH_DEFLATE_ROWS:-}" ]]; then IFS=';' read -r -a ROWS <<<"$BENCH_DEFLATE_ROWS"; fi
WEBSOCKETS_VERSION=17.4
TUNABLES="glibc.cpu.x86_rep_movsb_threshold=0xffffffffffffffff:glibc.cpu.x86_rep_stosb_threshold=0xffffffffffffffff"
export CARGO_TARGET_DIR="$PWD/benches/target"
BENCH_NAME=bench-deflate
# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh

# Python websockets in the venv the interop tests use (tests/interop.rs), made if missing.
VENV="${UNIWS_CACHE:-$HOME/.cache/uniws}/py-interop"
py_ready() {
    "$VENV/bin/python" -c "import sys, websockets; sys.exit(websockets.__version__ != '$WEBSOCKETS_VERSION')" 2>/dev/null
}
if ! py_ready; then
    echo "bench-deflate: installing Python websockets==$WEBSOCKETS_VERSION in $VENV" >&2
    tmp="$VENV.tmp-$$"
    timeout 300 python3 -m venv "$tmp" || fail "python3 -m venv"
    timeout 300 "$tmp/bin/python" -m pip install --quiet --disable-pip-version-check --no-input --timeout 60 \
        "websockets==$WEBSOCKETS_VERSION" || fail "pip install websockets"
    rm -rf "$VENV"
    mv "$tmp" "$VENV"
    py_ready || fail "the venv does not import websockets $WEBSOCKETS_VERSION"
fi
command -v valgrind >/dev/null || [[ "$COUNT" != 1 ]] || fail "valgrind is missing (scripts/bench-count.sh installs it)"

echo "bench-deflate: building (release)" >&2
timeout 1200 cargo build --release --manifest-path benches/Cargo.toml --bin load --bin echo_uniws \
    --bin echo_yawc --bin echo_yawc_pool >&2 || fail "build"
library="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git status --porcelain --untracked-files=no -- src Cargo.toml 2>/dev/null)" ]]; then
    library+=" with uncommitted changes"
fi

BIN="$work/bin"
mkdir "$BIN"
cp "$CARGO_TARGET_DIR/release/load" "$CARGO_TARGET_DIR/release/echo_uniws" "$CARGO_TARGET_DIR/release/echo_yawc" \
    "$CARGO_TARGET_DIR/release/echo_yawc_pool" "$BIN/"
cp benches/echo_websockets.py "$BIN/"

# start KEY NAME [cachegrind OUT] [heap FILE]: a fresh echo server NAME on a free port,
# pinned to SERVER_CORE, recorded under KEY.
start() {
    local key="$1" name="$2" out="$work/$1.$RANDOM" wrap=() envs=() cmd=()
    shift 2
    while (($#)); do
        case "$1" in
            cachegrind) wrap=(valgrind --tool=cachegrind --cache-sim=no --fair-sched=yes
                "--cachegrind-out-file=$2" --log-file="$2.log")
                envs+=("GLIBC_TUNABLES=$TUNABLES") ;;
            heap) envs+=("BENCH_HEAP_FILE=$2") ;;
        esac
        shift 2
    done
    case "$name" in
        websockets) cmd=("$VENV/bin/python" "$BIN/echo_websockets.py") ;;
        uniws_level1) cmd=("$BIN/echo_uniws") envs+=("BENCH_DEFLATE_LEVEL=1") ;;
        *) cmd=("$BIN/echo_$name") ;;
    esac
    launch "$key" "$out" timeout 900 taskset -c "$SERVER_CORE" env "${envs[@]}" "${wrap[@]}" "${cmd[@]}"
}

load() {
    local key="$1"
    shift
    timeout 300 taskset -c "$LOAD_CORE" "$BIN/load" --port "${PORTS[$key]}" --server-pid "${PIDS[$key]}" --deflate "$@"
}

results="$work/results.tsv"
: >"$results"

SECONDS=0
# The matrix: all servers of a row started fresh, rounds interleaved across them.
for row in "${ROWS[@]}"; do
    read -r connections size _ <<<"$row"
    label="${connections}×$(human "$size")"
    echo "bench-deflate: $label: ${SERVERS[*]}" >&2
    for name in "${SERVERS[@]}"; do start "$name" "$name"; done
    for round in $(seq "$ROUNDS"); do
        for name in "${SERVERS[@]}"; do
            line="$(load "$name" --connections "$connections" --size "$size" --warmup "$WARMUP" --window "$WINDOW")" ||
                fail "load against $name ($label)"
            echo "    $name round $round: ${line#RESULT }" >&2
            printf 'matrix\t%s\t%s\t%s\n' "$label" "$name" "${line#RESULT }" >>"$results"
        done
    done
    for name in "${SERVERS[@]}"; do stop "$name"; done
done
matrix_secs=$SECONDS

# Instructions per message: a fresh server under cachegrind per run, N and N/10 messages.
if [[ "$COUNT" == 1 ]]; then
    for row in "${ROWS[@]}"; do
        read -r connections size n <<<"$row"
        label="${connections}×$(human "$size")"
        echo "bench-deflate: counting $label: ${RUST_SERVERS[*]}" >&2
        for name in "${RUST_SERVERS[@]}"; do
            files=()
            for m in $((n / 10)) "$n"; do
                out="$work/cg.$name.$size.$m"
                start cg "$name" cachegrind "$out"
                base="$(fds cg)"
                line="$(load cg --connections "$connections" --size "$size" --messages "$m")" ||
                    fail "counted load against $name ($label, $m)"
                echo "    $name $m: ${line#RESULT count }" >&2
                drain cg "$base"
                stop cg
                [[ -s "$out" ]] || fail "cachegrind wrote nothing for $name"
                files+=("$out")
            done
            printf 'count\t%s\t%s\t%s\t%s\t%s\n' "$label" "$name" "$n" "${files[@]}" >>"$results"
        done
    done
fi
count_secs=$((SECONDS - matrix_secs))

# Memory: idle connections and half messages held; peak heap while 100 connections echo 16 KiB.
for name in "${SERVERS[@]}"; do
    echo "bench-deflate: memory $name" >&2
    start mem "$name" heap "$work/heap.$name"
    line="$(load mem --connections "$IDLE" --size 16384 --hold --heap-file "$work/heap.$name")" ||
        fail "idle/hold load against $name"
    echo "    $name: ${line#RESULT }" >&2
    printf 'hold\t-\t%s\t%s\n' "$name" "${line#RESULT }" >>"$results"
    stop mem
    start mem "$name" heap "$work/heap2.$name"
    line="$(load mem --connections 100 --size 16384 --warmup 0.5 --window 1 --heap-file "$work/heap2.$name")" ||
        fail "active load against $name"
    echo "    $name: ${line#RESULT }" >&2
    printf 'active\t-\t%s\t%s\n' "$name" "${line#RESULT }" >>"$results"
    stop mem
done

python3 - "$results" "$library" "$ROUNDS" <<'EOF'
import statistics
import sys

servers = ["uniws", "yawc", "yawc_pool", "websockets", "uniws_level1"]
runs, counts, hold, active, order = {}, {}, {}, {}, []


def fields(text):
    out = {}
    for f in text.split():
        if "=" in f:
            k, v = f.split("=", 1)
            out[k] = v
    return out


def ir(path):
    for line in open(path):
        if line.startswith("summary:"):
            return int(line.split()[1])
    raise SystemExit(f"no summary line in {path}")


extensions = {}
for line in open(sys.argv[1]):
    kind, label, server, *rest = line.rstrip("\n").split("\t")
    if kind == "matrix":
        runs.setdefault((label, server), []).append(fields(rest[0]))
        if label not in order:
            order.append(label)
    elif kind == "count":
        n, small, large = int(rest[0]), rest[1], rest[2]
        counts[(label, server)] = (ir(large) - ir(small)) / (n - n // 10)
    elif kind == "hold":
        hold[server] = fields(rest[0])
        extensions[server] = rest[0].split("extensions=", 1)[1] if "extensions=" in rest[0] else "?"
    elif kind == "active":
        active[server] = fields(rest[0])


def med(label, server, key):
    return statistics.median(float(r[key]) for r in runs[(label, server)])


print(f"Library at {sys.argv[2]}. Medians of {sys.argv[3]} rounds. Bytes: WebSocket frames (headers "
      "included) per message, client to server (up) and back (down); text: the uncompressed payload. "
      "Instructions: the server's user-space instructions per message (cachegrind, N minus N/10). "
      "÷ uniws: this server ÷ uniws (> 1: uniws cheaper).\n")
print("| row | server | msgs/s | server CPU µs/msg | ÷ uniws | text B | up B/msg | down B/msg | instructions/msg | ÷ uniws |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for row in order:
    u_cpu = med(row, "uniws", "server_us_per_msg")
    u_ir = counts.get((row, "uniws"))
    for s in servers:
        if (row, s) not in runs:
            continue
        cpu = med(row, s, "server_us_per_msg")
        i = counts.get((row, s))
        ir_text = f"{i:,.0f}" if i is not None else "-"
        ir_ratio = "" if s == "uniws" or i is None or u_ir is None else f"{i / u_ir:.2f}"
        cpu_ratio = "" if s == "uniws" else f"{cpu / u_cpu:.2f}"
        print(f"| {row} | {s} | {med(row, s, 'msgs_per_s'):,.0f} | {cpu:.2f} | {cpu_ratio} | "
              f"{med(row, s, 'payload_bytes'):,.0f} | {med(row, s, 'up_bytes_per_msg'):,.1f} | "
              f"{med(row, s, 'down_bytes_per_msg'):,.1f} | {ir_text} | {ir_ratio} |")

print("\nMemory per connection (heap: counting allocator, live bytes; RSS: VmRSS), differences from "
      "before the connections opened:\n")
print("| server | extensions answered | connections | idle heap B | idle RSS B | half a 16 KiB message held: heap B | RSS B | "
      "100×16 KiB echoing: peak heap B/conn |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for s in servers:
    h, a = hold.get(s, {}), active.get(s, {})
    print(f"| {s} | `{extensions.get(s, '?')}` | {h.get('connections', '-')} | {h.get('heap_bytes_per_conn', '-')} | "
          f"{h.get('rss_bytes_per_conn', '-')} | {h.get('held_heap_bytes_per_conn', '-')} | "
          f"{h.get('held_rss_bytes_per_conn', '-')} | {a.get('peak_heap_bytes_per_conn', '-')} |")
EOF
echo
echo "bench-deflate: matrix ${matrix_secs} s, counts ${count_secs} s, total ${SECONDS} s"
