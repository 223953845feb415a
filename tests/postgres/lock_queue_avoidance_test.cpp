// Lock-queue avoidance on a real PostgreSQL 15 (docs/postgresql.md#lock-queue-avoidance): the
// conflict table against the server for every pair of lock levels, what Backend::lock_conflicts
// reads from pg_locks, and apply waiting outside the queue (never inside it) while a reader holds
// the table, giving up with LOCK_TIMEOUT after its budget, and rolling back a transaction whose
// later statement meets a new blocker.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "libmigrate/backend/backend.hpp"
#include "migrate/migrator.hpp"
#include "support/log_capture.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::PostgresTestDatabase;
using testing::TestWorkspace;

const LockLevel kLevels[] = {LockLevel::kAccessShare,  LockLevel::kRowShare,
                             LockLevel::kRowExclusive, LockLevel::kShareUpdateExclusive,
                             LockLevel::kShare,        LockLevel::kShareRowExclusive,
                             LockLevel::kExclusive,    LockLevel::kAccessExclusive};

// "ACCESS EXCLUSIVE" is also LOCK TABLE's spelling of the mode.
std::string lock_table(const std::string& table, LockLevel level, bool nowait = false) {
  return "LOCK TABLE " + table + " IN " + to_string(level) + " MODE" + (nowait ? " NOWAIT" : "");
}

using testing::LogCapture;

Options pg_options(const TestWorkspace& ws, const PostgresTestDatabase& db) {
  Options o = ws.options();
  o.database_url = db.url();
  return o;
}

// Lock requests on `table` that wait, made by the migrator's sessions (application_name
// "migrate ... migrations"), and by anyone.
int waiting_requests(const PostgresTestDatabase& db, const std::string& table, bool migrator_only) {
  return std::stoi(
      db.query("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
               "WHERE NOT l.granted AND l.relation = to_regclass('" +
               table + "')" + (migrator_only ? " AND a.application_name LIKE 'migrate%'" : ""))
          .front());
}

int locks_held_by_migrator(const PostgresTestDatabase& db, const std::string& table,
                           const std::string& mode = "") {
  return std::stoi(db.query("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = "
                            "l.pid WHERE l.relation = to_regclass('" +
                            table + "') AND a.application_name LIKE 'migrate%'" +
                            (mode.empty() ? "" : " AND l.mode = '" + mode + "'"))
                       .front());
}

