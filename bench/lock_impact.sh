#!/usr/bin/env bash
# What a blocked ALTER TABLE does to live traffic on PostgreSQL, naive psql against migrate apply.
# A 1M-row table t serves a rate-limited pgbench workload (primary-key read + update, 1000 tx/s);
# a blocker session holds ACCESS SHARE on t for 6 s; 0.5 s into that hold the same
# `ALTER TABLE t ADD COLUMN cN int` is run four ways:
#   (a) psql, no lock_timeout: it queues behind the blocker and every workload query queues
#       behind it, for the rest of the hold;
#   (b) migrate apply with default settings: lock-queue avoidance sees the blocker in pg_locks
#       and waits outside the queue, then sends the ALTER once the blocker is gone;
#   (c) migrate apply --no-queue-avoidance (lock_timeout 500ms): the ALTER queues for up to
#       lock_timeout, rolls back and retries with backoff until the blocker is gone;
#   (d) migrate apply with default settings against a blocker that never ends: the run must stop
#       with LOCK_TIMEOUT after its wait budget (about 41 s with the defaults), the workload
#       never having stalled. Its workload runs for the budget plus a few seconds.
# For each run it reads pgbench's per-transaction logs (-l) and prints the worst latency, the
# p99 and the number of transactions over 1 s, and whether the ALTER succeeded.
#
# Usage: bench/lock_impact.sh [MIGRATE_BINARY]   (default: build/cli/migrate of this repository)
# Without PGHOST it runs itself inside a throwaway cluster: pg_virtualenv -t -v 15 (Debian's
# postgresql-common; apt-get install postgresql-15 postgresql-common). With PGHOST (and
# PGPORT/PGUSER/PGPASSWORD) set it uses that server, which must be on this machine; it creates
# and finally drops a database named migrate_lock_impact there.
# KEEP_LOGS=1 keeps the pgbench logs and migrate's output (the directory is printed at the end).
set -euo pipefail
self=$(realpath "$0")
migrate=${1:-$(dirname "$self")/../build/cli/migrate}
[ -x "$migrate" ] || { echo "no migrate binary at $migrate: build first (scripts/build.sh)" >&2; exit 1; }
migrate=$(realpath "$migrate")
cd "$(dirname "$self")/.."
for tool in psql pgbench awk timeout; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install postgresql-client-15)" >&2; exit 1; }
done

args=("$migrate")
# shellcheck source=bench/lib/local_postgres.sh
source bench/lib/local_postgres.sh

ROWS=1000000
RATE=1000          # pgbench -R, transactions per second over all clients
CLIENTS=4
THREADS=2
DURATION=12        # seconds of workload per run, (d) aside
ENDLESS_DURATION=48  # (d): the default wait budget (41.1 s) after the ALTER starts, plus margin
WARMUP=2           # seconds of workload before the blocker starts
HOLD=6             # seconds the blocker holds ACCESS SHARE on t
ALTER_DELAY=0.5    # seconds between the blocker's start and the ALTER
db=migrate_lock_impact

source "$(dirname "$self")/lib/bench_session.sh"

# --- the database, the table and the workload -----------------------------------------------------
drop_db
PGDATABASE=postgres createdb "$db"
server_version=$(q -c "SHOW server_version")
echo "server: PostgreSQL $server_version at ${PGHOST}:${PGPORT:-5432}; filling t with $ROWS rows..."
t0=$(now_ms)
q <<SQL
CREATE TABLE t (id int NOT NULL, v int NOT NULL DEFAULT 0);
INSERT INTO t (id) SELECT generate_series(1, $ROWS);
ALTER TABLE t ADD PRIMARY KEY (id);
VACUUM ANALYZE t;
SQL
echo "filled in $(( $(now_ms) - t0 )) ms"

cat >"$work/workload.sql" <<'SQL'
\set id random(1, 1000000)
SELECT v FROM t WHERE id = :id;
UPDATE t SET v = v + 1 WHERE id = :id;
SQL
blocker_sql() { echo "BEGIN; SELECT 1 FROM t LIMIT 1; SELECT pg_sleep($1); COMMIT;"; }

