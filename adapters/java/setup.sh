#!/usr/bin/env bash
# Builds the Java adapters (nimbus, jjwt, java-jwt, jose4j) into one jar:
#
#   bash adapters/java/setup.sh
#
# -> target/adapters/java/jwt-harness-adapters.jar, run as
#    java -jar target/adapters/java/jwt-harness-adapters.jar BACKEND
#
# Needs Java 17+ and Maven 3.8+ (Debian 12: openjdk-17-jdk-headless, maven) and
# Maven Central. Every dependency and plugin version is pinned in pom.xml; the
# Maven cache is target/adapters/m2, not ~/.m2. Idempotent: the build is
# skipped when pom.xml and the sources are unchanged since the last one (stamp
# file next to the jar).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT="target/adapters/java"
JAR="$OUT/jwt-harness-adapters.jar"

log() { printf '[adapters/java/setup] %s\n' "$*" >&2; }
fail() { log "error: $*"; exit 1; }

command -v java >/dev/null || fail "java not found (install a JDK 17+, e.g. apt-get install openjdk-17-jdk-headless)"
command -v mvn >/dev/null || fail "mvn not found (install Maven 3.8+, e.g. apt-get install maven)"
java_major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
[ "${java_major%%.*}" -ge 17 ] 2>/dev/null || fail "Java 17+ needed, found ${java_major:-unknown}"

want="$(find adapters/java/pom.xml adapters/java/src -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
if [ -f "$JAR" ] && [ "$(cat "$JAR.sha256" 2>/dev/null)" = "$want" ]; then
    log "$JAR up to date"
    exit 0
fi

log "building $JAR (mvn package, Maven cache target/adapters/m2)"
mkdir -p "$OUT"
rm -f "$JAR.sha256"
if ! mvn -B -q -Dstyle.color=never -f adapters/java/pom.xml -Dmaven.repo.local="$ROOT/target/adapters/m2" package >&2; then
    fail "mvn package failed (see the Maven output above)"
fi
[ -f "$JAR" ] || fail "mvn package did not produce $JAR"
echo "$want" > "$JAR.sha256"
log "done: $JAR"
