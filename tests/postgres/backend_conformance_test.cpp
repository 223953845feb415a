// One behaviour, two databases: every backend must pass these (golang-migrate's lesson: a
// shared conformance suite keeps drivers honest). Same migration files, same assertions.
#include <gtest/gtest.h>

#include <thread>

#include "migrate/migrator.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::PostgresTestDatabase;
using testing::query_sqlite;
using testing::TestWorkspace;

// A database of either kind plus a migrations directory.
class Target {
 public:
  virtual ~Target() = default;
  virtual std::string url() const = 0;
  virtual std::vector<std::string> query(const std::string& sql) const = 0;
  bool table_exists(const std::string& name) const {
    return query(exists_sql(name)) == std::vector<std::string>{"1"};
  }
  std::string history_rows() const {
    std::string out;
    for (const auto& r :
         query("SELECT version || '|' || direction || '|' || CASE WHEN success IS NULL THEN 'NULL' "
               "WHEN success THEN 'ok' ELSE 'failed' END || '|' || statement_index FROM "
               "migrate_history WHERE direction <> 'init' ORDER BY id"))
      out += r + "\n";
    return out;
  }
  Options options(bool retry = false) const {
    Options o = ws.options(retry);
    o.database_url = url();
    return o;
  }
  TestWorkspace ws;

 protected:
  virtual std::string exists_sql(const std::string& name) const = 0;
};

class SqliteTarget : public Target {
 public:
  std::string url() const override { return ws.database_url(); }
  std::vector<std::string> query(const std::string& sql) const override {
    return query_sqlite(ws.database(), sql);
  }

 protected:
  std::string exists_sql(const std::string& name) const override {
    return "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '" + name + "'";
  }
};

class PostgresTarget : public Target {
 public:
  explicit PostgresTarget(std::unique_ptr<PostgresTestDatabase> db) : db_(std::move(db)) {}
  std::string url() const override { return db_->url(); }
  std::vector<std::string> query(const std::string& sql) const override { return db_->query(sql); }

 protected:
  std::string exists_sql(const std::string& name) const override {
    return "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = '" + name +
           "'";
  }

 private:
  std::unique_ptr<PostgresTestDatabase> db_;
};

class BackendConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      target = std::make_unique<SqliteTarget>();
    } else {
      std::string why;
      auto db = PostgresTestDatabase::create(why);
      if (!db) {
        if (testing::postgres_required()) FAIL() << why;
        GTEST_SKIP() << why;
      }
      target = std::make_unique<PostgresTarget>(std::move(db));
    }
    auto& ws = target->ws;
    ws.write_migration(
        "V1__accounts.up.sql",
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n"
        "INSERT INTO accounts (id, email) VALUES (1, 'a@example.com'), (2, 'b@example.com');\n");
    ws.write_migration("V1__accounts.down.sql", "DROP TABLE accounts;\n");
    ws.write_migration(
        "V2__notes.up.sql",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES accounts (id), "
        "body TEXT);\n");
    ws.write_migration("V2__notes.down.sql", "DROP TABLE notes;\n");
  }

  State state_of(const std::string& version) {
    for (const auto& s : *Migrator(target->options()).status())
      if (s.version == version) return s.state;
    throw std::runtime_error("no version " + version);
  }

  std::unique_ptr<Target> target;
};

TEST_P(BackendConformance, AppliesInOrderAndRecordsOneSuccessfulAttemptEach) {
  RunReport r = Migrator(target->options()).apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_EQ(target->history_rows(), "1|up|ok|2\n2|up|ok|1\n");
  EXPECT_TRUE(target->table_exists("notes"));
  EXPECT_EQ(state_of("2"), State::kApplied);
  EXPECT_TRUE(Migrator(target->options()).apply(std::nullopt).steps.empty());
}

TEST_P(BackendConformance, AFailureLeavesNothingHalfAppliedAndIsRetriedOnlyWhenAsked) {
  ASSERT_FALSE(Migrator(target->options()).apply(std::nullopt).error);
  target->ws.write_migration(
      "V3__broken.up.sql",
      "CREATE TABLE tags (id INTEGER PRIMARY KEY);\n"
      "INSERT INTO tags (id) VALUES (1);\n"
      "INSERT INTO accounts (id, email) VALUES (1, 'duplicate@example.com');\n");
  RunReport r = Migrator(target->options()).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kStatementFailed);
  EXPECT_EQ(r.error->where.statement, 3);
  EXPECT_EQ(r.error->where.line, 3);
  EXPECT_FALSE(target->table_exists("tags"));
  EXPECT_EQ(target->history_rows(), "1|up|ok|2\n2|up|ok|1\n3|up|failed|2\n");
  EXPECT_EQ(state_of("3"), State::kFailed);
  RunReport refused = Migrator(target->options()).apply(std::nullopt);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code, ErrorCode::kFailedMigration);
  target->ws.write_migration("V3__broken.up.sql", "CREATE TABLE tags (id INTEGER PRIMARY KEY);\n");
  RunReport fixed = Migrator(target->options(true)).apply(std::nullopt);
  ASSERT_FALSE(fixed.error) << fixed.error->describe();
  EXPECT_TRUE(target->table_exists("tags"));
}

