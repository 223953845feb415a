// Scenario S1 (shared/SCENARIOS.md): a column, a concurrent index and a CHECK constraint added to
// a busy table from ONE plain up file, sql_fixtures/scenarios/s1_busy_table. The runbook's manual
// BEGIN/COMMIT around the concurrent index becomes: transaction 1 (ADD COLUMN), the index build on
// its own, transaction 2 (constraint + ANALYZE). Rollback drops constraint, index and column.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>

#include "migrate/migrator.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::PostgresTestDatabase;
using testing::TestWorkspace;

const std::filesystem::path kScenario =
    std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures/scenarios/s1_busy_table";

// The scenario folder also holds a README.md, which a migrations directory may not: the test links
// the .sql files into the workspace.
void link_scenario(const TestWorkspace& ws) {
  for (const auto& e : std::filesystem::directory_iterator(kScenario))
    if (e.path().extension() == ".sql")
      std::filesystem::create_symlink(e.path(), ws.migrations() / e.path().filename());
}

// The runbook's own statements include a validating CHECK, which apply refuses by default
// (ScenarioS1.TheValidatingCheckIsFlaggedWithTheNotValidProcedureAndRefused); these tests run
// them as an operator who accepted it would: with allow_unsafe.
Options s1_options(const TestWorkspace& ws, const PostgresTestDatabase& db) {
  Options o;
  o.database_url = db.url();
  o.migrations_dir = ws.migrations();
  o.allow_unsafe = true;
  return o;
}

std::vector<std::string> column(const PostgresTestDatabase& db) {
  return db.query(
      "SELECT data_type, character_maximum_length, column_default FROM information_schema.columns "
      "WHERE table_schema = 'public' AND table_name = 'messages' AND column_name = 'sentiment'");
}

std::vector<std::string> index_validity(const PostgresTestDatabase& db) {
  return db.query(
      "SELECT i.indisvalid, i.indisready FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
      "WHERE c.relname = 'idx_messages_sentiment' AND i.indrelid = 'public.messages'::regclass");
}

std::vector<std::string> constraint(const PostgresTestDatabase& db) {
  return db.query(
      "SELECT contype, convalidated FROM pg_constraint WHERE conname = 'check_sentiment' "
      "AND conrelid = 'public.messages'::regclass");
}

// Everything the runbook checks after the change.
void expect_sentiment_in_place(const PostgresTestDatabase& db) {
  EXPECT_EQ(column(db),
            std::vector<std::string>{"character varying|20|'neutral'::character varying"});
  EXPECT_EQ(index_validity(db), std::vector<std::string>{"t|t"});
  EXPECT_EQ(constraint(db), std::vector<std::string>{"c|t"});
  EXPECT_EQ(db.query("SELECT count(*) FROM messages"), std::vector<std::string>{"5000"});
  EXPECT_EQ(db.query("SELECT count(*) FROM messages WHERE sentiment IS NULL"),
            std::vector<std::string>{"0"});
  EXPECT_EQ(db.query("SELECT count(*) FROM messages "
                     "WHERE sentiment NOT IN ('positive', 'negative', 'neutral')"),
            std::vector<std::string>{"0"});
  // ANALYZE ran: the planner has statistics for the new column.
  EXPECT_EQ(db.query("SELECT count(*) FROM pg_stats WHERE schemaname = 'public' "
                     "AND tablename = 'messages' AND attname = 'sentiment'"),
            std::vector<std::string>{"1"});
}

void expect_sentiment_gone(const PostgresTestDatabase& db) {
  EXPECT_TRUE(column(db).empty());
  EXPECT_TRUE(index_validity(db).empty());
  EXPECT_TRUE(constraint(db).empty());
  EXPECT_EQ(db.query("SELECT count(*) FROM messages"), std::vector<std::string>{"5000"});
}

// Groups of consecutive statements as the executor runs them: "T1,T3,T4" for a transaction,
// "S2" for a standalone statement.
std::vector<std::string> groups(const PlannedStep& step) {
  std::vector<std::string> out;
  bool in_tx = false;
  for (const auto& s : step.statements) {
    if (s.standalone) {
      out.push_back("S" + std::to_string(s.index));
      in_tx = false;
    } else if (in_tx) {
      out.back() += ",T" + std::to_string(s.index);
    } else {
      out.push_back("T" + std::to_string(s.index));
      in_tx = true;
    }
  }
  return out;
}

