#!/usr/bin/env bash
# Machine-independent figures for the echo servers of benches/ (benches/README.md,
# "Instructions and syscalls per message"): for each row of the matrix and each server
# (uniws's own: whole messages, and each `recv` back through `send` — `uniws_recv`; uniws
# behind axum — `uniws_axum`, whose ratio to uniws is what axum costs; the peers —
# tokio-tungstenite, fastwebsockets, tokio-websockets, sockudo-ws, yawc — and raw TCP;
# BENCH_SERVERS picks some),
#  - user-space instructions per echoed message: the server runs under cachegrind
#    (valgrind --tool=cachegrind --cache-sim=no --fair-sched=yes, glibc's `rep movsb`/`rep
#    stosb` paths turned off so a large memcpy/memset counts as its vector loop, not one
#    instruction per byte) while the load generator echoes a fixed number of messages
#    (`load --messages`), once with N and once with N/10 messages, each against a fresh
#    server; instructions/msg = (Ir(N) - Ir(N/10)) / (N - N/10), so start-up, connection
#    set-up and tear-down cancel out;
#  - syscalls per message, the same way at normal speed, the server running under
#    `perf stat` with the syscall tracepoints (raw_syscalls:sys_enter for the total, and the
#    syscalls:sys_enter_* of the calls an echo server makes for the breakdown).
# Prints one markdown table (row x server), best peer / uniws per row, and the spread of
# the rows measured twice (BENCH_COUNT_REPEAT). The binaries are built (release) and copied
# first, so a build running meanwhile cannot change them halfway. Servers are pinned to
# BENCH_SERVER_CORE (0), the load generator to BENCH_LOAD_CORE (1); everything binds
# 127.0.0.1, every process is bounded by `timeout` and stopped by its PID, also on any exit.
# Installs valgrind and Debian's linux-perf with apt-get when they are missing. Needs root
# for the tracepoints (or kernel.perf_event_paranoid = -1 and a readable tracefs).
#
#   ./scripts/bench-count.sh   # BENCH_COUNT_REPEAT="100 20 0;1 16777216 1048576" (rows measured
#                              # twice; empty: none), BENCH_COUNT_ROWS (below)
set -euo pipefail
cd "$(dirname "$0")/.."

SERVER_CORE="${BENCH_SERVER_CORE:-0}"
LOAD_CORE="${BENCH_LOAD_CORE:-1}"
REPEAT="${BENCH_COUNT_REPEAT-100 20 0;1 16777216 1048576}"
# BENCH_SERVERS="uniws uniws_axum" measures those only.
read -r -a SERVERS <<<"${BENCH_SERVERS:-uniws uniws_recv uniws_axum tungstenite fastwebsockets tokio_websockets sockudo yawc raw}"
# connections, payload bytes, frame bytes (0: one frame per message), messages N under
# cachegrind, messages N under perf (each also run with N/10; N/10 >= connections).
# BENCH_COUNT_ROWS="100 20 0 20000 100000;10 1024 0 20000 100000" replaces them.
ROWS=(
    "1 20 0 5000 10000"
    "100 20 0 20000 100000"
    "10 1024 0 20000 100000"
    "100 16384 0 20000 50000"
    "10 1048576 0 500 1000"
    "1 16777216 1048576 30 50"
)
if [[ -n "${BENCH_COUNT_ROWS:-}" ]]; then IFS=';' read -r -a ROWS <<<"$BENCH_COUNT_ROWS"; fi
# Servers counted with more messages under cachegrind, N times the row's. sockudo-ws
# calibrates its clock (quanta) at start-up in a busy loop bounded by wall time, 200 ms: under
# valgrind millions of instructions, more or fewer with the machine's load (three start-ups:
# 14.8, 19.8 and 20.9 million; two runs of 50,000 echoes differed by 3.5 million, all of it
# in the calibration), which N minus N/10 does not cancel. 10 times the messages dilute it:
# two such runs of 100×20 B differed by 0.4 and 0.8 %, of 1×20 B (fewest instructions per
# message) by 2.2 and 10.5 %.
declare -A CG_SCALE=([sockudo]=10)
# The syscalls broken down (those that exist on this kernel); the rest is counted as "other".
BREAKDOWN=(read write readv writev recvfrom sendto recvmsg sendmsg epoll_wait epoll_pwait
    epoll_pwait2 epoll_ctl accept4 shutdown close futex sched_yield mmap munmap mremap madvise
    brk getsockopt setsockopt ioctl)
TUNABLES="glibc.cpu.x86_rep_movsb_threshold=0xffffffffffffffff:glibc.cpu.x86_rep_stosb_threshold=0xffffffffffffffff"

export CARGO_TARGET_DIR="$PWD/benches/target"
BENCH_NAME=bench-count
# shellcheck source=scripts/bench-lib.sh
source scripts/bench-lib.sh

