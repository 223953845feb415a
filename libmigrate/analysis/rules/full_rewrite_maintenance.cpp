// full-rewrite-maintenance (catalog PG-TBL-04): VACUUM FULL, CLUSTER, SET TABLESPACE and SET
// LOGGED/UNLOGGED copy the whole table under ACCESS EXCLUSIVE: an outage as long as the copy.
#include <algorithm>
#include <cctype>

#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

using Json = nlohmann::json;

// The value of a boolean DefElem option: no argument means true.
bool option_on(const Json& defelem) {
  const Json& arg = pgtree::child(defelem, "arg");
  if (arg.is_null()) return true;
  if (arg.contains("String")) {
    std::string v = pgtree::text(arg["String"], "sval");
    std::transform(v.begin(), v.end(), v.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return v != "false" && v != "off" && v != "no" && v != "0";
  }
  if (arg.contains("Integer")) {
    const Json& i = pgtree::child(arg["Integer"], "ival");
    return i.is_number() && i.get<long long>() != 0;
  }
  if (arg.contains("Boolean")) return pgtree::flag(arg["Boolean"], "boolval");
  return true;
}

std::string relation_list(const std::vector<std::string>& relations) {
  std::string out;
  for (const auto& r : relations) out += (out.empty() ? "" : ", ") + r;
  return out;
}

class FullRewriteMaintenance final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "full-rewrite-maintenance",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kAdditive,
        LockLevel::kAccessExclusive,
        "VACUUM FULL, CLUSTER, ALTER TABLE ... SET TABLESPACE and SET LOGGED / SET UNLOGGED "
        "write a complete new copy of the table (and rebuild its indexes) while holding ACCESS "
        "EXCLUSIVE: no query can read or write the table until the copy is done.",
        "Keep table maintenance out of schema migrations. Reclaim space or reorder rows online "
        "with pg_repack (or REPACK CONCURRENTLY where the server has it); move tables between "
        "tablespaces with pg_repack --tablespace; for LOGGED/UNLOGGED build a new table, "
        "backfill it in batches and swap.",
        "VACUUM FULL events;",
        "VACUUM (ANALYZE) events;  -- blocks nobody; reclaim space with pg_repack, outside the "
        "migration"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext& ctx,
             FindingSink& sink) const override {
    const auto& node = facts.info.node;
    const std::string& type = facts.info.node_type;
    const std::string tables = relation_list(facts.info.relations);
    const std::string repack_table =
        facts.info.relations.size() == 1 ? " --table=" + facts.info.relations[0] : std::string();
    if (type == "VacuumStmt") {
      if (!pgtree::flag(node, "is_vacuumcmd")) return;  // ANALYZE
      bool full = false;
      for (const auto& opt : pgtree::child(node, "options")) {
        const Json& d = pgtree::child(opt, "DefElem");
        if (pgtree::text(d, "defname") == "full") full = option_on(d);
      }
      if (!full) return;
      sink.report(info(),
                  tables.empty() ? "VACUUM FULL rewrites every table of the database, each under "
                                   "ACCESS EXCLUSIVE for the length of its copy"
                                 : "VACUUM FULL rewrites " + tables +
                                       " under ACCESS EXCLUSIVE: reads and writes wait for the "
                                       "whole copy",
                  "run pg_repack" + repack_table +
                      " outside the migration, or a plain VACUUM, which blocks nobody");
    } else if (type == "ClusterStmt") {
      sink.report(info(),
                  tables.empty() ? "CLUSTER rewrites every previously clustered table of the "
                                   "database, each under ACCESS EXCLUSIVE"
                                 : "CLUSTER rewrites " + tables +
                                       " in index order under ACCESS EXCLUSIVE: reads and writes "
                                       "wait for the whole copy",
                  "reorder the table online with pg_repack" +
                      (repack_table.empty() ? std::string() : repack_table + " --order-by=...") +
                      ", outside the migration");
    } else if (type == "AlterTableMoveAllStmt") {
      sink.report(info(), "ALTER ... ALL IN TABLESPACE " +
                              pgtree::text(node, "orig_tablespacename") + " SET TABLESPACE " +
                              pgtree::text(node, "new_tablespacename") +
                              " copies every relation of that tablespace, each under ACCESS "
                              "EXCLUSIVE");
    } else if (type == "AlterTableStmt") {
      const std::string table = pgtree::relation_name(pgtree::child(node, "relation"));
      if (ctx.created_in_this_migration(table)) return;
      const bool index = pgtree::text(node, "objtype") == "OBJECT_INDEX";
      for (const Json* cmd : pgtree::alter_table_commands(node)) {
        const std::string sub = pgtree::text(*cmd, "subtype");
        if (sub == "AT_SetTableSpace") {
          sink.report(
              info(),
              std::string("SET TABLESPACE copies ") + (index ? "index " : "table ") + table +
                  " to tablespace " + pgtree::text(*cmd, "name") + " under ACCESS EXCLUSIVE: " +
                  (index ? "queries using it" : "reads and writes") + " wait for the whole copy",
              index ? std::string("build a new index CONCURRENTLY ... TABLESPACE ") +
                          pgtree::text(*cmd, "name") + ", then DROP INDEX CONCURRENTLY the old one"
                    : "move it online with pg_repack --table=" + table + " --tablespace=" +
                          pgtree::text(*cmd, "name") + ", outside the migration");
          return;
        }
        if (sub == "AT_SetLogged" || sub == "AT_SetUnLogged") {
          sink.report(info(),
                      std::string(sub == "AT_SetLogged" ? "SET LOGGED" : "SET UNLOGGED") +
                          " rewrites " + table +
                          " under ACCESS EXCLUSIVE: reads and writes wait for the whole copy",
                      "create a new table with the persistence you want, backfill it in "
                      "batches, and swap the names in a short transaction");
          return;
        }
      }
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_full_rewrite_maintenance() {
  return std::make_unique<FullRewriteMaintenance>();
}

}  // namespace migrate
