#!/usr/bin/env bash
# Sets up the adapters whose libraries come from Debian packages (issue 12, part 3):
#
#   bash adapters/debian-more.sh           # everything
#   bash adapters/debian-more.sh perl c    # some of: perl ruby c
#
# - perl: Crypt::JWT (libcrypt-jwt-perl) with JSON::XS (libjson-xs-perl, which
#         libjson-perl recommends); the adapter runs from adapters/perl.
# - ruby: ruby-jwt (ruby-jwt) and json-jwt (ruby-json-jwt); adapters run from adapters/ruby.
# - c:    target/adapters/bin/cjose (libcjose-dev) and target/adapters/bin/rhonabwy
#         (librhonabwy-dev), both with jansson, built with gcc.
# Debian packages are installed only when dpkg (dpkg-query) says they are missing, with one
# `apt-get update` first.  A C adapter is rebuilt only when its source, the shared
# adapters/c/common.c/.h or the library's header changed (a .sha256 stamp next to
# the binary).  One log line per step.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="target/adapters"
mkdir -p "$OUT/bin"

log() { printf '[adapters/debian-more] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [ "$#" -eq 0 ]; then set -- perl ruby c; fi
for part in "$@"; do
    case "$part" in perl|ruby|c) ;; *) die "unknown part '$part' (perl ruby c)" ;; esac
done

apt_updated=0
ensure_debs() {
    local missing=() pkg
    for pkg in "$@"; do
        # dpkg-query prints dpkg -s's Status line alone (a `dpkg -s | grep -q` pipe can
        # fail under pipefail when grep exits before dpkg has written everything).
        if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        log "packages present: $*"
        return 0
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
        sudo=(sudo)
    fi
    if [ "$apt_updated" -eq 0 ]; then
        log "apt-get update"
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || die "apt-get update failed"
        apt_updated=1
    fi
    log "apt-get install ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 \
        || die "apt-get install ${missing[*]} failed"
}

stamp_of() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }

# build NAME SOURCE HEADER LIBS...: gcc SOURCE + adapters/c/common.c into
# target/adapters/bin/NAME unless its stamp matches.
build_c() {
    local name="$1" src="$2" header="$3"
    shift 3
    local bin="$OUT/bin/$name" want
    want="$(stamp_of "$src" adapters/c/common.c adapters/c/common.h "$header")"
    if [ -x "$bin" ] && [ "$(cat "$bin.sha256" 2>/dev/null)" = "$want" ]; then
        log "c: $bin up to date"
        return 0
    fi
    log "c: building $bin"
    gcc -O2 -Wall -Wextra -o "$bin" "$src" adapters/c/common.c "$@" >&2 || die "gcc failed for $src"
    echo "$want" > "$bin.sha256"
}

for part in "$@"; do
    case "$part" in
        perl)
            ensure_debs perl libcrypt-jwt-perl libjson-xs-perl
            perl -MCrypt::JWT -MJSON::XS -e 1 || die "perl: Crypt::JWT or JSON::XS does not load"
            log "perl: Crypt::JWT $(perl -MCrypt::JWT -e 'print $Crypt::JWT::VERSION') ready"
            ;;
        ruby)
            ensure_debs ruby ruby-jwt ruby-json-jwt
            ruby -e 'require "jwt"; require "json/jwt"' || die "ruby: jwt or json/jwt does not load"
            log "ruby: ruby-jwt $(ruby -rjwt -e 'print JWT::VERSION::STRING') and json-jwt ready"
            ;;
        c)
            ensure_debs gcc libc6-dev libjansson-dev libcjose-dev librhonabwy-dev
            build_c cjose adapters/c/cjose_adapter.c /usr/include/cjose/jws.h -lcjose -ljansson
            build_c rhonabwy adapters/c/rhonabwy_adapter.c /usr/include/rhonabwy.h -lrhonabwy -ljansson
            ;;
    esac
done
log "done: $*"
