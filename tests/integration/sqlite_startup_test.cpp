// The start-up API on SQLite (docs/embedding.md): Migrator::ensure in its three modes, observer
// events, cancellation between steps and between backfill batches with the history left exact,
// embedded migration sets with the directory's checksums, `baseline`, and the analysis start
// point (`check_after`).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "demo_sqlite_migrations.hpp"
#include "migrate/migrator.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::query_sqlite;
using testing::TestWorkspace;

void write_three(const TestWorkspace& ws) {
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);\n");
  ws.write_migration("V1__a.down.sql", "DROP TABLE a;\n");
  ws.write_migration("V2__b.up.sql",
                     "CREATE TABLE b (id INTEGER PRIMARY KEY);\nCREATE INDEX b_id ON b (id);\n");
  ws.write_migration("V2__b.down.sql", "DROP TABLE b;\n");
  ws.write_migration("V3__c.up.sql", "CREATE TABLE c (id INTEGER PRIMARY KEY);\n");
  ws.write_migration("V3__c.down.sql", "DROP TABLE c;\n");
}

std::string history_rows(const TestWorkspace& ws) {
  auto rows = query_sqlite(ws.database(), "SELECT count(*) FROM migrate_history");
  return rows.empty() ? "none" : rows[0];
}

TEST(SqliteStartup, VerifyOnlyOnAFreshDatabaseIsBehindAndCreatesNothing) {
  TestWorkspace ws;
  write_three(ws);
  Migrator m(ws.options());
  auto r = m.ensure(EnsureMode::kVerifyOnly);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kSchemaBehind) << r.error().describe();
  EXPECT_NE(r.error().message.find("lacks 3 migration(s)"), std::string::npos) << r.error().message;
  EXPECT_FALSE(std::filesystem::exists(ws.database()));
}

TEST(SqliteStartup, ApplyIfNeededAppliesOnceThenTakesNoLockAndWritesNothing) {
  TestWorkspace ws;
  write_three(ws);
  Migrator m(ws.options());
  int steps = 0, statements = 0;
  Observer observer;
  observer.after_step = [&](const StepOutcome& o) { steps += o.success ? 1 : 0; };
  observer.after_statement = [&](const PlannedStep&, const StatementRecord& r) {
    EXPECT_GT(r.statement_index, 0);
    ++statements;
  };
  auto first = m.ensure(EnsureOptions{}, observer);
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_FALSE(first->version_before);
  EXPECT_EQ(first->version_after, "3");
  EXPECT_EQ(first->run.steps.size(), 3u);
  EXPECT_EQ(steps, 3);
  EXPECT_EQ(statements, 4);
  const std::string rows = history_rows(ws);

  // Up to date: a read-only check, no run, no history row, no lock file needed.
  auto again = m.ensure(EnsureMode::kApplyIfNeeded);
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_TRUE(again->run.steps.empty());
  EXPECT_TRUE(again->run.run_id.empty());
  EXPECT_EQ(again->version_before, "3");
  EXPECT_EQ(history_rows(ws), rows);

  auto verified = m.ensure(EnsureMode::kVerifyOnly);
  ASSERT_TRUE(verified) << verified.error().describe();
  EXPECT_EQ(verified->version_after, "3");
}

TEST(SqliteStartup, VerifyOnlyNamesAChangedFileAndAFailedAttemptAndAcceptsANewerSchema) {
  TestWorkspace ws;
  write_three(ws);
  ASSERT_FALSE(Migrator(ws.options()).apply(std::nullopt).error);
  // A newer release applied V4: this program does not have it, which is fine.
  ws.write_migration("V4__d.up.sql", "CREATE TABLE d (id INTEGER PRIMARY KEY);\n");
  ASSERT_FALSE(Migrator(ws.options()).apply(std::nullopt).error);
  ws.remove_migration("V4__d.up.sql");
  auto ahead = Migrator(ws.options()).ensure(EnsureMode::kVerifyOnly);
  ASSERT_TRUE(ahead) << ahead.error().describe();
  EXPECT_EQ(ahead->version_after, "4");

  ws.write_migration("V2__b.up.sql", "CREATE TABLE b (id INTEGER PRIMARY KEY, x TEXT);\n");
  auto changed = Migrator(ws.options()).ensure(EnsureMode::kVerifyOnly);
  ASSERT_FALSE(changed);
  EXPECT_EQ(changed.error().code, ErrorCode::kChecksumMismatch) << changed.error().describe();
  EXPECT_NE(changed.error().message.find("V2__b.up.sql"), std::string::npos);

  TestWorkspace failing;
  failing.write_migration("V1__bad.up.sql",
                          "CREATE TABLE t (id INTEGER);\nINSERT INTO nope VALUES (1);\n");
  Migrator fm(failing.options());
  auto broken = fm.ensure(EnsureMode::kApplyIfNeeded);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, ErrorCode::kStatementFailed) << broken.error().describe();
  auto after = fm.ensure(EnsureMode::kVerifyOnly);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, ErrorCode::kFailedMigration) << after.error().describe();
  EXPECT_NE(after.error().message.find("failed at statement 2"), std::string::npos)
      << after.error().message;
}

