// The parts of a migration file name, V<version>__<name>.up.sql / .down.sql / .verify.sql, as the
// directory loader reads them; declared on its own so the name parser can be fuzzed without a
// directory.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "migrate/version.hpp"

namespace migrate {

// Which file of its migration a name is.
enum class MigrationFileRole {
  kUp,      // .up.sql
  kDown,    // .down.sql
  kVerify,  // .verify.sql: checks run after the up (docs/file-format.md, Verification)
};

struct MigrationFileName {
  Version version;
  std::string name;  // between "__" and ".up.sql"/".down.sql"/".verify.sql"
  MigrationFileRole role = MigrationFileRole::kUp;
};

// ".up.sql", ".down.sql", ".verify.sql"
const char* file_suffix(MigrationFileRole role) noexcept;

// nullopt for anything that is not a migration file name (a path is not a name: no '/').
std::optional<MigrationFileName> parse_migration_file_name(std::string_view file_name);

// The integer after `digits` (decimal digits), zero-padded to at least their width: "009" ->
// "010", "99" -> "100".
std::string next_version_digits(std::string digits);

// The version `migrate new` gives the next migration after `highest` (nullopt: an empty
// directory, "001"): the next integer after its first component, padded like it.
std::string next_version_after(const std::optional<Version>& highest);

}  // namespace migrate
