// One command on several SQLite databases through the built binary (docs/cli.md#many-databases):
// `--db` repeated and `[[databases]]`, each database's output together in the given order, the
// summary table, JSON `databases` and `summary`, a failure that hides no other result, the exit
// code of the first failure, `--parallel`, and rollback's confirmation covering every database.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sqlite3.h>

#include <fstream>

#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::query_sqlite;
using testing::run_migrate;
using testing::TestWorkspace;

const std::filesystem::path kDemo =
    std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures/demo/sqlite";

class MultiDatabaseCliTest : public ::testing::Test {
 protected:
  void SetUp() override { ws.copy_migrations_from(kDemo); }
  std::filesystem::path db(const std::string& name) { return ws.root() / (name + ".db"); }
  std::string url(const std::string& name) { return "sqlite:" + db(name).string(); }
  CommandResult migrate(const std::vector<std::string>& dbs, std::vector<std::string> args) {
    std::vector<std::string> full{"--dir", ws.migrations().string(), "--log-level", "warn"};
    for (const auto& d : dbs) {
      full.push_back("--db");
      full.push_back(url(d));
    }
    full.insert(full.end(), args.begin(), args.end());
    return run_migrate(full, ws.root());
  }
  // A database where version 1's table already exists: its apply fails, the others' do not.
  void break_database(const std::string& name) {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db(name).c_str(), &h), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(h, "CREATE TABLE users (id INTEGER PRIMARY KEY)", nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(h);
  }
  std::vector<std::string> applied(const std::string& name) {
    return query_sqlite(db(name),
                        "SELECT version FROM migrate_history WHERE direction = 'up' AND success "
                        "ORDER BY id");
  }
  TestWorkspace ws;
};

