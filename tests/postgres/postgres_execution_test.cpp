// Zero-downtime execution on a real PostgreSQL 15: lock timeouts with retries while traffic
// keeps flowing, the concurrent index protocol, and a kill -9 in the middle of a standalone step.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "migrate/migrator.hpp"
#include "support/log_capture.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::PostgresTestDatabase;
using testing::TestWorkspace;

Options pg_options(const TestWorkspace& ws, const PostgresTestDatabase& db) {
  Options o = ws.options();
  o.database_url = db.url();
  return o;
}

using testing::LogCapture;

TEST(PostgresExecution, LockTimeoutRetriesUntilTheBlockerCommitsWhileReadersAreServed) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__items.up.sql",
                     "CREATE TABLE items (id bigint PRIMARY KEY, name text);\n"
                     "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g;\n");
  ASSERT_FALSE(Migrator(pg_options(ws, *db)).apply(std::nullopt).error);
  ws.write_migration("V2__add_price.up.sql", "ALTER TABLE items ADD COLUMN price numeric;\n");

  // The blocker: an open transaction that has read the table (ACCESS SHARE), idle.
  pqxx::connection blocker(db->url());
  pqxx::work blocker_tx(blocker);
  blocker_tx.exec("SELECT count(*) FROM items");
  const int blocker_pid = blocker.backendpid();

  // A reader that must keep being served: without lock_timeout, the ALTER would queue behind the
  // blocker and every reader would queue behind the ALTER.
  std::atomic<bool> stop{false};
  std::atomic<int> served{0}, stalled{0};
  std::thread reader([&] {
    pqxx::connection c(db->url());
    while (!stop) {
      try {
        pqxx::work t(c);
        t.exec("SET LOCAL statement_timeout = '2s'");
        t.exec("SELECT name FROM items WHERE id = 42");
        t.commit();
        ++served;
      } catch (const std::exception&) {
        ++stalled;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });

  LogCapture log;
  Options o = pg_options(ws, *db);
  // The lock queue with lock_timeout and retries; by default the run would wait outside the
  // queue instead (lock_queue_avoidance_test.cpp).
  o.queue_avoidance = false;
  o.lock_timeout = std::chrono::milliseconds(100);
  o.lock_retries = 30;
  o.retry_base = std::chrono::milliseconds(50);
  o.retry_cap = std::chrono::milliseconds(200);
  o.log = log.sink();
  RunReport report;
  std::thread migrator([&] { report = Migrator(o).apply(std::nullopt); });

  // Let the migration time out and retry at least twice, then release the blocker.
  for (int i = 0; i < 200 && log.all().find("retry 2/") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  blocker_tx.commit();
  migrator.join();
  stop = true;
  reader.join();

  ASSERT_FALSE(report.error) << report.error->describe();
  std::string logged = log.all();
  EXPECT_NE(logged.find("retry 1/30"), std::string::npos) << logged;
  EXPECT_NE(logged.find("pid " + std::to_string(blocker_pid)), std::string::npos) << logged;
  EXPECT_NE(logged.find("idle in transaction"), std::string::npos) << logged;
  EXPECT_NE(logged.find("AccessShareLock on items"), std::string::npos) << logged;
  EXPECT_GT(served.load(), 0);
  EXPECT_EQ(stalled.load(), 0) << "a reader waited more than 2 s behind the migration";
  EXPECT_EQ(
      db->query("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND "
                "column_name = 'price'"),
      std::vector<std::string>{"1"});
}

TEST(PostgresExecution, ConcurrentIndexBuildsRunAloneBesideTransactionalStatements) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration(
      "V1__events.up.sql",
      "CREATE TABLE events (id bigint PRIMARY KEY, kind text, created_at timestamptz);\n"
      "INSERT INTO events SELECT g, 'k' || (g % 7), now() FROM generate_series(1, 5000) g;\n");
  ws.write_migration(
      "V2__indexes.up.sql",
      "ALTER TABLE events ADD COLUMN source text;\n"
      "CREATE INDEX CONCURRENTLY idx_events_kind ON events (kind);\n"
      "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_events_created ON events (created_at);\n"
      "UPDATE events SET source = 'import' WHERE id <= 10;\n"
      "COMMENT ON COLUMN events.source IS 'where the event came from';\n");
  Migrator m(pg_options(ws, *db));
  auto plan = m.plan_apply(std::nullopt);
  ASSERT_TRUE(plan) << plan.error().describe();
  const auto& st = plan->steps[1].statements;
  ASSERT_EQ(st.size(), 5u);
  EXPECT_FALSE(plan->steps[1].transactional);
  EXPECT_FALSE(st[0].standalone);
  EXPECT_TRUE(st[1].standalone);
  EXPECT_EQ(st[1].standalone_reason, "CREATE INDEX CONCURRENTLY");
  EXPECT_TRUE(st[2].standalone);
  EXPECT_FALSE(st[3].standalone);
  EXPECT_FALSE(st[4].standalone);

  RunReport r = m.apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_EQ(
      db->query(
          "SELECT c.relname || '|' || i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = "
          "i.indexrelid WHERE c.relname LIKE 'idx_events_%' ORDER BY 1"),
      (std::vector<std::string>{"idx_events_created|true", "idx_events_kind|true"}));
  EXPECT_EQ(
      db->query(
          "SELECT transactional || '|' || success || '|' || statement_index FROM migrate_history "
          "WHERE version = '2'"),
      std::vector<std::string>{"false|true|5"});
}

TEST(PostgresExecution, AFailedUniqueBuildLeavesAnInvalidIndexThatTheRetryRepairs) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration(
      "V1__users.up.sql",
      "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n"
      "INSERT INTO users SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 2000) g;\n"
      "INSERT INTO users VALUES (2001, 'user7@example.com');\n");
  ws.write_migration(
      "V2__unique_email.up.sql",
      "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON users (email);\n");
  Migrator m(pg_options(ws, *db));
  RunReport failed = m.apply(std::nullopt);
  ASSERT_TRUE(failed.error);
  EXPECT_EQ(failed.error->code, ErrorCode::kStatementFailed);
  EXPECT_EQ(failed.error->sqlstate, "23505");
  // PostgreSQL leaves the half-built index behind, INVALID.
  EXPECT_EQ(db->query("SELECT i.indisvalid::text FROM pg_index i JOIN pg_class c ON c.oid = "
                      "i.indexrelid WHERE c.relname "
                      "= 'users_email_key'"),
            std::vector<std::string>{"false"});
  for (const auto& s : *m.status())
    if (s.version == "2") {
      EXPECT_EQ(s.state, State::kFailed);
    }

  // The data is fixed; IF NOT EXISTS must not take the invalid index for a finished one.
  db->execute("DELETE FROM users WHERE id = 2001");
  LogCapture log;
  Options retry = pg_options(ws, *db);
  retry.retry_failed = true;
  retry.log = log.sink();
  RunReport fixed = Migrator(retry).apply(std::nullopt);
  ASSERT_FALSE(fixed.error) << fixed.error->describe();
  EXPECT_NE(log.all().find("is INVALID (left by an earlier failed build): dropping it"),
            std::string::npos)
      << log.all();
  EXPECT_EQ(db->query("SELECT i.indisvalid::text FROM pg_index i JOIN pg_class c ON c.oid = "
                      "i.indexrelid WHERE c.relname "
                      "= 'users_email_key'"),
            std::vector<std::string>{"true"});
}

