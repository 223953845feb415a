// Database failures that are about the database's state rather than about the statement that
// met them: a read-only server or file, a missing privilege, a full disk. Named the same whether
// a migration's statement or libmigrate's own history statement hit them, so the operator gets
// the fix for the database instead of "fix the migration" or INTERNAL.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "migrate/error.hpp"

namespace migrate {

struct DatabaseCondition {
  ErrorCode code;
  std::string fix;  // the hint: what to change in the database or its host
};

// By PostgreSQL SQLSTATE: 25006 read-only transaction, 42501 insufficient privilege, 53100 disk
// full. nullopt for every other SQLSTATE (the statement's own failure).
std::optional<DatabaseCondition> postgres_condition(std::string_view sqlstate);

// By SQLite extended result code and the errno of the failed system call
// (sqlite3_system_errno): SQLITE_READONLY*, SQLITE_FULL (a full file system on a short write, or
// the max_page_count limit), and an I/O error whose errno is ENOSPC, EDQUOT or EFBIG (a write
// refused outright: full disk, quota, RLIMIT_FSIZE). nullopt for every other code.
std::optional<DatabaseCondition> sqlite_condition(int extended_result_code, int system_errno = 0);

}  // namespace migrate
