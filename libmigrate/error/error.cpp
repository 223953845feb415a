#include <fmt/format.h>

#include "migrate/dialect.hpp"
#include "migrate/error.hpp"
#include "migrate/statement_outcome.hpp"

namespace migrate {

const char* to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInternal:
      return "INTERNAL";
    case ErrorCode::kUsage:
      return "USAGE";
    case ErrorCode::kSourceInvalid:
      return "SOURCE_INVALID";
    case ErrorCode::kStatementFailed:
      return "STATEMENT_FAILED";
    case ErrorCode::kLockTimeout:
      return "LOCK_TIMEOUT";
    case ErrorCode::kChecksumMismatch:
      return "CHECKSUM_MISMATCH";
    case ErrorCode::kMissingFile:
      return "MISSING_FILE";
    case ErrorCode::kOutOfOrder:
      return "OUT_OF_ORDER";
    case ErrorCode::kFailedMigration:
      return "FAILED_MIGRATION";
    case ErrorCode::kIrreversible:
      return "IRREVERSIBLE";
    case ErrorCode::kConnectionFailed:
      return "CONNECTION_FAILED";
    case ErrorCode::kUnsupportedDatabase:
      return "UNSUPPORTED_DATABASE";
    case ErrorCode::kNotConfirmed:
      return "NOT_CONFIRMED";
    case ErrorCode::kHistoryIncompatible:
      return "HISTORY_INCOMPATIBLE";
    case ErrorCode::kTargetNotFound:
      return "TARGET_NOT_FOUND";
    case ErrorCode::kBusy:
      return "BUSY";
    case ErrorCode::kUnsafeMigration:
      return "UNSAFE_MIGRATION";
    case ErrorCode::kRunInProgress:
      return "RUN_IN_PROGRESS";
    case ErrorCode::kConnectionLost:
      return "CONNECTION_LOST";
    case ErrorCode::kOutcomeUnknown:
      return "OUTCOME_UNKNOWN";
    case ErrorCode::kReadOnlyDatabase:
      return "READ_ONLY_DATABASE";
    case ErrorCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case ErrorCode::kPoolerUnsupported:
      return "POOLER_UNSUPPORTED";
    case ErrorCode::kStorageFull:
      return "STORAGE_FULL";
    case ErrorCode::kBackfillNoKey:
      return "BACKFILL_NO_KEY";
    case ErrorCode::kBackfillIncomplete:
      return "BACKFILL_INCOMPLETE";
    case ErrorCode::kPhaseOrder:
      return "PHASE_ORDER";
    case ErrorCode::kSchemaBehind:
      return "SCHEMA_BEHIND";
    case ErrorCode::kCancelled:
      return "CANCELLED";
    case ErrorCode::kVerificationFailed:
      return "VERIFICATION_FAILED";
    case ErrorCode::kBackupFailed:
      return "BACKUP_FAILED";
    case ErrorCode::kRollbackMismatch:
      return "ROLLBACK_MISMATCH";
  }
  return "INTERNAL";
}

const char* to_string(OutcomeRecovery r) noexcept {
  switch (r) {
    case OutcomeRecovery::kRerun:
      return "rerun";
    case OutcomeRecovery::kReadBack:
      return "read-back";
    case OutcomeRecovery::kUnknown:
      return "unknown";
  }
  return "unknown";
}

const char* to_string(Dialect d) noexcept {
  return d == Dialect::kPostgres ? "postgresql" : "sqlite";
}

std::optional<Dialect> parse_dialect(std::string_view text) noexcept {
  if (text == "postgresql") return Dialect::kPostgres;
  if (text == "sqlite") return Dialect::kSqlite;
  return std::nullopt;
}

std::string Error::describe() const {
  std::string out;
  if (!where.file.empty()) {
    out += where.file;
    if (where.line > 0)
      out += fmt::format(":{}:{}", where.line, where.column > 0 ? where.column : 1);
    out += ": ";
  }
  out += message;
  if (!hint.empty()) out += "\n  fix: " + hint;
  return out;
}

}  // namespace migrate
