// Runtime estimates on a real PostgreSQL (docs/estimates.md): `calibrate` stores its rates and
// leaves the catalog exactly as it found it; `plan` estimates every statement and migration from
// the catalog (an unanalyzed table says so); `apply` keeps each statement's estimate beside its
// duration, `status --verbose` shows both, and the next plan learns from them.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "migrate/migrator.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::PostgresTestDatabase;
using testing::run_migrate;
using testing::TestWorkspace;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

CommandResult migrate_on(const TestWorkspace& ws, const PostgresTestDatabase& db,
                         std::vector<std::string> command) {
  std::vector<std::string> full{"--db", db.url(), "--dir", ws.migrations().string()};
  full.insert(full.end(), command.begin(), command.end());
  return run_migrate(full, ws.root(), {}, [] { alarm(120); });
}

Options options_for(const TestWorkspace& ws, const PostgresTestDatabase& db) {
  Options o;
  o.database_url = db.url();
  o.migrations_dir = ws.migrations();
  o.allow_unsafe = true;
  return o;
}

// Everything in the catalog a calibration could leave behind: schemas, relations (with their
// kind), constraints, types and functions outside the system schemas, and the history tables'
// own rows apart.
std::vector<std::string> catalog_snapshot(const PostgresTestDatabase& db) {
  std::vector<std::string> all;
  for (const char* sql :
       {"SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' ORDER BY 1",
        "SELECT n.nspname || '.' || c.relname || ':' || c.relkind::text FROM pg_class c JOIN "
        "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', "
        "'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1",
        "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE "
        "n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
        "SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE "
        "n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
        "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE "
        "n.nspname NOT IN ('pg_catalog', 'information_schema')"})
    for (auto& row : db.query(sql)) all.push_back(row);
  return all;
}