template <typename Predicate>
bool eventually(Predicate done, std::chrono::milliseconds within = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

TEST(LockQueueAvoidance, ConflictTableAndPgLocksAgreeWithTheServerForEveryPairOfLevels) {
  MIGRATE_REQUIRE_POSTGRES(db);
  db->execute("CREATE TABLE t (id int)");
  auto backend = open_backend(db->url(), BackendOptions{});
  pqxx::connection holder(db->url());
  pqxx::connection asker(db->url());
  std::vector<std::string> wrong;
  for (LockLevel held : kLevels) {
    pqxx::work hold(holder);
    hold.exec(lock_table("t", held));
    for (LockLevel requested : kLevels) {
      // The server's answer: a NOWAIT request fails with 55P03 exactly when it would wait.
      bool server_says = false;
      try {
        pqxx::work ask(asker);
        ask.exec(lock_table("t", requested, true));
      } catch (const pqxx::sql_error& e) {
        ASSERT_EQ(e.sqlstate(), "55P03") << e.what();
        server_says = true;
      }
      const bool table_says = lock_levels_conflict(requested, held);
      const auto seen = backend->lock_conflicts({RelationLock{"t", requested}});
      const std::string pair =
          std::string(to_string(requested)) + " asked while " + to_string(held) + " is held";
      if (table_says != server_says)
        wrong.push_back(pair + ": conflict table " + (table_says ? "conflict" : "no conflict") +
                        ", server " + (server_says ? "conflict" : "no conflict"));
      if (seen.empty() == server_says)
        wrong.push_back(pair + ": lock_conflicts found " + std::to_string(seen.size()) +
                        " session(s)");
      if (!seen.empty()) {
        EXPECT_TRUE(seen.front().age_known) << pair;
        EXPECT_FALSE(seen.front().transaction.empty()) << pair;
        EXPECT_EQ(seen.front().session.pid, holder.backendpid()) << pair;
        EXPECT_NE(seen.front().session.lock.find("on t (granted)"), std::string::npos)
            << pair << ": " << seen.front().session.lock;
      }
      EXPECT_EQ(lock_levels_conflict(requested, held), lock_levels_conflict(held, requested));
    }
    hold.abort();
  }
  EXPECT_TRUE(wrong.empty()) << [&] {
    std::string all;
    for (const auto& w : wrong) all += "  " + w + "\n";
    return all;
  }();
  // Names as the parse tree gives them, case kept, schema-qualified or not.
  db->execute("CREATE TABLE \"Mixed\" (id int)");
  {
    pqxx::work hold(holder);
    hold.exec("LOCK TABLE \"Mixed\" IN ACCESS SHARE MODE");
    for (const char* name : {"Mixed", "public.Mixed"})
      EXPECT_EQ(backend->lock_conflicts({RelationLock{name, LockLevel::kAccessExclusive}}).size(),
                1u)
          << name;
    hold.abort();
  }
  // Names that do not resolve (created later by the plan) are no conflict, and no error.
  EXPECT_TRUE(
      backend->lock_conflicts({RelationLock{"not_yet", LockLevel::kAccessExclusive}}).empty());
  // A relation wanted at two modes conflicts with what either conflicts with: SHARE alone does
  // not conflict with SHARE, ROW EXCLUSIVE does.
  {
    pqxx::work hold(holder);
    hold.exec("LOCK TABLE t IN SHARE MODE");
    EXPECT_TRUE(backend->lock_conflicts({RelationLock{"t", LockLevel::kShare}}).empty());
    EXPECT_EQ(backend
                  ->lock_conflicts({RelationLock{"t", LockLevel::kShare},
                                    RelationLock{"t", LockLevel::kRowExclusive}})
                  .size(),
              1u);
    hold.abort();
  }
}

TEST(LockQueueAvoidance, WaitingRequestsCountUnlessTheyWaitBehindTheRunItself) {
  MIGRATE_REQUIRE_POSTGRES(db);
  db->execute("CREATE TABLE t (id int)");
  // The run's own statement session holds ACCESS SHARE in its transaction...
  auto backend = open_backend(db->url(), BackendOptions{});
  backend->acquire_run_lock(std::chrono::seconds(5));
  StepSession session;
  session.lock_timeout = std::chrono::seconds(5);
  backend->begin(session, std::chrono::seconds(5));
  backend->execute(SqlStatement{1, 1, 1, 0, "LOCK TABLE t IN ACCESS SHARE MODE"}, session);

  // ...another session holds ACCESS SHARE too, and a third waits for ACCESS EXCLUSIVE behind both.
  pqxx::connection reader(db->url());
  pqxx::work read(reader);
  read.exec("LOCK TABLE t IN ACCESS SHARE MODE");
  std::thread ddl([&] {
    pqxx::connection c(db->url());
    pqxx::work w(c);
    w.exec("SET lock_timeout = '20s'");
    try {
      w.exec("LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
    } catch (const std::exception&) {
    }
  });
  ASSERT_TRUE(eventually([&] { return waiting_requests(*db, "t", false) == 1; }));

  // ROW SHARE conflicts with the waiting ACCESS EXCLUSIVE, but that request waits for the run's
  // own transaction: it is behind the run, not ahead of it.
  EXPECT_TRUE(backend->lock_conflicts({RelationLock{"t", LockLevel::kRowShare}}).empty());
  backend->rollback();
  // Once the run holds nothing, the waiting request is ahead of any new one: it counts.
  const auto after = backend->lock_conflicts({RelationLock{"t", LockLevel::kRowShare}});
  ASSERT_EQ(after.size(), 1u);
  EXPECT_NE(after.front().session.lock.find("AccessExclusiveLock on t (waiting)"),
            std::string::npos)
      << after.front().session.lock;
  read.abort();
  ddl.join();
  backend->release_run_lock();
}

class ApplyBehindAReader : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    db = PostgresTestDatabase::create(why);
    if (!db) {
      if (testing::postgres_required()) FAIL() << why;
      GTEST_SKIP() << why;
    }
    ws.write_migration(
        "V1__items.up.sql",
        "CREATE TABLE items (id bigint PRIMARY KEY, name text);\n"
        "CREATE TABLE tags (id bigint PRIMARY KEY);\n"
        "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g;\n");
    ASSERT_FALSE(Migrator(pg_options(ws, *db)).apply(std::nullopt).error);
  }

  // An open transaction that has read `table` (ACCESS SHARE), idle, as a forgotten psql would be.
  void start_blocker(const std::string& table) {
    blocker = std::make_unique<pqxx::connection>(db->url());
    blocker_tx = std::make_unique<pqxx::work>(*blocker);
    blocker_tx->exec("SELECT count(*) FROM " + table);
  }
  void end_blocker() {
    blocker_tx->commit();
    blocker_tx.reset();
  }

  Options options() {
    Options o = pg_options(ws, *db);
    o.lock_timeout = std::chrono::milliseconds(100);
    o.retry_base = std::chrono::milliseconds(50);
    o.retry_cap = std::chrono::milliseconds(200);
    o.log = log.sink();
    return o;
  }

  std::unique_ptr<PostgresTestDatabase> db;
  TestWorkspace ws;
  LogCapture log;
  std::unique_ptr<pqxx::connection> blocker;
  std::unique_ptr<pqxx::work> blocker_tx;
};

