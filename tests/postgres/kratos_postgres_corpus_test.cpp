// Ory Kratos's 346 real PostgreSQL migrations (../shared/corpora/kratos, Apache-2.0): all up, all
// down, all up again, with `pg_dump --schema-only` identical after both ups. The PostgreSQL twin of
// corpus/kratos_sqlite_corpus_test.cpp. Kratos marks files that must run outside a transaction
// `.autocommit.`; libmigrate ignores the name and finds the statements that cannot run in a
// transaction (CREATE/DROP INDEX CONCURRENTLY) from PostgreSQL's parse tree.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "migrate/migrator.hpp"
#include "support/kratos_corpus.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::TestWorkspace;

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The schema as pg_dump prints it, without the history table and without the lines that differ
// from one dump to the next (server/tool versions, the random \restrict key of pg_dump >= 15.14).
std::string schema_dump(const std::string& url) {
  std::string command =
      "pg_dump --schema-only --no-owner --no-privileges --exclude-table=public.migrate_history "
      "--exclude-table=public.migrate_history_id_seq "
      "--exclude-table=public.migrate_history_statements "
      "--exclude-table=public.migrate_history_calibration -d " +
      shell_quote(url);
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run pg_dump");
  std::string raw;
  char buf[65536];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) raw.append(buf, n);
  int status = pclose(pipe);
  if (status != 0) throw std::runtime_error("pg_dump failed with status " + std::to_string(status));
  std::stringstream in(raw);
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.starts_with("-- Dumped from") || line.starts_with("-- Dumped by") ||
        line.starts_with("\\restrict") || line.starts_with("\\unrestrict")) {
      continue;
    }
    out += line + "\n";
  }
  return out;
}

const char* kCountTables =
    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE "
    "'migrate_history%'";

const char* kCountIndexes =
    "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE "
    "'migrate_history%'";

TEST(KratosPostgresCorpus, AllUpAllDownAllUpAgainGivesTheSameSchema) {
  MIGRATE_REQUIRE_POSTGRES(db);
  const auto started = std::chrono::steady_clock::now();
  auto rows = testing::read_kratos_manifest("postgres");
  ASSERT_EQ(rows.size(), 692u);
  std::set<std::string> autocommit_versions;
  for (const auto& r : rows)
    if (r.autocommit) autocommit_versions.insert(r.version);
  ASSERT_EQ(autocommit_versions.size(), 10u);

  TestWorkspace ws;
  testing::link_kratos_corpus(ws, "postgres", rows);
  Options options;
  // The corpus is real history, written for another runner: the analyzer flags what it flags
  // (tests/unit lints it), and this test is about executing it exactly.
  options.allow_unsafe = true;
  options.database_url = db->url();
  options.migrations_dir = ws.migrations();
  Migrator m(options);

  auto source = m.load_source();
  ASSERT_TRUE(source) << source.error().describe();
  ASSERT_EQ(source->migrations.size(), 346u);

  // Only statements PostgreSQL refuses in a transaction block run on their own, and all of them
  // are in files Kratos marks autocommit (not every autocommit file has one: 8 of the 10 run
  // plain DDL that is fine in a transaction).
  auto plan = m.plan_apply(std::nullopt);
  ASSERT_TRUE(plan) << plan.error().describe();
  ASSERT_EQ(plan->steps.size(), 346u);
  std::set<std::string> with_standalone;
  for (const auto& step : plan->steps) {
    bool any = false;
    for (const auto& st : step.statements) {
      if (!st.standalone) continue;
      any = true;
      EXPECT_NE(st.sql.find("CONCURRENTLY"), std::string::npos) << step.version << ": " << st.sql;
      EXPECT_NE(st.standalone_reason.find("CONCURRENTLY"), std::string::npos)
          << step.version << ": " << st.standalone_reason;
    }
    EXPECT_EQ(step.transactional, !any) << step.version;
    if (any) with_standalone.insert(step.version);
  }
  EXPECT_FALSE(with_standalone.empty());
  for (const auto& v : with_standalone)
    EXPECT_TRUE(autocommit_versions.count(v)) << v << " has standalone statements";
  EXPECT_EQ(with_standalone,
            (std::set<std::string>{"20260616000000000000", "20260703000000000000"}));

  RunReport up = m.apply(std::nullopt);
  ASSERT_FALSE(up.error) << up.error->describe();
  EXPECT_EQ(up.steps.size(), 346u);
  EXPECT_EQ(db->query(kCountTables), std::vector<std::string>{"26"});
  EXPECT_EQ(db->query(kCountIndexes), std::vector<std::string>{"94"});
  const std::string first = schema_dump(db->url());
  ASSERT_NE(first.find("CREATE TABLE public.identities"), std::string::npos) << first;
  EXPECT_NE(first.find("courier_messages_status_created_at_idx"), std::string::npos);
  EXPECT_EQ(db->query("SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                      "JOIN pg_namespace n ON n.oid = c.relnamespace "
                      "WHERE n.nspname = 'public' AND NOT i.indisvalid"),
            std::vector<std::string>{"0"});

  // The down plan drops the concurrent indexes on their own too.
  auto down_plan = m.plan_rollback(RollbackTarget{std::string("0"), std::nullopt});
  ASSERT_TRUE(down_plan) << down_plan.error().describe();
  ASSERT_EQ(down_plan->steps.size(), 346u);
  std::set<std::string> down_standalone;
  for (const auto& step : down_plan->steps)
    for (const auto& st : step.statements)
      if (st.standalone) down_standalone.insert(step.version);
  EXPECT_EQ(down_standalone,
            (std::set<std::string>{"20260616000000000000", "20260703000000000000"}));

  RunReport down = m.rollback(RollbackTarget{std::string("0"), std::nullopt});
  ASSERT_FALSE(down.error) << down.error->describe();
  EXPECT_EQ(down.steps.size(), 346u);
  EXPECT_EQ(db->query(kCountTables), std::vector<std::string>{"0"});
  // No down file drops the extensions 20230920171028000000 creates (see the corpus README).
  EXPECT_EQ(db->query("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1"),
            (std::vector<std::string>{"btree_gin", "pg_trgm"}));

  RunReport again = m.apply(std::nullopt);
  ASSERT_FALSE(again.error) << again.error->describe();
  EXPECT_EQ(again.steps.size(), 346u);
  EXPECT_EQ(schema_dump(db->url()), first);

  EXPECT_EQ(db->query("SELECT direction, count(*), count(*) FILTER (WHERE success) "
                      "FROM migrate_history WHERE direction <> 'init' "
                      "GROUP BY direction ORDER BY direction"),
            (std::vector<std::string>{"down|346|346", "up|692|692"}));
  auto status = m.status();
  ASSERT_TRUE(status) << status.error().describe();
  for (const auto& s : *status) EXPECT_EQ(s.state, State::kApplied) << s.version;
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
          .count();
  EXPECT_LT(seconds, 180) << "the corpus should run in under 3 minutes";
  RecordProperty("seconds", static_cast<int>(seconds));
}

