// The round-trip check of the pending migrations of a real target: the scratch database starts
// from the target's schema at its highest applied version, the target is left exactly as it was
// (catalog and history), the scratch database is gone afterwards, and a scratch database that
// is the target is refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "migrate/migrator.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"
#include "tests/rollback_check/round_trip_expectations.hpp"

namespace migrate {
namespace {

namespace fs = std::filesystem;
using testing::query_sqlite;
using testing::schema_of;
using testing::TestWorkspace;

// Two correct migrations (applied on the target) and a third whose down forgets the enum type,
// and a fourth that is fine but comes after it.
void write_project(const TestWorkspace& ws, bool postgres) {
  if (postgres) {
    ws.write_migration("V1__users.up.sql",
                       "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n");
    ws.write_migration("V1__users.down.sql", "DROP TABLE users;\n");
    ws.write_migration("V2__orders.up.sql",
                       "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint CONSTRAINT "
                       "fk_orders_user REFERENCES users (id));\n");
    ws.write_migration("V2__orders.down.sql", "DROP TABLE orders;\n");
    ws.write_migration("V3__mood.up.sql",
                       "CREATE TYPE mood AS ENUM ('happy', 'sad');\n"
                       "ALTER TABLE users ADD COLUMN mood mood;\n");
    ws.write_migration("V3__mood.down.sql", "ALTER TABLE users DROP COLUMN mood;\n");
    ws.write_migration("V4__notes.up.sql", "CREATE TABLE notes (id bigint PRIMARY KEY);\n");
    ws.write_migration("V4__notes.down.sql", "DROP TABLE notes;\n");
  } else {
    ws.write_migration("V1__users.up.sql",
                       "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n");
    ws.write_migration("V1__users.down.sql", "DROP TABLE users;\n");
    ws.write_migration("V2__orders.up.sql",
                       "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES "
                       "users (id));\nCREATE INDEX orders_user_id_idx ON orders (user_id);\n");
    ws.write_migration("V2__orders.down.sql", "DROP TABLE orders;\n");
    ws.write_migration("V3__profiles.up.sql",
                       "CREATE TABLE user_profiles (user_id INTEGER PRIMARY KEY, bio TEXT);\n");
    ws.write_migration("V3__profiles.down.sql", "DROP TABLE IF EXISTS user_profile;\n");
    ws.write_migration("V4__notes.up.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY);\n");
    ws.write_migration("V4__notes.down.sql", "DROP TABLE notes;\n");
  }
}

std::vector<std::string> scratch_files() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fs::temp_directory_path())) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("migrate-rollback-check-" + std::to_string(getpid()) + "-"))
      out.push_back(name);
  }
  return out;
}

TEST(RollbackCheckTarget, SqlitePendingMigrationsFromTheTargetSchemaTargetUntouched) {
  TestWorkspace ws;
  write_project(ws, false);
  Migrator migrator(ws.options());
  auto applied = migrator.apply(std::string("2"));
  ASSERT_FALSE(applied.error) << applied.error->describe();
  const auto schema_before = schema_of(ws.database());
  const auto history_before = query_sqlite(ws.database(), "SELECT * FROM migrate_history");

  auto report = migrator.check_rollback();
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_EQ(report->baseline_version, std::optional<std::string>("2"));
  ASSERT_EQ(report->migrations.size(), 2u);
  const auto& v3 = report->migrations[0];
  EXPECT_EQ(v3.version, "3");
  EXPECT_EQ(v3.outcome, RoundTripOutcome::kDownInexact);
  ASSERT_FALSE(v3.down_differences.empty());
  EXPECT_EQ(v3.down_differences.front().describe(), "table user_profiles left behind");
  ASSERT_TRUE(v3.error);
  EXPECT_NE(v3.error->message.find("already exists"), std::string::npos) << v3.error->message;
  // The up again failed: what comes after cannot be checked on that schema.
  EXPECT_EQ(report->migrations[1].outcome, RoundTripOutcome::kNotChecked);
  ASSERT_TRUE(report->error);
  EXPECT_EQ(report->error->code, ErrorCode::kRollbackMismatch);
  EXPECT_NE(report->error->message.find("3 (profiles): table user_profiles left behind"),
            std::string::npos)
      << report->error->message;

  EXPECT_EQ(schema_of(ws.database()), schema_before);
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT * FROM migrate_history"), history_before);
  EXPECT_TRUE(report->scratch_removed);
  EXPECT_TRUE(scratch_files().empty());

  // With the down fixed, every pending migration passes, from the same target.
  ws.write_migration("V3__profiles.down.sql", "DROP TABLE user_profiles;\n");
  auto fixed = migrator.check_rollback();
  ASSERT_TRUE(fixed) << fixed.error().describe();
  EXPECT_FALSE(fixed->error) << fixed->error->describe();
  ASSERT_EQ(fixed->migrations.size(), 2u);
  EXPECT_EQ(fixed->migrations[0].outcome, RoundTripOutcome::kExact);
  EXPECT_EQ(fixed->migrations[1].outcome, RoundTripOutcome::kExact);
  EXPECT_EQ(schema_of(ws.database()), schema_before);
}

TEST(RollbackCheckTarget, SqliteScratchDatabaseThatIsTheTargetIsRefused) {
  TestWorkspace ws;
  write_project(ws, false);
  Migrator migrator(ws.options());
  ASSERT_FALSE(migrator.apply(std::string("1")).error);
  const auto history_before = query_sqlite(ws.database(), "SELECT * FROM migrate_history");
  RollbackCheckOptions check;
  check.scratch_database_url = ws.database_url();
  auto report = migrator.check_rollback(check);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kUsage);
  EXPECT_NE(report.error().message.find("is the target database"), std::string::npos)
      << report.error().message;
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT * FROM migrate_history"), history_before);
}

