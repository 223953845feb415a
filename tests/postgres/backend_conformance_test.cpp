// One behaviour, two databases: every backend must pass these (golang-migrate's lesson: a
// shared conformance suite keeps drivers honest). Same migration files, same assertions.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <sstream>
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
  // Runs a script of several statements.
  virtual void execute(const std::string& script) const = 0;
  virtual std::string dialect() const = 0;  // "sqlite" or "postgresql", as in fixture names
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
  void execute(const std::string& script) const override {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(ws.database().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, script.c_str(), nullptr, nullptr, &err);
    std::string why = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << why;
  }
  std::string dialect() const override { return "sqlite"; }

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
  void execute(const std::string& script) const override { db_->execute(script); }
  std::string dialect() const override { return "postgresql"; }

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

// Found when the plan is made: nothing of the run happens, not V1 and V2 before it, not the
// statement ahead of it in its `transaction off` file, and no attempt is recorded.
TEST_P(BackendConformance, TransactionControlInAMigrationIsRefusedBeforeAnythingRuns) {
  target->ws.write_migration(
      "V3__own.up.sql",
      "-- migrate:transaction off\nCREATE TABLE own (id INTEGER);\n   BEGIN;\nCOMMIT;\n");
  Migrator m(target->options());
  RunReport r = m.apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kSourceInvalid) << r.error->describe();
  EXPECT_TRUE(r.steps.empty());
  EXPECT_NE(r.error->where.file.find("V3__own.up.sql"), std::string::npos);
  EXPECT_EQ(r.error->where.version, "3");
  EXPECT_EQ(r.error->where.statement, 2);
  EXPECT_EQ(r.error->where.line, 3);
  EXPECT_EQ(r.error->where.column, 4);
  EXPECT_NE(r.error->message.find("V3__own.up.sql:4:1: version 3, statement 3: COMMIT;"),
            std::string::npos)
      << r.error->message;
  EXPECT_FALSE(target->table_exists("own"));
  EXPECT_FALSE(target->table_exists("accounts"));
  EXPECT_FALSE(target->table_exists("migrate_history"));
  auto plan = m.plan_apply(std::nullopt);
  ASSERT_TRUE(plan);
  ASSERT_TRUE(plan->refusal);
  EXPECT_EQ(plan->refusal->message, r.error->message);
}

const Finding* finding_of(const PlannedStep& step, const std::string& rule) {
  if (!step.analysis) return nullptr;
  for (const auto& f : step.analysis->findings)
    if (f.rule_id == rule) return &f;
  return nullptr;
}

// A rollback plan analyzes each down file; dropping the table its own up file created is data
// loss to report, not a reason to refuse.
TEST_P(BackendConformance, DownFilesAreAnalyzedAndTheirDataLossIsAWarning) {
  Migrator m(target->options());
  ASSERT_FALSE(m.apply(std::nullopt).error);
  auto plan = m.plan_rollback(RollbackTarget{std::string("0"), std::nullopt});
  ASSERT_TRUE(plan) << plan.error().describe();
  ASSERT_EQ(plan->steps.size(), 2u);
  EXPECT_FALSE(plan->refusal) << plan->refusal->describe();
  for (const auto& step : plan->steps) {
    ASSERT_TRUE(step.analysis) << step.version;
    EXPECT_NE(step.analysis->file.find(".down.sql"), std::string::npos);
    EXPECT_TRUE(step.analysis->blocking().empty());
    const Finding* loss = finding_of(step, "rollback-data-loss");
    ASSERT_NE(loss, nullptr) << step.version;
    EXPECT_EQ(loss->severity, Severity::kWarning);
    EXPECT_NE(
        loss->message.find(step.version == "2" ? "drops table notes" : "drops table accounts"),
        std::string::npos)
        << loss->message;
    EXPECT_EQ(loss->where.line, 1);
    if (const Finding* drop = finding_of(step, "drop-table")) {  // PostgreSQL's rule
      EXPECT_NE(drop->severity, Severity::kError) << drop->message;
    }
  }
  RunReport r = m.rollback(RollbackTarget{std::string("0"), std::nullopt});
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_FALSE(target->table_exists("accounts"));
}