// Adopting an existing project (docs/adopting.md): a fresh CI database replays Kratos's whole
// history without --allow-unsafe, because every migration is at or below the analysis start
// point; its findings are reported, not refused. Without the start point apply refuses.
TEST(KratosPostgresCorpus, CheckAfterReplaysTheHistoryFromAnEmptyDatabaseWithoutAllowUnsafe) {
  MIGRATE_REQUIRE_POSTGRES(db);
  auto rows = testing::read_kratos_manifest("postgres");
  TestWorkspace ws;
  testing::link_kratos_corpus(ws, "postgres", rows);
  Options options;
  options.database_url = db->url();
  options.migrations_dir = ws.migrations();
  auto source = Migrator(options).load_source();
  ASSERT_TRUE(source) << source.error().describe();
  const std::string newest = source->migrations.back().version.str();
  const std::string middle = source->migrations[200].version.str();

  RunReport refused = Migrator(options).apply(std::nullopt);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code, ErrorCode::kUnsafeMigration) << refused.error->describe();
  EXPECT_TRUE(refused.steps.empty());
  EXPECT_EQ(db->query("SELECT to_regclass('public.migrate_history') IS NULL"),
            std::vector<std::string>{"t"});

  // A start point in the middle still gates what comes after it.
  options.check_after = middle;
  auto partial = Migrator(options).plan_apply(std::nullopt);
  ASSERT_TRUE(partial) << partial.error().describe();
  ASSERT_TRUE(partial->refusal);
  EXPECT_EQ(partial->refusal->code, ErrorCode::kUnsafeMigration);
  for (std::size_t i = 0; i <= 200; ++i)
    EXPECT_EQ(
        partial->refusal->message.find(source->migrations[i].up.path.filename().string() + ":"),
        std::string::npos)
        << source->migrations[i].version.str();

  options.check_after = newest;
  std::size_t reported = 0;
  options.log = [&](LogLevel, const std::string& line) {
    if (line.find("reported, not refused") != std::string::npos) ++reported;
  };
  RunReport up = Migrator(options).apply(std::nullopt);
  ASSERT_FALSE(up.error) << up.error->describe();
  EXPECT_EQ(up.steps.size(), 346u);
  EXPECT_EQ(reported, 1u);
  EXPECT_EQ(db->query(kCountTables), std::vector<std::string>{"26"});
}

}  // namespace
}  // namespace migrate
