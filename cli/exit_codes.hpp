// The CLI's exit codes, one per error family (docs/cli.md lists them; tests pin them).
#pragma once

#include "migrate/error.hpp"

namespace migrate::cli {

inline constexpr int kExitOk = 0;

inline int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInternal:
      return 1;
    case ErrorCode::kUsage:
      return 2;
    case ErrorCode::kTargetNotFound:
      return 24;  // its own code: a script can tell a typo in the command from a missing version
    case ErrorCode::kSourceInvalid:
      return 3;
    case ErrorCode::kStatementFailed:
      return 4;
    case ErrorCode::kLockTimeout:
      return 5;
    case ErrorCode::kChecksumMismatch:
      return 6;
    case ErrorCode::kMissingFile:
      return 7;
    case ErrorCode::kOutOfOrder:
      return 8;
    case ErrorCode::kFailedMigration:
      return 9;
    case ErrorCode::kIrreversible:
      return 10;
    case ErrorCode::kConnectionFailed:
      return 11;
    case ErrorCode::kUnsupportedDatabase:
      return 12;
    case ErrorCode::kNotConfirmed:
      return 13;
    case ErrorCode::kHistoryIncompatible:
      return 14;
    case ErrorCode::kBusy:
      return 15;
    case ErrorCode::kUnsafeMigration:
      return 16;
    case ErrorCode::kRunInProgress:
      return 17;
    case ErrorCode::kConnectionLost:
      return 18;
    case ErrorCode::kOutcomeUnknown:
      return 19;
    case ErrorCode::kReadOnlyDatabase:
      return 20;
    case ErrorCode::kPermissionDenied:
      return 21;
    case ErrorCode::kPoolerUnsupported:
      return 22;
    case ErrorCode::kStorageFull:
      return 23;
    case ErrorCode::kBackfillNoKey:
      return 25;
    case ErrorCode::kBackfillIncomplete:
      return 26;
    case ErrorCode::kPhaseOrder:
      return 27;
    case ErrorCode::kSchemaBehind:
      return 28;
    case ErrorCode::kCancelled:
      return 29;
    case ErrorCode::kVerificationFailed:
      return 32;
    case ErrorCode::kBackupFailed:
      return 31;
    case ErrorCode::kRollbackMismatch:
      return 30;
  }
  return 1;
}

}  // namespace migrate::cli
