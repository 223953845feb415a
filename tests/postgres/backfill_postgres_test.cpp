// Batched backfills on a real PostgreSQL (docs/backfills.md): the automatic form's result equals
// one UPDATE, every row is changed exactly once (a trigger counts), a killed run resumes at the
// next batch (also after the batch size changed), concurrent writers lose no update, and a table
// that cannot be walked is refused before anything runs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::CommandResult;
using testing::MigrateProcess;
using testing::PostgresTestDatabase;
using testing::run_migrate;
using testing::TestWorkspace;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> args_for(const TestWorkspace& ws, const PostgresTestDatabase& db,
                                  std::vector<std::string> command) {
  std::vector<std::string> full{"--db",        db.url(), "--dir", ws.migrations().string(),
                                "--log-level", "info"};
  full.insert(full.end(), command.begin(), command.end());
  return full;
}

CommandResult migrate_on(const TestWorkspace& ws, const PostgresTestDatabase& db,
                         std::vector<std::string> command) {
  return run_migrate(args_for(ws, db, std::move(command)), ws.root(), {}, [] { alarm(120); });
}

std::string one(const PostgresTestDatabase& db, const std::string& sql) {
  auto rows = db.query(sql);
  return rows.empty() ? std::string("<no row>") : rows.front();
}

// `orders` with `rows` rows, all status NULL, and a trigger counting each row's updates in
// `touched`: a row changed twice or never shows.
void make_orders(const PostgresTestDatabase& db, int rows) {
  db.execute(
      "CREATE TABLE orders (id bigint PRIMARY KEY, status text, amount int NOT NULL, touched int "
      "NOT NULL DEFAULT 0)");
  db.execute("INSERT INTO orders (id, amount) SELECT g, g % 100 FROM generate_series(1, " +
             std::to_string(rows) + ") g");
  db.execute(
      "CREATE FUNCTION count_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF "
      "NEW.status IS DISTINCT FROM OLD.status THEN NEW.touched := OLD.touched + 1; END IF; "
      "RETURN NEW; END $$");
  db.execute(
      "CREATE TRIGGER count_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION "
      "count_touch()");
  db.execute("ANALYZE orders");
}