// Transaction control in a down file: refused before the first revert, nothing recorded.
TEST_P(BackendConformance, TransactionControlInADownFileIsRefusedBeforeAnythingIsReverted) {
  target->ws.write_migration("V1__accounts.down.sql", "DROP TABLE accounts;\nCOMMIT;\n");
  Migrator m(target->options());
  ASSERT_FALSE(m.apply(std::nullopt).error);
  const std::string before = target->history_rows();
  RunReport r = m.rollback(RollbackTarget{std::string("0"), std::nullopt});
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kSourceInvalid) << r.error->describe();
  EXPECT_NE(r.error->where.file.find("V1__accounts.down.sql"), std::string::npos);
  EXPECT_EQ(r.error->where.line, 2);
  EXPECT_EQ(target->history_rows(), before);
  EXPECT_TRUE(target->table_exists("notes"));
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A history written by 0.1.0 (format 1, its DDL checked in as a fixture) is upgraded in place by
// the next apply: the rows written before stay exactly as they were.
TEST_P(BackendConformance, AFormatOneHistoryIsUpgradedInPlaceByTheNextApply) {
  target->execute(read_text(std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures" / "history" /
                            ("format1." + target->dialect() + ".sql")));
  ASSERT_FALSE(Migrator(target->options()).apply(std::string("1")).error);
  // Make version 1 look as 0.1.0 wrote it: format 1, no statement records.
  target->execute("DROP TABLE migrate_history_calibration");
  target->execute("DROP TABLE migrate_history_statements");
  target->execute("ALTER TABLE migrate_history DROP COLUMN checkpoint");
  target->execute("ALTER TABLE migrate_history DROP COLUMN backup");
  target->execute("UPDATE migrate_history SET history_format = 1");
  target->execute("DELETE FROM migrate_history WHERE direction = 'init' AND name <> ''");
  const auto before = target->query(
      "SELECT id || '|' || version || '|' || checksum || '|' || started_at FROM migrate_history "
      "ORDER BY id");
  ASSERT_FALSE(target->table_exists("migrate_history_statements"));

  // Reading never upgrades.
  EXPECT_EQ(state_of("1"), State::kApplied);
  EXPECT_EQ(state_of("2"), State::kPending);
  EXPECT_FALSE(target->table_exists("migrate_history_statements"));

  RunReport r = Migrator(target->options()).apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_TRUE(target->table_exists("migrate_history_statements"));
  EXPECT_EQ(target->query("SELECT id || '|' || version || '|' || checksum || '|' || started_at "
                          "FROM migrate_history WHERE history_format = 1 ORDER BY id"),
            before);
  EXPECT_EQ(target->query("SELECT name FROM migrate_history WHERE direction = 'init' AND "
                          "history_format = 4"),
            std::vector<std::string>{"upgraded from format 1"});
  EXPECT_EQ(target->query("SELECT history_format FROM migrate_history WHERE version = '2'"),
            std::vector<std::string>{"4"});
  EXPECT_TRUE(target->table_exists("migrate_history_calibration"));
  EXPECT_EQ(target->query("SELECT count(*) FROM migrate_history_statements s JOIN "
                          "migrate_history h ON h.id = s.attempt_id WHERE h.version = '2'"),
            std::vector<std::string>{"1"});
  EXPECT_EQ(state_of("1"), State::kApplied);
  EXPECT_EQ(state_of("2"), State::kApplied);
}

