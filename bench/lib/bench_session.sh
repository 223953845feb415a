# Sourced by the PostgreSQL workload benchmarks (bench/lock_impact.sh, bench/backfill.sh) after
# they set `db` (the database they create and drop) and `migrate` (the binary to copy):
#   work        a temporary directory, removed at exit (KEEP_LOGS=1 keeps it)
#   pids        background jobs to kill at exit, with their children
#   migrate     replaced by a copy in $work, so that a rebuild during the benchmark cannot swap
#               the binary between (or during) runs
#   now_ms, q (psql on $db), drop_db
# and the EXIT/INT/TERM traps that clean up.

work=$(mktemp -d)
pids=()
kill_tree() {  # a background job and its children, by pid
  local p c
  for p in "$@"; do
    for c in $(pgrep -P "$p" 2>/dev/null); do kill_tree "$c"; done
    kill "$p" 2>/dev/null || true
  done
}
cleanup() {
  [ "${#pids[@]}" -eq 0 ] || kill_tree "${pids[@]}"
  wait 2>/dev/null || true
  drop_db 2>/dev/null || true
  if [ "${KEEP_LOGS:-}" = 1 ]; then echo "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A copy, so that a rebuild during the benchmark cannot swap the binary between (or during) runs;
# with its PostgreSQL module, which it loads from beside itself (docs/cli.md).
cp "$migrate" "$work/migrate"
cp "$(dirname "$(realpath "$migrate")")/migrate_postgres.so" "$work/"
migrate="$work/migrate"

now_ms() { date +%s%3N; }
q() { PGDATABASE=$db psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
drop_db() {
  PGDATABASE=postgres psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
}
