#!/usr/bin/env bash
# How close `migrate plan`'s runtime estimates (issue 11) come to the real durations on PostgreSQL.
# After `migrate calibrate` (rates measured on this server), for tables t_<rows> of SIZES rows
# (default 100k, 1M, 5M), each of these operations is one migration, applied one at a time:
#   validate_check  ALTER TABLE t VALIDATE CONSTRAINT ...              (CHECK (n >= 0), added NOT
#                                                                       VALID by psql just before)
#   validate_fk     ALTER TABLE t VALIDATE CONSTRAINT ...              (FOREIGN KEY (ref) to a
#                                                                       1000-row table, NOT VALID)
#   set_not_null    ALTER TABLE t ALTER COLUMN s SET NOT NULL          (full scan)
#   cic             CREATE INDEX CONCURRENTLY ... ON t (n)             (alone in its file)
#   rewrite         ALTER TABLE t ALTER COLUMN k TYPE bigint          (table rewrite)
#   backfill        -- migrate:backfill + UPDATE t SET n = n + 1       (batched by primary key)
# in that order, on a table filled and VACUUM ANALYZEd as one in use would be: the reads first,
# then the writes (a rewrite leaves every row to be hinted again by the next reader, which is
# not what a migration on a table in use meets).
# Before each apply, `migrate plan --output json` runs with only that migration pending, so the
# estimate sees the table as it is then; its p50 and p90 are compared with the statement's
# duration_ms in the history (migrate_history_statements), the apply's wall time if that is
# missing. ratio = p50 / actual (estimate / actual): above 1 the estimate was too high.
# Pass 2 drops and recreates the same tables and applies the same operations as new versions,
# so its estimates can also use pass 1's history. Within a pass, too, a size can use the history
# of the smaller sizes before it, when the estimator finds them similar (the basis says so). It prints one line per operation as it goes,
# then a markdown table and the goals: every ratio in [0.67, 1.5], every p90 >= actual, pass 2
# no worse than pass 1 (ratios in range and p90s covering, counted).
#
# Usage: bench/estimate_accuracy.sh [BUILD_DIR]   (default build-rel: measure a Release build,
# cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel --target migrate_cli)
# SIZES="100000" for a quick check (default "100000 1000000 5000000": about 4 minutes on 2 cores,
# most of it the 5M table, which is about 630 MB, twice that during the rewrite). OPERATIONS="rewrite cic" measures only those (default all six, in
# the order above). PASSES=1 skips pass 2.
# Without PGHOST it runs itself inside a throwaway cluster: pg_virtualenv -t -v 15 (Debian's
# postgresql-common; apt-get install postgresql-15 postgresql-common). With PGHOST (and
# PGPORT/PGUSER/PGPASSWORD) set it uses that server, which must be on this machine; it creates
# and finally drops a database named migrate_estimate_bench there.
# KEEP_LOGS=1 keeps the migrations, plans and migrate's output (the directory is printed at the end).
set -euo pipefail
self=$(realpath "$0")
build_dir=$(realpath -m "${1:-build-rel}")
migrate=$build_dir/cli/migrate
[ -x "$migrate" ] || { echo "no migrate binary at $migrate: build first (cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel --target migrate_cli)" >&2; exit 1; }
cd "$(dirname "$self")/.."
for tool in psql python3 awk timeout; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install postgresql-client-15 python3)" >&2; exit 1; }
done

args=("$build_dir")
# shellcheck source=bench/lib/local_postgres.sh
source bench/lib/local_postgres.sh

SIZES=${SIZES:-"100000 1000000 5000000"}
OPERATIONS=${OPERATIONS:-"validate_check validate_fk set_not_null cic rewrite backfill"}
PASSES=${PASSES:-2}
read -ra sizes <<<"$SIZES"
read -ra operations <<<"$OPERATIONS"
[ "${#sizes[@]}" -gt 0 ] || { echo "SIZES is empty" >&2; exit 1; }
for n in "${sizes[@]}"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "SIZES must be positive integers, not '$n'" >&2; exit 1; }
done
for op in "${operations[@]}"; do
  case "$op" in
    rewrite|cic|validate_check|validate_fk|set_not_null|backfill) ;;
    *) echo "unknown operation '$op' in OPERATIONS (rewrite cic validate_check validate_fk set_not_null backfill)" >&2; exit 1 ;;
  esac
done
[[ "$PASSES" =~ ^[12]$ ]] || { echo "PASSES must be 1 or 2, not '$PASSES'" >&2; exit 1; }
MIGRATE_TIMEOUT=1800 # seconds before one migrate command is given up
db=migrate_estimate_bench
url="postgresql:///$db"

source "$(dirname "$self")/lib/bench_session.sh"
mkdir "$work/migrations"
results=$work/results.tsv  # pass rows operation p50 p90 actual actual_source lock basis
: >"$results"

