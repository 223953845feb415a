// duplicate-column-assignment (catalog HYG-03): the same column twice in an UPDATE SET list, an
// INSERT column list, a CREATE TABLE, ALTER TABLE ADD COLUMN list or a view's columns:
// PostgreSQL rejects the statement when it runs, failing the migration.
#include <map>

#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

using Json = nlohmann::json;

// Names that occur more than once, in order of their second occurrence.
std::vector<std::string> duplicates(const std::vector<std::string>& names) {
  std::map<std::string, int> count;
  std::vector<std::string> out;
  for (const auto& n : names)
    if (!n.empty() && ++count[n] == 2) out.push_back(n);
  return out;
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "\"" : ", \"") + n + "\"";
  return out;
}

// Target columns of an UPDATE SET list or INSERT column list, as PostgreSQL 15 decides (checked
// on a server): assignments to array elements or fields of one column (a[1] = ..., a[2] = ...,
// even a[1] twice, c.x and c.y) are allowed; a plain assignment clashes with any other
// assignment to the same column, before or after it. Names compare as the parser folded them:
// A and a are the same column, "A" and a are not.
std::vector<std::string> clashing_targets(const Json& list) {
  std::map<std::string, std::pair<int, bool>> seen;  // name -> (count, any plain assignment)
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const auto& item : list) {
    const Json& rt = pgtree::child(item, "ResTarget");
    const std::string name = pgtree::text(rt, "name");
    if (name.empty()) continue;
    auto& [count, plain] = seen[name];
    ++count;
    plain = plain || pgtree::child(rt, "indirection").is_null();
    if (count >= 2 && plain) {
      bool listed = false;
      for (const auto& o : out) listed = listed || o == name;
      if (!listed) out.push_back(name);
    }
  }
  return out;
}

// An UPDATE SET list or INSERT column list found in a statement's tree.
struct ColumnList {
  std::string what;  // "UPDATE orders", "INSERT INTO orders ... ON CONFLICT DO UPDATE"
  bool insert = false;
  const Json* targets = nullptr;
};

void column_lists(const std::string& key, const Json& value, std::string merge_target,
                  std::vector<ColumnList>& out);

// Every member of an object, every element of an array.
void column_lists_in(const Json& node, const std::string& merge_target,
                     std::vector<ColumnList>& out) {
  if (node.is_array()) {
    for (const auto& v : node) column_lists_in(v, merge_target, out);
  } else if (node.is_object()) {
    for (const auto& [key, value] : node.items()) column_lists(key, value, merge_target, out);
  }
}

// `key` is the node type when `value` is a parse node ({"UpdateStmt": {...}}).
void column_lists(const std::string& key, const Json& value, std::string merge_target,
                  std::vector<ColumnList>& out) {
  if (!value.is_object()) {
    column_lists_in(value, merge_target, out);
    return;
  }
  const std::string table = pgtree::relation_name(pgtree::child(value, "relation"));
  if (key == "UpdateStmt") {
    out.push_back({"UPDATE " + table, false, &pgtree::child(value, "targetList")});
  } else if (key == "InsertStmt") {
    out.push_back({"INSERT INTO " + table, true, &pgtree::child(value, "cols")});
    const Json& conflict = pgtree::child(pgtree::child(value, "onConflictClause"), "targetList");
    if (!conflict.is_null())
      out.push_back({"INSERT INTO " + table + " ... ON CONFLICT DO UPDATE", false, &conflict});
  } else if (key == "MergeStmt") {
    merge_target = table;
  } else if (key == "MergeWhenClause") {
    const bool insert = pgtree::text(value, "commandType") == "CMD_INSERT";
    out.push_back({"MERGE INTO " + merge_target + (insert ? " ... INSERT" : " ... UPDATE"), insert,
                   &pgtree::child(value, "targetList")});
  }
  column_lists_in(value, merge_target, out);
}

// The output column name PostgreSQL gives a select-list entry, when the parse tree alone says
// it: an alias, a column reference's last field, a function's name. "" when unknown.
std::string output_name(const Json& res_target) {
  const std::string alias = pgtree::text(res_target, "name");
  if (!alias.empty()) return alias;
  const Json* val = &pgtree::child(res_target, "val");
  while (val->contains("TypeCast")) {
    const Json& arg = pgtree::child((*val)["TypeCast"], "arg");
    if (arg.is_null()) return {};
    val = &arg;
  }
  if (val->contains("ColumnRef")) {
    const Json& fields = pgtree::child((*val)["ColumnRef"], "fields");
    if (!fields.is_array() || fields.empty()) return {};
    return pgtree::text(pgtree::child(fields.back(), "String"), "sval");  // "" for *
  }
  if (val->contains("FuncCall")) {
    const Json& name = pgtree::child((*val)["FuncCall"], "funcname");
    if (!name.is_array() || name.empty()) return {};
    return pgtree::text(pgtree::child(name.back(), "String"), "sval");
  }
  return {};
}

