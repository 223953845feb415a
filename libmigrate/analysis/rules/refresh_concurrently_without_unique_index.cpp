// refresh-concurrently-without-unique-index (scenario S3): REFRESH MATERIALIZED VIEW CONCURRENTLY
// fails at run time unless the view has a plain unique index (and has been populated).
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

// "public.x" and "x" name the same relation unless another search_path is set.
std::vector<std::string> spellings(const std::string& name) {
  if (name.starts_with("public.")) return {name, name.substr(7)};
  if (name.find('.') == std::string::npos) return {name, "public." + name};
  return {name};
}

bool known(const PgMigrationContext& ctx, const std::string& prefix, const std::string& name) {
  for (const auto& n : spellings(name))
    if (ctx.plan_facts().count(prefix + n)) return true;
  return false;
}

void forget(const PgMigrationContext& ctx, const std::string& prefix, const std::string& name) {
  for (const auto& n : spellings(name)) ctx.plan_facts().erase(prefix + n);
}

// The connected database's materialized view of that name, nullptr when not connected or absent.
const MaterializedViewFacts* catalog_view(const PgMigrationContext& ctx, const std::string& name) {
  const auto& views = ctx.options().materialized_views;
  for (const auto& n : spellings(name)) {
    auto it = views.find(n.find('.') == std::string::npos ? "public." + n : n);
    if (it != views.end()) return &it->second;
  }
  return nullptr;
}

// A unique index REFRESH ... CONCURRENTLY can use: no WHERE clause, only plain columns.
bool usable_unique_index(const nlohmann::json& index_stmt) {
  if (!pgtree::flag(index_stmt, "unique") || index_stmt.contains("whereClause")) return false;
  const auto& params = pgtree::child(index_stmt, "indexParams");
  if (!params.is_array() || params.empty()) return false;
  for (const auto& p : params)
    if (pgtree::text(pgtree::child(p, "IndexElem"), "name").empty()) return false;
  return true;
}