// Needed means what apply would run with the same Options::phase: a contract migration waits
// for its deploy, and so does verify.
TEST(SqliteStartup, VerifyOnlyCountsContractMigrationsOnlyWhenThePhaseLetsApplyRunThem) {
  TestWorkspace ws;
  ws.copy_migrations_from(std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures/demo/sqlite");
  Options expand = ws.options();
  auto first = Migrator(expand).ensure(EnsureMode::kApplyIfNeeded);
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_EQ(first->version_after, "17");
  ASSERT_TRUE(first->run.phase_stop);
  auto verified = Migrator(expand).ensure(EnsureMode::kVerifyOnly);
  ASSERT_TRUE(verified) << verified.error().describe();

  Options contract = ws.options();
  contract.phase = PhaseScope::kContract;
  auto behind = Migrator(contract).ensure(EnsureMode::kVerifyOnly);
  ASSERT_FALSE(behind);
  EXPECT_EQ(behind.error().code, ErrorCode::kSchemaBehind);
  EXPECT_NE(behind.error().message.find("lacks 2 migration(s)"), std::string::npos)
      << behind.error().message;
  auto after_deploy = Migrator(contract).ensure(EnsureMode::kApplyIfNeeded);
  ASSERT_TRUE(after_deploy) << after_deploy.error().describe();
  EXPECT_EQ(after_deploy->version_after, "19");
  EXPECT_TRUE(Migrator(contract).ensure(EnsureMode::kVerifyOnly));
}

// A version bound beyond a contract that waits for its deploy: apply-if-needed stops before the
// contract, as verify counts it, instead of refusing the bound (PHASE_ORDER).
TEST(SqliteStartup, AVersionBoundBeyondAWaitingContractStopsBeforeIt) {
  TestWorkspace ws;
  ws.copy_migrations_from(std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures/demo/sqlite");
  EnsureOptions bounded;
  bounded.version = "V019";
  auto applied = Migrator(ws.options()).ensure(bounded);
  ASSERT_TRUE(applied) << applied.error().describe();
  EXPECT_EQ(applied->version_after, "17");
  EXPECT_EQ(applied->run.steps.size(), 17u);
  bounded.mode = EnsureMode::kVerifyOnly;
  EXPECT_TRUE(Migrator(ws.options()).ensure(bounded));
  // A plain apply with the same bound is refused: the bound names a contract's territory.
  RunReport plain = Migrator(ws.options()).apply(std::string("V019"));
  ASSERT_TRUE(plain.error);
  EXPECT_EQ(plain.error->code, ErrorCode::kPhaseOrder);
}

TEST(SqliteStartup, WaitForVersionWaitsForAnotherProcessAndIsBounded) {
  TestWorkspace ws;
  write_three(ws);
  EnsureOptions wait;
  wait.mode = EnsureMode::kWaitForVersion;
  wait.version = "V2";
  wait.timeout = std::chrono::milliseconds(300);
  wait.poll_interval = std::chrono::milliseconds(50);
  auto timed_out = Migrator(ws.options()).ensure(wait);
  ASSERT_FALSE(timed_out);
  EXPECT_EQ(timed_out.error().code, ErrorCode::kSchemaBehind) << timed_out.error().describe();
  EXPECT_NE(timed_out.error().message.find("for version V2"), std::string::npos)
      << timed_out.error().message;
  EXPECT_FALSE(std::filesystem::exists(ws.database()));  // waiting writes nothing

  wait.version = "V9";
  auto unknown = Migrator(ws.options()).ensure(wait);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kTargetNotFound);

  wait.version = "V2";
  wait.timeout = std::chrono::seconds(60);
  std::thread applier([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    Migrator(ws.options()).apply(std::string("V2"));
  });
  auto waited = Migrator(ws.options()).ensure(wait);
  applier.join();
  ASSERT_TRUE(waited) << waited.error().describe();
  EXPECT_EQ(waited->version_after, "2");
  EXPECT_GE(waited->waited.count(), 300);

  // A stop request ends the wait with kCancelled.
  wait.version = "V3";
  std::stop_source stop;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop.request_stop();
  });
  auto cancelled = Migrator(ws.options()).ensure(wait, {}, stop.get_token());
  canceller.join();
  ASSERT_FALSE(cancelled);
  EXPECT_EQ(cancelled.error().code, ErrorCode::kCancelled) << cancelled.error().describe();
}