# Tools: valgrind and perf from Debian's packages when missing (installed once).
updated=0
install() {
    command -v apt-get >/dev/null || fail "$1 is missing and there is no apt-get to install $2"
    echo "bench-count: installing $2" >&2
    if ((updated == 0)); then
        timeout 600 apt-get update -qq >&2 || fail "apt-get update"
        updated=1
    fi
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq "$2" >&2 || fail "apt-get install $2"
}
command -v valgrind >/dev/null || install valgrind valgrind
perf version >/dev/null 2>&1 || install perf linux-perf
perf stat -x, -o /dev/null -e raw_syscalls:sys_enter -- true 2>/dev/null ||
    fail "perf cannot count the syscall tracepoints: run as root (or set kernel.perf_event_paranoid=-1 and make tracefs readable)"
known="$(perf list --raw-dump tracepoint 2>/dev/null | tr ' ' '\n')"
EVENTS="raw_syscalls:sys_enter"
for call in "${BREAKDOWN[@]}"; do
    if grep -qx "syscalls:sys_enter_$call" <<<"$known"; then EVENTS+=",syscalls:sys_enter_$call"; fi
done

echo "bench-count: building (release)" >&2
timeout 1200 cargo build --release --manifest-path benches/Cargo.toml --bins >&2 || fail "build"
library="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git status --porcelain --untracked-files=no -- src Cargo.toml 2>/dev/null)" ]]; then
    library+=" with uncommitted changes"
fi

# A copy of the binaries, so a build running meanwhile (same target directory) cannot swap
# them between the runs that are subtracted from each other.
BIN="$work/bin"
mkdir "$BIN"
cp "$CARGO_TARGET_DIR/release/load" "${SERVERS[@]/#/$CARGO_TARGET_DIR/release/echo_}" "$BIN/"
# start NAME TOOL OUT: a fresh echo_NAME on a free port of 127.0.0.1 under TOOL (cachegrind
# or perf), pinned to SERVER_CORE, recorded under NAME; sets BASE_FDS.
start() {
    local name="$1" tool="$2" out="$3" wrap=()
    case "$tool" in
        cachegrind) wrap=(env "GLIBC_TUNABLES=$TUNABLES" valgrind --tool=cachegrind --cache-sim=no --fair-sched=yes
            "--cachegrind-out-file=$out" --log-file="$out.log") ;;
        perf) wrap=(perf stat -x ',' -o "$out" -e "$EVENTS" --) ;;
    esac
    launch "$name" "$out" timeout 600 taskset -c "$SERVER_CORE" "${wrap[@]}" "$BIN/echo_$name"
    BASE_FDS="$(fds "$name")"
}

# measure NAME TOOL CONNECTIONS SIZE FRAME MESSAGES: one fixed-count run against a fresh
# server; appends the file with the figures (cachegrind's out file or perf's CSV) to FILES.
measure() {
    local name="$1" tool="$2" connections="$3" size="$4" frame="$5" messages="$6"
    local out="$work/$name.$tool.$connections.$size.$messages.$RANDOM" raw=() line
    [[ "$name" == raw ]] && raw=(--raw)
    start "$name" "$tool" "$out"
    line="$(timeout 300 taskset -c "$LOAD_CORE" "$BIN/load" --port "${PORTS[$name]}" --server-pid "${PIDS[$name]}" "${raw[@]}" \
        --connections "$connections" --size "$size" --frame "$frame" --messages "$messages")" ||
        fail "load against $name under $tool ($connections x $size, $messages messages)"
    echo "    $name $tool $messages: ${line#RESULT count }" >&2
    # Stopped once it has closed the connections: the tear-down is counted whole.
    drain "$name" "$BASE_FDS"
    stop "$name"
    [[ -s "$out" ]] || fail "$tool wrote no figures for $name ($out)"
    FILES+=("$out")
}

# run ROW TAG: both figures of one row for every server, appended to results.tsv as
# label, tag, server, N, cachegrind(N/10), cachegrind(N), perf(N/10), perf(N).
results="$work/results.tsv"
run() {
    local connections size frame n_cg n_perf label name n n_server
    read -r connections size frame n_cg n_perf <<<"$1"
    ((n_cg / 10 >= connections && n_perf / 10 >= connections)) || fail "row $1: N/10 < connections"
    label="${connections}×$(human "$size")"
    ((frame > 0)) && label+=" in $(human "$frame") frames"
    echo "bench-count: $label ($2): ${SERVERS[*]}" >&2
    for name in "${SERVERS[@]}"; do
        FILES=()
        n_server=$((n_cg * ${CG_SCALE[$name]:-1}))
        for n in $((n_server / 10)) "$n_server"; do measure "$name" cachegrind "$connections" "$size" "$frame" "$n"; done
        for n in $((n_perf / 10)) "$n_perf"; do measure "$name" perf "$connections" "$size" "$frame" "$n"; done
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$2" "$name" "$n_server" "$n_perf" "${FILES[@]}" >>"$results"
    done
}

SECONDS=0
for row in "${ROWS[@]}"; do run "$row" main; done
IFS=';' read -r -a repeats <<<"$REPEAT"
for again in "${repeats[@]}"; do
    for row in "${ROWS[@]}"; do
        if [[ "$row" == "$again "* ]]; then run "$row" repeat; fi
    done
done

python3 - "$results" "$library" <<'EOF'
import sys

