#!/usr/bin/env bash
# What a whole-table data change does to live traffic on PostgreSQL: one UPDATE run by psql
# against the same change as a migrate backfill (docs/backfills.md, issue 10).
# A table `orders` (ROWS rows, default 2M, status NULL everywhere) serves a rate-limited pgbench
# workload on the same table (random primary-key read + update of amount, 1000 tx/s); WARMUP s
# into it, `UPDATE orders SET status = 'new' WHERE status IS NULL` runs three ways:
#   (a) psql, one statement: it holds a row lock on every row it has updated until it commits, so
#       every workload update of such a row waits for the whole statement;
#   (b) migrate apply of a migration marked `-- migrate:backfill`: short batches by primary key,
#       with the directive's defaults (batches adapt toward 200 ms);
#   (c) the same with `target-batch-time=SHORT_BATCH_TIME` (default 70ms): a write to a row of the
#       current batch waits for the batch's commit, so the batch time bounds the worst latency.
# Between runs the column is reset to NULL and the table rewritten (VACUUM FULL, then VACUUM), so
# that every run starts from the same compact, vacuumed table. ROUNDS (default 2) rounds of the
# three, interleaved.
# For each it prints the change's elapsed time (the shortest of the rounds), its ratio to (a)'s,
# and, from pgbench's per-transaction logs (-l), the worst latency, the p99 and the number of
# transactions over 1 s among the workload's transactions scheduled while the change ran.
#
# Usage: bench/backfill.sh [MIGRATE_BINARY]   (default: build/cli/migrate of this repository;
# measure a Release build, e.g. build-rel/cli/migrate)
# BACKFILL_OPTIONS="pause=0ms" adds options to the directive of (b) and (c) (docs/backfills.md).
# ROWS=200000 shrinks the table for a quick check. DURATION (s) is the length of each pgbench
# run (default: WARMUP + COOLDOWN + ROWS/100000, at least 10 s more than WARMUP + COOLDOWN); a
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
change_time=$(( ROWS / 100000 > 10 ? ROWS / 100000 : 10 ))
DURATION=${DURATION:-$(( WARMUP + COOLDOWN + change_time ))}
CHANGE_TIMEOUT=600 # seconds before a change is given up
ROUNDS=${ROUNDS:-2}
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "ROUNDS must be a positive integer, not '$ROUNDS'" >&2; exit 1; }
SHORT_BATCH_TIME=${SHORT_BATCH_TIME:-70ms}
case "${BACKFILL_OPTIONS:-}" in
  *target-batch-time*)
    echo "BACKFILL_OPTIONS must not set target-batch-time: (b) runs the default, (c) SHORT_BATCH_TIME" >&2
    exit 1 ;;
