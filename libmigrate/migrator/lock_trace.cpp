// Migrator::trace_locks: the apply plan's statements run on a trace database (a temporary copy of
// the target's schema, or the one the caller names) by the lock tracer (backend/lock_tracer.hpp),
// and each statement's traced locks compared with the analyzer's.
#include <fmt/format.h>

#include <regex>

#include "libmigrate/backend/database_url.hpp"
#include "libmigrate/backend/lock_tracer.hpp"
#include "libmigrate/migrator/facade.hpp"
#include "libmigrate/roundtrip/scratch_database.hpp"
#include "migrate/migrator.hpp"

namespace migrate {

using namespace facade;

namespace {

// Work a rollback does not undo: sequence positions set by setval(), other databases reached
// through dblink, replication slots, files written by the server (lo_export, COPY ... TO a file
// or a program). Read from the text, so a name in a comment or a string also counts: such a
// statement is left untraced on a database the user named, never run by mistake.
bool has_lasting_effect(const std::string& sql) {
  static const std::regex kLasting(
      R"((\b(setval|dblink\w*|pg_create_\w*replication_slot|pg_drop_replication_slot|lo_export|pg_file_write)\s*\()|(^\s*copy\b[\s\S]*\b(to|from)\s+(program\b|')))",
      std::regex::icase | std::regex::ECMAScript);
  return std::regex_search(sql, kLasting);
}

// The statements of the plan's steps, with the analyzer's locks beside each: every relation the
// statement names (kNone where it takes no lock), then any other the analyzer locks.
// `one_transaction`: a database the user named, where the statements share one transaction that
// is rolled back: what the rollback would not undo, or what would hold locks or settings for the
// rest of the trace, is not run there.
std::vector<TracedStatement> statements_to_trace(const Plan& plan, bool one_transaction) {
  std::vector<TracedStatement> out;
  for (const auto& step : plan.steps) {
    for (const auto& planned : step.statements) {
      TracedStatement s;
      s.version = step.version;
      s.name = step.name;
      s.file = step.file.string();
      s.statement = planned.index;
      s.line = planned.line;
      s.column = planned.column;
      s.sql = planned.sql;
      s.standalone = planned.standalone;
      s.autocommit = planned.autocommit;
      const StatementAnalysis* analysis = nullptr;
      if (step.analysis)
        for (const auto& a : step.analysis->statements)
          if (a.index == planned.index) analysis = &a;
      auto set_level = [&](const std::string& relation, LockLevel level) {
        for (auto& l : s.analyzer_locks)
          if (l.relation == relation) {
            l.level = level;
            return;
          }
        s.analyzer_locks.push_back({relation, level});
      };
      for (const auto& relation : planned.relations) set_level(relation, LockLevel::kNone);
      if (analysis)
        for (const auto& l : analysis->locks) set_level(l.relation, l.level);
      if (planned.transaction_control)
        s.not_traced_reason =
            "transaction control: libmigrate owns the transactions, and apply refuses the file";
      else if (planned.backfill && planned.backfill->form == BackfillForm::kExplicit)
        s.not_traced_reason =
            "a backfill naming :batch_start and :batch_end runs batch by batch; its batches are "
            "not traced";
      else if (one_transaction && planned.backfill)
        s.not_traced_reason =
            "a backfill runs in batches; on a database named with --trace-db it is not run (as "
            "one statement it would hold every row's lock until the trace ends); a trace without "
            "--trace-db runs it on a temporary copy";
      else if (one_transaction && has_lasting_effect(planned.sql))
        s.not_traced_reason =
            "it may do work a rollback does not undo (setval, dblink, replication slots, files "
            "the server writes), so it is not run on a database named with --trace-db; a trace "
            "without --trace-db runs it on a temporary copy";
      else if (one_transaction && planned.may_change_settings)
        s.not_traced_reason =
            "it may change session settings (SET, set_config), which would stay in force for "
            "every later statement of the trace's one transaction, so it is not run on a "
            "database named with --trace-db; a trace without --trace-db runs it on a temporary "
            "copy";
      out.push_back(std::move(s));
    }
  }
  return out;
}

// Runs the statements on `url` until one fails (report.error), comparing each traced one.
void trace_statements(const Options& options, const std::string& url, LockTracer::Mode mode,
                      LockTraceReport& report, std::vector<TracedStatement> statements) {
  LockTracer::Settings settings;
  settings.mode = mode;
  settings.application_name = options.application_name + " trace";
  if (mode == LockTracer::Mode::kOneTransaction) {
    // Someone else's database: its sessions must not queue behind the trace for long.
    settings.lock_timeout = options.lock_timeout;
    settings.statement_timeout = options.statement_timeout.value_or(std::chrono::minutes(5));
  } else {
    settings.statement_timeout = options.statement_timeout.value_or(std::chrono::milliseconds(0));
  }
  const auto tracer = LockTracer::open(url, settings);
  for (auto& s : statements) {
    if (!s.not_traced_reason.empty()) {
      report.statements.push_back(std::move(s));
      continue;
    }
    try {
      const auto unknown = tracer->trace(s, {s.file, s.version, s.statement, s.line, s.column});
      for (auto& m : compare_traced_locks(s, unknown)) report.mismatches.push_back(std::move(m));
      report.statements.push_back(std::move(s));
    } catch (const Failure& f) {
      s.not_traced_reason = "it failed on the trace database: " + f.error().message;
      report.statements.push_back(std::move(s));
      report.error = f.error();
      break;
    }
  }
  tracer->rollback();
}

}  // namespace

Result<LockTraceReport> Migrator::trace_locks(const LockTraceOptions& trace_options) const {
  return as_result(options_, [&]() -> LockTraceReport {
    auto plan = plan_apply(trace_options.target);
    if (!plan) throw Failure(plan.error());
    if (plan->dialect != Dialect::kPostgres)
      fail(ErrorCode::kUsage,
           "lock tracing needs PostgreSQL: SQLite has one database-wide write lock",
           "leave out --trace on a SQLite database; the analyzer's locks are all there is");
    LockTraceReport report;
    const std::string& given = trace_options.trace_database_url;
    if (!given.empty()) {
      if (!given.starts_with("postgres://") && !given.starts_with("postgresql://") &&
          given.find('=') == std::string::npos)
        fail(ErrorCode::kUsage,
             fmt::format("the trace database {} is not a PostgreSQL URL", redact_url(given)),
             "give --trace-db a postgresql:// URL or a libpq key=value connection string");
      report.trace_database = redact_url(given);
      try {
        trace_statements(options_, given, LockTracer::Mode::kOneTransaction, report,
                         statements_to_trace(*plan, true));
      } catch (const Failure& f) {
        throw Failure(without_secrets(f.error(), given));
      }
      if (report.error) report.error = without_secrets(*report.error, given);
      return report;
    }
    const BackendOptions scratch_options = backend_options(options_, false, "trace");
    RollbackCheckOptions copy;
    copy.pg_dump = trace_options.pg_dump;
    copy.pg_restore = trace_options.pg_restore;
    auto target = open(options_, true);
    ScratchDatabase scratch(*target, options_.database_url, history_name(options_), copy,
                            scratch_options, true, "lock-trace");
    target.reset();
    report.trace_database = scratch.printable();
    report.temporary = true;
    try {
      trace_statements(options_, scratch.url(), LockTracer::Mode::kCommitEach, report,
                       statements_to_trace(*plan, false));
    } catch (const Failure& f) {
      scratch.remove();
      throw Failure(without_secrets(f.error(), scratch.url()));
    } catch (...) {
      scratch.remove();
      throw;
    }
    report.removed = scratch.remove();
    if (report.error) report.error = without_secrets(*report.error, scratch.url());
    return report;
  });
}

}  // namespace migrate