// A format-2 history (0.1.0 after issue 8) gets the estimate columns and the calibration table;
// its statement records keep their values, with no estimate.
TEST_P(BackendConformance, AFormatTwoHistoryIsUpgradedInPlaceByTheNextApply) {
  ASSERT_FALSE(Migrator(target->options()).apply(std::string("1")).error);
  target->execute("DROP TABLE migrate_history_calibration");
  for (const char* column : {"work", "scale", "estimate_p50_ms", "estimate_p90_ms"})
    target->execute(std::string("ALTER TABLE migrate_history_statements DROP COLUMN ") + column);
  target->execute("ALTER TABLE migrate_history DROP COLUMN backup");
  target->execute("UPDATE migrate_history SET history_format = 2");
  const auto before = target->query(
      "SELECT attempt_id || '|' || statement_index || '|' || duration_ms FROM "
      "migrate_history_statements ORDER BY 1");
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(state_of("1"), State::kApplied);  // reading never upgrades
  EXPECT_FALSE(target->table_exists("migrate_history_calibration"));

  RunReport r = Migrator(target->options()).apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_TRUE(target->table_exists("migrate_history_calibration"));
  EXPECT_EQ(target->query("SELECT name FROM migrate_history WHERE direction = 'init' AND "
                          "history_format = 4"),
            std::vector<std::string>{"upgraded from format 2"});
  EXPECT_EQ(target->query("SELECT s.attempt_id || '|' || s.statement_index || '|' || "
                          "s.duration_ms || '|' || coalesce(s.estimate_p50_ms, -1) FROM "
                          "migrate_history_statements s JOIN migrate_history h ON h.id = "
                          "s.attempt_id WHERE h.version = '1' ORDER BY 1"),
            (std::vector<std::string>{before[0] + "|-1", before[1] + "|-1"}));
  // Version 2's statement was estimated before it ran, and the estimate was kept beside it.
  EXPECT_EQ(
      target->query("SELECT count(*) FROM migrate_history_statements s JOIN migrate_history "
                    "h ON h.id = s.attempt_id WHERE h.version = '2' AND s.estimate_p50_ms "
                    "IS NOT NULL AND s.estimate_p90_ms >= s.estimate_p50_ms AND s.work <> ''"),
      std::vector<std::string>{"1"});
  EXPECT_EQ(state_of("2"), State::kApplied);
}

// A format-3 history (before backups were recorded) gets the attempt table's backup column; the
// rows written before keep it NULL.
TEST_P(BackendConformance, AFormatThreeHistoryGetsTheBackupColumnByTheNextApply) {
  ASSERT_FALSE(Migrator(target->options()).apply(std::string("1")).error);
  target->execute("ALTER TABLE migrate_history DROP COLUMN backup");
  target->execute("UPDATE migrate_history SET history_format = 3");
  EXPECT_EQ(state_of("1"), State::kApplied);  // reading never upgrades
  auto old = Migrator(target->options()).status();
  ASSERT_TRUE(old) << old.error().describe();
  ASSERT_TRUE(old->at(0).last_applied);
  EXPECT_FALSE(old->at(0).last_applied->backup);

  RunReport r = Migrator(target->options()).apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_EQ(target->query("SELECT name FROM migrate_history WHERE direction = 'init' AND "
                          "history_format = 4"),
            std::vector<std::string>{"upgraded from format 3"});
  EXPECT_EQ(target->query("SELECT count(*) FROM migrate_history WHERE backup IS NULL"),
            target->query("SELECT count(*) FROM migrate_history"));
  EXPECT_EQ(state_of("2"), State::kApplied);
}

