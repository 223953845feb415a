#!/usr/bin/env bash
# One large migration file: what migrate costs in time and memory against the database's own
# shell loading the same file in one transaction, measured in the same run, on SQLite and
# PostgreSQL.
#
# Two migration sets, each V0001__create_big (CREATE TABLE big (id integer PRIMARY KEY, payload
# text NOT NULL)) followed by V0002__insert_big: SMALL (default 20,000) or LARGE (default 500,000,
# about 50 MB) single-row `INSERT INTO big (id, payload) VALUES (N, '<80 characters>');` lines.
# With big created beforehand (migrate apply --target 1; the shell runs the CREATE TABLE), each
# run times only the INSERT file, alternating which side goes first, REPS times, medians:
#   - migrate apply (one transaction with its history row), under /usr/bin/time -f %M for its
#     peak RSS, and under `timeout TIMEOUT`: a run that does not finish is reported as timeout;
#   - the floor: `sqlite3 db < file` with the file wrapped in BEGIN; ... COMMIT;, and
#     `psql -1 -f file`.
# It reports wall time, migrate/floor, time per statement (SMALL against LARGE shows whether the
# time is linear in the size) and migrate's peak RSS as a multiple of the file size.
#
# Usage: bench/large_file.sh [MIGRATE_BINARY]
#   Default binary: build-rel/cli/migrate of this repository; when it is missing, the script
#   builds it (BUILD_TYPE=Release BUILD_DIR=build-rel scripts/build.sh).
#   PostgreSQL runs in a throwaway cluster of the script's own (initdb + pg_ctl from PG_BIN,
#   default /usr/lib/postgresql/15/bin; a private socket directory, no TCP), removed on exit.
#   As root the server runs as the postgres user.
# Environment:
#   QUICK=1        smoke run: SMALL=2000, LARGE=20000, REPS=2
#   SMALL=20000  LARGE=500000  REPS=3  TIMEOUT=600 (seconds per migrate run)
#   ENGINES="sqlite postgresql"    only some engines
#   TMPDIR         where databases, files and the cluster go (needs about 4x the large file, plus
#                  the databases; the server user must reach it)
#   KEEP_LOGS=1    keep the work directory and print where it is
set -euo pipefail
self=$(realpath "$0")
# A binary given as an argument is relative to the directory the script was started from.
if [ $# -gt 0 ]; then migrate=$(realpath -m "$1"); else migrate=""; fi
cd "$(dirname "$self")/.."
source bench/lib/pg_cluster.sh

if [ "${QUICK:-}" = 1 ]; then
  SMALL=${SMALL:-2000}; LARGE=${LARGE:-20000}; REPS=${REPS:-2}
else
  SMALL=${SMALL:-20000}; LARGE=${LARGE:-500000}; REPS=${REPS:-3}
fi
TIMEOUT=${TIMEOUT:-600}
ENGINES=${ENGINES:-"sqlite postgresql"}
sizes=("$SMALL" "$LARGE")

if [ -z "$migrate" ]; then
  migrate=build-rel/cli/migrate
  [ -x "$migrate" ] || {
    echo "no $migrate: building a Release build into build-rel (scripts/build.sh)..." >&2
    BUILD_TYPE=Release BUILD_DIR=build-rel scripts/build.sh >&2; }
fi
[ -x "$migrate" ] || { echo "no migrate binary at $migrate" >&2; exit 1; }
for tool in sqlite3 psql timeout awk; do
  command -v "$tool" >/dev/null || { echo "needs $tool (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time for the peak RSS (apt-get install time)" >&2; exit 1; }

# Settings of migrate from the environment or a migrate.toml would change what is measured.
unset MIGRATE_DATABASE_URL DATABASE_URL MIGRATE_DIR MIGRATE_HISTORY_TABLE MIGRATE_HISTORY_SCHEMA \
  MIGRATE_LOCK_WAIT MIGRATE_LOCK_TIMEOUT MIGRATE_STATEMENT_TIMEOUT MIGRATE_LOCK_RETRIES \
  MIGRATE_OUTPUT MIGRATE_LOG_LEVEL MIGRATE_SQLITE_FOREIGN_KEYS

work=$(mktemp -d "${TMPDIR:-/tmp}/migrate-bench-large.XXXXXX")
cleanup() {
  pg_cluster_stop
  if [ "${KEEP_LOGS:-}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# A copy, so that a rebuild during the benchmark cannot swap the binary between runs. Run from the
# work directory, so that no migrate.toml is picked up.
cp "$(realpath "$migrate")" "$work/migrate"
# Its PostgreSQL module, which it loads from beside itself (docs/cli.md).
cp "$(dirname "$(realpath "$migrate")")/migrate_postgres.so" "$work/"
migrate="$work/migrate"
cd "$work"

# --- files ---------------------------------------------------------------------------------------
create_sql="CREATE TABLE big (id integer PRIMARY KEY, payload text NOT NULL);"
declare -A file_bytes
for s in "${sizes[@]}"; do
  [ -d "$work/m$s" ] && continue
  mkdir "$work/m$s"
  echo "$create_sql" >"$work/m$s/V0001__create_big.up.sql"
  # The payload is 80 characters: "row 00000001 " and 67 more.
  awk -v n="$s" 'BEGIN {
    fill = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,:;"
    fill = substr(fill, 1, 67)
    for (i = 1; i <= n; i++) printf "INSERT INTO big (id, payload) VALUES (%d, '"'"'row %08d %s'"'"');\n", i, i, fill
  }' >"$work/m$s/V0002__insert_big.up.sql"
  { echo "BEGIN;"; cat "$work/m$s/V0002__insert_big.up.sql"; echo "COMMIT;"; } >"$work/wrapped$s.sql"
  file_bytes[$s]=$(stat -c %s "$work/m$s/V0002__insert_big.up.sql")
  echo "file of $s INSERTs: ${file_bytes[$s]} bytes"
done

for engine in $ENGINES; do
  case $engine in
    sqlite) ;;
    postgresql)
      echo "starting a throwaway PostgreSQL cluster..."
      pg_cluster_start
      echo "PostgreSQL $PG_VERSION, socket $PG_SOCKET_DIR, port $PG_PORT" ;;
    *) echo "unknown engine '$engine' in ENGINES (sqlite, postgresql)" >&2; exit 1 ;;
  esac
