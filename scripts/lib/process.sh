# shellcheck shell=bash disable=SC2034 # STARTED, READY_LINE, EXIT_STATUS: for the sourcing script
# Sourced (bash) by every script that starts programs: test-browser.sh, autobahn.sh, load.sh
# and, through bench-lib.sh, the benchmarks. One way to start a program in the background,
# to wait until it is ready, to wait for it to end and to stop it, so that every process is
# known by the PID `start_process` recorded and only those are ever signalled, also on an
# error or Ctrl-C (`trap stop_all EXIT`). Also the `step` and `die` the scripts share.
#
# Ready means: the program printed its readiness line, a line beginning `listening ` —
# `listening on ws://ADDR` from the examples and `uniws serve`, `listening PORT pid PID` from
# the bench servers —, or, for a program we did not write (wstest), its port accepts a TCP
# connection.
#
# The functions are named start_process/stop_process rather than start/stop because the
# bench scripts define their own `start` (and bench-lib.sh its `stop KEY`).

# step TEXT: a heading in the output.
step() { printf '\n== %s\n' "$*"; }

# die TEXT: the failure, named by the script, then exit 1.
die() {
    printf '%s: %s\n' "${0##*/}" "$*" >&2
    exit 1
}

# The PIDs start_process recorded and not yet reaped, in the order started, and their names:
# all that stop_process and stop_all may signal.
STARTED_PIDS=()
declare -gA STARTED_NAMES=()
# The PID of the program start_process started last; what wait_ready and wait_exit found.
STARTED='' READY_LINE='' EXIT_STATUS=''

# Bounds that only a hang reaches, however loaded the machine: seconds for a program to get
# ready, and for one to end after SIGTERM before it gets SIGKILL.
READY_LIMIT="${READY_LIMIT:-60}"
STOP_GRACE="${STOP_GRACE:-5}"

# free_port: a TCP port of 127.0.0.1 that is free now (the kernel's pick for port 0). For
# programs whose port must be known before they start; a program of ours that can be given
# port 0 says the address it got in its readiness line instead.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_process NAME LOG COMMAND...: runs COMMAND (a program or a function) in the background
# with stdout and stderr in LOG; its PID in STARTED, recorded under NAME. LOG is emptied here,
# before the start: the background job opens it later, and a reader must not see an earlier
# run's readiness line in it.
start_process() {
    local name=$1 log=$2
    shift 2
    : >"$log"
    "$@" >"$log" 2>&1 &
    STARTED=$!
    STARTED_PIDS+=("$STARTED")
    STARTED_NAMES[$STARTED]=$name
}

# log_tail LOG: the end of a failure message about a program: the last lines of its log.
log_tail() {
    printf '%s: last lines of %s:\n' "${0##*/}" "$1" >&2
    tail -n 30 "$1" >&2 || true
}

# wait_ready NAME PID LOG [PORT]: waits until the program PID (NAME, started with its output in
# LOG) is ready — its readiness line is in LOG, then in READY_LINE; or, with PORT, 127.0.0.1:PORT
# accepts a connection. Fails (status 1), naming the program and its log, if it exits first or
# is not ready within READY_LIMIT seconds.
wait_ready() {
    local name=$1 pid=$2 log=$3 port=${4:-} tries status=0
    READY_LINE=
    for ((tries = READY_LIMIT * 10; tries > 0; tries--)); do
        if [[ -n $port ]]; then
            (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        else
            READY_LINE=$(grep -m1 '^listening ' "$log" 2>/dev/null) && return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" || status=$?
            forget_process "$pid"
            echo "${0##*/}: $name (PID $pid) exited with status $status before it was ready (log: $log)" >&2
            log_tail "$log"
            return 1
        fi
        sleep 0.1
    done
    echo "${0##*/}: $name (PID $pid) was not ready within $READY_LIMIT s (log: $log)" >&2
    log_tail "$log"
    return 1
}

# forget_process PID: PID is reaped; it is no longer ours to signal (the kernel may reuse it).
forget_process() {
    local keep=() p
    for p in "${STARTED_PIDS[@]+"${STARTED_PIDS[@]}"}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    STARTED_PIDS=("${keep[@]+"${keep[@]}"}")
    unset "STARTED_NAMES[$1]"
}

# still_running PID SECONDS: whether the program PID still runs after waiting SECONDS at most
# for it to end.
still_running() {
    local tries
    for ((tries = $2 * 10; tries > 0; tries--)); do
        kill -0 "$1" 2>/dev/null || return 1
        sleep 0.1
    done
    kill -0 "$1" 2>/dev/null
}

# stop_process PID [GRACE]: SIGTERM, GRACE seconds (STOP_GRACE) to end, then SIGKILL; reaps
# it. Only a PID start_process recorded: any other is refused (status 1).
stop_process() {
    local pid=$1 grace=${2:-$STOP_GRACE}
    if [[ -z ${STARTED_NAMES[$pid]+set} ]]; then
        echo "${0##*/}: stop_process: PID $pid was not started here; left alone" >&2
        return 1
    fi
    if kill -TERM "$pid" 2>/dev/null && still_running "$pid" "$grace"; then
        echo "${0##*/}: ${STARTED_NAMES[$pid]} (PID $pid) still running $grace s after SIGTERM; SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    forget_process "$pid"
}

# wait_exit PID LIMIT: waits LIMIT seconds at most for the program PID to end by itself, then
# reaps it; its exit status in EXIT_STATUS. One still running then is stopped (stop_process),
# and EXIT_STATUS is 124, as from `timeout`.
wait_exit() {
    local pid=$1 limit=$2
    if still_running "$pid" "$limit"; then
        echo "${0##*/}: ${STARTED_NAMES[$pid]:-a program} (PID $pid) still running after $limit s; stopping it" >&2
        stop_process "$pid"
        EXIT_STATUS=124
        return 0
    fi
    EXIT_STATUS=0
    wait "$pid" || EXIT_STATUS=$?
    forget_process "$pid"
}

# new_process_list: forgets the programs recorded so far, for a subshell that starts programs
# of its own (autobahn.sh's modes): its stop_all then stops only those, and its stop_process
# refuses its parent's.
new_process_list() {
    STARTED_PIDS=()
    STARTED_NAMES=()
}

# stop_all: stops every program still recorded, the last started first (a client before the
# server it talks to). For `trap stop_all EXIT`.
stop_all() {
    local i
    for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do stop_process "${STARTED_PIDS[i]}"; done
    STARTED_PIDS=()
}
