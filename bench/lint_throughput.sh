#!/usr/bin/env bash
# Lint throughput over the Kratos corpus (346 PostgreSQL and 694 SQLite migrations): statements
# per second of `migrate lint`, with, for SQLite, the baseline of the same run: the sqlite3 shell
# executing the same files into an in-memory database (the SQLite analyzer does that and more).
# For PostgreSQL it prints the rate with process start included (what a user waits for), the
# in-process rate: the lint time minus the start-up of `migrate --version` (dynamic loading,
# static initialisers), timed in the same run, and the floor: a C program that only parses the same
# files with libpg_query (bench/pg_query_parse_files.c, built here with cc), process start
# included. Times are the best of RUNS runs (default 3), in
# microseconds.
# Usage: [RUNS=5] bench/lint_throughput.sh [BUILD_DIR]   (needs ../shared and the sqlite3 shell)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
migrate="$build_dir/cli/migrate"
corpus=${MIGRATE_SHARED_DIR:-../shared}/corpora/kratos
[ -x "$migrate" ] || { echo "build first: scripts/build.sh" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "needs python3 to read the JSON output" >&2; exit 1; }
command -v cc >/dev/null || { echo "needs a C compiler (cc) for the libpg_query floor" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for dialect in postgres sqlite; do
  mkdir -p "$work/$dialect"
  while IFS=$'\t' read -r order version name direction source autocommit empty file; do
    [ "$order" = "order" ] && continue
    [ "$direction" = up ] || continue
    # Copied, not linked: a project's directory holds regular files, and a symbolic link costs
    # the loader a stat per file.
    cp "$corpus/$dialect/$file" "$work/$dialect/V${version}__${name}.up.sql"
  done <"$corpus/manifest.$dialect.tsv"
done
: >"$work/naive.sql"
for f in $(ls "$work/sqlite" | sort); do
  { echo "BEGIN;"; cat "$work/sqlite/$f"; echo; echo "COMMIT;"; } >>"$work/naive.sql"
done

cc -O2 bench/pg_query_parse_files.c -o "$work/pg_query_parse_files" -lpg_query

now_us() { date +%s%6N; }
count_statements() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(len(m["statements"]) for m in d["migrations"]))'; }

runs=${RUNS:-3}
report() {  # dialect label
  local dialect=$1 flag=$2 best="" n=0
  for i in $(seq "$runs"); do
    t0=$(now_us)
    "$migrate" --log-level off --output json lint --dialect "$flag" "$work/$dialect" >"$work/out.json" || true
    t1=$(now_us)
    [ -z "$best" ] || [ $((t1 - t0)) -lt "$best" ] && best=$((t1 - t0))
  done
  n=$(count_statements <"$work/out.json")
  echo "$dialect $n $best"
}

best_of() {  # command...: the best wall time of RUNS runs, in microseconds
  local best="" t0 t1
  for i in $(seq "$runs"); do
    t0=$(now_us); "$@" >/dev/null 2>&1 || true; t1=$(now_us)
    [ -z "$best" ] || [ $((t1 - t0)) -lt "$best" ] && best=$((t1 - t0))
  done
  echo "$best"
}

start_us=$(best_of "$migrate" --version)
read -r _ pg_n pg_us < <(report postgres postgresql)
read -r _ sl_n sl_us < <(report sqlite sqlite)
run_naive() { sqlite3 -bail :memory: <"$work/naive.sql"; }
best_naive=$(best_of run_naive)
run_parse_only() { "$work/pg_query_parse_files" "$work"/postgres/*.sql; }
best_parse_only=$(best_of run_parse_only)

echo "Kratos corpus, best of $runs runs:"
awk -v us="$start_us" 'BEGIN { printf "  process start (migrate --version): %.1f ms\n", us / 1000 }'
awk -v n="$pg_n" -v us="$pg_us" -v s="$start_us" 'BEGIN {
  printf "  PostgreSQL: %d statements in %.1f ms = %.0f statements/s with process start (parse with libpg_query, lock table, all rules)\n", n, us / 1000, n * 1e6 / (us > 0 ? us : 1)
  a = us - s
  printf "  PostgreSQL in-process (minus process start): %.1f ms = %.0f statements/s\n", a / 1000, n * 1e6 / (a > 0 ? a : 1) }'
awk -v n="$pg_n" -v us="$pg_us" -v f="$best_parse_only" 'BEGIN {
  printf "  PostgreSQL floor (libpg_query parsing the same files, nothing else, process start included): %.1f ms = %.0f statements/s; lint/floor %.2fx\n", f / 1000, n * 1e6 / (f > 0 ? f : 1), us / (f > 0 ? f : 1) }'
awk -v n="$sl_n" -v us="$sl_us" 'BEGIN { printf "  SQLite:     %d statements in %.1f ms = %.0f statements/s\n", n, us / 1000, n * 1e6 / (us > 0 ? us : 1) }'
awk -v a="$sl_us" -v b="$best_naive" 'BEGIN { printf "  SQLite baseline (sqlite3 shell running the same files in memory): %.1f ms; lint/baseline %.2fx (goal <= 1.25x)\n", b / 1000, a / (b > 0 ? b : 1) }'
