#!/usr/bin/env bash
# jwt-ci.sh: JWT conformance and a fuzz smoke for one validator or service, in any CI.
# Copy it into your repository; it needs only a `jwt-harness` binary
# (`cargo install --git <this repository> jwt-harness`, or `cargo install --path harness`).
#
# What to test, one of:
#   JWT_TARGET=http://127.0.0.1:8080/api   a running service or gateway (give JWT_POLICY too)
#   JWT_EXEC="python3 my_adapter.py"       a validator behind an adapter (docs/PROTOCOL.md)
#   JWT_BACKEND=jsonwebtoken               a backend built into jwt-harness
# and, optionally:
#   JWT_POLICY=auth.toml      the policy it enforces: a file or a default policy's name (rs256);
#                             default: every default policy (not for a target)
#   JWT_BASELINE=jwt-baseline.txt   a verdict baseline kept in your repository: any change fails
#   JWT_KNOWN=jwt-known.toml        deviations you explained (the backend-file format)
#   JWT_FUZZ_SECONDS=15       the fuzz smoke's length (0: no fuzzing)
#   JWT_OUT=jwt-reports       where reports go: report.txt, jwt.sarif (code scanning),
#                             jwt.junit.xml (test tab), fuzz/ (new findings as case files)
#   JWT_HARNESS=jwt-harness   the binary
#
# Exit status: 0 clean; 1 findings (an unexplained unsafe, crash or broken result, a changed
# baseline, a new fuzz finding); 2 a usage or configuration error. Both steps always run, and
# the worse status wins (2 over 1 over 0).
set -uo pipefail

JWT_HARNESS="${JWT_HARNESS:-jwt-harness}"
OUT="${JWT_OUT:-jwt-reports}"
FUZZ_SECONDS="${JWT_FUZZ_SECONDS:-15}"

say() { printf 'jwt-ci: %s\n' "$*" >&2; }

what=()
given=0
if [ -n "${JWT_TARGET:-}" ]; then what=(--target "$JWT_TARGET"); given=$((given + 1)); fi
if [ -n "${JWT_EXEC:-}" ]; then what=(--exec "$JWT_EXEC"); given=$((given + 1)); fi
if [ -n "${JWT_BACKEND:-}" ]; then what=(--backend "$JWT_BACKEND"); given=$((given + 1)); fi
if [ "$given" -ne 1 ]; then
    say "set exactly one of JWT_TARGET, JWT_EXEC, JWT_BACKEND"
    exit 2
fi
if [ -n "${JWT_TARGET:-}" ] && [ -z "${JWT_POLICY:-}" ]; then
    say "JWT_TARGET needs JWT_POLICY: the policy the service enforces"
    exit 2
fi
case "$FUZZ_SECONDS" in '' | *[!0-9]*) say "JWT_FUZZ_SECONDS must be a whole number of seconds"; exit 2 ;; esac

policy=()
if [ -n "${JWT_POLICY:-}" ]; then policy=(--policy "$JWT_POLICY"); fi
mkdir -p "$OUT" || { say "cannot create $OUT"; exit 2; }

# 1. Conformance: the whole catalog, judged; SARIF and JUnit beside the text report.
run=(run "${what[@]}" "${policy[@]}" --out "$OUT/report.txt" --sarif "$OUT/jwt.sarif" --junit "$OUT/jwt.junit.xml")
if [ -n "${JWT_BASELINE:-}" ]; then run+=(--baseline "$JWT_BASELINE"); fi
if [ -n "${JWT_KNOWN:-}" ]; then run+=(--known "$JWT_KNOWN"); fi
"$JWT_HARNESS" "${run[@]}"
conformance=$?
say "conformance: exit $conformance (report: $OUT/report.txt)"
tail -n 2 "$OUT/report.txt" >&2 2>/dev/null || true

# 2. A fuzz smoke: mutated tokens judged against the reference oracle; a new finding is written
#    as a case file under $OUT/fuzz that `jwt-harness run --cases $OUT/fuzz` replays.
fuzz=0
if [ "$FUZZ_SECONDS" -gt 0 ]; then
    "$JWT_HARNESS" fuzz "${what[@]}" "${policy[@]}" --time "$FUZZ_SECONDS" --out "$OUT/fuzz"
    fuzz=$?
    say "fuzz smoke (${FUZZ_SECONDS} s): exit $fuzz (new findings: $OUT/fuzz)"
fi

worst=0
for s in "$conformance" "$fuzz"; do
    if [ "$s" -eq 2 ] || { [ "$s" -ne 0 ] && [ "$s" -ne 1 ]; }; then worst=2
    elif [ "$s" -eq 1 ] && [ "$worst" -eq 0 ]; then worst=1
    fi
done
exit "$worst"