TEST(PostgresBackfill, AutomaticFormMatchesOneUpdateAndChangesEveryRowOnce) {
  MIGRATE_REQUIRE_POSTGRES(db);
  make_orders(*db, 20000);
  db->execute("CREATE TABLE orders_ref AS SELECT * FROM orders");
  db->execute(
      "UPDATE orders_ref SET status = CASE WHEN amount % 2 = 0 THEN 'even' ELSE 'odd' END WHERE "
      "status IS NULL OR amount < 0");
  TestWorkspace ws;
  ws.write_migration("V1__backfill_status.up.sql",
                     "-- migrate:backfill batch-size=700 pause=0ms\n"
                     "-- migrate:backfill-check SELECT id FROM orders WHERE status IS NULL\n"
                     "UPDATE orders SET status = CASE WHEN amount % 2 = 0 THEN 'even' ELSE 'odd' "
                     "END WHERE status IS NULL OR amount < 0;\n");
  auto plan = migrate_on(ws, *db, {"plan"});
  ASSERT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  EXPECT_TRUE(has(plan.out, "backfill (automatic form): table \"orders\", key (id) bigint"))
      << plan.out;
  EXPECT_TRUE(has(plan.out, "expected batches: 29")) << plan.out;
  EXPECT_TRUE(has(plan.out,
                  "(status IS NULL OR amount < 0) AND (orders.id > $1::bigint AND "
                  "orders.id <= $2::bigint)"))
      << plan.out;
  EXPECT_FALSE(has(plan.out, "unbatched-data-change")) << plan.out;
  auto json_plan = migrate_on(ws, *db, {"plan", "--output", "json"});
  ASSERT_EQ(json_plan.exit_code, 0) << json_plan.err;
  const auto backfill =
      nlohmann::json::parse(json_plan.out)["plan"]["steps"][0]["statements"][0]["backfill"];
  EXPECT_EQ(backfill["form"], "automatic");
  EXPECT_EQ(backfill["key"], nlohmann::json::array({"id"}));
  EXPECT_EQ(backfill["expected_batches"], 29);
  EXPECT_EQ(backfill["batch_size"], 700);
  EXPECT_EQ(backfill["adaptive"], false);

  auto r = migrate_on(ws, *db, {"apply"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(one(*db,
                "SELECT count(*) FROM orders o JOIN orders_ref f USING (id) WHERE o.status IS "
                "DISTINCT FROM f.status"),
            "0");
  EXPECT_EQ(one(*db, "SELECT min(touched) || '|' || max(touched) FROM orders"), "1|1");
  EXPECT_EQ(one(*db,
                "SELECT success::text || '|' || coalesce(checkpoint, 'none') FROM "
                "migrate_history WHERE version = '1'"),
            "true|none");
  EXPECT_EQ(one(*db, "SELECT rows_affected FROM migrate_history_statements"), "20000");
}

TEST(PostgresBackfill, CompositeKeyAndAnOrInTheWhereClause) {
  MIGRATE_REQUIRE_POSTGRES(db);
  db->execute("CREATE TABLE cells (a int, b int, v text, PRIMARY KEY (a, b))");
  db->execute(
      "INSERT INTO cells SELECT a, b, 'x' FROM generate_series(1, 50) a, generate_series(1, 100) "
      "b");
  db->execute("ANALYZE cells");
  TestWorkspace ws;
  ws.write_migration("V1__prune.up.sql",
                     "-- migrate:backfill batch-size=333\n"
                     "DELETE FROM cells WHERE b % 3 = 0 OR a = 7;\n");
  auto plan = migrate_on(ws, *db, {"plan"});
  ASSERT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  EXPECT_TRUE(has(plan.out, "key (a, b) integer, integer")) << plan.out;
  // The OR stays inside its parentheses; the key compares as a row.
  EXPECT_TRUE(has(plan.out,
                  "((b % 3) = 0 OR a = 7) AND ((cells.a, cells.b) > ($1::int, $2::int) "
                  "AND (cells.a, cells.b) <= ($3::int, $4::int))"))
      << plan.out;
  auto r = migrate_on(ws, *db, {"apply"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // 50 * 100 cells; b % 3 = 0 removes 33 per a; a = 7 removes its other 67.
  EXPECT_EQ(one(*db, "SELECT count(*) FROM cells"), std::to_string(5000 - 50 * 33 - 67));
  EXPECT_EQ(one(*db, "SELECT count(*) FROM cells WHERE b % 3 = 0 OR a = 7"), "0");
}

// The attempt's checkpoint while a backfill runs: rows done so far, or -1 before the first batch.
long long rows_checkpointed(const PostgresTestDatabase& db) {
  if (one(db, "SELECT to_regclass('migrate_history') IS NULL") == "t") return -1;
  auto v = one(db,
               "SELECT coalesce((checkpoint::json -> 'backfill' ->> 'rows')::bigint, -1) FROM "
               "migrate_history WHERE version = '1' ORDER BY id DESC LIMIT 1");
  return v == "<no row>" ? -1 : std::stoll(v);
}

TEST(PostgresBackfill, AKilledBackfillResumesAtTheNextBatchEvenWithAnotherBatchSize) {
  MIGRATE_REQUIRE_POSTGRES(db);
  make_orders(*db, 20000);
  TestWorkspace ws;
  const std::string statement = "UPDATE orders SET status = 'new' WHERE status IS NULL;\n";
  ws.write_migration("V1__backfill_status.up.sql",
                     "-- migrate:backfill batch-size=200 pause=30ms\n" + statement);
  {
    MigrateProcess run(args_for(ws, *db, {"apply"}), ws.root());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    long long done = -1;
    while (std::chrono::steady_clock::now() < deadline) {
      done = rows_checkpointed(*db);
      if (done >= 2000) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    run.kill_now();
    ASSERT_GE(done, 2000) << "the backfill never got going";
  }
  const long long done = rows_checkpointed(*db);
  ASSERT_GT(done, 0);
  ASSERT_LT(done, 20000);
  // Exactly the checkpointed rows are changed: the batch in flight rolled back with its
  // checkpoint.
  EXPECT_EQ(one(*db, "SELECT count(*) FROM orders WHERE status = 'new'"), std::to_string(done));

  auto status = migrate_on(ws, *db, {"status"});
  EXPECT_TRUE(has(status.out, "backfill of \"orders\" (statement 1): " + std::to_string(done)))
      << status.out;

  // A larger batch for the rest: the walk goes by key, so the size may change between runs.
  ws.write_migration("V1__backfill_status.up.sql",
                     "-- migrate:backfill batch-size=900 pause=0ms\n" + statement);
  auto plan = migrate_on(ws, *db, {"plan"});
  EXPECT_TRUE(has(plan.out, "resumes after key (")) << plan.out << plan.err;
  auto r = migrate_on(ws, *db, {"apply"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(has(r.err, "resumes after key")) << r.err;
  EXPECT_EQ(one(*db, "SELECT count(*) FROM orders WHERE status IS DISTINCT FROM 'new'"), "0");
  EXPECT_EQ(one(*db, "SELECT min(touched) || '|' || max(touched) FROM orders"), "1|1");
  EXPECT_EQ(one(*db,
                "SELECT count(*) FILTER (WHERE success) || '|' || count(*) FILTER (WHERE "
                "error_code = 'INTERRUPTED') FROM migrate_history WHERE version = '1'"),
            "1|1");
}

TEST(PostgresBackfill, ConcurrentWritersLoseNoUpdate) {
  MIGRATE_REQUIRE_POSTGRES(db);
  make_orders(*db, 20000);
  const long long before = std::stoll(one(*db, "SELECT sum(amount) FROM orders"));
  TestWorkspace ws;
  ws.write_migration("V1__backfill_status.up.sql",
                     "-- migrate:backfill batch-size=150 pause=5ms\n"
                     "UPDATE orders SET status = 'new' WHERE status IS NULL;\n");
  std::atomic<bool> stop{false};
  std::atomic<long long> increments{0};
  std::thread writer([&] {
    pqxx::connection c(db->url());
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> id(1, 20000);
    while (!stop) {
      pqxx::work tx(c);
      tx.exec_params("UPDATE orders SET amount = amount + 1 WHERE id = $1", id(rng));
      tx.commit();
      ++increments;
    }
  });
  auto r = migrate_on(ws, *db, {"apply"});
  stop = true;
  writer.join();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_GT(increments.load(), 0);
  EXPECT_EQ(std::stoll(one(*db, "SELECT sum(amount) FROM orders")), before + increments.load());
  EXPECT_EQ(one(*db, "SELECT count(*) FROM orders WHERE status IS DISTINCT FROM 'new'"), "0");
  EXPECT_EQ(one(*db, "SELECT min(touched) || '|' || max(touched) FROM orders"), "1|1");
}

// While a batch writes, the next batch's last key is looked up on the run's second connection
// (application_name ending in "lookup"); the walk stays exact: every row changed once, including
// rows inserted ahead of the walk while it runs.
TEST(PostgresBackfill, TheNextBatchIsLookedUpOnASecondConnectionWhileABatchWrites) {
  MIGRATE_REQUIRE_POSTGRES(db);
  make_orders(*db, 20000);
  TestWorkspace ws;
  ws.write_migration("V1__backfill_status.up.sql",
                     "-- migrate:backfill batch-size=400 pause=20ms\n"
                     "UPDATE orders SET status = 'new' WHERE status IS NULL;\n");
  std::atomic<bool> stop{false};
  std::atomic<bool> lookup_seen{false};
  std::atomic<int> inserted{0};
  std::thread watcher([&] {
    pqxx::connection c(db->url());
    int next_id = 20001;
    while (!stop) {
      pqxx::nontransaction q(c);
      auto r = q.exec(
          "SELECT query FROM pg_stat_activity WHERE application_name LIKE '% lookup' AND "
          "query LIKE '%OFFSET%'");
      if (!r.empty()) lookup_seen = true;
      // New keys beyond the walk's end: the walk reaches them.
      q.exec_params("INSERT INTO orders (id, amount) VALUES ($1, 1)", next_id++);
      ++inserted;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  auto r = migrate_on(ws, *db, {"apply"});
  stop = true;
  watcher.join();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(lookup_seen.load()) << "no key lookup was seen on the second connection";
  EXPECT_GT(inserted.load(), 0);
  // Every row the walk reached was changed exactly once (rows inserted after its last batch are
  // not reached: that is what a backfill-check is for).
  EXPECT_EQ(one(*db, "SELECT max(touched) FROM orders"), "1");
  EXPECT_EQ(one(*db, "SELECT count(*) FROM orders WHERE id <= 20000 AND touched <> 1"), "0");
}

// The look-ahead's connection resolves names as the main connection does: with a search_path set
// by the migration, `orders` is app.orders there too, not the smaller public.orders, whose
// largest key would end the walk early.
TEST(PostgresBackfill, TheLookAheadFollowsTheSearchPathOfTheRun) {
  MIGRATE_REQUIRE_POSTGRES(db);
  db->execute("CREATE SCHEMA app");
  db->execute("CREATE TABLE public.orders (id bigint PRIMARY KEY, amount int NOT NULL)");
  db->execute("INSERT INTO public.orders SELECT g, 0 FROM generate_series(1, 100) g");
  db->execute("CREATE TABLE app.orders (id bigint PRIMARY KEY, amount int NOT NULL)");
  db->execute("INSERT INTO app.orders SELECT g, g % 100 FROM generate_series(1, 5000) g");
  db->execute("ANALYZE public.orders");
  db->execute("ANALYZE app.orders");
  TestWorkspace ws;
  ws.write_migration("V1__copy.up.sql",
                     "-- migrate:backfill batch-size=300 pause=0ms\n"
                     "SET search_path TO app, public;\n"
                     "CREATE TABLE orders_copy (id bigint PRIMARY KEY, amount int);\n"
                     "INSERT INTO orders_copy SELECT o.id, o.amount FROM orders o\n"
                     "  WHERE o.id > :batch_start AND o.id <= :batch_end;\n");
  auto r = migrate_on(ws, *db, {"apply"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(one(*db, "SELECT count(*) FROM app.orders_copy"), "5000");
  EXPECT_EQ(one(*db, "SELECT count(*) FROM app.orders_copy WHERE amount <> id % 100"), "0");
}

TEST(PostgresBackfill, ATableWithoutAKeyIsRefusedBeforeAnythingRuns) {
  MIGRATE_REQUIRE_POSTGRES(db);
  db->execute("CREATE TABLE events (kind text, payload text)");
  db->execute("INSERT INTO events SELECT 'a', 'x' FROM generate_series(1, 100)");
  TestWorkspace ws;
  ws.write_migration("V1__other.up.sql", "CREATE TABLE other (id int);\n");
  ws.write_migration("V2__backfill_events.up.sql",
                     "-- migrate:backfill\nUPDATE events SET payload = 'y' WHERE kind = 'a';\n");
  auto plan = migrate_on(ws, *db, {"plan"});
  EXPECT_EQ(plan.exit_code, 25) << plan.out << plan.err;
  auto r = migrate_on(ws, *db, {"apply"});
  EXPECT_EQ(r.exit_code, 25) << r.out << r.err;
  EXPECT_TRUE(has(r.err, "error[BACKFILL_NO_KEY]")) << r.err;
  EXPECT_TRUE(has(r.err, "\"events\"")) << r.err;
  EXPECT_TRUE(has(r.err, "no primary key")) << r.err;
  EXPECT_TRUE(has(r.err, "key=<column>")) << r.err;
  EXPECT_TRUE(has(r.err, "V2__backfill_events.up.sql:2:1")) << r.err;
  EXPECT_EQ(one(*db, "SELECT to_regclass('other') IS NULL"), "t");
  EXPECT_EQ(one(*db, "SELECT to_regclass('migrate_history') IS NULL"), "t");

  // A key= column that is not unique is refused the same way.
  ws.write_migration("V2__backfill_events.up.sql",
                     "-- migrate:backfill key=kind\nUPDATE events SET payload = 'y';\n");
  r = migrate_on(ws, *db, {"apply"});
  EXPECT_EQ(r.exit_code, 25) << r.out << r.err;
  EXPECT_TRUE(has(r.err, "not unique")) << r.err;
}

TEST(PostgresBackfill, ACheckThatStillFindsRowsFailsTheMigration) {
  MIGRATE_REQUIRE_POSTGRES(db);
  make_orders(*db, 1000);
  TestWorkspace ws;
  ws.write_migration("V1__backfill_status.up.sql",
                     "-- migrate:backfill batch-size=100\n"
                     "-- migrate:backfill-check SELECT id FROM orders WHERE status IS NULL\n"
                     "UPDATE orders SET status = 'new' WHERE status IS NULL AND id > 10;\n");
  auto r = migrate_on(ws, *db, {"apply"});
  EXPECT_EQ(r.exit_code, 26) << r.out << r.err;
  EXPECT_TRUE(has(r.err, "error[BACKFILL_INCOMPLETE]")) << r.err;
  EXPECT_EQ(one(*db, "SELECT count(*) FROM orders WHERE status = 'new'"), "990");
  EXPECT_EQ(one(*db, "SELECT error_code FROM migrate_history WHERE version = '1'"),
            "BACKFILL_INCOMPLETE");
}

TEST(PostgresBackfill, ExplicitFormCopiesEveryRowInBatches) {
  MIGRATE_REQUIRE_POSTGRES(db);
  make_orders(*db, 5000);
  db->execute("DELETE FROM orders WHERE id % 7 = 0");  // gaps in the key
  TestWorkspace ws;
  ws.write_migration("V1__copy.up.sql",
                     "-- migrate:backfill batch-size=300\n"
                     "CREATE TABLE orders_copy (id bigint PRIMARY KEY, amount int);\n"
                     "INSERT INTO orders_copy SELECT o.id, o.amount FROM orders o\n"
                     "  WHERE o.id > :batch_start AND o.id <= :batch_end;\n");
  auto plan = migrate_on(ws, *db, {"plan"});
  ASSERT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  EXPECT_TRUE(has(plan.out, "backfill (explicit form): table \"orders\", key (id) bigint"))
      << plan.out;
  EXPECT_FALSE(has(plan.out, "backfill-in-schema-migration")) << plan.out;
  auto r = migrate_on(ws, *db, {"apply"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(one(*db, "SELECT count(*) FROM orders_copy"), one(*db, "SELECT count(*) FROM orders"));
  EXPECT_EQ(one(*db,
                "SELECT count(*) FROM orders o LEFT JOIN orders_copy c USING (id) WHERE "
                "c.id IS NULL"),
            "0");
}

TEST(PostgresBackfill, PlaceholdersOutsideABackfillAreRefused) {
  MIGRATE_REQUIRE_POSTGRES(db);
  make_orders(*db, 10);
  TestWorkspace ws;
  ws.write_migration("V1__oops.up.sql",
                     "UPDATE orders SET status = 'x' WHERE id > :batch_start AND id <= "
                     ":batch_end;\n");
  auto r = migrate_on(ws, *db, {"apply"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_TRUE(has(r.err, "-- migrate:backfill")) << r.err;
  EXPECT_EQ(one(*db, "SELECT count(*) FROM orders WHERE status IS NOT NULL"), "0");
}

}  // namespace
}  // namespace migrate
