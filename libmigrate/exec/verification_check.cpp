#include "libmigrate/exec/verification_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/error/sqlstate.hpp"

namespace migrate {
namespace {

constexpr std::size_t kRowsKept = 10;

// PostgreSQL prints a boolean as `t`; SQLite has no boolean and a comparison gives 1. Anything
// else (a count, an id, `f`) is not "true": a check that returns one row of data found something.
bool is_true(const std::optional<std::string>& value, Dialect dialect) {
  if (!value) return false;
  return dialect == Dialect::kPostgres ? *value == "t" : *value == "1";
}

// A lock timeout, a deadlock, a serialization failure or SQLite's busy database: the check did
// not get to answer. Thrown as such, so that a step retries it like its statements (and `migrate
// verify` says the database was busy) instead of calling it a failed check.
bool is_transient(const Error& e) {
  return e.sqlstate == sqlstate::kLockNotAvailable || e.sqlstate == sqlstate::kDeadlockDetected ||
         e.sqlstate == sqlstate::kSerializationFailure || e.sqlstate.starts_with("SQLITE_BUSY") ||
         e.sqlstate.starts_with("SQLITE_LOCKED");
}

// A value as SQL text, cut at 100 bytes (at a character boundary): the message goes into the
// history for good, and a check's rows may be large or personal.
std::string quoted(const std::optional<std::string>& value) {
  constexpr std::size_t kKept = 100;
  if (!value) return "NULL";
  std::string_view v = *value;
  bool cut = false;
  if (v.size() > kKept) {
    std::size_t end = kKept;
    while (end > 0 && (static_cast<unsigned char>(v[end]) & 0xC0) == 0x80) --end;
    v = v.substr(0, end);
    cut = true;
  }
  std::string out = "'";
  for (char c : v) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + (cut ? "...'" : "'");
}

}  // namespace

std::string describe_rows(const VerificationCheck& check, std::size_t limit) {
  std::string out = fmt::format("{} row{}", check.row_count, check.row_count == 1 ? "" : "s");
  const std::size_t shown = std::min(limit, check.rows.size());
  for (std::size_t r = 0; r < shown; ++r) {
    std::string row;
    for (const auto& v : check.rows[r]) row += (row.empty() ? "" : ", ") + quoted(v);
    out += fmt::format("{}({})", r == 0 ? ": " : ", ", row);
  }
  if (check.row_count > shown) out += ", ...";
  return out;
}

VerificationCheck run_verification_check(Backend& backend, const PlannedStatement& statement) {
  VerificationCheck check{statement.index, statement.line, statement.column, statement.sql};
  std::vector<SqlRow> rows;
  try {
    rows = backend.query_statement(
        SqlStatement{statement.index, 0, statement.line, statement.column, statement.sql});
  } catch (const Failure& f) {
    if (f.error().code == ErrorCode::kConnectionLost) throw;
    if (is_transient(f.error())) {
      Error e = f.error();
      // As the executor words a statement's lock timeout: its retries apply to the check too.
      if (e.sqlstate == sqlstate::kLockNotAvailable || e.sqlstate.starts_with("SQLITE_BUSY") ||
          e.sqlstate.starts_with("SQLITE_LOCKED"))
        e.code = ErrorCode::kLockTimeout;
      e.message = fmt::format("check {} could not run: {}", statement.index, e.message);
      throw Failure(e);
    }
    check.error = f.error().message;
    return check;
  }
  check.row_count = rows.size();
  check.passed = rows.empty() || (rows.size() == 1 && !rows.front().empty() &&
                                  is_true(rows.front().front(), backend.dialect()));
  if (!check.passed) {
    rows.resize(std::min(rows.size(), kRowsKept));
    check.rows.assign(rows.begin(), rows.end());
  }
  return check;
}

void run_verification(Backend& backend, const PlannedStep& step) {
  for (const auto& statement : step.verify) {
    VerificationCheck check = run_verification_check(backend, statement);
    if (check.passed) continue;
    const std::string file = step.verify_file.filename().string();
    const std::string found = check.error.empty() ? fmt::format("returned {}", describe_rows(check))
                                                  : fmt::format("failed: {}", check.error);
    throw Failure(Error{
        ErrorCode::kVerificationFailed,
        fmt::format("verification of version {} ({}) failed: check {} of {} (line {}) {}",
                    step.version, step.name, check.index, file, check.line, found),
        step.transactional
            ? fmt::format("the migration's transaction was rolled back: nothing of it is "
                          "applied; fix {} or the check in {}, then run `migrate apply "
                          "--retry-failed`",
                          step.file.filename().string(), file)
            : fmt::format("this migration does not run in one transaction: its statements stay "
                          "applied; fix the data or the check in {}, then run `migrate apply "
                          "--retry-failed`, which runs only the checks again",
                          file),
        SourceLocation{step.verify_file.string(), step.version, check.index, check.line,
                       check.column},
        {}});
  }
}

}  // namespace migrate
