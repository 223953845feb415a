// Runtime estimates on SQLite (docs/estimates.md): calibration runs in a scratch in-memory
// database and stores only its rates in the target's history; plans estimate from the tables'
// row counts; apply keeps each statement's estimate beside its duration.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "migrate/migrator.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::column_of;
using testing::schema_of;
using testing::TestWorkspace;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void make_items(const TestWorkspace& ws) {
  ws.write_migration("V1__items.up.sql",
                     "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER);\n"
                     "INSERT INTO items (id, name, qty) WITH RECURSIVE n(i) AS (SELECT 1 UNION "
                     "ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i, 'item ' || i, i % 10 "
                     "FROM n;\n");
  Options o = ws.options();
  RunReport r = Migrator(o).apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
}

TEST(SqliteEstimates, CalibrationUsesAScratchDatabaseAndStoresOnlyItsRates) {
  TestWorkspace ws;
  make_items(ws);
  const auto schema_before = schema_of(ws.database(), "migrate_history");
  const auto rows_before = column_of(ws.database(), "SELECT count(*), sum(qty) FROM items");

  CalibrateOptions small;
  small.rows = 5000;
  auto measured = Migrator(ws.options()).calibrate(small);
  ASSERT_TRUE(measured.ok()) << measured.error().describe();
  EXPECT_TRUE(has(measured.value().server, "SQLite 3.")) << measured.value().server;
  for (const char* op :
       {"catalog-only", "backfill-batch", "seq-scan", "rewrite", "index-build:fixed",
        "index-build:variable", "row-update", "batched-update"}) {
    const CalibrationRate* rate = measured.value().find(op);
    ASSERT_NE(rate, nullptr) << op;
    EXPECT_GT(rate->per_second(), 0) << op;
  }
  // Nothing of the scratch table reached the target; only the history's calibration rows.
  EXPECT_EQ(schema_of(ws.database(), "migrate_history"), schema_before);
  EXPECT_EQ(column_of(ws.database(), "SELECT count(*), sum(qty) FROM items"), rows_before);
  EXPECT_EQ(column_of(ws.database(),
                      "SELECT count(DISTINCT operation) FROM "
                      "migrate_history_calibration"),
            std::vector<std::string>{std::to_string(measured.value().rates.size())});
}

TEST(SqliteEstimates, PlansEstimateFromRowCountsAndApplyKeepsTheEstimate) {
  TestWorkspace ws;
  make_items(ws);
  CalibrateOptions small;
  small.rows = 5000;
  ASSERT_TRUE(Migrator(ws.options()).calibrate(small).ok());
  ws.write_migration("V2__index.up.sql",
                     "CREATE INDEX items_name ON items (name);\n"
                     "UPDATE items SET qty = qty + 1;\n");
  auto plan = Migrator(ws.options()).plan_apply(std::nullopt);
  ASSERT_TRUE(plan.ok()) << plan.error().describe();
  const PlannedStep& step = plan.value().steps.at(0);
  const Estimate& index = step.statements.at(0).estimate;
  ASSERT_TRUE(index.p50_ms) << index.basis;
  EXPECT_EQ(*index.rows, 20000);
  EXPECT_EQ(index.work, "index-build:variable");  // name is TEXT
  EXPECT_TRUE(has(index.basis, "items: 20k rows")) << index.basis;
  EXPECT_TRUE(has(index.basis, "calibrated")) << index.basis;
  EXPECT_EQ(index.lock, LockLevel::kDatabaseWrite);
  // The write lock is held until the migration commits: through the UPDATE too.
  const Estimate& update = step.statements.at(1).estimate;
  EXPECT_NEAR(*index.lock_ms, *index.p50_ms + *update.p50_ms, 1e-6);
  EXPECT_EQ(update.work, "row-update");
  EXPECT_NEAR(*step.estimate.p50_ms, *index.p50_ms + *update.p50_ms, 1e-6);

  RunReport r = Migrator(ws.options()).apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  auto records = Migrator(ws.options()).statement_records();
  ASSERT_TRUE(records.ok());
  int estimated = 0;
  for (const auto& rec : records.value())
    if (rec.work == "index-build:variable" && rec.estimate_p50_ms && rec.scale == 20000.0)
      ++estimated;
  EXPECT_EQ(estimated, 1);
}

}  // namespace
}  // namespace migrate
