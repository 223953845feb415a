// Bad input and hostile database state on a real PostgreSQL 15, through the built `migrate`
// (docs/operations.md): a read-only database, a role without privileges, a history table that
// libmigrate did not write, a wrong password, a syntax error. Each is a named error with its
// exit code and fix, and nothing is applied.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstdlib>
#include <pqxx/pqxx>
#include <random>

#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::PostgresTestDatabase;
using testing::run_migrate;
using testing::TestWorkspace;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

CommandResult migrate_on(const TestWorkspace& ws, const std::string& url,
                         std::vector<std::string> args) {
  std::vector<std::string> full{"--db",        url,   "--dir", ws.migrations().string(),
                                "--log-level", "warn"};
  full.insert(full.end(), args.begin(), args.end());
  return run_migrate(full, ws.root(), {}, [] { alarm(60); });
}

json parse(const CommandResult& r) {
  try {
    return json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "stdout is not JSON: " << e.what() << "\n" << r.out << "\nstderr:\n" << r.err;
    return json::object();
  }
}

// A login role of the test's own, dropped at the end; the database is dropped by its owner.
class TestRole {
 public:
  explicit TestRole(const PostgresTestDatabase& db) : db_(db) {
    name_ = "migrate_role_" + std::to_string(getpid()) + "_" +
            std::to_string(std::random_device{}() % 1000000);
    db_.execute("CREATE ROLE " + name_ + " LOGIN PASSWORD 'role-pw'");
    db_.execute("GRANT CONNECT ON DATABASE " + db_.name() + " TO " + name_);
  }
  ~TestRole() {
    try {
      db_.execute("DROP OWNED BY " + name_);
      db_.execute("DROP ROLE " + name_);
    } catch (const std::exception&) {
    }
  }
  const std::string& name() const { return name_; }
  // The database's URL with this role's credentials (libpq takes the last value of a keyword).
  std::string url() const { return db_.url() + " user=" + name_ + " password=role-pw"; }

 private:
  const PostgresTestDatabase& db_;
  std::string name_;
};

// ALTER DATABASE on a connection of its own that is not read-only itself.
void set_read_only(const PostgresTestDatabase& db, bool on) {
  pqxx::connection c(db.url() + " options='-c default_transaction_read_only=off'");
  pqxx::nontransaction q(c);
  q.exec("ALTER DATABASE " + q.quote_name(db.name()) +
         " SET default_transaction_read_only = " + (on ? "on" : "off"));
}

TEST(PostgresBadInput, ADatabaseWithDefaultTransactionReadOnlyIsReadOnlyDatabase) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id int);\n");
  set_read_only(*db, true);
  auto fresh = migrate_on(ws, db->url(), {"apply", "--output", "json"});
  EXPECT_EQ(fresh.exit_code, 20) << fresh.out << fresh.err;
  json j = parse(fresh);
  EXPECT_EQ(j["error"]["code"], "READ_ONLY_DATABASE");
  EXPECT_EQ(j["error"]["database_code"], "25006");
  EXPECT_TRUE(has(j["error"]["hint"].get<std::string>(), "default_transaction_read_only = off"));
  EXPECT_EQ(db->query("SELECT count(*) FROM pg_class WHERE relname IN ('a', 'migrate_history')"),
            std::vector<std::string>{"0"});

  // With a history already there, the migration's own statement meets the read-only session.
  set_read_only(*db, false);
  ASSERT_EQ(migrate_on(ws, db->url(), {"apply"}).exit_code, 0);
  ws.write_migration("V2__b.up.sql", "CREATE TABLE b (id int);\n");
  set_read_only(*db, true);
  auto later = migrate_on(ws, db->url(), {"apply"});
  EXPECT_EQ(later.exit_code, 20) << later.err;
  EXPECT_TRUE(has(later.err, "READ_ONLY_DATABASE")) << later.err;
  EXPECT_FALSE(has(later.err, "INTERNAL")) << later.err;
  EXPECT_EQ(db->query("SELECT count(*) FROM pg_class WHERE relname = 'b'"),
            std::vector<std::string>{"0"});
  set_read_only(*db, false);
  auto status = migrate_on(ws, db->url(), {"status"});
  EXPECT_TRUE(has(status.out, "1 applied, 1 pending")) << status.out << status.err;
}

