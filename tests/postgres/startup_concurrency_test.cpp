// Sixteen replicas of examples/service starting at once against one database (PostgreSQL, and
// one SQLite file), in each start-up mode (docs/embedding.md): every migration is applied exactly
// once, every apply-if-needed replica starts with the full schema, wait-for-version replicas start
// only once another process has applied the version, verify-only replicas write nothing, and the
// history holds one attempt per migration. Each replica is bounded in time.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::CommandResult;
using testing::MigrateProcess;
using testing::TestWorkspace;

constexpr int kReplicas = 16;
constexpr auto kBound = std::chrono::seconds(90);
const std::string kAllVersions = "versions=1,2,3,4";

std::unique_ptr<MigrateProcess> start(const TestWorkspace& ws, const std::string& url,
                                      const std::vector<std::string>& mode) {
  std::vector<std::string> args{"--db", url};
  args.insert(args.end(), mode.begin(), mode.end());
  return std::make_unique<MigrateProcess>(MIGRATE_EXAMPLE_SERVICE, args, ws.root());
}

// Starts one replica per entry of `modes`, all at once, and waits for each within the bound.
std::vector<CommandResult> run_replicas(const TestWorkspace& ws, const std::string& url,
                                        const std::vector<std::vector<std::string>>& modes) {
  std::vector<std::unique_ptr<MigrateProcess>> running;
  for (const auto& m : modes) running.push_back(start(ws, url, m));
  std::vector<CommandResult> out;
  const auto deadline = std::chrono::steady_clock::now() + kBound;
  for (auto& p : running) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    EXPECT_TRUE(p->wait_for(std::max(left, std::chrono::milliseconds(1))))
        << "a replica did not finish within " << kBound.count() << " s";
    out.push_back(p->result());
  }
  return out;
}

std::vector<std::vector<std::string>> same_mode(const std::vector<std::string>& mode) {
  return std::vector<std::vector<std::string>>(kReplicas, mode);
}

const std::vector<std::string> kApply{"--mode", "apply", "--timeout-ms", "60000"};
const std::vector<std::string> kVerify{"--mode", "verify"};
const std::vector<std::string> kWait{"--mode", "wait",         "--version",
                                     "V004",   "--timeout-ms", "60000"};

// Every replica started (exit 0) with the whole schema; exactly one applied the migrations.
void expect_started_with_full_schema(const std::vector<CommandResult>& results,
                                     int expected_appliers) {
  int appliers = 0;
  for (const auto& r : results) {
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("started ", 0), 0u) << r.out << r.err;
    EXPECT_NE(r.out.find(kAllVersions), std::string::npos) << r.out;
    if (r.out.find(" applied=4 ") != std::string::npos) ++appliers;
  }
  EXPECT_EQ(appliers, expected_appliers);
}

// The history a database of each engine shows, as "version:attempts:successes" per version.
struct Database {
  std::string url;
  std::function<std::vector<std::string>(const std::string&)> query;
};

void expect_one_attempt_each(const Database& db) {
  EXPECT_EQ(db.query("SELECT version || ':' || count(*) || ':' || sum(CASE WHEN success THEN 1 "
                     "ELSE 0 END) FROM migrate_history WHERE direction = 'up' GROUP BY version "
                     "ORDER BY version"),
            (std::vector<std::string>{"1:1:1", "2:1:1", "3:1:1", "4:1:1"}));
}

