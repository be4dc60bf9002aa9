#!/usr/bin/env bash
# Builds the Go module adapters of adapters/go/mod into target/adapters/bin/
# (golang-jwt-v5, go-jose, jwx), idempotently.
#
#   bash adapters/go/mod/setup.sh
#
# - Go: /usr/local/go/bin/go (GO, if set, overrides it), which must satisfy
#   go.mod's `go` line; GOTOOLCHAIN=local, so it never downloads another one.
#   Debian's /usr/bin/go (1.19) is too old and is not used.
# - Modules come from the Go module proxy (GOPROXY as configured, default
#   proxy.golang.org) and are checked against go.sum; GOMODCACHE and GOCACHE
#   live under target/adapters/gomod/, so nothing is written outside target/.
# - Skipped when go.mod, go.sum, the Go sources, this script and the Go
#   version are unchanged since the last build (stamp target/adapters/bin/gomod.sha256).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$ROOT"
SRC="adapters/go/mod"
OUT="$ROOT/target/adapters"
BIN="$OUT/bin"
STAMP="$BIN/gomod.sha256"
BACKENDS=(golang-jwt-v5 go-jose jwx)

log() { printf '[adapters/go/mod] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

GO="${GO:-/usr/local/go/bin/go}"
[ -x "$GO" ] || die "$GO not found: install Go >= $(sed -n 's/^go //p' "$SRC/go.mod") there, or set GO=/path/to/go"
export PATH="$(dirname "$GO"):$PATH"
export GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false"
export GOMODCACHE="$OUT/gomod/modcache" GOCACHE="$OUT/gomod/cache"

version="$("$GO" env GOVERSION)" || die "$GO does not run"
want="$( { "$GO" env GOVERSION GOPROXY; sha256sum "$0" "$SRC/go.mod" "$SRC/go.sum";
          find "$SRC" -name '*.go' -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -d' ' -f1)"
missing=0
for b in "${BACKENDS[@]}"; do [ -x "$BIN/$b" ] || missing=1; done
if [ "$missing" -eq 0 ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
    log "up to date: ${BACKENDS[*]} ($version)"
    exit 0
fi

mkdir -p "$BIN"
log "go mod download ($version, GOPROXY=$("$GO" env GOPROXY))"
( cd "$SRC" && "$GO" mod download ) >&2 || die "go mod download failed (is the module proxy reachable?)"
( cd "$SRC" && "$GO" mod verify ) >&2 || die "go mod verify failed: the module cache does not match go.sum"
for b in "${BACKENDS[@]}"; do
    log "go build -o target/adapters/bin/$b ./cmd/$b"
    ( cd "$SRC" && "$GO" build -trimpath -o "$BIN/$b" "./cmd/$b" ) >&2 || die "building $b failed"
done
echo "$want" > "$STAMP"
log "done: ${BACKENDS[*]}"
