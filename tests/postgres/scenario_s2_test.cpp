// Scenario S2 (shared/SCENARIOS.md) with the real binary on
// sql_fixtures/scenarios/s2_four_patterns: the four patterns (additive, backward-compatible, data,
// breaking as expand + contract), the runbook's dry run with estimates, apply with two-phase
// gating, status listing the waiting expand, the contract after the deploy, and rollback to V001
// (refused across the phases, then in two steps).
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::CommandResult;
using testing::PostgresTestDatabase;
using testing::run_migrate;
using testing::TestWorkspace;

const std::filesystem::path kScenario =
    std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures/scenarios/s2_four_patterns";

void link_scenario(const TestWorkspace& ws) {
  for (const auto& e : std::filesystem::directory_iterator(kScenario))
    if (e.path().extension() == ".sql")
      std::filesystem::create_symlink(e.path(), ws.migrations() / e.path().filename());
}

CommandResult migrate_on(const TestWorkspace& ws, const PostgresTestDatabase& db,
                         std::vector<std::string> command) {
  std::vector<std::string> args{"--db",        db.url(), "--dir", ws.migrations().string(),
                                "--log-level", "warn"};
  args.insert(args.end(), command.begin(), command.end());
  return run_migrate(args, ws.root(), {}, [] { alarm(120); });
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ScenarioS2, FourPatternsDryRunGatedApplyStatusAndRollbackToV001) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  link_scenario(ws);

  // `migrate --dry-run` with the estimate: every pattern up to the expand, then the stop.
  auto plan = migrate_on(ws, *db, {"plan", "--dry-run"});
  ASSERT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  EXPECT_TRUE(has(plan.out, "apply  7 rename_products_legacy_sku_to_sku_expand")) << plan.out;
  EXPECT_FALSE(has(plan.out, "apply  8 ")) << plan.out;
  EXPECT_TRUE(has(plan.out, "stops before version 8")) << plan.out;
  EXPECT_TRUE(has(plan.out, "deploy code that reads and writes products.sku")) << plan.out;
  EXPECT_TRUE(has(plan.out, "Estimate for the plan")) << plan.out;
  auto json_plan = nlohmann::json::parse(migrate_on(ws, *db, {"plan", "--output", "json"}).out);
  EXPECT_EQ(json_plan["plan"]["phase_stop"]["version"], "8");
  EXPECT_EQ(json_plan["plan"]["phase_stop"]["completes"], "7");
  EXPECT_EQ(json_plan["plan"]["steps"].size(), 7u);
  EXPECT_EQ(json_plan["plan"]["steps"][6]["phase"], "expand");

  // An explicit target beyond the contract is refused without --phase.
  auto beyond = migrate_on(ws, *db, {"apply", "--target", "V008"});
  EXPECT_EQ(beyond.exit_code, 27) << beyond.err;
  EXPECT_TRUE(has(beyond.err, "PHASE_ORDER")) << beyond.err;
  EXPECT_EQ(db->query("SELECT to_regclass('public.products') IS NULL"),
            std::vector<std::string>{"t"});

  auto apply = migrate_on(ws, *db, {"apply"});
  ASSERT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_TRUE(has(apply.out, "applied 7 rename_products_legacy_sku_to_sku_expand")) << apply.out;
  EXPECT_TRUE(has(apply.out, "stops before version 8")) << apply.out;
  EXPECT_EQ(db->query("SELECT count(*) FROM products WHERE sku IS DISTINCT FROM legacy_sku OR "
                      "description IS NULL"),
            std::vector<std::string>{"0"});
  EXPECT_EQ(db->query("SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension WHERE "
                      "extname IN ('pg_trgm', 'cube', 'earthdistance')"),
            std::vector<std::string>{"cube,earthdistance,pg_trgm"});
  // Old code (legacy_sku) and new code (sku) both work between the phases.
  db->execute("INSERT INTO products (name, price_cents, legacy_sku) VALUES ('old', 5, 'SKU-old')");
  db->execute("INSERT INTO products (name, price_cents, sku) VALUES ('new', 5, 'SKU-new')");
  EXPECT_EQ(db->query("SELECT sku FROM products WHERE name = 'old'"),
            std::vector<std::string>{"SKU-old"});
  EXPECT_EQ(db->query("SELECT legacy_sku FROM products WHERE name = 'new'"),
            std::vector<std::string>{"SKU-new"});

  auto status = migrate_on(ws, *db, {"status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(has(status.out, "Expands waiting for their contract")) << status.out;
  EXPECT_TRUE(has(status.out, "7 rename_products_legacy_sku_to_sku_expand: applied")) << status.out;
  EXPECT_TRUE(has(status.out, "contract 8 not applied")) << status.out;
  auto status_json = nlohmann::json::parse(migrate_on(ws, *db, {"status", "--output", "json"}).out);
  ASSERT_EQ(status_json["waiting_expands"].size(), 1u);
  EXPECT_EQ(status_json["waiting_expands"][0]["version"], "7");
  EXPECT_EQ(status_json["waiting_expands"][0]["contracts"], nlohmann::json::array({"8"}));
  EXPECT_GE(status_json["waiting_expands"][0]["waiting_seconds"].get<std::int64_t>(), 0);

  // After the deploy.
  auto contract = migrate_on(ws, *db, {"apply", "--phase", "contract"});
  ASSERT_EQ(contract.exit_code, 0) << contract.err;
  EXPECT_TRUE(has(contract.out, "applied 8 rename_products_legacy_sku_to_sku_contract"))
      << contract.out;
  EXPECT_FALSE(has(migrate_on(ws, *db, {"status"}).out, "Expands waiting"));

  // `migrate rollback --target V001`: refused while the contract is applied, before anything
  // runs; the fix names the two-step way.
  auto refused = migrate_on(ws, *db, {"rollback", "--target", "V001", "--yes"});
  EXPECT_EQ(refused.exit_code, 27) << refused.err;
  EXPECT_TRUE(has(refused.err, "expand 7")) << refused.err;
  EXPECT_TRUE(has(refused.err, "rollback --target 7")) << refused.err;
  EXPECT_EQ(db->query("SELECT count(*) FROM migrate_history WHERE direction = 'down'"),
            std::vector<std::string>{"0"});

  // The rollback plan shows each down file's class and findings.
  auto dry = migrate_on(ws, *db, {"rollback", "--target", "7", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_TRUE(has(dry.out, "revert 8 rename_products_legacy_sku_to_sku_contract")) << dry.out;
  EXPECT_TRUE(has(dry.out, "class")) << dry.out;

  ASSERT_EQ(migrate_on(ws, *db, {"rollback", "--target", "7", "--yes"}).exit_code, 0);
  EXPECT_EQ(db->query("SELECT count(*) FROM products WHERE legacy_sku IS DISTINCT FROM sku"),
            std::vector<std::string>{"0"});
  auto down = migrate_on(ws, *db, {"rollback", "--target", "V001", "--yes"});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_EQ(db->query("SELECT count(*) FROM pg_extension WHERE extname IN ('pg_trgm', 'cube', "
                      "'earthdistance')"),
            std::vector<std::string>{"0"});
  EXPECT_EQ(db->query("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                      "'products'"),
            std::vector<std::string>{"4"});
  EXPECT_TRUE(has(migrate_on(ws, *db, {"status"}).out, "1 applied, 7 pending"));
}

}  // namespace
}  // namespace migrate
