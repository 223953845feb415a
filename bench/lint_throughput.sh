#!/usr/bin/env bash
# Lint throughput over the Kratos corpus (346 PostgreSQL and 694 SQLite migrations): statements
# per second of `migrate lint`, with, for SQLite, the baseline of the same run: the sqlite3 shell
# executing the same files into an in-memory database (the SQLite analyzer does that and more).
# Usage: bench/lint_throughput.sh [BUILD_DIR]   (needs ../shared and the sqlite3 shell)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
migrate="$build_dir/cli/migrate"
corpus=${MIGRATE_SHARED_DIR:-../shared}/corpora/kratos
[ -x "$migrate" ] || { echo "build first: scripts/build.sh" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "needs python3 to read the JSON output" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for dialect in postgres sqlite; do
  mkdir -p "$work/$dialect"
  while IFS=$'\t' read -r order version name direction source autocommit empty file; do
    [ "$order" = "order" ] && continue
    [ "$direction" = up ] || continue
    ln -s "$(realpath "$corpus/$dialect/$file")" "$work/$dialect/V${version}__${name}.up.sql"
  done <"$corpus/manifest.$dialect.tsv"
done
: >"$work/naive.sql"
for f in $(ls "$work/sqlite" | sort); do
  { echo "BEGIN;"; cat "$work/sqlite/$f"; echo; echo "COMMIT;"; } >>"$work/naive.sql"
done

now_ms() { date +%s%3N; }
count_statements() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(len(m["statements"]) for m in d["migrations"]))'; }

runs=${RUNS:-3}
report() {  # dialect label
  local dialect=$1 flag=$2 best="" n=0
  for i in $(seq "$runs"); do
    t0=$(now_ms)
    "$migrate" --log-level off --output json lint --dialect "$flag" "$work/$dialect" >"$work/out.json" || true
    t1=$(now_ms)
    [ -z "$best" ] || [ $((t1 - t0)) -lt "$best" ] && best=$((t1 - t0))
  done
  n=$(count_statements <"$work/out.json")
  echo "$dialect $n $best"
}

read -r _ pg_n pg_ms < <(report postgres postgresql)
read -r _ sl_n sl_ms < <(report sqlite sqlite)
best_naive=""
for i in $(seq "$runs"); do
  t0=$(now_ms); sqlite3 -bail :memory: <"$work/naive.sql" >/dev/null; t1=$(now_ms)
  [ -z "$best_naive" ] || [ $((t1 - t0)) -lt "$best_naive" ] && best_naive=$((t1 - t0))
done

echo "Kratos corpus, best of $runs runs:"
awk -v n="$pg_n" -v ms="$pg_ms" 'BEGIN { printf "  PostgreSQL: %d statements in %d ms = %.0f statements/s (parse with libpg_query, lock table, %s rules)\n", n, ms, n * 1000 / (ms > 0 ? ms : 1), "all" }'
awk -v n="$sl_n" -v ms="$sl_ms" 'BEGIN { printf "  SQLite:     %d statements in %d ms = %.0f statements/s\n", n, ms, n * 1000 / (ms > 0 ? ms : 1) }'
awk -v a="$sl_ms" -v b="$best_naive" 'BEGIN { printf "  SQLite baseline (sqlite3 shell running the same files in memory): %d ms; lint/baseline %.2fx\n", b, a / (b > 0 ? b : 1) }'