TEST(PostgresExecution, KillDuringAStandaloneStepThenTheRerunResumesAndTheHistoryIsExact) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__jobs.up.sql", "CREATE TABLE jobs (id bigint PRIMARY KEY, note text);\n");
  ws.write_migration("V2__slow.up.sql",
                     "-- migrate:transaction off\n"
                     "INSERT INTO jobs VALUES (1, 'before');\n"
                     "SELECT pg_sleep(2);\n"
                     "INSERT INTO jobs VALUES (2, 'after');\n");
  std::vector<std::string> args{"--db",        db->url(), "--dir", ws.migrations().string(),
                                "--log-level", "warn",    "apply"};
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // the real migrate binary, so kill -9 hits exactly the process that migrates
    std::string binary = MIGRATE_BINARY;
    std::vector<char*> argv{binary.data()};
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  // Wait until statement 1 of V2 is recorded, i.e. the sleep is running, then kill -9 the run.
  bool running = false;
  for (int i = 0; i < 200 && !running; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    try {
      running = db->query(
                    "SELECT statement_index FROM migrate_history WHERE version = '2' AND success "
                    "IS NULL") == std::vector<std::string>{"1"};
    } catch (const std::exception&) {
    }
  }
  ASSERT_TRUE(running) << "the migration never reached its slow statement";
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);

  Migrator m(pg_options(ws, *db));
  for (const auto& s : *m.status())
    if (s.version == "2") {
      EXPECT_EQ(s.state, State::kRunning);
    }

  // The rerun waits for the dead run's session to end (its advisory lock goes with it), then
  // resumes at statement 2 without --retry-failed: the lock proves the other run is gone.
  Options o = pg_options(ws, *db);
  o.lock_wait = std::chrono::milliseconds(30'000);
  RunReport r = Migrator(o).apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_EQ(db->query("SELECT id || '|' || note FROM jobs ORDER BY id"),
            (std::vector<std::string>{"1|before", "2|after"}));
  EXPECT_EQ(db->query("SELECT success || '|' || statement_index || '|' || error_code FROM "
                      "migrate_history WHERE "
                      "version = '2' ORDER BY id"),
            (std::vector<std::string>{"false|1|INTERRUPTED", "true|3|"}));
}