TEST(PostgresBadInput, ARoleWithoutCreateGetsPermissionDeniedWithTheGrantItNeeds) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  TestRole role(*db);
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id int);\n");
  // PostgreSQL 15: only the owner creates in schema public, and the role has no CREATE on the
  // database either.
  auto no_schema = migrate_on(ws, role.url(), {"apply"});
  EXPECT_EQ(no_schema.exit_code, 21) << no_schema.err;
  EXPECT_TRUE(has(no_schema.err, "error[PERMISSION_DENIED]")) << no_schema.err;
  EXPECT_TRUE(has(no_schema.err, "cannot create the history table")) << no_schema.err;
  EXPECT_TRUE(
      has(no_schema.err, "GRANT USAGE, CREATE ON SCHEMA \"public\" TO \"" + role.name() + "\""))
      << no_schema.err;

  auto new_schema = migrate_on(ws, role.url(), {"--history-schema", "ops", "apply"});
  EXPECT_EQ(new_schema.exit_code, 21) << new_schema.err;
  EXPECT_TRUE(has(new_schema.err, "cannot create the history schema ops")) << new_schema.err;
  EXPECT_TRUE(has(new_schema.err,
                  "GRANT CREATE ON DATABASE \"" + db->name() + "\" TO \"" + role.name() + "\""))
      << new_schema.err;
  EXPECT_EQ(db->query("SELECT count(*) FROM pg_class WHERE relname IN ('a', 'migrate_history')"),
            std::vector<std::string>{"0"});

  // The schema exists and the role may create in it: no CREATE on the database is needed.
  db->execute("GRANT USAGE, CREATE ON SCHEMA \"public\" TO \"" + role.name() + "\"");
  auto granted = migrate_on(ws, role.url(), {"apply"});
  EXPECT_EQ(granted.exit_code, 0) << granted.err;

  // A migration statement the role may not run is named as such too.
  ws.write_migration("V2__owned.up.sql", "ALTER TABLE owned_by_admin ADD COLUMN c int;\n");
  db->execute("CREATE TABLE owned_by_admin (id int)");
  auto statement = migrate_on(ws, role.url(), {"apply", "--output", "json"});
  EXPECT_EQ(statement.exit_code, 21) << statement.out;
  json j = parse(statement);
  EXPECT_EQ(j["error"]["database_code"], "42501");
  EXPECT_TRUE(has(j["error"]["file"].get<std::string>(), "V2__owned.up.sql"));
  EXPECT_EQ(j["error"]["statement"], 1);
}

TEST(PostgresBadInput, AHistoryTableWithNullsIsHistoryIncompatibleNotInternal) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id int);\n");
  db->execute(
      "CREATE TABLE public.migrate_history (id bigint, history_format int, run_id text, version "
      "text, name text, direction text, checksum text, down_checksum text, transactional boolean, "
      "started_at timestamptz, finished_at timestamptz, success boolean, error_message text, "
      "error_code text, statement_index int, execution_ms bigint, installed_by text, client text, "
      "tool_version text, error_statement int, progress_checksum text)");
  db->execute(
      "INSERT INTO public.migrate_history (id, history_format, version, direction) VALUES (3, 1, "
      "'1', 'up')");
  for (const char* command : {"status", "apply"}) {
    auto r = migrate_on(ws, db->url(), {command, "--output", "json"});
    EXPECT_EQ(r.exit_code, 14) << command << ": " << r.out << r.err;
    json j = parse(r);
    EXPECT_EQ(j["error"]["code"], "HISTORY_INCOMPATIBLE");
    EXPECT_TRUE(
        has(j["error"]["message"].get<std::string>(), "NULL in column run_id of the row with id 3"))
        << r.out;
  }
  db->execute("DROP TABLE public.migrate_history");
  db->execute("CREATE VIEW public.migrate_history AS SELECT 1 AS id");
  auto view = migrate_on(ws, db->url(), {"apply"});
  EXPECT_EQ(view.exit_code, 14) << view.err;
  EXPECT_TRUE(has(view.err, "is a view, not a libmigrate history table")) << view.err;
  EXPECT_EQ(db->query("SELECT count(*) FROM pg_class WHERE relname = 'a'"),
            std::vector<std::string>{"0"});
}

