#!/usr/bin/env bash
# Starts or stops one real gateway (and its upstream echo server) on 127.0.0.1.
#
#   bash gateways/run.sh NAME start PORT JWKS_PORT UPSTREAM_PORT
#   bash gateways/run.sh NAME stop PORT
#
# NAME is one of: envoy haproxy haproxy-naive apache-oauth2 apache-openidc (install them first with
# `bash gateways/setup.sh`; haproxy-naive is HAProxy with the deliberately unsafe tutorial config). `start` renders gateways/NAME/*.tmpl into target/gateways/NAME/PORT/
# (placeholders {{PORT}} {{JWKS_PORT}} {{UPSTREAM_PORT}} {{DIR}} {{USER}} {{GROUP}}, plus per
# gateway ones), checks the config with the gateway's own checker, starts gateways/echo.py on
# UPSTREAM_PORT and the gateway on PORT in the background, and returns once the gateway answers
# HTTP on PORT (any status); after 30 s it gives up, prints the logs' tails on stderr, stops what
# it started and exits 1. The JWK Set is served by the caller at
# http://127.0.0.1:JWKS_PORT/.well-known/jwks.json: Envoy and the Apache modules fetch it at run
# time; HAProxy, which reads PEM files only, gets one per key derived from it at start.
# `stop` stops both (their pid files under target/gateways/NAME/PORT/) and returns when every
# process of theirs is gone. Nothing is printed on stdout; progress goes to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[gateways/run] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() {
    die "usage: run.sh NAME start PORT JWKS_PORT UPSTREAM_PORT | run.sh NAME stop PORT (NAME: envoy haproxy haproxy-naive apache-oauth2 apache-openidc)"
}

[ "$#" -ge 3 ] || usage
NAME="$1" ACTION="$2" PORT="$3"
case "$NAME" in envoy | haproxy | haproxy-naive | apache-oauth2 | apache-openidc) ;; *) usage ;; esac
is_port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }
is_port "$PORT" || die "PORT must be a TCP port number, not '$PORT'"

DIR="$ROOT/target/gateways/$NAME/$PORT"
GW_PID="$DIR/gateway.pid"
UP_PID="$DIR/upstream.pid"
ENVOY="$ROOT/target/gateways/venv/bin/envoy"
APACHE="${APACHE2:-/usr/sbin/apache2}"
HAPROXY="${HAPROXY:-/usr/sbin/haproxy}"
PY="${PYTHON:-python3}"

# --- stopping -----------------------------------------------------------------------------------

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
# A process group (the gateway's or the echo's: each runs in a session of its own, and Apache's
# children stay in their parent's group) still has members.
group_alive() { [ -n "$1" ] && kill -0 -- "-$1" 2>/dev/null; }

stop_pidfile() { # pidfile, label
    local file="$1" label="$2" pid
    [ -f "$file" ] || return 0
    pid="$(tr -dc '0-9' <"$file")"
    if [ -z "$pid" ] || ! { alive "$pid" || group_alive "$pid"; }; then
        rm -f "$file"
        return 0
    fi
    log "$NAME: stopping $label (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 100); do
        if ! alive "$pid" && ! group_alive "$pid"; then
            rm -f "$file"
            return 0
        fi
        sleep 0.1
    done
    log "$NAME: $label (pid $pid) still running after 10 s: SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
        if ! alive "$pid" && ! group_alive "$pid"; then
            rm -f "$file"
            return 0
        fi
        sleep 0.1
    done
    die "$NAME: cannot stop $label (pid $pid)"
}

stop_all() {
    stop_pidfile "$GW_PID" "$NAME"
    stop_pidfile "$UP_PID" "upstream echo"
}

if [ "$ACTION" = "stop" ]; then
    [ "$#" -eq 3 ] || usage
    stop_all
    log "$NAME: stopped (port $PORT)"
    exit 0
fi
[ "$ACTION" = "start" ] && [ "$#" -eq 5 ] || usage
JWKS_PORT="$4" UPSTREAM_PORT="$5"
is_port "$JWKS_PORT" || die "JWKS_PORT must be a TCP port number, not '$JWKS_PORT'"
is_port "$UPSTREAM_PORT" || die "UPSTREAM_PORT must be a TCP port number, not '$UPSTREAM_PORT'"
JWKS_URL="http://127.0.0.1:$JWKS_PORT/.well-known/jwks.json"

# --- rendering ----------------------------------------------------------------------------------