TEST(ScenarioS1, PlanSplitsTheConcurrentIndexOutOfTheTransaction) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  link_scenario(ws);
  Migrator m(s1_options(ws, *db));
  auto plan = m.plan_apply(std::nullopt);
  ASSERT_TRUE(plan) << plan.error().describe();
  ASSERT_EQ(plan->steps.size(), 2u);

  const PlannedStep& v1 = plan->steps[0];
  EXPECT_EQ(v1.version, "1");
  EXPECT_TRUE(v1.transactional);
  for (const auto& s : v1.statements) EXPECT_FALSE(s.standalone) << s.sql;

  const PlannedStep& v2 = plan->steps[1];
  EXPECT_EQ(v2.version, "2");
  EXPECT_EQ(v2.name, "sentiment");
  EXPECT_FALSE(v2.transactional);
  ASSERT_EQ(v2.statements.size(), 4u);
  const auto& st = v2.statements;
  EXPECT_EQ(st[0].index, 1);
  EXPECT_TRUE(st[0].sql.starts_with("ALTER TABLE messages ADD COLUMN sentiment")) << st[0].sql;
  EXPECT_FALSE(st[0].standalone);
  EXPECT_TRUE(st[1].sql.starts_with("CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_messages_"))
      << st[1].sql;
  EXPECT_TRUE(st[1].standalone);
  EXPECT_NE(st[1].standalone_reason.find("CONCURRENTLY"), std::string::npos)
      << st[1].standalone_reason;
  EXPECT_TRUE(st[2].sql.starts_with("ALTER TABLE messages ADD CONSTRAINT check_sentiment"))
      << st[2].sql;
  EXPECT_FALSE(st[2].standalone);
  EXPECT_EQ(st[3].sql, "ANALYZE messages;");
  EXPECT_FALSE(st[3].standalone);
  EXPECT_EQ(groups(v2), (std::vector<std::string>{"T1", "S2", "T3,T4"}));
  for (const auto& s : st) {
    EXPECT_TRUE(s.takes_relation_lock) << s.sql;
    EXPECT_EQ(s.relations, std::vector<std::string>{"messages"}) << s.sql;
  }
}

TEST(ScenarioS1, TheValidatingCheckIsFlaggedWithTheNotValidProcedureAndRefused) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  link_scenario(ws);
  Options strict = s1_options(ws, *db);
  strict.allow_unsafe = false;
  ASSERT_FALSE(Migrator(strict).apply(std::string("1")).error);
  // A busy table: with a connection, lock rules drop to info below 10,000 rows (the catalog's
  // estimate), so make it big enough to count and let ANALYZE tell the catalog.
  db->execute(
      "INSERT INTO messages (sender, body) SELECT 'bulk', 'row ' || g FROM generate_series(1, "
      "20000) g");
  db->execute("ANALYZE messages");
  auto plan = Migrator(strict).plan_apply(std::nullopt);
  ASSERT_TRUE(plan) << plan.error().describe();
  ASSERT_EQ(plan->steps.size(), 1u);
  ASSERT_TRUE(plan->steps[0].analysis);
  const Finding* check = nullptr;
  for (const auto& f : plan->steps[0].analysis->findings)
    if (f.rule_id == "check-validating") check = &f;
  ASSERT_NE(check, nullptr);
  EXPECT_EQ(check->severity, Severity::kError);
  EXPECT_EQ(check->where.statement, 3);
  EXPECT_NE(check->alternative.find("NOT VALID"), std::string::npos) << check->alternative;
  EXPECT_NE(check->alternative.find("VALIDATE CONSTRAINT check_sentiment"), std::string::npos)
      << check->alternative;
  // The CIC step does not count against the plan: it is the safe form.
  for (const auto& f : plan->steps[0].analysis->findings)
    EXPECT_NE(f.rule_id, "create-index-blocking");

  RunReport refused = Migrator(strict).apply(std::nullopt);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code, ErrorCode::kUnsafeMigration);
  EXPECT_NE(refused.error->message.find("[check-validating]"), std::string::npos);
  EXPECT_TRUE(column(*db).empty()) << "nothing may run when apply refuses";
}