// Options::backup_dir: the backup is taken before the first change, holds the database as it
// was, and is recorded in every attempt of the run and in the report.
TEST_P(BackendConformance, ABackupBeforeApplyHoldsThePreviousStateAndIsRecorded) {
  ASSERT_FALSE(Migrator(target->options()).apply(std::string("1")).error);
  Options o = target->options();
  o.backup_dir = target->ws.root() / "backups" / "nested";
  RunReport r = Migrator(o).apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  ASSERT_TRUE(r.backup);
  const std::filesystem::path file(*r.backup);
  EXPECT_TRUE(std::filesystem::is_regular_file(file)) << file;
  EXPECT_EQ(file.parent_path(), *o.backup_dir);
  const std::string name = file.filename().string();
  EXPECT_NE(name.find("-before-V2"), std::string::npos) << name;
  EXPECT_TRUE(name.ends_with(target->dialect() == "sqlite" ? ".sqlite3" : ".dump")) << name;
  // No temporary file is left beside it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(*o.backup_dir),
                          std::filesystem::directory_iterator{}),
            1);
  EXPECT_EQ(target->query("SELECT version || '|' || coalesce(backup, 'NULL') FROM migrate_history "
                          "WHERE direction <> 'init' ORDER BY id"),
            (std::vector<std::string>{"1|NULL", "2|" + *r.backup}));
  auto status = Migrator(target->options()).status();
  ASSERT_TRUE(status) << status.error().describe();
  ASSERT_TRUE(status->at(1).last_applied);
  EXPECT_EQ(status->at(1).last_applied->backup, r.backup);

  // Nothing to run: no backup.
  RunReport again = Migrator(o).apply(std::nullopt);
  ASSERT_FALSE(again.error) << again.error->describe();
  EXPECT_FALSE(again.backup);

  // The backup is the database before version 2: accounts with its rows, no notes.
  if (target->dialect() == "sqlite") {
    EXPECT_EQ(query_sqlite(file, "SELECT id || ':' || email FROM accounts ORDER BY id"),
              (std::vector<std::string>{"1:a@example.com", "2:b@example.com"}));
    EXPECT_TRUE(query_sqlite(file, "SELECT name FROM sqlite_master WHERE name = 'notes'").empty());
    EXPECT_EQ(query_sqlite(file, "SELECT count(*) FROM migrate_history WHERE version = '2'"),
              std::vector<std::string>{"0"});
  } else {
    std::string why;
    auto restored = PostgresTestDatabase::create(why);
    ASSERT_TRUE(restored) << why;
    auto r2 = testing::MigrateProcess(
                  std::filesystem::path("/usr/bin/pg_restore"),
                  {"--no-owner", "--exit-on-error", "--dbname=" + restored->url(), file.string()},
                  target->ws.root())
                  .result();
    ASSERT_EQ(r2.exit_code, 0) << r2.err;
    EXPECT_EQ(restored->query("SELECT id || ':' || email FROM accounts ORDER BY id"),
              (std::vector<std::string>{"1:a@example.com", "2:b@example.com"}));
    EXPECT_EQ(restored->query("SELECT count(*) FROM pg_tables WHERE tablename = 'notes'"),
              std::vector<std::string>{"0"});
    EXPECT_EQ(restored->query("SELECT count(*) FROM migrate_history WHERE version = '2'"),
              std::vector<std::string>{"0"});
  }
}

// Rollback backs up too: a down migration destroys data.
TEST_P(BackendConformance, ABackupBeforeRollbackIsNamedForTheRollback) {
  ASSERT_FALSE(Migrator(target->options()).apply(std::nullopt).error);
  Options o = target->options();
  o.backup_dir = target->ws.root() / "backups";
  RunReport r = Migrator(o).rollback(RollbackTarget{std::string("0"), std::nullopt});
  ASSERT_FALSE(r.error) << r.error->describe();
  ASSERT_TRUE(r.backup);
  EXPECT_NE(r.backup->find("-before-rollback-V2-V1"), std::string::npos) << *r.backup;
  EXPECT_TRUE(std::filesystem::is_regular_file(*r.backup));
  EXPECT_EQ(target->query("SELECT count(*) FROM migrate_history WHERE direction = 'down' AND "
                          "backup = '" +
                          *r.backup + "'"),
            std::vector<std::string>{"2"});
}

// A backup that cannot be written refuses the run before anything changes: no history table, no
// schema change, no file.
TEST_P(BackendConformance, AFailedBackupRefusesTheRunAndChangesNothing) {
  const auto blocker = target->ws.root() / "not-a-directory";
  std::ofstream(blocker) << "x";
  Options o = target->options();
  o.backup_dir = blocker / "backups";
  RunReport r = Migrator(o).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kBackupFailed) << r.error->describe();
  EXPECT_TRUE(r.steps.empty());
  EXPECT_FALSE(r.backup);
  EXPECT_FALSE(target->table_exists("migrate_history"));
  EXPECT_FALSE(target->table_exists("accounts"));
}

TEST_P(BackendConformance, AHistoryOfANewerFormatIsRefusedAndLeftAlone) {
  ASSERT_FALSE(Migrator(target->options()).apply(std::string("1")).error);
  target->execute("UPDATE migrate_history SET history_format = 5 WHERE version = '1'");
  RunReport r = Migrator(target->options()).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kHistoryIncompatible) << r.error->describe();
  EXPECT_NE(r.error->message.find("format 5"), std::string::npos) << r.error->message;
  EXPECT_FALSE(target->table_exists("notes"));
  auto status = Migrator(target->options()).status();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kHistoryIncompatible);
}

