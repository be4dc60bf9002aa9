#!/usr/bin/env bash
# Sets up every external validator adapter under target/adapters/ (idempotent).
#
#   bash adapters/setup.sh            # everything
#   bash adapters/setup.sh python go  # some of: python node go gomod java c debian-more versions
#
# - python: venv target/adapters/venv + pip install -r adapters/python/requirements.txt
# - node:   npm ci in adapters/node (node_modules stays there: Node resolves
#           modules next to the scripts)
# - go:     target/adapters/bin/golang-jwt (GOPATH mode, offline, Debian's golang-jwt v4)
# - gomod:  target/adapters/bin/{golang-jwt-v5,go-jose,jwx} (Go module from the module proxy,
#           adapters/go/mod/setup.sh)
# - java:   target/adapters/java/*.jar (Maven project, adapters/java/setup.sh)
# - debian-more: Perl (Crypt::JWT), Ruby (ruby-jwt, json-jwt) and C (cjose, rhonabwy) adapters
#           over Debian's packages (adapters/debian-more.sh)
# - c:      target/adapters/bin/libjwt (libjwt 1.10.2 + jansson + OpenSSL)
# - versions: the pinned releases of adapters/versions.txt (fixtures/cve/), each under
#           target/adapters/versions/DIR: a venv, an npm prefix, a Rust adapter built
#           against a pinned crate, or the Go adapter built against a pinned golang-jwt
#           module (not part of the default set: `cargo xtask cve` asks)
# Debian packages are installed only when missing (dpkg-query), with one
# `apt-get update` first, and only then.  Steps whose inputs did not change
# since the last run are skipped (stamp files next to their outputs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="target/adapters"
mkdir -p "$OUT/bin"

log() { printf '[adapters/setup] %s\n' "$*" >&2; }

if [ "$#" -eq 0 ]; then set -- python node go gomod java c debian-more; fi

