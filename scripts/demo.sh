#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and shows migrate on the SQLite
# demo in sql_fixtures/demo/sqlite: plan, apply, status, rollback to an earlier version, status.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null

build_dir=${BUILD_DIR:-build}
work="$build_dir/demo"
rm -rf "$work" && mkdir -p "$work"
db="sqlite:$work/demo.db"
dir="sql_fixtures/demo/sqlite"

step() {
  echo
  echo "\$ migrate $*"
  "$build_dir/cli/migrate" --db "$db" --dir "$dir" --log-level warn "$@"
}

step plan --dry-run --target V003
echo
echo "apply stops before the first contract migration (V018): the application deploy comes first."
step apply
step status
echo
echo "After the deploy, the contracts:"
step apply --phase contract
echo
echo "Rolling back below V017 is refused while its contract V019 is applied (exit code 27):"
set +e
step rollback --target V012 --yes
code=$?
set -e
echo "(exit code $code)"
step rollback --target V017 --yes
step rollback --target V012 --yes
step status
echo
echo "Rolling back below V009 is refused before anything runs (V009 has no down file):"
set +e
step rollback --target V005 --yes
code=$?
set -e
echo "(exit code $code)"
echo
echo "The demo database is $work/demo.db; its history is in the table migrate_history."
