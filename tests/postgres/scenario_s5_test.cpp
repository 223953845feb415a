// Scenario S5 (shared/SCENARIOS.md) on two real PostgreSQL databases in one command: back up,
// apply the sync trigger migrations of sql_fixtures/scenarios/s5_sync_trigger to both (each with
// its own history and lock), verify through the status view, roll back one migration on one
// database and check the state. Also: a third, unreachable database fails without hiding the
// others' results, and its password is never printed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using nlohmann::json;
using testing::PostgresTestDatabase;
using testing::run_migrate;
using testing::TestWorkspace;

const std::filesystem::path kScenario =
    std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures/scenarios/s5_sync_trigger";

void link_scenario(const TestWorkspace& ws) {
  for (const auto& e : std::filesystem::directory_iterator(kScenario))
    if (e.path().extension() == ".sql")
      std::filesystem::create_symlink(e.path(), ws.migrations() / e.path().filename());
}

std::size_t files_in(const std::filesystem::path& dir) {
  if (!std::filesystem::exists(dir)) return 0;
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir),
                                                std::filesystem::directory_iterator{}));
}

TEST(ScenarioS5, BackupApplyToTwoDatabasesVerifyAndRollBackOneMigration) {
  MIGRATE_REQUIRE_POSTGRES(east);
  std::string why;
  auto west = PostgresTestDatabase::create(why);
  ASSERT_TRUE(west) << why;
  TestWorkspace ws;
  link_scenario(ws);
  const auto backups = ws.root() / "backups";
  auto both = [&](std::vector<std::string> args) {
    std::vector<std::string> full{"--db",      east->url(), "--db",
                                  west->url(), "--dir",     ws.migrations().string()};
    full.insert(full.end(), args.begin(), args.end());
    return run_migrate(full, ws.root());
  };

  // The plan on both, then the apply with a backup of each taken first.
  auto plan = both({"plan", "--output", "json"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err << plan.out;
  auto apply = both({"apply", "--backup", backups.string(), "--output", "json"});
  ASSERT_EQ(apply.exit_code, 0) << apply.err << apply.out;
  json j = json::parse(apply.out);
  ASSERT_EQ(j["databases"].size(), 2u);
  EXPECT_EQ(j["databases"][0]["name"], east->name());
  EXPECT_EQ(j["databases"][1]["name"], west->name());
  for (const auto& d : j["databases"]) {
    EXPECT_EQ(d["result"]["steps"].size(), 4u) << d.dump();
    EXPECT_TRUE(d["result"]["backup"].is_string()) << d.dump();
  }
  for (const auto& s : j["summary"]) {
    EXPECT_TRUE(s["from_version"].is_null());
    EXPECT_EQ(s["to_version"], "4");
    EXPECT_EQ(s["result"], "ok");
  }
  EXPECT_EQ(files_in(backups), 2u);
  // Each database has its own history, and each attempt names its own database's backup.
  for (const auto* db : {east.get(), west.get()}) {
    EXPECT_EQ(db->query("SELECT count(*) FROM migrate_history WHERE direction = 'up' AND success"),
              std::vector<std::string>{"4"});
    auto backup = db->query("SELECT DISTINCT backup FROM migrate_history WHERE direction = 'up'");
    ASSERT_EQ(backup.size(), 1u);
    EXPECT_NE(backup[0].find(db->name()), std::string::npos) << backup[0];
  }

  // Verify through the status view: every order written is synced, nothing missing.
  for (const auto* db : {east.get(), west.get()}) {
    db->execute("INSERT INTO orders (customer, total) VALUES ('ada', 10.50), ('bruno', 3.00)");
    db->execute("UPDATE orders SET total = 11.00 WHERE customer = 'ada'");
    EXPECT_EQ(db->query("SELECT source_rows || '|' || synced_rows || '|' || missing_rows FROM "
                        "sync_status"),
              std::vector<std::string>{"2|2|0"});
    EXPECT_EQ(db->query("SELECT s.total FROM orders_sync s JOIN orders o ON o.id = s.order_id "
                        "WHERE o.customer = 'ada'"),
              std::vector<std::string>{"11.00"});
  }

  // Roll back one migration (the trigger) on one database only.
  auto rollback = run_migrate({"--db", east->url(), "--dir", ws.migrations().string(), "rollback",
                               "--steps", "1", "--yes", "--backup", backups.string()},
                              ws.root());
  ASSERT_EQ(rollback.exit_code, 0) << rollback.err;
  EXPECT_NE(rollback.out.find("reverted 4 install_orders_sync_trigger"), std::string::npos)
      << rollback.out;
  EXPECT_EQ(files_in(backups), 3u);
  EXPECT_EQ(east->query("SELECT count(*) FROM pg_trigger WHERE tgname = 'orders_sync'"),
            std::vector<std::string>{"0"});
  EXPECT_EQ(west->query("SELECT count(*) FROM pg_trigger WHERE tgname = 'orders_sync'"),
            std::vector<std::string>{"1"});
  // Orders written now are no longer synced on that database: the view shows them missing.
  for (const auto* db : {east.get(), west.get()})
    db->execute("INSERT INTO orders (customer, total) VALUES ('chen', 7.25)");
  EXPECT_EQ(east->query("SELECT source_rows || '|' || synced_rows || '|' || missing_rows FROM "
                        "sync_status"),
            std::vector<std::string>{"3|2|1"});
  EXPECT_EQ(west->query("SELECT source_rows || '|' || synced_rows || '|' || missing_rows FROM "
                        "sync_status"),
            std::vector<std::string>{"3|3|0"});

  // Status of both in one command: east at 3, west at 4.
  auto status = both({"status", "--output", "json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  json s = json::parse(status.out);
  EXPECT_EQ(s["summary"][0]["to_version"], "3");
  EXPECT_EQ(s["summary"][1]["to_version"], "4");
  EXPECT_EQ(s["databases"][0]["result"]["migrations"][3]["state"], "pending");
  EXPECT_EQ(s["databases"][1]["result"]["migrations"][3]["state"], "applied");

  // Apply again on both, two at a time: only east has something to do.
  auto again = both({"apply", "--parallel", "2"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("Summary: 2 database(s), 2 succeeded, 0 failed"), std::string::npos)
      << again.out;
  EXPECT_EQ(east->query("SELECT count(*) FROM pg_trigger WHERE tgname = 'orders_sync'"),
            std::vector<std::string>{"1"});
  // V004 caught the missed order up, and its verify file checked the status view inside the
  // migration's transaction; `migrate verify` checks both databases again.
  EXPECT_EQ(east->query("SELECT source_rows || '|' || synced_rows || '|' || missing_rows FROM "
                        "sync_status"),
            std::vector<std::string>{"3|3|0"});
  auto verified = both({"verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.err << verified.out;
  // An order slipping past the outbox is what verify reports.
  east->execute("ALTER TABLE orders DISABLE TRIGGER orders_sync");
  east->execute("INSERT INTO orders (customer, total) VALUES ('dara', 1.00)");
  auto broken = both({"verify"});
  EXPECT_EQ(broken.exit_code, 32) << broken.err << broken.out;
  EXPECT_NE(broken.out.find("returned 1 row: ('4', '3', '1')"), std::string::npos) << broken.out;
}

TEST(ScenarioS5, AnUnreachableDatabaseFailsWithoutHidingTheOthers) {
  MIGRATE_REQUIRE_POSTGRES(first);
  std::string why;
  auto second = PostgresTestDatabase::create(why);
  ASSERT_TRUE(second) << why;
  TestWorkspace ws;
  link_scenario(ws);
  const std::string unreachable =
      "postgresql://app:S3CRETPASSWORD@127.0.0.1:1/gone?connect_timeout=2";
  auto r = run_migrate({"--db", first->url(), "--db", unreachable, "--db", second->url(), "--dir",
                        ws.migrations().string(), "--parallel", "2", "apply", "--target", "2"},
                       ws.root());
  EXPECT_EQ(r.exit_code, 11) << r.err << r.out;  // CONNECTION_FAILED, the first failure
  EXPECT_EQ(r.out.find("S3CRETPASSWORD"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("S3CRETPASSWORD"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("== gone (postgresql://app:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Summary: 3 database(s), 2 succeeded, 1 failed"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("CONNECTION_FAILED"), std::string::npos) << r.out;
  for (const auto* db : {first.get(), second.get()})
    EXPECT_EQ(db->query("SELECT count(*) FROM migrate_history WHERE direction = 'up' AND success"),
              std::vector<std::string>{"2"});

  auto j = run_migrate({"--db", first->url(), "--db", unreachable, "--dir",
                        ws.migrations().string(), "--output", "json", "status"},
                       ws.root());
  EXPECT_EQ(j.exit_code, 11);
  EXPECT_EQ(j.out.find("S3CRETPASSWORD"), std::string::npos) << j.out;
  json doc = json::parse(j.out);
  EXPECT_EQ(doc["error"]["code"], "CONNECTION_FAILED");
  EXPECT_EQ(doc["summary"][0]["result"], "ok");
  EXPECT_EQ(doc["summary"][0]["to_version"], "2");
  EXPECT_EQ(doc["summary"][1]["result"], "CONNECTION_FAILED");
}

}  // namespace
}  // namespace migrate
