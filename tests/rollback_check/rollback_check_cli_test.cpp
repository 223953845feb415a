// `migrate check-rollback` through the real binary: exit code 30 (ROLLBACK_MISMATCH) and the
// JSON shape when a down is inexact, 0 when every down restores the schema.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"
#include "tests/rollback_check/round_trip_expectations.hpp"

namespace migrate {
namespace {

namespace fs = std::filesystem;
using testing::run_migrate;
using testing::TestWorkspace;

fs::path fixture(const std::string& dialect, const std::string& name) {
  return fs::path(MIGRATE_SOURCE_DIR) / "sql_fixtures" / "check_rollback" / dialect / name;
}

void copy_sql(const fs::path& from, const TestWorkspace& ws) {
  fs::create_directories(ws.migrations());
  for (const auto& e : fs::directory_iterator(from))
    if (e.path().extension() == ".sql")
      fs::copy_file(e.path(), ws.migrations() / e.path().filename());
}

TEST(RollbackCheckCli, SqliteMismatchExitsThirtyWithJsonNamingTheObject) {
  TestWorkspace ws;
  copy_sql(fixture("sqlite", "misspelled_drop"), ws);
  auto r = run_migrate({"--db", ws.database_url(), "--dir", ws.migrations().string(), "--output",
                        "json", "check-rollback", "--all"},
                       ws.root());
  EXPECT_EQ(r.exit_code, 30) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["command"], "check-rollback");
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["exit_code"], 30);
  EXPECT_EQ(j["error"]["code"], "ROLLBACK_MISMATCH");
  EXPECT_EQ(j["dialect"], "sqlite");
  EXPECT_EQ(j["all"], true);
  EXPECT_EQ(j["scratch_removed"], true);
  EXPECT_TRUE(j["baseline_version"].is_null());
  ASSERT_EQ(j["migrations"].size(), 2u);
  EXPECT_EQ(j["migrations"][0]["outcome"], "exact");
  EXPECT_EQ(j["migrations"][0]["passed"], true);
  const auto& v2 = j["migrations"][1];
  EXPECT_EQ(v2["version"], "2");
  EXPECT_EQ(v2["name"], "create_user_profiles");
  EXPECT_EQ(v2["outcome"], "down-inexact");
  EXPECT_EQ(v2["passed"], false);
  bool named = false;
  for (const auto& d : v2["down_differences"])
    if (d["description"] == "table user_profiles left behind") {
      named = true;
      EXPECT_EQ(d["change"], "left behind");
      EXPECT_EQ(d["kind"], "table");
      EXPECT_EQ(d["name"], "user_profiles");
    }
  EXPECT_TRUE(named) << v2.dump(2);
  EXPECT_EQ(v2["error"]["code"], "STATEMENT_FAILED");
  EXPECT_TRUE(v2["up_again_differences"].is_array());

  // Text: the object on stdout, the error on stderr.
  auto text = run_migrate(
      {"--db", ws.database_url(), "--dir", ws.migrations().string(), "check-rollback", "--all"},
      ws.root());
  EXPECT_EQ(text.exit_code, 30);
  EXPECT_NE(text.out.find("after down: table user_profiles left behind"), std::string::npos)
      << text.out;
  EXPECT_NE(text.err.find("ROLLBACK_MISMATCH"), std::string::npos) << text.err;
}

TEST(RollbackCheckCli, SqliteCorrectDownsExitZero) {
  TestWorkspace ws;
  copy_sql(fixture("sqlite", "correct"), ws);
  auto r = run_migrate({"--db", ws.database_url(), "--dir", ws.migrations().string(), "--output",
                        "json", "check-rollback", "--all"},
                       ws.root());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ok"], true);
  EXPECT_TRUE(j["error"].is_null());
  ASSERT_EQ(j["migrations"].size(), 4u);
  EXPECT_EQ(j["migrations"][3]["outcome"], "irreversible");
  auto text = run_migrate(
      {"--db", ws.database_url(), "--dir", ws.migrations().string(), "check-rollback", "--all"},
      ws.root());
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("4 seed_admin  irreversible, skipped"), std::string::npos) << text.out;
}

TEST(RollbackCheckCli, PostgresMismatchExitsThirty) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  copy_sql(fixture("postgres", "column_without_foreign_key"), ws);
  testing::MigrateProcess process({"--db", db->url(), "--dir", ws.migrations().string(), "--output",
                                   "json", "check-rollback", "--all"},
                                  ws.root());
  auto r = process.result();
  EXPECT_EQ(r.exit_code, 30) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["dialect"], "postgresql");
  ASSERT_EQ(j["migrations"].size(), 3u);
  EXPECT_EQ(j["migrations"][2]["outcome"], "down-inexact");
  ASSERT_EQ(j["migrations"][2]["down_differences"].size(), 1u);
  EXPECT_EQ(j["migrations"][2]["down_differences"][0]["description"],
            "foreign key fk_orders_user on public.orders missing");
  EXPECT_EQ(j["migrations"][2]["down_differences"][0]["expected"],
            "FOREIGN KEY (user_id) REFERENCES users(id)");
  // The temporary database the child created is gone.
  EXPECT_EQ(db->query(own_scratch_databases_sql(process.pid())), std::vector<std::string>{"0"});
}

}  // namespace
}  // namespace migrate