# run_migrate NAME ARGS...: migrate on the benchmark's database and migrations, from $work (so
# that no migrate.toml is picked up). Leaves NAME.out, NAME.err and NAME.rc ("EXIT WALL_MS") in
# $work/log; returns migrate's exit status.
mkdir "$work/log"
run_migrate() {
  local name=$1; shift
  local t0 rc=0
  t0=$(now_ms)
  ( cd "$work" && timeout "$MIGRATE_TIMEOUT" "$migrate" --db "$url" --dir "$work/migrations" "$@" \
      >"$work/log/$name.out" 2>"$work/log/$name.err" ) || rc=$?
  echo "$rc $(( $(now_ms) - t0 ))" >"$work/log/$name.rc"
  return "$rc"
}

# migrate_failed NAME WHAT: exits with migrate's output.
migrate_failed() {
  local rc wall
  read -r rc wall <"$work/log/$1.rc"
  echo "$2: migrate exited $rc after $wall ms; its stderr:" >&2
  head -n 40 "$work/log/$1.err" | cut -c1-240 | sed 's/^/    /' >&2
  if [ -s "$work/log/$1.out" ]; then
    echo "its stdout:" >&2
    tail -n 20 "$work/log/$1.out" | cut -c1-240 | sed 's/^/    /' >&2
  fi
  exit 1
}

# --- the database and calibration ----------------------------------------------------------------
drop_db
PGDATABASE=postgres createdb "$db"
server_version=$(q -c "SHOW server_version")
echo "server: PostgreSQL $server_version at ${PGHOST}:${PGPORT:-5432}; sizes: ${sizes[*]}; operations: ${operations[*]}"
# The foreign keys of validate_fk point here.
q <<SQL
CREATE TABLE ref_target (id bigint PRIMARY KEY, label text NOT NULL);
INSERT INTO ref_target SELECT g, 'r' || g FROM generate_series(1, 1000) g;
VACUUM ANALYZE ref_target;
SQL

echo "migrate calibrate..."
if ! run_migrate calibrate calibrate; then
  read -r rc _ <"$work/log/calibrate.rc"
  [ "$rc" -ne 2 ] ||  # USAGE: an unknown command
    echo "this migrate has no \`calibrate\` command: it predates the runtime estimates (issue 11)" >&2
  migrate_failed calibrate "migrate calibrate"
fi
read -r _ calibrate_ms <"$work/log/calibrate.rc"
echo "calibrated in $calibrate_ms ms"
if [ -s "$work/log/calibrate.out" ]; then tail -n 15 "$work/log/calibrate.out" | cut -c1-200 | sed 's/^/    /'; fi

# --- the tables -------------------------------------------------------------------------------------
# fill ROWS: (re)creates t_ROWS, filled, with statistics, and a checkpoint so that the writes of
# the fill are not flushed during the first measured operation. Autovacuum is off on it: the
# estimates leave out an autovacuum that happens to run beside a statement (docs/estimates.md),
# and one would start on the freshly filled table during whichever operation comes then.
fill() {
  local n=$1 t=t_$1 t0
  t0=$(now_ms)
  q <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS $t;
CREATE TABLE $t (id bigint NOT NULL, k integer NOT NULL, n bigint, s text, ts timestamptz, ref bigint)
  WITH (autovacuum_enabled = off);
INSERT INTO $t (id, k, n, s, ts, ref)
  SELECT g, g % 100000, g, md5(g::text), timestamptz '2026-01-01' + g * interval '1 second', g % 1000 + 1
  FROM generate_series(1, $n) g;
ALTER TABLE $t ADD PRIMARY KEY (id);
VACUUM ANALYZE $t;
SQL
  settle
  echo "  $t: $n rows, $(q -c "SELECT pg_size_pretty(pg_total_relation_size('$t'))"), filled in $(( $(now_ms) - t0 )) ms"
}

# settle: the writes so far out of the way of the next measurement, for steadier runs. CHECKPOINT
# (needs superuser or pg_checkpoint) writes the server's dirty buffers; sync then writes the
# operating system's dirty pages, which is where a cluster with fsync off (pg_virtualenv's)
# leaves every write: without it the kernel writes back the gigabytes of a fill or a rewrite
# during the next operation, which a migration on a table in use does not meet.
settle() {
  q -c "CHECKPOINT" 2>/dev/null || true
  sync
}

