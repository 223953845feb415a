// Scenario S4 (shared/SCENARIOS.md): a stalled migration. V002 of
// sql_fixtures/scenarios/s4_stalled_migration (ALTER TABLE orders ADD COLUMN note) meets a session
// that read `orders` and stays idle in transaction. libmigrate must not hang: each attempt waits at
// most lock_timeout, every retry names the blocker, the run ends with LOCK_TIMEOUT and a failed
// attempt in the history, and a retry after the blocker is gone succeeds.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
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

const std::filesystem::path kScenario =
    std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures/scenarios/s4_stalled_migration";

void link_scenario(const TestWorkspace& ws) {
  for (const auto& e : std::filesystem::directory_iterator(kScenario))
    if (e.path().extension() == ".sql")
      std::filesystem::create_symlink(e.path(), ws.migrations() / e.path().filename());
}

Options s4_options(const TestWorkspace& ws, const PostgresTestDatabase& db) {
  Options o;
  o.database_url = db.url();
  o.migrations_dir = ws.migrations();
  return o;
}

using testing::LogCapture;

// A session that read `orders` and then does nothing: ACCESS SHARE held, idle in transaction.
struct Blocker {
  explicit Blocker(const std::string& url) : conn(url) {
    pqxx::nontransaction(conn).exec("SET application_name = 's4_blocker'");
    tx = std::make_unique<pqxx::work>(conn);
    tx->exec("SELECT * FROM orders");
    pid = conn.backendpid();
  }
  void commit() {
    if (!tx) return;
    tx->commit();
    tx.reset();
  }
  pqxx::connection conn;
  std::unique_ptr<pqxx::work> tx;
  int pid = 0;
};

// Runs `f` on another thread; if it has not returned within `limit` (it hangs behind the
// blocker), fails the test and ends the blocker's transaction so that it can return.
template <typename F>
auto returns_within(std::chrono::seconds limit, Blocker& blocker, F f) {
  auto result = std::async(std::launch::async, std::move(f));
  if (result.wait_for(limit) != std::future_status::ready) {
    ADD_FAILURE() << "did not return within " << limit.count() << " s: it hangs behind the blocker";
    blocker.commit();
  }
  return result.get();
}