# --- one run ----------------------------------------------------------------------------------------
# run_case NAME COLUMN naive|migrate|endless [MIGRATE_APPLY_OPTION...]
# endless: migrate against a blocker that holds its lock until migrate has given up.
# Leaves in $work/NAME: pgbench logs, alter.log (psql's or migrate's output), alter.rc ("EXIT MS").
run_case() {
  local name=$1 col=$2 kind=$3; shift 3
  local duration=$DURATION hold=$HOLD
  if [ "$kind" = endless ]; then duration=$ENDLESS_DURATION; hold=600; fi
  local dir="$work/$name"
  mkdir -p "$dir"
  q -c "CHECKPOINT" 2>/dev/null || true  # needs superuser or pg_checkpoint; only for steadier runs
  if [ "$kind" != naive ]; then
    mkdir "$dir/migrations"
    echo "ALTER TABLE t ADD COLUMN $col int;" >"$dir/migrations/V001__add_column.up.sql"
  fi

  PGDATABASE=$db pgbench -n -f "$work/workload.sql" -R "$RATE" -c "$CLIENTS" -j "$THREADS" \
    -T "$duration" -l --log-prefix "$dir/pgbench_log" >"$dir/pgbench.out" 2>&1 &
  local bench=$!; pids+=("$bench")
  sleep "$WARMUP"

  PGAPPNAME=lock_impact_blocker q -f - <<<"$(blocker_sql "$hold")" >"$dir/blocker.log" 2>&1 &
  local blocker=$!; pids+=("$blocker")
  sleep "$ALTER_DELAY"

  if [ "$kind" = naive ]; then
    ( t0=$(now_ms); rc=0
      PGAPPNAME=lock_impact_naive timeout 60 psql -X -q -v ON_ERROR_STOP=1 -d "$db" \
        -c "SET lock_timeout = 0" -c "SET statement_timeout = 0" \
        -c "ALTER TABLE t ADD COLUMN $col int" >"$dir/alter.log" 2>&1 || rc=$?
      echo "$rc $(( $(now_ms) - t0 ))" >"$dir/alter.rc" ) &
  else
    # Run from the work directory so no migrate.toml is picked up; a history table per run, since
    # each run's V001 is a different file (--new-history: the earlier run's table is not a typo).
    ( cd "$dir"; t0=$(now_ms); rc=0
      timeout 120 "$migrate" --db "dbname=$db" --dir "$dir/migrations" \
        --history-table "lock_impact_history_$name" apply --new-history "$@" --log-level info \
        >"$dir/alter.log" 2>&1 || rc=$?
      echo "$rc $(( $(now_ms) - t0 ))" >"$dir/alter.rc" ) &
  fi
  local alter=$!; pids+=("$alter")

  # The blocker must hold its lock while the ALTER waits (it took it 0.5 s ago, keeps it 5.5 s).
  local held
  held=$(q -c "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                WHERE a.application_name = 'lock_impact_blocker' AND a.datname = current_database()
                  AND l.relation = 't'::regclass AND l.mode = 'AccessShareLock' AND l.granted")
  [ "$held" = 1 ] || echo "WARNING: $name: the blocker did not hold ACCESS SHARE on t when the ALTER started" >&2

  local rc=0
  wait "$alter" || true
  if [ "$kind" = endless ]; then
    # migrate has given up (or failed): the blocker has done its part.
    q -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
          WHERE application_name = 'lock_impact_blocker' AND datname = current_database()" >/dev/null
    wait "$blocker" || true
  else
    wait "$blocker" || echo "WARNING: $name: the blocker session failed: $(head -c 300 "$dir/blocker.log")" >&2
  fi
  wait "$bench" || rc=$?
  pids=()
  [ "$rc" -eq 0 ] || echo "WARNING: $name: pgbench exited $rc: $(grep -i -m3 'abort\|error\|fail' "$dir/pgbench.out")" >&2
}

# stats NAME -> "transactions worst_ms p99_ms over_1s not_completed worst_in_db_ms" from the
# pgbench logs. Field 3 of a log line is the transaction's latency in microseconds; under -R
# pgbench counts it from the transaction's scheduled start, so it includes the schedule lag
# (field 7) that a client builds up while it waits: the latency a user arriving on schedule sees.
# worst_in_db is the largest field 3 - field 7: the time from the actual start to the end.
# A non-number in field 3 ("failed", "skipped") is a transaction that did not complete.
stats() {
  local dir="$work/$1"
  cat "$dir"/pgbench_log.* | awk '$3 ~ /^[0-9]+$/ { print $3 }' | sort -n >"$dir/latencies"
  local bad in_db
  bad=$(cat "$dir"/pgbench_log.* | awk '$3 !~ /^[0-9]+$/' | wc -l)
  in_db=$(cat "$dir"/pgbench_log.* |
    awk '$3 ~ /^[0-9]+$/ { d = $3 - $7; if (d > m) m = d } END { printf "%.1f", m / 1000 }')
  awk -v bad="$bad" -v in_db="$in_db" '
    { v[NR] = $1; if ($1 > 1000000) slow++ }
    END {
      n = NR; if (n == 0) { print 0, "n/a", "n/a", 0, bad, "n/a"; exit }
      r = int(0.99 * n); if (r < 0.99 * n) r++   # nearest rank
      printf "%d %.1f %.1f %d %d %s\n", n, v[n] / 1000, v[r] / 1000, slow + 0, bad, in_db
    }' "$dir/latencies"
}

# alter_result NAME COLUMN -> "ok" or "FAILED (...)": exit 0 and the column is there.
alter_result() {
  local rc ms has
  read -r rc ms <"$work/$1/alter.rc"
  has=$(q -c "SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = '$2' AND NOT attisdropped")
  if [ "$rc" -eq 0 ] && [ "$has" = 1 ]; then echo "ok"; else echo "FAILED (exit $rc)"; fi
}

cases=(naive default queue endless)
declare -A label col
label[naive]="(a) psql, no lock_timeout";                          col[naive]=c1
label[default]="(b) migrate apply, defaults";                      col[default]=c2
label[queue]="(c) migrate apply --no-queue-avoidance (500ms)";     col[queue]=c3
label[endless]="(d) migrate apply, defaults, blocker never ends";  col[endless]=c4

echo "4 runs: workload, +${WARMUP} s blocker (${HOLD} s; (d): until migrate gives up), +${ALTER_DELAY} s ALTER"
run_case naive "${col[naive]}" naive
echo "(a) done"
run_case default "${col[default]}" migrate
echo "(b) done"
run_case queue "${col[queue]}" migrate --no-queue-avoidance
echo "(c) done"
run_case endless "${col[endless]}" endless
echo "(d) done"

declare -A n worst p99 slow bad in_db result took retries rc
for c in "${cases[@]}"; do
  read -r n[$c] worst[$c] p99[$c] slow[$c] bad[$c] in_db[$c] < <(stats "$c")
  result[$c]=$(alter_result "$c" "${col[$c]}")
  read -r rc[$c] took[$c] <"$work/$c/alter.rc"
  retries[$c]=$(grep -c 'retry [0-9]*/[0-9]*' "$work/$c/alter.log" || true)
done
retries[naive]="-"
# (d) must fail: with LOCK_TIMEOUT (exit 5) after the budget, the column not added.
if [ "${rc[endless]}" -eq 5 ] && grep -q 'error\[LOCK_TIMEOUT\].*outside the lock queue' "$work/endless/alter.log" &&
   [ "${result[endless]}" != ok ]; then
  result[endless]="LOCK_TIMEOUT (expected)"
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0) printf "%.1fx", a / b; else print "n/a" }'; }
check() {  # check OK? TEXT
  if [ "$1" = 1 ]; then echo "met    $2"; else echo "MISSED $2"; fi
}
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "n/a" && a + 0 <= b + 0) ? 1 : 0 }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "n/a" && a + 0 >= b + 0) ? 1 : 0 }'; }
r_default=$(ratio "${worst[naive]}" "${worst[default]}")
r_queue=$(ratio "${worst[naive]}" "${worst[queue]}")
r_endless=$(ratio "${worst[naive]}" "${worst[endless]}")
x_default=$(awk -v a="${worst[naive]}" -v b="${worst[default]}" 'BEGIN { print (b + 0 > 0) ? a / b : 0 }')

