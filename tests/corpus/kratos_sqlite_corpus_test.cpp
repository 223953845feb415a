// Ory Kratos's 694 real SQLite migrations (../shared/corpora/kratos, Apache-2.0): all up, all
// down, all up again, with sqlite_master identical after both ups. Many files rebuild tables
// (create new, copy, drop, rename) and rely on the default foreign-key mode `check`.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "migrate/migrator.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::query_sqlite;
using testing::schema_of;
using testing::TestWorkspace;

const std::filesystem::path kKratos = std::filesystem::path(MIGRATE_SHARED_DIR) / "corpora/kratos";

struct ManifestRow {
  std::string version, name, direction, file;
};

// manifest.sqlite.tsv: order, version, name, direction, source_dialect, autocommit, empty, file
std::vector<ManifestRow> read_manifest(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<ManifestRow> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    if (cols.size() != 8) throw std::runtime_error("bad manifest line: " + line);
    rows.push_back({cols[1], cols[2], cols[3], cols[7]});
  }
  return rows;
}

// Kratos names files `<version>_<name>[.<dialect>][.autocommit].<up|down>.sql`; libmigrate wants
// `V<version>__<name>.<up|down>.sql`. The files are linked, not copied or changed.
void link_corpus(const TestWorkspace& ws, const std::vector<ManifestRow>& rows) {
  for (const auto& r : rows) {
    std::filesystem::create_symlink(
        kKratos / "sqlite" / r.file,
        ws.migrations() / ("V" + r.version + "__" + r.name + "." + r.direction + ".sql"));
  }
}

TEST(KratosSqliteCorpus, AllUpAllDownAllUpAgainGivesTheSameSchema) {
  ASSERT_TRUE(std::filesystem::exists(kKratos / "manifest.sqlite.tsv"))
      << "the shared corpus is missing at " << kKratos << " (set MIGRATE_SHARED_DIR)";
  auto rows = read_manifest(kKratos / "manifest.sqlite.tsv");
  ASSERT_EQ(rows.size(), 1388u);
  TestWorkspace ws;
  link_corpus(ws, rows);
  Options options;
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
                         "LIKE 'sqlite_%' AND name <> 'migrate_history'"),
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