# migration_sql OP TABLE: the migration file's text. prepare OP TABLE: what psql does before it.
migration_sql() {
  local t=$2
  case "$1" in
    rewrite)        echo "ALTER TABLE $t ALTER COLUMN k TYPE bigint;" ;;
    cic)            echo "CREATE INDEX CONCURRENTLY ${t}_n_idx ON $t (n);" ;;
    validate_check) echo "ALTER TABLE $t VALIDATE CONSTRAINT ${t}_n_nonnegative;" ;;
    validate_fk)    echo "ALTER TABLE $t VALIDATE CONSTRAINT ${t}_ref_fk;" ;;
    set_not_null)   echo "ALTER TABLE $t ALTER COLUMN s SET NOT NULL;" ;;
    backfill)       printf -- '-- migrate:backfill\nUPDATE %s SET n = n + 1;\n' "$t" ;;
  esac
}
prepare() {
  local t=$2
  case "$1" in
    validate_check) q -c "ALTER TABLE $t ADD CONSTRAINT ${t}_n_nonnegative CHECK (n >= 0) NOT VALID" ;;
    validate_fk)    q -c "ALTER TABLE $t ADD CONSTRAINT ${t}_ref_fk FOREIGN KEY (ref) REFERENCES ref_target (id) NOT VALID" ;;
  esac
}

# The estimate of the plan's only step, tab-separated (the basis is text with spaces): p50, p90,
# lock, lock_ms, present, basis; "null" for what is missing, present "no" when the plan has no
# estimate object at all. One statement per
# migration, so the statement's estimate is the step's.
read_estimate() {
  python3 - "$1" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
steps = (doc.get("plan") or {}).get("steps") or []
if len(steps) != 1:
    sys.exit(f"expected one pending step in the plan, got {len(steps)}")
statements = steps[0].get("statements") or []
est = statements[0].get("estimate") if len(statements) == 1 else steps[0].get("estimate")
present = isinstance(est, dict)
est = est if present else {}
def field(key):
    v = est.get(key)
    if v is None or v == "":
        return "null"
    if isinstance(v, float):
        return f"{v:.0f}" if v >= 10 else f"{v:.1f}"
    return " ".join(str(v).split())  # no tabs or newlines in a field
print("\t".join([field(k) for k in ("p50_ms", "p90_ms", "lock", "lock_ms")]
                + ["yes" if present else "no", field("basis")]))
PY
}

# The history's record of VERSION's successful up attempt, one statement: "duration_ms
# lock_wait_ms estimate_p50_ms", "null" for what is missing (to_jsonb: no error if a column is).
read_actual() {
  q -c "SELECT to_jsonb(s) FROM public.migrate_history_statements s
          JOIN public.migrate_history h ON h.id = s.attempt_id
        WHERE h.version = '$1' AND h.direction = 'up' AND h.success
        ORDER BY h.id DESC, s.statement_index DESC LIMIT 1" |
    python3 -c '
import json, sys
text = sys.stdin.read().strip()
row = json.loads(text) if text else {}
print(" ".join("null" if row.get(k) is None else str(row[k])
               for k in ("duration_ms", "lock_wait_ms", "estimate_p50_ms")))'
}

# --- the runs ---------------------------------------------------------------------------------------
version=0
for pass in $(seq "$PASSES"); do
  echo
  echo "pass $pass"
  for n in "${sizes[@]}"; do
    t=t_$n
    fill "$n"
    for op in "${operations[@]}"; do
      version=$((version + 1))
      name=$(printf 'p%s_%s_%s' "$pass" "$n" "$op")
      prepare "$op" "$t"
      migration_sql "$op" "$t" >"$work/migrations/V$(printf %03d "$version")__${op}_$t.up.sql"
      settle

      run_migrate "$name.plan" --output json plan --allow-unsafe ||
        migrate_failed "$name.plan" "pass $pass, $t, $op: migrate plan"
      estimate=$(read_estimate "$work/log/$name.plan.out") ||
        { echo "pass $pass, $t, $op: cannot read the plan's estimate (plan in $work/log/$name.plan.out)" >&2
          KEEP_LOGS=1; exit 1; }
      IFS=$'\t' read -r p50 p90 lock lock_ms present basis <<<"$estimate"

      run_migrate "$name.apply" apply --allow-unsafe ||
        migrate_failed "$name.apply" "pass $pass, $t, $op: migrate apply"
      read -r _ wall <"$work/log/$name.apply.rc"
      read -r actual lock_wait recorded_p50 <<<"$(read_actual "$version")"
      source_of_actual=history
      if [ "$actual" = null ]; then actual=$wall; source_of_actual=wall; fi

      note=""
      [ "$present" = yes ] || note+="; the plan has no estimate for it (a migrate before issue 11?)"
      [ "$source_of_actual" = history ] || note+="; no statement record: actual is apply's wall time"
      [ "$lock_wait" = null ] || [ "$lock_wait" = 0 ] || note+="; lost $lock_wait ms to lock timeouts (not in actual)"
      if [ "$recorded_p50" != null ] && [ "$p50" != null ] &&
        [ "$(awk -v a="$recorded_p50" -v b="$p50" 'BEGIN { d = a - b; print (d < -1 || d > 1) }')" = 1 ]; then
        note+="; the history recorded p50 $recorded_p50 ms"
      fi
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$pass" "$n" "$op" "$p50" "$p90" "$actual" \
        "$source_of_actual" "$lock" "$basis" >>"$results"
      echo "    $op: estimate p50 $p50 ms, p90 $p90 ms (lock $lock for $lock_ms ms; basis: $basis); actual $actual ms (apply $wall ms)$note"
    done
    q -c "DROP TABLE $t"
  done
