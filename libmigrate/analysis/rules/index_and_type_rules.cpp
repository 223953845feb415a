// A (indexes, types, scenarios): the rules of this group, in catalog order: create-index-blocking,
// drop-index-blocking, reindex-blocking, cic-pg14-corruption, wide-nonunique-index,
// enum-add-value-unordered, enum-rename-remove-value, extension-order,
// refresh-concurrently-without-unique-index.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {

std::unique_ptr<PgRule> make_create_index_blocking();
std::unique_ptr<PgRule> make_drop_index_blocking();
std::unique_ptr<PgRule> make_reindex_blocking();
std::unique_ptr<PgRule> make_cic_pg14_corruption();
std::unique_ptr<PgRule> make_wide_nonunique_index();
std::unique_ptr<PgRule> make_enum_add_value_unordered();
std::unique_ptr<PgRule> make_enum_rename_remove_value();
std::unique_ptr<PgRule> make_extension_order();
std::unique_ptr<PgRule> make_refresh_concurrently_without_unique_index();

void append_index_and_type_rules(std::vector<std::unique_ptr<PgRule>>& rules) {
  rules.push_back(make_create_index_blocking());
  rules.push_back(make_drop_index_blocking());
  rules.push_back(make_reindex_blocking());
  rules.push_back(make_cic_pg14_corruption());
  rules.push_back(make_wide_nonunique_index());
  rules.push_back(make_enum_add_value_unordered());
  rules.push_back(make_enum_rename_remove_value());
  rules.push_back(make_extension_order());
  rules.push_back(make_refresh_concurrently_without_unique_index());
}

}  // namespace migrate