TEST_F(ApplyBehindAReader, WaitsOutsideTheQueueUntilTheReaderIsGone) {
  ws.write_migration("V2__add_price.up.sql", "ALTER TABLE items ADD COLUMN price numeric;\n");
  start_blocker("items");
  Options o = options();
  o.lock_retries = 30;  // a budget of several seconds
  RunReport report;
  std::atomic<bool> done{false};
  std::jthread migrator([&] {
    report = Migrator(o).apply(std::nullopt);
    done = true;
  });
  ASSERT_TRUE(eventually([&] { return log.has("outside the lock queue"); }));
  // While it waits, nothing of the migrator is in the lock queue, and writers go on.
  int queued = 0;
  pqxx::connection writer(db->url());
  for (int i = 0; i < 20 && !done; ++i) {
    queued += waiting_requests(*db, "items", true);
    pqxx::work w(writer);
    w.exec("SET LOCAL statement_timeout = '1s'");
    w.exec("UPDATE items SET name = name WHERE id = 7");
    w.commit();
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(queued, 0);
  EXPECT_FALSE(done) << "apply did not wait for the reader";
  end_blocker();
  migrator.join();

  ASSERT_FALSE(report.error) << report.error->describe();
  const std::string logged = log.all();
  EXPECT_NE(logged.find("needs ACCESS EXCLUSIVE on items; waiting outside the lock queue"),
            std::string::npos)
      << logged;
  EXPECT_NE(logged.find("pid " + std::to_string(blocker->backendpid())), std::string::npos)
      << logged;
  EXPECT_NE(logged.find("the way is clear after"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("could not get its lock"), std::string::npos) << logged;
  // The statement's record keeps the wait; no lock timeout was needed.
  auto records = Migrator(pg_options(ws, *db)).statement_records();
  ASSERT_TRUE(records) << records.error().describe();
  ASSERT_FALSE(records->empty());
  EXPECT_GT(records->back().lock_wait_ms, 0);
  EXPECT_EQ(records->back().lock_retries, 0);
  EXPECT_EQ(db->query("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                      "'items' AND column_name = 'price'"),
            std::vector<std::string>{"1"});
}

TEST_F(ApplyBehindAReader, AReaderThatNeverEndsStopsTheRunWithLockTimeoutAfterTheBudget) {
  ws.write_migration("V2__add_price.up.sql",
                     "-- the price\nALTER TABLE items ADD COLUMN price numeric;\n");
  start_blocker("items");
  Options o = options();
  o.lock_retries = 2;  // budget: 5 x 100 ms + 50 + 100 ms = 650 ms
  RunReport report;
  std::atomic<bool> done{false};
  std::jthread migrator([&] {
    report = Migrator(o).apply(std::nullopt);
    done = true;
  });
  int queued = 0;
  while (!done) {
    queued += waiting_requests(*db, "items", true);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  migrator.join();
  EXPECT_EQ(queued, 0) << "the migrator's request waited in the lock queue";
  ASSERT_TRUE(report.error);
  EXPECT_EQ(report.error->code, ErrorCode::kLockTimeout);
  EXPECT_EQ(report.error->sqlstate, "55P03");
  EXPECT_EQ(report.error->where.line, 2);
  EXPECT_EQ(report.error->where.statement, 1);
  EXPECT_NE(report.error->message.find("outside the lock queue for ACCESS EXCLUSIVE on items, "
                                       "the step's wait budget (650 ms)"),
            std::string::npos)
      << report.error->message;
  EXPECT_NE(report.error->message.find("pid " + std::to_string(blocker->backendpid())),
            std::string::npos);
  EXPECT_NE(report.error->hint.find("run `migrate apply` again (without --retry-failed)"),
            std::string::npos)
      << report.error->hint;
  EXPECT_EQ(locks_held_by_migrator(*db, "items"), 0);
  // Nothing half-applied, and a plain apply goes on once the reader is gone.
  EXPECT_EQ(db->query("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                      "'items' AND column_name = 'price'"),
            std::vector<std::string>{"0"});
  end_blocker();
  auto again = Migrator(options()).apply(std::nullopt);
  ASSERT_FALSE(again.error) << again.error->describe();
}

TEST_F(ApplyBehindAReader, WithoutAvoidanceTheStatementQueuesUntilLockTimeout) {
  ws.write_migration("V2__add_price.up.sql", "ALTER TABLE items ADD COLUMN price numeric;\n");
  start_blocker("items");
  Options o = options();
  o.queue_avoidance = false;
  o.lock_timeout = std::chrono::milliseconds(400);
  o.lock_retries = 0;
  RunReport report;
  std::atomic<bool> done{false};
  std::jthread migrator([&] {
    report = Migrator(o).apply(std::nullopt);
    done = true;
  });
  bool seen_queued = false;
  while (!done) {
    seen_queued = seen_queued || waiting_requests(*db, "items", true) > 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  migrator.join();
  EXPECT_TRUE(seen_queued) << "the ALTER never waited in the lock queue";
  ASSERT_TRUE(report.error);
  EXPECT_EQ(report.error->code, ErrorCode::kLockTimeout);
  EXPECT_NE(report.error->message.find("could not get its lock within lock_timeout 400 ms"),
            std::string::npos)
      << report.error->message;
  EXPECT_FALSE(log.has("outside the lock queue")) << log.all();
}

TEST_F(ApplyBehindAReader, ATransactionWaitsForAllItsTablesBeforeLockingAny) {
  ws.write_migration("V2__both.up.sql",
                     "ALTER TABLE items ADD COLUMN price numeric;\n"
                     "ALTER TABLE tags ADD COLUMN label text;\n");
  start_blocker("tags");
  Options o = options();
  o.lock_retries = 30;
  RunReport report;
  std::jthread migrator([&] { report = Migrator(o).apply(std::nullopt); });
  ASSERT_TRUE(eventually([&] { return log.has("outside the lock queue"); }));
  // Waiting for tags, the migration holds nothing on items: readers and writers of items go on.
  int held = 0;
  for (int i = 0; i < 10; ++i) {
    held += locks_held_by_migrator(*db, "items");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(held, 0);
  EXPECT_NE(log.all().find("needs ACCESS EXCLUSIVE on items, ACCESS EXCLUSIVE on tags"),
            std::string::npos)
      << log.all();
  end_blocker();
  migrator.join();
  ASSERT_FALSE(report.error) << report.error->describe();
}

TEST_F(ApplyBehindAReader, ALaterStatementThatMeetsANewReaderRollsBackAndWaitsOutside) {
  ws.write_migration("V2__slow.up.sql",
                     "ALTER TABLE items ADD COLUMN price numeric;\n"
                     "SELECT pg_sleep(1);\n"
                     "ALTER TABLE tags ADD COLUMN label text;\n");
  Options o = options();
  o.lock_retries = 30;
  RunReport report;
  std::jthread migrator([&] { report = Migrator(o).apply(std::nullopt); });
  // Once the first ALTER holds items, a reader takes tags for longer than the migration sleeps.
  // (The planner's catalog probe takes ACCESS SHARE on items before the step: not that.)
  ASSERT_TRUE(
      eventually([&] { return locks_held_by_migrator(*db, "items", "AccessExclusiveLock") > 0; }));
  start_blocker("tags");
  ASSERT_TRUE(eventually([&] { return log.has("rolled back to wait outside the lock queue"); }));
  // Rolled back: items is free while the run waits for tags.
  ASSERT_TRUE(eventually([&] { return log.has("waiting outside the lock queue"); }));
  EXPECT_EQ(locks_held_by_migrator(*db, "items"), 0);
  EXPECT_EQ(waiting_requests(*db, "tags", true), 0);
  end_blocker();
  migrator.join();
  ASSERT_FALSE(report.error) << report.error->describe();
  EXPECT_NE(log.all().find("statement 3 needs ACCESS EXCLUSIVE on tags, and another session now "
                           "holds or waits for a conflicting lock"),
            std::string::npos)
      << log.all();
  auto records = Migrator(pg_options(ws, *db)).statement_records();
  ASSERT_TRUE(records) << records.error().describe();
  ASSERT_FALSE(records->empty());
  EXPECT_EQ(records->back().statement_index, 3);
  EXPECT_EQ(records->back().lock_retries, 1);
}

// A role without pg_read_all_stats sees other roles' sessions in pg_stat_activity without their
// transaction's start: a blocker is known by its transaction staying in pg_locks from one look
// to the next, and the run still waits outside the queue.
TEST(LockQueueAvoidance, ARoleThatCannotSeeOtherSessionsStillWaitsOutsideTheQueue) {
  MIGRATE_REQUIRE_POSTGRES(db);
  const std::string role = "lqa_" + db->name();  // roles are the cluster's: one per test database
  db->execute("CREATE ROLE " + role + " LOGIN PASSWORD 'lqa'");
  db->execute("GRANT CREATE ON DATABASE \"" + db->name() + "\" TO " + role);
  db->execute("GRANT CREATE ON SCHEMA public TO " + role);
  db->execute("CREATE TABLE items (id bigint PRIMARY KEY)");
  db->execute("ALTER TABLE items OWNER TO " + role);
  TestWorkspace ws;
  ws.write_migration("V1__price.up.sql", "ALTER TABLE items ADD COLUMN price numeric;\n");

  pqxx::connection blocker(db->url());
  pqxx::work blocker_tx(blocker);
  blocker_tx.exec("SELECT count(*) FROM items");
  LogCapture log;
  Options o = ws.options();
  o.database_url = db->url() + " user=" + role + " password=lqa";
  o.lock_timeout = std::chrono::milliseconds(100);
  o.lock_retries = 30;
  o.retry_base = std::chrono::milliseconds(50);
  o.retry_cap = std::chrono::milliseconds(200);
  o.log = log.sink();
  RunReport report;
  std::atomic<bool> done{false};
  {
    std::jthread migrator([&] {
      report = Migrator(o).apply(std::nullopt);
      done = true;
    });
    EXPECT_TRUE(eventually([&] { return log.has("waiting outside the lock queue") || done; }));
    int queued = 0;
    for (int i = 0; i < 20 && !done; ++i) {
      queued += waiting_requests(*db, "items", true);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(queued, 0);
    EXPECT_FALSE(done) << "apply did not wait for the reader";
    blocker_tx.commit();
  }
  ASSERT_FALSE(report.error) << report.error->describe();
  EXPECT_NE(log.all().find("pid " + std::to_string(blocker.backendpid())), std::string::npos)
      << log.all();
  EXPECT_EQ(log.all().find("could not get its lock"), std::string::npos) << log.all();
  db->execute("REASSIGN OWNED BY " + role + " TO CURRENT_USER");
  db->execute("DROP OWNED BY " + role);
  db->execute("DROP ROLE " + role);
}

}  // namespace
}  // namespace migrate
