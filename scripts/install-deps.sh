#!/usr/bin/env bash
# Installs the Debian 12 packages libmigrate builds and tests with, only when some are missing,
# so a second run on a prepared machine costs nothing and needs no network.
# `install-deps.sh fuzz` adds clang, libFuzzer and the sanitizer runtimes (installed without
# recommends, so named) for scripts/fuzz.sh; the build, the demo and the
# GCC test suites never need them.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  libpqxx-dev libpq-dev libsqlite3-dev sqlite3 libpg-query-dev libprotobuf-c-dev time
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libtomlplusplus-dev libssl-dev
  googletest libgtest-dev libgmock-dev
  postgresql-15 postgresql-contrib postgresql-common pgbouncer
)
if [ "${1:-}" = "fuzz" ]; then packages+=(clang-16 libfuzzer-16-dev libclang-rt-16-dev); fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
