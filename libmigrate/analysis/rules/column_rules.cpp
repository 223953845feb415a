// C (columns): the rules of this group, in catalog order, and the parse-tree helpers they share
// (column_rules.hpp).
#include "libmigrate/analysis/rules/column_rules.hpp"

#include <cstdlib>
#include <map>
#include <set>

namespace migrate {

std::unique_ptr<PgRule> make_add_column_volatile_default();
std::unique_ptr<PgRule> make_add_column_rewrite_kinds();
std::unique_ptr<PgRule> make_add_required_column();
std::unique_ptr<PgRule> make_alter_column_type_rewrite();
std::unique_ptr<PgRule> make_rename_column();
std::unique_ptr<PgRule> make_drop_column();
std::unique_ptr<PgRule> make_json_type();
std::unique_ptr<PgRule> make_prefer_text_over_varchar();
std::unique_ptr<PgRule> make_prefer_timestamptz();
std::unique_ptr<PgRule> make_prefer_bigint();
std::unique_ptr<PgRule> make_prefer_identity();
std::unique_ptr<PgRule> make_default_change();

void append_column_rules(std::vector<std::unique_ptr<PgRule>>& rules) {
  rules.push_back(make_add_column_volatile_default());  // PG-COL-01
  rules.push_back(make_add_column_rewrite_kinds());     // PG-COL-02
  rules.push_back(make_add_required_column());          // PG-COL-03
  rules.push_back(make_alter_column_type_rewrite());    // PG-COL-04
  rules.push_back(make_rename_column());                // PG-COL-05
  rules.push_back(make_drop_column());                  // PG-COL-06
  rules.push_back(make_json_type());                    // PG-COL-07
  rules.push_back(make_prefer_text_over_varchar());     // PG-COL-08
  rules.push_back(make_prefer_timestamptz());           // PG-COL-08
  rules.push_back(make_prefer_bigint());                // PG-COL-08
  rules.push_back(make_prefer_identity());
  rules.push_back(make_default_change());  // PG-COL-09
}

namespace column_rules {

using Json = nlohmann::json;
using namespace pgtree;

namespace {

// The integer in an A_Const typmod; libpg_query's JSON leaves out zero ({"ival": {}}).
int typmod_value(const Json& item) {
  const Json& ival = child(child(child(item, "A_Const"), "ival"), "ival");
  return ival.is_number_integer() ? ival.get<int>() : 0;
}

std::string quote_literal(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string function_base_name(const Json& func_call) {
  std::string name = dotted_name(child(func_call, "funcname"));
  auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

std::string table_key(const std::string& relation) {
  return relation.starts_with("public.") ? relation.substr(7) : relation;
}

constexpr const char* kColumnTypeFact = "column-type:";

std::string fact_prefix(const std::string& table, const std::string& column) {
  return kColumnTypeFact + table_key(table) + ":" + column + "=";
}

std::string table_prefix(const std::string& table) {
  return kColumnTypeFact + table_key(table) + ":";
}

void erase_prefix(std::set<std::string>& facts, const std::string& prefix) {
  auto it = facts.lower_bound(prefix);
  while (it != facts.end() && it->starts_with(prefix)) it = facts.erase(it);
}

void set_type(const PgMigrationContext& ctx, const std::string& table, const std::string& column,
              const ColumnType& type) {
  auto& facts = ctx.plan_facts();
  erase_prefix(facts, fact_prefix(table, column));
  if (type.known()) facts.insert(fact_prefix(table, column) + encode(type));
}

}  // namespace

ColumnType column_type(const Json& type_name) {
  ColumnType t;
  const Json& names = child(type_name, "names");
  std::vector<std::string> parts;
  if (names.is_array())
    for (const auto& n : names) parts.push_back(text(child(n, "String"), "sval"));
  if (parts.size() == 2 && parts[0] == "pg_catalog")
    t.name = parts[1];
  else if (!parts.empty())
    t.name = dotted_name(names);
  const Json& mods = child(type_name, "typmods");
  if (mods.is_array())
    for (const auto& m : mods) t.mods.push_back(typmod_value(m));
  t.array = child(type_name, "arrayBounds").is_array() && !child(type_name, "arrayBounds").empty();
  return t;
}

std::string type_sql(const ColumnType& t) {
  static const std::map<std::string, std::string> kSpelling = {{"int2", "smallint"},
                                                               {"int4", "integer"},
                                                               {"int8", "bigint"},
                                                               {"float4", "real"},
                                                               {"float8", "double precision"},
                                                               {"bool", "boolean"},
                                                               {"bpchar", "char"},
                                                               {"varbit", "bit varying"}};
  auto it = kSpelling.find(t.name);
  std::string out = it == kSpelling.end() ? t.name : it->second;
  if (!t.mods.empty() && t.name != "interval") {  // interval typmods encode field masks
    out += "(";
    for (size_t i = 0; i < t.mods.size(); ++i) out += (i ? "," : "") + std::to_string(t.mods[i]);
    out += ")";
  }
  return t.array ? out + "[]" : out;
}

std::string encode(const ColumnType& t) {
  std::string out = t.name;
  if (!t.mods.empty()) {
    out += "(";
    for (size_t i = 0; i < t.mods.size(); ++i) out += (i ? "," : "") + std::to_string(t.mods[i]);
    out += ")";
  }
  return t.array ? out + "[]" : out;
}

ColumnType decode(const std::string& s) {
  ColumnType t;
  std::string rest = s;
  if (rest.ends_with("[]")) {
    t.array = true;
    rest.resize(rest.size() - 2);
  }
  auto open = rest.find('(');
  t.name = rest.substr(0, open);
  if (open != std::string::npos) {
    std::string mods = rest.substr(open + 1, rest.size() - open - 2);
    size_t start = 0;
    while (start <= mods.size()) {
      auto comma = mods.find(',', start);
      std::string item = mods.substr(start, comma == std::string::npos ? comma : comma - start);
      t.mods.push_back(std::atoi(item.c_str()));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return t;
}

std::string expr_sql(const Json& expr) {
  if (!expr.is_object()) return {};
  if (expr.contains("A_Const")) {
    const Json& c = expr["A_Const"];
    if (flag(c, "isnull")) return "NULL";
    if (c.contains("ival")) {
      const Json& v = child(c["ival"], "ival");
      return v.is_number_integer() ? std::to_string(v.get<long long>()) : std::string();
    }
    if (c.contains("fval")) return text(c["fval"], "fval");
    if (c.contains("sval")) return quote_literal(text(c["sval"], "sval"));
    if (c.contains("boolval")) return flag(c["boolval"], "boolval") ? "true" : "false";
    return {};
  }
  if (expr.contains("TypeCast")) {
    const Json& c = expr["TypeCast"];
    std::string arg = expr_sql(child(c, "arg"));
    ColumnType t = column_type(child(c, "typeName"));
    return arg.empty() || !t.known() ? std::string() : arg + "::" + type_sql(t);
  }
  if (expr.contains("FuncCall")) {
    const Json& f = expr["FuncCall"];
    for (const char* unsupported :
         {"agg_order", "agg_filter", "over", "agg_star", "agg_distinct", "func_variadic"})
      if (f.contains(unsupported)) return {};
    std::string out = dotted_name(child(f, "funcname")) + "(";
    const Json& args = child(f, "args");
    if (args.is_array()) {
      for (size_t i = 0; i < args.size(); ++i) {
        std::string a = expr_sql(args[i]);
        if (a.empty()) return {};
        out += (i ? ", " : "") + a;
      }
    }
    return out + ")";
  }
  if (expr.contains("ColumnRef")) return dotted_name(child(expr["ColumnRef"], "fields"));
  return {};
}

bool is_null_constant(const Json& expr) {
  if (!expr.is_object()) return false;
  if (expr.contains("A_Const")) return flag(expr["A_Const"], "isnull");
  if (expr.contains("TypeCast")) return is_null_constant(child(expr["TypeCast"], "arg"));
  return false;
}

std::string volatile_call(const Json& expr) {
  // pg_proc.provolatile = 'v': built-ins, pgcrypto and uuid-ossp. now(), current_timestamp,
  // statement_timestamp() and txid_current() are STABLE: one value per statement, no rewrite.
  static const char* const kVolatile[] = {"random",
                                          "random_normal",
                                          "setseed",
                                          "gen_random_uuid",
                                          "gen_random_bytes",
                                          "uuid_generate_v1",
                                          "uuid_generate_v1mc",
                                          "uuid_generate_v4",
                                          "uuidv4",
                                          "uuidv7",
                                          "clock_timestamp",
                                          "timeofday",
                                          "nextval",
                                          "currval",
                                          "lastval",
                                          "setval"};
  if (expr.is_object()) {
    if (expr.contains("FuncCall")) {
      std::string base = function_base_name(expr["FuncCall"]);
      for (const char* v : kVolatile)
        if (base == v) return dotted_name(child(expr["FuncCall"], "funcname"));
    }
    for (const auto& [k, v] : expr.items())
      if (auto found = volatile_call(v); !found.empty()) return found;
  } else if (expr.is_array()) {
    for (const auto& v : expr)
      if (auto found = volatile_call(v); !found.empty()) return found;
  }
  return {};
}

const Json* column_constraint(const Json& column_def, const char* contype) {
  for (const Json* c : constraints_in(child(column_def, "constraints")))
    if (text(*c, "contype") == contype) return c;
  return nullptr;
}

bool is_alter_table(const PgStatementInfo& info) {
  return info.node_type == "AlterTableStmt" && text(info.node, "objtype") == "OBJECT_TABLE";
}

std::vector<ColumnDefinition> column_definitions(const PgStatementInfo& info) {
  std::vector<ColumnDefinition> out;
  if (info.node_type == "CreateStmt") {
    const std::string table = relation_name(child(info.node, "relation"));
    const Json& elts = child(info.node, "tableElts");
    if (elts.is_array())
      for (const auto& e : elts)
        if (e.contains("ColumnDef"))
          out.push_back({ColumnDefinition::Kind::kCreateTable, table,
                         text(e["ColumnDef"], "colname"), &e["ColumnDef"]});
  } else if (is_alter_table(info)) {
    const std::string table = relation_name(child(info.node, "relation"));
    for (const Json* cmd : alter_table_commands(info.node)) {
      const Json& def = child(child(*cmd, "def"), "ColumnDef");
      if (def.is_null()) continue;
      const std::string subtype = text(*cmd, "subtype");
      if (subtype == "AT_AddColumn")
        out.push_back({ColumnDefinition::Kind::kAddColumn, table, text(def, "colname"), &def});
      else if (subtype == "AT_AlterColumnType")
        out.push_back({ColumnDefinition::Kind::kAlterType, table, text(*cmd, "name"), &def});
    }
  }
  return out;
}

std::string column_is(const ColumnDefinition& d) {
  const std::string target = d.table + "." + d.column;
  switch (d.kind) {
    case ColumnDefinition::Kind::kAddColumn:
      return "new column " + target + " is";
    case ColumnDefinition::Kind::kAlterType:
      return "column " + target + " becomes";
    case ColumnDefinition::Kind::kCreateTable:
      break;
  }
  return "column " + target + " is";
}

std::optional<ColumnType> known_column_type(const PgMigrationContext& ctx, const std::string& table,
                                            const std::string& column) {
  const auto& facts = ctx.plan_facts();
  const std::string prefix = fact_prefix(table, column);
  auto it = facts.lower_bound(prefix);
  if (it == facts.end() || !it->starts_with(prefix)) return std::nullopt;
  return decode(it->substr(prefix.size()));
}

void record_column_types(const PgStatementInfo& info, const PgMigrationContext& ctx) {
  auto& facts = ctx.plan_facts();
  const Json& node = info.node;
  if (info.node_type == "CreateStmt") {
    erase_prefix(facts, table_prefix(relation_name(child(node, "relation"))));
    for (const auto& d : column_definitions(info))
      set_type(ctx, d.table, d.column, column_type(child(*d.def, "typeName")));
  } else if (is_alter_table(info)) {
    const std::string table = relation_name(child(node, "relation"));
    for (const Json* cmd : alter_table_commands(node)) {
      const std::string subtype = text(*cmd, "subtype");
      const Json& def = child(child(*cmd, "def"), "ColumnDef");
      if (subtype == "AT_AddColumn") {
        const std::string column = text(def, "colname");
        // ADD COLUMN IF NOT EXISTS leaves an existing column as it is.
        if (!flag(*cmd, "missing_ok") || !known_column_type(ctx, table, column))
          set_type(ctx, table, column, column_type(child(def, "typeName")));
      } else if (subtype == "AT_AlterColumnType") {
        set_type(ctx, table, text(*cmd, "name"), column_type(child(def, "typeName")));
      } else if (subtype == "AT_DropColumn") {
        erase_prefix(facts, fact_prefix(table, text(*cmd, "name")));
      }
    }
  } else if (info.node_type == "RenameStmt") {
    const Json& rv = child(node, "relation");
    const std::string table = relation_name(rv);
    const std::string type = text(node, "renameType");
    if (type == "OBJECT_COLUMN") {
      auto old = known_column_type(ctx, table, text(node, "subname"));
      erase_prefix(facts, fact_prefix(table, text(node, "subname")));
      set_type(ctx, table, text(node, "newname"), old.value_or(ColumnType{}));
    } else if (type == "OBJECT_TABLE") {
      const std::string schema = text(rv, "schemaname");
      const std::string renamed =
          schema.empty() ? text(node, "newname") : schema + "." + text(node, "newname");
      const std::string from = table_prefix(table), to = table_prefix(renamed);
      std::vector<std::string> moved;
      for (auto it = facts.lower_bound(from); it != facts.end() && it->starts_with(from); ++it)
        moved.push_back(to + it->substr(from.size()));
      erase_prefix(facts, from);
      erase_prefix(facts, to);
      facts.insert(moved.begin(), moved.end());
    }
  } else if (info.node_type == "DropStmt" && text(node, "removeType") == "OBJECT_TABLE") {
    const Json& objects = child(node, "objects");
    if (objects.is_array())
      for (const auto& o : objects)
        erase_prefix(facts, table_prefix(dotted_name(child(child(o, "List"), "items"))));
  }
}

}  // namespace column_rules
}  // namespace migrate
