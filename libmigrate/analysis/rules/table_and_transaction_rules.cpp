// D (tables, transactions, hygiene): the rules of this group, in catalog order. Rules to come here:
// drop-table, rename-table, truncate, full-rewrite-maintenance, detach-partition-blocking,
// attach-partition-scan, refresh-matview-blocking, drop-schema-database, replace-table,
// disabled-lock-timeout, disabled-statement-timeout, work-while-holding-ae,
// backfill-in-schema-migration, non-idempotent-nontxn, opaque-sql, identifier-too-long,
// unqualified-relation, duplicate-column-assignment.
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {

void append_table_and_transaction_rules(std::vector<std::unique_ptr<PgRule>>& rules) {
  (void)rules;
}

}  // namespace migrate
