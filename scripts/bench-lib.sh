# shellcheck shell=bash
# Sourced by bench.sh, bench-count.sh, bench-cores.sh and bench-deflate.sh: their messages, a
# work directory, and the bookkeeping of the echo servers they start, so that every process
# is known by its PID and stopped, also on an error or Ctrl-C. The sourcing script sets
# BENCH_NAME (the prefix of its messages) first.

fail() {
    echo "$BENCH_NAME: FAILED: $*" >&2
    exit 1
}

# human BYTES: 20 B, 1 KiB, 16 MiB.
human() {
    if (($1 >= 1048576 && $1 % 1048576 == 0)); then echo "$(($1 / 1048576)) MiB"
    elif (($1 >= 1024 && $1 % 1024 == 0)); then echo "$(($1 / 1024)) KiB"
    else echo "$1 B"; fi
}

work="$(mktemp -d)"

# shellcheck source=scripts/lib/process.sh
source scripts/lib/process.sh

# The servers started, by KEY: WRAPPERS the process started (the server itself, or the
# `timeout`, valgrind or perf it runs under), PIDS the server's own PID and PORTS its port,
# both from the readiness line `listening PORT pid PID` every bench echo server prints.
declare -A WRAPPERS=() PIDS=() PORTS=()

# launch KEY OUT COMMAND...: starts COMMAND in the background (stdout and stderr in
# OUT.output) and waits, READY_LIMIT (60) s at most, for the server's readiness line.
launch() {
    local key="$1" out="$2" port pid
    shift 2
    start_process "$key" "$out.output" "$@"
    WRAPPERS[$key]=$STARTED
    wait_ready "$key" "$STARTED" "$out.output" ||
        fail "$key did not start: $(tail -5 "$out.log" 2>/dev/null)"
    # `listening PORT pid PID`, and more words after it from some servers.
    read -r _ port _ pid _ <<<"$READY_LINE"
    # shellcheck disable=SC2034 # PORTS is for the sourcing script
    PIDS[$key]=$pid PORTS[$key]=$port
}

# stop KEY: SIGTERM to the server (cachegrind and perf then write their figures and exit),
# then, if what was started has not ended within 30 s, stop_process on that.
stop() {
    local key="$1"
    if [[ -n "${PIDS[$key]:-}" ]]; then kill -TERM "${PIDS[$key]}" 2>/dev/null || true; fi
    if [[ -n "${WRAPPERS[$key]:-}" ]]; then wait_exit "${WRAPPERS[$key]}" 30; fi
    unset "WRAPPERS[$key]" "PIDS[$key]" "PORTS[$key]"
}

# fds KEY: how many files server KEY has open.
fds() { find "/proc/${PIDS[$1]}/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# drain KEY BASE: waits (60 s at most) until server KEY has closed the connections of the load
# run that has just ended (BASE: its open files before that run), so that a count taken when
# it is stopped covers their tear-down whole.
drain() {
    for _ in $(seq 1200); do
        (($(fds "$1") <= $2)) && return
        sleep 0.05
    done
    echo "$BENCH_NAME: warning: echo server ${PIDS[$1]} still holds $(($(fds "$1") - $2)) connections" >&2
}

cleanup() {
    for key in "${!WRAPPERS[@]}"; do stop "$key"; done
    stop_all
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