TEST(PostgresBadInput, AHistoryTableNameThatMatchesNothingBesideAnotherHistoryIsRefused) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id int);\n");
  ASSERT_EQ(migrate_on(ws, db->url(), {"apply"}).exit_code, 0);
  auto wrong_schema = migrate_on(ws, db->url(), {"--history-schema", "ops", "apply"});
  EXPECT_EQ(wrong_schema.exit_code, 14) << wrong_schema.err;
  EXPECT_TRUE(has(wrong_schema.err, "history table(s) public.migrate_history")) << wrong_schema.err;
  EXPECT_TRUE(has(wrong_schema.err, "--history-schema public --history-table migrate_history"))
      << wrong_schema.err;
  EXPECT_EQ(db->query("SELECT count(*) FROM pg_namespace WHERE nspname = 'ops'"),
            std::vector<std::string>{"0"});
  auto status = migrate_on(ws, db->url(), {"--history-table", "other", "status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(has(status.err, "public.migrate_history")) << status.err;
}

TEST(PostgresBadInput, ASyntaxErrorIsReportedWithLineAndColumnBeforeAnythingRuns) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id int);\n");
  ws.write_migration("V2__typo.up.sql", "CREATE TABLE b (id int);\n\n  CREATE TABEL c (id int);\n");
  auto r = migrate_on(ws, db->url(), {"apply", "--output", "json"});
  EXPECT_EQ(r.exit_code, 3) << r.out;
  json j = parse(r);
  EXPECT_EQ(j["error"]["code"], "SOURCE_INVALID");
  EXPECT_TRUE(has(j["error"]["file"].get<std::string>(), "V2__typo.up.sql")) << r.out;
  EXPECT_EQ(j["error"]["line"], 3) << r.out;
  EXPECT_EQ(j["error"]["column"], 10) << r.out;
  EXPECT_TRUE(has(j["error"]["message"].get<std::string>(), "syntax error")) << r.out;
  EXPECT_EQ(db->query("SELECT count(*) FROM pg_class WHERE relname IN ('a', 'migrate_history')"),
            std::vector<std::string>{"0"});
}

TEST(PostgresBadInput, AWrongPasswordIsConnectionFailedWithoutThePassword) {
  MIGRATE_REQUIRE_POSTGRES(db);
  TestWorkspace ws;
  TestRole role(*db);
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id int);\n");
  auto r = migrate_on(ws, db->url() + " host=127.0.0.1 user=" + role.name() + " password=wr0ng",
                      {"apply"});
  EXPECT_EQ(r.exit_code, 11) << r.err;
  EXPECT_TRUE(has(r.err, "CONNECTION_FAILED")) << r.err;
  EXPECT_TRUE(has(r.err, "password authentication failed")) << r.err;
  EXPECT_FALSE(has(r.err, "wr0ng")) << r.err;
  EXPECT_TRUE(has(r.err, "fix:")) << r.err;
}

}  // namespace
}  // namespace migrate

namespace migrate {
namespace {

// What the USAGE hint for a missing URL promises when PG* variables are set: `postgresql://`
// with every part left out connects where they say.
TEST(PostgresBadInput, TheEmptyPostgresqlUrlConnectsWithLibpqsPgVariables) {
  MIGRATE_REQUIRE_POSTGRES(db);
  if (!std::getenv("PGHOST") && !std::getenv("PGPORT"))
    GTEST_SKIP() << "the server is configured by MIGRATE_TEST_PG_URL, not by PG* variables";
  TestWorkspace ws;
  ws.write_migration("V1__a.up.sql", "CREATE TABLE from_pg_variables (id int);\n");
  auto r = run_migrate({"--db", "postgresql://", "--dir", ws.migrations().string(), "apply"},
                       ws.root(), {"PGDATABASE=" + db->name()}, [] { alarm(60); });
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(db->query("SELECT count(*) FROM from_pg_variables"), std::vector<std::string>{"0"});
  auto named = run_migrate({"--db", "postgresql:///" + db->name(), "--dir",
                            ws.migrations().string(), "--output", "json", "status"},
                           ws.root(), {"PGDATABASE=postgres"}, [] { alarm(60); });
  EXPECT_EQ(named.exit_code, 0) << named.out << named.err;
  EXPECT_EQ(parse(named)["migrations"][0]["state"], "applied") << named.out;
}

}  // namespace
}  // namespace migrate
