// A (indexes, types, scenarios): the rules of this group, in catalog order. Rules to come here:
// create-index-blocking, drop-index-blocking, reindex-blocking, cic-pg14-corruption,
// wide-nonunique-index, enum-add-value-unordered, enum-rename-remove-value, extension-order,
// refresh-concurrently-without-unique-index.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {

std::unique_ptr<PgRule> make_create_index_blocking();

void append_index_and_type_rules(std::vector<std::unique_ptr<PgRule>>& rules) {
  rules.push_back(make_create_index_blocking());
  (void)rules;
}

}  // namespace migrate
