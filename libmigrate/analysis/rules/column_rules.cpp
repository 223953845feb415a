// C (columns): the rules of this group, in catalog order. Rules to come here:
// add-column-volatile-default, add-column-rewrite-kinds, add-required-column,
// alter-column-type-rewrite, rename-column, drop-column, json-type, prefer-text-over-varchar,
// prefer-timestamptz, prefer-bigint, default-change.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {

void append_column_rules(std::vector<std::unique_ptr<PgRule>>& rules) {
  (void)rules;
}

}  // namespace migrate
