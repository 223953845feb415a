#!/usr/bin/env bash
# What a whole-table data change does to live traffic on PostgreSQL: one UPDATE run by psql
# against the same change as a migrate backfill (docs/backfills.md, issue 10).
# A table `orders` (ROWS rows, default 2M, status NULL everywhere) serves a rate-limited pgbench
# workload on the same table (random primary-key read + update of amount, 1000 tx/s); WARMUP s
# into it, `UPDATE orders SET status = 'new' WHERE status IS NULL` runs two ways:
#   (a) psql, one statement: it holds a row lock on every row it has updated until it commits, so
#       every workload update of such a row waits for the whole statement;
#   (b) migrate apply of a migration marked `-- migrate:backfill`: short batches by primary key.
# Between the two the column is reset to NULL and the table rewritten (VACUUM FULL), so that both
# start from the same compact table.
# For each it prints the change's elapsed time, (b)/(a), and, from pgbench's per-transaction logs
# (-l), the worst latency, the p99 and the number of transactions over 1 s among the workload's
# transactions scheduled while the change ran.
#
# Usage: bench/backfill.sh [MIGRATE_BINARY]   (default: build/cli/migrate of this repository;
# measure a Release build, e.g. build-rel/cli/migrate)
# BACKFILL_OPTIONS="target-batch-time=80ms" adds options to the directive (docs/backfills.md).
# ROWS=200000 shrinks the table for a quick check. DURATION (s) is the length of each pgbench
# run (default: WARMUP + COOLDOWN + ROWS/50000, at least 10 s more than WARMUP + COOLDOWN); a
# change still running when its pgbench run ends is reported, raise DURATION then.
# Without PGHOST it runs itself inside a throwaway cluster: pg_virtualenv -t -v 15 (Debian's
# postgresql-common; apt-get install postgresql-15 postgresql-common). With PGHOST (and
# PGPORT/PGUSER/PGPASSWORD) set it uses that server, which must be on this machine; it creates
# and finally drops a database named migrate_backfill_bench there.
# KEEP_LOGS=1 keeps the pgbench logs and the changes' output (the directory is printed at the end).
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

ROWS=${ROWS:-2000000}
[[ "$ROWS" =~ ^[1-9][0-9]*$ ]] || { echo "ROWS must be a positive integer, not '$ROWS'" >&2; exit 1; }
RATE=1000          # pgbench -R, transactions per second over all clients
CLIENTS=4
THREADS=2
WARMUP=2           # seconds of workload before the change starts
COOLDOWN=3         # seconds the workload must go on after the change, for the backlog to drain
change_time=$(( ROWS / 50000 > 10 ? ROWS / 50000 : 10 ))
DURATION=${DURATION:-$(( WARMUP + COOLDOWN + change_time ))}
CHANGE_TIMEOUT=600 # seconds before a change is given up
db=migrate_backfill_bench
change_sql="UPDATE orders SET status = 'new' WHERE status IS NULL"

source "$(dirname "$self")/lib/bench_session.sh"

# --- the database, the table and the workload -----------------------------------------------------
drop_db
PGDATABASE=postgres createdb "$db"
server_version=$(q -c "SHOW server_version")
echo "server: PostgreSQL $server_version at ${PGHOST}:${PGPORT:-5432}; filling orders with $ROWS rows..."
t0=$(now_ms)
q <<SQL
CREATE TABLE orders (
  id bigint NOT NULL,
  customer_id bigint NOT NULL,
  status text,
  amount int NOT NULL,
  created_at timestamptz NOT NULL
);
INSERT INTO orders (id, customer_id, amount, created_at)
  SELECT g, g % 50000, (g * 7) % 10000, timestamptz '2026-01-01' + g * interval '1 second'
  FROM generate_series(1, $ROWS) g;
ALTER TABLE orders ADD PRIMARY KEY (id);
VACUUM ANALYZE orders;
SQL
echo "filled in $(( $(now_ms) - t0 )) ms"

cat >"$work/workload.sql" <<SQL
\set id random(1, $ROWS)
SELECT amount FROM orders WHERE id = :id;
UPDATE orders SET amount = amount + 1 WHERE id = :id;
SQL

