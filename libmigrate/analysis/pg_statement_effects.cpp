// The lock table: which lock each PostgreSQL statement takes on which relation, whether it
// rewrites or scans the table, and its base class, from the parse node. Sources: the PostgreSQL
// 15 documentation ("Explicit Locking", each command's page) and the rules catalog §0.
#include <fmt/format.h>

#include <algorithm>

#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {

namespace pgtree {

using Json = nlohmann::json;

bool flag(const Json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_boolean() && it->get<bool>();
}

std::string text(const Json& node, const char* key) {
  auto it = node.find(key);
  return it != node.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const Json& child(const Json& node, const char* key) {
  static const Json kNull;
  if (!node.is_object()) return kNull;
  auto it = node.find(key);
  return it == node.end() ? kNull : *it;
}

std::string relation_name(const Json& range_var) {
  const Json& rv = range_var.contains("RangeVar") ? range_var["RangeVar"] : range_var;
  std::string schema = text(rv, "schemaname");
  std::string name = text(rv, "relname");
  return schema.empty() ? name : schema + "." + name;
}

std::vector<const Json*> alter_table_commands(const Json& stmt) {
  std::vector<const Json*> out;
  const Json& cmds = child(stmt, "cmds");
  if (!cmds.is_array()) return out;
  for (const auto& c : cmds)
    if (c.contains("AlterTableCmd")) out.push_back(&c["AlterTableCmd"]);
  return out;
}

std::vector<const Json*> constraints_in(const Json& list) {
  std::vector<const Json*> out;
  if (!list.is_array()) return out;
  for (const auto& c : list)
    if (c.contains("Constraint")) out.push_back(&c["Constraint"]);
  return out;
}

std::string dotted_name(const Json& list) {
  std::string out;
  if (!list.is_array()) return out;
  for (const auto& item : list) {
    const Json& s = child(item, "String");
    if (s.is_null()) continue;
    out += (out.empty() ? "" : ".") + text(s, "sval");
  }
  return out;
}

}  // namespace pgtree

namespace {

using Json = nlohmann::json;
using namespace pgtree;

// A statement with several commands (ALTER TABLE a, b) does the costliest one's work; a rewrite
// also rebuilds every index, so it covers a scan and an index build of the same table.
int work_cost_rank(WorkKind k) {
  switch (k) {
    case WorkKind::kCatalogOnly:
      return 0;
    case WorkKind::kScan:
      return 1;
    case WorkKind::kForeignKeyScan:
      return 2;
    case WorkKind::kIndexBuild:
      return 3;
    case WorkKind::kDataChange:
      return 4;
    case WorkKind::kRewrite:
      return 5;
    case WorkKind::kUnknown:
      return 6;
  }
  return 6;
}

void raise_work(StatementAnalysis& a, WorkKind kind, const std::string& table) {
  if (work_cost_rank(kind) <= work_cost_rank(a.work.kind)) return;
  a.work.kind = kind;
  a.work.table = table;
}

// The key columns of an index build ("" for an expression), for the estimator's sort cost.
void index_keys(StatementAnalysis& a, const std::vector<std::string>& columns) {
  a.work.key_columns = columns;
  if (a.work.key_columns.empty()) a.work.key_columns.push_back("");
}

LockLevel stronger(LockLevel a, LockLevel b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}
MigrationClass severer(MigrationClass a, MigrationClass b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

void lock(StatementAnalysis& a, const std::string& relation, LockLevel level) {
  if (relation.empty() || level == LockLevel::kNone) return;
  for (auto& l : a.locks) {
    if (l.relation == relation) {
      l.level = stronger(l.level, level);
      return;
    }
  }
  a.locks.push_back({relation, level});
}

// LOCK TABLE modes as the parser numbers them (lockdefs.h).
LockLevel lock_mode(int mode) {
  switch (mode) {
    case 1:
      return LockLevel::kAccessShare;
    case 2:
      return LockLevel::kRowShare;
    case 3:
      return LockLevel::kRowExclusive;
    case 4:
      return LockLevel::kShareUpdateExclusive;
    case 5:
      return LockLevel::kShare;
    case 6:
      return LockLevel::kShareRowExclusive;
    case 7:
      return LockLevel::kExclusive;
    default:
      return LockLevel::kAccessExclusive;
  }
}

// Reads and writes inside a statement (a query, a view or rule body, a policy expression):
// ACCESS SHARE on what it reads, ROW SHARE on what SELECT ... FOR UPDATE/SHARE locks, ROW
// EXCLUSIVE on what INSERT/UPDATE/DELETE/MERGE write, wherever they nest (data-modifying WITH,
// rule actions, EXPLAIN). Only names of `named` are locked: a WITH query is no relation.
void collect_range_vars(const Json& j, std::vector<std::string>& out) {
  if (j.is_array()) {
    for (const auto& e : j) collect_range_vars(e, out);
  } else if (j.is_object()) {
    if (j.contains("relname")) {
      out.push_back(relation_name(j));
      return;
    }
    for (const auto& [k, v] : j.items()) collect_range_vars(v, out);
  }
}

void data_access_locks(const Json& j, const std::vector<std::string>& named, StatementAnalysis& a);

// The lock a node `key` (a statement type inside the tree) takes by itself: writes take ROW
// EXCLUSIVE on their target, SELECT ... FOR UPDATE/SHARE takes ROW SHARE on what it locks.
void data_access_node(const std::string& key, const Json& value,
                      const std::vector<std::string>& named, StatementAnalysis& a) {
  if (!value.is_object()) return;
  auto lock_named = [&](const std::string& relation, LockLevel level) {
    if (std::find(named.begin(), named.end(), relation) != named.end()) lock(a, relation, level);
  };
  if (key == "InsertStmt" || key == "UpdateStmt" || key == "DeleteStmt" || key == "MergeStmt")
    lock_named(relation_name(child(value, "relation")), LockLevel::kRowExclusive);
  if (key == "SelectStmt") {
    for (const auto& clause : child(value, "lockingClause")) {
      std::vector<std::string> locked;
      const Json& rels = child(child(clause, "LockingClause"), "lockedRels");
      collect_range_vars(rels.is_array() && !rels.empty() ? rels : child(value, "fromClause"),
                         locked);
      for (const auto& r : locked) lock_named(r, LockLevel::kRowShare);
    }
  }
}

void data_access_locks(const Json& j, const std::vector<std::string>& named, StatementAnalysis& a) {
  if (j.is_array()) {
    for (const auto& e : j) data_access_locks(e, named, a);
    return;
  }
  if (!j.is_object()) return;
  for (const auto& [key, value] : j.items()) data_access_node(key, value, named, a);
  for (const auto& [key, value] : j.items()) data_access_locks(value, named, a);
}

// Every named relation read, then the stronger locks of writes and row locks inside `node`, a
// statement of type `type`.
void data_statement_locks(const std::string& type, const Json& node,
                          const std::vector<std::string>& named, StatementAnalysis& a) {
  for (const auto& r : named) lock(a, r, LockLevel::kAccessShare);
  // The statement's own node, then everything inside it, without copying the tree.
  data_access_node(type, node, named, a);
  data_access_locks(node, named, a);
}

// The referenced tables of every FOREIGN KEY / REFERENCES inside `node`.
void foreign_key_targets(const Json& j, std::vector<std::string>& out) {
  if (j.is_array()) {
    for (const auto& e : j) foreign_key_targets(e, out);
  } else if (j.is_object()) {
    if (text(j, "contype") == "CONSTR_FOREIGN") out.push_back(relation_name(child(j, "pktable")));
    for (const auto& [k, v] : j.items()) foreign_key_targets(v, out);
  }
}

// The relation a COMMENT locks and how: the relation itself or a column's table, SHARE UPDATE
// EXCLUSIVE; the table of a trigger, rule, policy or table constraint, ACCESS SHARE
// (get_object_address_relobject). Empty for objects that are not on a relation.
RelationLock commented_relation(const Json& node) {
  const std::string type = text(node, "objtype");
  const Json& object = child(node, "object");
  const Json& items = child(object.contains("List") ? object["List"] : object, "items");
  if (!items.is_array() || items.empty()) return {};
  static const char* const kRelations[] = {"OBJECT_TABLE",    "OBJECT_INDEX",
                                           "OBJECT_VIEW",     "OBJECT_MATVIEW",
                                           "OBJECT_SEQUENCE", "OBJECT_FOREIGN_TABLE"};
  static const char* const kOnRelation[] = {"OBJECT_COLUMN", "OBJECT_TRIGGER", "OBJECT_RULE",
                                            "OBJECT_POLICY", "OBJECT_TABCONSTRAINT"};
  for (const char* r : kRelations)
    if (type == r) return {dotted_name(items), LockLevel::kShareUpdateExclusive};
  for (const char* r : kOnRelation) {
    if (type != r || items.size() < 2) continue;
    Json table = items;
    table.erase(table.size() - 1);
    return {dotted_name(table),
            type == "OBJECT_COLUMN" ? LockLevel::kShareUpdateExclusive : LockLevel::kAccessShare};
  }
  return {};
}

// Functions whose value differs per row: a column default calling one rewrites the table.
bool is_volatile_call(const Json& expr) {
  if (expr.is_object()) {
    if (expr.contains("FuncCall")) {
      std::string name = dotted_name(child(expr["FuncCall"], "funcname"));
      auto dot = name.rfind('.');
      std::string base = dot == std::string::npos ? name : name.substr(dot + 1);
      static const char* const kVolatile[] = {
          "random",          "gen_random_uuid", "uuid_generate_v4", "uuid_generate_v1",
          "clock_timestamp", "nextval",         "timeofday",        "txid_current"};
      for (const char* v : kVolatile)
        if (base == v) return true;
    }
    for (const auto& [k, v] : expr.items())
      if (is_volatile_call(v)) return true;
  } else if (expr.is_array()) {
    for (const auto& v : expr)
      if (is_volatile_call(v)) return true;
  }
  return false;
}

void alter_table_effects(const Json& node, StatementAnalysis& a, const PgMigrationContext& ctx) {
  const std::string table = relation_name(child(node, "relation"));
  for (const Json* cmd : alter_table_commands(node)) {
    const std::string subtype = text(*cmd, "subtype");
    const Json& def = child(*cmd, "def");
    LockLevel level = LockLevel::kAccessExclusive;
    MigrationClass cls = MigrationClass::kBackwardCompatible;
    if (subtype == "AT_AddColumn") {
      cls = MigrationClass::kAdditive;
      const Json& col = child(def, "ColumnDef");
      bool has_default = false, volatile_default = false, stored = false, identity = false;
      for (const Json* c : constraints_in(child(col, "constraints"))) {
        std::string t = text(*c, "contype");
        if (t == "CONSTR_DEFAULT") {
          has_default = true;
          volatile_default = volatile_default || is_volatile_call(child(*c, "raw_expr"));
        }
        if (t == "CONSTR_GENERATED") stored = true;
        if (t == "CONSTR_IDENTITY") identity = true;
        if (t == "CONSTR_FOREIGN")
          lock(a, relation_name(child(*c, "pktable")), LockLevel::kShareRowExclusive);
        if (t == "CONSTR_UNIQUE" || t == "CONSTR_PRIMARY") {
          a.scans_table = true;
          raise_work(a, WorkKind::kIndexBuild, table);
          index_keys(a, {text(col, "colname")});
        }
      }
      std::string type = dotted_name(child(child(col, "typeName"), "names"));
      bool serial = type == "serial" || type == "bigserial" || type == "smallserial";
      if (volatile_default || stored || identity || serial ||
          (has_default && ctx.server_version() < 110000)) {
        a.rewrites_table = true;
        raise_work(a, WorkKind::kRewrite, table);
      }
    } else if (subtype == "AT_AlterColumnType") {
      a.rewrites_table = true;  // unless binary-coercible; the rule looks closer
      raise_work(a, WorkKind::kRewrite, table);
      cls = MigrationClass::kBreaking;
    } else if (subtype == "AT_AddConstraint") {
      const Json& con = child(def, "Constraint");
      std::string t = text(con, "contype");
      bool not_valid = flag(con, "skip_validation");
      if (t == "CONSTR_FOREIGN") {
        level = LockLevel::kShareRowExclusive;
        lock(a, relation_name(child(con, "pktable")), LockLevel::kShareRowExclusive);
        a.scans_table = a.scans_table || !not_valid;
        if (!not_valid) raise_work(a, WorkKind::kForeignKeyScan, table);
      } else if (t == "CONSTR_CHECK") {
        a.scans_table = a.scans_table || !not_valid;
        if (!not_valid) {
          raise_work(a, WorkKind::kScan, table);
          a.work.constraint = text(con, "conname").empty() ? "check" : text(con, "conname");
        }
      } else if (t == "CONSTR_UNIQUE" || t == "CONSTR_PRIMARY" || t == "CONSTR_EXCLUSION") {
        const bool builds = text(con, "indexname").empty();  // USING INDEX: no build
        a.scans_table = a.scans_table || builds;
        if (builds) {
          raise_work(a, WorkKind::kIndexBuild, table);
          std::vector<std::string> keys;
          for (const auto& k : child(con, "keys")) keys.push_back(text(child(k, "String"), "sval"));
          index_keys(a, keys);
        }
      }
    } else if (subtype == "AT_ValidateConstraint") {
      level = LockLevel::kShareUpdateExclusive;
      a.scans_table = true;
      // Which kind of constraint it is only the catalog knows: the estimator asks it.
      raise_work(a, WorkKind::kScan, table);
      a.work.constraint = text(*cmd, "name");
    } else if (subtype == "AT_SetNotNull") {
      a.scans_table = true;
      raise_work(a, WorkKind::kScan, table);
    } else if (subtype == "AT_DropNotNull" || subtype == "AT_DropColumn") {
      cls = MigrationClass::kBreaking;
    } else if (subtype == "AT_DropConstraint" || subtype == "AT_ColumnDefault") {
      cls = MigrationClass::kBackwardCompatible;
    } else if (subtype == "AT_DetachPartition") {
      level = flag(child(def, "PartitionCmd"), "concurrent") ? LockLevel::kShareUpdateExclusive
                                                             : LockLevel::kAccessExclusive;
      // The partition: ACCESS EXCLUSIVE, with CONCURRENTLY too, where the second transaction
      // takes it once the transactions that saw the partition are gone (ATExecDetachPartition).
      lock(a, relation_name(child(child(def, "PartitionCmd"), "name")),
           LockLevel::kAccessExclusive);
      cls = MigrationClass::kBreaking;
    } else if (subtype == "AT_AddInherit") {
      lock(a, relation_name(def), LockLevel::kShareUpdateExclusive);  // the new parent
    } else if (subtype == "AT_DropInherit") {
      lock(a, relation_name(def), LockLevel::kAccessShare);  // the old parent
    } else if (subtype == "AT_AttachPartition") {
      level = LockLevel::kShareUpdateExclusive;
      lock(a, relation_name(child(child(def, "PartitionCmd"), "name")),
           LockLevel::kAccessExclusive);
      a.scans_table = true;
      raise_work(a, WorkKind::kScan, table);
    } else if (subtype == "AT_SetTableSpace" || subtype == "AT_SetLogged" ||
               subtype == "AT_SetUnLogged") {
      a.rewrites_table = true;
      raise_work(a, WorkKind::kRewrite, table);
    } else if (subtype == "AT_EnableTrig" || subtype == "AT_DisableTrig" ||
               subtype == "AT_EnableTrigAll" || subtype == "AT_DisableTrigAll" ||
               subtype == "AT_EnableTrigUser" || subtype == "AT_DisableTrigUser") {
      level = LockLevel::kShareRowExclusive;
    } else if (subtype == "AT_SetStatistics" || subtype == "AT_ClusterOn" ||
               subtype == "AT_DropCluster" || subtype == "AT_SetOptions" ||
               subtype == "AT_ResetOptions" || subtype == "AT_SetRelOptions" ||
               subtype == "AT_ResetRelOptions") {
      level = LockLevel::kShareUpdateExclusive;
    }
    lock(a, table, level);
    a.migration_class = severer(a.migration_class, cls);
  }
}

}  // namespace

StatementAnalysis pg_statement_effects(const PgStatementInfo& info, const PgMigrationContext& ctx) {
  StatementAnalysis a;
  a.kind = info.node_type;
  a.can_run_in_transaction = info.can_run_in_transaction;
  a.migration_class = MigrationClass::kAdditive;
  const Json& node = info.node;
  const std::string& t = info.node_type;
  auto all = [&](LockLevel level) {
    for (const auto& r : info.relations) lock(a, r, level);
  };
  if (t == "AlterTableStmt") {
    alter_table_effects(node, a, ctx);
  } else if (t == "IndexStmt") {
    lock(a, relation_name(child(node, "relation")),
         flag(node, "concurrent") ? LockLevel::kShareUpdateExclusive : LockLevel::kShare);
    a.scans_table = true;
    raise_work(a, WorkKind::kIndexBuild, relation_name(child(node, "relation")));
    a.work.concurrent = flag(node, "concurrent");
    std::vector<std::string> keys;
    for (const auto& param : child(node, "indexParams"))
      keys.push_back(text(child(param, "IndexElem"), "name"));  // "" for an expression
    index_keys(a, keys);
  } else if (t == "CreateStmt") {
    // The new relation (invisible to others until commit) is ACCESS EXCLUSIVE; LIKE sources are
    // read; REFERENCES adds triggers to the referenced table (SHARE ROW EXCLUSIVE, as CREATE
    // TRIGGER); INHERITS takes SHARE UPDATE EXCLUSIVE on the parent, PARTITION OF ACCESS
    // EXCLUSIVE (DefineRelation).
    all(LockLevel::kAccessShare);
    std::vector<std::string> referenced;
    foreign_key_targets(node, referenced);
    for (const auto& r : referenced) lock(a, r, LockLevel::kShareRowExclusive);
    std::vector<std::string> parents;
    collect_range_vars(child(node, "inhRelations"), parents);
    for (const auto& p : parents)
      lock(a, p,
           node.contains("partbound") ? LockLevel::kAccessExclusive
                                      : LockLevel::kShareUpdateExclusive);
    lock(a, relation_name(child(node, "relation")), LockLevel::kAccessExclusive);
  } else if (t == "CreateTableAsStmt" || t == "ViewStmt") {
    // CREATE TABLE AS, CREATE MATERIALIZED VIEW, CREATE [OR REPLACE] VIEW: the sources are only
    // read; the new (or replaced) relation is ACCESS EXCLUSIVE.
    data_statement_locks(t, node, info.relations, a);
    const Json& into = child(node, "into");
    lock(a,
         relation_name(t == "ViewStmt"
                           ? child(node, "view")
                           : child(into.contains("IntoClause") ? into["IntoClause"] : into, "rel")),
         LockLevel::kAccessExclusive);
    if (t == "ViewStmt" && flag(node, "replace"))
      a.migration_class = MigrationClass::kBackwardCompatible;
    // CREATE TABLE AS / MATERIALIZED VIEW writes every row its query returns (the planner's
    // estimate of the query, when connected).
    if (t == "CreateTableAsStmt" &&
        !flag(into.contains("IntoClause") ? into["IntoClause"] : into, "skipData"))
      raise_work(a, WorkKind::kDataChange, "");
  } else if (t == "CreateSeqStmt") {
    all(LockLevel::kAccessExclusive);
  } else if (t == "AlterSeqStmt") {
    all(LockLevel::kShareRowExclusive);  // AlterSequence: readers and nextval() go on
  } else if (t == "DropStmt") {
    std::string type = text(node, "removeType");
    bool concurrent = flag(node, "concurrent");
    all(type == "OBJECT_INDEX" && concurrent ? LockLevel::kShareUpdateExclusive
                                             : LockLevel::kAccessExclusive);
    a.migration_class =
        type == "OBJECT_INDEX" ? MigrationClass::kBackwardCompatible : MigrationClass::kBreaking;
  } else if (t == "RenameStmt") {
    // ALTER INDEX ... RENAME takes SHARE UPDATE EXCLUSIVE since PostgreSQL 12 (RenameRelation).
    all(text(node, "renameType") == "OBJECT_INDEX" && ctx.server_version() >= 120000
            ? LockLevel::kShareUpdateExclusive
            : LockLevel::kAccessExclusive);
    a.migration_class = MigrationClass::kBreaking;
  } else if (t == "InsertStmt" || t == "UpdateStmt" || t == "DeleteStmt" || t == "MergeStmt") {
    data_statement_locks(t, node, info.relations, a);
    std::string target = relation_name(child(node, "relation"));
    a.migration_class = ctx.created_in_this_migration(target) ? MigrationClass::kAdditive
                                                              : MigrationClass::kDataBackfill;
    raise_work(a, WorkKind::kDataChange, target);
  } else if (t == "CopyStmt") {
    all(flag(node, "is_from") ? LockLevel::kRowExclusive : LockLevel::kAccessShare);
    if (flag(node, "is_from")) a.migration_class = MigrationClass::kDataBackfill;
    if (flag(node, "is_from"))
      raise_work(a, WorkKind::kUnknown, relation_name(child(node, "relation")));
  } else if (t == "TruncateStmt") {
    all(LockLevel::kAccessExclusive);
    a.migration_class = MigrationClass::kBreaking;
  } else if (t == "CreateTrigStmt") {
    all(LockLevel::kShareRowExclusive);
    a.migration_class = MigrationClass::kBackwardCompatible;
  } else if (t == "RuleStmt") {
    // The rule's table is ACCESS EXCLUSIVE; its actions are parsed, which locks what they read
    // and write as running them would.
    data_statement_locks(t, node, info.relations, a);
    lock(a, relation_name(child(node, "relation")), LockLevel::kAccessExclusive);
  } else if (t == "CreatePolicyStmt" || t == "AlterPolicyStmt") {
    data_statement_locks(t, node, info.relations, a);
    lock(a, relation_name(child(node, "table")), LockLevel::kAccessExclusive);
  } else if (t == "RefreshMatViewStmt") {
    all(flag(node, "concurrent") ? LockLevel::kExclusive : LockLevel::kAccessExclusive);
    a.scans_table = true;
    raise_work(a, WorkKind::kUnknown, relation_name(child(node, "relation")));
  } else if (t == "VacuumStmt") {
    bool full = false;
    for (const auto& opt : child(node, "options"))
      if (text(child(opt, "DefElem"), "defname") == "full") full = true;
    all(full ? LockLevel::kAccessExclusive : LockLevel::kShareUpdateExclusive);
    a.rewrites_table = full;
    a.scans_table = true;
    raise_work(a, full ? WorkKind::kRewrite : WorkKind::kScan,
               info.relations.empty() ? std::string() : info.relations.front());
    if (info.relations.empty()) raise_work(a, WorkKind::kUnknown, "");  // the whole database
  } else if (t == "ClusterStmt") {
    all(LockLevel::kAccessExclusive);
    a.rewrites_table = true;
    raise_work(a, WorkKind::kRewrite,
               info.relations.empty() ? std::string() : info.relations.front());
  } else if (t == "ReindexStmt") {
    // REINDEX takes SHARE on the table and ACCESS EXCLUSIVE on each index it rebuilds, which
    // blocks the reads planned with that index; CONCURRENTLY takes SHARE UPDATE EXCLUSIVE on both.
    bool concurrent = info.non_transactional_reason == "REINDEX CONCURRENTLY";
    all(concurrent                                     ? LockLevel::kShareUpdateExclusive
        : text(node, "kind") == "REINDEX_OBJECT_INDEX" ? LockLevel::kAccessExclusive
                                                       : LockLevel::kShare);
    a.scans_table = true;
    raise_work(a, WorkKind::kUnknown,
               info.relations.empty() ? std::string() : info.relations.front());
  } else if (t == "LockStmt") {
    all(lock_mode(child(node, "mode").is_number() ? child(node, "mode").get<int>() : 8));
  } else if (t == "CommentStmt") {
    const RelationLock commented = commented_relation(node);
    lock(a, commented.relation, commented.level);
  } else if (t == "CreateStatsStmt") {
    all(LockLevel::kShareUpdateExclusive);
  } else if (t == "SelectStmt" || t == "ExplainStmt") {
    data_statement_locks(t, node, info.relations, a);
  } else if (t == "GrantStmt") {
    // GRANT/REVOKE on a table look it up without locking it (objectNamesToOids).
  } else if (t == "AlterEnumStmt") {
    if (!text(node, "oldVal").empty())
      a.migration_class = MigrationClass::kBreaking;  // RENAME VALUE
  } else if (t == "DoStmt" || t == "CallStmt" || t == "ExecuteStmt") {
    a.migration_class =
        MigrationClass::kBackwardCompatible;  // unknowable; the opaque-sql rule says so
    raise_work(a, WorkKind::kUnknown, "");
  } else if (t == "DropdbStmt" || t == "DropTableSpaceStmt") {
    a.migration_class = MigrationClass::kBreaking;
  } else if (info.takes_relation_lock) {
    all(LockLevel::kAccessExclusive);  // unknown DDL on relations: assume the worst
  }
  return a;
}

}  // namespace migrate
