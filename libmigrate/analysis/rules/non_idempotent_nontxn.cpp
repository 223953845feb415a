// non-idempotent-nontxn (catalog PG-TX-06): a statement that runs on its own, outside the
// migration's transaction (CREATE/DROP INDEX CONCURRENTLY, DROP DATABASE, every statement of a
// `-- migrate:transaction off` migration), without the IF [NOT] EXISTS (or OR REPLACE) form the
// grammar offers, fails when it is run again after it took effect.
#include <fmt/format.h>

#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

using Json = nlohmann::json;

// What a statement lacks to be safe to run twice: the clause and the statement rewritten with
// it. Empty when it has it, or when the grammar has no such form.
struct MissingForm {
  std::string what;         // "CREATE TABLE orders"
  std::string clause;       // "IF NOT EXISTS"
  std::string alternative;  // "CREATE TABLE IF NOT EXISTS orders (...)"
  bool duplicates = false;  // run again it succeeds, building a second object
};

std::string object_names(const Json& drop) {
  std::string out;
  const Json& objects = pgtree::child(drop, "objects");
  if (!objects.is_array()) return out;
  for (const auto& o : objects) {
    std::string name = o.contains("List") ? pgtree::dotted_name(pgtree::child(o["List"], "items"))
                       : o.contains("String") ? pgtree::text(o["String"], "sval")
                                              : std::string();
    if (!name.empty()) out += (out.empty() ? "" : ", ") + name;
  }
  return out;
}

// "OBJECT_MATVIEW" -> "MATERIALIZED VIEW".
std::string object_kind(const std::string& remove_type) {
  if (remove_type == "OBJECT_MATVIEW") return "MATERIALIZED VIEW";
  if (remove_type == "OBJECT_FOREIGN_TABLE") return "FOREIGN TABLE";
  std::string k = remove_type.starts_with("OBJECT_") ? remove_type.substr(7) : remove_type;
  for (char& c : k)
    if (c == '_') c = ' ';
  return k;
}

std::vector<MissingForm> missing_forms(const PgStatementInfo& info) {
  using pgtree::child;
  using pgtree::flag;
  using pgtree::relation_name;
  using pgtree::text;
  const Json& n = info.node;
  const std::string& t = info.node_type;
  std::vector<MissingForm> out;
  auto if_not_exists = [&](const std::string& kind, const std::string& name) {
    if (!flag(n, "if_not_exists"))
      out.push_back({kind + " " + name, "IF NOT EXISTS",
                     kind + " IF NOT EXISTS " + name + (name.empty() ? "" : " ...")});
  };
  if (t == "CreateStmt") {
    if_not_exists("CREATE TABLE", relation_name(child(n, "relation")));
  } else if (t == "CreateForeignTableStmt") {
    if (!flag(child(n, "base"), "if_not_exists"))
      out.push_back({"CREATE FOREIGN TABLE", "IF NOT EXISTS",
                     "CREATE FOREIGN TABLE IF NOT EXISTS " +
                         relation_name(child(child(n, "base"), "relation")) + " ..."});
  } else if (t == "CreateTableAsStmt") {
    const bool matview = text(n, "objtype") == "OBJECT_MATVIEW";
    if_not_exists(matview ? "CREATE MATERIALIZED VIEW" : "CREATE TABLE",
                  relation_name(child(child(n, "into"), "rel")));
  } else if (t == "IndexStmt") {
    const std::string name = text(n, "idxname");
    const std::string table = relation_name(child(n, "relation"));
    const char* create = flag(n, "unique") ? "CREATE UNIQUE INDEX" : "CREATE INDEX";
    const std::string concurrently = flag(n, "concurrent") ? " CONCURRENTLY" : "";
    if (name.empty()) {
      // Unnamed, a rerun builds a second index (t_a_idx1); unnamed-concurrent-index reports the
      // concurrent form.
      if (concurrently.empty())
        out.push_back({std::string(create) + " on " + table + " without a name",
                       "a name and IF NOT EXISTS",
                       std::string(create) + " IF NOT EXISTS " + table + "_<columns>_idx ON " +
                           table + " (...)",
                       true});
    } else if (!flag(n, "if_not_exists")) {
      out.push_back({std::string(create) + concurrently + " " + name, "IF NOT EXISTS",
                     std::string(create) + concurrently + " IF NOT EXISTS " + name + " ON " +
                         table + " (...)"});
    }
  } else if (t == "CreateSeqStmt") {
    if_not_exists("CREATE SEQUENCE", relation_name(child(n, "sequence")));
  } else if (t == "CreateSchemaStmt") {
    if_not_exists("CREATE SCHEMA", text(n, "schemaname"));
  } else if (t == "CreateExtensionStmt") {
    if_not_exists("CREATE EXTENSION", text(n, "extname"));
  } else if (t == "CreateStatsStmt") {
    if_not_exists("CREATE STATISTICS", pgtree::dotted_name(child(n, "defnames")));
  } else if (t == "ViewStmt" || t == "CreateFunctionStmt" || t == "CreateTrigStmt" ||
             t == "RuleStmt") {
    if (flag(n, "replace")) return out;
    std::string kind, name;
    if (t == "ViewStmt") {
      kind = "VIEW";
      name = relation_name(child(n, "view"));
    } else if (t == "CreateFunctionStmt") {
      kind = flag(n, "is_procedure") ? "PROCEDURE" : "FUNCTION";
      name = pgtree::dotted_name(child(n, "funcname"));
    } else if (t == "CreateTrigStmt") {
      if (flag(n, "isconstraint")) return out;  // CREATE CONSTRAINT TRIGGER has no OR REPLACE
      kind = "TRIGGER";
      name = text(n, "trigname");
    } else {
      kind = "RULE";
      name = text(n, "rulename");
    }
    out.push_back(
        {"CREATE " + kind + " " + name, "OR REPLACE", "CREATE OR REPLACE " + kind + " " + name});
  } else if (t == "DropStmt") {
    if (flag(n, "missing_ok")) return out;
    const std::string kind =
        object_kind(text(n, "removeType")) + (flag(n, "concurrent") ? " CONCURRENTLY" : "");
    const std::string names = object_names(n);
    out.push_back(
        {"DROP " + kind + " " + names, "IF EXISTS", "DROP " + kind + " IF EXISTS " + names + ";"});
  } else if (t == "DropdbStmt" || t == "DropTableSpaceStmt") {
    if (flag(n, "missing_ok")) return out;
    const std::string kind = t == "DropdbStmt" ? "DATABASE" : "TABLESPACE";
    const std::string name = text(n, t == "DropdbStmt" ? "dbname" : "tablespacename");
    out.push_back(
        {"DROP " + kind + " " + name, "IF EXISTS", "DROP " + kind + " IF EXISTS " + name + ";"});
  } else if (t == "AlterEnumStmt") {
    if (text(n, "newVal").empty() || !text(n, "oldVal").empty() || flag(n, "skipIfNewValExists"))
      return out;
    const std::string type = pgtree::dotted_name(child(n, "typeName"));
    out.push_back({"ALTER TYPE " + type + " ADD VALUE", "IF NOT EXISTS",
                   "ALTER TYPE " + type + " ADD VALUE IF NOT EXISTS '" + text(n, "newVal") + "'"});
  } else if (t == "AlterTableStmt" && text(n, "objtype") == "OBJECT_TABLE") {
    const std::string table = relation_name(child(n, "relation"));
    for (const Json* cmd : pgtree::alter_table_commands(n)) {
      const std::string sub = text(*cmd, "subtype");
      if (flag(*cmd, "missing_ok")) continue;
      if (sub == "AT_AddColumn") {
        const std::string column = text(child(child(*cmd, "def"), "ColumnDef"), "colname");
        out.push_back({"ALTER TABLE " + table + " ADD COLUMN " + column, "IF NOT EXISTS",
                       "ALTER TABLE " + table + " ADD COLUMN IF NOT EXISTS " + column + " ..."});
      } else if (sub == "AT_DropColumn" || sub == "AT_DropConstraint") {
        const std::string what = sub == "AT_DropColumn" ? "DROP COLUMN" : "DROP CONSTRAINT";
        const std::string name = text(*cmd, "name");
        out.push_back({"ALTER TABLE " + table + " " + what + " " + name, "IF EXISTS",
                       "ALTER TABLE " + table + " " + what + " IF EXISTS " + name});
      }
    }
  }
  return out;
}

