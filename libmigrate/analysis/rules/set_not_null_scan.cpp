// set-not-null-scan (catalog PG-CON-07): ALTER COLUMN ... SET NOT NULL scans the whole table under
// ACCESS EXCLUSIVE, unless (PostgreSQL 12+) a validated CHECK (c IS NOT NULL) already proves it.
#include <string>
#include <vector>

#include "libmigrate/analysis/pg_rule.hpp"
#include "libmigrate/analysis/rules/constraint_rules.hpp"

namespace migrate {

namespace {

using Json = nlohmann::json;
using namespace pgtree;
using namespace constraint_sql;

// Columns a CHECK expression proves NOT NULL: `c IS NOT NULL`, or an AND of such tests (what
// PostgreSQL's NotNullImpliedByRelConstraints accepts in the common case).
void not_null_columns(const Json& expr, std::vector<std::string>& out) {
  if (expr.contains("NullTest")) {
    const Json& test = expr["NullTest"];
    if (text(test, "nulltesttype") != "IS_NOT_NULL") return;
    const Json& arg = child(test, "arg");
    if (!arg.contains("ColumnRef")) return;
    auto fields = names(child(arg["ColumnRef"], "fields"));
    if (!fields.empty()) out.push_back(fields.back());
  } else if (expr.contains("BoolExpr") && text(expr["BoolExpr"], "boolop") == "AND_EXPR") {
    for (const auto& arg : child(expr["BoolExpr"], "args")) not_null_columns(arg, out);
  }
}

std::string fact_prefix(const std::string& kind, const std::string& table) {
  return kind + ":" + table + ".";
}

class SetNotNullScan final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "set-not-null-scan",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBackwardCompatible,
        LockLevel::kAccessExclusive,
        "ALTER COLUMN ... SET NOT NULL scans the whole table for NULLs while holding ACCESS "
        "EXCLUSIVE: every read and write waits for the scan, and it fails if a NULL is left. "
        "PostgreSQL 12 and later skip the scan when a validated CHECK (c IS NOT NULL) already "
        "proves it; PostgreSQL 11 and earlier always scan.",
        "PostgreSQL 12+: ADD CONSTRAINT ... CHECK (c IS NOT NULL) NOT VALID; backfill the NULLs "
        "in batches; VALIDATE CONSTRAINT (SHARE UPDATE EXCLUSIVE: reads and writes run) in a "
        "separate transaction; SET NOT NULL (no scan now); DROP the CHECK. PostgreSQL 18+: ADD "
        "CONSTRAINT ... NOT NULL c NOT VALID, then VALIDATE CONSTRAINT. PostgreSQL 11 and "
        "earlier: keep the validated CHECK instead of NOT NULL, or accept the scan in a "
        "maintenance window.",
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        "ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT "
        "VALID;\n"
        "-- backfill NULLs in batches, then in a later migration:\n"
        "ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;\n"
        "-- and then:\n"
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"
        "ALTER TABLE users DROP CONSTRAINT users_email_not_null;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    if (facts.info.node_type == "CreateStmt") {
      remember_create_table(facts.info.node, ctx);
      return;
    }
    if (facts.info.node_type != "AlterTableStmt") return;
    const Json& relation = child(facts.info.node, "relation");
    const std::string table = relation_name(relation);
    const std::string key = table_key(table);
    const std::string relname = text(relation, "relname");
    auto& plan = ctx.plan_facts();
    const auto commands = alter_table_commands(facts.info.node);

    // PostgreSQL runs a statement's drops before its other subcommands: a CHECK dropped here no
    // longer proves anything to this statement's SET NOT NULL.
    for (const Json* cmd : commands) {
      if (text(*cmd, "subtype") != "AT_DropConstraint") continue;
      const std::string prefix =
          fact_prefix("not-null-check-constraint", key) + text(*cmd, "name") + "=";
      for (auto it = plan.lower_bound(prefix); it != plan.end() && it->starts_with(prefix); ++it)
        plan.erase(fact_prefix("valid-not-null-check", key) + it->substr(prefix.size()));
    }

    for (const Json* cmd : commands) {
      if (text(*cmd, "subtype") != "AT_SetNotNull") continue;
      const std::string column = text(*cmd, "name");
      const bool proven = plan.count(fact_prefix("valid-not-null-check", key) + column) > 0;
      if (proven && ctx.server_version() >= 120000) continue;
      std::string message = "SET NOT NULL on " + table + "." + column +
                            " scans the whole table for NULLs while holding ACCESS EXCLUSIVE "
                            "on " +
                            table + ": reads and writes wait for the scan";
      if (proven)
        message += " (a validated CHECK (" + column +
                   " IS NOT NULL) exists, but PostgreSQL before 12 scans anyway)";
      sink.report(info(), message, alternative(ctx, relation, relname, column));
    }

