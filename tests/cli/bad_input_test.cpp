// Bad input against the built `migrate` on real SQLite files (docs/operations.md): every case
// gives a named error with its exit code, points at the file (and line:column) where there is
// one, says how to fix it, and leaves the database as it was.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>

#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::query_sqlite;
using testing::run_migrate;
using testing::schema_of;
using testing::TestWorkspace;

// A command that should fail at once must not hang the suite: a blocked child is killed.
void time_limit_in_child() {
  alarm(60);
}

// Root writes through file modes; the read-only cases run the command as `nobody` then, so
// the test means the same for root and for an ordinary user.
void unprivileged_in_child() {
  time_limit_in_child();
  if (geteuid() != 0) return;
  if (setgid(65534) != 0 || setuid(65534) != 0) _exit(126);
}

class BadInputTest : public ::testing::Test {
 protected:
  CommandResult migrate(std::vector<std::string> args,
                        const std::function<void()>& in_child = time_limit_in_child) {
    std::vector<std::string> full{
        "--db", ws.database_url(), "--dir", ws.migrations().string(), "--log-level", "warn"};
    full.insert(full.end(), args.begin(), args.end());
    return run_migrate(full, ws.root(), {}, in_child);
  }
  static json parse(const CommandResult& r) {
    try {
      return json::parse(r.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "stdout is not JSON: " << e.what() << "\n"
                    << r.out << "\nstderr:\n"
                    << r.err;
      return json::object();
    }
  }
  std::vector<std::string> applied_versions() const {
    return query_sqlite(
        ws.database(),
        "SELECT version FROM migrate_history WHERE direction = 'up' AND success = 1 "
        "ORDER BY id");
  }
  TestWorkspace ws;
};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(BadInputTest, MalformedNamesStrayFilesAndDuplicateVersionsAreListedTogether) {
  ws.write_migration("V1__ok.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ws.write_migration("V2_one_underscore.up.sql", "CREATE TABLE b (id INTEGER);\n");
  ws.write_migration("README.txt", "notes");
  ws.write_migration("V3__first.up.sql", "CREATE TABLE c (id INTEGER);\n");
  ws.write_migration("V003__first.up.sql", "CREATE TABLE c (id INTEGER);\n");
  ws.write_migration("V4__one.up.sql", "CREATE TABLE d (id INTEGER);\n");
  ws.write_migration("V4__two.down.sql", "DROP TABLE d;\n");
  auto r = migrate({"apply"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(has(r.err, "error[SOURCE_INVALID]")) << r.err;
  EXPECT_TRUE(has(r.err, "4 problem(s)")) << r.err;
  EXPECT_TRUE(has(r.err, "V2_one_underscore.up.sql: not a migration file")) << r.err;
  EXPECT_TRUE(has(r.err, "README.txt: not a migration file")) << r.err;
  EXPECT_TRUE(has(r.err, "two up files for version 3")) << r.err;
  EXPECT_TRUE(has(r.err, "version 4 has two names")) << r.err;
  EXPECT_TRUE(has(r.err, "fix: rename, fix or remove these files")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(ws.database())) << "nothing may be applied";
}

TEST_F(BadInputTest, NonUtf8BytesAndNulBytesAreNamedByLineAndColumn) {
  ws.write_migration("V1__ok.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ws.write_migration("V2__latin1.up.sql", "CREATE TABLE b (id INTEGER);\n-- caf\xE9\n");
  auto latin1 = migrate({"apply", "--output", "json"});
  EXPECT_EQ(latin1.exit_code, 3);
  json j = parse(latin1);
  EXPECT_EQ(j["error"]["code"], "SOURCE_INVALID");
  EXPECT_TRUE(has(j["error"]["message"].get<std::string>(), "not valid UTF-8 (byte 0xe9"));
  EXPECT_EQ(j["error"]["line"], 2);
  EXPECT_EQ(j["error"]["column"], 7);
  EXPECT_TRUE(has(j["error"]["hint"].get<std::string>(), "UTF-8"));

  ws.write_migration("V2__latin1.up.sql", std::string("CREATE TABLE b (id INTEGER);\nSELECT 1;") +
                                              '\0' + "\nSELECT 2;\n");
  auto nul = migrate({"apply"});
  EXPECT_EQ(nul.exit_code, 3) << nul.err;
  EXPECT_TRUE(has(nul.err, "V2__latin1.up.sql:2:10: contains a NUL byte (offset 38)")) << nul.err;
  EXPECT_FALSE(has(nul.err, "unterminated")) << nul.err;
  EXPECT_FALSE(std::filesystem::exists(ws.database()));
}

TEST_F(BadInputTest, AnEmptyUpFileIsAppliedButPlanAndLintWarnAboutIt) {
  ws.write_migration("V1__placeholder.up.sql", "");
  ws.write_migration("V2__only_comments.up.sql", "-- migrate:class additive\n-- later\n");
  auto plan = migrate({"plan"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_TRUE(has(plan.out, "[empty-migration] V1__placeholder.up.sql has no statements"))
      << plan.out;
  EXPECT_TRUE(has(plan.out, "[empty-migration] V2__only_comments.up.sql has no statements"));
  auto lint = migrate({"lint", "--output", "json"});
  EXPECT_EQ(lint.exit_code, 0) << lint.err;
  json findings = parse(lint)["migrations"][0]["findings"];
  ASSERT_EQ(findings.size(), 1u) << lint.out;
  EXPECT_EQ(findings[0]["rule"], "empty-migration");
  EXPECT_EQ(findings[0]["severity"], "warning");
  // A placeholder is legitimate: it applies, and is visible in the history.
  auto apply = migrate({"apply"});
  EXPECT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_EQ(applied_versions(), (std::vector<std::string>{"1", "2"}));
}

TEST_F(BadInputTest, AFiftyMegabyteFileAppliesInBoundedTimeAndMemory) {
  // 5,000 INSERT statements of 10 kB each: 50 MB in one migration.
  {
    std::ofstream f(ws.migrations() / "V1__big.up.sql", std::ios::binary);
    f << "CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);\n";
    const std::string payload(10'000, 'x');
    for (int i = 0; i < 5'000; ++i) f << "INSERT INTO big (v) VALUES ('" << payload << "');\n";
  }
  ASSERT_GE(std::filesystem::file_size(ws.migrations() / "V1__big.up.sql"), 50'000'000u);
  const auto start = std::chrono::steady_clock::now();
  auto r = migrate({"apply"});
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(seconds, 60);
  rusage usage{};
  ASSERT_EQ(getrusage(RUSAGE_CHILDREN, &usage), 0);
  EXPECT_LT(usage.ru_maxrss, 1'000'000) << "peak resident set of migrate in kB";
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT count(*), sum(length(v)) FROM big"),
            std::vector<std::string>{"5000|50000000"});
}

// SQLite's parser finds a syntax error when the plan is made, as PostgreSQL's does: plan,
// validate and apply refuse with SOURCE_INVALID before anything runs, naming the token.
TEST_F(BadInputTest, ASqliteSyntaxErrorIsRefusedBeforeAnythingRunsWithLineAndColumn) {
  ws.write_migration("V1__ok.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ws.write_migration("V2__typo.up.sql",
                     "CREATE TABLE b (id INTEGER);\n\n  CREATE TABEL c (id INTEGER);\n");
  auto plan = migrate({"plan"});
  EXPECT_EQ(plan.exit_code, 3) << plan.err;
  EXPECT_TRUE(has(plan.err,
                  "V2__typo.up.sql:3:10: statement 2 is not valid SQLite SQL: near "
                  "\"TABEL\": syntax error"))
      << plan.err;
  EXPECT_EQ(migrate({"validate"}).exit_code, 3);
  auto r = migrate({"apply", "--output", "json"});
  EXPECT_EQ(r.exit_code, 3) << r.out;
  json j = parse(r);
  EXPECT_EQ(j["error"]["code"], "SOURCE_INVALID");
  EXPECT_TRUE(has(j["error"]["file"].get<std::string>(), "V2__typo.up.sql")) << r.out;
  EXPECT_EQ(j["error"]["version"], "2");
  EXPECT_EQ(j["error"]["statement"], 2);
  EXPECT_EQ(j["error"]["line"], 3) << r.out;
  EXPECT_EQ(j["error"]["column"], 10) << r.out;
  EXPECT_TRUE(has(j["error"]["message"].get<std::string>(), "near \"TABEL\": syntax error"));
  EXPECT_TRUE(has(j["error"]["hint"].get<std::string>(), "nothing was applied"));
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT name FROM sqlite_master"),
            std::vector<std::string>{})
      << "not even V1 ran, and no history table was created";
}

TEST_F(BadInputTest, BadSqliteUrlsAreUsageOrConnectionErrors) {
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  auto run = [&](const std::string& url) {
    return run_migrate({"--db", url, "--dir", ws.migrations().string(), "apply"}, ws.root(), {},
                       time_limit_in_child);
  };
  auto empty = run("sqlite:");
  EXPECT_EQ(empty.exit_code, 2) << empty.err;
  EXPECT_TRUE(has(empty.err, "names no file"));
  auto parameter = run("sqlite:" + ws.database().string() + "?cache=shared");
  EXPECT_EQ(parameter.exit_code, 2) << parameter.err;
  EXPECT_TRUE(has(parameter.err, "unknown SQLite URL parameter 'cache=shared'")) << parameter.err;
  auto missing_dir = run("sqlite:" + (ws.root() / "no/such/dir/app.db").string());
  EXPECT_EQ(missing_dir.exit_code, 11) << missing_dir.err;
  EXPECT_TRUE(has(missing_dir.err, "CONNECTION_FAILED"));
  auto not_a_database = ws.root() / "notes.db";
  std::ofstream(not_a_database) << std::string(4096, 'n');
  auto garbage = run("sqlite:" + not_a_database.string());
  EXPECT_EQ(garbage.exit_code, 11) << garbage.err;
  EXPECT_TRUE(has(garbage.err, "is not a usable SQLite database")) << garbage.err;
  EXPECT_FALSE(std::filesystem::exists(ws.database()));
  for (const auto& e : std::filesystem::directory_iterator(ws.root()))
    EXPECT_FALSE(has(e.path().filename().string(), "?")) << "a URL parameter became a file name";
}

TEST_F(BadInputTest, AHistoryOfANewerFormatIsRefusedByEveryCommand) {
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ASSERT_EQ(migrate({"apply"}).exit_code, 0);
  ws.write_migration("V2__b.up.sql", "CREATE TABLE b (id INTEGER);\n");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(ws.database().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE migrate_history SET history_format = 9 WHERE id = 1", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto schema = schema_of(ws.database());
  for (const char* command : {"status", "plan", "apply"}) {
    auto r = migrate({command});
    EXPECT_EQ(r.exit_code, 14) << command << ": " << r.err;
    EXPECT_TRUE(has(r.err, "has format 9, newer than this libmigrate reads")) << r.err;
    EXPECT_TRUE(has(r.err, "fix: upgrade migrate")) << r.err;
  }
  EXPECT_EQ(schema_of(ws.database()), schema);
}

TEST_F(BadInputTest, AReadOnlyDatabaseFileIsRefusedBeforeAnythingRuns) {
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ASSERT_EQ(migrate({"apply"}).exit_code, 0);
  ws.write_migration("V2__b.up.sql", "CREATE TABLE b (id INTEGER);\n");
  std::filesystem::permissions(ws.database(), std::filesystem::perms::owner_read |
                                                  std::filesystem::perms::group_read |
                                                  std::filesystem::perms::others_read);
  auto r = migrate({"apply", "--output", "json"}, unprivileged_in_child);
  EXPECT_EQ(r.exit_code, 20) << r.out << r.err;
  json j = parse(r);
  EXPECT_EQ(j["error"]["code"], "READ_ONLY_DATABASE");
  EXPECT_TRUE(has(j["error"]["message"].get<std::string>(), "is read-only for this user"));
  EXPECT_TRUE(has(j["error"]["hint"].get<std::string>(), "writable"));
  // Reading still works.
  auto status = migrate({"status"}, unprivileged_in_child);
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(has(status.out, "1 applied, 1 pending")) << status.out;
  EXPECT_EQ(applied_versions(), std::vector<std::string>{"1"});
}

TEST_F(BadInputTest, AReadOnlyDirectoryIsRefusedWhetherOrNotTheLockFileExists) {
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ASSERT_EQ(migrate({"apply"}).exit_code, 0);
  ws.write_migration("V2__b.up.sql", "CREATE TABLE b (id INTEGER);\n");
  const auto lock = ws.root() / "app.db-migrate-lock";
  namespace fs = std::filesystem;
  const auto all_rw = fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                      fs::perms::group_write | fs::perms::others_read | fs::perms::others_write;
  fs::permissions(ws.database(), all_rw);
  fs::remove(lock);
  const auto read_only_dir = fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                             fs::perms::group_exec | fs::perms::others_read |
                             fs::perms::others_exec;
  fs::permissions(ws.root(), read_only_dir);
  auto no_lock = migrate({"apply"}, unprivileged_in_child);
  EXPECT_EQ(no_lock.exit_code, 20) << no_lock.err;
  EXPECT_TRUE(has(no_lock.err, "cannot create the migration lock file")) << no_lock.err;
  EXPECT_TRUE(has(no_lock.err, "make the database's directory writable")) << no_lock.err;

  // With a writable lock file left from an earlier run, SQLite itself meets the directory when
  // it creates its journal.
  fs::permissions(ws.root(), fs::perms::owner_all | read_only_dir);
  std::ofstream(lock) << "";
  fs::permissions(lock, all_rw);
  fs::permissions(ws.root(), read_only_dir);
  auto with_lock = migrate({"apply", "--output", "json"}, unprivileged_in_child);
  fs::permissions(ws.root(), fs::perms::owner_all | read_only_dir);
  EXPECT_EQ(with_lock.exit_code, 20) << with_lock.out << with_lock.err;
  json j = parse(with_lock);
  EXPECT_EQ(j["error"]["code"], "READ_ONLY_DATABASE");
  EXPECT_TRUE(has(j["error"]["hint"].get<std::string>(), "directory")) << with_lock.out;
  EXPECT_EQ(applied_versions(), std::vector<std::string>{"1"});
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT name FROM sqlite_master WHERE name = 'b'").size(),
            0u);
}

TEST_F(BadInputTest, ModeRoInTheUrlReadsButRefusesToWrite) {
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ASSERT_EQ(migrate({"apply"}).exit_code, 0);
  ws.write_migration("V2__b.up.sql", "CREATE TABLE b (id INTEGER);\n");
  const std::string url = ws.database_url() + "?mode=ro";
  auto status = run_migrate({"--db", url, "--dir", ws.migrations().string(), "status"}, ws.root(),
                            {}, time_limit_in_child);
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(has(status.out, "1 applied, 1 pending")) << status.out;
  auto apply = run_migrate({"--db", url, "--dir", ws.migrations().string(), "apply"}, ws.root(), {},
                           time_limit_in_child);
  EXPECT_EQ(apply.exit_code, 20) << apply.err;
  EXPECT_TRUE(has(apply.err, "READ_ONLY_DATABASE")) << apply.err;
  EXPECT_TRUE(has(apply.err, "mode=ro")) << apply.err;
  EXPECT_EQ(applied_versions(), std::vector<std::string>{"1"});
}

// The migration that fills the disk: 10 MB of random bytes, more than the limits below allow.
const char* const kDiskFilling =
    "CREATE TABLE big (v BLOB);\n"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)\n"
    "INSERT INTO big SELECT randomblob(10000) FROM n;\n";

void check_storage_full(const CommandResult& r) {
  EXPECT_EQ(r.exit_code, 23) << r.out << r.err;
  EXPECT_TRUE(has(r.err, "error[STORAGE_FULL]")) << r.err;
  EXPECT_TRUE(has(r.err, "free space")) << r.err;
  EXPECT_FALSE(has(r.err, "deferred constraints")) << r.err;
}

// A 1 MB tmpfs where mounting is permitted (SQLITE_FULL); else a 1 MB file size limit
// (RLIMIT_FSIZE, with SIGXFSZ ignored so the write fails with EFBIG: SQLITE_IOERR_WRITE).
TEST_F(BadInputTest, AFullDiskIsStorageFullAndTheMigrationIsRolledBack) {
  const auto mount_point = ws.root() / "tiny";
  std::filesystem::create_directories(mount_point);
  const bool mounted = mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=1M") == 0;
  struct Unmount {
    std::filesystem::path at;
    bool active;
    ~Unmount() {
      if (active) umount(at.c_str());
    }
  } unmount{mount_point, mounted};
  const auto db = mounted ? mount_point / "app.db" : ws.database();
  const std::string url = "sqlite:" + db.string();
  auto limited = [mounted] {
    time_limit_in_child();
    if (mounted) return;
    signal(SIGXFSZ, SIG_IGN);
    rlimit limit{1'000'000, 1'000'000};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(125);
  };
  auto run = [&](std::vector<std::string> args, const std::function<void()>& in_child) {
    std::vector<std::string> full{"--db", url, "--dir", ws.migrations().string()};
    full.insert(full.end(), args.begin(), args.end());
    return run_migrate(full, ws.root(), {}, in_child);
  };
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ASSERT_EQ(run({"apply"}, limited).exit_code, 0);
  ws.write_migration("V2__fill.up.sql", kDiskFilling);
  auto r = run({"apply"}, limited);
  SCOPED_TRACE(mounted ? "1 MB tmpfs" : "RLIMIT_FSIZE 1 MB");
  check_storage_full(r);
  EXPECT_TRUE(has(r.err, "V2__fill.up.sql")) << r.err;
  EXPECT_EQ(query_sqlite(db, "SELECT name FROM sqlite_master WHERE name = 'big'").size(), 0u);
  EXPECT_EQ(query_sqlite(db,
                         "SELECT count(*) FROM migrate_history WHERE version = '2' AND "
                         "success = 1"),
            std::vector<std::string>{"0"});
  // With the space back (a smaller migration), the retry applies it.
  ws.write_migration("V2__fill.up.sql", "CREATE TABLE big (v BLOB);\n");
  auto retry = run({"apply", "--retry-failed"}, limited);
  EXPECT_EQ(retry.exit_code, 0) << retry.err;
}

TEST_F(BadInputTest, AFileSizeLimitIsStorageFullEvenWhereATmpfsCouldBeMounted) {
  auto limited = [] {
    time_limit_in_child();
    signal(SIGXFSZ, SIG_IGN);
    rlimit limit{1'000'000, 1'000'000};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(125);
  };
  ws.write_migration("V1__fill.up.sql", kDiskFilling);
  auto r = migrate({"apply"}, limited);
  check_storage_full(r);
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT name FROM sqlite_master WHERE name = 'big'").size(),
            0u);
}

TEST_F(BadInputTest, SymlinkLoopsAndDanglingLinksAreNamedNotFollowedForever) {
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  std::filesystem::create_symlink("V2__loop.up.sql", ws.migrations() / "V2__loop.up.sql");
  std::filesystem::create_symlink("nowhere.sql", ws.migrations() / "V3__gone.up.sql");
  auto r = migrate({"apply"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(has(r.err, "V2__loop.up.sql: not a migration file: it cannot be followed")) << r.err;
  EXPECT_TRUE(has(r.err, "symbolic link loop")) << r.err;
  EXPECT_TRUE(has(r.err, "V3__gone.up.sql: not a migration file: a symbolic link to nowhere.sql"))
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(ws.database()));

  std::filesystem::create_symlink("loop_dir", ws.root() / "loop_dir");
  auto dir =
      run_migrate({"--db", ws.database_url(), "--dir", (ws.root() / "loop_dir").string(), "status"},
                  ws.root(), {}, time_limit_in_child);
  EXPECT_EQ(dir.exit_code, 3) << dir.err;
  EXPECT_TRUE(has(dir.err, "cannot open migrations directory")) << dir.err;
}

TEST_F(BadInputTest, AFifoInTheMigrationsDirectoryIsNamedWithoutReadingIt) {
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ASSERT_EQ(mkfifo((ws.migrations() / "V2__pipe.up.sql").c_str(), 0644), 0);
  ASSERT_EQ(mkfifo((ws.migrations() / "events.fifo").c_str(), 0644), 0);
  for (const char* command : {"apply", "status", "lint"}) {
    auto r = migrate({command});
    EXPECT_EQ(r.exit_code, 3) << command << ": " << r.err;  // 128 + SIGALRM if it blocked
    EXPECT_TRUE(has(r.err, "V2__pipe.up.sql: not a migration file: it is a FIFO (named pipe)"))
        << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(ws.database()));
}

TEST_F(BadInputTest, ADirFlagNamingAFileSaysItIsNotADirectory) {
  auto file = ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  auto r = run_migrate({"--db", ws.database_url(), "--dir", file.string(), "apply"}, ws.root(), {},
                       time_limit_in_child);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(has(r.err, "is a regular file, not a directory")) << r.err;
  EXPECT_FALSE(has(r.err, "does not exist")) << r.err;
  EXPECT_TRUE(has(r.err, "fix: pass --dir the directory")) << r.err;
  auto missing = run_migrate({"--db", ws.database_url(), "--dir", "nowhere", "status"}, ws.root(),
                             {}, time_limit_in_child);
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_TRUE(has(missing.err, "does not exist")) << missing.err;
}

TEST_F(BadInputTest, AHistoryTableNameThatMatchesNothingBesideAnotherHistoryIsRefused) {
  ws.write_migration("V1__a.up.sql", "CREATE TABLE IF NOT EXISTS a (id INTEGER);\n");
  ASSERT_EQ(migrate({"apply"}).exit_code, 0);
  ws.write_migration("V2__b.up.sql", "CREATE TABLE IF NOT EXISTS b (id INTEGER);\n");
  auto schema = schema_of(ws.database());

  auto typo = migrate({"--history-table", "migrate_histroy", "apply"});
  EXPECT_EQ(typo.exit_code, 14) << typo.err;
  EXPECT_TRUE(has(typo.err, "error[HISTORY_INCOMPATIBLE]")) << typo.err;
  EXPECT_TRUE(has(typo.err, "\"migrate_histroy\" does not exist")) << typo.err;
  EXPECT_TRUE(has(typo.err, "history table(s) migrate_history")) << typo.err;
  EXPECT_TRUE(has(typo.err, "fix: pass --history-table migrate_history")) << typo.err;
  EXPECT_TRUE(has(typo.err, "--new-history")) << typo.err;
  EXPECT_EQ(schema_of(ws.database()), schema);
  EXPECT_EQ(query_sqlite(ws.database(),
                         "SELECT count(*) FROM sqlite_master WHERE name LIKE 'migrate_histroy%'"),
            std::vector<std::string>{"0"});

  for (const char* command : {"status", "plan"}) {
    auto warned = migrate({"--history-table", "migrate_histroy", command});
    EXPECT_EQ(warned.exit_code, 0) << command << ": " << warned.err;
    EXPECT_TRUE(has(warned.err, "history table(s) migrate_history")) << command << warned.err;
  }
  EXPECT_FALSE(has(migrate({"status"}).err, "history table(s)"));

  auto deliberate = migrate({"--history-table", "second_history", "apply", "--new-history"});
  EXPECT_EQ(deliberate.exit_code, 0) << deliberate.err;
  EXPECT_EQ(query_sqlite(ws.database(),
                         "SELECT count(*) FROM second_history WHERE direction = "
                         "'up'"),
            std::vector<std::string>{"2"});
}

TEST_F(BadInputTest, AViewOrANullFilledTableNamedLikeTheHistoryIsNotAHistory) {
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(ws.database().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, "CREATE VIEW migrate_history AS SELECT 1 AS id", nullptr, nullptr, nullptr),
      SQLITE_OK);
  for (const char* command : {"status", "apply"}) {
    auto r = migrate({command});
    EXPECT_EQ(r.exit_code, 14) << command << ": " << r.err;
    EXPECT_TRUE(has(r.err, "\"migrate_history\" is a view, not a libmigrate history table"))
        << r.err;
    EXPECT_TRUE(has(r.err, "--history-table")) << r.err;
  }
  // The same columns as libmigrate's table, without its NOT NULL constraints, and a NULL run_id.
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP VIEW migrate_history;"
                         "CREATE TABLE migrate_history (id INTEGER PRIMARY KEY, history_format "
                         "INTEGER, run_id TEXT, version TEXT, name TEXT, direction TEXT, checksum "
                         "TEXT, down_checksum TEXT, transactional INTEGER, started_at TEXT, "
                         "finished_at TEXT, success INTEGER, error_message TEXT, error_code TEXT, "
                         "statement_index INTEGER, execution_ms INTEGER, installed_by TEXT, client "
                         "TEXT, tool_version TEXT, error_statement INTEGER, progress_checksum "
                         "TEXT);"
                         "INSERT INTO migrate_history (id, history_format, version, name, "
                         "direction) VALUES (7, 1, '1', 'a', 'up');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  for (const char* command : {"status", "apply"}) {
    auto r = migrate({command, "--output", "json"});
    EXPECT_EQ(r.exit_code, 14) << command << ": " << r.out;
    json j = parse(r);
    EXPECT_EQ(j["error"]["code"], "HISTORY_INCOMPATIBLE");
    EXPECT_TRUE(
        has(j["error"]["message"].get<std::string>(), "NULL in column run_id of the row with id 7"))
        << r.out;
  }
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT name FROM sqlite_master WHERE name = 'a'").size(),
            0u);
}

}  // namespace
}  // namespace migrate
