#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, and runs the whole suite with
# ctest inside a throwaway PostgreSQL 15 cluster (pg_virtualenv, which also works as root).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

build_dir=${BUILD_DIR:-build}
run_ctest=(ctest --test-dir "$build_dir" --output-on-failure -j2 --timeout 600)

if command -v pg_virtualenv >/dev/null 2>&1; then
  # The cluster's PG* variables reach every test; PostgreSQL suites read them.
  pg_virtualenv -v 15 "${run_ctest[@]}"
elif [ "${CI:-}" = "true" ]; then
  echo "test.sh: pg_virtualenv (postgresql-common) is missing; under CI a missing server is a failure" >&2
  exit 1
else
  echo "test.sh: pg_virtualenv not found; running without a PostgreSQL server" >&2
  "${run_ctest[@]}"
fi