TEST(ScenarioS4, LockTimeoutRetriesNameTheBlockerThenFailAndTheRetrySucceedsOnceItIsGone) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  link_scenario(ws);
  {
    RunReport first = Migrator(s4_options(ws, *db)).apply(std::string("1"));
    ASSERT_FALSE(first.error) << first.error->describe();
  }
  Blocker blocker(db->url());
  ASSERT_EQ(
      db->query("SELECT state FROM pg_stat_activity WHERE pid = " + std::to_string(blocker.pid)),
      std::vector<std::string>{"idle in transaction"});

  LogCapture log;
  Options o = s4_options(ws, *db);
  // The lock queue itself: each attempt waits in it for lock_timeout. By default the run waits
  // outside the queue instead (the CLI test below, lock_queue_avoidance_test.cpp).
  o.queue_avoidance = false;
  o.lock_timeout = std::chrono::milliseconds(100);
  o.lock_retries = 2;
  o.retry_base = std::chrono::milliseconds(50);
  o.retry_cap = std::chrono::milliseconds(100);
  o.log = log.sink();
  Migrator m(o);

  const auto started = std::chrono::steady_clock::now();
  RunReport stalled =
      returns_within(std::chrono::seconds(20), blocker, [&] { return m.apply(std::nullopt); });
  const auto took = std::chrono::steady_clock::now() - started;
  // Three attempts of 100 ms and two waits of at most 100 ms: well under 10 s.
  EXPECT_LT(took, std::chrono::seconds(10));
  ASSERT_TRUE(stalled.error);
  EXPECT_EQ(stalled.error->code, ErrorCode::kLockTimeout) << stalled.error->describe();
  EXPECT_EQ(stalled.error->sqlstate, "55P03");
  EXPECT_EQ(stalled.error->where.version, "2");
  EXPECT_EQ(stalled.error->where.statement, 1);
  EXPECT_NE(stalled.error->message.find("pid " + std::to_string(blocker.pid)), std::string::npos)
      << stalled.error->message;
  ASSERT_EQ(stalled.steps.size(), 1u);
  EXPECT_FALSE(stalled.steps[0].success);

  auto retries = log.containing("retry ");
  ASSERT_EQ(retries.size(), 2u) << log.all();
  for (const auto& line : retries) {
    EXPECT_NE(line.find("version 2"), std::string::npos) << line;
    EXPECT_NE(line.find("pid " + std::to_string(blocker.pid)), std::string::npos) << line;
    EXPECT_NE(line.find("idle in transaction"), std::string::npos) << line;
    EXPECT_NE(line.find("s4_blocker"), std::string::npos) << line;
    EXPECT_NE(line.find("SELECT * FROM orders"), std::string::npos) << line;
    EXPECT_NE(line.find("AccessShareLock on orders (granted)"), std::string::npos) << line;
  }
  EXPECT_NE(retries[0].find("retry 1/2"), std::string::npos) << retries[0];
  EXPECT_NE(retries[1].find("retry 2/2"), std::string::npos) << retries[1];

  // Nothing of V002 is applied; the history has its one failed attempt.
  EXPECT_TRUE(db->query("SELECT 1 FROM information_schema.columns WHERE table_name = 'orders' "
                        "AND column_name = 'note'")
                  .empty());
  EXPECT_EQ(db->query("SELECT success, error_code, error_statement, statement_index, "
                      "transactional FROM migrate_history WHERE version = '2' ORDER BY id"),
            std::vector<std::string>{"f|55P03|1|0|t"});
  auto status = m.status();
  ASSERT_TRUE(status) << status.error().describe();
  ASSERT_EQ(status->size(), 2u);
  EXPECT_EQ((*status)[0].state, State::kApplied);
  EXPECT_EQ((*status)[1].version, "2");
  EXPECT_EQ((*status)[1].state, State::kFailed);
  EXPECT_FALSE((*status)[1].last_applied);
  ASSERT_TRUE((*status)[1].last_attempt);
  EXPECT_EQ((*status)[1].last_attempt->error_code, "55P03");

  // The blocker ends. An attempt that only ran out of lock-timeout retries changed nothing, so a
  // plain apply tries again by itself (no --retry-failed needed) and succeeds.
  blocker.commit();
  RunReport done = m.apply(std::nullopt);
  ASSERT_FALSE(done.error) << done.error->describe();
  ASSERT_EQ(done.steps.size(), 1u);
  EXPECT_TRUE(done.steps[0].success);
  EXPECT_EQ(db->query("SELECT data_type FROM information_schema.columns WHERE table_name = "
                      "'orders' AND column_name = 'note'"),
            std::vector<std::string>{"text"});
  EXPECT_EQ(db->query("SELECT success, error_code FROM migrate_history WHERE version = '2' "
                      "ORDER BY id"),
            (std::vector<std::string>{"f|55P03", "t|"}));
  auto after = m.status();
  ASSERT_TRUE(after) << after.error().describe();
  EXPECT_EQ((*after)[1].state, State::kApplied);
}

