#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang-16 into ${BUILD_DIR:-build-fuzz} and runs each
# for FUZZ_SECONDS (default 20) on a copy of its seed corpus in fuzz/corpus/<target>. Any crash,
# sanitizer report or property violation fails the script; the input is kept in
# build-fuzz/artifacts/. `scripts/fuzz.sh TARGET...` runs only those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh fuzz

build_dir=${BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-20}
werror=OFF
if [ "${CI:-}" = "true" ]; then werror=ON; fi
# The tests and the CLI are not part of the fuzz build; the library is, instrumented.
CC=clang-16 CXX=clang++-16 cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" -DMIGRATE_FUZZ=ON -DMIGRATE_BUILD_TESTS=OFF \
  -DMIGRATE_WARNINGS_AS_ERRORS="$werror" >/dev/null
cmake --build "$build_dir" -j2 --target fuzz_targets

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(migration_file_name_fuzzer directive_fuzzer redact_url_fuzzer sqlite_split_fuzzer
           postgres_split_fuzzer)
fi

mkdir -p "$build_dir/artifacts"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=()
for target in "${targets[@]}"; do
  # A copy: what the fuzzer finds stays in the build dir, the seeds in the tree stay small.
  corpus="$build_dir/corpus/$target"
  rm -rf "$corpus" && mkdir -p "$corpus"
  cp fuzz/corpus/"$target"/* "$corpus"/
  log="$build_dir/$target.log"
  if "$build_dir/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$build_dir/artifacts/$target-" "$corpus" \
       >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz: $target: ${runs:-?} executions in ${seconds}s, no crash"
  else
    echo "fuzz: $target FAILED; the log follows, the input is in $build_dir/artifacts/" >&2
    tail -n 60 "$log" >&2
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