TEST_P(BackendConformance, RollbackToATargetKeepsTheTargetAndRefusesIrreversibleRanges) {
  target->ws.write_migration("V3__extra.up.sql", "CREATE TABLE extra (id INTEGER);\n");
  target->ws.write_migration("V3__extra.down.sql", "DROP TABLE extra;\n");
  ASSERT_FALSE(Migrator(target->options()).apply(std::nullopt).error);
  RunReport r =
      Migrator(target->options()).rollback(RollbackTarget{std::string("1"), std::nullopt});
  ASSERT_FALSE(r.error) << r.error->describe();
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_EQ(r.steps[0].version, "3");
  EXPECT_TRUE(target->table_exists("accounts"));
  EXPECT_FALSE(target->table_exists("notes"));
  EXPECT_EQ(state_of("1"), State::kApplied);
  EXPECT_EQ(state_of("2"), State::kPending);

  target->ws.remove_migration("V1__accounts.down.sql");
  RunReport refused =
      Migrator(target->options()).rollback(RollbackTarget{std::string("0"), std::nullopt});
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code, ErrorCode::kIrreversible);
  EXPECT_TRUE(target->table_exists("accounts"));
}

TEST_P(BackendConformance, ChangedAppliedFilesAndOutOfOrderVersionsAreRefused) {
  ASSERT_FALSE(Migrator(target->options()).apply(std::nullopt).error);
  target->ws.write_migration("V2__notes.up.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY);\n");
  RunReport changed = Migrator(target->options()).apply(std::nullopt);
  ASSERT_TRUE(changed.error);
  EXPECT_EQ(changed.error->code, ErrorCode::kChecksumMismatch);
  target->ws.write_migration(
      "V2__notes.up.sql",
      "CREATE TABLE notes (id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES accounts (id), "
      "body TEXT);\n");
  target->ws.write_migration("V1.5__late.up.sql", "CREATE TABLE late (id INTEGER);\n");
  RunReport late = Migrator(target->options()).apply(std::nullopt);
  ASSERT_TRUE(late.error);
  EXPECT_EQ(late.error->code, ErrorCode::kOutOfOrder);
}

TEST_P(BackendConformance, StepsWithoutATransactionResumeAfterTheLastCompletedStatement) {
  ASSERT_FALSE(Migrator(target->options()).apply(std::nullopt).error);
  target->ws.write_migration(
      "V3__steps.up.sql",
      "-- migrate:transaction off\n"
      "INSERT INTO notes (id, account_id, body) VALUES (1, 1, 'one');\n"
      "INSERT INTO notes (id, account_id, body) VALUES (2, 1, 'two');\n"
      "INSERT INTO notes (id, account_id, body) VALUES (2, 1, 'duplicate');\n"
      "INSERT INTO notes (id, account_id, body) VALUES (4, 1, 'four');\n");
  RunReport r = Migrator(target->options()).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->where.statement, 3);
  EXPECT_EQ(target->query("SELECT count(*) FROM notes"), std::vector<std::string>{"2"});
  std::string fixed =
      "-- migrate:transaction off\n"
      "INSERT INTO notes (id, account_id, body) VALUES (1, 1, 'one');\n"
      "INSERT INTO notes (id, account_id, body) VALUES (2, 1, 'two');\n"
      "INSERT INTO notes (id, account_id, body) VALUES (3, 1, 'three');\n"
      "INSERT INTO notes (id, account_id, body) VALUES (4, 1, 'four');\n";
  target->ws.write_migration("V3__steps.up.sql", fixed);
  RunReport retry = Migrator(target->options(true)).apply(std::nullopt);
  ASSERT_FALSE(retry.error) << retry.error->describe();
  EXPECT_EQ(target->query("SELECT count(*) FROM notes"), std::vector<std::string>{"4"});
  EXPECT_EQ(target->history_rows(), "1|up|ok|2\n2|up|ok|1\n3|up|failed|2\n3|up|ok|4\n");
}

TEST_P(BackendConformance, ConcurrentRunnersApplyEachVersionExactlyOnce) {
  for (int v = 3; v <= 12; ++v) {
    target->ws.write_migration("V" + std::to_string(v) + "__t.up.sql",
                               "CREATE TABLE t" + std::to_string(v) + " (id INTEGER);\n");
  }
  std::vector<RunReport> reports(3);
  std::vector<std::thread> threads;
  for (auto& r : reports) {
    threads.emplace_back([&r, this] {
      Options o = target->options();
      o.lock_wait = std::chrono::milliseconds(60'000);
      r = Migrator(o).apply(std::nullopt);
    });
  }
  for (auto& t : threads) t.join();
  std::size_t steps = 0;
  for (const auto& r : reports) {
    EXPECT_FALSE(r.error) << r.error->describe();
    steps += r.steps.size();
  }
  EXPECT_EQ(steps, 12u);
  EXPECT_EQ(target->query("SELECT count(*) || '|' || count(DISTINCT version) FROM migrate_history "
                          "WHERE direction = 'up'"),
            std::vector<std::string>{"12|12"});
}

TEST_P(BackendConformance, TransactionControlInAMigrationIsRefused) {
  target->ws.write_migration("V3__own.up.sql", "BEGIN;\nCREATE TABLE own (id INTEGER);\nCOMMIT;\n");
  RunReport r = Migrator(target->options()).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kStatementFailed);
  EXPECT_EQ(r.error->where.statement, 1);
  EXPECT_FALSE(target->table_exists("own"));
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendConformance, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace migrate