TEST(ScenarioS4, TheCliExitsFiveWithLockTimeoutWhileTheBlockerHoldsItsLock) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  link_scenario(ws);
  {
    RunReport first = Migrator(s4_options(ws, *db)).apply(std::string("1"));
    ASSERT_FALSE(first.error) << first.error->describe();
  }
  Blocker blocker(db->url());

  const auto started = std::chrono::steady_clock::now();
  auto r = returns_within(std::chrono::seconds(20), blocker, [&] {
    return testing::run_migrate(
        {"--db", db->url(), "--dir", ws.migrations().string(), "apply", "--lock-timeout", "100ms",
         "--lock-retries", "1", "--output", "json"},
        ws.root());
  });
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  blocker.commit();
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(r.out)) << r.out << r.err;
  EXPECT_EQ(j["error"]["code"], "LOCK_TIMEOUT") << r.out;
  EXPECT_EQ(j["error"]["database_code"], "55P03") << r.out;
  EXPECT_NE(j["error"]["message"].get<std::string>().find("pid " + std::to_string(blocker.pid)),
            std::string::npos)
      << r.out;
  // By default the run waited outside the lock queue for its budget (3 x 100 ms + 200 ms).
  EXPECT_NE(j["error"]["message"].get<std::string>().find(
                "s outside the lock queue for ACCESS EXCLUSIVE on orders, the step's wait budget "
                "(500 ms)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(db->query("SELECT success, error_code FROM migrate_history WHERE version = '2'"),
            std::vector<std::string>{"f|55P03"});
  // Nothing in the file needs fixing and the planner resumes a 55P03 attempt by itself: the
  // advice is a plain rerun (or more patience), never "fix the file" or --retry-failed.
  const std::string hint = j["error"]["hint"].get<std::string>();
  EXPECT_NE(hint.find("needs fixing: run `migrate apply` again (without --retry-failed)"),
            std::string::npos)
      << hint;
  EXPECT_NE(hint.find("--lock-retries"), std::string::npos) << hint;
  EXPECT_EQ(hint.find("fix "), std::string::npos) << hint;
  EXPECT_EQ(hint.find("then run `migrate apply --retry-failed`"), std::string::npos) << hint;
  // And following it works: the same command, without --retry-failed, once the blocker is gone.
  auto rerun = testing::run_migrate({"--db", db->url(), "--dir", ws.migrations().string(), "apply"},
                                    ws.root());
  EXPECT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  EXPECT_EQ(db->query("SELECT success, error_code FROM migrate_history WHERE version = '2' "
                      "ORDER BY id"),
            (std::vector<std::string>{"f|55P03", "t|"}));
}

