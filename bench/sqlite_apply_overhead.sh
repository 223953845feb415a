#!/usr/bin/env bash
# What libmigrate's safety costs on SQLite: the 694 Kratos migrations applied by `migrate apply`
# (lock, history re-read under the lock, one transaction and one history row per migration,
# foreign_key_check before each commit) against the naive baseline measured in the same run:
# the sqlite3 shell running every file in its own BEGIN/COMMIT with foreign keys off.
# Usage: bench/sqlite_apply_overhead.sh [BUILD_DIR]   (needs the sqlite3 shell and ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
migrate="$build_dir/cli/migrate"
corpus=${MIGRATE_SHARED_DIR:-../shared}/corpora/kratos
[ -x "$migrate" ] || { echo "build first: scripts/build.sh" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/migrations"
script="$work/naive.sql"
echo "PRAGMA foreign_keys=OFF;" >"$script"
while IFS=$'\t' read -r order version name direction dialect autocommit empty file; do
  [ "$order" = "order" ] && continue
  ln -s "$(realpath "$corpus/sqlite/$file")" "$work/migrations/V${version}__${name}.${direction}.sql"
  if [ "$direction" = up ]; then
    { echo "BEGIN;"; cat "$corpus/sqlite/$file"; echo; echo "COMMIT;"; } >>"$script"
  fi
done <"$corpus/manifest.sqlite.tsv"

now_ms() { date +%s%3N; }
runs=${RUNS:-3}
best_naive=""; best_migrate=""
for i in $(seq "$runs"); do
  rm -f "$work/naive.db" "$work/migrate.db"
  t0=$(now_ms); sqlite3 -bail "$work/naive.db" <"$script" >/dev/null; t1=$(now_ms)
  "$migrate" --db "sqlite:$work/migrate.db" --dir "$work/migrations" --log-level warn apply >/dev/null
  t2=$(now_ms)
  naive=$((t1 - t0)); mig=$((t2 - t1))
  [ -z "$best_naive" ] || [ "$naive" -lt "$best_naive" ] && best_naive=$naive
  [ -z "$best_migrate" ] || [ "$mig" -lt "$best_migrate" ] && best_migrate=$mig
  echo "run $i: sqlite3 shell ${naive} ms, migrate apply ${mig} ms"
done

same=$(diff <(sqlite3 "$work/naive.db" "SELECT type,name,sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY 1,2") \
            <(sqlite3 "$work/migrate.db" "SELECT type,name,sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> 'migrate_history' ORDER BY 1,2") \
       >/dev/null && echo yes || echo NO)
echo
echo "694 Kratos migrations, best of $runs:"
echo "  baseline (sqlite3 shell, no history, no checks): ${best_naive} ms"
echo "  migrate apply:                                   ${best_migrate} ms"
awk -v a="$best_migrate" -v b="$best_naive" 'BEGIN { printf "  ratio migrate/baseline: %.2fx (%.2f ms per migration of overhead)\n", a / (b > 0 ? b : 1), (a - b) / 694 }'
echo "  same schema: $same"
