// The PostgreSQL driver: the entry points of everything in libmigrate that needs libpq (through
// libpqxx), so that nothing above the backend layer calls libpq itself. libmigrate links the
// driver in (postgres_driver_linked.cpp). The migrate CLI instead loads it, on first use, from a
// module of its own (cli/postgres_module.cpp): libpq brings about twenty shared objects
// (Kerberos, LDAP, GnuTLS, ...) whose loading was a third of the CLI's start-up, and commands on
// SQLite or without a database (lint, new, config) never need them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/backend/lock_tracer.hpp"

namespace migrate {

// One parameter a libpq connection string sets explicitly (libpq fills the rest from its
// environment variables and defaults).
struct ConnectionParameter {
  std::string keyword;
  std::string envvar;  // empty when libpq has none for it
  std::string value;
};

struct PostgresDriver {
  // Connects (the PostgreSQL backend); throws Failure as Backend's constructors do.
  std::unique_ptr<Backend> (*open_backend)(const std::string& url, const BackendOptions& options);
  // LockTracer::open's implementation.
  std::unique_ptr<LockTracer> (*open_lock_tracer)(const std::string& url,
                                                  const LockTracer::Settings& settings);
  // The parameters `url` (a postgres:// URL or a key=value string) sets, read by libpq's
  // PQconninfoParse. Throws kUsage when libpq cannot read it (the message has no password).
  std::vector<ConnectionParameter> (*connection_parameters)(const std::string& url);
};

// The driver the build uses: libmigrate's own, or in the CLI the module's, loaded on the first
// call (thread-safe). Throws Failure (kUnsupportedDatabase) when the module cannot be loaded.
const PostgresDriver& postgres_driver();

// The driver of the PostgreSQL sources themselves (postgres/postgres_driver.cpp).
const PostgresDriver& linked_postgres_driver();

// What a driver module exports, as `extern "C"`: the driver, when `abi` is kPostgresDriverAbi
// and `build` is the loader's build (MIGRATE_BUILD_ID: the version and a token of the CMake
// configuration that built both; a module of another build may lay the driver, Backend or
// BackendOptions out differently), or nullptr.
using PostgresDriverEntry = const PostgresDriver* (*)(std::uint32_t abi, const char* build);
inline constexpr const char* kPostgresDriverEntryName = "migrate_postgres_driver";
// Raised whenever PostgresDriver (or a type its functions take) changes shape.
inline constexpr std::uint32_t kPostgresDriverAbi = 1;

}  // namespace migrate
