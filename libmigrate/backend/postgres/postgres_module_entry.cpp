// The entry point of the PostgreSQL driver module that the migrate CLI loads
// (cli/postgres_module.cpp); only the module is built with it. Everything else in the module is
// hidden, so the module's copy of the libmigrate code it uses never stands in for the program's.
#include <cstring>
#include <type_traits>

#include "libmigrate/backend/postgres_driver.hpp"

extern "C" __attribute__((visibility("default"))) const migrate::PostgresDriver*
migrate_postgres_driver(std::uint32_t abi, const char* build) {
  if (abi != migrate::kPostgresDriverAbi || build == nullptr ||
      std::strcmp(build, MIGRATE_BUILD_ID) != 0)
    return nullptr;
  return &migrate::linked_postgres_driver();
}

// The signature the loader casts dlsym's result to.
static_assert(std::is_same_v<decltype(&migrate_postgres_driver), migrate::PostgresDriverEntry>);