apt_updated=0
ensure_debs() {
    local missing=() pkg status
    for pkg in "$@"; do
        # No pipe into `grep -q`: under pipefail its early exit would fail the test.
        status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
        if [ "$status" != "install ok installed" ]; then
            missing+=("$pkg")
        fi
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { log "need root (or sudo) to install: ${missing[*]}"; exit 1; }
        sudo=(sudo)
    fi
    if [ "$apt_updated" -eq 0 ]; then
        log "apt-get update"
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        apt_updated=1
    fi
    log "apt-get install ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

stamp_of() { sha256sum "$@" | sha256sum | cut -d' ' -f1; }

setup_python() {
    local venv="$OUT/venv" req="adapters/python/requirements.txt" py="${PYTHON:-python3}"
    local want; want="$(stamp_of "$req")"
    if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" = "$want" ]; then
        log "python: venv up to date"
        return 0
    fi
    if [ ! -x "$venv/bin/python" ]; then
        log "python: creating $venv with $py"
        if ! "$py" -m venv "$venv" >&2; then
            rm -rf "$venv"
            ensure_debs python3-venv
            py=/usr/bin/python3
            "$py" -m venv "$venv" >&2
        fi
    fi
    log "python: pip install -r $req"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$req" >&2
    echo "$want" > "$venv/.requirements.sha256"
}

setup_node() {
    command -v npm >/dev/null || { log "node: npm not found"; exit 1; }
    local dir="adapters/node" want
    want="$(stamp_of "$dir/package.json" "$dir/package-lock.json")"
    if [ -d "$dir/node_modules" ] && [ "$(cat "$dir/node_modules/.setup.sha256" 2>/dev/null)" = "$want" ]; then
        log "node: node_modules up to date"
        return 0
    fi
    log "node: npm ci --prefix $dir"
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >&2
    echo "$want" > "$dir/node_modules/.setup.sha256"
}

# The Go toolchain: /usr/local/go (1.26, the machine's) before Debian's golang-go (1.19), which
# shadows it when /usr/bin comes first on PATH.
go_bin() {
    if [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go; else command -v go; fi
}

setup_go() {
    ensure_debs golang-go golang-github-golang-jwt-jwt-dev
    local bin="$OUT/bin/golang-jwt" want
    want="$(stamp_of adapters/go/main.go /usr/share/gocode/src/github.com/golang-jwt/jwt/*.go)"
    if [ -x "$bin" ] && [ "$(cat "$bin.sha256" 2>/dev/null)" = "$want" ]; then
        log "go: $bin up to date"
        return 0
    fi
    log "go: building $bin"
    (
        cd adapters/go
        GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOCACHE="$ROOT/$OUT/go-cache" \
            "$(go_bin)" build -o "$ROOT/$bin" .
    ) >&2
    echo "$want" > "$bin.sha256"
}

setup_c() {
    ensure_debs gcc libc6-dev libjwt-dev libjansson-dev libssl-dev
    local bin="$OUT/bin/libjwt" src="adapters/c/adapter.c" want
    want="$(stamp_of "$src" adapters/c/common.c adapters/c/common.h /usr/include/jwt.h)"
    if [ -x "$bin" ] && [ "$(cat "$bin.sha256" 2>/dev/null)" = "$want" ]; then
        log "c: $bin up to date"
        return 0
    fi
    log "c: building $bin"
    gcc -O2 -Wall -Wextra -o "$bin" "$src" adapters/c/common.c -ljwt -ljansson -lcrypto >&2
    echo "$want" > "$bin.sha256"
}

setup_versions() {
    local kind dir spec out want crypto
    crypto="$(grep -i '^cryptography==' adapters/python/requirements.txt)"
    while read -r kind dir spec; do
        case "$kind" in ''|'#'*) continue ;; esac
        out="$OUT/versions/$dir"
        want="$(printf '%s %s %s' "$kind" "$spec" "$crypto" | sha256sum | cut -d' ' -f1)"
        if [ "$kind" = rust ]; then
            want="$(stamp_of "$spec/Cargo.toml" adapters/rust/jsonwebtoken/main.rs)"
        elif [ "$kind" = go ]; then
            want="$(stamp_of "$spec/go.mod" "$spec/go.sum" adapters/go/main.go)"
        fi
        if [ "$(cat "$out/.setup.sha256" 2>/dev/null)" = "$want" ]; then
            log "versions: $dir up to date"
            continue
        fi
        rm -rf "$out"
        mkdir -p "$out"
        case "$kind" in
            python)
                log "versions: venv $out with $spec"
                "${PYTHON:-python3}" -m venv "$out" >&2
                "$out/bin/python" -m pip install -q --disable-pip-version-check --no-input "$crypto" "$spec" >&2
                ;;
            node)
                log "versions: npm install --prefix $out $spec"
                npm install --prefix "$out" --no-audit --no-fund --no-save --loglevel=error "$spec" >&2
                ;;
            rust)
                # An out-of-process Rust adapter against a pinned crate: SPEC is its
                # Cargo.toml's directory; the binary lands at DIR/adapter.
                log "versions: cargo build --release --manifest-path $spec/Cargo.toml"
                cargo build -q --release --manifest-path "$spec/Cargo.toml" \
                    --target-dir "$OUT/versions/rust-target/$dir" >&2
                cp "$OUT/versions/rust-target/$dir/release/jsonwebtoken-adapter" "$out/adapter"
                ;;
            go)
                # The golang-jwt v4 adapter in module mode against a pinned golang-jwt/jwt/v4
                # from the Go module proxy: SPEC holds go.mod and go.sum; main.go is copied beside
                # them with the module's import path (Debian's GOPATH path has no /v4).
                log "versions: go build $dir against $spec/go.mod"
                mkdir -p "$out/src"
                cp "$spec/go.mod" "$spec/go.sum" "$out/src/"
                sed 's#jwt "github.com/golang-jwt/jwt"#jwt "github.com/golang-jwt/jwt/v4"#' \
                    adapters/go/main.go > "$out/src/main.go"
                (
                    cd "$out/src"
                    GOFLAGS=-mod=readonly GOMODCACHE="$ROOT/$OUT/go-modcache" \
                        GOCACHE="$ROOT/$OUT/go-cache" "$(go_bin)" build -o ../adapter .
                ) >&2
                ;;
            *) log "versions: unknown kind $kind (python, node, rust, go)"; exit 2 ;;
        esac
        echo "$want" > "$out/.setup.sha256"
    done < adapters/versions.txt
}

for part in "$@"; do
    case "$part" in
        python) setup_python ;;
        node) setup_node ;;
        go) setup_go ;;
        gomod) bash adapters/go/mod/setup.sh ;;
        java) bash adapters/java/setup.sh ;;
        debian-more) bash adapters/debian-more.sh perl ruby c ;;
        c) setup_c ;;
        versions) setup_versions ;;
        *) log "unknown part: $part (python node go gomod java c debian-more versions)"; exit 2 ;;
    esac
done
log "done: $*"