TEST_F(MultiDatabaseCliTest, ApplyRunsOnEveryDatabaseInOrderWithASummary) {
  auto r = migrate({"alpha", "beta"}, {"apply", "--target", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(applied("alpha"), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(applied("beta"), (std::vector<std::string>{"1", "2", "3"}));
  const auto a = r.out.find("== alpha (" + url("alpha") + ") ==");
  const auto b = r.out.find("== beta (" + url("beta") + ") ==");
  const auto summary = r.out.find("Summary: 2 database(s), 2 succeeded, 0 failed");
  ASSERT_NE(a, std::string::npos) << r.out;
  ASSERT_NE(b, std::string::npos) << r.out;
  ASSERT_NE(summary, std::string::npos) << r.out;
  EXPECT_LT(a, b);
  EXPECT_LT(b, summary);
  // Each database's own result sits in its section.
  const auto applied_alpha = r.out.find("applied 3 create_team_memberships", a);
  EXPECT_LT(applied_alpha, b) << r.out;
  EXPECT_NE(r.out.find("applied 3 create_team_memberships", b), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("DATABASE  FROM  TO    RESULT  DURATION"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("alpha     -     3     ok      "), std::string::npos) << r.out;

  // A second apply goes from 3 to 5 on both.
  auto more = migrate({"alpha", "beta"}, {"apply", "--target", "5", "--output", "json"});
  ASSERT_EQ(more.exit_code, 0) << more.err;
  json j = json::parse(more.out);
  ASSERT_EQ(j["summary"].size(), 2u);
  for (const auto& s : j["summary"]) {
    EXPECT_EQ(s["from_version"], "3");
    EXPECT_EQ(s["to_version"], "5");
    EXPECT_EQ(s["result"], "ok");
  }
}

TEST_F(MultiDatabaseCliTest, AFailureHidesNoOtherResultAndSetsTheExitCode) {
  break_database("two");
  for (const char* parallel : {"1", "2"}) {
    SCOPED_TRACE(parallel);
    auto r = migrate({"one", "two", "three"},
                     {"apply", "--target", "3", "--parallel", parallel, "--output", "json"});
    json j = json::parse(r.out);
    ASSERT_EQ(j["databases"].size(), 3u) << r.out;
    EXPECT_EQ(j["databases"][0]["name"], "one");
    EXPECT_EQ(j["databases"][1]["name"], "two");
    EXPECT_EQ(j["databases"][2]["name"], "three");
    EXPECT_EQ(j["databases"][0]["url"], url("one"));
    EXPECT_EQ(j["databases"][0]["exit_code"], 0);
    EXPECT_TRUE(j["databases"][0]["result"]["ok"].get<bool>());
    const int failed = j["databases"][1]["exit_code"].get<int>();
    EXPECT_NE(failed, 0);
    EXPECT_FALSE(j["databases"][1]["result"]["ok"].get<bool>());
    EXPECT_EQ(j["databases"][2]["exit_code"], 0);
    // The exit code is the failed database's, and so is the envelope's error.
    EXPECT_EQ(r.exit_code, failed);
    EXPECT_EQ(j["exit_code"], failed);
    EXPECT_FALSE(j["ok"].get<bool>());
    EXPECT_EQ(j["error"]["code"], j["databases"][1]["result"]["error"]["code"]);
    ASSERT_EQ(j["summary"].size(), 3u);
    EXPECT_EQ(j["summary"][0]["result"], "ok");
    EXPECT_EQ(j["summary"][1]["result"], j["error"]["code"]);
    EXPECT_EQ(j["summary"][2]["result"], "ok");
    EXPECT_TRUE(j["summary"][1]["from_version"].is_null());
    EXPECT_TRUE(j["summary"][1]["to_version"].is_null());
    EXPECT_EQ(j["summary"][2]["to_version"], "3");
    EXPECT_GE(j["summary"][0]["duration_ms"].get<int>(), 0);
  }
  EXPECT_EQ(applied("one"), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(applied("three"), (std::vector<std::string>{"1", "2", "3"}));

  // Text: the failure's error on stderr with the database's name, the summary on stdout.
  auto text = migrate({"one", "two", "three"}, {"status"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  auto failing = migrate({"one", "two", "three"}, {"apply", "--target", "3"});
  EXPECT_NE(failing.exit_code, 0);
  EXPECT_NE(failing.err.find("[two] error["), std::string::npos) << failing.err;
  EXPECT_NE(failing.out.find("Summary: 3 database(s), 2 succeeded, 1 failed"), std::string::npos)
      << failing.out;
}

TEST_F(MultiDatabaseCliTest, DatabasesFromMigrateTomlWithNames) {
  std::ofstream(ws.root() / "migrate.toml")
      << "dir = \"" << ws.migrations().string() << "\"\n"
      << "[[databases]]\nname = \"orders\"\nurl = \"" << url("o") << "\"\n"
      << "[[databases]]\nname = \"billing\"\nurl = \"" << url("b") << "\"\n";
  auto r = run_migrate({"apply", "--target", "2", "--log-level", "warn"}, ws.root());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("== orders ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("== billing ("), std::string::npos) << r.out;
  EXPECT_EQ(applied("o"), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(applied("b"), (std::vector<std::string>{"1", "2"}));
  auto status = run_migrate({"status", "--output", "json"}, ws.root());
  ASSERT_EQ(status.exit_code, 0) << status.err;
  json j = json::parse(status.out);
  EXPECT_EQ(j["summary"][1]["name"], "billing");
  EXPECT_EQ(j["summary"][1]["to_version"], "2");
  EXPECT_TRUE(j["databases"][0]["result"]["migrations"].is_array());
  // --db on the command line wins over the list.
  auto one = run_migrate({"--db", url("o"), "status"}, ws.root());
  EXPECT_EQ(one.exit_code, 0);
  EXPECT_EQ(one.out.find("Summary:"), std::string::npos) << one.out;

  // Commands that need no database ignore the list.
  auto config = run_migrate({"config"}, ws.root());
  EXPECT_EQ(config.exit_code, 0) << config.err;

  std::ofstream(ws.root() / "migrate.toml") << "[[databases]]\nname = \"x\"\nport = \"1\"\n";
  auto bad = run_migrate({"status"}, ws.root());
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("unknown key 'port'"), std::string::npos) << bad.err;
}

TEST_F(MultiDatabaseCliTest, RollbackOnSeveralDatabasesNeedsYes) {
  ASSERT_EQ(migrate({"a", "b"}, {"apply", "--target", "3"}).exit_code, 0);
  auto refused = migrate({"a", "b"}, {"rollback", "--steps", "1"});
  EXPECT_EQ(refused.exit_code, 13) << refused.err;
  EXPECT_NE(refused.err.find("rollback on 2 databases was not confirmed"), std::string::npos)
      << refused.err;
  EXPECT_EQ(applied("a").size(), 3u);
  auto rb = migrate({"a", "b"}, {"rollback", "--steps", "1", "--yes"});
  ASSERT_EQ(rb.exit_code, 0) << rb.err;
  EXPECT_NE(rb.out.find("reverted 3 create_team_memberships"), std::string::npos) << rb.out;
  EXPECT_NE(rb.out.find("a         3     2     ok"), std::string::npos) << rb.out;
  for (const char* name : {"a", "b"})
    EXPECT_EQ(query_sqlite(db(name),
                           "SELECT count(*) FROM migrate_history WHERE direction = "
                           "'down' AND success"),
              std::vector<std::string>{"1"});
}

TEST_F(MultiDatabaseCliTest, CommandsForOneDatabaseRefuseSeveral) {
  auto r = migrate({"a", "b"}, {"baseline", "--version", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("`migrate baseline` works on one database; 2 were given"), std::string::npos)
      << r.err;
  auto p = migrate({"a", "b"}, {"status", "--parallel", "0"});
  EXPECT_EQ(p.exit_code, 2);
  // The same file name twice gets distinct names.
  auto twice = run_migrate({"--dir", ws.migrations().string(), "--db", url("a"), "--db",
                            "sqlite:" + (ws.root() / "sub").string() + "/a.db", "status"},
                           ws.root());
  EXPECT_NE(twice.out.find("== a-2 ("), std::string::npos) << twice.out << twice.err;
}

}  // namespace
}  // namespace migrate
