// Adopting libmigrate and starting services through the real binary (docs/adopting.md,
// docs/embedding.md): `migrate baseline`, the analysis start point (`--check-after`,
// `checks.start-after`), and `migrate ensure` in its three modes with their exit codes.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::CommandResult;
using testing::query_sqlite;
using testing::run_migrate;
using testing::TestWorkspace;

class CliAdoption : public ::testing::Test {
 protected:
  CommandResult migrate(std::vector<std::string> args) {
    std::vector<std::string> full{"--db", ws.database_url(), "--dir", ws.migrations().string()};
    full.insert(full.end(), args.begin(), args.end());
    return run_migrate(full, ws.root());
  }
  void write_history() {
    ws.write_migration("V1__t.up.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);\n");
    ws.write_migration("V1__t.down.sql", "DROP TABLE t;\n");
    // An error-level finding (a breaking change outside a contract migration).
    ws.write_migration("V2__drop_a.up.sql", "ALTER TABLE t DROP COLUMN a;\n");
    ws.write_migration("V3__u.up.sql", "CREATE TABLE u (id INTEGER PRIMARY KEY);\n");
  }
  TestWorkspace ws;
};

TEST_F(CliAdoption, BaselineRecordsWithoutRunningAndRefusesWhatIsRecorded) {
  write_history();
  auto r = migrate({"baseline", "--version", "V2", "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["baselined"].size(), 2u);
  EXPECT_EQ(j["baselined"][0]["version"], "1");
  EXPECT_EQ(j["baselined"][1]["baselined"], true);
  // Nothing ran: the tables the migrations create do not exist.
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT count(*) FROM sqlite_master WHERE name = 't'"),
            std::vector<std::string>{"0"});

  auto status = migrate({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("baselined (recorded as applied without running)"), std::string::npos)
      << status.out;

  auto again = migrate({"baseline", "--version", "V3"});
  EXPECT_EQ(again.exit_code, 2) << again.err;
  EXPECT_NE(again.err.find("already records 2 version(s)"), std::string::npos) << again.err;
  auto unknown = migrate({"baseline", "--version", "V7"});
  EXPECT_EQ(unknown.exit_code, 24) << unknown.err;
  auto missing = migrate({"baseline"});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_EQ(
      query_sqlite(ws.database(), "SELECT count(*) FROM migrate_history WHERE direction = 'up'"),
      std::vector<std::string>{"2"});
}

TEST_F(CliAdoption, CheckAfterFromTheCommandLineAndFromMigrateToml) {
  write_history();
  auto refused = migrate({"validate"});
  EXPECT_EQ(refused.exit_code, 16) << refused.out << refused.err;

  auto flag = migrate({"--check-after", "V2", "validate"});
  EXPECT_EQ(flag.exit_code, 0) << flag.out << flag.err;

  std::ofstream(ws.root() / "migrate.toml") << "[checks]\nstart-after = \"V2\"\n";
  auto config = migrate({"config"});
  EXPECT_NE(config.out.find("checks.start-after   = V2"), std::string::npos) << config.out;
  auto applied = migrate({"apply"});
  EXPECT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  EXPECT_NE(applied.err.find("reported, not refused"), std::string::npos) << applied.err;

  // lint: the old findings are printed, but only newer ones fail it.
  std::filesystem::remove(ws.root() / "migrate.toml");
  auto lint_all = migrate({"lint", "--dialect", "sqlite"});
  EXPECT_EQ(lint_all.exit_code, 16) << lint_all.out << lint_all.err;
  auto lint_after = migrate({"--check-after", "V2", "lint", "--dialect", "sqlite"});
  EXPECT_EQ(lint_after.exit_code, 0) << lint_after.out << lint_after.err;
  EXPECT_NE(lint_after.out.find("V2__drop_a.up.sql"), std::string::npos) << lint_after.out;
  auto lint_before = migrate({"--check-after", "V1", "lint", "--dialect", "sqlite"});
  EXPECT_EQ(lint_before.exit_code, 16) << lint_before.out << lint_before.err;

  auto bad = migrate({"--check-after", "soon", "plan"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("'soon' is not a version"), std::string::npos) << bad.err;
}

TEST_F(CliAdoption, EnsureVerifiesWaitsAndAppliesWithDistinctExitCodes) {
  ws.write_migration("V1__t.up.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY);\n");
  ws.write_migration("V2__u.up.sql", "CREATE TABLE u (id INTEGER PRIMARY KEY);\n");
  auto behind = migrate({"ensure", "--mode", "verify"});
  EXPECT_EQ(behind.exit_code, 28) << behind.err;
  EXPECT_NE(behind.err.find("error[SCHEMA_BEHIND]"), std::string::npos) << behind.err;
  EXPECT_FALSE(std::filesystem::exists(ws.database()));

  auto waited = migrate({"ensure", "--mode", "wait", "--version", "V2", "--timeout", "300ms"});
  EXPECT_EQ(waited.exit_code, 28) << waited.err;
  auto no_version = migrate({"ensure", "--mode", "wait"});
  EXPECT_EQ(no_version.exit_code, 2) << no_version.err;
  auto bad_mode = migrate({"ensure", "--mode", "sometimes"});
  EXPECT_EQ(bad_mode.exit_code, 2) << bad_mode.err;

  auto applied = migrate({"ensure", "--output", "json"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  auto j = nlohmann::json::parse(applied.out);
  EXPECT_EQ(j["ensure"]["mode"], "apply-if-needed");
  EXPECT_EQ(j["ensure"]["version_after"], "2");
  EXPECT_EQ(j["ensure"]["run"]["steps"].size(), 2u);

  auto verified = migrate({"ensure", "--mode", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_NE(verified.out.find("verify-only: schema at version 2"), std::string::npos)
      << verified.out;
}

}  // namespace
}  // namespace migrate