TEST(SqliteStartup, CancelledBetweenStepsLeavesAnExactHistoryAndTheNextRunGoesOn) {
  TestWorkspace ws;
  write_three(ws);
  std::stop_source stop;
  Observer observer;
  observer.after_step = [&](const StepOutcome& o) {
    if (o.version == "1") stop.request_stop();
  };
  Migrator m(ws.options());
  RunReport r = m.apply(std::nullopt, observer, stop.get_token());
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kCancelled) << r.error->describe();
  EXPECT_NE(r.error->message.find("cancelled before version 2 started"), std::string::npos)
      << r.error->message;
  ASSERT_EQ(r.steps.size(), 1u);
  EXPECT_EQ(query_sqlite(ws.database(),
                         "SELECT version || ':' || success FROM migrate_history WHERE direction = "
                         "'up' ORDER BY id"),
            std::vector<std::string>{"1:1"});
  RunReport rest = m.apply(std::nullopt);
  ASSERT_FALSE(rest.error) << rest.error->describe();
  EXPECT_EQ(rest.steps.size(), 2u);
}

TEST(SqliteStartup, CancelledBetweenBackfillBatchesResumesWithoutRetryFailedAndChangesEachRowOnce) {
  TestWorkspace ws;
  ws.write_migration("V1__t.up.sql",
                     "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL);\n"
                     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
                     "2000) INSERT INTO t SELECT i, i FROM n;\n");
  ws.write_migration("V2__double.up.sql",
                     "-- migrate:backfill batch-size=100 pause=1ms\n"
                     "UPDATE t SET v = v * 2 WHERE id > :batch_start AND id <= :batch_end;\n");
  ASSERT_FALSE(Migrator(ws.options()).apply(std::string("1")).error);

  std::stop_source stop;
  std::atomic<std::int64_t> progress_reports{0};
  Observer observer;
  observer.backfill_progress = [&](const BackfillProgress& p) {
    ++progress_reports;
    if (p.batches == 3) stop.request_stop();
  };
  Migrator m(ws.options());
  RunReport r = m.apply(std::nullopt, observer, stop.get_token());
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kCancelled) << r.error->describe();
  EXPECT_NE(r.error->message.find("after 3 batch(es)"), std::string::npos) << r.error->message;
  EXPECT_EQ(progress_reports.load(), 3);
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT count(*) FROM t WHERE v = id * 2"),
            std::vector<std::string>{"300"});
  EXPECT_EQ(query_sqlite(ws.database(),
                         "SELECT success || '|' || error_code || '|' || "
                         "json_extract(checkpoint, '$.backfill.rows') FROM migrate_history WHERE "
                         "version = '2'"),
            std::vector<std::string>{"0|CANCELLED|300"});
  auto status = m.status();
  ASSERT_TRUE(status);
  EXPECT_NE(describe_stop(*status->back().last_attempt).find("cancelled"), std::string::npos);
  // Not a failure a replica must wait for a person to fix: the next apply resumes it, so the
  // schema is only behind, and a waiting replica keeps waiting.
  auto verified = m.ensure(EnsureMode::kVerifyOnly);
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().code, ErrorCode::kSchemaBehind) << verified.error().describe();
  EXPECT_NE(verified.error().message.find("2 (double, stopped: apply resumes it)"),
            std::string::npos)
      << verified.error().message;

  // No --retry-failed: a cancelled backfill resumes after its last committed batch.
  RunReport rest = m.apply(std::nullopt);
  ASSERT_FALSE(rest.error) << rest.error->describe();
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT count(*) FROM t WHERE v = id * 2"),
            std::vector<std::string>{"2000"});
}

