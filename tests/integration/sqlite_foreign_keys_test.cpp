// SQLite foreign keys during migrations: table rebuilds work, violations roll back.
#include <gtest/gtest.h>

#include "migrate/migrator.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::query_sqlite;
using testing::schema_of;
using testing::TestWorkspace;

class SqliteForeignKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws.write_migration("V1__parents.up.sql",
                       "CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT);\n"
                       "CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL "
                       "REFERENCES parents(id) ON DELETE CASCADE);\n"
                       "INSERT INTO parents VALUES (1, 'p1'), (2, 'p2');\n"
                       "INSERT INTO children VALUES (10, 1), (11, 2);\n");
    ASSERT_FALSE(Migrator(ws.options()).apply(std::nullopt).error);
  }
  TestWorkspace ws;
};

// SQLite's documented 12-step procedure, as real projects write it (no PRAGMA in the file).
constexpr const char* kRebuildParents =
    "CREATE TABLE parents_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');\n"
    "INSERT INTO parents_new SELECT id, coalesce(name, '') FROM parents;\n"
    "DROP TABLE parents;\n"
    "ALTER TABLE parents_new RENAME TO parents;\n";

TEST_F(SqliteForeignKeysTest, TableRebuildOfAReferencedTableKeepsChildRowsInCheckMode) {
  ws.write_migration("V2__rebuild.up.sql", kRebuildParents);
  RunReport r = Migrator(ws.options()).apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  // ON DELETE CASCADE did not fire while the old table was dropped.
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT count(*) FROM children"),
            std::vector<std::string>{"2"});
  EXPECT_EQ(query_sqlite(ws.database(), "PRAGMA foreign_key_check"), std::vector<std::string>{});
}

TEST_F(SqliteForeignKeysTest, EnforceModeFiresCascadesDuringTheRebuild) {
  ws.write_migration("V2__rebuild.up.sql",
                     std::string("-- migrate:foreign-keys enforce\n") + kRebuildParents);
  RunReport r = Migrator(ws.options()).apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT count(*) FROM children"),
            std::vector<std::string>{"0"});
}

TEST_F(SqliteForeignKeysTest, ADanglingReferenceRollsTheMigrationBackInCheckMode) {
  auto before = schema_of(ws.database());
  ws.write_migration("V2__orphan.up.sql",
                     "CREATE TABLE audit (id INTEGER);\n"
                     "DELETE FROM parents WHERE id = 2;\n");
  RunReport r = Migrator(ws.options()).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kStatementFailed);
  EXPECT_EQ(r.error->sqlstate, "FOREIGN_KEY_VIOLATION");
  EXPECT_NE(r.error->message.find("children rowid 11 references a missing row of parents"),
            std::string::npos);
  EXPECT_EQ(schema_of(ws.database()), before);
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT count(*) FROM parents"),
            std::vector<std::string>{"2"});
  EXPECT_EQ(query_sqlite(ws.database(),
                         "SELECT success, error_code FROM migrate_history WHERE version = '2'"),
            std::vector<std::string>{"0|FOREIGN_KEY_VIOLATION"});
}

TEST_F(SqliteForeignKeysTest, EnforceModeFailsTheViolatingStatementItself) {
  Options o = ws.options();
  o.sqlite_foreign_keys = ForeignKeyMode::kEnforce;
  ws.write_migration("V2__orphan.up.sql", "INSERT INTO children VALUES (12, 99);\n");
  RunReport r = Migrator(o).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kStatementFailed);
  EXPECT_EQ(r.error->where.statement, 1);
  EXPECT_NE(r.error->message.find("FOREIGN KEY constraint failed"), std::string::npos);
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT count(*) FROM children"),
            std::vector<std::string>{"2"});
}

TEST_F(SqliteForeignKeysTest,
       PragmaForeignKeysInsideATransactionalMigrationIsRefusedWithTheReason) {
  ws.write_migration("V2__pragma.up.sql",
                     "PRAGMA foreign_keys = OFF;\nCREATE TABLE x (id INTEGER);\n");
  RunReport r = Migrator(ws.options()).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kStatementFailed);
  EXPECT_NE(r.error->message.find("PRAGMA foreign_keys inside a migration"), std::string::npos);
  EXPECT_NE(r.error->hint.find("foreign-keys check|enforce"), std::string::npos);
}

}  // namespace
}  // namespace migrate
