// The CLI's binding of the PostgreSQL driver (libmigrate/backend/postgres_driver.hpp): the driver
// module (migrate_postgres.so, libpq and its dependencies) is loaded the first time a command
// needs PostgreSQL, so that a command on SQLite or without a database starts without loading it
// (docs/cli.md#start-up-and-the-postgresql-module).
#include <dlfcn.h>

#include <fmt/format.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "libmigrate/backend/postgres_driver.hpp"
#include "libmigrate/error/failure.hpp"

namespace migrate {

namespace {

// Where the module may be: beside the executable (the build tree), then at the installed
// layout's place relative to it (LIBDIR/libmigrate from BINDIR), so an installed tree works
// wherever its prefix is moved.
// Never the current directory: an executable that cannot find itself loads nothing.
std::vector<std::filesystem::path> module_candidates() {
  std::error_code error;
  const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error)
    fail(ErrorCode::kUnsupportedDatabase,
         fmt::format("this migrate cannot open PostgreSQL databases: it cannot find its own "
                     "location (/proc/self/exe: {}), beside which its PostgreSQL module is",
                     error.message()),
         "run migrate where /proc is mounted");
  const std::filesystem::path dir = executable.parent_path();
  return {dir / MIGRATE_POSTGRES_MODULE_NAME,
          (dir / MIGRATE_POSTGRES_MODULE_FROM_BINDIR / MIGRATE_POSTGRES_MODULE_NAME)
              .lexically_normal()};
}

const PostgresDriver* load_driver() {
  const auto candidates = module_candidates();
  std::string tried;
  for (const auto& path : candidates) {
    std::error_code error;
    if (!std::filesystem::exists(path, error)) {
      tried += fmt::format("\n  {}: not there", path.string());
      continue;
    }
    // RTLD_LOCAL: the module's symbols (its hidden copy of libmigrate included) never bind the
    // program's references; RTLD_NOW: a missing dependency fails here, not mid-run.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      tried += fmt::format("\n  {}: {}", path.string(), why ? why : "cannot be loaded");
      continue;
    }
    // Never closed: the backends and errors it makes live as long as the process.
    auto entry = reinterpret_cast<PostgresDriverEntry>(dlsym(handle, kPostgresDriverEntryName));
    const PostgresDriver* driver = entry ? entry(kPostgresDriverAbi, MIGRATE_BUILD_ID) : nullptr;
    if (driver != nullptr) return driver;
    tried +=
        fmt::format("\n  {}: {}", path.string(),
                    entry ? "from another build of migrate than this one (" MIGRATE_BUILD_ID ")"
                          : "not a migrate PostgreSQL module");
  }
  // Not kInternal: the installation, not the program, lacks something.
  fail(ErrorCode::kUnsupportedDatabase,
       fmt::format("this migrate cannot open PostgreSQL databases: its PostgreSQL module "
                   "cannot be loaded:{}",
                   tried),
       fmt::format("install migrate again: {} comes with the executable, beside it or in {}",
                   MIGRATE_POSTGRES_MODULE_NAME, (candidates.back().parent_path()).string()));
}

}  // namespace

const PostgresDriver& postgres_driver() {
  // Loaded once; a failed load throws and is tried again on the next call.
  static const PostgresDriver* const driver = load_driver();
  return *driver;
}

}  // namespace migrate
