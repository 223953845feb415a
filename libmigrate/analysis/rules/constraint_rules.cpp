// B (constraints): the rules of this group, in catalog order, and the few SQL-writing helpers
// their findings share (PostgreSQL's names for unnamed constraints, identifier quoting), so that
// every rule suggests the same statements PostgreSQL itself would name the same way.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "libmigrate/analysis/pg_rule.hpp"
#include "libmigrate/analysis/rules/constraint_rules.hpp"

namespace migrate {

namespace constraint_sql {

// The key plan facts use for a table: "public.t" and "t" are the same table.
std::string table_key(const std::string& relation) {
  return relation.starts_with("public.") ? relation.substr(7) : relation;
}

// An identifier as SQL: quoted unless it is a plain lower-case name (keywords are not checked).
std::string ident(const std::string& name) {
  bool plain = !name.empty() && (name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z'));
  for (char c : name)
    plain = plain && (c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
  if (plain) return name;
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// A RangeVar as SQL: "schema.name" or "name", each part quoted when needed.
std::string qualified(const nlohmann::json& range_var) {
  const nlohmann::json& rv = range_var.contains("RangeVar") ? range_var["RangeVar"] : range_var;
  std::string schema = pgtree::text(rv, "schemaname");
  std::string name = ident(pgtree::text(rv, "relname"));
  return schema.empty() ? name : ident(schema) + "." + name;
}

// The values of a list of {"String": {"sval": ...}} nodes (columns, name parts).
std::vector<std::string> names(const nlohmann::json& string_list) {
  std::vector<std::string> out;
  if (!string_list.is_array()) return out;
  for (const auto& item : string_list) {
    const nlohmann::json& s = pgtree::child(item, "String");
    if (!s.is_null()) out.push_back(pgtree::text(s, "sval"));
  }
  return out;
}

// "a, b" with each column quoted when needed.
std::string column_list(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& c : columns) out += (out.empty() ? "" : ", ") + ident(c);
  return out;
}

// makeObjectName and ChooseConstraintName in PostgreSQL: "<table>_<col1>_<col2>_<label>", the
// longer of the two first parts shortened until the whole fits NAMEDATALEN - 1 (63) bytes.
std::string default_name(const std::string& table, const std::vector<std::string>& columns,
                         const std::string& label) {
  std::string addition;
  for (const auto& c : columns) {
    if (!addition.empty()) addition += "_";
    addition += c;
    if (addition.size() >= 63) break;
  }
  const std::size_t overhead = label.size() + 1 + (addition.empty() ? 0 : 1);
  const std::size_t available = 63 - overhead;
  std::size_t n1 = table.size(), n2 = addition.size();
  while (n1 + n2 > available) {
    if (n1 > n2)
      --n1;
    else
      --n2;
  }
  std::string name = table.substr(0, n1);
  if (!addition.empty()) name += "_" + addition.substr(0, n2);
  return name + "_" + label;
}

namespace {
void collect_columns(const nlohmann::json& node, std::vector<std::string>& out) {
  if (node.is_array()) {
    for (const auto& item : node) collect_columns(item, out);
    return;
  }
  if (!node.is_object()) return;
  if (node.contains("ColumnRef")) {
    auto fields = names(pgtree::child(node["ColumnRef"], "fields"));
    if (!fields.empty() && std::find(out.begin(), out.end(), fields.back()) == out.end())
      out.push_back(fields.back());
    return;
  }
  for (const auto& [key, value] : node.items()) collect_columns(value, out);
}
}  // namespace

// The columns an expression names (the last field of each ColumnRef), each once, in order.
std::vector<std::string> referenced_columns(const nlohmann::json& expr) {
  std::vector<std::string> out;
  collect_columns(expr, out);
  return out;
}

// AddRelationNewConstraints: "<table>_<column>_check" when the expression names one column.
std::string check_default_name(const std::string& table, const nlohmann::json& raw_expr) {
  auto columns = referenced_columns(raw_expr);
  if (columns.size() != 1) columns.clear();
  return default_name(table, columns, "check");
}

// A parse node's text as written: from its location (a byte offset into the statement, which
// the parser gives) to `end` (a following sibling's location, or the statement's end), without
// the trailing ';' and whitespace. Empty when the tree gives no location.
std::string written_text(const std::string& sql, const nlohmann::json& node, std::size_t end) {
  const nlohmann::json& location = pgtree::child(node, "location");
  if (!location.is_number_integer() || location.get<long long>() < 0) return {};
  const auto begin = static_cast<std::size_t>(location.get<long long>());
  end = std::min(end, sql.size());
  if (begin >= end) return {};
  while (end > begin &&
         (sql[end - 1] == ';' || std::isspace(static_cast<unsigned char>(sql[end - 1]))))
    --end;
  return sql.substr(begin, end - begin);
}

}  // namespace constraint_sql

std::unique_ptr<PgRule> make_fk_validating();
std::unique_ptr<PgRule> make_check_validating();
std::unique_ptr<PgRule> make_validate_in_same_txn();
std::unique_ptr<PgRule> make_unique_constraint_inline();
std::unique_ptr<PgRule> make_primary_key_inline();
std::unique_ptr<PgRule> make_exclusion_constraint();
std::unique_ptr<PgRule> make_set_not_null_scan();
std::unique_ptr<PgRule> make_drop_not_null();
std::unique_ptr<PgRule> make_domain_check();
std::unique_ptr<PgRule> make_fk_without_index();
std::unique_ptr<PgRule> make_drop_foreign_key();

void append_constraint_rules(std::vector<std::unique_ptr<PgRule>>& rules) {
  rules.push_back(make_fk_validating());
  rules.push_back(make_check_validating());
  rules.push_back(make_validate_in_same_txn());
  rules.push_back(make_unique_constraint_inline());
  rules.push_back(make_primary_key_inline());
  rules.push_back(make_exclusion_constraint());
  rules.push_back(make_set_not_null_scan());
  rules.push_back(make_drop_not_null());
  rules.push_back(make_domain_check());
  rules.push_back(make_fk_without_index());
  rules.push_back(make_drop_foreign_key());
}

}  // namespace migrate
