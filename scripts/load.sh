#!/usr/bin/env bash
# A bounded load test of the native backend: builds examples/echo_server.rs and
# examples/load.rs in release, raises the open-files limit, starts the echo server on a free
# port of 127.0.0.1, and has the load example open LOAD_CONNECTIONS (10,000) connections at
# once and exchange LOAD_MESSAGES (10) messages of LOAD_SIZE (64) bytes on each. Reads the
# server's peak RSS before stopping it (by PID, also on any exit), prints one summary line
#   load: N connections, M messages, E errors, T s, client peak RSS X MiB, server peak RSS Y MiB
# and fails if any connection, message or close failed or anything else went wrong. The run
# (server start, load, teardown) is bounded by LOAD_TIME_LIMIT seconds (600); the build, which
# is quick once dependencies are built, by LOAD_BUILD_LIMIT (900). Both bounds only catch a
# hang, however loaded the machine: the time the load took is reported, never judged (speed
# is the benchmarks' business).
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS="${LOAD_CONNECTIONS:-10000}"
MESSAGES="${LOAD_MESSAGES:-10}"
SIZE="${LOAD_SIZE:-64}"
TIME_LIMIT="${LOAD_TIME_LIMIT:-600}"
BUILD_LIMIT="${LOAD_BUILD_LIMIT:-900}"
WANTED_FILES=65536

fail() {
    echo "load: FAILED: $*" >&2
    exit 1
}

for value in "$CONNECTIONS" "$MESSAGES" "$SIZE" "$TIME_LIMIT" "$BUILD_LIMIT"; do
    [[ "$value" =~ ^[0-9]+$ ]] || fail "not a number: '$value'"
done

# Each side holds one descriptor per connection: raise the limit (children inherit it) to
# WANTED_FILES, or else as far as the hard limit allows (raising that needs CAP_SYS_RESOURCE).
needed=$((CONNECTIONS + 1024))
if ! ulimit -n "$WANTED_FILES" 2>/dev/null; then
    ulimit -Sn "$(ulimit -Hn)" || fail "cannot raise the open-files soft limit to the hard limit"
fi
files="$(ulimit -n)"
if [[ "$files" != unlimited ]] && ((files < needed)); then
    fail "$CONNECTIONS connections need $needed open files; the limit cannot be raised past \
$files (its hard limit; raising it needs CAP_SYS_RESOURCE)"
fi
echo "load: open-files limit $(ulimit -n)" >&2

# Every connection comes from 127.0.0.1: the ephemeral port range must hold them all.
read -r port_low port_high </proc/sys/net/ipv4/ip_local_port_range
ports=$((port_high - port_low + 1))
((ports >= CONNECTIONS)) || fail "$CONNECTIONS connections from one address need $CONNECTIONS \
ephemeral ports, net.ipv4.ip_local_port_range has $ports"

timeout "$BUILD_LIMIT" cargo build --release --example echo_server --example load >&2 ||
    fail "release build of the echo_server and load examples (status $?)"

SECONDS=0
deadline() { echo $((TIME_LIMIT - SECONDS)); }

work="$(mktemp -d)"
# shellcheck source=scripts/lib/process.sh
source scripts/lib/process.sh
READY_LIMIT=$TIME_LIMIT
trap 'stop_all; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# Port 0: the kernel picks a free port; the server's readiness line says the address it got.
start_process echo_server "$work/server.out" target/release/examples/echo_server 127.0.0.1:0
server_pid=$STARTED
wait_ready echo_server "$server_pid" "$work/server.out" || fail "the echo server did not start"
url=${READY_LINE#listening on }
echo "load: echo server (PID $server_pid) on $url" >&2

status=0
timeout "$(deadline)" target/release/examples/load "$url" "$CONNECTIONS" "$MESSAGES" "$SIZE" \
    >"$work/load.out" || status=$?
cat "$work/load.out" >&2
((status != 124)) || fail "the load run did not finish within the $TIME_LIMIT s limit"

kill -0 "$server_pid" 2>/dev/null || fail "the echo server died during the load"
server_kib="$(awk '/^VmHWM:/ { print $2 }' "/proc/$server_pid/status")"
stop_process "$server_pid"

result="$(grep '^load-result ' "$work/load.out" || true)"
[[ -n "$result" ]] || fail "the load example reported no result (status $status)"
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$result"; }
connections="$(field connections)"
messages="$(field messages)"
errors="$(field errors)"
elapsed="$(field elapsed)"
client_kib="$(field peak_rss_kib)"
mib() { awk -v kib="$1" 'BEGIN { printf "%.1f", kib / 1024 }'; }

echo "load: $connections connections, $messages messages, $errors errors, $elapsed s," \
    "client peak RSS $(mib "$client_kib") MiB, server peak RSS $(mib "$server_kib") MiB"

((status == 0)) || fail "the load example exited with status $status"
((errors == 0)) || fail "$errors errors"
((connections == CONNECTIONS)) || fail "$connections of $CONNECTIONS connections opened"
((messages == CONNECTIONS * MESSAGES)) || fail "$messages of $((CONNECTIONS * MESSAGES)) messages echoed"
((SECONDS <= TIME_LIMIT)) || fail "took $SECONDS s, over the $TIME_LIMIT s limit"