# --- one run ----------------------------------------------------------------------------------------
# run_case NAME naive|migrate
# Leaves in $work/NAME: pgbench logs, change.out and change.err (psql's or migrate's output),
# change.rc ("EXIT START_MS END_MS").
run_case() {
  local name=$1 kind=$2
  local dir="$work/$name"
  mkdir -p "$dir"
  q -c "CHECKPOINT" 2>/dev/null || true  # needs superuser or pg_checkpoint; only for steadier runs
  if [ "$kind" = migrate ]; then
    mkdir "$dir/migrations"
    printf -- '-- migrate:backfill%s\n%s;\n' "${BACKFILL_OPTIONS:+ $BACKFILL_OPTIONS}" "$change_sql" \
      >"$dir/migrations/V1__backfill_status.up.sql"
  fi

  PGDATABASE=$db pgbench -n -f "$work/workload.sql" -R "$RATE" -c "$CLIENTS" -j "$THREADS" \
    -T "$DURATION" -l --log-prefix "$dir/pgbench_log" >"$dir/pgbench.out" 2>&1 &
  local bench=$!; pids+=("$bench")
  sleep "$WARMUP"

  if [ "$kind" = naive ]; then
    ( t0=$(now_ms); rc=0
      PGAPPNAME=backfill_bench_naive timeout "$CHANGE_TIMEOUT" psql -X -q -v ON_ERROR_STOP=1 \
        -d "$db" -c "SET lock_timeout = 0" -c "SET statement_timeout = 0" -c "$change_sql" \
        >"$dir/change.out" 2>"$dir/change.err" || rc=$?
      echo "$rc $t0 $(now_ms)" >"$dir/change.rc" ) &
  else
    # From the run's directory, so that no migrate.toml is picked up.
    ( cd "$dir"; t0=$(now_ms); rc=0
      timeout "$CHANGE_TIMEOUT" "$migrate" --db "postgresql:///$db" --dir "$dir/migrations" apply \
        >"$dir/change.out" 2>"$dir/change.err" || rc=$?
      echo "$rc $t0 $(now_ms)" >"$dir/change.rc" ) &
  fi
  local change=$!; pids+=("$change")

  wait "$change" || true
  local rc start end
  read -r rc start end <"$dir/change.rc"
  # pgbench's end, by its schedule: the change must have ended COOLDOWN s before it.
  if (( end - start > (DURATION - WARMUP - COOLDOWN) * 1000 )); then
    echo "WARNING: $name: the change took $(( end - start )) ms, longer than the workload's" \
      "$(( DURATION - WARMUP - COOLDOWN )) s window: raise DURATION" >&2
  fi
  rc=0
  wait "$bench" || rc=$?
  pids=()
  [ "$rc" -eq 0 ] || echo "WARNING: $name: pgbench exited $rc: $(grep -i -m3 'abort\|error\|fail' "$dir/pgbench.out")" >&2
}

# change_failed NAME LABEL: exits with the change's output when it did not succeed (exit 0 and no
# NULL status left).
change_failed() {
  local dir="$work/$1" rc start end left
  read -r rc start end <"$dir/change.rc"
  left=$(q -c "SELECT count(*) FROM orders WHERE status IS NULL")
  [ "$rc" -eq 0 ] && [ "$left" = 0 ] && return 0
  echo "$2: FAILED (exit $rc, $left rows still NULL); its stderr:" >&2
  head -n 40 "$dir/change.err" | cut -c1-240 | sed 's/^/    /' >&2
  if [ -s "$dir/change.out" ]; then
    echo "its stdout:" >&2
    tail -n 20 "$dir/change.out" | cut -c1-240 | sed 's/^/    /' >&2
  fi
  exit 1
}