// Each mode on fresh databases `fresh()` makes.
void run_every_mode(const TestWorkspace& ws, const std::function<Database()>& fresh,
                    const std::function<bool(const Database&)>& history_exists) {
  {
    SCOPED_TRACE("verify-only on a fresh database: all fail, nothing is written");
    Database db = fresh();
    for (const auto& r : run_replicas(ws, db.url, same_mode(kVerify))) {
      EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
      EXPECT_NE(r.err.find("error[SCHEMA_BEHIND]"), std::string::npos) << r.err;
    }
    EXPECT_FALSE(history_exists(db));
  }
  {
    SCOPED_TRACE("16 x apply-if-needed at once");
    Database db = fresh();
    expect_started_with_full_schema(run_replicas(ws, db.url, same_mode(kApply)), 1);
    expect_one_attempt_each(db);
    SCOPED_TRACE("then 16 x verify-only at once");
    const auto before = db.query("SELECT count(*) FROM migrate_history");
    expect_started_with_full_schema(run_replicas(ws, db.url, same_mode(kVerify)), 0);
    EXPECT_EQ(db.query("SELECT count(*) FROM migrate_history"), before);
  }
  {
    SCOPED_TRACE("16 x wait-for-version, then one apply-if-needed");
    Database db = fresh();
    std::vector<std::unique_ptr<MigrateProcess>> waiting;
    for (int i = 0; i < kReplicas; ++i) waiting.push_back(start(ws, db.url, kWait));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    for (auto& p : waiting) EXPECT_FALSE(p->wait_for(std::chrono::milliseconds(0)));
    EXPECT_FALSE(history_exists(db));  // waiters write nothing while they wait
    auto applier = run_replicas(ws, db.url, {kApply});
    expect_started_with_full_schema(applier, 1);
    std::vector<CommandResult> waited;
    for (auto& p : waiting) {
      EXPECT_TRUE(p->wait_for(kBound));
      waited.push_back(p->result());
    }
    expect_started_with_full_schema(waited, 0);
    for (const auto& r : waited) {
      EXPECT_NE(r.out.find("mode=wait-for-version"), std::string::npos) << r.out;
      EXPECT_EQ(r.out.find("waited_ms=0 "), std::string::npos) << r.out;
    }
    expect_one_attempt_each(db);
  }
  {
    SCOPED_TRACE("8 x apply-if-needed and 8 x wait-for-version at once");
    Database db = fresh();
    std::vector<std::vector<std::string>> modes;
    for (int i = 0; i < kReplicas; ++i) modes.push_back(i % 2 ? kWait : kApply);
    expect_started_with_full_schema(run_replicas(ws, db.url, modes), 1);
    expect_one_attempt_each(db);
  }
}

TEST(StartupConcurrency, SixteenReplicasOnPostgres) {
  MIGRATE_REQUIRE_POSTGRES(first);
  TestWorkspace ws;
  std::vector<std::unique_ptr<testing::PostgresTestDatabase>> databases;
  databases.push_back(std::move(first));
  bool used_first = false;
  auto fresh = [&]() -> Database {
    if (used_first) {
      std::string why;
      databases.push_back(testing::PostgresTestDatabase::create(why));
      if (!databases.back()) throw std::runtime_error(why);
    }
    used_first = true;
    testing::PostgresTestDatabase* db = databases.back().get();
    return Database{db->url(), [db](const std::string& sql) {
                      // PostgreSQL's booleans: success is a boolean there.
                      return db->query(sql);
                    }};
  };
  run_every_mode(ws, fresh, [](const Database& db) {
    return db.query("SELECT to_regclass('public.migrate_history') IS NOT NULL") ==
           std::vector<std::string>{"t"};
  });
}

TEST(StartupConcurrency, SixteenReplicasOnOneSqliteFile) {
  TestWorkspace ws;
  int n = 0;
  auto fresh = [&]() -> Database {
    const auto path = ws.root() / ("service-" + std::to_string(++n) + ".db");
    return Database{"sqlite:" + path.string(),
                    [path](const std::string& sql) { return testing::query_sqlite(path, sql); }};
  };
  run_every_mode(ws, fresh, [](const Database& db) {
    const std::filesystem::path path = db.url.substr(7);
    return std::filesystem::exists(path) &&
           !testing::query_sqlite(path,
                                  "SELECT name FROM sqlite_master WHERE name = 'migrate_history'")
                .empty();
  });
}

}  // namespace
}  // namespace migrate
