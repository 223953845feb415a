// A migration's verify file (V<version>__<name>.verify.sql, docs/file-format.md#verification):
// queries that check what the up did. apply runs them after each migration's statements;
// Migrator::verify (`migrate verify`) runs those of applied migrations again and reports each
// with these plain values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "migrate/error.hpp"

namespace migrate {

// One query of a verify file, as it ran.
struct VerificationCheck {
  int index = 0;  // 1-based within the verify file
  int line = 0;   // where the query starts in the file
  int column = 0;
  std::string sql;
  // No rows, or one row whose first column is true (PostgreSQL the boolean `t`; SQLite `1`, as a
  // comparison gives it). False when it returned anything else or failed.
  bool passed = false;
  // What a failed check returned, the first 10 rows at most, NULL as nullopt; `row_count` counts
  // them all.
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::size_t row_count = 0;
  std::string error;  // the database's message when the query itself failed; empty otherwise
};

// The checks of one applied migration.
struct MigrationVerification {
  std::string version;  // canonical
  std::string name;
  std::string file;  // the verify file
  std::vector<VerificationCheck> checks;
  bool passed() const noexcept {
    for (const auto& c : checks)
      if (!c.passed) return false;
    return true;
  }
};

// What Migrator::verify returns: each applied migration that has a verify file, in version order.
struct VerificationReport {
  std::vector<MigrationVerification> migrations;
  // Applied migrations without a verify file (nothing to check), canonical versions.
  std::vector<std::string> without_checks;
  // kVerificationFailed naming the migrations whose checks failed; unset when all passed.
  std::optional<Error> error;
};

// The rows a check returned, in words: "2 rows: (17, NULL), (18, 'late')", at most `limit` of
// them. Pure; safe to call from any thread.
std::string describe_rows(const VerificationCheck& check, std::size_t limit = 5);

}  // namespace migrate