TEST(PostgresExecution, TheMigrationLockTimesOutNamingItsHolder) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id int);\n");
  Options holder_options = pg_options(ws, *db);
  holder_options.application_name = "holder-service";
  // Hold the same advisory lock through a migration that sleeps.
  ws.write_migration("V2__sleep.up.sql", "-- migrate:transaction off\nSELECT pg_sleep(3);\n");
  RunReport held;
  std::thread holder([&] { held = Migrator(holder_options).apply(std::nullopt); });
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  Options waiter = pg_options(ws, *db);
  waiter.lock_wait = std::chrono::milliseconds(300);
  RunReport r = Migrator(waiter).apply(std::nullopt);
  auto holders = Migrator(waiter).lock_holders();
  holder.join();
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kRunInProgress);
  EXPECT_NE(r.error->message.find("holder-service/"), std::string::npos) << r.error->message;
  EXPECT_NE(r.error->message.find("pid "), std::string::npos);
  ASSERT_TRUE(holders);
  // The lock connection first, then the run's statement connection and its blocker monitor,
  // each named by its role: only the first holds the migration lock.
  ASSERT_EQ(holders->size(), 3u);
  EXPECT_NE((*holders)[0].application_name.find("holder-service"), std::string::npos);
  EXPECT_EQ((*holders)[0].role, "run lock holder");
  std::map<std::string, DatabaseSession> by_role;
  for (const auto& h : *holders) by_role[h.role] = h;
  ASSERT_EQ(by_role.size(), 3u);
  EXPECT_NE(by_role["statement session"].query.find("pg_sleep"), std::string::npos);
  EXPECT_TRUE(by_role["statement session"].application_name.ends_with(" migrations"));
  EXPECT_TRUE(by_role["monitor"].application_name.ends_with(" monitor"));
  EXPECT_NE(r.error->message.find("with its statement session pid"), std::string::npos)
      << r.error->message;
  EXPECT_FALSE(held.error);
}

}  // namespace
}  // namespace migrate

namespace migrate {
namespace {

TEST(PostgresExecution, StatusShowsTheRunningMigrationItsStepAndTheLockHolder) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id int);\n");
  ws.write_migration(
      "V2__slow.up.sql",
      "-- migrate:transaction off\nINSERT INTO a VALUES (1);\nSELECT pg_sleep(4);\n");
  Options o = pg_options(ws, *db);
  o.application_name = "deploy-job";
  RunReport r;
  std::thread run([&] { r = Migrator(o).apply(std::nullopt); });
  bool running = false;
  for (int i = 0; i < 200 && !running; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    try {
      running = db->query(
                    "SELECT statement_index FROM migrate_history WHERE version = '2' AND success "
                    "IS NULL") == std::vector<std::string>{"1"};
    } catch (const std::exception&) {
    }
  }
  auto status = testing::run_migrate(
      {"--db", db->url(), "--dir", ws.migrations().string(), "--output", "json", "status"},
      ws.root());
  auto text = testing::run_migrate({"--db", db->url(), "--dir", ws.migrations().string(), "status"},
                                   ws.root());
  run.join();
  ASSERT_TRUE(running);
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto j = nlohmann::json::parse(status.out);
  EXPECT_EQ(j["migrations"][1]["state"], "running");
  EXPECT_EQ(j["migrations"][1]["last_attempt"]["statement_index"], 1);
  // The lock connection, then the run's other connections, each with its role: the statement
  // session (where its work runs) and the blocker monitor hold no migration lock.
  ASSERT_EQ(j["lock_holders"].size(), 3u) << status.out;
  EXPECT_NE(j["lock_holders"][0]["application_name"].get<std::string>().find("deploy-job/"),
            std::string::npos);
  EXPECT_EQ(j["lock_holders"][0]["role"], "run lock holder");
  std::map<std::string, nlohmann::json> by_role;
  for (const auto& h : j["lock_holders"]) by_role[h["role"].get<std::string>()] = h;
  ASSERT_EQ(by_role.size(), 3u) << status.out;
  EXPECT_NE(by_role["statement session"]["application_name"].get<std::string>().find(" migrations"),
            std::string::npos);
  EXPECT_NE(by_role["statement session"]["query"].get<std::string>().find("pg_sleep"),
            std::string::npos);
  EXPECT_NE(by_role["monitor"]["application_name"].get<std::string>().find(" monitor"),
            std::string::npos);
  EXPECT_NE(text.out.find("running now, 1 statement(s) done"), std::string::npos) << text.out;
  // One "migration lock held by" line, for the lock connection only.
  const auto held_by = text.out.find("migration lock held by pid");
  ASSERT_NE(held_by, std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("migration lock held by", held_by + 1), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("statement session of that run: pid"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("monitor of that run: pid"), std::string::npos) << text.out;
  EXPECT_FALSE(r.error);
}

}  // namespace
}  // namespace migrate