done

fresh_db() {  # ENGINE NAME: an empty database
  if [ "$1" = sqlite ]; then rm -f "$work/$2.db" "$work/$2.db-journal" "$work/$2.db-wal"
  else pg_dropdb "$2"; pg_createdb "$2"; fi
}
drop_db() {
  if [ "$1" = sqlite ]; then rm -f "$work/$2.db"; else pg_dropdb "$2"; fi
}
db_url() {  # ENGINE NAME: migrate's --db
  if [ "$1" = sqlite ]; then echo "sqlite:$work/$2.db"; else pg_url "$2"; fi
}
query() {  # ENGINE NAME SQL: one value
  if [ "$1" = sqlite ]; then sqlite3 "$work/$2.db" "$3"; else psql -X -At -v ON_ERROR_STOP=1 -d "$2" -c "$3"; fi
}
floor_load() {  # ENGINE NAME SIZE: the file in one transaction
  if [ "$1" = sqlite ]; then sqlite3 -bail "$work/$2.db" <"$work/wrapped$3.sql"
  else psql -X -q -v ON_ERROR_STOP=1 -1 -d "$2" -f "$work/m$3/V0002__insert_big.up.sql"; fi
}

# timed LOG CMD...: runs CMD (stdout and stderr to LOG) and prints "RC REAL_MS" (bash's `time`).
TIMEFORMAT='%3R'
timed() {
  local log=$1 rc=0 t; shift
  { time "$@" >"$log" 2>&1; } 2>"$work/time.out" || rc=$?
  t=$(tail -n 1 "$work/time.out")
  awk -v rc="$rc" -v t="$t" 'BEGIN { printf "%d %d\n", rc, t * 1000 + 0.5 }'
}
outcome() {  # RC MS: MS, or why there is no time
  case $1 in 0) echo "$2" ;; 124|137) echo "timeout" ;; *) echo "failed" ;; esac
}
declare -A complained
complain() {  # WHAT LOG: once per WHAT, the first lines of a failed run's output
  local key=${1//[^a-zA-Z0-9]/_}
  [ -z "${complained[$key]:-}" ] || return 0
  complained[$key]=1
  echo "  $1 failed; its output:" >&2
  head -n 15 "$2" | cut -c1-240 | sed 's/^/    /' >&2
}
median() {  # of the arguments; if any is not a number, the first such word
  local x
  for x in "$@"; do [[ "$x" =~ ^[0-9]+$ ]] || { echo "$x"; return; }; done
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%d\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
isnum() { [[ "$1" =~ ^[0-9]+$ ]]; }

# --- runs ----------------------------------------------------------------------------------------
declare -A t_m t_f rss dead
for ((rep = 1; rep <= REPS; rep++)); do
  for engine in $ENGINES; do
    for s in "${sizes[@]}"; do
      key="$engine.$s"
      if (( rep % 2 )); then order="m f"; else order="f m"; fi
      line="rep $rep/$REPS $engine $s INSERTs:"
      for side in $order; do
        if [ "$side" = f ]; then
          fresh_db "$engine" lf
          query "$engine" lf "$create_sql" >/dev/null
          read -r rc ms < <(timed "$work/floor.log" floor_load "$engine" lf "$s")
          res=$(outcome "$rc" "$ms")
          [ "$res" = "$ms" ] || complain "$engine floor $s" "$work/floor.log"
          if [ "$res" = "$ms" ] && [ "$(query "$engine" lf "SELECT count(*) FROM big")" != "$s" ]; then
            echo "WARNING: $engine floor: big does not have $s rows" >&2; res=wrong
          fi
          t_f[$key]+=" $res"; line+=" floor $res ms,"
          drop_db "$engine" lf
        elif [ -n "${dead[$key]:-}" ]; then
          t_m[$key]+=" timeout"; line+=" migrate timeout (an earlier run timed out: not run again),"
        else
          fresh_db "$engine" lm
          url=$(db_url "$engine" lm)
          if ! "$migrate" --db "$url" --dir "$work/m$s" --log-level warn apply --target 1 >"$work/setup.log" 2>&1; then
            complain "$engine migrate apply --target 1" "$work/setup.log"
            t_m[$key]+=" failed"; line+=" migrate failed (V0001),"; drop_db "$engine" lm; continue
          fi
          read -r rc ms < <(timed "$work/migrate.log" timeout "$TIMEOUT" /usr/bin/time -f '%M' -o "$work/rss" \
            "$migrate" --db "$url" --dir "$work/m$s" --log-level warn apply)
          res=$(outcome "$rc" "$ms")
          if [ "$res" = timeout ]; then
            # A larger file would not finish either.
            for s2 in "${sizes[@]}"; do [ "$s2" -lt "$s" ] || dead[$engine.$s2]=1; done
          elif [ "$res" = failed ]; then
            complain "$engine migrate apply of $s INSERTs" "$work/migrate.log"
          else
            rss[$key]+=" $(tail -n 1 "$work/rss")"
            if [ "$(query "$engine" lm "SELECT count(*) FROM big")" != "$s" ]; then
              echo "WARNING: $engine migrate: big does not have $s rows" >&2; res=wrong
            fi
          fi
          t_m[$key]+=" $res"; line+=" migrate $res ms,"
          drop_db "$engine" lm
        fi
      done
      echo "${line%,}"
    done
  done
done

# --- report --------------------------------------------------------------------------------------
engine_name() { if [ "$1" = sqlite ]; then echo "SQLite $(sqlite3 -version | cut -d' ' -f1)"; else echo "PostgreSQL ${PG_VERSION%% *}"; fi; }
fmt_ms() { if isnum "$1"; then echo "$1 ms"; else echo "$1"; fi; }
ratio() {  # A B -> A/B
  awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.2fx", a / b; else print "n/a" }'
}
per_stmt() {  # MS COUNT -> microseconds per statement
  if isnum "$1"; then awk -v ms="$1" -v n="$2" 'BEGIN { printf "%.1f us", ms * 1000 / n }'; else echo "-"; fi
}
declare -A mm mf mr
for engine in $ENGINES; do
  for s in "${sizes[@]}"; do
    key="$engine.$s"
    mm[$key]=$(median ${t_m[$key]}); mf[$key]=$(median ${t_f[$key]})
    if [ -n "${rss[$key]:-}" ]; then mr[$key]=$(median ${rss[$key]}); else mr[$key]="-"; fi
  done
done

echo
echo "### One large migration file ($(date -u +%F), $(nproc) cores, medians of $REPS runs)"
echo
echo "| engine | INSERTs | file | migrate | floor | ratio | migrate per statement | floor per statement | migrate peak RSS | RSS / file |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for engine in $ENGINES; do
  for s in "${sizes[@]}"; do
    key="$engine.$s"
    mb=$(awk -v b="${file_bytes[$s]}" 'BEGIN { printf "%.1f MB", b / 1e6 }')
    if isnum "${mr[$key]}"; then
      rss_txt=$(awk -v k="${mr[$key]}" 'BEGIN { printf "%.1f MB", k * 1024 / 1e6 }')
      rss_ratio=$(awk -v k="${mr[$key]}" -v b="${file_bytes[$s]}" 'BEGIN { printf "%.2fx", k * 1024 / b }')
    else rss_txt="-"; rss_ratio="-"; fi
    echo "| $(engine_name "$engine") | $s | $mb | $(fmt_ms "${mm[$key]}") | $(fmt_ms "${mf[$key]}") | $(ratio "${mm[$key]}" "${mf[$key]}") | $(per_stmt "${mm[$key]}" "$s") | $(per_stmt "${mf[$key]}" "$s") | $rss_txt | $rss_ratio |"
  done
done
echo
echo "floor: sqlite3 db < file wrapped in BEGIN/COMMIT; psql -1 -f file. Both start with big created."

check() {  # OK? TEXT
  case $1 in 1) echo "  met    $2" ;; 0) echo "  MISSED $2" ;; *) echo "  n/a    $2" ;; esac
}
failed_word() { [ "$1" = timeout ] || [ "$1" = failed ] || [ "$1" = wrong ]; }
echo
echo "goals:"
for engine in $ENGINES; do
  en=$(engine_name "$engine")
  for s in "${sizes[@]}"; do
    key="$engine.$s"
    if isnum "${mm[$key]}" && isnum "${mf[$key]}"; then
      ok=$(awk -v a="${mm[$key]}" -v b="${mf[$key]}" 'BEGIN { print (b > 0 && a / b <= 2) ? 1 : 0 }')
    elif failed_word "${mm[$key]}"; then ok=0; else ok=-; fi
    check "$ok" "$en, $s INSERTs: migrate <= 2x floor: $(ratio "${mm[$key]}" "${mf[$key]}") ($(fmt_ms "${mm[$key]}") vs $(fmt_ms "${mf[$key]}"))"
  done
  small="$engine.$SMALL"; large="$engine.$LARGE"
  if isnum "${mm[$small]}" && isnum "${mm[$large]}"; then
    growth=$(awk -v a="${mm[$large]}" -v na="$LARGE" -v b="${mm[$small]}" -v nb="$SMALL" 'BEGIN { printf "%.2f", (b > 0) ? (a / na) / (b / nb) : 0 }')
    ok=$(awk -v g="$growth" 'BEGIN { print (g > 0 && g <= 1.3) ? 1 : 0 }')
  else
    growth="n/a"; if failed_word "${mm[$large]}"; then ok=0; else ok=-; fi
  fi
  fgrowth="n/a"
  if isnum "${mf[$small]}" && isnum "${mf[$large]}"; then
    fgrowth=$(awk -v a="${mf[$large]}" -v na="$LARGE" -v b="${mf[$small]}" -v nb="$SMALL" 'BEGIN { printf "%.2f", (b > 0) ? (a / na) / (b / nb) : 0 }')
  fi
  check "$ok" "$en: time linear in size: per statement, $LARGE vs $SMALL INSERTs: ${growth}x (linear: <= 1.3x; quadratic: about $((LARGE / SMALL))x; the floor: ${fgrowth}x)"
  if isnum "${mr[$large]}"; then
    ok=$(awk -v k="${mr[$large]}" -v b="${file_bytes[$LARGE]}" 'BEGIN { print (k * 1024 <= 3 * b) ? 1 : 0 }')
    rtxt=$(awk -v k="${mr[$large]}" -v b="${file_bytes[$LARGE]}" 'BEGIN { printf "%.2fx", k * 1024 / b }')
  else
    rtxt="n/a (${mm[$large]})"; if failed_word "${mm[$large]}"; then ok=0; else ok=-; fi
  fi
  check "$ok" "$en: migrate's peak RSS <= 3x the file size, $LARGE INSERTs: $rtxt"
  if isnum "${mr[$large]}" && isnum "${mr[$small]}"; then
    echo "         (RSS growth from $SMALL to $LARGE INSERTs: $(awk -v a="${mr[$large]}" -v b="${mr[$small]}" \
      -v fa="${file_bytes[$LARGE]}" -v fb="${file_bytes[$SMALL]}" 'BEGIN { printf "%.2f", (a - b) * 1024 / (fa - fb) }') bytes per byte of file added)"
  fi
done