esac
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
# run_case NAME naive|migrate [DIRECTIVE OPTIONS]
# Leaves in $work/NAME: pgbench logs, change.out and change.err (psql's or migrate's output),
# change.rc ("EXIT START_MS END_MS").
run_case() {
  local name=$1 kind=$2 options=${3:-}
  local dir="$work/$name"
  mkdir -p "$dir"
  q -c "CHECKPOINT" 2>/dev/null || true  # needs superuser or pg_checkpoint; only for steadier runs
  if [ "$kind" = migrate ]; then
    mkdir "$dir/migrations"
    printf -- '-- migrate:backfill%s\n%s;\n' "${options:+ $options}" "$change_sql" \
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

cases=(naive backfill short)
declare -A label kind options
label[naive]="(a) psql, one UPDATE"
kind[naive]=naive
options[backfill]="${BACKFILL_OPTIONS:-}"
label[backfill]="(b) migrate apply, -- migrate:backfill${options[backfill]:+ ${options[backfill]}}"
kind[backfill]=migrate
options[short]="target-batch-time=${SHORT_BATCH_TIME}${BACKFILL_OPTIONS:+ $BACKFILL_OPTIONS}"
label[short]="(c) migrate apply, -- migrate:backfill ${options[short]}"
kind[short]=migrate

echo "$ROUNDS round(s) of (a), (b), (c), each a run of ${DURATION} s of workload; the change starts at t=${WARMUP} s"
# Each run's figures as soon as it is done, so that a failing run still leaves the others'.
summary() {  # summary NAME
  local tx w p s b
  read -r tx w p s b < <(stats "$1")
  echo "$(awk '{ print $3 - $2 }' "$work/$1/change.rc") ms; workload: worst $w ms, p99 $p ms, $s over 1 s ($tx transactions)"
}
# Each run starts from the same table: status NULL everywhere, compact (VACUUM FULL) and with its
# visibility map set (the VACUUM after it, as after the fill and as autovacuum keeps a table in
# use; VACUUM FULL alone leaves it empty, and a backfill's key lookups would read the heap).
# migrate's history goes too: each backfill run applies its version 1 anew.
reset_table() {
  q -c "UPDATE orders SET status = NULL" -c "VACUUM FULL orders" -c "VACUUM ANALYZE orders"
  q -c "DO \$\$ DECLARE t text; BEGIN
          FOR t IN SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
                   WHERE tablename LIKE 'migrate\\_%' LOOP
            EXECUTE 'DROP TABLE ' || t || ' CASCADE';
          END LOOP; END \$\$"
}
declare -A n worst p99 slow bad took
for round in $(seq "$ROUNDS"); do
  for c in "${cases[@]}"; do
    [ "$round" = 1 ] && [ "$c" = naive ] || reset_table
    run_case "${c}_$round" "${kind[$c]}" "${options[$c]:-}"
    change_failed "${c}_$round" "${label[$c]}"
    echo "round $round ${label[$c]%% *} done: $(summary "${c}_$round")"
  done
done

# Per case over the rounds: the shortest change (the least disturbed run of each, so the ratio
# compares like with like), and the workload's worst figures of any round.
for c in "${cases[@]}"; do
  for round in $(seq "$ROUNDS"); do
    read -r rn rw rp rs rb < <(stats "${c}_$round")
    rt=$(awk '{ print $3 - $2 }' "$work/${c}_$round/change.rc")
    if [ "$round" = 1 ]; then
      n[$c]=$rn worst[$c]=$rw p99[$c]=$rp slow[$c]=$rs bad[$c]=$rb took[$c]=$rt
    else
      n[$c]=$((n[$c] + rn)) slow[$c]=$((slow[$c] + rs)) bad[$c]=$((bad[$c] + rb))
      worst[$c]=$(awk -v a="${worst[$c]}" -v b="$rw" 'BEGIN { print (b + 0 > a + 0) ? b : a }')
      p99[$c]=$(awk -v a="${p99[$c]}" -v b="$rp" 'BEGIN { print (b + 0 > a + 0) ? b : a }')
      [ "$rt" -lt "${took[$c]}" ] && took[$c]=$rt
    fi
  done
done

check() {  # check OK? TEXT
  if [ "$1" = 1 ]; then echo "met    $2"; else echo "MISSED $2"; fi
}
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "n/a" && a + 0 <= b + 0) ? 1 : 0 }'; }
ratio_of() { awk -v a="${took[naive]}" -v b="${took[$1]}" 'BEGIN { if (a + 0 > 0) printf "%.2f", b / a; else print "n/a" }'; }
declare -A ratio
ratio[backfill]=$(ratio_of backfill)
ratio[short]=$(ratio_of short)

echo
echo "### Backfill impact on PostgreSQL ${server_version%% *} ($(date -u +%F), $(nproc) cores)"
echo
echo "orders: $ROWS rows; workload: pgbench -R $RATE -c $CLIENTS -j $THREADS -T $DURATION (PK read + update of amount);"
echo "change at t=${WARMUP} s: $change_sql"
echo "$ROUNDS round(s); change took: the shortest of the rounds; latencies: over the workload's"
echo "transactions scheduled while the change ran, the worst round's; transactions and over 1 s: summed"
echo
echo "| run | change took | vs (a) | transactions | worst | p99 | over 1 s |"
echo "|---|---|---|---|---|---|---|"
for c in "${cases[@]}"; do
  r=${ratio[$c]:-1.00}
  echo "| ${label[$c]} | ${took[$c]} ms | ${r}x | ${n[$c]} | ${worst[$c]} ms | ${p99[$c]} ms | ${slow[$c]} |"
done
echo
for c in "${cases[@]}"; do
  [ "${bad[$c]}" -eq 0 ] || echo "note: ${label[$c]}: ${bad[$c]} transaction(s) did not complete (failed/skipped in the log)"
done
echo "goal: a backfill <= 1.1x (a)'s time, with the workload's worst latency <= 100 ms and 0 transactions over 1 s"
echo "  (a) expected to stall the workload for about its duration: worst ${worst[naive]} ms, ${slow[naive]} over 1 s"
echo "  $(check "$(le "${ratio[backfill]}" 1.1)" "(b) <= 1.1x (a): ${ratio[backfill]}x")"
echo "  $(check "$( [ "${slow[backfill]}" -eq 0 ] && echo 1 || echo 0)" "(b) 0 transactions over 1 s: ${slow[backfill]}")"
echo "  info   (b) worst latency ${worst[backfill]} ms: a write to a row of the current batch waits for its commit, up to the batch time (200 ms by default)"
echo "  $(check "$(le "${ratio[short]}" 1.1)" "(c) <= 1.1x (a): ${ratio[short]}x")"
echo "  $(check "$(le "${worst[short]}" 100)" "(c) worst latency <= 100 ms: ${worst[short]} ms")"
echo "  $(check "$( [ "${slow[short]}" -eq 0 ] && echo 1 || echo 0)" "(c) 0 transactions over 1 s: ${slow[short]}")"
echo
for c in backfill short; do
  echo "${label[$c]}, round $ROUNDS: the last lines of migrate's output:"
  tail -n 3 "$work/${c}_$ROUNDS/change.out" | cut -c1-240 | sed 's/^/    /'
done
