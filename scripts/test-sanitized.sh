#!/usr/bin/env bash
# The whole suite built with AddressSanitizer + UBSan (GCC) into ${BUILD_DIR:-build-asan} and run
# like scripts/test.sh: a leak, a memory error or undefined behaviour fails the test it happens in.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

build_dir=${BUILD_DIR:-build-asan}
# -O1: fast enough to run the suite, still close to what the sanitizers report at -O0. Warnings
# are not errors here: GCC warns falsely on instrumented code, and scripts/test.sh has already
# built the same code with -Werror.
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
  -DMIGRATE_SANITIZE=ON -DMIGRATE_WARNINGS_AS_ERRORS=OFF >/dev/null
cmake --build "$build_dir" -j2

# abort_on_error: a report ends the process with a signal, so no test can pass after one.
# The suppressions file names third-party leaks only; see the comments in it.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS="suppressions=$PWD/scripts/sanitizer/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
run_ctest=(ctest --test-dir "$build_dir" --output-on-failure -j2 --timeout 900)

if command -v pg_virtualenv >/dev/null 2>&1; then
  pg_virtualenv -v 15 "${run_ctest[@]}"
elif [ "${CI:-}" = "true" ]; then
  echo "test-sanitized.sh: pg_virtualenv (postgresql-common) is missing; under CI a missing server is a failure" >&2
  exit 1
else
  echo "test-sanitized.sh: pg_virtualenv not found; running without a PostgreSQL server" >&2
  "${run_ctest[@]}"
fi
