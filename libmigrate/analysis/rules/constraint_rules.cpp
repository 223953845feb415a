// B (constraints): the rules of this group, in catalog order. Rules to come here:
// fk-validating, check-validating, validate-in-same-txn, unique-constraint-inline,
// primary-key-inline, exclusion-constraint, set-not-null-scan, drop-not-null, domain-check,
// fk-without-index, drop-foreign-key.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {

void append_constraint_rules(std::vector<std::unique_ptr<PgRule>>& rules) {
  (void)rules;
}

}  // namespace migrate
