#!/usr/bin/env bash
# Starts or stops the example service (examples/service, binary example-service) on 127.0.0.1,
# with the same contract as gateways/run.sh.
#
#   bash examples/service/run.sh start PORT JWKS_PORT [POLICY]
#   bash examples/service/run.sh stop PORT
#
# (A leading NAME argument `example-service`, as gateways/run.sh takes, is accepted and ignored.)
# `start` builds the binary when it is missing (`cargo build -q -p example-service`), stops an
# instance still running on PORT, starts the service in the background in a session of its own
# with POLICY (default fixtures/policies/rs256.toml) and the JWK Set URL
# http://127.0.0.1:JWKS_PORT/.well-known/jwks.json (fetched on the first request that needs a key:
# the JWKS server may start later), its log and pid under target/gateways/example-service/PORT/,
# and returns once it answers HTTP on PORT (any status: 401 without a token). After 30 s it gives
# up, prints the log's tail on stderr, stops it and exits 1. `stop` stops it and returns once it
# is gone (SIGKILL after 10 s). Nothing is printed on stdout; progress goes to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

log() { printf '[examples/service/run] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { die "usage: run.sh start PORT JWKS_PORT [POLICY] | run.sh stop PORT"; }

[ "${1:-}" = "example-service" ] && shift
[ "$#" -ge 2 ] || usage
ACTION="$1" PORT="$2"
is_port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }
is_port "$PORT" || die "PORT must be a TCP port number, not '$PORT'"

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
BIN="$TARGET_DIR/debug/example-service"
DIR="$ROOT/target/gateways/example-service/$PORT"
PID_FILE="$DIR/service.pid"
LOG="$DIR/service.log"

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
group_alive() { [ -n "$1" ] && kill -0 -- "-$1" 2>/dev/null; }
gone() { ! alive "$1" && ! group_alive "$1"; }

stop_service() {
    [ -f "$PID_FILE" ] || return 0
    local pid i
    pid="$(tr -dc '0-9' <"$PID_FILE")"
    if [ -z "$pid" ] || gone "$pid"; then
        rm -f "$PID_FILE"
        return 0
    fi
    log "stopping example-service (pid $pid, port $PORT)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
        if gone "$pid"; then
            rm -f "$PID_FILE"
            return 0
        fi
        sleep 0.1
    done
    log "example-service (pid $pid) still running after 10 s: SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
        if gone "$pid"; then
            rm -f "$PID_FILE"
            return 0
        fi
        sleep 0.1
    done
    die "cannot stop example-service (pid $pid)"
}

if [ "$ACTION" = "stop" ]; then
    [ "$#" -eq 2 ] || usage
    stop_service
    log "example-service: stopped (port $PORT)"
    exit 0
fi
[ "$ACTION" = "start" ] && { [ "$#" -eq 3 ] || [ "$#" -eq 4 ]; } || usage
JWKS_PORT="$3"
POLICY="${4:-fixtures/policies/rs256.toml}"
is_port "$JWKS_PORT" || die "JWKS_PORT must be a TCP port number, not '$JWKS_PORT'"
[ -f "$POLICY" ] || die "no policy file $POLICY"
JWKS_URL="http://127.0.0.1:$JWKS_PORT/.well-known/jwks.json"

# The HTTP status a GET / on 127.0.0.1:PORT answers with (bash's /dev/tcp, no curl needed);
# fails when nothing answers HTTP within 2 s.
answers() {
    local port="$1"
    (
        exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
        printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$port" >&3
        IFS= read -r -t 2 line <&3 || exit 1
        [[ "$line" =~ ^HTTP/1\.[01]\ ([0-9]{3}) ]] || exit 1
        printf '%s' "${BASH_REMATCH[1]}"
    ) 2>/dev/null
}

stop_service
if code="$(answers "$PORT")"; then
    die "port $PORT on 127.0.0.1 is already in use (something answers HTTP $code)"
fi
if [ ! -x "$BIN" ]; then
    log "building example-service (cargo build -q -p example-service)"
    cargo build -q -p example-service >&2 || die "cargo build -p example-service failed"
fi
mkdir -p "$DIR"
rm -f "$LOG"

fail() {
    log "error: $*"
    if [ -s "$LOG" ]; then
        printf -- '--- %s (last 20 lines)\n' "$LOG" >&2
        tail -n 20 "$LOG" >&2
    fi
    stop_service
    exit 1
}

# A session of its own (setsid) and no descriptor of ours, so a caller reading this script's
# output is not held open by the service.
setsid "$BIN" --port "$PORT" --policy "$POLICY" --jwks "$JWKS_URL" >"$LOG" 2>&1 </dev/null &
echo $! >"$PID_FILE"
pid="$(cat "$PID_FILE")"

log "example-service: waiting for http://127.0.0.1:$PORT/ (policy $POLICY, JWKS $JWKS_URL)"
deadline=$((SECONDS + 30))
while :; do
    if code="$(answers "$PORT")"; then
        break
    fi
    alive "$pid" || fail "example-service exited before answering on port $PORT"
    [ "$SECONDS" -lt "$deadline" ] \
        || fail "example-service did not answer HTTP on 127.0.0.1:$PORT within 30 s"
    sleep 0.1
done
alive "$pid" || fail "example-service exited right after answering on port $PORT"
log "example-service: ready on http://127.0.0.1:$PORT/ (no token: HTTP $code; pid $pid; log $LOG)"
