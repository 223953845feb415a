// transaction-control (catalog PG-TX-05): BEGIN, COMMIT, ROLLBACK, SAVEPOINT in a migration file.
// libmigrate owns the transactions and records the history inside them; apply, rollback, plan and
// validate refuse a file holding one before anything runs (SOURCE_INVALID, nothing recorded), so
// the finding is an error: lint says so before a deploy finds out.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

class TransactionControl final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "transaction-control",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kAdditive,
        LockLevel::kNone,
        "libmigrate runs each migration in transactions of its own (statements that cannot run in "
        "one run on "
        "their own) and writes the history inside them. A BEGIN, COMMIT, ROLLBACK or SAVEPOINT in "
        "the file "
        "would end or nest those transactions, so apply refuses the whole run before anything runs "
        "(SOURCE_INVALID; nothing applied, nothing recorded).",
        "Remove the statement. To commit between steps, put them in separate migrations; "
        "statements that cannot "
        "run in a transaction (CREATE INDEX CONCURRENTLY, VACUUM) are split out automatically.",
        "BEGIN;\nALTER TABLE orders ADD COLUMN note text;\nCOMMIT;",
        "ALTER TABLE orders ADD COLUMN note text;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    if (!facts.info.is_transaction_control) return;
    // TRANS_STMT_BEGIN, ... for a TransactionStmt; SET TRANSACTION and SET SESSION
    // CHARACTERISTICS AS TRANSACTION are VariableSetStmt nodes named by `name`.
    const std::string kind = facts.info.node_type == "VariableSetStmt"
                                 ? "SET " + pgtree::text(facts.info.node, "name")
                                 : pgtree::text(facts.info.node, "kind");
    sink.report(
        info(),
        "transaction control (" + (kind.empty() ? std::string("TransactionStmt") : kind) +
            ") in a migration: apply refuses the run before anything runs, because libmigrate owns "
            "the transactions");
  }
};

}  // namespace

std::unique_ptr<PgRule> make_transaction_control() {
  return std::make_unique<TransactionControl>();
}

}  // namespace migrate
