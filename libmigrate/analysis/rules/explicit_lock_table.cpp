// explicit-lock-table: LOCK TABLE in SHARE mode or stronger (LOCK TABLE without a mode is ACCESS
// EXCLUSIVE) blocks the application's writes, or all of its access, until the migration's
// transaction commits, and waits behind every running transaction while queueing everyone else.
#include <fmt/format.h>

#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

class ExplicitLockTable final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "explicit-lock-table",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBackwardCompatible,
        LockLevel::kAccessExclusive,
        "LOCK TABLE in SHARE, SHARE ROW EXCLUSIVE, EXCLUSIVE or ACCESS EXCLUSIVE mode (a bare "
        "LOCK TABLE is ACCESS EXCLUSIVE) blocks the application's writes, or with ACCESS "
        "EXCLUSIVE even its reads, for the rest of the migration's transaction. While it waits "
        "for running transactions to finish, every later query on the table queues behind it.",
        "Leave the locking to the statements that need it, each with a short lock_timeout; if "
        "the data must not change while the migration runs, take the weakest mode that "
        "guarantees it (SHARE UPDATE EXCLUSIVE keeps out other DDL and VACUUM, reads and writes "
        "continue) or do the work in batches.",
        "LOCK TABLE orders IN ACCESS EXCLUSIVE MODE;\nALTER TABLE orders ADD COLUMN note text;",
        "SET lock_timeout = '2s';\nALTER TABLE orders ADD COLUMN note text;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    if (facts.info.node_type != "LockStmt") return;
    LockLevel level = LockLevel::kNone;
    std::string tables;
    for (const auto& l : facts.base.locks) {
      if (static_cast<int>(l.level) < static_cast<int>(LockLevel::kShare)) continue;
      level = l.level;
      tables += (tables.empty() ? "" : ", ") + l.relation;
    }
    if (tables.empty()) return;  // ROW EXCLUSIVE and weaker do not block the application
    // Tables created earlier in this migration are dropped by the sink (nobody sees them).
    sink.report(info(),
                fmt::format("LOCK TABLE {} IN {} MODE: until the transaction commits it blocks "
                            "{}, and while it waits for running transactions every later query "
                            "on the table queues behind it",
                            tables, to_string(level), blocks_what(level)));
  }
};

}  // namespace

std::unique_ptr<PgRule> make_explicit_lock_table() {
  return std::make_unique<ExplicitLockTable>();
}

}  // namespace migrate