TEST(SqliteStartup, AnEmbeddedSetHasTheDirectorysChecksumsAndSharesItsHistory) {
  TestWorkspace ws;
  // BOM and CRLF: normalized the same way from memory as from disk.
  const std::string up =
      "\xEF\xBB\xBF"
      "CREATE TABLE a (id INTEGER PRIMARY KEY);\r\n";
  const std::string down = "DROP TABLE a;\r\n";
  ws.write_migration("V1__a.up.sql", up);
  ws.write_migration("V1__a.down.sql", down);
  ws.write_migration("V2__b.up.sql", "CREATE TABLE b (id INTEGER PRIMARY KEY);\n");
  const std::string b = "CREATE TABLE b (id INTEGER PRIMARY KEY);\n";
  const EmbeddedFile files[] = {
      {"V2__b.up.sql", b}, {"V1__a.down.sql", down}, {"V1__a.up.sql", up}};
  const EmbeddedMigrations embedded{"migrations", files};
  auto from_memory = load_embedded(embedded);
  ASSERT_TRUE(from_memory) << from_memory.error().describe();
  auto from_disk = load_directory(ws.migrations());
  ASSERT_TRUE(from_disk) << from_disk.error().describe();
  ASSERT_EQ(from_memory->migrations.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(from_memory->migrations[i].up.checksum, from_disk->migrations[i].up.checksum);
    EXPECT_EQ(from_memory->migrations[i].up.sql, from_disk->migrations[i].up.sql);
  }
  EXPECT_EQ(from_memory->migrations[0].down->checksum, from_disk->migrations[0].down->checksum);
  EXPECT_EQ(from_memory->migrations[0].up.path, std::filesystem::path("migrations/V1__a.up.sql"));

  Options service = ws.options();
  service.migrations_dir = ws.root() / "no-such-directory";  // not read with an embedded set
  service.embedded_migrations = embedded;
  auto applied = Migrator(service).ensure(EnsureMode::kApplyIfNeeded);
  ASSERT_TRUE(applied) << applied.error().describe();
  // The CLI's view of the same database from the directory: nothing changed, nothing pending.
  auto validation = Migrator(ws.options()).validate();
  ASSERT_TRUE(validation) << validation.error().describe();
  for (const auto& s : validation->statuses) EXPECT_EQ(s.state, State::kApplied) << s.version;

  // The same checks as a directory: a stray name is refused with its file named.
  const EmbeddedFile stray[] = {{"V1__a.up.sql", up}, {"notes.txt", "x"}};
  auto refused = load_embedded(EmbeddedMigrations{"migrations", stray});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kSourceInvalid);
  EXPECT_NE(refused.error().describe().find("migrations/notes.txt"), std::string::npos)
      << refused.error().describe();
}

// migrate_embed in tests/CMakeLists.txt compiled the demo directory into this binary: the same
// migrations, byte for byte, and the same checksums as the directory gives.
TEST(SqliteStartup, MigrateEmbedCompilesTheDirectoryWithTheFilesChecksums) {
  const std::filesystem::path demo =
      std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures/demo/sqlite";
  auto from_disk = load_directory(demo);
  ASSERT_TRUE(from_disk) << from_disk.error().describe();
  const EmbeddedMigrations& embedded = demo_sqlite_migrations();
  EXPECT_EQ(std::string(embedded.origin), demo.string());
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(demo))
    files += entry.path().filename().string().starts_with(".") ? 0 : 1;
  EXPECT_EQ(embedded.files.size(), files);
  auto from_memory = load_embedded(embedded);
  ASSERT_TRUE(from_memory) << from_memory.error().describe();
  ASSERT_EQ(from_memory->migrations.size(), from_disk->migrations.size());
  for (std::size_t i = 0; i < from_disk->migrations.size(); ++i) {
    const Migration& a = from_memory->migrations[i];
    const Migration& b = from_disk->migrations[i];
    EXPECT_EQ(a.version, b.version);
    EXPECT_EQ(a.up.checksum, b.up.checksum) << b.up.path;
    EXPECT_EQ(a.up.path, b.up.path);
    ASSERT_EQ(a.down.has_value(), b.down.has_value()) << b.up.path;
    if (b.down) {
      EXPECT_EQ(a.down->checksum, b.down->checksum) << b.down->path;
    }
    EXPECT_EQ(a.directives.phase, b.directives.phase);
    EXPECT_EQ(a.description, b.description);
  }
}