echo
echo "### Lock impact on PostgreSQL ${server_version%% *} ($(date -u +%F), $(nproc) cores)"
echo
echo "t: $ROWS rows; workload: pgbench -R $RATE -c $CLIENTS -j $THREADS -T $DURATION, (d) -T $ENDLESS_DURATION (PK read + update);"
echo "blocker: ACCESS SHARE on t for $HOLD s ((d): until migrate gives up) from t=${WARMUP} s; ALTER TABLE t ADD COLUMN at t=$(awk -v a="$WARMUP" -v b="$ALTER_DELAY" 'BEGIN { print a + b }') s"
echo
echo "| run | ALTER | ALTER took | lock retries | transactions | worst | p99 | over 1 s | worst minus schedule lag |"
echo "|---|---|---|---|---|---|---|---|---|"
for c in "${cases[@]}"; do
  echo "| ${label[$c]} | ${result[$c]} | ${took[$c]} ms | ${retries[$c]} | ${n[$c]} | ${worst[$c]} ms | ${p99[$c]} ms | ${slow[$c]} | ${in_db[$c]} ms |"
done
echo
echo "worst latency naive/migrate: ${r_default} with defaults, ${r_queue} without queue avoidance, ${r_endless} against the endless blocker"
for c in "${cases[@]}"; do
  [ "${bad[$c]}" -eq 0 ] || echo "note: ${label[$c]}: ${bad[$c]} transaction(s) did not complete (failed/skipped in the log)"