# A previous instance on this port (a crashed run) goes first; then both ports must be free, or the
# readiness poll below would be answered by whatever holds them.
stop_all
port_free() {
    "$PY" -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is no use
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}
port_free "$PORT" || die "$NAME: port $PORT on 127.0.0.1 is already in use"
port_free "$UPSTREAM_PORT" || die "$NAME: upstream port $UPSTREAM_PORT on 127.0.0.1 is already in use"
mkdir -p "$DIR"
rm -f "$DIR"/*.log

if [ "$(id -u)" -eq 0 ]; then
    RUN_USER=www-data RUN_GROUP=www-data
else
    RUN_USER="$(id -un)" RUN_GROUP="$(id -gn)"
fi
export PORT JWKS_PORT UPSTREAM_PORT DIR RUN_USER RUN_GROUP

# Renders every gateways/NAME/*.tmpl into DIR; extra placeholders come as NAME=VALUE arguments.
render() {
    "$PY" - "gateways/$NAME" "$DIR" "$@" <<'PYEOF'
import glob, os, re, sys
src, out, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
values = {
    "PORT": os.environ["PORT"], "JWKS_PORT": os.environ["JWKS_PORT"],
    "UPSTREAM_PORT": os.environ["UPSTREAM_PORT"], "DIR": os.environ["DIR"],
    "USER": os.environ["RUN_USER"], "GROUP": os.environ["RUN_GROUP"],
}
for item in extra:
    key, _, value = item.partition("=")
    values[key] = value
templates = sorted(glob.glob(os.path.join(src, "*.tmpl")))
if not templates:
    sys.exit(f"no templates in {src}")
for path in templates:
    with open(path) as f:
        text = f.read()
    def sub(m):
        if m.group(1) not in values:
            sys.exit(f"{path}: unknown placeholder {{{{{m.group(1)}}}}}")
        return values[m.group(1)]
    text = re.sub(r"\{\{([A-Z_]+)\}\}", sub, text)
    with open(os.path.join(out, os.path.basename(path)[: -len(".tmpl")]), "w") as f:
        f.write(text)
PYEOF
}

# HAProxy reads PEM public keys, not a JWK Set: derive one PEM per RSA key of the served JWK Set
# and the rules that pick it by kid (gateways/haproxy/keys.py).
case "$NAME" in
    envoy)
        [ -x "$ENVOY" ] || die "envoy: $ENVOY missing: run bash gateways/setup.sh envoy"
        render
        "$ENVOY" --mode validate -c "$DIR/envoy.yaml" --log-level error >"$DIR/check.log" 2>&1 \
            || { tail -n 20 "$DIR/check.log" >&2; die "envoy: $DIR/envoy.yaml does not validate"; }
        ;;
    haproxy | haproxy-naive)
        [ -x "$HAPROXY" ] || die "$NAME: $HAPROXY missing: run bash gateways/setup.sh haproxy"
        "$PY" gateways/haproxy/keys.py "$JWKS_URL" "$DIR" >"$DIR/key-rules.cfg" \
            || die "$NAME: cannot derive PEM keys from $JWKS_URL"
        # The naive config verifies with the token's own alg (deliberately unsafe, a regression target).
        if [ "$NAME" = haproxy-naive ]; then
            sed -i 's/jwt_verify("RS256",/jwt_verify(txn.alg,/' "$DIR/key-rules.cfg"
            # And, as deployments do, the first (current) key lives at a conventional path:
            # /etc/haproxy/pubkey.pem. With the token's alg chosen by the token, that path string
            # is an HMAC secret anyone can guess (the catalog's
            # alg-confusion/hs256-keyed-with-key-file-path). The file holds a TEST-ONLY public key.
            first="$(sed -n '1s/.*jwt_verify(txn.alg,"\([^"]*\)").*/\1/p' "$DIR/key-rules.cfg")"
            [ -n "$first" ] || die "$NAME: no key rule to point at /etc/haproxy/pubkey.pem"
            { mkdir -p /etc/haproxy && cp "$first" /etc/haproxy/pubkey.pem; } 2>/dev/null \
                || die "$NAME: cannot write /etc/haproxy/pubkey.pem (the naive config's conventional key path): run as root"
            sed -i "1s|\"$first\"|\"/etc/haproxy/pubkey.pem\"|" "$DIR/key-rules.cfg"
        fi
        render "KEY_RULES=$(cat "$DIR/key-rules.cfg")"
        "$HAPROXY" -c -f "$DIR/haproxy.cfg" >"$DIR/check.log" 2>&1 \
            || { tail -n 20 "$DIR/check.log" >&2; die "$NAME: $DIR/haproxy.cfg does not check"; }
        ;;
    apache-oauth2)
        [ -x "$APACHE" ] || die "$NAME: $APACHE missing: run bash gateways/setup.sh $NAME"
        render
        "$APACHE" -f "$DIR/httpd.conf" -t >"$DIR/check.log" 2>&1 \
            || { tail -n 20 "$DIR/check.log" >&2; die "$NAME: $DIR/httpd.conf does not check"; }
        ;;
    apache-openidc)
        [ -x "$APACHE" ] || die "$NAME: $APACHE missing: run bash gateways/setup.sh $NAME"
        # OIDCOAuthVerifyJwksUri takes https only: a TLS virtual host in front of the JWK Set, on a
        # free loopback port, with a certificate for 127.0.0.1 made here (TEST-ONLY, in target/).
        mkdir -p "$DIR/tls"
        if [ ! -s "$DIR/tls/cert.pem" ] || ! openssl x509 -checkend 3600 -noout -in "$DIR/tls/cert.pem" >/dev/null 2>&1; then
            openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=127.0.0.1" \
                -addext "subjectAltName=IP:127.0.0.1" -addext "basicConstraints=critical,CA:TRUE" \
                -keyout "$DIR/tls/key.pem" -out "$DIR/tls/cert.pem" >"$DIR/check.log" 2>&1 \
                || { cat "$DIR/check.log" >&2; die "$NAME: cannot make the TLS certificate"; }
        fi
        JWKS_TLS_PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
        render "PASSPHRASE=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" "JWKS_TLS_PORT=$JWKS_TLS_PORT"
        "$APACHE" -f "$DIR/httpd.conf" -t >"$DIR/check.log" 2>&1 \
            || { tail -n 20 "$DIR/check.log" >&2; die "$NAME: $DIR/httpd.conf does not check"; }
        ;;
