// Runtime estimates without a database (docs/estimates.md): what the analyzer says each statement
// does to existing data, and the runtime model's arithmetic for fixed catalog facts, calibration
// and history. Deterministic: the same inputs give the same estimate.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "libmigrate/estimate/runtime_model.hpp"
#include "migrate/analysis.hpp"
#include "migrate/estimate.hpp"
#include "migrate/plan.hpp"
#include "support/migration_factory.hpp"

namespace migrate {
namespace {

// ---------------------------------------------------------------------------------------------
// What each statement does, as the analyzer reports it

std::vector<StatementAnalysis> analyzed(const std::string& sql, Dialect dialect) {
  std::vector<Migration> migrations;
  if (dialect == Dialect::kSqlite)
    migrations.push_back(testing::make_migration(
        "1", "base", "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, s TEXT);\n"));
  migrations.push_back(testing::make_migration("2", "change", sql));
  std::vector<const Migration*> list;
  for (const auto& m : migrations) list.push_back(&m);
  AnalysisOptions options;
  options.dialect = dialect;
  auto result = analyze_migrations(list, options);
  if (!result.ok()) {
    ADD_FAILURE() << result.error().describe();
    return {};
  }
  return result.value().back().statements;
}

StatementWork pg_work(const std::string& sql) {
  auto statements = analyzed(sql, Dialect::kPostgres);
  return statements.empty() ? StatementWork{} : statements.front().work;
}

TEST(StatementWork, PostgresStatementsSayWhatTheyDoToExistingRows) {
  EXPECT_EQ(pg_work("ALTER TABLE orders ALTER COLUMN total TYPE bigint;").kind, WorkKind::kRewrite);
  EXPECT_EQ(pg_work("ALTER TABLE orders ALTER COLUMN total TYPE bigint;").table, "orders");
  EXPECT_EQ(pg_work("ALTER TABLE orders ADD COLUMN note text;").kind, WorkKind::kCatalogOnly);
  EXPECT_EQ(pg_work("ALTER TABLE orders ADD COLUMN id2 uuid DEFAULT gen_random_uuid();").kind,
            WorkKind::kRewrite);
  EXPECT_EQ(pg_work("ALTER TABLE orders ALTER COLUMN note SET NOT NULL;").kind, WorkKind::kScan);
  EXPECT_TRUE(pg_work("ALTER TABLE orders ALTER COLUMN note SET NOT NULL;").constraint.empty());
  const StatementWork validate = pg_work("ALTER TABLE orders VALIDATE CONSTRAINT total_positive;");
  EXPECT_EQ(validate.kind, WorkKind::kScan);
  EXPECT_EQ(validate.constraint, "total_positive");
  EXPECT_EQ(pg_work("ALTER TABLE orders ADD CONSTRAINT c CHECK (total > 0);").kind,
            WorkKind::kScan);
  EXPECT_EQ(pg_work("ALTER TABLE orders ADD CONSTRAINT c CHECK (total > 0) NOT VALID;").kind,
            WorkKind::kCatalogOnly);
  EXPECT_EQ(
      pg_work("ALTER TABLE orders ADD CONSTRAINT f FOREIGN KEY (user_id) REFERENCES users;").kind,
      WorkKind::kForeignKeyScan);
  EXPECT_EQ(pg_work("UPDATE orders SET total = 0 WHERE total IS NULL;").kind,
            WorkKind::kDataChange);
  EXPECT_EQ(pg_work("DELETE FROM orders WHERE id < 10;").table, "orders");
  EXPECT_EQ(pg_work("DO $$ BEGIN PERFORM 1; END $$;").kind, WorkKind::kUnknown);
  EXPECT_EQ(pg_work("CREATE TABLE x (id bigint);").kind, WorkKind::kCatalogOnly);
}

TEST(StatementWork, IndexBuildsNameTheirKeysAndConcurrency) {
  const StatementWork plain = pg_work("CREATE INDEX orders_total ON orders (total, lower(note));");
  EXPECT_EQ(plain.kind, WorkKind::kIndexBuild);
  EXPECT_FALSE(plain.concurrent);
  EXPECT_EQ(plain.key_columns, (std::vector<std::string>{"total", ""}));
  const StatementWork cic = pg_work("CREATE INDEX CONCURRENTLY orders_user ON orders (user_id);");
  EXPECT_TRUE(cic.concurrent);
  EXPECT_EQ(cic.table, "orders");
  const StatementWork unique = pg_work("ALTER TABLE orders ADD CONSTRAINT u UNIQUE (code);");
  EXPECT_EQ(unique.kind, WorkKind::kIndexBuild);
  EXPECT_EQ(unique.key_columns, std::vector<std::string>{"code"});
  // A rewrite and an index build in one statement: the rewrite (which rebuilds indexes) counts.
  EXPECT_EQ(pg_work("ALTER TABLE orders ADD CONSTRAINT u UNIQUE (code), ALTER COLUMN total TYPE "
                    "numeric;")
                .kind,
            WorkKind::kRewrite);
}

TEST(StatementWork, SqliteStatementsSayWhatTheyDoToExistingRows) {
  auto work = [](const std::string& sql) {
    auto s = analyzed(sql, Dialect::kSqlite);
    return s.empty() ? StatementWork{} : s.front().work;
  };
  EXPECT_EQ(work("CREATE INDEX t_s ON t (s);").kind, WorkKind::kIndexBuild);
  EXPECT_EQ(work("CREATE INDEX t_s ON t (s);").table, "t");
  EXPECT_EQ(work("UPDATE t SET n = 1;").kind, WorkKind::kDataChange);
  EXPECT_EQ(work("ALTER TABLE t DROP COLUMN s;").kind, WorkKind::kRewrite);
  EXPECT_EQ(work("ALTER TABLE t ADD COLUMN z INTEGER;").kind, WorkKind::kCatalogOnly);
  EXPECT_EQ(work("INSERT INTO t (n) VALUES (1), (2);").kind, WorkKind::kCatalogOnly);
  EXPECT_EQ(work("WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 5) "
                 "INSERT INTO t (n) SELECT x FROM g;")
                .kind,
            WorkKind::kUnknown);
}

// ---------------------------------------------------------------------------------------------
// The model

StatementRecord sample_of(const std::string& work, double scale, std::int64_t ms) {
  StatementRecord r;
  r.work = work;
  r.scale = scale;
  r.duration_ms = ms;
  return r;
}

Calibration calibration() {
  Calibration c;
  c.measured_at = "2026-12-04T09:00:00.000Z";
  c.server = "PostgreSQL 15.4";
  c.rates = {{"catalog-only", "statements", 1, 2},
             {"backfill-batch", "batches", 1, 4},
             {"seq-scan", "bytes", 100e6, 200},
             {"rewrite", "bytes", 100e6, 1000},
             {"index-build:fixed", "rows", 1e6, 1000},
             {"index-build:variable", "rows", 1e6, 2500},
             {"index-build-concurrently:fixed", "rows", 1e6, 1500},
             {"validate-check", "bytes", 100e6, 300},
             {"set-not-null", "bytes", 100e6, 250},
             {"validate-foreign-key", "rows", 1e6, 800},
             {"row-update", "rows", 1e6, 5000},
             {"batched-update", "rows", 1e6, 4000},
             {"index-maintenance", "rows", 1e6, 1000}};
  return c;
}

EstimateInputs calibrated() {
  EstimateInputs in;
  in.dialect = Dialect::kPostgres;
  in.calibration = calibration();
  return in;
}

StatementAnalysis statement(WorkKind kind, LockLevel lock = LockLevel::kAccessExclusive) {
  StatementAnalysis a;
  a.kind = "AlterTableStmt";
  a.work.kind = kind;
  a.work.table = "orders";
  a.locks.push_back({"orders", lock});
  return a;
}

TableStatistics orders(double rows, double bytes) {
  TableStatistics t;
  t.rows = rows;
  t.heap_bytes = bytes;
  t.total_bytes = bytes * 1.5;
  t.index_variable_width = {false, true};  // a bigint primary key and an index on text
  t.column_variable_width = {{"id", false}, {"total", false}, {"note", true}};
  t.constraint_kinds = {{"total_positive", "check"}, {"orders_user_fk", "foreign key"}};
  return t;
}

StatementFacts facts_for(const TableStatistics& t) {
  StatementFacts f;
  f.table = &t;
  f.table_name = "orders";
  return f;
}

TEST(RuntimeModel, ARewriteCostsTheHeapPlusEveryIndexRebuildFromCalibration) {
  const TableStatistics t = orders(1e6, 200e6);
  const Estimate e = estimate_statement(statement(WorkKind::kRewrite), facts_for(t), calibrated());
  // 200 MB at 100 MB/s, a fixed-width and a variable-width index of 1M rows, one statement's
  // overhead.
  ASSERT_TRUE(e.p50_ms);
  EXPECT_NEAR(*e.p50_ms, 2000 + 1000 + 2500 + 2, 1e-6);
  EXPECT_NEAR(*e.p90_ms, *e.p50_ms * 1.5, 1e-6);
  EXPECT_EQ(e.lock, LockLevel::kAccessExclusive);
  EXPECT_EQ(*e.lock_ms, *e.p50_ms);
  EXPECT_EQ(*e.rows, 1e6);
  EXPECT_EQ(e.work, "rewrite");
  EXPECT_EQ(*e.scale, 200e6);
  EXPECT_NE(e.basis.find("orders: 1.0M rows, 200 MB, full rewrite + 2 index rebuild(s)"),
            std::string::npos)
      << e.basis;
  EXPECT_NE(e.basis.find("calibrated 2026-12-04"), std::string::npos) << e.basis;
}

TEST(RuntimeModel, IndexBuildsGrowAsASortAndPickTheirKeysRate) {
  const TableStatistics small = orders(1e6, 100e6), large = orders(4e6, 400e6);
  StatementAnalysis a = statement(WorkKind::kIndexBuild, LockLevel::kShare);
  a.work.key_columns = {"total"};
  const Estimate at1m = estimate_statement(a, facts_for(small), calibrated());
  const Estimate at4m = estimate_statement(a, facts_for(large), calibrated());
  EXPECT_NEAR(*at1m.p50_ms, 1000 + 2, 1e-6);
  // n log n: 4M rows take 4 * log2(4M) / log2(1M) = 4.4 times as long.
  EXPECT_NEAR(*at4m.p50_ms, 1000 * 4 * std::log2(4e6) / std::log2(1e6) + 2, 1e-6);
  EXPECT_EQ(at1m.work, "index-build:fixed");
  a.work.key_columns = {"note"};
  EXPECT_EQ(estimate_statement(a, facts_for(small), calibrated()).work, "index-build:variable");
  a.work.key_columns = {""};  // an expression
  EXPECT_EQ(estimate_statement(a, facts_for(small), calibrated()).work, "index-build:variable");
  a.work.key_columns = {"total"};
  a.work.concurrent = true;
  const Estimate cic = estimate_statement(a, facts_for(small), calibrated());
  EXPECT_EQ(cic.work, "index-build-concurrently:fixed");
  EXPECT_NEAR(*cic.p50_ms, 1500 + 2, 1e-6);
}

TEST(RuntimeModel, AKeyAlreadyInTableOrderIsBuiltAtThePresortedRate) {
  TableStatistics t = orders(1e6, 100e6);
  t.column_correlation = {{"id", 1.0}, {"created", 0.995}, {"total", 0.3}, {"note", 1.0}};
  StatementAnalysis a = statement(WorkKind::kIndexBuild, LockLevel::kShareUpdateExclusive);
  a.work.concurrent = true;
  a.work.key_columns = {"id", "created"};  // every column in order: the lowest is said
  EstimateInputs in = calibrated();
  in.calibration->rates.push_back({"index-build-concurrently:presorted", "rows", 1e6, 900});
  const Estimate sorted = estimate_statement(a, facts_for(t), in);
  EXPECT_EQ(sorted.work, "index-build-concurrently:presorted");
  EXPECT_NEAR(*sorted.p50_ms, 900 + 2, 1e-6);
  EXPECT_NE(sorted.basis.find("fixed-width key already in table order (correlation 0.99)"),
            std::string::npos)
      << sorted.basis;
  // A calibration without the presorted rate takes the fixed-width key's.
  const Estimate older = estimate_statement(a, facts_for(t), calibrated());
  EXPECT_EQ(older.work, "index-build-concurrently:presorted");
  EXPECT_NEAR(*older.p50_ms, 1500 + 2, 1e-6);
  // A column out of order anywhere in the key (a constant first column has correlation 1 too,
  // and the sort then orders by the next), below the threshold, without statistics, or a
  // variable-width key: the usual rates.
  a.work.key_columns = {"id", "total"};
  EXPECT_EQ(estimate_statement(a, facts_for(t), in).work, "index-build-concurrently:fixed");
  a.work.key_columns = {"total", "id"};
  EXPECT_EQ(estimate_statement(a, facts_for(t), in).work, "index-build-concurrently:fixed");
  t.column_correlation["id"] = 0.98;
  a.work.key_columns = {"id"};
  EXPECT_EQ(estimate_statement(a, facts_for(t), in).work, "index-build-concurrently:fixed");
  t.column_correlation.clear();
  EXPECT_EQ(estimate_statement(a, facts_for(t), in).work, "index-build-concurrently:fixed");
  t.column_correlation = {{"note", 1.0}};
  a.work.key_columns = {"note"};
  EXPECT_EQ(estimate_statement(a, facts_for(t), in).work, "index-build-concurrently:variable");
  // SQLite has no such statistics; its builds are never presorted.
  t.column_correlation = {{"id", 1.0}};
  a.work.key_columns = {"id"};
  in.dialect = Dialect::kSqlite;
  EXPECT_EQ(estimate_statement(a, facts_for(t), in).work, "index-build:fixed");
}

TEST(RuntimeModel, TheCalibratedFixedPartDoesNotShrinkWithTheTable) {
  // A 100 MB rewrite took 1000 ms, 100 ms of it whatever the size (fsyncing the new files).
  EstimateInputs in = calibrated();
  for (auto& r : in.calibration->rates)
    if (r.operation == "rewrite") r.fixed_ms = 100;
  TableStatistics t = orders(1e4, 1e6);
  t.index_variable_width.clear();
  const Estimate e = estimate_statement(statement(WorkKind::kRewrite), facts_for(t), in);
  // 100 ms fixed + 900 ms * 1 MB / 100 MB + the statement's 2 ms.
  EXPECT_NEAR(*e.p50_ms, 100 + 9 + 2, 1e-6);
  // The history teaches the growing part only: one 10 MB rewrite recorded 190 ms (whole
  // milliseconds cut off: 190.5 on average), so 9.05 ms per MB, and 281 ms for 20 MB. One run is
  // weighed with the calibration (100 + 180 + 2 ms) as one run against one: their geometric mean.
  in.samples = {sample_of("rewrite", 10e6, 190)};
  t.heap_bytes = 20e6;
  const Estimate learned = estimate_statement(statement(WorkKind::kRewrite), facts_for(t), in);
  EXPECT_NEAR(*learned.p50_ms, std::sqrt((100.0 + 2 * 90.5) * (100 + 180 + 2)), 1e-6);
}

TEST(RuntimeModel, ValidationsScanOrJoinByTheConstraintsKind) {
  const TableStatistics t = orders(1e6, 100e6);
  StatementAnalysis a = statement(WorkKind::kScan, LockLevel::kShareUpdateExclusive);
  a.work.constraint = "total_positive";
  Estimate e = estimate_statement(a, facts_for(t), calibrated());
  EXPECT_EQ(e.work, "validate-check");
  EXPECT_NEAR(*e.p50_ms, 300 + 2, 1e-6);
  a.work.constraint = "orders_user_fk";
  e = estimate_statement(a, facts_for(t), calibrated());
  EXPECT_EQ(e.work, "validate-foreign-key");
  EXPECT_NEAR(*e.p50_ms, 800 + 2, 1e-6);
  a.work.constraint.clear();  // SET NOT NULL
  e = estimate_statement(a, facts_for(t), calibrated());
  EXPECT_EQ(e.work, "set-not-null");
  EXPECT_NEAR(*e.p50_ms, 250 + 2, 1e-6);
}

TEST(RuntimeModel, AnUnanalyzedTableSaysSoInsteadOfGuessing) {
  TableStatistics t = orders(0, 80e6);
  t.rows.reset();
  const Estimate e = estimate_statement(statement(WorkKind::kRewrite), facts_for(t), calibrated());
  EXPECT_FALSE(e.p50_ms);
  EXPECT_FALSE(e.p90_ms);
  EXPECT_FALSE(e.rows);
  EXPECT_EQ(e.basis, "catalog never analyzed: ANALYZE orders for an estimate");
  EXPECT_EQ(e.lock, LockLevel::kAccessExclusive);  // the lock is known all the same
}

TEST(RuntimeModel, ATableThisPlanCreatesIsEmpty) {
  StatementFacts f;
  f.table_name = "orders";
  const Estimate e = estimate_statement(statement(WorkKind::kIndexBuild), f, calibrated());
  ASSERT_TRUE(e.p50_ms);
  EXPECT_NEAR(*e.p50_ms, 2, 1e-6);
  EXPECT_EQ(*e.rows, 0);
  EXPECT_NE(e.basis.find("created by this plan"), std::string::npos) << e.basis;
}

TEST(RuntimeModel, WorkItDoesNotModelHasNoBasis) {
  const TableStatistics t = orders(1e6, 100e6);
  StatementAnalysis a = statement(WorkKind::kUnknown);
  a.kind = "DoStmt";
  const Estimate e = estimate_statement(a, facts_for(t), calibrated());
  EXPECT_FALSE(e.p50_ms);
  EXPECT_EQ(e.basis, "no basis: the work of DoStmt is not modelled");
}

TEST(RuntimeModel, WithoutCalibrationTheDefaultsAreUsedAndSaySo) {
  const TableStatistics t = orders(1e6, 100e6);
  EstimateInputs none;
  const Estimate e = estimate_statement(statement(WorkKind::kScan), facts_for(t), none);
  ASSERT_TRUE(e.p50_ms);
  EXPECT_NEAR(*e.p90_ms, *e.p50_ms * 3, 1e-6);  // defaults are a wide guess
  EXPECT_NE(e.basis.find("default rates (no calibration: run `migrate calibrate`)"),
            std::string::npos)
      << e.basis;
}

TEST(RuntimeModel, PastRunsOfTheSameWorkAtASimilarSizeWinAndScale) {
  const TableStatistics t = orders(1e6, 200e6);
  EstimateInputs in = calibrated();
  // Three rewrites of about 100 MB took 1.5-1.7 s each on this database; one of 1 MB (too far
  // from 200 MB) and one of another kind of work are not used.
  in.samples = {sample_of("rewrite", 100e6, 1500), sample_of("rewrite", 100e6, 1600),
                sample_of("rewrite", 100e6, 1700), sample_of("rewrite", 1e6, 900),
                sample_of("set-not-null", 200e6, 10)};
  const Estimate e = estimate_statement(statement(WorkKind::kRewrite), facts_for(t), in);
  // The median rate, 1600.5 ms per 100 MB (each whole-millisecond record counts half a
  // millisecond more), gives 3201 ms for 200 MB; the three runs outweigh the calibration three
  // to one, in the logarithm.
  EstimateInputs calibration_only = in;
  calibration_only.samples.clear();
  const double calibrated_ms =
      *estimate_statement(statement(WorkKind::kRewrite), facts_for(t), calibration_only).p50_ms;
  const double weighed = std::exp((3 * std::log(3201.0) + std::log(calibrated_ms)) / 4);
  EXPECT_NEAR(*e.p50_ms, weighed, 1e-6);
  EXPECT_GT(*e.p50_ms, 3200);
  EXPECT_LT(*e.p50_ms, calibrated_ms);
  EXPECT_NEAR(*e.p90_ms, weighed * 1.5, 1e-6);
  EXPECT_NE(e.basis.find("history: 3 earlier run(s) of this work at a similar size, weighed with "
                         "the calibration of 2026-12-04"),
            std::string::npos)
      << e.basis;
  // Without a calibration the runs alone decide.
  EstimateInputs history_only = in;
  history_only.calibration.reset();
  const Estimate alone =
      estimate_statement(statement(WorkKind::kRewrite), facts_for(t), history_only);
  EXPECT_NEAR(*alone.p50_ms, 3201, 1e-6);
  EXPECT_EQ(alone.basis.find("weighed"), std::string::npos) << alone.basis;
  // A size far from every sample falls back to calibration.
  const TableStatistics huge = orders(100e6, 20e9);
  EXPECT_NE(estimate_statement(statement(WorkKind::kRewrite), facts_for(huge), in)
                .basis.find("calibrated"),
            std::string::npos);
}

TEST(RuntimeModel, TheClosestSizesTeachFirst) {
  // 100 MB and 500 MB rewrites ran at different speeds (one fits the cache, the other not): a
  // 500 MB table learns from the 500 MB run alone. A 40 MB one has nothing within 2x of it: it
  // takes the calibrated rate, which scales with its fixed part apart; never calibrated, it
  // learns from the runs within 8x, the 100 MB ones, rather than from the defaults.
  EstimateInputs in = calibrated();
  in.samples = {sample_of("rewrite", 100e6, 2000), sample_of("rewrite", 100e6, 2000),
                sample_of("rewrite", 500e6, 5000)};
  TableStatistics t = orders(5e6, 500e6);
  const Estimate close = estimate_statement(statement(WorkKind::kRewrite), facts_for(t), in);
  EstimateInputs calibration_only = in;
  calibration_only.samples.clear();
  const double calibrated_ms =
      *estimate_statement(statement(WorkKind::kRewrite), facts_for(t), calibration_only).p50_ms;
  EXPECT_NEAR(*close.p50_ms, std::sqrt(5000.5 * calibrated_ms), 1e-6);
  EXPECT_NE(close.basis.find("history: 1 earlier run(s)"), std::string::npos) << close.basis;
  t.heap_bytes = 40e6;
  const Estimate far = estimate_statement(statement(WorkKind::kRewrite), facts_for(t), in);
  EXPECT_NE(far.basis.find("calibrated 2026-12-04"), std::string::npos) << far.basis;
  in.calibration.reset();
  const Estimate uncalibrated = estimate_statement(statement(WorkKind::kRewrite), facts_for(t), in);
  EXPECT_NEAR(*uncalibrated.p50_ms, 2000.5 * 40 / 100, 1e-6);
  EXPECT_NE(uncalibrated.basis.find("history: 2 earlier run(s)"), std::string::npos)
      << uncalibrated.basis;
}

TEST(RuntimeModel, ABackfillWalksInAdaptingBatchesAndHoldsRowLocksOneBatchAtATime) {
  const TableStatistics t = orders(1e6, 100e6);
  PlannedBackfill b;
  b.batch_size = 1000;
  b.target_batch_time = std::chrono::milliseconds(200);
  b.rows_estimated = 1e6;
  StatementFacts f = facts_for(t);
  f.backfill = &b;
  const Estimate e = estimate_statement(statement(WorkKind::kDataChange, LockLevel::kRowExclusive),
                                        f, calibrated());
  ASSERT_TRUE(e.p50_ms);
  // 1M rows at 4 ms per 1000, plus 1 ms per 1000 for the table's second index, plus 4 ms per
  // batch and a pause of a fiftieth of each: more than the rows alone, far less than one batch
  // of 1000 rows each.
  EXPECT_GT(*e.p50_ms, 5000);
  EXPECT_LT(*e.p50_ms, 5000 * 1.2);
  EXPECT_NE(e.basis.find("each in 2 indexes"), std::string::npos) << e.basis;
  EXPECT_EQ(e.lock, LockLevel::kRowExclusive);
  EXPECT_EQ(*e.lock_ms, 200);
  EXPECT_EQ(e.work, "batched-update");
  EXPECT_EQ(*e.rows, 1e6);
  // Fixed batches of 1000 rows: a thousand batches, each paying its overhead.
  b.adaptive = false;
  const Estimate fixed = estimate_statement(
      statement(WorkKind::kDataChange, LockLevel::kRowExclusive), f, calibrated());
  EXPECT_GT(*fixed.p50_ms, *e.p50_ms + 1000 * 3);
}

TEST(RuntimeModel, EveryIndexBeyondTheFirstAddsItsMaintenanceToAnUpdate) {
  // The calibrated row-update rate is that of a table with one index: on PostgreSQL each
  // further index adds the index-maintenance time per row (1 ms per 1000 rows here), a table
  // without any index saves it once. SQLite updates only the changed columns' indexes.
  TableStatistics t = orders(1e6, 100e6);
  auto update_ms = [&](std::size_t indexes, Dialect dialect) {
    t.index_variable_width.assign(indexes, false);
    EstimateInputs in = calibrated();
    in.dialect = dialect;
    const Estimate e = estimate_statement(statement(WorkKind::kDataChange), facts_for(t), in);
    EXPECT_EQ(e.work, "row-update");
    return *e.p50_ms;
  };
  const double one = update_ms(1, Dialect::kPostgres);
  EXPECT_NEAR(one, 5000 + 2, 1e-6);  // 1M rows at 5 ms per 1000, and the statement's overhead
  EXPECT_NEAR(update_ms(3, Dialect::kPostgres), one + 2 * 1000, 1e-6);
  EXPECT_NEAR(update_ms(0, Dialect::kPostgres), one - 1000, 1e-6);
  EXPECT_NEAR(update_ms(3, Dialect::kSqlite), update_ms(1, Dialect::kSqlite), 1e-6);
  t.index_variable_width.assign(3, false);
  const Estimate e =
      estimate_statement(statement(WorkKind::kDataChange), facts_for(t), calibrated());
  EXPECT_NE(e.basis.find("every row, an upper bound), each in 3 indexes; calibrated"),
            std::string::npos)
      << e.basis;
  // A DELETE only marks row versions dead: no index entry to add.
  StatementAnalysis deletion = statement(WorkKind::kDataChange);
  deletion.kind = "DeleteStmt";
  const Estimate deleted = estimate_statement(deletion, facts_for(t), calibrated());
  EXPECT_NEAR(*deleted.p50_ms, 5000 + 2, 1e-6);
  EXPECT_EQ(deleted.basis.find("indexes"), std::string::npos) << deleted.basis;
  // Runs of this work on this database already paid for the table's indexes.
  EstimateInputs in = calibrated();
  in.samples = {sample_of("row-update", 1e6, 7000)};
  const Estimate learned = estimate_statement(statement(WorkKind::kDataChange), facts_for(t), in);
  EXPECT_EQ(learned.basis.find("indexes"), std::string::npos) << learned.basis;
}

TEST(RuntimeModel, LocksAreHeldToTheEndOfTheTransactionAndTotalsAddUp) {
  Plan plan;
  PlannedStep step;
  step.version = "7";
  step.transactional = true;
  for (int i = 1; i <= 3; ++i) {
    PlannedStatement st;
    st.index = i;
    st.estimate.p50_ms = 100.0 * i;
    st.estimate.p90_ms = 150.0 * i;
    st.estimate.lock_ms = st.estimate.p50_ms;
    st.estimate.rows = 10;
    st.estimate.lock = i == 1 ? LockLevel::kAccessExclusive : LockLevel::kRowExclusive;
    step.statements.push_back(st);
  }
  plan.steps.push_back(step);
  total_estimates(plan);
  const PlannedStep& s = plan.steps[0];
  // Statement 1's ACCESS EXCLUSIVE lock lasts through statements 2 and 3, to the commit.
  EXPECT_EQ(*s.statements[0].estimate.lock_ms, 600);
  EXPECT_EQ(*s.statements[2].estimate.lock_ms, 300);
  EXPECT_EQ(*s.estimate.p50_ms, 600);
  EXPECT_EQ(*s.estimate.p90_ms, 900);
  EXPECT_EQ(s.estimate.lock, LockLevel::kAccessExclusive);
  EXPECT_EQ(*s.estimate.lock_ms, 600);
  EXPECT_EQ(*s.estimate.rows, 30);
  EXPECT_EQ(*plan.estimate.p50_ms, 600);

  // One unknown statement makes the totals unknown, and the basis names it.
  plan.steps[0].statements[1].estimate.p50_ms.reset();
  plan.steps[0].statements[1].estimate.basis = "no basis: the work of DoStmt is not modelled";
  total_estimates(plan);
  EXPECT_FALSE(plan.steps[0].estimate.p50_ms);
  EXPECT_FALSE(plan.steps[0].statements[0].estimate.lock_ms);
  EXPECT_EQ(plan.steps[0].estimate.basis,
            "incomplete: statement 2: no basis: the work of DoStmt is not modelled");
  EXPECT_FALSE(plan.estimate.p50_ms);
}

TEST(RuntimeModel, StandaloneStatementsHoldTheirLocksOnlyWhileTheyRun) {
  Plan plan;
  PlannedStep step;
  step.transactional = false;
  for (int i = 1; i <= 2; ++i) {
    PlannedStatement st;
    st.index = i;
    st.standalone = true;
    st.estimate.p50_ms = 100.0;
    st.estimate.p90_ms = 150.0;
    st.estimate.lock_ms = 100.0;
    st.estimate.lock = LockLevel::kShareUpdateExclusive;
    step.statements.push_back(st);
  }
  plan.steps.push_back(step);
  total_estimates(plan);
  EXPECT_EQ(*plan.steps[0].statements[0].estimate.lock_ms, 100);
  EXPECT_EQ(*plan.steps[0].estimate.lock_ms, 100);
  EXPECT_EQ(*plan.steps[0].estimate.p50_ms, 200);
}

}  // namespace
}  // namespace migrate
