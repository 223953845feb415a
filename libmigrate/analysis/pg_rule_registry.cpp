// Every PostgreSQL rule, in catalog order. Each rule lives in rules/<rule_id>.cpp; each group's
// list is in rules/<group>_rules.cpp.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {

void append_index_and_type_rules(
    std::vector<std::unique_ptr<PgRule>>& rules);  // A (indexes, types, scenarios)
void append_constraint_rules(std::vector<std::unique_ptr<PgRule>>& rules);  // B (constraints)
void append_column_rules(std::vector<std::unique_ptr<PgRule>>& rules);      // C (columns)
void append_table_and_transaction_rules(
    std::vector<std::unique_ptr<PgRule>>& rules);  // D (tables, transactions, hygiene)

const std::vector<std::unique_ptr<PgRule>>& pg_rules() {
  static const std::vector<std::unique_ptr<PgRule>> rules = [] {
    std::vector<std::unique_ptr<PgRule>> v;
    append_index_and_type_rules(v);
    append_constraint_rules(v);
    append_column_rules(v);
    append_table_and_transaction_rules(v);
    return v;
  }();
  return rules;
}

}  // namespace migrate
