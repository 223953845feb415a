// The catalog half of planning a backfill (docs/backfills.md): the table each batched statement
// walks, its key, the SQL a batch runs and the rows to expect. The planner decided from the file
// which statements are batched (PlannedStatement::backfill); this fills in what only the
// database knows.
#pragma once

#include "libmigrate/backend/backend.hpp"
#include "migrate/plan.hpp"

namespace migrate {

// Resolves every backfill statement of the plan whose table exists now. A table an earlier
// migration of the same run creates is resolved when its step runs (resolve_backfill). Throws
// kBackfillNoKey naming the table and the fix when a table has no usable key (no primary key;
// a `key=` column that is not unique and NOT NULL; an explicit form's key that is not an integer),
// kSourceInvalid when the statement does not say which column bounds its batches.
void plan_backfills(Plan& plan, Backend& backend);

// The same for one statement. Returns false (leaving it unresolved) when its table does not
// exist yet and `table_must_exist` is false.
bool resolve_backfill(const PlannedStep& step, PlannedStatement& statement, Backend& backend,
                      bool table_must_exist);

}  // namespace migrate