class NonIdempotentNontxn final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "non-idempotent-nontxn",
        Dialect::kPostgres,
        Severity::kWarning,
        MigrationClass::kAdditive,
        LockLevel::kNone,
        "A statement that runs outside the migration's transaction (CREATE INDEX CONCURRENTLY, "
        "DROP INDEX CONCURRENTLY, DROP DATABASE, and every statement of a `-- migrate:transaction "
        "off` migration) is not rolled back when a later statement fails. libmigrate records its "
        "progress per statement and resumes after it, but when the run dies between the "
        "statement and that record the statement is read back or run again, and a rerun of the "
        "file (or the statement) by hand fails with \"already exists\" / \"does not exist\". "
        "Reported when the grammar has a form that can run twice: IF NOT EXISTS (CREATE TABLE, "
        "INDEX, SEQUENCE, SCHEMA, EXTENSION, STATISTICS, MATERIALIZED VIEW, ADD COLUMN, ALTER "
        "TYPE ... ADD VALUE), IF EXISTS (every DROP, DROP COLUMN, DROP CONSTRAINT) or OR REPLACE "
        "(VIEW, FUNCTION, PROCEDURE, TRIGGER, RULE); an unnamed CREATE INDEX must be named to "
        "take IF NOT EXISTS.",
        "Write the idempotent form: CREATE INDEX CONCURRENTLY IF NOT EXISTS <name> (the index "
        "must be named), DROP INDEX CONCURRENTLY IF EXISTS, CREATE TABLE IF NOT EXISTS, ADD "
        "COLUMN IF NOT EXISTS, CREATE OR REPLACE VIEW, ...",
        "CREATE INDEX CONCURRENTLY idx_orders_customer ON orders (customer_id);",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_orders_customer ON orders (customer_id);"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    const bool standalone = !facts.info.can_run_in_transaction || !ctx.migration_transactional();
    if (!standalone) return;
    const char* why = facts.info.can_run_in_transaction
                          ? "in a `transaction off` migration it commits on its own, so it"
                          : "it cannot run in a transaction, so it";
    for (const auto& m : missing_forms(facts.info))
      sink.report(info(),
                  fmt::format("{} without {}: {} {} when run again after it took effect", m.what,
                              m.clause, why, m.duplicates ? "builds a second index" : "fails"),
                  m.alternative);
  }
};

}  // namespace

std::unique_ptr<PgRule> make_non_idempotent_nontxn() {
  return std::make_unique<NonIdempotentNontxn>();
}

}  // namespace migrate
