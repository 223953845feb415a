#!/usr/bin/env bash
# What migrate's runner costs per migration, on SQLite and PostgreSQL, against the floor measured
# in the same run: the database's own shell running the same files, one transaction and one
# history row per migration.
#
# It writes N trivial migrations (V0001__t1 ... : up `CREATE TABLE tK (id integer PRIMARY KEY,
# v text); INSERT INTO tK VALUES (1, 'x');`, down `DROP TABLE tK;`) and measures, alternating
# migrate and floor runs (the one that goes first alternates too), REPS times, reporting medians:
#   - apply of all N:       migrate apply                 vs the floor: one sqlite3 / psql process
#     running a script of `BEGIN; <up file>; INSERT INTO hist ...; COMMIT;` per migration;
#   - rollback of all N:    migrate rollback --target 0   vs the floor running the down files the
#     same way, newest first;
#   - status with N applied: migrate status, median wall time of STATUS_RUNS runs (and
#     `dbmate status` on the same migrations when dbmate is on PATH);
#   - CPU time (user + sys) of migrate apply on SQLite at several N, per migration, to show
#     whether it grows linearly.
# Every time is wall-clock milliseconds around the whole command (process start included).
#
# Usage: bench/runners.sh [MIGRATE_BINARY]
#   Default binary: build-rel/cli/migrate of this repository; when it is missing, the script
#   builds it (BUILD_TYPE=Release BUILD_DIR=build-rel scripts/build.sh).
#   PostgreSQL runs in a throwaway cluster of the script's own (initdb + pg_ctl from PG_BIN,
#   default /usr/lib/postgresql/15/bin; a private socket directory, no TCP), removed on exit.
#   As root the server runs as the postgres user.
# Environment:
#   QUICK=1        smoke run: N=100, CPU at 50/100/200, REPS=3, STATUS_RUNS=10
#   N=1000  REPS=5  STATUS_RUNS=20  CPU_NS="500 1000 2000"  TIMEOUT=600 (seconds per migrate run)
#   ENGINES="sqlite postgresql"    only some engines
#   TMPDIR         where databases, files and the cluster go (the server user must reach it)
#   KEEP_LOGS=1    keep the work directory and print where it is
set -euo pipefail
self=$(realpath "$0")
# A binary given as an argument is relative to the directory the script was started from.
if [ $# -gt 0 ]; then migrate=$(realpath -m "$1"); else migrate=""; fi
cd "$(dirname "$self")/.."
source bench/lib/pg_cluster.sh

if [ "${QUICK:-}" = 1 ]; then
  N=${N:-100}; REPS=${REPS:-3}; STATUS_RUNS=${STATUS_RUNS:-10}; CPU_NS=${CPU_NS:-"50 100 200"}
else
  N=${N:-1000}; REPS=${REPS:-5}; STATUS_RUNS=${STATUS_RUNS:-20}; CPU_NS=${CPU_NS:-"500 1000 2000"}
fi
TIMEOUT=${TIMEOUT:-600}
ENGINES=${ENGINES:-"sqlite postgresql"}

if [ -z "$migrate" ]; then
  migrate=build-rel/cli/migrate
  [ -x "$migrate" ] || {
    echo "no $migrate: building a Release build into build-rel (scripts/build.sh)..." >&2
    BUILD_TYPE=Release BUILD_DIR=build-rel scripts/build.sh >&2; }
fi
[ -x "$migrate" ] || { echo "no migrate binary at $migrate" >&2; exit 1; }
migrate=$(realpath "$migrate")
for tool in sqlite3 psql timeout awk; do
  command -v "$tool" >/dev/null || { echo "needs $tool (scripts/install-deps.sh)" >&2; exit 1; }
done
dbmate=$(command -v dbmate || true)

# Settings of migrate from the environment or a migrate.toml would change what is measured.
unset MIGRATE_DATABASE_URL DATABASE_URL MIGRATE_DIR MIGRATE_HISTORY_TABLE MIGRATE_HISTORY_SCHEMA \
  MIGRATE_LOCK_WAIT MIGRATE_LOCK_TIMEOUT MIGRATE_STATEMENT_TIMEOUT MIGRATE_LOCK_RETRIES \
  MIGRATE_OUTPUT MIGRATE_LOG_LEVEL MIGRATE_SQLITE_FOREIGN_KEYS

work=$(mktemp -d "${TMPDIR:-/tmp}/migrate-bench-runners.XXXXXX")
cleanup() {
  pg_cluster_stop
  if [ "${KEEP_LOGS:-}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# A copy, so that a rebuild during the benchmark cannot swap the binary between runs. Run from the
# work directory, so that no migrate.toml is picked up. Its PostgreSQL module comes along: it is
# loaded from beside the binary (docs/cli.md).
cp "$migrate" "$work/migrate"
cp "$(dirname "$(realpath "$migrate")")/migrate_postgres.so" "$work/"
migrate="$work/migrate"
cd "$work"

# --- files ---------------------------------------------------------------------------------------
# gen_migrations DIR COUNT: V0001__t1.up.sql / .down.sql ... (and DIR.dbmate/ for dbmate)
gen_migrations() {
  local dir=$1 count=$2 i v
  mkdir -p "$dir"
  for ((i = 1; i <= count; i++)); do
    printf -v v '%04d' "$i"
    printf 'CREATE TABLE t%d (id integer PRIMARY KEY, v text);\nINSERT INTO t%d VALUES (1, '"'x'"');\n' \
      "$i" "$i" >"$dir/V${v}__t$i.up.sql"
    printf 'DROP TABLE t%d;\n' "$i" >"$dir/V${v}__t$i.down.sql"
  done
}
# gen_floor DIR ENGINE up|down > script: one transaction and one history row per migration.
gen_floor() {
  local dir=$1 engine=$2 direction=$3 i v include
  if [ "$engine" = sqlite ]; then
    include=".read"
    echo ".bail on"
    echo "CREATE TABLE IF NOT EXISTS hist (id INTEGER PRIMARY KEY, version INTEGER NOT NULL, name TEXT NOT NULL, direction TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);"
  else
    include="\\i"
    echo "\\set ON_ERROR_STOP 1"
    echo "SET client_min_messages = warning;"
    echo "CREATE TABLE IF NOT EXISTS hist (id bigserial PRIMARY KEY, version bigint NOT NULL, name text NOT NULL, direction text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());"
  fi
  local versions
  if [ "$direction" = up ]; then versions=$(seq 1 "$N"); else versions=$(seq "$N" -1 1); fi
  for i in $versions; do
    printf -v v '%04d' "$i"
    echo "BEGIN;"
    echo "$include $dir/V${v}__t$i.$direction.sql"
    echo "INSERT INTO hist (version, name, direction) VALUES ($i, 't$i', '$direction');"
    echo "COMMIT;"
  done
}

echo "generating $N migrations (and ${CPU_NS// /, } for the CPU runs)..."
gen_migrations "$work/m$N" "$N"
for n in $CPU_NS; do [ -d "$work/m$n" ] || gen_migrations "$work/m$n" "$n"; done
for engine in $ENGINES; do
  gen_floor "$work/m$N" "$engine" up >"$work/floor_up.$engine.sql"
  gen_floor "$work/m$N" "$engine" down >"$work/floor_down.$engine.sql"
done

# --- engines -------------------------------------------------------------------------------------
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
dbmate_url() {
  if [ "$1" = sqlite ]; then echo "sqlite:$work/$2.db"
  else echo "postgres://$PG_USER@/$2?socket=$PG_SOCKET_DIR&port=$PG_PORT&sslmode=disable"; fi
}
query() {  # ENGINE NAME SQL: one value
  if [ "$1" = sqlite ]; then sqlite3 "$work/$2.db" "$3"; else psql -X -At -v ON_ERROR_STOP=1 -d "$2" -c "$3"; fi
}
count_tables() {  # ENGINE NAME: the number of tables tK
  if [ "$1" = sqlite ]; then
    query "$1" "$2" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name GLOB 't[0-9]*'"
  else
    query "$1" "$2" "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^t[0-9]+\$'"
  fi
}
floor_run() {  # ENGINE NAME SCRIPT
  if [ "$1" = sqlite ]; then sqlite3 -bail "$work/$2.db" <"$3"
  else psql -X -q -v ON_ERROR_STOP=1 -d "$2" -f "$3"; fi
}

# timed LOG CMD...: runs CMD (stdout and stderr to LOG) and prints "RC REAL_MS CPU_MS", CPU being
# user + sys of the command and its children (bash's `time`, millisecond resolution).
TIMEFORMAT='%3R %3U %3S'
timed() {
  local log=$1 rc=0 t; shift
  { time "$@" >"$log" 2>&1; } 2>"$work/time.out" || rc=$?
  t=$(tail -n 1 "$work/time.out")
  awk -v rc="$rc" -v t="$t" 'BEGIN { split(t, a, " "); printf "%d %d %d\n", rc, a[1] * 1000 + 0.5, (a[2] + a[3]) * 1000 + 0.5 }'
}
# outcome RC MS: MS, or why there is no time
outcome() {
  case $1 in 0) echo "$2" ;; 124|137) echo "timeout" ;; *) echo "failed" ;; esac
}
complain() {  # WHAT LOG: once per WHAT, the first lines of a failed run's output
  local key=${1//[^a-zA-Z0-9]/_}
  [ -z "${complained[$key]:-}" ] || return 0
  complained[$key]=1
  echo "  $1 failed; its output:" >&2
  head -n 15 "$2" | cut -c1-240 | sed 's/^/    /' >&2
}
declare -A complained

# median of the arguments; if any is not a number, the first such word (timeout, failed, ...)
median() {
  local x
  for x in "$@"; do [[ "$x" =~ ^[0-9]+$ ]] || { echo "$x"; return; }; done
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%d\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() {  # A B -> A/B with 2 decimals, or n/a
  awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.2fx", a / b; else print "n/a" }'
}

# --- apply and rollback, interleaved -------------------------------------------------------------
declare -A apply_m apply_f roll_m roll_f migrate_dead
mlog() { echo "$work/$1.log"; }
for ((rep = 1; rep <= REPS; rep++)); do
  for engine in $ENGINES; do
    fresh_db "$engine" bm; fresh_db "$engine" bf
    if (( rep % 2 )); then order="m f"; else order="f m"; fi
    line="rep $rep/$REPS $engine:"
    for phase in apply rollback; do
      for side in $order; do
        if [ "$side" = f ]; then
          if [ "$phase" = apply ]; then script=$work/floor_up.$engine.sql; want=$N; else script=$work/floor_down.$engine.sql; want=0; fi
          read -r rc ms _ < <(timed "$(mlog floor)" floor_run "$engine" bf "$script")
          res=$(outcome "$rc" "$ms")
          [ "$res" = "$ms" ] || complain "$engine floor $phase" "$(mlog floor)"
          if [ "$res" = "$ms" ] && [ "$(count_tables "$engine" bf)" != "$want" ]; then
            echo "WARNING: $engine floor $phase left $(count_tables "$engine" bf) tables, expected $want" >&2; res=wrong
          fi
          if [ "$phase" = apply ]; then apply_f[$engine]+=" $res"; else roll_f[$engine]+=" $res"; fi
          line+=" floor $phase $res ms,"
        else
          if [ -n "${migrate_dead[$engine]:-}" ]; then
            # An earlier apply timed out: don't wait for it again.
            if [ "$phase" = apply ]; then res=timeout; else res="n/a"; fi
          elif [ "$phase" = rollback ] && ! [[ "${last_apply:-}" =~ ^[0-9]+$ ]]; then
            res="n/a"                   # nothing (or not everything) to roll back
          else
            if [ "$phase" = apply ]; then args=(apply); want=$N; else args=(rollback --target 0 --yes); want=0; fi
            read -r rc ms _ < <(timed "$(mlog migrate)" timeout "$TIMEOUT" "$migrate" --db "$(db_url "$engine" bm)" \
              --dir "$work/m$N" --log-level warn "${args[@]}")
            res=$(outcome "$rc" "$ms")
            [ "$res" != timeout ] || migrate_dead[$engine]=timeout
            [ "$res" = "$ms" ] || [ "$res" = timeout ] || complain "$engine migrate $phase" "$(mlog migrate)"
            if [ "$res" = "$ms" ] && [ "$(count_tables "$engine" bm)" != "$want" ]; then
              echo "WARNING: $engine migrate $phase left $(count_tables "$engine" bm) tables, expected $want" >&2; res=wrong
            fi
          fi
          if [ "$phase" = apply ]; then apply_m[$engine]+=" $res"; last_apply=$res; else roll_m[$engine]+=" $res"; fi
          line+=" migrate $phase $res ms,"
        fi
      done
    done
    echo "${line%,}"
    drop_db "$engine" bm; drop_db "$engine" bf
  done
done

# --- status --------------------------------------------------------------------------------------
declare -A status_m status_d
gen_dbmate() {  # DIR COUNT: the same migrations in dbmate's format
  local dir=$1 i
  mkdir -p "$dir"
  for ((i = 1; i <= $2; i++)); do
    printf -- '-- migrate:up\nCREATE TABLE t%d (id integer PRIMARY KEY, v text);\nINSERT INTO t%d VALUES (1, '"'x'"');\n\n-- migrate:down\nDROP TABLE t%d;\n' \
      "$i" "$i" "$i" >"$dir/$(printf '%04d' "$i")_t$i.sql"
  done
}
[ -z "$dbmate" ] || gen_dbmate "$work/dbmate$N" "$N"
for engine in $ENGINES; do
  if [ -n "${migrate_dead[$engine]:-}" ]; then
    status_m[$engine]="n/a"; echo "$engine status: skipped, migrate apply timed out"
  else
    fresh_db "$engine" bs
    read -r rc ms _ < <(timed "$(mlog status_setup)" timeout "$TIMEOUT" "$migrate" --db "$(db_url "$engine" bs)" \
      --dir "$work/m$N" --log-level warn apply)
    if [ "$rc" -ne 0 ]; then
      status_m[$engine]=$(outcome "$rc" "$ms"); complain "$engine migrate apply (for status)" "$(mlog status_setup)"
    fi
  fi
  dbmate_ok=""
  if [ -n "$dbmate" ]; then
    fresh_db "$engine" bd
    read -r rc ms _ < <(timed "$(mlog dbmate_setup)" timeout "$TIMEOUT" "$dbmate" --url "$(dbmate_url "$engine" bd)" \
      --migrations-dir "$work/dbmate$N" --no-dump-schema up)
    if [ "$rc" -eq 0 ]; then dbmate_ok=1; else status_d[$engine]=$(outcome "$rc" "$ms"); complain "$engine dbmate up" "$(mlog dbmate_setup)"; fi
  fi
  ms_m=(); ms_d=()
  for ((i = 1; i <= STATUS_RUNS; i++)); do
    if [ -z "${status_m[$engine]:-}" ]; then
      read -r rc ms _ < <(timed "$(mlog status)" timeout 60 "$migrate" --db "$(db_url "$engine" bs)" \
        --dir "$work/m$N" --log-level warn status)
      if [ "$rc" -ne 0 ]; then status_m[$engine]=$(outcome "$rc" "$ms"); complain "$engine migrate status" "$(mlog status)"
      elif [ "$i" -eq 1 ] && ! grep -q "^$N applied, 0 pending" "$(mlog status)"; then
        echo "WARNING: $engine: migrate status does not say '$N applied, 0 pending': $(tail -n 1 "$(mlog status)")" >&2
        status_m[$engine]=wrong
      else ms_m+=("$ms"); fi
    fi
    if [ -n "$dbmate_ok" ]; then
      read -r rc ms _ < <(timed "$(mlog dbmate_status)" timeout 60 "$dbmate" --url "$(dbmate_url "$engine" bd)" \
        --migrations-dir "$work/dbmate$N" status)
      if [ "$rc" -ne 0 ]; then status_d[$engine]=$(outcome "$rc" "$ms"); dbmate_ok=""; complain "$engine dbmate status" "$(mlog dbmate_status)"
      else ms_d+=("$ms"); fi
    fi
  done
  [ -n "${status_m[$engine]:-}" ] || status_m[$engine]=$(median "${ms_m[@]}")
  if [ -z "$dbmate" ]; then status_d[$engine]="-"
  elif [ -z "${status_d[$engine]:-}" ]; then status_d[$engine]=$(median "${ms_d[@]}"); fi
  echo "$engine status, $STATUS_RUNS runs: migrate ${status_m[$engine]} ms${dbmate:+, dbmate ${status_d[$engine]} ms}"
  drop_db "$engine" bs; [ -z "$dbmate" ] || drop_db "$engine" bd
done

# --- CPU of SQLite apply at several N ------------------------------------------------------------
declare -A cpu
cpu_ns=()
if [[ " $ENGINES " == *" sqlite "* ]]; then
  read -ra cpu_ns <<<"$CPU_NS"
  declare -A cpu_runs cpu_dead
  for ((rep = 1; rep <= REPS; rep++)); do
    line="rep $rep/$REPS sqlite apply CPU:"
    for n in "${cpu_ns[@]}"; do
      if [ -n "${cpu_dead[$n]:-}" ]; then res=${cpu_dead[$n]}
      else
        fresh_db sqlite bc
        read -r rc ms cpu_ms < <(timed "$(mlog cpu)" timeout "$TIMEOUT" "$migrate" --db "$(db_url sqlite bc)" \
          --dir "$work/m$n" --log-level warn apply)
        res=$(outcome "$rc" "$cpu_ms")
        if [ "$res" = timeout ]; then
          for m in "${cpu_ns[@]}"; do [ "$m" -lt "$n" ] || cpu_dead[$m]=timeout; done  # larger N: no better
        elif [ "$res" = failed ]; then complain "sqlite migrate apply of $n" "$(mlog cpu)"; fi
        drop_db sqlite bc
      fi
      cpu_runs[$n]+=" $res"
      line+=" N=$n ${res} ms,"
    done
    echo "${line%,}"
  done
  for n in "${cpu_ns[@]}"; do cpu[$n]=$(median ${cpu_runs[$n]}); done
fi

# --- report --------------------------------------------------------------------------------------
engine_name() { if [ "$1" = sqlite ]; then echo "SQLite $(sqlite3 -version | cut -d' ' -f1)"; else echo "PostgreSQL ${PG_VERSION%% *}"; fi; }
declare -A med_am med_af med_rm med_rf
for engine in $ENGINES; do
  med_am[$engine]=$(median ${apply_m[$engine]}); med_af[$engine]=$(median ${apply_f[$engine]})
  med_rm[$engine]=$(median ${roll_m[$engine]}); med_rf[$engine]=$(median ${roll_f[$engine]})
done
fmt_ms() { if [[ "$1" =~ ^[0-9]+$ ]]; then echo "$1 ms"; else echo "$1"; fi; }

echo
echo "### Runner overhead ($(date -u +%F), $(nproc) cores, N=$N, medians of $REPS runs)"
echo
echo "| figure | migrate | floor | ratio |"
echo "|---|---|---|---|"
for engine in $ENGINES; do
  en=$(engine_name "$engine")
  echo "| $en: apply $N | $(fmt_ms "${med_am[$engine]}") | $(fmt_ms "${med_af[$engine]}") | $(ratio "${med_am[$engine]}" "${med_af[$engine]}") |"
  echo "| $en: rollback $N | $(fmt_ms "${med_rm[$engine]}") | $(fmt_ms "${med_rf[$engine]}") | $(ratio "${med_rm[$engine]}" "${med_rf[$engine]}") |"
  if [ -n "$dbmate" ]; then
    echo "| $en: status, $N applied (floor: dbmate status) | $(fmt_ms "${status_m[$engine]}") | $(fmt_ms "${status_d[$engine]}") | $(ratio "${status_m[$engine]}" "${status_d[$engine]}") |"
  else
    echo "| $en: status, $N applied | $(fmt_ms "${status_m[$engine]}") | - | - |"
  fi
done
echo
echo "floor: one sqlite3 / psql process running every file in its own BEGIN/COMMIT with one INSERT"
if [ -n "$dbmate" ]; then dbmate_note="dbmate status: $dbmate ($("$dbmate" --version 2>/dev/null | head -n 1))"
else dbmate_note="dbmate not on PATH, not compared"; fi
echo "into a history table; status: median of $STATUS_RUNS runs; $dbmate_note"

if [ "${#cpu_ns[@]}" -gt 0 ]; then
  echo
  echo "CPU time (user + sys) of migrate apply on SQLite, median of $REPS runs:"
  echo
  echo "| N | CPU | per migration | per migration vs N=${cpu_ns[0]} |"
  echo "|---|---|---|---|"
  base=""
  for n in "${cpu_ns[@]}"; do
    c=${cpu[$n]}
    if [[ "$c" =~ ^[0-9]+$ ]]; then
      per=$(awk -v c="$c" -v n="$n" 'BEGIN { printf "%.3f", c / n }')
      [ -n "$base" ] || base=$per
      echo "| $n | $c ms | $per ms | $(ratio "$per" "$base") |"
    else
      echo "| $n | $c | - | - |"
    fi
  done
fi

check() {  # OK? TEXT
  case $1 in 1) echo "  met    $2" ;; 0) echo "  MISSED $2" ;; *) echo "  n/a    $2" ;; esac
}
within() {  # A B LIMIT: 1 if A/B <= LIMIT, 0 if not, "-" if no numbers
  awk -v a="$1" -v b="$2" -v l="$3" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0) print (a / b <= l) ? 1 : 0; else if (a == "timeout" || a == "failed" || a == "wrong") print 0; else print "-" }'
}
echo
echo "goals:"
for engine in $ENGINES; do
  en=$(engine_name "$engine")
  check "$(within "${med_am[$engine]}" "${med_af[$engine]}" 1.2)" "$en: apply <= 1.2x floor: $(ratio "${med_am[$engine]}" "${med_af[$engine]}") (${med_am[$engine]} vs ${med_af[$engine]})"
  check "$(within "${med_rm[$engine]}" "${med_rf[$engine]}" 1.2)" "$en: rollback <= 1.2x floor: $(ratio "${med_rm[$engine]}" "${med_rf[$engine]}") (${med_rm[$engine]} vs ${med_rf[$engine]})"
  check "$(within "${status_m[$engine]}" 1 20)" "$en: status <= 20 ms: $(fmt_ms "${status_m[$engine]}")"
done
if [ "${#cpu_ns[@]}" -gt 1 ]; then
  first=${cpu_ns[0]}; last=${cpu_ns[${#cpu_ns[@]} - 1]}
  if [[ "${cpu[$first]}" =~ ^[0-9]+$ ]] && [[ "${cpu[$last]}" =~ ^[0-9]+$ ]]; then
    growth=$(awk -v a="${cpu[$last]}" -v na="$last" -v b="${cpu[$first]}" -v nb="$first" 'BEGIN { printf "%.2f", (b > 0) ? (a / na) / (b / nb) : 0 }')
    ok=$(awk -v g="$growth" 'BEGIN { print (g > 0 && g <= 1.3) ? 1 : 0 }')
  else
    growth="n/a"; ok=$( [ "${cpu[$last]}" = timeout ] && echo 0 || echo -)
  fi
  check "$ok" "SQLite apply CPU linear in N: CPU per migration at N=$last is ${growth}x that at N=$first (linear: <= 1.3x; quadratic: about $((last / first))x)"
fi
