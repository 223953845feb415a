// What a run will do, step by step, before anything executes: the planner's output, shown by
// `migrate plan` and consumed by the executor. Plain values; building one touches no database.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "migrate/analysis.hpp"
#include "migrate/dialect.hpp"
#include "migrate/history.hpp"
#include "migrate/source.hpp"
#include "migrate/statement_outcome.hpp"

namespace migrate {

// One statement as the planner split it.
struct PlannedStatement {
  int index = 0;  // 1-based within its file
  int line = 0;   // 1-based position of the statement's first character in the file
  int column = 0;
  std::string sql;
  // Runs on its own in autocommit (CREATE INDEX CONCURRENTLY, VACUUM, `transaction off`), not in
  // a transaction with its neighbours; `standalone_reason` says why.
  bool standalone = false;
  std::string standalone_reason;
  bool takes_relation_lock = false;
  std::vector<std::string> relations;
  // BEGIN, COMMIT, SAVEPOINT...: apply and rollback refuse the plan before anything runs
  // (libmigrate owns the transactions and records the history between them).
  bool transaction_control = false;
  // SET / RESET, or a statement that may call set_config(): the executor sets its timeouts
  // again after it.
  bool may_change_settings = false;
  // Runs outside any transaction (CREATE INDEX CONCURRENTLY, VACUUM...): the history marks it
  // sent before it runs, so a run that dies meanwhile leaves its outcome to be found out. A
  // standalone statement without it (a `transaction off` migration's) runs in a transaction of
  // its own together with its history update.
  bool autocommit = false;
  // How that outcome is found after a run died while it ran.
  OutcomeRecovery recovery = OutcomeRecovery::kUnknown;
};

enum class StepKind { kApply, kRevert };

struct PlannedStep {
  StepKind kind = StepKind::kApply;
  std::string version;
  std::string name;
  std::filesystem::path file;
  std::string checksum;
  bool transactional = true;
  std::optional<MigrationClass> declared_class;
  std::optional<Phase> phase;
  ForeignKeyMode foreign_keys = ForeignKeyMode::kCheck;
  int resume_from = 0;  // statements already done by an interrupted non-transactional attempt
  // The attempt of a process that died mid-step (no outcome recorded): this run closes it as
  // failed ("interrupted") so the history stays exact.
  std::optional<Attempt> interrupted_attempt;
  // The statement (1-based) an earlier attempt sent outside a transaction without recording its
  // outcome; 0 when none. The executor finds out whether it took effect before going on.
  int uncertain_statement = 0;
  // The checkpoint of the attempt that sent it (history.md, `checkpoint`): what the read-back
  // needs, e.g. the table's indexes before an unnamed concurrent index build.
  std::string uncertain_checkpoint;
  std::vector<PlannedStatement> statements;
  std::vector<std::string> history_writes;  // what the run will record, in words
  // What the analyzer says about the step's file (the up file of an apply step, the down file
  // of a revert step): class, locks, findings.
  std::optional<MigrationAnalysis> analysis;
};

struct Plan {
  Dialect dialect = Dialect::kSqlite;
  std::optional<std::string> current_version;  // highest applied, before the plan
  std::optional<std::string> target_version;   // where the plan ends
  std::vector<PlannedStep> steps;
  // What apply (or rollback) would refuse this plan with before running anything: unsafe
  // findings (kUnsafeMigration), transaction control in a file (kSourceInvalid). Set by
  // Migrator::plan_apply and plan_rollback, which still return the plan; apply and rollback
  // return it as their error.
  std::optional<Error> refusal;
};

struct RollbackTarget {
  std::optional<std::string> version;  // keep this version applied, revert everything above
  std::optional<int> steps;            // or: revert this many newest applied versions
};

}  // namespace migrate
