// The two database dialects libmigrate serves. One enum, so a misspelt dialect is a compile
// error rather than a silently wrong branch.
#pragma once

#include <optional>
#include <string_view>

namespace migrate {

enum class Dialect { kSqlite, kPostgres };

// "sqlite" / "postgresql": the names used in JSON output, rules and `--dialect`. Returns a static
// string; safe to call from any thread.
const char* to_string(Dialect d) noexcept;

// Inverse of to_string (exact, case-sensitive match); nullopt for any other text, "postgres"
// included. Safe to call from any thread.
std::optional<Dialect> parse_dialect(std::string_view text) noexcept;

}  // namespace migrate