TEST(PostgresEstimates, CalibrateStoresItsRatesAndLeavesNothingBehind) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  db->execute("CREATE TABLE users (id bigint PRIMARY KEY, name text)");
  db->execute("INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 100) g");
  // The history tables exist first, so the comparison sees only what calibration could add.
  ws.write_migration("V1__noop.up.sql", "SELECT 1;\n");
  ASSERT_FALSE(Migrator(options_for(ws, *db)).apply(std::nullopt).error);
  const auto before = catalog_snapshot(*db);
  const auto users_before = db->query("SELECT count(*), sum(id) FROM users");

  CommandResult r = migrate_on(ws, *db, {"--output", "json", "calibrate", "--rows", "5000"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json out = json::parse(r.out);
  std::set<std::string> operations;
  for (const auto& rate : out["calibration"]["rates"]) {
    operations.insert(rate["operation"].get<std::string>());
    EXPECT_GT(rate["per_second"].get<double>(), 0) << rate.dump();
  }
  for (const char* op :
       {"catalog-only", "backfill-batch", "seq-scan", "rewrite", "index-build:fixed",
        "index-build:variable", "index-build-concurrently:fixed", "validate-check",
        "validate-foreign-key", "set-not-null", "row-update", "batched-update", "index-maintenance",
        "index-build:presorted", "index-build-concurrently:presorted"})
    EXPECT_TRUE(operations.count(op)) << op;
  EXPECT_TRUE(has(out["calibration"]["server"].get<std::string>(), "PostgreSQL 15"));

  EXPECT_EQ(catalog_snapshot(*db), before);
  EXPECT_EQ(db->query("SELECT count(*), sum(id) FROM users"), users_before);
  EXPECT_EQ(db->query("SELECT count(DISTINCT operation) FROM migrate_history_calibration"),
            std::vector<std::string>{std::to_string(operations.size())});
  auto stored = Migrator(options_for(ws, *db)).calibration();
  ASSERT_TRUE(stored.ok());
  ASSERT_TRUE(stored.value());
  EXPECT_EQ(stored.value()->rates.size(), operations.size());
}

TEST(PostgresEstimates, CalibrateRefusesTooFewRowsAsUsage) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  CommandResult r = migrate_on(ws, *db, {"calibrate", "--rows", "10"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(has(r.err + r.out, "--rows")) << r.err << r.out;
  EXPECT_EQ(db->query("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'migrate_cal%'"),
            std::vector<std::string>{"0"});
}

void make_orders(const PostgresTestDatabase& db) {
  db.execute(
      "CREATE TABLE orders (id bigint PRIMARY KEY, total integer NOT NULL, note text, user_id "
      "bigint)");
  db.execute(
      "INSERT INTO orders SELECT g, g % 1000, md5(g::text), g % 50 FROM generate_series(1, "
      "30000) g");
  db.execute("ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID");
  db.execute("VACUUM ANALYZE orders");
  // Never analyzed and never vacuumed, with rows: its statistics say nothing yet.
  db.execute("CREATE TABLE events (id bigint, kind text)");
  db.execute("INSERT INTO events SELECT g, 'k' FROM generate_series(1, 5000) g");
}

const json& step_of(const json& plan, const std::string& version) {
  for (const auto& s : plan["steps"])
    if (s["version"] == version) return s;
  static const json none;
  ADD_FAILURE() << "no step " << version;
  return none;
}

TEST(PostgresEstimates, PlanEstimatesEveryStatementAndMigrationFromTheCatalog) {
  MIGRATE_REQUIRE_POSTGRES(db);
  make_orders(*db);
  TestWorkspace ws;
  ws.write_migration("V1__widen.up.sql", "ALTER TABLE orders ALTER COLUMN total TYPE bigint;\n");
  ws.write_migration("V2__index.up.sql",
                     "CREATE INDEX CONCURRENTLY orders_note ON orders (note);\n");
  ws.write_migration("V3__validate.up.sql",
                     "ALTER TABLE orders VALIDATE CONSTRAINT total_positive;\n"
                     "ALTER TABLE orders ALTER COLUMN note SET NOT NULL;\n");
  ws.write_migration("V4__backfill.up.sql",
                     "-- migrate:backfill\nUPDATE orders SET user_id = 0 WHERE user_id IS NULL;\n");
  ws.write_migration("V5__events.up.sql", "UPDATE events SET kind = 'x';\n");
  ws.write_migration("V6__opaque.up.sql", "DO $$ BEGIN PERFORM 1; END $$;\n");
  // id was filled in order (pg_stats.correlation 1), user_id = id % 50 was not.
  ws.write_migration("V7__by_id.up.sql",
                     "CREATE INDEX CONCURRENTLY orders_by_id ON orders (id);\n");
  ws.write_migration("V8__by_user.up.sql",
                     "CREATE INDEX CONCURRENTLY orders_by_user ON orders (user_id);\n");

  CommandResult r = migrate_on(ws, *db, {"--output", "json", "plan", "--allow-unsafe"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json plan = json::parse(r.out)["plan"];
  const std::set<std::string> keys{"p50_ms", "p90_ms", "lock", "lock_ms", "rows", "basis"};
  auto keys_of = [](const json& o) {
    std::set<std::string> k;
    for (const auto& [name, value] : o.items()) k.insert(name);
    return k;
  };
  EXPECT_EQ(keys_of(plan["estimate"]), keys);
  for (const auto& step : plan["steps"]) {
    EXPECT_EQ(keys_of(step["estimate"]), keys) << step["version"];
    for (const auto& st : step["statements"]) EXPECT_EQ(keys_of(st["estimate"]), keys);
  }

  const json& widen = step_of(plan, "1")["statements"][0]["estimate"];
  EXPECT_GT(widen["p50_ms"].get<double>(), 0);
  EXPECT_GE(widen["p90_ms"].get<double>(), widen["p50_ms"].get<double>());
  EXPECT_EQ(widen["lock"], "ACCESS EXCLUSIVE");
  EXPECT_EQ(widen["rows"].get<double>(), 30000);
  EXPECT_TRUE(has(widen["basis"], "orders: 30k rows")) << widen["basis"];
  EXPECT_TRUE(has(widen["basis"], "full rewrite + 1 index rebuild(s)")) << widen["basis"];
  EXPECT_TRUE(has(widen["basis"], "default rates (no calibration")) << widen["basis"];

  const json& index = step_of(plan, "2")["statements"][0]["estimate"];
  EXPECT_EQ(index["lock"], "SHARE UPDATE EXCLUSIVE");
  EXPECT_TRUE(has(index["basis"], "concurrently")) << index["basis"];
  EXPECT_TRUE(has(index["basis"], "variable-width key")) << index["basis"];  // note is text

  // Two statements in one transaction: the first's lock is held through the second.
  const json& v3 = step_of(plan, "3");
  const double first = v3["statements"][0]["estimate"]["p50_ms"].get<double>();
  const double second = v3["statements"][1]["estimate"]["p50_ms"].get<double>();
  EXPECT_NEAR(v3["statements"][0]["estimate"]["lock_ms"].get<double>(), first + second, 0.2);
  EXPECT_NEAR(v3["estimate"]["p50_ms"].get<double>(), first + second, 0.2);
  EXPECT_EQ(v3["estimate"]["lock"], "ACCESS EXCLUSIVE");

  const json& backfill = step_of(plan, "4")["statements"][0]["estimate"];
  EXPECT_EQ(backfill["lock"], "ROW EXCLUSIVE");
  EXPECT_TRUE(has(backfill["basis"], "batched")) << backfill["basis"];
  EXPECT_LE(backfill["lock_ms"].get<double>(), 200);

  const json& events = step_of(plan, "5")["statements"][0]["estimate"];
  EXPECT_TRUE(events["p50_ms"].is_null());
  EXPECT_TRUE(events["rows"].is_null());
  EXPECT_EQ(events["basis"], "catalog never analyzed: ANALYZE events for an estimate");
  EXPECT_TRUE(has(step_of(plan, "5")["estimate"]["basis"], "incomplete: statement 1"));

  const json& by_id = step_of(plan, "7")["statements"][0]["estimate"];
  EXPECT_TRUE(has(by_id["basis"], "fixed-width key already in table order (correlation 1.00)"))
      << by_id["basis"];
  const json& by_user = step_of(plan, "8")["statements"][0]["estimate"];
  EXPECT_TRUE(has(by_user["basis"], "fixed-width key;")) << by_user["basis"];
  EXPECT_LT(by_id["p50_ms"].get<double>(), by_user["p50_ms"].get<double>());

  EXPECT_TRUE(step_of(plan, "6")["statements"][0]["estimate"]["p50_ms"].is_null());
  EXPECT_TRUE(plan["estimate"]["p50_ms"].is_null());
  EXPECT_TRUE(has(plan["estimate"]["basis"], "incomplete: version 5")) << plan["estimate"];

  // The text says the same in words.
  CommandResult text = migrate_on(ws, *db, {"plan", "--allow-unsafe"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(has(text.out, "estimate: ")) << text.out;
  EXPECT_TRUE(has(text.out, "basis: catalog never analyzed: ANALYZE events for an estimate"));
  EXPECT_TRUE(has(text.out, "Estimate for the plan: unknown")) << text.out;
}

TEST(PostgresEstimates, ApplyKeepsEachEstimateBesideItsDurationAndTheNextPlanLearns) {
  MIGRATE_REQUIRE_POSTGRES(db);
  make_orders(*db);
  // The same rows, size and index as orders.
  db->execute("CREATE TABLE orders_copy AS SELECT * FROM orders");
  db->execute("ALTER TABLE orders_copy ADD PRIMARY KEY (id)");
  db->execute("VACUUM ANALYZE orders_copy");
  TestWorkspace ws;
  ASSERT_EQ(migrate_on(ws, *db, {"calibrate", "--rows", "5000"}).exit_code, 0);
  ws.write_migration("V1__widen.up.sql", "ALTER TABLE orders ALTER COLUMN total TYPE bigint;\n");
  ws.write_migration("V2__note.up.sql", "ALTER TABLE orders ADD COLUMN extra text;\n");
  RunReport run = Migrator(options_for(ws, *db)).apply(std::nullopt);
  ASSERT_FALSE(run.error) << run.error->describe();

  auto rows = db->query(
      "SELECT h.version, s.work, s.scale > 0, s.estimate_p50_ms IS NOT NULL, s.estimate_p90_ms >= "
      "s.estimate_p50_ms, s.duration_ms >= 0 FROM migrate_history_statements s JOIN "
      "migrate_history h ON h.id = s.attempt_id ORDER BY h.version");
  EXPECT_EQ(rows, (std::vector<std::string>{"1|rewrite|t|t|t|t", "2|catalog-only|t|t|t|t"}));

  CommandResult status = migrate_on(ws, *db, {"status", "--verbose"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(has(status.out, "Statements (actual beside the plan's estimate)")) << status.out;
  EXPECT_TRUE(has(status.out, "1 widen (up attempt")) << status.out;
  EXPECT_TRUE(has(status.out, "statement 1: took ")) << status.out;
  EXPECT_TRUE(has(status.out, "; estimated ")) << status.out;
  EXPECT_TRUE(has(status.out, "rewrite")) << status.out;
  CommandResult status_json = migrate_on(ws, *db, {"--output", "json", "status", "--verbose"});
  ASSERT_EQ(status_json.exit_code, 0) << status_json.err;
  const json versions = json::parse(status_json.out)["migrations"];
  const json& record = versions[0]["statements"][0]["statements"][0];
  EXPECT_EQ(record["work"], "rewrite");
  EXPECT_TRUE(record["estimate_p50_ms"].is_number()) << record.dump();
  EXPECT_TRUE(record["duration_ms"].is_number()) << record.dump();
  // Without --verbose, no statement records.
  CommandResult plain = migrate_on(ws, *db, {"--output", "json", "status"});
  EXPECT_FALSE(json::parse(plain.out)["migrations"][0].contains("statements"));

  // The same work on a table of the same size: the next plan uses what this one took.
  ws.write_migration("V3__widen_copy.up.sql",
                     "ALTER TABLE orders_copy ALTER COLUMN total TYPE bigint;\n");
  auto plan = Migrator(options_for(ws, *db)).plan_apply(std::nullopt);
  ASSERT_TRUE(plan.ok()) << plan.error().describe();
  const Estimate& e = plan.value().steps.at(0).statements.at(0).estimate;
  EXPECT_TRUE(has(e.basis,
                  "history: 1 earlier run(s) of this work at a similar size, weighed "
                  "with the calibration of"))
      << e.basis;
  ASSERT_TRUE(e.p50_ms);
  // The run's duration scaled to orders_copy, weighed one to one with the calibration's
  // estimate, which the first plan recorded for the same size: their geometric mean.
  const auto [learned, calibrated] = [&] {
    const auto row = db->query(
        "SELECT (duration_ms + 0.5) * (SELECT pg_relation_size('orders_copy')) / scale, "
        "estimate_p50_ms FROM migrate_history_statements WHERE work = 'rewrite'");
    const auto bar = row.at(0).find('|');
    return std::pair{std::stod(row.at(0).substr(0, bar)), std::stod(row.at(0).substr(bar + 1))};
  }();
  EXPECT_NEAR(*e.p50_ms, std::sqrt(learned * calibrated), 1.0 + 0.02 * *e.p50_ms)
      << "learned " << learned << " ms, calibrated " << calibrated << " ms";
}

// Estimating never queues behind a lock: a table someone holds ACCESS EXCLUSIVE on is reported
// as unreadable after the probe's lock_timeout, and the other tables are estimated all the same.
TEST(PostgresEstimates, ALockedTableCostsOnlyItsOwnEstimate) {
  MIGRATE_REQUIRE_POSTGRES(db);
  make_orders(*db);
  db->execute("CREATE TABLE busy (id bigint PRIMARY KEY, v int)");
  db->execute("INSERT INTO busy SELECT g, g FROM generate_series(1, 1000) g");
  db->execute("ANALYZE busy");
  TestWorkspace ws;
  ws.write_migration("V1__both.up.sql",
                     "ALTER TABLE orders ALTER COLUMN note SET NOT NULL;\n"
                     "ALTER TABLE busy ALTER COLUMN v SET NOT NULL;\n");
  pqxx::connection holder(db->url());
  pqxx::work hold(holder);
  hold.exec("LOCK TABLE busy IN ACCESS EXCLUSIVE MODE");
  Options o = options_for(ws, *db);
  o.lock_timeout = std::chrono::milliseconds(100);
  auto plan = Migrator(o).plan_apply(std::nullopt);
  ASSERT_TRUE(plan.ok()) << plan.error().describe();
  const auto& statements = plan.value().steps.at(0).statements;
  EXPECT_TRUE(statements.at(0).estimate.p50_ms) << statements.at(0).estimate.basis;
  EXPECT_FALSE(statements.at(1).estimate.p50_ms);
  EXPECT_TRUE(has(statements.at(1).estimate.basis, "no basis: the catalog did not answer for busy"))
      << statements.at(1).estimate.basis;
  hold.abort();
}

}  // namespace
}  // namespace migrate
