#!/usr/bin/env bash
# Configures and builds libmigrate into ${BUILD_DIR:-build}. Warnings are errors under CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
werror=OFF
if [ "${CI:-}" = "true" ]; then werror=ON; fi
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -DMIGRATE_WARNINGS_AS_ERRORS="$werror" >/dev/null
cmake --build "$build_dir" -j2
