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
inline constexpr std::string_view kCrashShutdown = "57P02";     // another backend crashed
inline constexpr std::string_view kCannotConnectNow = "57P03";  // starting up / shutting down
inline constexpr std::string_view kSerializationFailure = "40001";
inline constexpr std::string_view kDeadlockDetected = "40P01";

// The connection is gone or going: class 08 (connection exception) and the shutdowns of 57P0x.
// The statement did not fail because of the migration.
inline bool is_connection_loss(std::string_view code) {
  return code.starts_with("08") || code == kAdminShutdown || code == kCrashShutdown ||
         code == kCannotConnectNow;
}
inline constexpr std::string_view kInsufficientPrivilege = "42501";
inline constexpr std::string_view kDiskFull = "53100";
inline constexpr std::string_view kUndefinedColumn = "42703";

// libmigrate's own codes in the history's error_code column.
inline constexpr std::string_view kInterrupted = "INTERRUPTED";
// An attempt the operator closed with `migrate resolve`, saying whether its statement in doubt
// took effect.
inline constexpr std::string_view kResolved = "RESOLVED";
inline constexpr std::string_view kTransactionControl = "TRANSACTION_CONTROL";
inline constexpr std::string_view kInvalidIndex = "INVALID_INDEX";
inline constexpr std::string_view kForeignKeyViolation = "FOREIGN_KEY_VIOLATION";

}  // namespace migrate::sqlstate