TEST(ScenarioS1, ApplyRollbackToOneAndApplyAgain) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  link_scenario(ws);
  Migrator m(s1_options(ws, *db));

  RunReport up = m.apply(std::nullopt);
  ASSERT_FALSE(up.error) << up.error->describe();
  ASSERT_EQ(up.steps.size(), 2u);
  EXPECT_TRUE(up.steps[1].success);
  EXPECT_EQ(up.steps[1].statements_run, 4);
  expect_sentiment_in_place(*db);
  EXPECT_EQ(db->query("SELECT statement_index, transactional, success, error_code "
                      "FROM migrate_history WHERE version = '2' AND direction = 'up'"),
            std::vector<std::string>{"4|f|t|"});

  // The down file runs the same way: DROP INDEX CONCURRENTLY on its own.
  auto down_plan = m.plan_rollback(RollbackTarget{std::string("1"), std::nullopt});
  ASSERT_TRUE(down_plan) << down_plan.error().describe();
  ASSERT_EQ(down_plan->steps.size(), 1u);
  EXPECT_EQ(down_plan->steps[0].version, "2");
  EXPECT_EQ(groups(down_plan->steps[0]), (std::vector<std::string>{"T1", "S2", "T3"}));

  RunReport down = m.rollback(RollbackTarget{std::string("1"), std::nullopt});
  ASSERT_FALSE(down.error) << down.error->describe();
  ASSERT_EQ(down.steps.size(), 1u);
  EXPECT_EQ(down.steps[0].version, "2");
  expect_sentiment_gone(*db);
  EXPECT_EQ(db->query("SELECT statement_index, transactional, success "
                      "FROM migrate_history WHERE version = '2' AND direction = 'down'"),
            std::vector<std::string>{"3|f|t"});
  auto status = m.status();
  ASSERT_TRUE(status) << status.error().describe();
  ASSERT_EQ(status->size(), 2u);
  EXPECT_EQ((*status)[0].state, State::kApplied);
  EXPECT_EQ((*status)[1].state, State::kPending);

  RunReport again = m.apply(std::nullopt);
  ASSERT_FALSE(again.error) << again.error->describe();
  ASSERT_EQ(again.steps.size(), 1u);
  expect_sentiment_in_place(*db);
  EXPECT_EQ(db->query("SELECT statement_index, transactional, success FROM migrate_history "
                      "WHERE version = '2' AND direction = 'up' ORDER BY id"),
            (std::vector<std::string>{"4|f|t", "4|f|t"}));
}

// The busy table has writers. One of them sits idle in transaction after an UPDATE (ROW
// EXCLUSIVE on messages) just as V002's concurrent index build starts: CREATE INDEX CONCURRENTLY
// commits its (invalid) index, then waits for that transaction and hits lock_timeout. Each retry
// first drops the invalid index with DROP INDEX CONCURRENTLY, which waits for the same writer.
struct IdleWriterRun {
  bool hung = false;    // apply had not returned after `limit`
  std::string waiting;  // what PostgreSQL sessions were waiting for then
  std::vector<std::string> log;
  RunReport report;  // after the writer committed
};

IdleWriterRun apply_with_idle_writer_during_index_build(const PostgresTestDatabase& db, Options o,
                                                        std::chrono::seconds limit) {
  std::mutex mu;
  IdleWriterRun out;
  std::unique_ptr<pqxx::connection> writer;
  std::unique_ptr<pqxx::work> writer_tx;
  Observer observer;
  observer.before_statement = [&](const PlannedStep& step, const PlannedStatement& st) {
    std::lock_guard<std::mutex> g(mu);
    if (step.version != "2" || st.index != 2 || writer) return;
    writer = std::make_unique<pqxx::connection>(db.url());
    writer_tx = std::make_unique<pqxx::work>(*writer);
    writer_tx->exec("UPDATE messages SET body = body WHERE id = 1");
  };
  o.lock_timeout = std::chrono::milliseconds(100);
  o.lock_retries = 2;
  o.retry_base = std::chrono::milliseconds(50);
  o.retry_cap = std::chrono::milliseconds(100);
  o.log = [&](LogLevel, const std::string& m) {
    std::lock_guard<std::mutex> g(mu);
    out.log.push_back(m);
  };
  Migrator m(o);
  auto run = std::async(std::launch::async, [&] { return m.apply(std::nullopt, observer); });
  out.hung = run.wait_for(limit) != std::future_status::ready;
  if (out.hung) {
    for (const auto& w : db.query(
             "SELECT wait_event_type || '/' || wait_event || ': ' || query FROM pg_stat_activity "
             "WHERE datname = current_database() AND query LIKE '%INDEX CONCURRENTLY%' "
             "AND pid <> pg_backend_pid()")) {
      out.waiting += "\n  " + w;
    }
  }
  {
    std::lock_guard<std::mutex> g(mu);
    if (writer_tx) writer_tx->commit();  // lets a hung run go on
    writer_tx.reset();
  }
  out.report = run.get();
  return out;
}

