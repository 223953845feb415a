// D (tables, transactions, hygiene): the rules of this group, in catalog order (§2.4 tables,
// partitions and maintenance; §2.6 transactions and timeouts; §2.7 hygiene).
#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {

std::unique_ptr<PgRule> make_drop_table();                    // PG-TBL-01
std::unique_ptr<PgRule> make_rename_table();                  // PG-TBL-02
std::unique_ptr<PgRule> make_truncate();                      // PG-TBL-03
std::unique_ptr<PgRule> make_full_rewrite_maintenance();      // PG-TBL-04
std::unique_ptr<PgRule> make_detach_partition_blocking();     // PG-TBL-05
std::unique_ptr<PgRule> make_attach_partition_scan();         // PG-TBL-06
std::unique_ptr<PgRule> make_refresh_matview_blocking();      // PG-TBL-07
std::unique_ptr<PgRule> make_drop_schema_database();          // PG-TBL-08
std::unique_ptr<PgRule> make_replace_table();                 // PG-TBL-09
std::unique_ptr<PgRule> make_disabled_lock_timeout();         // PG-TX-01
std::unique_ptr<PgRule> make_disabled_statement_timeout();    // PG-TX-02
std::unique_ptr<PgRule> make_work_while_holding_ae();         // PG-TX-03
std::unique_ptr<PgRule> make_backfill_in_schema_migration();  // PG-TX-04
std::unique_ptr<PgRule> make_unbatched_data_change();
std::unique_ptr<PgRule> make_explicit_lock_table();
std::unique_ptr<PgRule> make_transaction_control();    // PG-TX-05
std::unique_ptr<PgRule> make_non_idempotent_nontxn();  // PG-TX-06
std::unique_ptr<PgRule> make_opaque_sql();             // PG-TX-07
std::unique_ptr<PgRule> make_unnamed_concurrent_index();
std::unique_ptr<PgRule> make_identifier_too_long();          // HYG-01
std::unique_ptr<PgRule> make_unqualified_relation();         // HYG-02
std::unique_ptr<PgRule> make_duplicate_column_assignment();  // HYG-03

void append_table_and_transaction_rules(std::vector<std::unique_ptr<PgRule>>& rules) {
  rules.push_back(make_drop_table());
  rules.push_back(make_rename_table());
  rules.push_back(make_truncate());
  rules.push_back(make_full_rewrite_maintenance());
  rules.push_back(make_detach_partition_blocking());
  rules.push_back(make_attach_partition_scan());
  rules.push_back(make_refresh_matview_blocking());
  rules.push_back(make_drop_schema_database());
  rules.push_back(make_replace_table());
  rules.push_back(make_disabled_lock_timeout());
  rules.push_back(make_disabled_statement_timeout());
  rules.push_back(make_work_while_holding_ae());
  rules.push_back(make_backfill_in_schema_migration());
  rules.push_back(make_unbatched_data_change());
  rules.push_back(make_explicit_lock_table());
  rules.push_back(make_transaction_control());
  rules.push_back(make_non_idempotent_nontxn());
  rules.push_back(make_opaque_sql());
  rules.push_back(make_unnamed_concurrent_index());
  rules.push_back(make_identifier_too_long());
  rules.push_back(make_unqualified_relation());
  rules.push_back(make_duplicate_column_assignment());
}

}  // namespace migrate
