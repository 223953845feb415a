// fk-validating (catalog PG-CON-01): a foreign key added to an existing table without NOT VALID
// checks every row while holding SHARE ROW EXCLUSIVE on the table and on the table it references.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "libmigrate/analysis/pg_rule.hpp"
#include "libmigrate/analysis/rules/constraint_rules.hpp"

namespace migrate {

namespace {

using Json = nlohmann::json;
using namespace pgtree;
using namespace constraint_sql;

std::string action(const std::string& code) {
  if (code == "r") return "RESTRICT";
  if (code == "c") return "CASCADE";
  if (code == "n") return "SET NULL";
  if (code == "d") return "SET DEFAULT";
  return {};  // "a": NO ACTION, the default
}

// "FOREIGN KEY (a) REFERENCES p (id) ON DELETE CASCADE ...", rebuilt from the parse tree.
std::string foreign_key_clause(const Json& con, const std::vector<std::string>& columns) {
  std::string out =
      "FOREIGN KEY (" + column_list(columns) + ") REFERENCES " + qualified(child(con, "pktable"));
  auto referenced = names(child(con, "pk_attrs"));
  if (!referenced.empty()) out += " (" + column_list(referenced) + ")";
  const std::string match = text(con, "fk_matchtype");
  if (match == "f") out += " MATCH FULL";
  if (match == "p") out += " MATCH PARTIAL";
  if (auto a = action(text(con, "fk_upd_action")); !a.empty()) out += " ON UPDATE " + a;
  if (auto a = action(text(con, "fk_del_action")); !a.empty()) {
    out += " ON DELETE " + a;
    auto set_columns = names(child(con, "fk_del_set_cols"));
    if (!set_columns.empty()) out += " (" + column_list(set_columns) + ")";
  }
  if (flag(con, "deferrable")) out += " DEFERRABLE";
  if (flag(con, "initdeferred")) out += " INITIALLY DEFERRED";
  return out;
}

// PostgreSQL skips the check of a REFERENCES clause on a new column when the column starts out
// NULL in every row: no default, identity, generated expression or serial type, and no ADD
// FOREIGN KEY in the same statement (transformAlterTableStmt's skipValidation).
bool new_column_starts_null(const Json& column_def) {
  for (const Json* c : constraints_in(child(column_def, "constraints"))) {
    const std::string t = text(*c, "contype");
    if (t == "CONSTR_DEFAULT" || t == "CONSTR_IDENTITY" || t == "CONSTR_GENERATED") return false;
  }
  auto type = names(child(child(column_def, "typeName"), "names"));
  const std::string base = type.empty() ? std::string() : type.back();
  return base != "serial" && base != "bigserial" && base != "smallserial" && base != "serial4" &&
         base != "serial8" && base != "serial2";
}

class FkValidating final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "fk-validating",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBackwardCompatible,
        LockLevel::kShareRowExclusive,
        "ADD FOREIGN KEY without NOT VALID checks every existing row against the referenced "
        "table while holding SHARE ROW EXCLUSIVE on both tables: every INSERT, UPDATE and DELETE "
        "on the table and on the (often busy) referenced table waits for the whole scan (on a "
        "partitioned table the lock is ACCESS EXCLUSIVE). ADD COLUMN ... REFERENCES is checked "
        "the same way when the new column has a default (or the statement also adds a FOREIGN "
        "KEY); without one PostgreSQL skips the check, as every row holds NULL.",
        "Add the constraint with NOT VALID (a brief lock; new and updated rows are checked from "
        "then on), then run ALTER TABLE ... VALIDATE CONSTRAINT in a later migration, or at "
        "least a separate transaction: it scans under SHARE UPDATE EXCLUSIVE, which lets reads "
        "and writes run.",
        "ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey\n"
        "  FOREIGN KEY (customer_id) REFERENCES customers (id);",
        "ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey\n"
        "  FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;\n"
        "-- in a later migration:\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_fkey;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    if (facts.info.node_type != "AlterTableStmt") return;
    const Json& relation = child(facts.info.node, "relation");
    const std::string table = relation_name(relation);
    // A table created earlier in this migration is empty and unseen: the check costs nothing.
    if (ctx.created_in_this_migration(table)) return;
    const std::string relname = text(relation, "relname");
    const auto commands = alter_table_commands(facts.info.node);
    bool statement_adds_foreign_key = false;
    for (const Json* cmd : commands)
      if (text(*cmd, "subtype") == "AT_AddConstraint" &&
          text(child(child(*cmd, "def"), "Constraint"), "contype") == "CONSTR_FOREIGN")
        statement_adds_foreign_key = true;

    for (const Json* cmd : commands) {
      const std::string subtype = text(*cmd, "subtype");
      if (subtype == "AT_AddConstraint") {
        const Json& con = child(child(*cmd, "def"), "Constraint");
        if (text(con, "contype") != "CONSTR_FOREIGN" || flag(con, "skip_validation")) continue;
        auto columns = names(child(con, "fk_attrs"));
        report(sink, con, relation, relname, columns,
               text(con, "conname").empty()
                   ? "ADD FOREIGN KEY (" + column_list(columns) + ")"
                   : "ADD CONSTRAINT " + text(con, "conname") + " FOREIGN KEY",
               {});
      } else if (subtype == "AT_AddColumn") {
        const Json& col = child(child(*cmd, "def"), "ColumnDef");
        if (!statement_adds_foreign_key && new_column_starts_null(col)) continue;
        for (const Json* con : constraints_in(child(col, "constraints"))) {
          if (text(*con, "contype") != "CONSTR_FOREIGN") continue;
          const std::string column = text(col, "colname");
          report(sink, *con, relation, relname, {column},
                 "ADD COLUMN " + column + " ... REFERENCES",
                 "ALTER TABLE " + qualified(relation) + " ADD COLUMN " + ident(column) +
                     " ... (without REFERENCES); ");
        }
      }
    }
  }

 private:
  void report(FindingSink& sink, const Json& con, const Json& relation, const std::string& relname,
              const std::vector<std::string>& columns, const std::string& what,
              const std::string& first_step) const {
    const std::string name = text(con, "conname").empty() ? default_name(relname, columns, "fkey")
                                                          : text(con, "conname");
    const std::string table = relation_name(relation);
    const std::string parent = relation_name(child(con, "pktable"));
    const std::string qtable = qualified(relation);
    sink.report(info(),
                fmt::format("{} on {} checks every existing row of {} against {} while holding "
                            "SHARE ROW EXCLUSIVE on both: writes to {} and {} wait for the whole "
                            "scan",
                            what, table, table, parent, table, parent),
                fmt::format("{}ALTER TABLE {} ADD CONSTRAINT {} {} NOT VALID; then, in a later "
                            "migration (or at least a separate transaction): ALTER TABLE {} "
                            "VALIDATE CONSTRAINT {};",
                            first_step, qtable, ident(name), foreign_key_clause(con, columns),
                            qtable, ident(name)));
  }
};

}  // namespace

std::unique_ptr<PgRule> make_fk_validating() {
  return std::make_unique<FkValidating>();
}

}  // namespace migrate
