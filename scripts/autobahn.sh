#!/usr/bin/env bash
# Runs the Autobahn|Testsuite (wstest, RFC 6455 conformance) against uniws on 127.0.0.1, in
# both modes side by side, every case (12.* and 13.* are permessage-deflate; AUTOBAHN_CASES
# narrows them, as a JSON list of patterns):
#   - fuzzingclient: wstest tests the server `examples/echo_server.rs`;
#   - fuzzingserver: wstest is the server and `examples/autobahn_client.rs` the client.
# wstest (Python 2.7) is installed once, idempotently, under
# ${UNIWS_CACHE:-$HOME/.cache/uniws}/autobahn; it needs CPython 2.7.18 under pyenv (or
# PYTHON27=/path/to/python2.7). Reports go to ${AUTOBAHN_OUT:-target/autobahn}; the results
# are read strictly by scripts/autobahn_check.py, which writes autobahn-summary.txt at the
# repo root and fails the script if any case fails or any selected case did not run.
#
# Environment: UNIWS_CACHE, AUTOBAHN_OUT, PYTHON27, AUTOBAHN_AGENT (default uniws),
# AUTOBAHN_MODES ("server client" by default; either one alone runs one mode),
# AUTOBAHN_TIMEOUT (seconds each mode may take, default 1800).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

export UNIWS_CACHE="${UNIWS_CACHE:-$HOME/.cache/uniws}"
CACHE="$UNIWS_CACHE/autobahn"
OUT="${AUTOBAHN_OUT:-$ROOT/target/autobahn}"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
AGENT="${AUTOBAHN_AGENT:-uniws}"
MODES="${AUTOBAHN_MODES:-server client}"
MODE_TIMEOUT="${AUTOBAHN_TIMEOUT:-1800}"
# A JSON list of case patterns; every case by default.
CASES="${AUTOBAHN_CASES:-[\"*\"]}"
WSTEST_VERSION=25.10.1
VIRTUALENV_VERSION=20.21.1

# shellcheck source=scripts/lib/process.sh
source scripts/lib/process.sh

# Everything pip, virtualenv and Python write goes into the cache folder, not $HOME.
export PIP_CACHE_DIR="$CACHE/pip-cache"
export VIRTUALENV_OVERRIDE_APP_DATA="$CACHE/virtualenv-app-data"
export PYTHON_EGG_CACHE="$CACHE/python-eggs"
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_NO_INPUT=1

# Processes started here (scripts/lib/process.sh), stopped by PID on every exit.
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------
find_python27() {
    if [[ -n ${PYTHON27:-} ]]; then
        echo "$PYTHON27"
        return
    fi
    local root
    root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
    echo "$root/versions/2.7.18/bin/python2.7"
}

WSTEST_PY="$CACHE/py27/bin/python"
MARKER="$CACHE/.installed-autobahntestsuite-$WSTEST_VERSION"

