// `--backup DIR` (and backup.dir in migrate.toml) on SQLite through the built binary: the copy is
// written before the first change, named in the report and in `status`, and a backup that cannot
// be written refuses the run with BACKUP_FAILED (exit 31) before anything changes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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

const std::filesystem::path kDemo =
    std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures/demo/sqlite";

class BackupCliTest : public ::testing::Test {
 protected:
  CommandResult migrate(std::vector<std::string> args) {
    std::vector<std::string> full{
        "--db", ws.database_url(), "--dir", ws.migrations().string(), "--log-level", "warn"};
    full.insert(full.end(), args.begin(), args.end());
    return run_migrate(full, ws.root());
  }
  std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    if (!std::filesystem::exists(dir)) return out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path());
    return out;
  }
  TestWorkspace ws;
};

TEST_F(BackupCliTest, ApplyWithBackupCopiesTheDatabaseFirstAndRecordsTheFile) {
  ws.copy_migrations_from(kDemo);
  ASSERT_EQ(migrate({"apply", "--target", "3"}).exit_code, 0);
  const auto schema_before = schema_of(ws.database());
  const auto rows_before = query_sqlite(ws.database(), "SELECT count(*) FROM migrate_history");
  const auto dir = ws.root() / "backups";

  auto apply = migrate({"apply", "--target", "5", "--backup", dir.string(), "--output", "json"});
  ASSERT_EQ(apply.exit_code, 0) << apply.err << apply.out;
  json j = json::parse(apply.out);
  ASSERT_TRUE(j["backup"].is_string()) << apply.out;
  const std::filesystem::path file = j["backup"].get<std::string>();
  EXPECT_EQ(files_in(dir), std::vector<std::filesystem::path>{file});
  EXPECT_EQ(file.extension(), ".sqlite3");
  EXPECT_NE(file.filename().string().find("app-"), std::string::npos) << file;
  EXPECT_NE(file.filename().string().find("-before-V4-V5"), std::string::npos) << file;

  // The copy is the database as it was before the run.
  EXPECT_EQ(schema_of(file), schema_before);
  EXPECT_EQ(query_sqlite(file, "SELECT count(*) FROM migrate_history"), rows_before);
  EXPECT_NE(schema_of(ws.database()), schema_before);

  // Recorded in the history, shown by status (JSON and text).
  EXPECT_EQ(query_sqlite(ws.database(),
                         "SELECT DISTINCT backup FROM migrate_history WHERE version IN ('4', '5')"),
            std::vector<std::string>{file.string()});
  auto status = migrate({"status", "--output", "json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  json s = json::parse(status.out);
  bool seen = false;
  for (const auto& m : s["migrations"]) {
    if (m["version"] == "4") {
      EXPECT_EQ(m["applied"]["backup"], file.string()) << m.dump();
      seen = true;
    }
    if (m["version"] == "1") {
      EXPECT_TRUE(m["applied"]["backup"].is_null()) << m.dump();
    }
  }
  EXPECT_TRUE(seen) << status.out;
  auto text = migrate({"status"});
  EXPECT_NE(text.out.find("backup " + file.string()), std::string::npos) << text.out;
}

TEST_F(BackupCliTest, BackupDirFromMigrateTomlAndTheTextReport) {
  ws.copy_migrations_from(kDemo);
  std::ofstream(ws.root() / "migrate.toml") << "[backup]\ndir = \"saved\"\n";
  auto apply = migrate({"apply", "--target", "2"});
  ASSERT_EQ(apply.exit_code, 0) << apply.err;
  auto files = files_in(ws.root() / "saved");
  ASSERT_EQ(files.size(), 1u);
  // An absolute path: the history keeps it for runs from any directory.
  EXPECT_NE(apply.out.find("backup " + (ws.root() / "saved" / files[0].filename()).string()),
            std::string::npos)
      << apply.out;
  auto config = migrate({"config"});
  EXPECT_NE(config.out.find("backup.dir"), std::string::npos) << config.out;
}

TEST_F(BackupCliTest, RollbackBacksUpBeforeRevertingAndWithNothingToRunTakesNone) {
  ws.copy_migrations_from(kDemo);
  ASSERT_EQ(migrate({"apply", "--target", "3"}).exit_code, 0);
  const auto dir = ws.root() / "backups";
  auto none = migrate({"apply", "--target", "3", "--backup", dir.string()});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_TRUE(files_in(dir).empty());
  const auto schema_before = schema_of(ws.database());
  auto rb = migrate({"rollback", "--target", "1", "--yes", "--backup", dir.string()});
  ASSERT_EQ(rb.exit_code, 0) << rb.err;
  auto files = files_in(dir);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_NE(files[0].filename().string().find("-before-rollback-V3-V2"), std::string::npos);
  EXPECT_EQ(schema_of(files[0]), schema_before);
}

TEST_F(BackupCliTest, AnUnwritableBackupDirectoryRefusesTheRunWithExit31) {
  ws.copy_migrations_from(kDemo);
  std::ofstream(ws.root() / "a-file") << "x";
  auto apply = migrate({"apply", "--backup", (ws.root() / "a-file" / "b").string()});
  EXPECT_EQ(apply.exit_code, 31) << apply.err;
  EXPECT_NE(apply.err.find("error[BACKUP_FAILED]"), std::string::npos) << apply.err;
  EXPECT_NE(apply.err.find("nothing was changed"), std::string::npos) << apply.err;
  // Nothing applied, no history.
  EXPECT_TRUE(query_sqlite(ws.database(),
                           "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                           "'sqlite_%'")
                  .empty());

  auto json_run =
      migrate({"apply", "--backup", (ws.root() / "a-file").string(), "--output", "json"});
  EXPECT_EQ(json_run.exit_code, 31);
  json j = json::parse(json_run.out);
  EXPECT_EQ(j["error"]["code"], "BACKUP_FAILED");
  EXPECT_EQ(j["exit_code"], 31);
}

TEST_F(BackupCliTest, AnInMemoryDatabaseCannotBeBackedUp) {
  ws.copy_migrations_from(kDemo);
  auto apply = run_migrate({"--db", "sqlite::memory:", "--dir", ws.migrations().string(), "apply",
                            "--backup", (ws.root() / "b").string()},
                           ws.root());
  EXPECT_EQ(apply.exit_code, 31) << apply.err;
  EXPECT_TRUE(files_in(ws.root() / "b").empty());
}

}  // namespace
}  // namespace migrate
