// `lint --db` reads the catalog facts `plan` reads (materialized views and their indexes,
// available extensions, row estimates) from a real PostgreSQL 15, and `plan` checks REFRESH ...
// CONCURRENTLY against views the migrations did not create. Without --db, lint stays offline.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include "migrate/migrator.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::run_migrate;
using testing::TestWorkspace;

// "rule line severity" of every finding in `lint --output json`.
std::vector<std::string> findings(const CommandResult& r) {
  std::vector<std::string> out;
  json j;
  try {
    j = json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "stdout is not JSON: " << e.what() << "\n" << r.out << "\n" << r.err;
    return out;
  }
  for (const auto& m : j["migrations"])
    for (const auto& f : m["findings"])
      out.push_back(f["rule"].get<std::string>() + " " + std::to_string(f["line"].get<int>()) +
                    " " + f["severity"].get<std::string>());
  return out;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

CommandResult lint(const TestWorkspace& ws, const std::vector<std::string>& db_args) {
  std::vector<std::string> args = db_args;
  for (const auto& a : {"--log-level", "warn", "--output", "json", "lint"}) args.push_back(a);
  args.push_back(ws.migrations().string());
  return run_migrate(args, ws.root(), {}, [] { alarm(60); });
}

void create_views(const testing::PostgresTestDatabase& db) {
  db.execute("CREATE TABLE sales (id bigint PRIMARY KEY, day date, total numeric)");
  db.execute(
      "CREATE MATERIALIZED VIEW daily_sales AS SELECT day, sum(total) AS total FROM sales "
      "GROUP BY day");
  db.execute(
      "CREATE MATERIALIZED VIEW daily_sales_keyed AS SELECT day, sum(total) AS total FROM sales "
      "GROUP BY day");
  db.execute("CREATE UNIQUE INDEX daily_sales_keyed_day ON daily_sales_keyed (day)");
  // A partial unique index does not count for REFRESH ... CONCURRENTLY.
  db.execute(
      "CREATE MATERIALIZED VIEW daily_sales_partial AS SELECT day, sum(total) AS total FROM "
      "sales GROUP BY day");
  db.execute(
      "CREATE UNIQUE INDEX daily_sales_partial_day ON daily_sales_partial (day) WHERE day IS "
      "NOT NULL");
}

const char* kRefreshes =
    "REFRESH MATERIALIZED VIEW CONCURRENTLY daily_sales;\n"
    "REFRESH MATERIALIZED VIEW CONCURRENTLY daily_sales_keyed;\n"
    "REFRESH MATERIALIZED VIEW CONCURRENTLY public.daily_sales_partial;\n";

TEST(LintCatalog, LintWithDbChecksRefreshConcurrentlyAgainstTheDatabasesViews) {
  MIGRATE_REQUIRE_POSTGRES(db);
  create_views(*db);
  TestWorkspace ws;
  ws.write_migration("V1__refresh.up.sql", kRefreshes);

  auto offline = lint(ws, {});
  EXPECT_EQ(offline.exit_code, 0) << offline.out << offline.err;
  EXPECT_FALSE(contains(findings(offline), "refresh-concurrently-without-unique-index 1 error"));

  auto connected = lint(ws, {"--db", db->url()});
  EXPECT_EQ(connected.exit_code, 16) << connected.out << connected.err;
  auto f = findings(connected);
  EXPECT_TRUE(contains(f, "refresh-concurrently-without-unique-index 1 error")) << connected.out;
  EXPECT_FALSE(contains(f, "refresh-concurrently-without-unique-index 2 error")) << connected.out;
  EXPECT_TRUE(contains(f, "refresh-concurrently-without-unique-index 3 error")) << connected.out;
}

TEST(LintCatalog, PlanChecksRefreshConcurrentlyAgainstTheDatabasesViews) {
  MIGRATE_REQUIRE_POSTGRES(db);
  create_views(*db);
  TestWorkspace ws;
  ws.write_migration("V1__refresh.up.sql", kRefreshes);
  Options o = ws.options();
  o.database_url = db->url();
  auto plan = Migrator(o).plan_apply(std::nullopt);
  ASSERT_TRUE(plan) << plan.error().describe();
  ASSERT_EQ(plan->steps.size(), 1u);
  ASSERT_TRUE(plan->steps[0].analysis);
  std::vector<int> lines;
  for (const auto& finding : plan->steps[0].analysis->findings)
    if (finding.rule_id == "refresh-concurrently-without-unique-index")
      lines.push_back(finding.where.line);
  EXPECT_EQ(lines, (std::vector<int>{1, 3}));
}

TEST(LintCatalog, LintWithDbFindsTheExtensionOrderPlanFinds) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  // earthdistance requires cube (contrib): created first, it fails.
  ws.write_migration("V1__extensions.up.sql",
                     "CREATE EXTENSION IF NOT EXISTS earthdistance;\n"
                     "CREATE EXTENSION IF NOT EXISTS cube;\n");
  auto offline = lint(ws, {});
  EXPECT_FALSE(contains(findings(offline), "extension-order 1 error")) << offline.out;
  auto connected = lint(ws, {"--db", db->url()});
  EXPECT_TRUE(contains(findings(connected), "extension-order 1 error"))
      << connected.out << connected.err;

  Options o = ws.options();
  o.database_url = db->url();
  auto plan = Migrator(o).plan_apply(std::nullopt);
  ASSERT_TRUE(plan) << plan.error().describe();
  ASSERT_TRUE(plan->steps.at(0).analysis);
  bool planned = false;
  for (const auto& finding : plan->steps[0].analysis->findings)
    planned = planned || (finding.rule_id == "extension-order" && finding.where.line == 1);
  EXPECT_TRUE(planned);
}

TEST(LintCatalog, ADatabaseUrlFromTheEnvironmentDoesNotMakeLintConnect) {
  TestWorkspace ws;
  ws.write_migration("V1__refresh.up.sql", kRefreshes);
  // Nothing listens on port 1: a connection attempt would fail with CONNECTION_FAILED (11).
  auto r = run_migrate({"--output", "json", "lint", ws.migrations().string()}, ws.root(),
                       {"DATABASE_URL=postgres://app@127.0.0.1:1/app"}, [] { alarm(60); });
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto flag = run_migrate({"--db", "postgres://app@127.0.0.1:1/app", "--output", "json", "lint",
                           ws.migrations().string()},
                          ws.root(), {}, [] { alarm(60); });
  EXPECT_EQ(flag.exit_code, 11) << flag.out << flag.err;
}

}  // namespace
}  // namespace migrate
