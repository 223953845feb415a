// The runbooks' operations through the real binary on SQLite: `verify` and its JSON, `plan`
// listing a step's checks, `rollback --only` and a bare `rollback`, `status --watch`.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::CommandResult;
using testing::MigrateProcess;
using testing::query_sqlite;
using testing::run_migrate;
using testing::TestWorkspace;

class CliOperations : public ::testing::Test {
 protected:
  std::vector<std::string> with_db(std::vector<std::string> args) const {
    std::vector<std::string> full{"--db", ws.database_url(), "--dir", ws.migrations().string()};
    full.insert(full.end(), args.begin(), args.end());
    return full;
  }
  CommandResult migrate(std::vector<std::string> args) {
    return run_migrate(with_db(args), ws.root());
  }
  void write_three() {
    ws.write_migration("V1__items.up.sql",
                       "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL);\n"
                       "INSERT INTO items (qty) VALUES (1), (2);\n");
    ws.write_migration("V1__items.down.sql", "DROP TABLE items;\n");
    ws.write_migration(
        "V1__items.verify.sql",
        "SELECT qty, id FROM items WHERE qty <= 0;\nSELECT count(*) = 2 FROM items;\n");
    ws.write_migration("V2__tags.up.sql", "CREATE TABLE tags (id INTEGER PRIMARY KEY);\n");
    ws.write_migration("V2__tags.down.sql", "DROP TABLE tags;\n");
    ws.write_migration("V3__notes.up.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY);\n");
    ws.write_migration("V3__notes.down.sql", "DROP TABLE notes;\n");
  }
  TestWorkspace ws;
};

TEST_F(CliOperations, PlanListsTheChecksAndVerifyReportsThemAsJson) {
  write_three();
  auto plan = migrate({"plan", "--dry-run", "--output", "json"});
  ASSERT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  auto p = nlohmann::json::parse(plan.out);
  const auto& step = p["plan"]["steps"][0];
  ASSERT_EQ(step["verify"].size(), 2u) << plan.out;
  EXPECT_EQ(step["verify"][1]["line"], 2);
  EXPECT_NE(step["verify_file"].get<std::string>().find("V1__items.verify.sql"), std::string::npos);
  EXPECT_TRUE(p["plan"]["steps"][1]["verify_file"].is_null());

  ASSERT_EQ(migrate({"apply"}).exit_code, 0);
  auto ok = migrate({"verify", "--output", "json"});
  ASSERT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  auto j = nlohmann::json::parse(ok.out);
  ASSERT_EQ(j["migrations"].size(), 1u);
  EXPECT_TRUE(j["migrations"][0]["passed"].get<bool>());
  EXPECT_EQ(j["without_checks"], nlohmann::json::array({"2", "3"}));

  testing::execute_sqlite(ws.database(), "UPDATE items SET qty = 0 WHERE id = 1");
  auto bad = migrate({"verify", "--version", "1", "--output", "json"});
  EXPECT_EQ(bad.exit_code, 32) << bad.out << bad.err;
  j = nlohmann::json::parse(bad.out);
  EXPECT_EQ(j["error"]["code"], "VERIFICATION_FAILED");
  const auto& check = j["migrations"][0]["checks"][0];
  EXPECT_FALSE(check["passed"].get<bool>());
  EXPECT_EQ(check["row_count"], 1);
  EXPECT_EQ(check["rows"], nlohmann::json::parse(R"([["0", "1"]])"));
  EXPECT_TRUE(j["migrations"][0]["checks"][1]["passed"].get<bool>());
}

TEST_F(CliOperations,
       RollbackOnlyRefusesBelowNewerVersionsUnlessAllowedAndBareRollbackIsTheNewest) {
  write_three();
  ASSERT_EQ(migrate({"apply"}).exit_code, 0);
  auto refused = migrate({"rollback", "--only", "V2", "--yes"});
  EXPECT_EQ(refused.exit_code, 8) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("version 3 (notes)"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--allow-out-of-order"), std::string::npos) << refused.err;

  auto only = migrate({"rollback", "--only", "V2", "--allow-out-of-order", "--yes"});
  EXPECT_EQ(only.exit_code, 0) << only.out << only.err;
  auto status = migrate({"status", "--output", "json"});
  auto s = nlohmann::json::parse(status.out);
  EXPECT_EQ(s["migrations"][1]["state"], "out-of-order") << status.out;
  EXPECT_EQ(s["migrations"][2]["state"], "applied");

  // Without --yes and without a terminal, nothing is reverted.
  auto unconfirmed = migrate({"rollback"});
  EXPECT_EQ(unconfirmed.exit_code, 13) << unconfirmed.out << unconfirmed.err;
  auto bare = migrate({"rollback", "--yes", "--output", "json"});
  ASSERT_EQ(bare.exit_code, 0) << bare.out << bare.err;
  auto b = nlohmann::json::parse(bare.out);
  ASSERT_EQ(b["steps"].size(), 1u);
  EXPECT_EQ(b["steps"][0]["version"], "3");

  // Options of other commands, and --version, are usage errors here.
  auto version = migrate({"rollback", "--version", "1", "--yes"});
  EXPECT_EQ(version.exit_code, 2) << version.out << version.err;
  auto both = migrate({"rollback", "--only", "1", "--steps", "1", "--yes"});
  EXPECT_EQ(both.exit_code, 2) << both.out << both.err;
}

TEST_F(CliOperations, StatusWatchRefreshesUntilInterrupted) {
  write_three();
  ASSERT_EQ(migrate({"apply", "--target", "1"}).exit_code, 0);
  MigrateProcess watch(with_db({"status", "--watch", "--interval", "200ms"}), ws.root());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_FALSE(watch.wait_for(std::chrono::milliseconds(0))) << "--watch ended by itself";
  watch.kill_now();
  CommandResult r = watch.result();
  std::size_t reports = 0;
  for (std::size_t at = r.out.find("1 applied, 2 pending"); at != std::string::npos;
       at = r.out.find("1 applied, 2 pending", at + 1))
    ++reports;
  EXPECT_GE(reports, 3u) << r.out << r.err;
  EXPECT_NE(r.out.find("refreshed every 200ms"), std::string::npos) << r.out;

  auto bad = migrate({"status", "--watch", "--interval", "soon"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
}

}  // namespace
}  // namespace migrate
