// Migrations built in memory, as load_directory would build them from files under
// "migrations/", for tests of the layers above the source.
#pragma once

#include <optional>
#include <string>

#include "migrate/source.hpp"

namespace migrate::testing {

// Throws std::runtime_error for a bad version or directive block (a broken test setup).
Migration make_migration(const std::string& version, const std::string& name,
                         const std::string& up_sql,
                         const std::optional<std::string>& down_sql = std::nullopt);

}  // namespace migrate::testing