done
echo
echo "goals:"
echo "  (a) expected to stall for the hold (worst ~5.5 s, thousands over 1 s): worst ${worst[naive]} ms, ${slow[naive]} over 1 s"
echo "  $(check "$( [ "${result[default]}" = ok ] && echo 1 || echo 0)" "(b) the ALTER applied once the blocker was gone: ${result[default]}")"
echo "  $(check "$(le "${worst[default]}" 50)" "(b) worst <= 50 ms: ${worst[default]} ms")"
echo "  $(check "$( [ "${slow[default]}" -eq 0 ] && echo 1 || echo 0)" "(b) no transaction over 1 s: ${slow[default]}")"
echo "  $(check "$(ge "$x_default" 100)" "(b) naive/migrate worst-latency ratio >= 100x: ${r_default}")"
echo "  $(check "$( [ "${result[endless]}" = "LOCK_TIMEOUT (expected)" ] && echo 1 || echo 0)" "(d) the run stopped with LOCK_TIMEOUT after its wait budget: ${result[endless]}, after ${took[endless]} ms")"
echo "  $(check "$(le "${worst[endless]}" 50)" "(d) worst <= 50 ms: ${worst[endless]} ms")"
echo "  $(check "$( [ "${slow[endless]}" -eq 0 ] && echo 1 || echo 0)" "(d) no transaction over 1 s: ${slow[endless]}")"
echo "  (c), for comparison: the ALTER ${result[queue]}, worst ${worst[queue]} ms (about lock_timeout), ${slow[queue]} over 1 s"
for c in default queue endless; do
  echo
  echo "${label[$c]}: migrate's first report of a blocker:"
  # The first warning (the blocker list spans several lines), up to the next log line.
  first=$(awk '!f && /could not get its lock|outside the lock queue/ { f = 1; print; next }
               f && /^(warning|info|error|applied)/ { exit } f { print }' "$work/$c/alter.log" | cut -c1-240)
  if [ -n "$first" ]; then sed 's/^/    /' <<<"$first"; else echo "    (none: no blocker was reported)"; fi
  waits=$(grep -o 'retry [0-9]*/[0-9]* in [0-9]* ms' "$work/$c/alter.log" | awk '{ print $4 }' | paste -sd, - | sed 's/,/, /g')
  echo "  backoff before each retry: ${waits:-none} ms"
  echo "  result: $(grep -m1 '^applied\|error\[' "$work/$c/alter.log" | cut -c1-240 || true)"
done
for c in "${cases[@]}"; do
  case "${result[$c]}" in ok|"LOCK_TIMEOUT (expected)") continue ;; esac
  echo
  echo "${label[$c]}: the ALTER failed; its output:"
  head -n 20 "$work/$c/alter.log" | cut -c1-240 | sed 's/^/    /'
done