// With no lock_timeout at all (--lock-timeout 0) the statement waits as long as the blocker lives:
// the run must say so every few seconds, naming the blocker, and `status` from another terminal
// must show the step (transactional, so it has no history row yet), its statement, how long it
// has run and who blocks it.
TEST(ScenarioS4, AWaitWithoutLockTimeoutIsVisibleInTheLogAndInStatus) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  link_scenario(ws);
  {
    RunReport first = Migrator(s4_options(ws, *db)).apply(std::string("1"));
    ASSERT_FALSE(first.error) << first.error->describe();
  }
  Blocker blocker(db->url());
  LogCapture log;
  Options o = s4_options(ws, *db);
  o.lock_timeout = std::chrono::milliseconds(0);
  // The statement waiting in the lock queue; with avoidance the run waits outside it, which
  // status shows as the step (ScenarioS4.AWaitOutsideTheQueueIsVisibleInStatus).
  o.queue_avoidance = false;
  o.log = log.sink();
  Migrator m(o);
  auto run = std::async(std::launch::async, [&] { return m.apply(std::nullopt); });

  // Another process's view: the library's lock_holders, then the CLI's status.
  Migrator observer(s4_options(ws, *db));
  std::vector<DatabaseSession> seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const DatabaseSession* statement = nullptr;
  const DatabaseSession* holder = nullptr;
  while (std::chrono::steady_clock::now() < deadline) {
    auto holders = observer.lock_holders();
    ASSERT_TRUE(holders) << holders.error().describe();
    seen = *holders;
    statement = holder = nullptr;
    for (const auto& h : seen) {
      if (h.role == "statement session" && !h.blocked_by.empty()) statement = &h;
      if (h.role == "run lock holder" && !h.running_step.empty()) holder = &h;
    }
    if (statement && holder) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(statement && holder) << "the run's blocked statement never showed";
  EXPECT_EQ(statement->blocked_by, std::vector<int>{blocker.pid});
  EXPECT_EQ(statement->wait_event, "Lock: relation");
  EXPECT_NE(statement->query.find("ADD COLUMN note"), std::string::npos) << statement->query;
  EXPECT_NE(holder->running_step.find("apply 2 (add_orders_note)"), std::string::npos)
      << holder->running_step;
  auto blocking = std::find_if(seen.begin(), seen.end(),
                               [](const DatabaseSession& s) { return s.role == "blocks the run"; });
  ASSERT_NE(blocking, seen.end());
  EXPECT_EQ(blocking->pid, blocker.pid);
  EXPECT_EQ(blocking->state, "idle in transaction");
  EXPECT_NE(blocking->lock.find("AccessShareLock on orders (granted)"), std::string::npos);

  auto status = testing::run_migrate(
      {"--db", db->url(), "--dir", ws.migrations().string(), "status"}, ws.root());
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_NE(status.out.find("run in progress: apply 2 (add_orders_note)"), std::string::npos)
      << status.out;
  EXPECT_NE(status.out.find("running now"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("waiting (Lock: relation)"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("blocked by pid " + std::to_string(blocker.pid) + " (s4_blocker"),
            std::string::npos)
      << status.out;
  EXPECT_NE(status.out.find("idle in transaction"), std::string::npos) << status.out;

  // The run says it is still waiting, with the blocker, after 5 s and every 5 s after.
  while (log.containing("still waiting for a lock").empty() &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto waiting = log.containing("still waiting for a lock");
  ASSERT_FALSE(waiting.empty()) << log.all();
  EXPECT_NE(waiting[0].find("pid " + std::to_string(blocker.pid)), std::string::npos) << waiting[0];
  EXPECT_NE(waiting[0].find("s4_blocker"), std::string::npos) << waiting[0];

  blocker.commit();
  ASSERT_EQ(run.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  RunReport done = run.get();
  ASSERT_FALSE(done.error) << done.error->describe();
  EXPECT_EQ(db->query("SELECT success FROM migrate_history WHERE version = '2'"),
            std::vector<std::string>{"t"});
}

// The default with no lock_timeout: the run waits outside the lock queue for as long as the
// blocker lives (no budget), says so every 5 s naming the blocker, and `status` shows the step
// waiting; the application is never queued behind it.
TEST(ScenarioS4, AWaitOutsideTheQueueIsVisibleInStatus) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  link_scenario(ws);
  {
    RunReport first = Migrator(s4_options(ws, *db)).apply(std::string("1"));
    ASSERT_FALSE(first.error) << first.error->describe();
  }
  Blocker blocker(db->url());
  LogCapture log;
  Options o = s4_options(ws, *db);
  o.lock_timeout = std::chrono::milliseconds(0);
  o.log = log.sink();
  Migrator m(o);
  auto run = std::async(std::launch::async, [&] { return m.apply(std::nullopt); });

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (log.containing("still waiting outside the lock queue").empty() &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto waiting = log.containing("outside the lock queue");
  ASSERT_GE(waiting.size(), 2u) << log.all();
  EXPECT_NE(waiting[0].find("statement 1 needs ACCESS EXCLUSIVE on orders; waiting outside the "
                            "lock queue ("),
            std::string::npos)
      << waiting[0];
  EXPECT_NE(waiting[0].find("budget no limit (lock_timeout 0))"), std::string::npos) << waiting[0];
  for (const auto& line : waiting) {
    EXPECT_NE(line.find("pid " + std::to_string(blocker.pid) + " (s4_blocker"), std::string::npos)
        << line;
    EXPECT_NE(line.find("AccessShareLock on orders (granted)"), std::string::npos) << line;
  }
  EXPECT_EQ(db->query("SELECT count(*) FROM pg_locks WHERE NOT granted AND database = (SELECT "
                      "oid FROM pg_database WHERE datname = current_database())"),
            std::vector<std::string>{"0"});

  auto status = testing::run_migrate(
      {"--db", db->url(), "--dir", ws.migrations().string(), "status"}, ws.root());
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_NE(status.out.find("run in progress: apply 2 (add_orders_note): statement 1 waits "
                            "outside the lock queue for ACCESS EXCLUSIVE on orders"),
            std::string::npos)
      << status.out;

  blocker.commit();
  ASSERT_EQ(run.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  RunReport done = run.get();
  ASSERT_FALSE(done.error) << done.error->describe();
  EXPECT_FALSE(log.containing("the way is clear after").empty()) << log.all();
  EXPECT_EQ(db->query("SELECT success FROM migrate_history WHERE version = '2'"),
            std::vector<std::string>{"t"});
}

}  // namespace
}  // namespace migrate
