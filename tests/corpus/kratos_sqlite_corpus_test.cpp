// Ory Kratos's 694 real SQLite migrations (../shared/corpora/kratos, Apache-2.0): all up, all
// down, all up again, with sqlite_master identical after both ups. Many files rebuild tables
// (create new, copy, drop, rename) and rely on the default foreign-key mode `check`.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "migrate/migrator.hpp"
#include "support/kratos_corpus.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::query_sqlite;
using testing::schema_of;
using testing::TestWorkspace;

TEST(KratosSqliteCorpus, AllUpAllDownAllUpAgainGivesTheSameSchema) {
  auto rows = testing::read_kratos_manifest("sqlite");
  ASSERT_EQ(rows.size(), 1388u);
  TestWorkspace ws;
  testing::link_kratos_corpus(ws, "sqlite", rows);
  Options options;
  // The corpus is real history, written for another runner: the analyzer flags what it flags
  // (tests/unit lints it), and this test is about executing it exactly.
  options.allow_unsafe = true;
  options.database_url = ws.database_url();
  options.migrations_dir = ws.migrations();
  Migrator m(options);

  auto source = m.load_source();
  ASSERT_TRUE(source) << source.error().describe();
  ASSERT_EQ(source->migrations.size(), 694u);

  RunReport up = m.apply(std::nullopt);
  ASSERT_FALSE(up.error) << up.error->describe();
  EXPECT_EQ(up.steps.size(), 694u);
  auto first = schema_of(ws.database());
  EXPECT_EQ(query_sqlite(ws.database(),
                         "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT "
                         "LIKE 'sqlite_%' AND name NOT LIKE 'migrate_history%'"),
            std::vector<std::string>{"26"});
  EXPECT_EQ(query_sqlite(ws.database(), "PRAGMA foreign_key_check"), std::vector<std::string>{});

  RunReport down = m.rollback(RollbackTarget{std::string("0"), std::nullopt});
  ASSERT_FALSE(down.error) << down.error->describe();
  EXPECT_EQ(down.steps.size(), 694u);
  EXPECT_TRUE(schema_of(ws.database()).empty());

  RunReport again = m.apply(std::nullopt);
  ASSERT_FALSE(again.error) << again.error->describe();
  EXPECT_EQ(schema_of(ws.database()), first);

  EXPECT_EQ(
      query_sqlite(
          ws.database(),
          "SELECT direction, count(*), sum(success) FROM migrate_history WHERE direction <> 'init' "
          "GROUP BY direction ORDER BY direction"),
      (std::vector<std::string>{"down|694|694", "up|1388|1388"}));
  for (const auto& s : *m.status()) EXPECT_EQ(s.state, State::kApplied) << s.version;
}

}  // namespace
}  // namespace migrate
