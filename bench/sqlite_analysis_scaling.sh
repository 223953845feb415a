#!/usr/bin/env bash
# How the SQLite analysis scales with the number of migrations: `migrate lint --dialect sqlite`
# over generated directories of N trivial migrations (each `CREATE TABLE tN (id INTEGER PRIMARY
# KEY, v TEXT);`, with a down file `DROP TABLE tN;`), against the baseline of the same run: the
# sqlite3 shell running the same up files into an in-memory database (the analyzer runs each
# statement on its in-memory copy too, plus the authorizer, the schema snapshots and the rules).
# CPU time (user + system) of each process, best of RUNS. Doubling N should about double both.
# Usage: bench/sqlite_analysis_scaling.sh [BUILD_DIR]   (needs the sqlite3 shell)
#        SIZES="500 1000 2000 4000" RUNS=5 bench/sqlite_analysis_scaling.sh build-rel
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
migrate="$build_dir/cli/migrate"
[ -x "$migrate" ] || { echo "build first: scripts/build.sh" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)" >&2; exit 1; }
sizes=${SIZES:-500 1000 2000}
runs=${RUNS:-3}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# CPU seconds (user + system) of one command, its output discarded.
cpu_seconds() {
  local TIMEFORMAT='%3U %3S' t
  t=$({ time "$@" >/dev/null 2>&1; } 2>&1) || true
  awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.3f", a[1] + a[2] }'
}
best_of() {  # runs the command RUNS times, prints the least CPU time
  local best="" t
  for _ in $(seq "$runs"); do
    t=$(cpu_seconds "$@")
    best=$(awk -v a="$best" -v b="$t" 'BEGIN { print (a == "" || b < a) ? b : a }')
  done
  echo "$best"
}

printf '%6s  %22s  %22s  %13s  %16s\n' N "sqlite3 :memory: CPU" "migrate lint CPU" "lint/baseline" "lint per migr."
prev_n=""; prev_lint=""; prev_base=""; growth=""
for n in $sizes; do
  dir="$work/m$n"
  mkdir -p "$dir"
  for i in $(seq "$n"); do
    v=$(printf '%04d' "$i")
    echo "CREATE TABLE t$i (id INTEGER PRIMARY KEY, v TEXT);" >"$dir/V${v}__t$i.up.sql"
    echo "DROP TABLE t$i;" >"$dir/V${v}__t$i.down.sql"
  done
  cat "$dir"/*.up.sql >"$work/all$n.sql"
  base=$(best_of sqlite3 -bail :memory: ".read $work/all$n.sql")
  lint=$(best_of "$migrate" --log-level off lint --dialect sqlite "$dir")
  awk -v n="$n" -v b="$base" -v l="$lint" 'BEGIN {
    printf "%6d  %20.3f s  %20.3f s  %12.2fx  %13.0f us\n", n, b, l, l / (b > 0 ? b : 0.001), l * 1e6 / n }'
  if [ -n "$prev_n" ]; then
    growth+=$(awk -v m="$prev_n" -v n="$n" -v a="$prev_lint" -v b="$lint" -v c="$prev_base" -v d="$base" 'BEGIN {
      printf "  N %d -> %d (%.2fx): lint %.2fx, baseline %.2fx", m, n, n / m, b / (a > 0 ? a : 0.001), d / (c > 0 ? c : 0.001) }')
    growth+=$'\n'
  fi
  prev_n=$n; prev_lint=$lint; prev_base=$base
done
echo
echo "CPU growth from one size to the next (linear: as much as N; SQLite's own CREATE TABLE scans"
echo "sqlite_schema, so the baseline itself grows a little faster than N):"
printf '%s' "$growth"