ALL = ["uniws", "uniws_recv", "uniws_axum", "tungstenite", "fastwebsockets", "tokio_websockets", "sockudo", "yawc", "raw"]
PEERS = ["tungstenite", "fastwebsockets", "tokio_websockets", "sockudo", "yawc"]


def ir(path):
    for line in open(path):
        if line.startswith("summary:"):
            return int(line.split()[1])
    raise SystemExit(f"no summary line in {path}")


def syscalls(path):
    counts = {}
    for line in open(path):
        fields = line.strip().split(",")
        if len(fields) > 2 and not line.startswith("#"):
            counts[fields[2]] = int(fields[0]) if fields[0].isdigit() else 0
    return counts


figures, order = {}, []
for line in open(sys.argv[1]):
    label, tag, server, n_cg, n_perf, cg1, cg2, perf1, perf2 = line.rstrip("\n").split("\t")
    n_cg, n_perf = int(n_cg), int(n_perf)
    per_cg = n_cg - n_cg // 10
    per_perf = n_perf - n_perf // 10
    s1, s2 = syscalls(perf1), syscalls(perf2)
    diff = {k: (s2.get(k, 0) - s1.get(k, 0)) / per_perf for k in s2}
    total = diff.pop("raw_syscalls:sys_enter")
    parts = {k.removeprefix("syscalls:sys_enter_"): v for k, v in diff.items()}
    parts["other"] = total - sum(parts.values())
    figures[(label, tag, server)] = ((ir(cg2) - ir(cg1)) / per_cg, total, parts, n_cg, n_perf)
    if label not in order:
        order.append(label)

# BENCH_SERVERS may have measured some of them only.
measured = {server for (_, _, server) in figures}
# Others (an older build copied in as echo_uniws_before, say) come last, by name.
servers = [s for s in ALL if s in measured] + sorted(measured - set(ALL))
peers = [s for s in PEERS if s in measured]

print(f"Library at {sys.argv[2]}. Instructions: user-space instructions the server executes per echoed message "
      "(cachegrind Ir, N minus N/10 messages). Syscalls: syscalls the server makes per "
      "message (perf, raw_syscalls:sys_enter, N minus N/10). ÷ uniws: this server ÷ uniws "
      "(> 1: uniws cheaper).\n")
print("| row | server | N (instr.) | instructions/msg | ÷ uniws | N (syscalls) | syscalls/msg | ÷ uniws | syscalls/msg by call |")
print("|---|---|---:|---:|---:|---:|---:|---:|---|")
for row in order:
    u = figures[(row, "main", "uniws")]
    for s in servers:
        i, t, parts, n_cg, n_perf = figures[(row, "main", s)]
        top = sorted(((v, k) for k, v in parts.items() if k != "other" and v >= 0.005), reverse=True)
        breakdown = ", ".join(f"{k} {v:.2f}" for v, k in top[:5])
        if abs(parts["other"]) >= 0.005:
            breakdown += f", other {parts['other']:.2f}"
        ri = "" if s == "uniws" else f"{i / u[0]:.2f}"
        rs = "" if s == "uniws" else f"{t / u[1]:.2f}"
        print(f"| {row} | {s} | {n_cg:,} | {i:,.0f} | {ri} | {n_perf:,} | {t:.2f} | {rs} | {breakdown} |")

# The comparison with the peers (and raw TCP), when they were measured.
if peers:
    print(f"\nBest peer (the cheapest in that row of the peers measured: {', '.join(peers)}) ÷ uniws "
          "(> 1: uniws cheaper):\n")
    print("| row | fewest instructions | instructions/msg: best peer ÷ uniws | fewest syscalls | "
          "syscalls/msg: best peer ÷ uniws | uniws ÷ raw instructions/msg |")
    print("|---|---|---:|---|---:|---:|")
    for row in order:
        u = figures[(row, "main", "uniws")]
        best_i = min(peers, key=lambda p: figures[(row, "main", p)][0])
        best_t = min(peers, key=lambda p: figures[(row, "main", p)][1])
        raw = f"{u[0] / figures[(row, 'main', 'raw')][0]:.2f}" if "raw" in measured else "-"
        print(f"| {row} | {best_i} | {figures[(row, 'main', best_i)][0] / u[0]:.2f} | {best_t} | "
              f"{figures[(row, 'main', best_t)][1] / u[1]:.2f} | {raw} |")

repeats = [k for k in figures if k[1] == "repeat"]
if repeats:
    print("\nRepeatability: the same row measured a second time, each against fresh servers:\n")
    print("| row | server | instructions/msg, run 1 | run 2 | difference | syscalls/msg, run 1 | run 2 | difference |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for row, _, s in repeats:
        a, b = figures[(row, "main", s)], figures[(row, "repeat", s)]
        print(f"| {row} | {s} | {a[0]:,.0f} | {b[0]:,.0f} | {(b[0] - a[0]) / a[0] * 100:+.1f} % | "
              f"{a[1]:.2f} | {b[1]:.2f} | {(b[1] - a[1]) / a[1] * 100:+.1f} % |")
EOF
echo
echo "bench-count: ${SECONDS} s"
