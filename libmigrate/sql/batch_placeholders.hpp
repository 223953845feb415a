// The batch bounds a backfill statement names (docs/backfills.md): `:batch_start` (exclusive)
// and `:batch_end` (inclusive), found where the SQL has tokens, never inside a string, a quoted
// identifier or a comment.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/dialect.hpp"

namespace migrate {

inline constexpr std::string_view kBatchStart = ":batch_start";
inline constexpr std::string_view kBatchEnd = ":batch_end";

struct BatchPlaceholder {
  std::size_t offset = 0;  // of the ':' in the text
  bool start = false;      // :batch_start, else :batch_end
};

// Every placeholder of `sql` in text order. PostgreSQL's and SQLite's lexical rules differ in
// dollar quoting (PostgreSQL) and bracket/backtick identifiers (SQLite).
std::vector<BatchPlaceholder> find_batch_placeholders(std::string_view sql, Dialect dialect);

// PostgreSQL's grammar has no named parameters: `:batch_start` becomes `$1` and `:batch_end`
// `$2`, padded with spaces to the same length, so every offset, line and column of the text stays
// where it was (parse errors still point into the file as written). Returns `sql` unchanged when
// it names neither.
std::string with_postgres_batch_parameters(const std::string& sql);

}  // namespace migrate