// Column names of a view or CREATE TABLE AS: the explicit list first, then the query's names.
// Empty when a name cannot be known from the parse tree (SELECT *, expressions).
std::vector<std::string> query_columns(const Json& aliases, const Json& query) {
  std::vector<std::string> names;
  if (aliases.is_array())
    for (const auto& a : aliases) names.push_back(pgtree::text(pgtree::child(a, "String"), "sval"));
  const Json* select = &pgtree::child(query, "SelectStmt");
  while (!select->is_null() && pgtree::text(*select, "op") != "SETOP_NONE" &&
         !pgtree::text(*select, "op").empty())
    select = &pgtree::child(*select, "larg");  // a set operation takes the first query's names
  const Json& targets = pgtree::child(*select, "targetList");
  if (!targets.is_array()) return names;
  std::size_t i = 0;
  for (const auto& t : targets) {
    if (i++ < names.size()) continue;  // named by the explicit list
    const Json& rt = pgtree::child(t, "ResTarget");
    const Json& ref = pgtree::child(pgtree::child(rt, "val"), "ColumnRef");
    if (!ref.is_null()) {
      const Json& fields = pgtree::child(ref, "fields");
      if (fields.is_array() && !fields.empty() && fields.back().contains("A_Star"))
        return {};  // SELECT *: the expansion is unknown, so are the duplicates
    }
    names.push_back(output_name(rt));
  }
  return names;
}

class DuplicateColumnAssignment final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "duplicate-column-assignment",
        Dialect::kPostgres,
        Severity::kError,
        MigrationClass::kAdditive,
        LockLevel::kNone,
        "A column named twice in an UPDATE SET list or an INSERT column list (\"multiple "
        "assignments to same column\"), or defined twice in CREATE TABLE, ALTER TABLE ... ADD "
        "COLUMN or a view's columns (\"column specified more than once\"), is rejected by "
        "PostgreSQL when the statement runs: the migration fails, usually a copy-and-paste slip "
        "that hides which value was meant.",
        "Name each column once; decide which of the two values or definitions is the right one.",
        "UPDATE orders SET status = 'new', status = 'open' WHERE id = 1;",
        "UPDATE orders SET status = 'open' WHERE id = 1;"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    const std::string& t = facts.info.node_type;
    const Json& node = facts.info.node;
    const std::string table = pgtree::relation_name(pgtree::child(node, "relation"));
    if (t == "UpdateStmt" || t == "InsertStmt" || t == "MergeStmt" || t == "SelectStmt" ||
        t == "RuleStmt" || t == "DeleteStmt") {
      // Column lists at any depth: writable WITH queries, rule actions, ON CONFLICT DO UPDATE,
      // MERGE's WHEN clauses.
      std::vector<ColumnList> lists;
      column_lists(t, node, "", lists);
      for (const auto& l : lists) {
        auto dup = clashing_targets(*l.targets);
        if (dup.empty()) continue;
        sink.report(info(),
                    l.what + " assigns column " + quoted_list(dup) +
                        " more than once: " + "PostgreSQL rejects it (" +
                        (l.insert ? "column specified more than once"
                                  : "multiple assignments to same column") +
                        ")",
                    "keep one assignment to " + quoted_list(dup));
      }
      return;
    }
    std::vector<std::string> names;
    std::string what;
    if (t == "CreateStmt") {
      for (const auto& e : pgtree::child(node, "tableElts"))
        names.push_back(pgtree::text(pgtree::child(e, "ColumnDef"), "colname"));
      what = "CREATE TABLE " + table;
    } else if (t == "AlterTableStmt") {
      for (const Json* cmd : pgtree::alter_table_commands(node))
        if (pgtree::text(*cmd, "subtype") == "AT_AddColumn")
          names.push_back(
              pgtree::text(pgtree::child(pgtree::child(*cmd, "def"), "ColumnDef"), "colname"));
      what = "ALTER TABLE " + table;
    } else if (t == "ViewStmt") {
      names = query_columns(pgtree::child(node, "aliases"), pgtree::child(node, "query"));
      what = "CREATE VIEW " + pgtree::relation_name(pgtree::child(node, "view"));
    } else if (t == "CreateTableAsStmt") {
      const Json& into = pgtree::child(node, "into");
      names = query_columns(pgtree::child(into, "colNames"), pgtree::child(node, "query"));
      what = std::string(pgtree::text(node, "objtype") == "OBJECT_MATVIEW"
                             ? "CREATE MATERIALIZED VIEW "
                             : "CREATE TABLE ") +
             pgtree::relation_name(pgtree::child(into, "rel"));
    } else {
      return;
    }
    auto dup = duplicates(names);
    if (dup.empty()) return;
    sink.report(info(),
                what + " names column " + quoted_list(dup) +
                    " more than once: PostgreSQL rejects it (column specified more than once)",
                t == "ViewStmt" || t == "CreateTableAsStmt"
                    ? "give each output column a distinct name (... AS other_name)"
                    : "keep one definition of " + quoted_list(dup));
  }
};

}  // namespace

std::unique_ptr<PgRule> make_duplicate_column_assignment() {
  return std::make_unique<DuplicateColumnAssignment>();
}

}  // namespace migrate