namespace migrate {
namespace {

TEST(PostgresExecution, PreflightReportsLongTransactionsOnThePlansTablesAndCanRefuse) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__orders.up.sql", "CREATE TABLE orders (id int PRIMARY KEY);\n");
  ASSERT_FALSE(Migrator(pg_options(ws, *db)).apply(std::nullopt).error);
  ws.write_migration("V2__note.up.sql", "ALTER TABLE orders ADD COLUMN note text;\n");

  pqxx::connection old(db->url());
  pqxx::work old_tx(old);
  old_tx.exec("SELECT count(*) FROM orders");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  LogCapture log;
  Options refuse = pg_options(ws, *db);
  refuse.preflight_min_age = std::chrono::milliseconds(100);
  refuse.wait_for_quiet = std::chrono::milliseconds(600);
  refuse.log = log.sink();
  RunReport r = Migrator(refuse).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kBusy);
  EXPECT_NE(r.error->message.find("pid " + std::to_string(old.backendpid())), std::string::npos)
      << r.error->message;
  EXPECT_NE(r.error->message.find("AccessShareLock on orders (granted)"), std::string::npos)
      << r.error->message;
  EXPECT_TRUE(r.steps.empty());
  EXPECT_EQ(db->query("SELECT count(*) FROM migrate_history WHERE version = '2'"),
            std::vector<std::string>{"0"});

  // Report-only (the default): a warning names the session, and the run goes on; here the
  // statement then waits on lock_timeout and retries until the old transaction ends.
  Options report = pg_options(ws, *db);
  report.preflight_min_age = std::chrono::milliseconds(100);
  report.lock_timeout = std::chrono::milliseconds(100);
  report.lock_retries = 40;
  report.retry_cap = std::chrono::milliseconds(100);
  report.log = log.sink();
  RunReport ok;
  std::thread run([&] { ok = Migrator(report).apply(std::nullopt); });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  old_tx.commit();
  run.join();
  ASSERT_FALSE(ok.error) << ok.error->describe();
  EXPECT_NE(log.all().find("pre-flight: 1 long transaction(s)"), std::string::npos) << log.all();
}

}  // namespace
}  // namespace migrate

namespace migrate {
namespace {

TEST(PostgresExecution, ALockTimeoutDirectiveOverridesTheRunsDefault) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__t.up.sql", "CREATE TABLE t (id int);\n");
  ASSERT_FALSE(Migrator(pg_options(ws, *db)).apply(std::nullopt).error);
  ws.write_migration("V2__c.up.sql",
                     "-- migrate:lock-timeout 50ms\nALTER TABLE t ADD COLUMN c int;\n");
  pqxx::connection blocker(db->url());
  pqxx::work tx(blocker);
  tx.exec("SELECT * FROM t");
  Options o = pg_options(ws, *db);
  o.lock_timeout = std::chrono::milliseconds(60'000);  // would hang the test if it were used
  o.lock_retries = 0;
  // Waiting outside the lock queue, the budget follows the directive's lock_timeout too.
  RunReport outside = Migrator(o).apply(std::nullopt);
  ASSERT_TRUE(outside.error);
  EXPECT_EQ(outside.error->code, ErrorCode::kLockTimeout);
  EXPECT_NE(outside.error->message.find("the step's wait budget (50 ms)"), std::string::npos)
      << outside.error->message;
  // In the queue (avoidance off), the statement's lock_timeout is the directive's.
  o.queue_avoidance = false;
  RunReport r = Migrator(o).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kLockTimeout);
  EXPECT_EQ(r.error->sqlstate, "55P03");
  EXPECT_NE(r.error->message.find("lock_timeout 50 ms"), std::string::npos) << r.error->message;
  EXPECT_NE(r.error->message.find("blocked by pid " + std::to_string(blocker.backendpid())),
            std::string::npos)
      << r.error->message;
}

}  // namespace
}  // namespace migrate