install_wstest() {
    if [[ -f $MARKER ]] && "$WSTEST_PY" -c 'import autobahntestsuite.wstest' 2>/dev/null; then
        echo "wstest $WSTEST_VERSION already installed in $CACHE"
        return
    fi
    local py27
    py27=$(find_python27)
    if [[ ! -x $py27 ]] || ! "$py27" -c 'import sys; assert sys.version_info[:2] == (2, 7)' 2>/dev/null; then
        die "Python 2.7 not found at $py27: wstest (Autobahn|Testsuite) needs CPython 2.7.18
(pyenv's versions/2.7.18, which cannot be downloaded here). Set PYTHON27=/path/to/python2.7."
    fi
    command -v python3 >/dev/null || die "python3 not found (needed for virtualenv and the checker)"
    local started=$SECONDS
    echo "installing wstest $WSTEST_VERSION into $CACHE (Python 2.7: $py27)"
    rm -f "$MARKER"
    rm -rf "$CACHE/venv3" "$CACHE/py27"
    mkdir -p "$CACHE" "$PIP_CACHE_DIR" "$VIRTUALENV_OVERRIDE_APP_DATA" "$PYTHON_EGG_CACHE"
    python3 -m venv "$CACHE/venv3"
    "$CACHE/venv3/bin/python" -m pip install --quiet "virtualenv==$VIRTUALENV_VERSION"
    "$CACHE/venv3/bin/python" -m virtualenv --quiet -p "$py27" "$CACHE/py27"
    cat >"$CACHE/constraints.txt" <<'EOF'
attrs==21.4.0
autobahn==0.10.9
Automat==22.10.0
cffi==1.15.1
constantly==15.1.0
cryptography==3.3.2
enum34==1.1.10
hyperlink==21.0.0
idna==2.10
incremental==16.10.1
ipaddress==1.0.23
Jinja2==2.11.3
klein==17.10.0
linecache2==1.0.0
MarkupSafe==1.1.1
pyasn1==0.5.1
pyasn1-modules==0.3.0
pycparser==2.21
PyHamcrest==1.10.1
pyOpenSSL==19.1.0
service-identity==18.1.0
six==1.16.0
traceback2==1.4.0
Twisted==19.10.0
txaio==2.1.0
typing==3.10.0.0
ujson==2.0.3
unittest2==1.1.0
Werkzeug==1.0.1
wsaccel==0.6.6
zope.interface==4.6.0
EOF
    "$CACHE/py27/bin/python" -m pip install --quiet -c "$CACHE/constraints.txt" \
        "autobahntestsuite==$WSTEST_VERSION"
    "$WSTEST_PY" -c 'import autobahntestsuite.wstest' || die "wstest does not import after install"
    touch "$MARKER"
    echo "installed wstest in $((SECONDS - started)) s"
}

# wstest binds every interface by default: this launcher makes an empty interface mean
# 127.0.0.1 for every listening socket, then runs wstest.
write_launcher() {
    cat >"$CACHE/wstest_loopback.py" <<'EOF'
# wstest restricted to the loopback interface (written by uniws scripts/autobahn.sh).
import sys

from twisted.internet import posixbase

_listen_tcp = posixbase.PosixReactorBase.listenTCP
_listen_ssl = posixbase.PosixReactorBase.listenSSL


def listenTCP(self, port, factory, backlog=50, interface=''):
    return _listen_tcp(self, port, factory, backlog, interface or '127.0.0.1')


def listenSSL(self, port, factory, contextFactory, backlog=50, interface=''):
    return _listen_ssl(self, port, factory, contextFactory, backlog, interface or '127.0.0.1')


posixbase.PosixReactorBase.listenTCP = listenTCP
posixbase.PosixReactorBase.listenSSL = listenSSL

from autobahntestsuite import wstest  # noqa: E402

sys.argv[0] = 'wstest'
wstest.run()
EOF
}

# ---------------------------------------------------------------------------------------
step "wstest (Autobahn|Testsuite $WSTEST_VERSION)"
install_wstest
write_launcher

# The cases both modes run, as wstest's own selection gives them: the checker fails on any of
# them missing from a report, so a case whose connection never reached wstest is not a pass.
EXPECTED="$OUT/expected-cases.txt"
cat >"$OUT/selection.json" <<EOF
{"cases": $CASES, "exclude-cases": []}
EOF
"$WSTEST_PY" - "$OUT/selection.json" >"$EXPECTED" <<'EOF' || die "wstest could not list its cases"
import json
import sys

from autobahntestsuite.case import CaseBasename, CaseCategories, Cases, CaseSetname, CaseSubCategories
from autobahntestsuite.caseset import CaseSet

spec = json.load(open(sys.argv[1]))
for case in CaseSet(CaseSetname, CaseBasename, Cases, CaseCategories, CaseSubCategories).parseSpecCases(spec):
    print(case)
EOF
echo "the selection holds $(wc -l <"$EXPECTED") cases ($EXPECTED)"

step "cargo build --release --examples"
cargo build --release --examples
ECHO_BIN="$ROOT/target/release/examples/echo_server"
CLIENT_BIN="$ROOT/target/release/examples/autobahn_client"
[[ -x $ECHO_BIN && -x $CLIENT_BIN ]] || die "examples echo_server and autobahn_client were not built"

# start_wstest NAME LOG ARGS...: wstest in the background, its PID in STARTED (the Python
# process itself: `env -C` execs it). It runs from the output folder, so anything it writes
# stays there.
start_wstest() {
    local name=$1 log=$2
    shift 2
    start_process "$name" "$log" env -C "$OUT" "$WSTEST_PY" "$CACHE/wstest_loopback.py" "$@"
}

CHECK_ARGS=()

run_server_mode() {
    step "fuzzingclient: wstest tests examples/echo_server"
    local port dir="$OUT/reports/servers" log="$OUT/echo_server.log" started=$SECONDS
    port=${AUTOBAHN_SERVER_PORT:-$(free_port)}
    rm -rf "$dir"
    cat >"$OUT/fuzzingclient.json" <<EOF
{
  "outdir": "$dir",
  "servers": [{"agent": "$AGENT", "url": "ws://127.0.0.1:$port"}],
  "cases": $CASES,
  "exclude-cases": [],
  "exclude-agent-cases": {}
}
EOF
    start_process echo_server "$log" "$ECHO_BIN" "127.0.0.1:$port"
    local server=$STARTED
    wait_ready echo_server "$server" "$log" || exit 1
    echo "echo_server (PID $server) on ws://127.0.0.1:$port; wstest log: $OUT/fuzzingclient.log"

    start_wstest "wstest fuzzingclient" "$OUT/fuzzingclient.log" -m fuzzingclient -s "$OUT/fuzzingclient.json"
    local tester=$STARTED
    wait_exit "$tester" "$MODE_TIMEOUT"
    local status=$EXIT_STATUS
    kill -0 "$server" 2>/dev/null || echo "autobahn.sh: echo_server exited during the run (log: $log)" >&2
    stop_process "$server"
    ((status == 0)) || {
        tail -n 30 "$OUT/fuzzingclient.log" >&2 || true
        die "wstest fuzzingclient failed (status $status)"
    }
    echo "fuzzingclient (uniws server): $((SECONDS - started)) s"
}

run_client_mode() {
    step "fuzzingserver: wstest tests examples/autobahn_client"
    local port dir="$OUT/reports/clients" log="$OUT/fuzzingserver.log" started=$SECONDS
    port=${AUTOBAHN_CLIENT_PORT:-$(free_port)}
    rm -rf "$dir"
    cat >"$OUT/fuzzingserver.json" <<EOF
{
  "url": "ws://127.0.0.1:$port",
  "outdir": "$dir",
  "cases": $CASES,
  "exclude-cases": [],
  "exclude-agent-cases": {}
}
EOF
    # -u 0: no embedded web server.
    start_wstest "wstest fuzzingserver" "$log" -m fuzzingserver -s "$OUT/fuzzingserver.json" -u 0
    local tester=$STARTED
    # wstest prints no readiness line of ours: ready is its port accepting a connection.
    wait_ready "wstest fuzzingserver" "$tester" "$log" "$port" || exit 1
    echo "wstest fuzzingserver (PID $tester) on ws://127.0.0.1:$port; client log: $OUT/autobahn_client.log"

    start_process autobahn_client "$OUT/autobahn_client.log" "$CLIENT_BIN" "ws://127.0.0.1:$port" "$AGENT"
    local client=$STARTED
    wait_exit "$client" "$MODE_TIMEOUT"
    local client_status=$EXIT_STATUS
    # updateReports with shutdownOnComplete makes wstest exit once the reports are written.
    wait_exit "$tester" 60
    local status=$EXIT_STATUS
    ((client_status == 0)) || {
        tail -n 30 "$OUT/autobahn_client.log" >&2 || true
        die "autobahn_client failed (status $client_status)"
    }
    ((status == 0)) || {
        tail -n 30 "$log" >&2 || true
        die "wstest fuzzingserver did not finish cleanly (status $status)"
    }
    echo "fuzzingserver (uniws client): $((SECONDS - started)) s"
}

# The modes run side by side, each in a subshell that stops its own processes on exit: wstest
# is single-threaded Python and the slower party, so two of them use the two cores.
run_mode() {
    new_process_list # its own: the other mode's subshell is not for it to stop
    trap stop_all EXIT
    trap 'exit 143' TERM INT
    "run_${1}_mode"
}
MODE_PIDS=()
for mode in $MODES; do
    case $mode in
        server | client) ;;
        *) die "unknown mode $mode in AUTOBAHN_MODES (server, client)" ;;
    esac
    start_process "$mode mode" "$OUT/$mode-mode.log" run_mode "$mode"
    MODE_PIDS+=("$STARTED")
done
FAILED_MODES=0
for pid in "${MODE_PIDS[@]}"; do
    wait "$pid" || FAILED_MODES=$((FAILED_MODES + 1))
    forget_process "$pid"
done
for mode in $MODES; do
    cat "$OUT/$mode-mode.log"
    case $mode in
        server) CHECK_ARGS+=("fuzzingclient (uniws server, examples/echo_server)=$OUT/reports/servers/index.json") ;;
        client) CHECK_ARGS+=("fuzzingserver (uniws client, examples/autobahn_client)=$OUT/reports/clients/index.json") ;;
    esac
done
((FAILED_MODES == 0)) || die "$FAILED_MODES mode(s) failed (logs above)"

step "results (strict: OK or INFORMATIONAL in behavior and behaviorClose)"
python3 scripts/autobahn_check.py --expected-cases "$EXPECTED" --summary "$ROOT/autobahn-summary.txt" \
    --agent "$AGENT" "${CHECK_ARGS[@]}"