TEST(SqliteStartup, BaselineRecordsExistingMigrationsWithoutRunningThem) {
  TestWorkspace ws;
  write_three(ws);
  // The schema V1 and V2 build already exists, made by another tool.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(ws.database().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE b (id INTEGER "
                         "PRIMARY KEY); CREATE INDEX b_id ON b (id);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Migrator m(ws.options());
  auto written = m.baseline("V2");
  ASSERT_TRUE(written) << written.error().describe();
  ASSERT_EQ(written->size(), 2u);
  EXPECT_TRUE((*written)[0].baselined());
  EXPECT_EQ(query_sqlite(ws.database(),
                         "SELECT version || '|' || success || '|' || error_code || '|' || "
                         "execution_ms FROM migrate_history WHERE direction = 'up' ORDER BY id"),
            (std::vector<std::string>{"1|1|BASELINE|0", "2|1|BASELINE|0"}));
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT count(*) FROM migrate_history_statements"),
            std::vector<std::string>{"0"});
  auto status = m.status();
  ASSERT_TRUE(status);
  EXPECT_EQ((*status)[0].state, State::kApplied);
  EXPECT_TRUE((*status)[1].last_applied->baselined());
  EXPECT_EQ((*status)[2].state, State::kPending);

  auto again = m.baseline("V3");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kUsage);
  EXPECT_NE(again.error().message.find("(1, 2)"), std::string::npos) << again.error().message;
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT count(*) FROM migrate_history WHERE version = '3'"),
            std::vector<std::string>{"0"});

  RunReport rest = m.apply(std::nullopt);
  ASSERT_FALSE(rest.error) << rest.error->describe();
  ASSERT_EQ(rest.steps.size(), 1u);
  EXPECT_EQ(rest.steps[0].version, "3");
}

TEST(SqliteStartup, CheckAfterReportsOldFindingsWithoutRefusingAndGatesNewerOnes) {
  TestWorkspace ws;
  ws.write_migration("V1__t.up.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);\n");
  // Dropping a column on SQLite is an error-level finding (sqlite-drop-column).
  ws.write_migration("V2__drop_a.up.sql", "ALTER TABLE t DROP COLUMN a;\n");
  ws.write_migration("V3__drop_b.up.sql", "ALTER TABLE t DROP COLUMN b;\n");
  Options o = ws.options();
  auto refused = Migrator(o).plan_apply(std::nullopt);
  ASSERT_TRUE(refused) << refused.error().describe();
  ASSERT_TRUE(refused->refusal);
  EXPECT_EQ(refused->refusal->code, ErrorCode::kUnsafeMigration);

  std::vector<std::string> logged;
  o.log = [&](LogLevel, const std::string& line) { logged.push_back(line); };
  o.check_after = "V2";
  RunReport r = Migrator(o).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kUnsafeMigration);
  EXPECT_NE(r.error->message.find("V3__drop_b.up.sql"), std::string::npos) << r.error->message;
  EXPECT_EQ(r.error->message.find("V2__drop_a.up.sql"), std::string::npos) << r.error->message;
  EXPECT_TRUE(r.steps.empty());

  o.check_after = "V3";
  logged.clear();
  RunReport ok = Migrator(o).apply(std::nullopt);
  ASSERT_FALSE(ok.error) << ok.error->describe();
  EXPECT_EQ(ok.steps.size(), 3u);
  bool reported = false;
  for (const auto& l : logged)
    reported = reported || (l.find("reported, not refused") != std::string::npos &&
                            l.find("V2__drop_a.up.sql") != std::string::npos);
  EXPECT_TRUE(reported);

  o.check_after = "twelve";
  auto bad = Migrator(o).plan_apply(std::nullopt);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kUsage);
}

}  // namespace
}  // namespace migrate