namespace migrate {
namespace {

TEST(PostgresExecution, HistoryLivesInAConfigurableSchemaCreatedIfMissingWithQuotedNames) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__t.up.sql", "CREATE TABLE t (id int);\n");
  Options o = pg_options(ws, *db);
  o.history_schema = "Ops Schema";
  o.history_table = "schema \"history\"";
  ASSERT_FALSE(Migrator(o).apply(std::nullopt).error);
  EXPECT_EQ(
      db->query(
          "SELECT count(*) FROM \"Ops Schema\".\"schema \"\"history\"\"\" WHERE direction = 'up'"),
      std::vector<std::string>{"1"});
  EXPECT_EQ(db->query("SELECT count(*) FROM pg_tables WHERE tablename = 'migrate_history'"),
            std::vector<std::string>{"0"});
  auto status = Migrator(o).status();
  ASSERT_TRUE(status);
  EXPECT_EQ((*status)[0].state, State::kApplied);
}

// The down files pass apply's gate: a down that drops a table its up file did not create is
// drop-table at error level, refused before anything reverts unless --allow-unsafe; the table its
// own up created is only a warning. plan_rollback carries the same refusal.
TEST(PostgresExecution, RollbackRefusesAnUnsafeDownFileUnlessAllowed) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  // Big enough that the lock rules keep their severity (small tables drop to info).
  ws.write_migration("V1__items.up.sql",
                     "CREATE TABLE items (id bigint PRIMARY KEY);\n"
                     "INSERT INTO items SELECT generate_series(1, 20000);\nANALYZE items;\n");
  ws.write_migration("V1__items.down.sql", "DROP TABLE items;\n");
  ws.write_migration("V2__archive.up.sql", "CREATE TABLE archive (id bigint);\n");
  ws.write_migration("V2__archive.down.sql", "DROP TABLE archive;\nDROP TABLE items;\n");
  Migrator m(pg_options(ws, *db));
  ASSERT_FALSE(m.apply(std::nullopt).error);
  const auto history = db->query("SELECT count(*) FROM migrate_history");

  auto plan = m.plan_rollback(RollbackTarget{std::nullopt, 1});
  ASSERT_TRUE(plan) << plan.error().describe();
  ASSERT_TRUE(plan->refusal);
  EXPECT_EQ(plan->refusal->code, ErrorCode::kUnsafeMigration);
  ASSERT_TRUE(plan->steps[0].analysis);
  int errors = 0;
  for (const auto& f : plan->steps[0].analysis->findings) {
    if (f.rule_id != "drop-table") continue;
    if (f.severity == Severity::kError) ++errors;
    // items (line 2) is not V2's own: error; archive (line 1) is, so never more than a warning.
    EXPECT_EQ(f.severity == Severity::kError, f.where.line == 2) << f.message;
  }
  EXPECT_EQ(errors, 1);

  RunReport r = m.rollback(RollbackTarget{std::nullopt, 1});
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kUnsafeMigration) << r.error->describe();
  EXPECT_NE(r.error->message.find("V2__archive.down.sql:2:1: [drop-table]"), std::string::npos)
      << r.error->message;
  EXPECT_EQ(db->query("SELECT count(*) FROM migrate_history"), history);
  EXPECT_EQ(db->query("SELECT count(*) FROM pg_tables WHERE tablename IN ('items', 'archive') "
                      "AND schemaname = 'public'"),
            std::vector<std::string>{"2"});

  Options unsafe = pg_options(ws, *db);
  unsafe.allow_unsafe = true;
  RunReport allowed = Migrator(unsafe).rollback(RollbackTarget{std::nullopt, 1});
  ASSERT_FALSE(allowed.error) << allowed.error->describe();
  EXPECT_EQ(db->query("SELECT count(*) FROM pg_tables WHERE tablename IN ('items', 'archive') "
                      "AND schemaname = 'public'"),
            std::vector<std::string>{"0"});
}

}  // namespace
}  // namespace migrate