class RefreshConcurrentlyWithoutUniqueIndex final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "refresh-concurrently-without-unique-index",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kBackwardCompatible,
        LockLevel::kNone,
        "REFRESH MATERIALIZED VIEW CONCURRENTLY needs a unique index on the view that uses only "
        "column names and has no WHERE clause, and a view that has been populated; otherwise "
        "it fails at run time. Checked for materialized views created in the analysed "
        "migrations and, when connected (`plan`, `lint --db`), for the database's own views "
        "(pg_matviews and their indexes).",
        "CREATE UNIQUE INDEX CONCURRENTLY on the view's key columns before refreshing it "
        "concurrently (and populate a view created WITH NO DATA with one plain REFRESH first).",
        "CREATE MATERIALIZED VIEW daily_sales AS SELECT day, sum(total) AS total FROM orders "
        "GROUP BY day;\nREFRESH MATERIALIZED VIEW CONCURRENTLY daily_sales;",
        "CREATE MATERIALIZED VIEW daily_sales AS SELECT day, sum(total) AS total FROM orders "
        "GROUP BY day;\nCREATE UNIQUE INDEX daily_sales_day ON daily_sales (day);\n"
        "REFRESH MATERIALIZED VIEW CONCURRENTLY daily_sales;"};
    return rule;
  }

  // Facts: "matview:<name>" for every materialized view the set creates, "unique-index-on:<name>"
  // for every relation given a unique index on plain columns without WHERE, and
  // "matview-unpopulated:<name>" while a view created or refreshed WITH NO DATA is unpopulated,
  // "matview-populated:<name>" once a plain REFRESH populated it. Views the set does not create
  // are looked up in the connected catalog (AnalysisOptions::materialized_views).
  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    const auto& node = facts.info.node;
    const std::string& t = facts.info.node_type;
    if (t == "CreateTableAsStmt" && pgtree::text(node, "objtype") == "OBJECT_MATVIEW") {
      const auto& into = pgtree::child(node, "into");
      const std::string view = pgtree::relation_name(pgtree::child(into, "rel"));
      if (pgtree::flag(node, "if_not_exists") && known(ctx, "matview:", view)) return;
      ctx.plan_facts().insert("matview:" + view);
      forget(ctx, "unique-index-on:", view);  // a new view has no indexes
      forget(ctx, "matview-unpopulated:", view);
      forget(ctx, "matview-populated:", view);
      if (pgtree::flag(into, "skipData")) ctx.plan_facts().insert("matview-unpopulated:" + view);
    } else if (t == "IndexStmt") {
      if (usable_unique_index(node))
        ctx.plan_facts().insert("unique-index-on:" +
                                pgtree::relation_name(pgtree::child(node, "relation")));
    } else if (t == "DropStmt" && pgtree::text(node, "removeType") == "OBJECT_MATVIEW") {
      const auto& objects = pgtree::child(node, "objects");
      if (!objects.is_array()) return;
      for (const auto& o : objects) {
        const std::string view =
            pgtree::dotted_name(pgtree::child(pgtree::child(o, "List"), "items"));
        forget(ctx, "matview:", view);
        forget(ctx, "unique-index-on:", view);
        forget(ctx, "matview-unpopulated:", view);
        forget(ctx, "matview-populated:", view);
      }
    } else if (t == "RefreshMatViewStmt") {
      const std::string view = pgtree::relation_name(pgtree::child(node, "relation"));
      if (!pgtree::flag(node, "concurrent")) {
        if (pgtree::flag(node, "skipData")) {
          ctx.plan_facts().insert("matview-unpopulated:" + view);
          forget(ctx, "matview-populated:", view);
        } else {
          forget(ctx, "matview-unpopulated:", view);
          ctx.plan_facts().insert("matview-populated:" + view);
        }
        return;
      }
      const MaterializedViewFacts* existing = catalog_view(ctx, view);
      if (!known(ctx, "matview:", view)) {
        // Not created by the analysed migrations: the connected catalog knows it, or nobody does.
        if (existing == nullptr) return;
        if (!existing->usable_unique_index && !known(ctx, "unique-index-on:", view)) {
          sink.report(info(),
                      "REFRESH MATERIALIZED VIEW CONCURRENTLY " + view +
                          " fails: the database's materialized view has no unique index on "
                          "plain columns without WHERE (pg_matviews, pg_index)",
                      "CREATE UNIQUE INDEX CONCURRENTLY " + view.substr(view.rfind('.') + 1) +
                          "_key ON " + view +
                          " (<columns that identify a row>); before refreshing it concurrently");
        } else if (!existing->populated && !known(ctx, "matview-populated:", view)) {
          sink.report(info(),
                      "REFRESH MATERIALIZED VIEW CONCURRENTLY " + view +
                          " fails: the database's materialized view is not populated (created "
                          "or refreshed WITH NO DATA)",
                      "REFRESH MATERIALIZED VIEW " + view +
                          "; once (without CONCURRENTLY) to populate it, then refresh "
                          "concurrently");
        }
        return;
      }
      // Created by an earlier migration of the set but given its unique index outside the
      // migrations: the catalog has it (a view created in this migration has none yet).
      const bool catalog_index = existing != nullptr && existing->usable_unique_index &&
                                 !ctx.created_in_this_migration(view);
      if (!known(ctx, "unique-index-on:", view) && !catalog_index) {
        sink.report(info(),
                    "REFRESH MATERIALIZED VIEW CONCURRENTLY " + view +
                        " fails: the materialized view has no unique index on plain columns "
                        "without WHERE",
                    "CREATE UNIQUE INDEX CONCURRENTLY " + view.substr(view.rfind('.') + 1) +
                        "_key ON " + view +
                        " (<columns that identify a row>); before refreshing it concurrently");
      } else if (known(ctx, "matview-unpopulated:", view)) {
        sink.report(info(),
                    "REFRESH MATERIALIZED VIEW CONCURRENTLY " + view +
                        " fails: the view was created or refreshed WITH NO DATA and is not "
                        "populated",
                    "REFRESH MATERIALIZED VIEW " + view +
                        "; once (without CONCURRENTLY) to populate it, then refresh concurrently");
      }
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_refresh_concurrently_without_unique_index() {
  return std::make_unique<RefreshConcurrentlyWithoutUniqueIndex>();
}

}  // namespace migrate
