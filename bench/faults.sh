#!/usr/bin/env bash
# The fault soak: kill -9 at seeded random points of `apply` and `rollback --target 0`, ITERATIONS
# times per engine and migration kind, and how many iterations converged to the exact end state.
#
# It runs the fault loop of the test suite (tests/faults/fault_loop_test.cpp, the FaultLoop.*
# tests of build/tests/fault_tests) with MIGRATE_FAULT_ITERATIONS=ITERATIONS, and tabulates the
# `FAULTS ...` summary line each test prints. What an iteration does and what counts as a
# divergence is defined there, once (docs/benchmarks.md#fault-soak).
#
# Usage: bench/faults.sh [BUILD_DIR]
#   Default build directory: build (scripts/build.sh builds it when the test binary is missing).
#   PostgreSQL runs in a throwaway cluster of the script's own (bench/lib/pg_cluster.sh).
# Environment:
#   ITERATIONS=1000           iterations per engine and kind (each: one apply and one rollback,
#                             each killed 1 to 3 times, then rerun until it exits 0)
#   SEED=<random>             MIGRATE_FAULT_SEED: the same seed gives the same kill delays
#   ENGINES="sqlite postgresql"
#   TMPDIR                    where databases and the cluster go
#   KEEP_LOGS=1               keep the gtest output and print where it is
set -euo pipefail
self=$(realpath "$0")
if [ $# -gt 0 ]; then build=$(realpath -m "$1"); else build=""; fi
cd "$(dirname "$self")/.."
source bench/lib/pg_cluster.sh

ITERATIONS=${ITERATIONS:-1000}
ENGINES=${ENGINES:-"sqlite postgresql"}
SEED=${SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}

if [ -z "$build" ]; then
  build=$PWD/build
  [ -x "$build/tests/fault_tests" ] || {
    echo "no $build/tests/fault_tests: building (scripts/build.sh)..." >&2
    scripts/build.sh >&2; }
fi
tests=$build/tests/fault_tests
[ -x "$tests" ] || { echo "no fault test binary at $tests" >&2; exit 1; }

unset MIGRATE_DATABASE_URL DATABASE_URL MIGRATE_DIR MIGRATE_HISTORY_TABLE MIGRATE_HISTORY_SCHEMA \
  MIGRATE_LOCK_WAIT MIGRATE_LOCK_TIMEOUT MIGRATE_STATEMENT_TIMEOUT MIGRATE_LOCK_RETRIES \
  MIGRATE_OUTPUT MIGRATE_LOG_LEVEL MIGRATE_SQLITE_FOREIGN_KEYS MIGRATE_TEST_PG_URL

work=$(mktemp -d "${TMPDIR:-/tmp}/migrate-bench-faults.XXXXXX")
cleanup() {
  pg_cluster_stop
  if [ "${KEEP_LOGS:-}" = 1 ]; then echo "logs kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "fault soak: $ITERATIONS iteration(s) per engine and kind, seed $SEED"
status=0
for engine in $ENGINES; do
  case $engine in
    sqlite) filter='FaultLoop.Sqlite*' ;;
    postgresql)
      pg_cluster_start
      filter='FaultLoop.Postgres*' ;;
    *) echo "unknown engine $engine (sqlite or postgresql)" >&2; exit 2 ;;
  esac
  # A failing test is a finding to count, not a reason to stop the soak.
  CI=true MIGRATE_FAULT_ITERATIONS=$ITERATIONS MIGRATE_FAULT_SEED=$SEED \
    "$tests" --gtest_filter="$filter" >"$work/$engine.log" 2>&1 || status=1
  grep -q '^FAULTS ' "$work/$engine.log" || {
    echo "no FAULTS summary from the $engine tests:" >&2; tail -n 30 "$work/$engine.log" >&2; exit 1; }
  pg_cluster_stop
done

cat "$work"/*.log | grep '^FAULTS ' | awk '
  BEGIN {
    printf "%-11s %-17s %10s %6s %9s %7s %7s %10s %7s %6s  %s\n", "engine", "kind", "iterations",
      "kills", "converged", "double", "skipped", "unrecorded", "history", "wedged", "exit codes"
  }
  {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "%-11s %-17s %10s %6s %9s %7s %7s %10s %7s %6s  %s\n", v["engine"], v["kind"],
      v["iterations"], v["kills"], v["converged"], v["double_applies"], v["skipped"],
      v["unrecorded_changes"], v["history_mismatches"], v["wedged"], v["exit_codes"]
  }'
if [ "$status" -ne 0 ]; then
  echo
  echo "some iterations did not converge; the first divergences:"
  grep -hE '^  (sqlite|postgresql) ' "$work"/*.log | head -n 20
fi
exit "$status"