esac

# --- starting -----------------------------------------------------------------------------------

logs_tail() {
    local f
    for f in "$DIR"/*.log; do
        [ -s "$f" ] || continue
        printf -- '--- %s (last 20 lines)\n' "$f" >&2
        tail -n 20 "$f" >&2
    done
}
fail() { log "error: $*"; logs_tail; stop_all; exit 1; }

deadline=$((SECONDS + 30))
# Each background process gets a session of its own (setsid) and no descriptor of ours, so a
# caller reading this script's output is not held open by it.
setsid "$PY" gateways/echo.py "$UPSTREAM_PORT" >"$DIR/upstream.log" 2>&1 </dev/null &
echo $! >"$UP_PID"

case "$NAME" in
    envoy)
        setsid "$ENVOY" -c "$DIR/envoy.yaml" --log-level warn --disable-hot-restart \
            --log-path "$DIR/envoy.log" >"$DIR/stdout.log" 2>&1 </dev/null &
        echo $! >"$GW_PID"
        ;;
    haproxy | haproxy-naive)
        setsid "$HAPROXY" -db -f "$DIR/haproxy.cfg" >"$DIR/haproxy.log" 2>&1 </dev/null &
        echo $! >"$GW_PID"
        ;;
    apache-oauth2 | apache-openidc)
        # Apache detaches itself and writes its PidFile ($DIR/gateway.pid).
        "$APACHE" -f "$DIR/httpd.conf" -k start >"$DIR/stdout.log" 2>&1 </dev/null \
            || fail "$NAME: apache2 -k start failed"
        ;;
esac

log "$NAME: waiting for http://127.0.0.1:$PORT/ (upstream echo on $UPSTREAM_PORT, JWKS $JWKS_URL)"
answers() { # port: any HTTP status (000 is curl's "no answer")
    local code
    code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$1/" 2>/dev/null || true)"
    [ -n "$code" ] && [ "$code" != "000" ] && printf '%s' "$code"
}
up_ready=0
while :; do
    if [ "$up_ready" -eq 0 ] && answers "$UPSTREAM_PORT" >/dev/null; then
        up_ready=1
    fi
    if [ "$up_ready" -eq 1 ] && code="$(answers "$PORT")"; then
        break
    fi
    # Apache writes its pid file itself, once started.
    if [ -f "$GW_PID" ]; then
        pid="$(tr -dc '0-9' <"$GW_PID" 2>/dev/null || true)"
        [ -z "$pid" ] || alive "$pid" || fail "$NAME exited before answering on port $PORT"
    fi
    upid="$(tr -dc '0-9' <"$UP_PID")"
    alive "$upid" || fail "the upstream echo server exited (port $UPSTREAM_PORT in use?)"
    [ "$SECONDS" -lt "$deadline" ] \
        || fail "$NAME did not answer HTTP on 127.0.0.1:$PORT within 30 s (upstream echo ready: $up_ready)"
    sleep 0.2
done
sleep 0.2
pid="$(tr -dc '0-9' <"$GW_PID" 2>/dev/null || true)"
[ -n "$pid" ] && alive "$pid" || fail "$NAME exited right after answering on port $PORT"
log "$NAME: ready on http://127.0.0.1:$PORT/ (no token: HTTP $code; pid $(cat "$GW_PID"); files in $DIR)"