    // What this statement establishes for later ones.
    for (const Json* cmd : commands) {
      const std::string subtype = text(*cmd, "subtype");
      if (subtype == "AT_AddConstraint") {
        remember_check(child(child(*cmd, "def"), "Constraint"), key, relname, ctx);
      } else if (subtype == "AT_AddColumn") {
        const Json& col = child(child(*cmd, "def"), "ColumnDef");
        for (const Json* con : constraints_in(child(col, "constraints")))
          remember_check(*con, key, relname, ctx);
      } else if (subtype == "AT_ValidateConstraint") {
        const std::string prefix =
            fact_prefix("not-null-check-constraint", key) + text(*cmd, "name") + "=";
        std::vector<std::string> validated;
        for (auto it = plan.lower_bound(prefix); it != plan.end() && it->starts_with(prefix); ++it)
          validated.push_back(it->substr(prefix.size()));
        for (const auto& column : validated)
          plan.insert(fact_prefix("valid-not-null-check", key) + column);
      }
    }
  }

 private:
  // Remembers a CHECK proving columns NOT NULL: by name (for VALIDATE and DROP) and, when it is
  // validated as it is added, as valid.
  static void remember_check(const Json& con, const std::string& key, const std::string& relname,
                             const PgMigrationContext& ctx) {
    if (text(con, "contype") != "CONSTR_CHECK") return;
    std::vector<std::string> columns;
    not_null_columns(child(con, "raw_expr"), columns);
    if (columns.empty()) return;
    const std::string name = text(con, "conname").empty()
                                 ? check_default_name(relname, child(con, "raw_expr"))
                                 : text(con, "conname");
    for (const auto& c : columns) {
      ctx.plan_facts().insert(fact_prefix("not-null-check-constraint", key) + name + "=" + c);
      if (!flag(con, "skip_validation"))
        ctx.plan_facts().insert(fact_prefix("valid-not-null-check", key) + c);
    }
  }

  static void remember_create_table(const Json& node, const PgMigrationContext& ctx) {
    const Json& relation = child(node, "relation");
    const std::string key = table_key(relation_name(relation));
    const std::string relname = text(relation, "relname");
    const Json& elements = child(node, "tableElts");
    if (!elements.is_array()) return;
    for (const auto& element : elements) {
      if (element.contains("Constraint")) {
        remember_check(element["Constraint"], key, relname, ctx);
      } else if (element.contains("ColumnDef")) {
        const Json& col = element["ColumnDef"];
        for (const Json* con : constraints_in(child(col, "constraints")))
          remember_check(*con, key, relname, ctx);
      }
    }
  }

  static std::string alternative(const PgMigrationContext& ctx, const Json& relation,
                                 const std::string& relname, const std::string& column) {
    const std::string t = qualified(relation);
    const std::string c = ident(column);
    if (ctx.server_version() < 120000)
      return "PostgreSQL before 12 always scans for SET NOT NULL: keep a validated CHECK (" + c +
             " IS NOT NULL) instead (ADD ... NOT VALID, then VALIDATE in a separate "
             "transaction), or run SET NOT NULL in a maintenance window";
    const std::string check = ident(default_name(relname, {column}, "not_null"));
    const std::string later =
        "; in a later migration (or at least a separate transaction): ALTER TABLE " + t +
        " VALIDATE CONSTRAINT " + check + ";";
    if (ctx.server_version() >= 180000)
      return "ALTER TABLE " + t + " ADD CONSTRAINT " + check + " NOT NULL " + c +
             " NOT VALID; backfill the NULLs of " + c + " in batches" + later;
    return "ALTER TABLE " + t + " ADD CONSTRAINT " + check + " CHECK (" + c +
           " IS NOT NULL) NOT VALID; backfill the NULLs of " + c + " in batches" + later +
           " then ALTER TABLE " + t + " ALTER COLUMN " + c + " SET NOT NULL; ALTER TABLE " + t +
           " DROP CONSTRAINT " + check + ";";
  }
};

}  // namespace

std::unique_ptr<PgRule> make_set_not_null_scan() {
  return std::make_unique<SetNotNullScan>();
}

}  // namespace migrate