# stats NAME -> "transactions worst_ms p99_ms over_1s not_completed" over the workload's
# transactions scheduled while the change ran. A pgbench log line (with -R) is
#   client transaction latency_us script end_epoch_s end_us schedule_lag_us
# and under -R the latency counts from the transaction's scheduled start, so it includes the
# schedule lag that a client builds up while it waits: the latency a user arriving on schedule
# sees. Its scheduled start is its end minus that latency. A non-number in field 3 ("failed",
# "skipped") is a transaction that did not complete.
stats() {
  local dir="$work/$1" rc start end
  read -r rc start end <"$dir/change.rc"
  cat "$dir"/pgbench_log.* | awk -v from="$start" -v to="$end" '
    $3 ~ /^[0-9]+$/ {
      at = ($5 * 1000000 + $6 - $3) / 1000   # scheduled start, ms since the epoch
      if (at >= from && at <= to) print $3
    }' | sort -n >"$dir/latencies"
  local bad
  bad=$(cat "$dir"/pgbench_log.* | awk -v from="$start" -v to="$end" '
    $3 !~ /^[0-9]+$/ { at = ($5 * 1000000 + $6) / 1000; if (at >= from && at <= to) n++ }
    END { print n + 0 }')
  awk -v bad="$bad" '
    { v[NR] = $1; if ($1 > 1000000) slow++ }
    END {
      n = NR; if (n == 0) { print 0, "n/a", "n/a", 0, bad; exit }
      r = int(0.99 * n); if (r < 0.99 * n) r++   # nearest rank
      printf "%d %.1f %.1f %d %d\n", n, v[n] / 1000, v[r] / 1000, slow + 0, bad
    }' "$dir/latencies"
}

cases=(naive backfill)
declare -A label
label[naive]="(a) psql, one UPDATE"
label[backfill]="(b) migrate apply, -- migrate:backfill${BACKFILL_OPTIONS:+ $BACKFILL_OPTIONS}"

echo "2 runs of ${DURATION} s of workload each; the change starts at t=${WARMUP} s"
# Each run's figures as soon as it is done, so that a failing (b) still leaves (a)'s.
summary() {  # summary NAME
  local tx w p s b
  read -r tx w p s b < <(stats "$1")
  echo "$(awk '{ print $3 - $2 }' "$work/$1/change.rc") ms; workload: worst $w ms, p99 $p ms, $s over 1 s ($tx transactions)"
}
run_case naive naive
change_failed naive "${label[naive]}"
echo "(a) done: $(summary naive)"
echo "resetting status to NULL..."
# VACUUM FULL leaves the visibility map empty; the VACUUM after it sets it again, so that (b) starts
# from the state (a) started from (the fill's VACUUM), as autovacuum keeps a table in use.
q -c "UPDATE orders SET status = NULL" -c "VACUUM FULL orders" -c "VACUUM ANALYZE orders"
run_case backfill migrate
change_failed backfill "${label[backfill]}"
echo "(b) done: $(summary backfill)"

declare -A n worst p99 slow bad took
for c in "${cases[@]}"; do
  read -r n[$c] worst[$c] p99[$c] slow[$c] bad[$c] < <(stats "$c")
  took[$c]=$(awk '{ print $3 - $2 }' "$work/$c/change.rc")
done

check() {  # check OK? TEXT
  if [ "$1" = 1 ]; then echo "met    $2"; else echo "MISSED $2"; fi
}
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "n/a" && a + 0 <= b + 0) ? 1 : 0 }'; }
ratio=$(awk -v a="${took[naive]}" -v b="${took[backfill]}" 'BEGIN { if (a + 0 > 0) printf "%.2f", b / a; else print "n/a" }')

echo
echo "### Backfill impact on PostgreSQL ${server_version%% *} ($(date -u +%F), $(nproc) cores)"
echo
echo "orders: $ROWS rows; workload: pgbench -R $RATE -c $CLIENTS -j $THREADS -T $DURATION (PK read + update of amount);"
echo "change at t=${WARMUP} s: $change_sql"
echo "latencies over the workload's transactions scheduled while the change ran"
echo
echo "| run | change took | transactions | worst | p99 | over 1 s |"
echo "|---|---|---|---|---|---|"
for c in "${cases[@]}"; do
  echo "| ${label[$c]} | ${took[$c]} ms | ${n[$c]} | ${worst[$c]} ms | ${p99[$c]} ms | ${slow[$c]} |"
done
echo
echo "elapsed (b)/(a): ${ratio}x"
for c in "${cases[@]}"; do
  [ "${bad[$c]}" -eq 0 ] || echo "note: ${label[$c]}: ${bad[$c]} transaction(s) did not complete (failed/skipped in the log)"
done
echo
echo "goal: (b) <= 1.1x (a), worst latency <= 100 ms, 0 transactions over 1 s"
echo "  (a) expected to stall the workload for about its duration: worst ${worst[naive]} ms, ${slow[naive]} over 1 s"
echo "  $(check "$(le "$ratio" 1.1)" "(b) <= 1.1x (a): ${ratio}x")"
echo "  $(check "$(le "${worst[backfill]}" 100)" "(b) worst latency <= 100 ms: ${worst[backfill]} ms")"
echo "  $(check "$( [ "${slow[backfill]}" -eq 0 ] && echo 1 || echo 0)" "(b) 0 transactions over 1 s: ${slow[backfill]}")"
echo
echo "${label[backfill]}: the last lines of migrate's output:"
tail -n 5 "$work/backfill/change.out" | cut -c1-240 | sed 's/^/    /'