std::vector<std::string> postgres_catalog(const testing::PostgresTestDatabase& db) {
  auto rows = db.query(
      "SELECT c.relkind::text || ' ' || c.relname || ' ' || coalesce(string_agg(a.attname || ':' "
      "|| "
      "format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum), '') FROM pg_class c JOIN "
      "pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_attribute a ON a.attrelid = c.oid "
      "AND a.attnum > 0 AND NOT a.attisdropped WHERE n.nspname = 'public' GROUP BY c.relkind, "
      "c.relname ORDER BY 1");
  for (const auto& r : db.query("SELECT conname || ' ' || pg_get_constraintdef(oid) FROM "
                                "pg_constraint WHERE connamespace = 'public'::regnamespace "
                                "ORDER BY 1"))
    rows.push_back(r);
  for (const auto& r : db.query("SELECT typname FROM pg_type WHERE typtype = 'e' ORDER BY 1"))
    rows.push_back(r);
  return rows;
}

TEST(RollbackCheckTarget, PostgresPendingMigrationsFromTheTargetSchemaTargetUntouched) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  write_project(ws, true);
  Options o = ws.options();
  o.database_url = db->url();
  Migrator migrator(o);
  auto applied = migrator.apply(std::string("2"));
  ASSERT_FALSE(applied.error) << applied.error->describe();
  const auto catalog_before = postgres_catalog(*db);
  const auto history_before = db->query("SELECT * FROM migrate_history ORDER BY 1");

  auto report = migrator.check_rollback();
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_EQ(report->dialect, Dialect::kPostgres);
  EXPECT_EQ(report->baseline_version, std::optional<std::string>("2"));
  ASSERT_EQ(report->migrations.size(), 2u);
  const auto& v3 = report->migrations[0];
  EXPECT_EQ(v3.outcome, RoundTripOutcome::kDownInexact);
  ASSERT_EQ(v3.down_differences.size(), 1u);
  EXPECT_EQ(v3.down_differences[0].describe(), "enum type public.mood left behind");
  EXPECT_EQ(v3.down_differences[0].definition, "('happy', 'sad')");
  EXPECT_EQ(report->migrations[1].outcome, RoundTripOutcome::kNotChecked);
  EXPECT_TRUE(report->scratch_removed);
  EXPECT_EQ(db->query(own_scratch_databases_sql()), std::vector<std::string>{"0"});
  EXPECT_EQ(postgres_catalog(*db), catalog_before);
  EXPECT_EQ(db->query("SELECT * FROM migrate_history ORDER BY 1"), history_before);

  // The schema copied from the target is what the migrations after it see: with V3 fixed, V3
  // and V4 pass, and V1 and V2 (applied) are not checked again.
  ws.write_migration("V3__mood.down.sql", "ALTER TABLE users DROP COLUMN mood;\nDROP TYPE mood;\n");
  auto fixed = migrator.check_rollback();
  ASSERT_TRUE(fixed) << fixed.error().describe();
  EXPECT_FALSE(fixed->error) << fixed->error->describe();
  ASSERT_EQ(fixed->migrations.size(), 2u);
  EXPECT_EQ(fixed->migrations[0].version, "3");
  EXPECT_EQ(fixed->migrations[1].outcome, RoundTripOutcome::kExact);
  EXPECT_EQ(postgres_catalog(*db), catalog_before);
}

TEST(RollbackCheckTarget, PostgresGivenScratchDatabaseIsUsedAndKeptAndTheTargetRefused) {
  MIGRATE_REQUIRE_POSTGRES(db);
  auto scratch = testing::PostgresTestDatabase::create(migrate_pg_why);
  ASSERT_TRUE(scratch) << migrate_pg_why;
  TestWorkspace ws;
  write_project(ws, true);
  ws.write_migration("V3__mood.down.sql", "ALTER TABLE users DROP COLUMN mood;\nDROP TYPE mood;\n");
  Options o = ws.options();
  o.database_url = db->url();
  Migrator migrator(o);
  ASSERT_FALSE(migrator.apply(std::string("1")).error);

  RollbackCheckOptions check;
  check.scratch_database_url = db->url();
  auto refused = migrator.check_rollback(check);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUsage);
  EXPECT_NE(refused.error().message.find("is the target database"), std::string::npos)
      << refused.error().message;

  check.scratch_database_url = scratch->url();
  auto report = migrator.check_rollback(check);
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_FALSE(report->error) << report->error->describe();
  EXPECT_FALSE(report->scratch_removed);
  ASSERT_EQ(report->migrations.size(), 3u);
  // Kept, with the schema of the last migration and its own history.
  EXPECT_EQ(scratch->query("SELECT count(*) FROM pg_tables WHERE tablename = 'notes'"),
            std::vector<std::string>{"1"});

  // Not empty any more: refused.
  auto again = migrator.check_rollback(check);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kUsage);
  EXPECT_NE(again.error().message.find("is not empty"), std::string::npos) << again.error().message;
}

TEST(RollbackCheckTarget, PostgresScratchDatabaseIsDroppedWhenTheSchemaCopyFails) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  write_project(ws, true);
  Options o = ws.options();
  o.database_url = db->url();
  Migrator migrator(o);
  ASSERT_FALSE(migrator.apply(std::string("1")).error);
  RollbackCheckOptions check;
  check.pg_dump = (ws.root() / "no-such-pg_dump").string();
  auto report = migrator.check_rollback(check);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, ErrorCode::kInternal);
  EXPECT_NE(report.error().message.find("pg_dump --schema-only of the target failed"),
            std::string::npos)
      << report.error().message;
  EXPECT_EQ(db->query(own_scratch_databases_sql()), std::vector<std::string>{"0"});
}

}  // namespace
}  // namespace migrate