done

# --- the table and the goals -------------------------------------------------------------------------
echo
echo "### Estimate accuracy on PostgreSQL ${server_version%% *} ($(date -u +%F), $(nproc) cores)"
echo
echo "after \`migrate calibrate\` ($calibrate_ms ms); one migration per operation, planned with only it pending;"
echo "ratio = p50 / actual (estimate / actual); actual = the statement's duration_ms in the history"
echo
python3 - "$results" "$PASSES" <<'PY'
import math, statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
passes = int(sys.argv[2])

def num(v):
    try:
        return float(v)
    except ValueError:
        return None

def fmt(v):
    return "null" if v is None else (f"{v:.0f}" if v >= 10 else f"{v:.1f}")

per_pass = {}   # pass -> list of (in range, covers, |ln ratio| or None)
keyed = {}      # (pass, rows, operation) -> (in range, covers)
print("| pass | rows | operation | p50 ms | p90 ms | actual ms | ratio p50/actual | p90 covers | lock | basis |")
print("|---|---|---|---|---|---|---|---|---|---|")
wall_used = False
for p, n, op, p50, p90, actual, source, lock, basis in rows:
    p50, p90, actual = num(p50), num(p90), num(actual)
    ratio = p50 / actual if p50 is not None and actual else None
    in_range = ratio is not None and 0.67 <= ratio <= 1.5
    covers = p90 is not None and actual is not None and p90 >= actual
    err = abs(math.log(ratio)) if ratio else None
    per_pass.setdefault(p, []).append((in_range, covers, err))
    keyed[(p, n, op)] = (in_range, covers)
    mark = "" if source == "history" else "*"
    wall_used |= bool(mark)
    ratio_text = "null" if p50 is None else ("n/a" if ratio is None else f"{ratio:.2f}")
    basis = basis.replace("|", "\\|")
    print(f"| {p} | {int(n):,} | {op} | {fmt(p50)} | {fmt(p90)} | {fmt(actual)}{mark} | "
          f"{ratio_text}{'' if in_range else ' (miss)'} | {'yes' if covers else 'no'} | {lock} | {basis} |")
print()
if wall_used:
    print("\\* no statement record in the history: the apply's wall time (process start included)")
    print()

def counts(p):
    r = per_pass.get(p, [])
    errs = [e for _, _, e in r if e is not None]
    median = math.exp(statistics.median(errs)) if errs else None
    return sum(a for a, _, _ in r), sum(c for _, c, _ in r), len(r), median

total = [x for p in per_pass for x in per_pass[p]]
in_range, covers, n = sum(a for a, _, _ in total), sum(c for _, c, _ in total), len(total)
line = f"ratios in [0.67,1.5]: {in_range} of {n}; p90 covers: {covers} of {n}"
verdict = None
if passes == 2 and "1" in per_pass and "2" in per_pass:
    a1, c1, n1, m1 = counts("1")
    a2, c2, n2, m2 = counts("2")
    # "No worse" pair by pair: no measurement that was in range (or covered) in pass 1 missed in pass 2.
    pairs = [(k, keyed[("2",) + k[1:]]) for k in keyed if k[0] == "1" and ("2",) + k[1:] in keyed]
    lost = [k for k, second in pairs if (keyed[k][0] and not second[0]) or (keyed[k][1] and not second[1])]
    verdict = a2 >= a1 and c2 >= c1
    off = lambda m: "n/a" if m is None else f"{m:.2f}x"
    line += (f"; pass 2 vs pass 1: in range {a2} vs {a1} of {n2}, p90 covers {c2} vs {c1} of {n2}, "
             f"median factor off {off(m2)} vs {off(m1)}: {'no worse' if verdict else 'WORSE'}")
    if lost:
        line += " (lost in pass 2: " + ", ".join(f"{k[2]} at {int(k[1]):,}" for k in lost) + ")"
print(line)
print()
check = lambda ok, text: print(("  met    " if ok else "  MISSED ") + text)
print("goal: every ratio in [0.67, 1.5], every p90 >= actual, pass 2 no worse than pass 1")
check(in_range == n, f"ratios in [0.67, 1.5]: {in_range} of {n}")
check(covers == n, f"p90 covers the actual: {covers} of {n}")
if verdict is not None:
    check(verdict, "pass 2 (with pass 1's history) no worse than pass 1")
PY