// Format 2 keeps one record per statement, written with the attempt.
TEST_P(BackendConformance, EveryStatementIsRecordedWithItsRowsAndDuration) {
  ASSERT_FALSE(Migrator(target->options()).apply(std::nullopt).error);
  EXPECT_EQ(target->query(
                "SELECT s.statement_index || '|' || coalesce(s.rows_affected, -1) || '|' || "
                "s.lock_retries || '|' || (s.duration_ms >= 0) FROM migrate_history_statements s "
                "JOIN migrate_history h ON h.id = s.attempt_id WHERE h.version = '1' ORDER BY 1"),
            (std::vector<std::string>{
                "1|0|0|" + std::string(target->dialect() == "sqlite" ? "1" : "true"),
                "2|2|0|" + std::string(target->dialect() == "sqlite" ? "1" : "true")}));
}

// The state is read once, under the run lock: a runner that started while another held the lock
// plans on what the other applied, never on what it saw before.
TEST_P(BackendConformance, ARunnerThatWaitedForTheLockSeesWhatTheHolderApplied) {
  for (int v = 3; v <= 5; ++v)
    target->ws.write_migration("V" + std::to_string(v) + "__t.up.sql",
                               "CREATE TABLE t" + std::to_string(v) + " (id INTEGER);\n");
  RunReport second;
  std::thread waiter;
  Observer first_observer;
  first_observer.before_step = [&](const PlannedStep& step) {
    if (step.version != "1") return;
    waiter = std::thread([&] {
      Options o = target->options();
      o.lock_wait = std::chrono::milliseconds(60'000);
      second = Migrator(o).apply(std::nullopt);
    });
    // Let the second runner start and queue for the lock while this run holds it.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  };
  RunReport first = Migrator(target->options()).apply(std::nullopt, first_observer);
  waiter.join();
  ASSERT_FALSE(first.error) << first.error->describe();
  ASSERT_FALSE(second.error) << second.error->describe();
  EXPECT_EQ(first.steps.size(), 5u);
  EXPECT_TRUE(second.steps.empty());
  EXPECT_EQ(target->query("SELECT count(*) || '|' || count(DISTINCT version) FROM migrate_history "
                          "WHERE direction = 'up'"),
            std::vector<std::string>{"5|5"});
}

// While a `transaction off` step runs, no second runner may take it for interrupted, not even
// with --retry-failed: it waits for the run lock or exits with RUN_IN_PROGRESS. Every statement
// runs once and the version has one attempt.
TEST_P(BackendConformance, AStepWithoutATransactionInProgressIsNotTakenForInterrupted) {
  ASSERT_FALSE(Migrator(target->options()).apply(std::nullopt).error);
  target->ws.write_migration("V3__steps.up.sql",
                             "-- migrate:transaction off\n"
                             "INSERT INTO notes (id, account_id, body) VALUES (1, 1, 'one');\n"
                             "INSERT INTO notes (id, account_id, body) VALUES (2, 1, 'two');\n");
  RunReport intruder;
  std::vector<State> seen;
  Observer observer;
  observer.before_statement = [&](const PlannedStep& step, const PlannedStatement& s) {
    if (step.version != "3" || s.index != 2) return;
    seen.push_back(state_of("3"));
    Options o = target->options(true);  // --retry-failed
    o.lock_wait = std::chrono::milliseconds(300);
    intruder = Migrator(o).apply(std::nullopt);
  };
  RunReport r = Migrator(target->options()).apply(std::nullopt, observer);
  ASSERT_FALSE(r.error) << r.error->describe();
  ASSERT_TRUE(intruder.error);
  EXPECT_EQ(intruder.error->code, ErrorCode::kRunInProgress) << intruder.error->describe();
  EXPECT_TRUE(intruder.steps.empty());
  EXPECT_EQ(seen, std::vector<State>{State::kRunning});
  EXPECT_EQ(target->query("SELECT count(*) FROM notes"), std::vector<std::string>{"2"});
  EXPECT_EQ(target->history_rows(), "1|up|ok|2\n2|up|ok|1\n3|up|ok|2\n");
  // The lock holder is named while it runs, and the run after it has nothing left to do.
  RunReport after = Migrator(target->options(true)).apply(std::nullopt);
  ASSERT_FALSE(after.error) << after.error->describe();
  EXPECT_TRUE(after.steps.empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, BackendConformance, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace migrate
