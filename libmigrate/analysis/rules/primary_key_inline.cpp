// primary-key-inline (catalog PG-CON-05): ADD PRIMARY KEY builds its index, and proves its
// columns NOT NULL, under ACCESS EXCLUSIVE, so reads and writes wait for the build and the scan.
#include <string>
#include <vector>

#include "libmigrate/analysis/pg_rule.hpp"
#include "libmigrate/analysis/rules/constraint_rules.hpp"

namespace migrate {

namespace {

using Json = nlohmann::json;
using namespace pgtree;
using namespace constraint_sql;

class PrimaryKeyInline final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "primary-key-inline",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBackwardCompatible,
        LockLevel::kAccessExclusive,
        "ADD PRIMARY KEY (and ADD COLUMN ... PRIMARY KEY) builds the unique index inside ALTER "
        "TABLE and sets NOT NULL on its columns, scanning the table for NULLs, all while holding "
        "ACCESS EXCLUSIVE: every read and write of the table waits for the build and the scan.",
        "For each nullable key column, add CHECK (c IS NOT NULL) NOT VALID and VALIDATE it in a "
        "separate transaction (PostgreSQL 12+ then skips the NOT NULL scan); build the index with "
        "CREATE UNIQUE INDEX CONCURRENTLY; attach it with ALTER TABLE ... ADD CONSTRAINT ... "
        "PRIMARY KEY USING INDEX, which only takes a brief lock.",
        "ALTER TABLE events ADD PRIMARY KEY (id);",
        "ALTER TABLE events ADD CONSTRAINT events_id_not_null CHECK (id IS NOT NULL) NOT VALID;\n"
        "-- in a later migration:\n"
        "ALTER TABLE events VALIDATE CONSTRAINT events_id_not_null;\n"
        "CREATE UNIQUE INDEX CONCURRENTLY events_pkey ON events (id);\n"
        "ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    if (facts.info.node_type != "AlterTableStmt") return;
    const Json& relation = child(facts.info.node, "relation");
    for (const Json* cmd : alter_table_commands(facts.info.node)) {
      const std::string subtype = text(*cmd, "subtype");
      if (subtype == "AT_AddConstraint") {
        const Json& con = child(child(*cmd, "def"), "Constraint");
        if (text(con, "contype") != "CONSTR_PRIMARY" || !text(con, "indexname").empty()) continue;
        report(sink, ctx, relation, con, names(child(con, "keys")), "ADD PRIMARY KEY", "");
      } else if (subtype == "AT_AddColumn") {
        const Json& col = child(child(*cmd, "def"), "ColumnDef");
        const std::string column = text(col, "colname");
        for (const Json* con : constraints_in(child(col, "constraints")))
          if (text(*con, "contype") == "CONSTR_PRIMARY")
            report(sink, ctx, relation, *con, {column}, "ADD COLUMN " + column + " ... PRIMARY KEY",
                   "ALTER TABLE " + qualified(relation) + " ADD COLUMN " + ident(column) +
                       " ... (without PRIMARY KEY; backfill it if it has no default); ");
      }
    }
  }

 private:
  void report(FindingSink& sink, const PgMigrationContext& ctx, const Json& relation,
              const Json& con, const std::vector<std::string>& columns, const std::string& what,
              const std::string& first_step) const {
    const std::string table = relation_name(relation);
    const std::string relname = text(relation, "relname");
    const std::string qtable = qualified(relation);
    const std::string name =
        text(con, "conname").empty() ? default_name(relname, {}, "pkey") : text(con, "conname");
    std::string steps = first_step;
    if (ctx.server_version() >= 120000) {
      std::string validate;
      for (const auto& c : columns) {
        const std::string check = default_name(relname, {c}, "not_null");
        steps += "ALTER TABLE " + qtable + " ADD CONSTRAINT " + ident(check) + " CHECK (" +
                 ident(c) + " IS NOT NULL) NOT VALID; ";
        validate += "ALTER TABLE " + qtable + " VALIDATE CONSTRAINT " + ident(check) + "; ";
      }
      steps += "then, in a separate transaction, " + validate +
               "(skip these for columns already NOT NULL); ";
    }
    steps += "CREATE UNIQUE INDEX CONCURRENTLY " + ident(name) + " ON " + qtable + " (" +
             column_list(columns) + "); then ALTER TABLE " + qtable + " ADD CONSTRAINT " +
             ident(name) + " PRIMARY KEY USING INDEX " + ident(name) + ";";
    sink.report(info(),
                what + " on " + table + " builds a unique index on (" + column_list(columns) +
                    ") and checks its columns for NULLs while holding ACCESS EXCLUSIVE on " +
                    table + ": reads and writes wait for the build and the scan",
                steps);
  }
};

}  // namespace

std::unique_ptr<PgRule> make_primary_key_inline() {
  return std::make_unique<PrimaryKeyInline>();
}

}  // namespace migrate
