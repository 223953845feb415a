// unique-constraint-inline (catalog PG-CON-04): ADD CONSTRAINT ... UNIQUE builds its unique index
// under ACCESS EXCLUSIVE, so reads and writes wait for the whole build.
#include <string>
#include <vector>

#include "libmigrate/analysis/pg_rule.hpp"
#include "libmigrate/analysis/rules/constraint_rules.hpp"

namespace migrate {

namespace {

using Json = nlohmann::json;
using namespace pgtree;
using namespace constraint_sql;

class UniqueConstraintInline final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "unique-constraint-inline",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBackwardCompatible,
        LockLevel::kAccessExclusive,
        "ADD CONSTRAINT ... UNIQUE (and ADD COLUMN ... UNIQUE) builds the unique index inside "
        "ALTER TABLE, holding ACCESS EXCLUSIVE for the whole build: every read and write of the "
        "table waits. It also fails, after all that work, if duplicates exist.",
        "Build the index first with CREATE UNIQUE INDEX CONCURRENTLY (libmigrate runs it on its "
        "own and checks it is valid), optionally after a duplicate check, then attach it with "
        "ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX, which only takes a brief lock.",
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
        "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n"
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    if (facts.info.node_type != "AlterTableStmt") return;
    const Json& relation = child(facts.info.node, "relation");
    for (const Json* cmd : alter_table_commands(facts.info.node)) {
      const std::string subtype = text(*cmd, "subtype");
      if (subtype == "AT_AddConstraint") {
        const Json& con = child(child(*cmd, "def"), "Constraint");
        if (text(con, "contype") != "CONSTR_UNIQUE" || !text(con, "indexname").empty()) continue;
        report(sink, relation, con, names(child(con, "keys")), "ADD CONSTRAINT", "");
      } else if (subtype == "AT_AddColumn") {
        const Json& col = child(child(*cmd, "def"), "ColumnDef");
        const std::string column = text(col, "colname");
        for (const Json* con : constraints_in(child(col, "constraints")))
          if (text(*con, "contype") == "CONSTR_UNIQUE")
            report(sink, relation, *con, {column}, "ADD COLUMN " + column + " ... UNIQUE",
                   "ALTER TABLE " + qualified(relation) + " ADD COLUMN " + ident(column) +
                       " ... (without UNIQUE); ");
      }
    }
  }

 private:
  void report(FindingSink& sink, const Json& relation, const Json& con,
              const std::vector<std::string>& columns, const std::string& what,
              const std::string& first_step) const {
    const std::string table = relation_name(relation);
    const std::string name = text(con, "conname").empty()
                                 ? default_name(text(relation, "relname"), columns, "key")
                                 : text(con, "conname");
    std::string index = "CREATE UNIQUE INDEX CONCURRENTLY " + ident(name) + " ON " +
                        qualified(relation) + " (" + column_list(columns) + ")";
    auto including = names(child(con, "including"));
    if (!including.empty()) index += " INCLUDE (" + column_list(including) + ")";
    if (flag(con, "nulls_not_distinct")) index += " NULLS NOT DISTINCT";
    std::string attach = "ALTER TABLE " + qualified(relation) + " ADD CONSTRAINT " + ident(name) +
                         " UNIQUE USING INDEX " + ident(name);
    if (flag(con, "deferrable")) attach += " DEFERRABLE";
    if (flag(con, "initdeferred")) attach += " INITIALLY DEFERRED";
    const std::string label =
        what == "ADD CONSTRAINT" ? "ADD CONSTRAINT " + name + " UNIQUE" : what;
    sink.report(info(),
                label + " on " + table + " builds a unique index on (" + column_list(columns) +
                    ") while holding ACCESS EXCLUSIVE on " + table +
                    ": reads and writes wait for the whole build (and it fails if duplicates "
                    "exist)",
                first_step + index + "; then " + attach + ";");
  }
};

}  // namespace

std::unique_ptr<PgRule> make_unique_constraint_inline() {
  return std::make_unique<UniqueConstraintInline>();
}

}  // namespace migrate