// With lock_timeout 100 ms and 2 retries, the run must end within a second or so with
// LOCK_TIMEOUT, and a retry after the writer is gone must finish the migration.
TEST(ScenarioS1, AWriterIdleInTransactionDuringTheIndexBuildEndsInLockTimeoutNotAHang) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  link_scenario(ws);
  {
    RunReport first = Migrator(s1_options(ws, *db)).apply(std::string("1"));
    ASSERT_FALSE(first.error) << first.error->describe();
  }
  auto run =
      apply_with_idle_writer_during_index_build(*db, s1_options(ws, *db), std::chrono::seconds(10));
  EXPECT_FALSE(run.hung) << "apply did not return within 10 s with lock_timeout 100 ms and 2 "
                            "retries; PostgreSQL sessions waiting:"
                         << run.waiting;
  if (!run.hung) {
    ASSERT_TRUE(run.report.error);
    EXPECT_EQ(run.report.error->code, ErrorCode::kLockTimeout) << run.report.error->describe();
    EXPECT_EQ(run.report.error->where.statement, 2);
    EXPECT_EQ(db->query("SELECT success, error_code, statement_index, transactional "
                        "FROM migrate_history WHERE version = '2' AND direction = 'up'"),
              std::vector<std::string>{"f|55P03|1|f"});
    Options retry = s1_options(ws, *db);
    retry.retry_failed = true;
    RunReport done = Migrator(retry).apply(std::nullopt);
    ASSERT_FALSE(done.error) << done.error->describe();
  }
  expect_sentiment_in_place(*db);
}

// The same with lock_timeout also set as the database's default (ALTER DATABASE ... SET
// lock_timeout, common in production): the retry's DROP INDEX CONCURRENTLY of the invalid index
// times out too. That is a lock timeout like any other: LOCK_TIMEOUT, and the attempt recorded as
// failed in the history, not left without an outcome.
TEST(ScenarioS1, ALockTimeoutWhileDroppingTheInvalidIndexIsALockTimeoutAndIsRecorded) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  link_scenario(ws);
  {
    RunReport first = Migrator(s1_options(ws, *db)).apply(std::string("1"));
    ASSERT_FALSE(first.error) << first.error->describe();
  }
  db->execute("ALTER DATABASE \"" + db->name() + "\" SET lock_timeout = '300ms'");
  auto run =
      apply_with_idle_writer_during_index_build(*db, s1_options(ws, *db), std::chrono::seconds(10));
  ASSERT_FALSE(run.hung) << run.waiting;
  ASSERT_TRUE(run.report.error);
  std::string log;
  for (const auto& l : run.log) log += l + "\n";
  EXPECT_EQ(run.report.error->code, ErrorCode::kLockTimeout)
      << run.report.error->describe() << "\nlog:\n"
      << log;
  EXPECT_EQ(run.report.error->sqlstate, "55P03");
  EXPECT_EQ(run.report.error->where.statement, 2);
  EXPECT_EQ(db->query("SELECT success, error_code, statement_index, error_statement "
                      "FROM migrate_history WHERE version = '2' AND direction = 'up'"),
            std::vector<std::string>{"f|55P03|1|2"});
  auto status = Migrator(s1_options(ws, *db)).status();
  ASSERT_TRUE(status) << status.error().describe();
  EXPECT_EQ((*status)[1].state, State::kFailed);

  Options retry = s1_options(ws, *db);
  retry.retry_failed = true;
  RunReport done = Migrator(retry).apply(std::nullopt);
  ASSERT_FALSE(done.error) << done.error->describe();
  expect_sentiment_in_place(*db);
}

}  // namespace
}  // namespace migrate
