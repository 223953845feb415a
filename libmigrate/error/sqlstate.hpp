// The database error codes libmigrate acts on, named once. PostgreSQL SQLSTATEs from
// https://www.postgresql.org/docs/15/errcodes-appendix.html; the others are libmigrate's own
// codes recorded in the history's error_code column.
#pragma once

#include <string_view>

namespace migrate::sqlstate {

inline constexpr std::string_view kLockNotAvailable = "55P03";  // lock_timeout expired
inline constexpr std::string_view kQueryCanceled = "57014";     // statement_timeout expired
inline constexpr std::string_view kUndefinedTable = "42P01";    // relation does not exist
inline constexpr std::string_view kAdminShutdown = "57P01";     // terminated by the server
inline constexpr std::string_view kReadOnlyTransaction = "25006";
inline constexpr std::string_view kInsufficientPrivilege = "42501";
inline constexpr std::string_view kDiskFull = "53100";
inline constexpr std::string_view kUndefinedColumn = "42703";

// libmigrate's own codes in the history's error_code column.
inline constexpr std::string_view kInterrupted = "INTERRUPTED";
inline constexpr std::string_view kTransactionControl = "TRANSACTION_CONTROL";
inline constexpr std::string_view kInvalidIndex = "INVALID_INDEX";
inline constexpr std::string_view kForeignKeyViolation = "FOREIGN_KEY_VIOLATION";

}  // namespace migrate::sqlstate
