// rename-column (catalog PG-COL-05): RENAME COLUMN breaks every running instance of the app that
// still uses the old name, the moment it commits.
//
// Severity error, not warning: the ACCESS EXCLUSIVE lock is brief, but there is no deploy order
// that makes a plain rename safe. Old code fails on the new name and new code on the old one, so
// some running version errors on every query touching the column until the rollout completes.
// Renames that are really safe (nothing reads the column yet, or a view shim covers the old name)
// are accepted explicitly with `-- migrate:allow rename-column reason "..."`.
#include <fmt/format.h>

#include "libmigrate/analysis/rules/column_rules.hpp"

namespace migrate {
namespace {

class RenameColumn final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "rename-column",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBreaking,
        LockLevel::kAccessExclusive,
        "RENAME COLUMN takes ACCESS EXCLUSIVE only briefly, but from its commit every query of "
        "the running app version that names the old column fails, and no deploy order avoids "
        "it: old code breaks on the new name, new code on the old one.",
        "Expand/contract: add the new column, write both (trigger or app), backfill in batches, "
        "switch reads, drop the old column in a contract migration; or expose the new name "
        "through a view, or rename only in the ORM mapping.",
        "ALTER TABLE users RENAME COLUMN email TO email_address;",
        "ALTER TABLE users ADD COLUMN email_address text;\n"
        "-- trigger: NEW.email_address := NEW.email; backfill in batches; switch reads;\n"
        "-- later, in a contract migration: ALTER TABLE users DROP COLUMN email;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    if (facts.info.node_type != "RenameStmt" ||
        pgtree::text(facts.info.node, "renameType") != "OBJECT_COLUMN")
      return;
    const std::string table = pgtree::relation_name(pgtree::child(facts.info.node, "relation"));
    const std::string from = pgtree::text(facts.info.node, "subname");
    const std::string to = pgtree::text(facts.info.node, "newname");
    sink.report(info(),
                fmt::format("RENAME COLUMN {}.{} TO {}: every query of the running app version "
                            "that names {} fails from the moment this commits",
                            table, from, to, from),
                fmt::format("expand/contract: ALTER TABLE {0} ADD COLUMN {2} <type>; keep {2} "
                            "and {1} in sync with a trigger; backfill in batches; switch the app "
                            "to {2}; drop {1} in a later contract migration (or rename only in "
                            "the ORM mapping)",
                            table, from, to));
  }
};

}  // namespace

std::unique_ptr<PgRule> make_rename_column() {
  return std::make_unique<RenameColumn>();
}

}  // namespace migrate
