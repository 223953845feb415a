// unqualified-relation (catalog HYG-02): DDL naming a relation without its schema acts on
// whichever relation search_path finds first, which depends on the session's settings.
#include <set>

#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

// Statements that define or change relations (DDL); DML, maintenance and session commands are
// left alone.
bool is_relation_ddl(const std::string& node_type) {
  static const std::set<std::string> kDdl = {
      "AlterTableStmt",    "IndexStmt",      "CreateStmt",      "CreateTableAsStmt",
      "ViewStmt",          "CreateSeqStmt",  "AlterSeqStmt",    "DropStmt",
      "RenameStmt",        "CreateTrigStmt", "RuleStmt",        "CreatePolicyStmt",
      "AlterPolicyStmt",   "CommentStmt",    "CreateStatsStmt", "AlterObjectSchemaStmt",
      "RefreshMatViewStmt"};
  return kDdl.count(node_type) > 0;
}

// The relation a CREATE TEMPORARY ... statement creates: it lives in pg_temp and cannot be
// qualified with a regular schema.
std::string temporary_relation(const PgStatementInfo& info) {
  const nlohmann::json* rel = nullptr;
  if (info.node_type == "CreateStmt") rel = &pgtree::child(info.node, "relation");
  if (info.node_type == "ViewStmt") rel = &pgtree::child(info.node, "view");
  if (info.node_type == "CreateSeqStmt") rel = &pgtree::child(info.node, "sequence");
  if (info.node_type == "CreateTableAsStmt")
    rel = &pgtree::child(pgtree::child(info.node, "into"), "rel");
  if (rel == nullptr || pgtree::text(*rel, "relpersistence") != "t") return {};
  return pgtree::relation_name(*rel);
}

class UnqualifiedRelation final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "unqualified-relation",
        Dialect::kPostgres,
        Severity::kInfo,
        MigrationClass::kAdditive,
        LockLevel::kNone,
        "A relation named without its schema in DDL is resolved through search_path: the same "
        "migration can create or alter a table in a different schema (or act on a same-named "
        "table in another schema) depending on the role's or database's settings.",
        "Qualify relations in DDL with their schema: public.orders rather than orders.",
        "ALTER TABLE orders ADD COLUMN note text;",
        "ALTER TABLE public.orders ADD COLUMN note text;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    // Opt-in (AnalysisOptions::require_qualified_names, lint --require-qualified-names): most
    // projects rely on search_path on purpose, and the finding would be on nearly every line.
    if (!ctx.options().require_qualified_names) return;
    if (!is_relation_ddl(facts.info.node_type)) return;
    const std::string temp = temporary_relation(facts.info);
    std::string names;
    for (const auto& r : facts.info.relations) {
      if (r.find('.') != std::string::npos || r == temp) continue;
      names += (names.empty() ? "" : ", ") + r;
    }
    if (names.empty()) return;
    const std::string drop_type = facts.info.node_type == "DropStmt"
                                      ? pgtree::text(facts.info.node, "removeType")
                                      : std::string();
    const char* what = drop_type == "OBJECT_INDEX"      ? "index"
                       : drop_type == "OBJECT_SEQUENCE" ? "sequence"
                       : drop_type == "OBJECT_VIEW"     ? "view"
                       : drop_type == "OBJECT_MATVIEW"  ? "materialized view"
                                                        : "table";
    const bool several = names.find(',') != std::string::npos;
    sink.report(
        info(),
        names + (several ? " have" : " has") + " no schema: search_path decides which " + what +
            (several ? " each one is" : " this is"),
        "qualify it with its schema (e.g. public." + names.substr(0, names.find(',')) + ")");
  }
};

}  // namespace

std::unique_ptr<PgRule> make_unqualified_relation() {
  return std::make_unique<UnqualifiedRelation>();
}

}  // namespace migrate
