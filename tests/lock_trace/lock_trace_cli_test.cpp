// `migrate plan --trace [--trace-db URL]` through the real binary on a real PostgreSQL server:
// the temporary copy (a CREATE INDEX CONCURRENTLY observed while it waits), the target named as
// the trace database (everything rolled back, a lock held since an earlier statement), a
// statement that fails on the trace database, and the usage errors. The target never changes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::MigrateProcess;
using testing::PostgresTestDatabase;
using testing::run_migrate;
using testing::TestWorkspace;

// Temporary trace databases process `pid` created that still exist.
std::string own_trace_databases_sql(pid_t pid) {
  return "SELECT count(*) FROM pg_database WHERE datname LIKE 'migrate\\_lock\\_trace\\_" +
         std::to_string(pid) + "\\_%'";
}

void create_target_schema(const PostgresTestDatabase& db) {
  db.execute(
      "CREATE TABLE accounts (id int PRIMARY KEY, email text);"
      "CREATE TABLE orders (id int PRIMARY KEY, account_id int REFERENCES accounts);"
      "INSERT INTO accounts VALUES (1, 'a@example.com');");
}

// The target as the migrations would leave it if anything had run: none of it may be there.
void expect_target_unchanged(const PostgresTestDatabase& db) {
  EXPECT_EQ(db.query("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                     "'accounts' AND column_name IN ('nickname', 'age')"),
            std::vector<std::string>{"0"});
  EXPECT_EQ(db.query("SELECT count(*) FROM pg_class WHERE relname IN ('accounts_email_idx', "
                     "'audit_log')"),
            std::vector<std::string>{"0"});
  EXPECT_EQ(db.query("SELECT to_regclass('public.migrate_history') IS NULL"),
            std::vector<std::string>{"t"});
  EXPECT_EQ(db.query("SELECT count(*) FROM accounts"), std::vector<std::string>{"1"});
}

void write_migrations(const TestWorkspace& ws) {
  ws.write_migration("V1__nickname.up.sql",
                     "ALTER TABLE accounts ADD COLUMN nickname text;\n"
                     "ALTER TABLE accounts ADD COLUMN age int;\n"
                     "CREATE TABLE audit_log (id serial, account_id int REFERENCES accounts);\n");
  ws.write_migration("V1__nickname.down.sql",
                     "DROP TABLE audit_log;\nALTER TABLE accounts DROP COLUMN age;\n"
                     "ALTER TABLE accounts DROP COLUMN nickname;\n");
  ws.write_migration("V2__email_index.up.sql",
                     "CREATE INDEX CONCURRENTLY accounts_email_idx ON accounts (email);\n");
  ws.write_migration("V2__email_index.down.sql", "DROP INDEX CONCURRENTLY accounts_email_idx;\n");
}

const nlohmann::json* statement_at(const nlohmann::json& trace, const std::string& version,
                                   int statement) {
  for (const auto& s : trace["statements"])
    if (s["version"] == version && s["statement"] == statement) return &s;
  return nullptr;
}

std::string mode_of(const nlohmann::json& locks, const std::string& relation) {
  for (const auto& l : locks)
    if (l["relation"] == relation) return l["mode"];
  return "none";
}

TEST(LockTraceCli, TemporaryCopyTracesEveryStatementAndLeavesTheTargetAsItWas) {
  MIGRATE_REQUIRE_POSTGRES(db);
  create_target_schema(*db);
  TestWorkspace ws;
  write_migrations(ws);
  MigrateProcess process(
      {"--db", db->url(), "--dir", ws.migrations().string(), "--output", "json", "plan", "--trace"},
      ws.root());
  auto r = process.result();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["command"], "plan");
  EXPECT_EQ(j["ok"], true);
  ASSERT_TRUE(j["plan"].is_object());
  const auto& trace = j["trace"];
  EXPECT_EQ(trace["temporary"], true);
  EXPECT_EQ(trace["removed"], true);
  EXPECT_NE(trace["trace_database"].get<std::string>().find("migrate_lock_trace_"),
            std::string::npos);
  EXPECT_TRUE(trace["error"].is_null());
  ASSERT_EQ(trace["statements"].size(), 4u) << trace.dump(2);
  EXPECT_TRUE(trace["mismatches"].empty()) << trace["mismatches"].dump(2);

  const auto* add_column = statement_at(trace, "1", 1);
  ASSERT_NE(add_column, nullptr);
  EXPECT_EQ((*add_column)["traced"], true);
  EXPECT_EQ((*add_column)["method"], "transaction");
  EXPECT_EQ((*add_column)["line"], 1);
  EXPECT_EQ((*add_column)["column"], 1);
  EXPECT_EQ((*add_column)["standalone"], false);
  EXPECT_TRUE((*add_column)["not_traced_reason"].is_null());
  EXPECT_GE((*add_column)["duration_ms"].get<double>(), 0.0);
  EXPECT_EQ(mode_of((*add_column)["locks"], "accounts"), "ACCESS EXCLUSIVE");
  EXPECT_EQ(mode_of((*add_column)["analyzer_locks"], "accounts"), "ACCESS EXCLUSIVE");

  // The new table's foreign key: SHARE ROW EXCLUSIVE on the referenced table, named.
  const auto* create_table = statement_at(trace, "1", 3);
  ASSERT_NE(create_table, nullptr);
  EXPECT_EQ((*create_table)["line"], 3);
  EXPECT_EQ(mode_of((*create_table)["locks"], "accounts"), "SHARE ROW EXCLUSIVE");
  EXPECT_EQ(mode_of((*create_table)["analyzer_locks"], "accounts"), "SHARE ROW EXCLUSIVE");

  const auto* concurrent = statement_at(trace, "2", 1);
  ASSERT_NE(concurrent, nullptr);
  EXPECT_EQ((*concurrent)["standalone"], true);
  EXPECT_EQ((*concurrent)["traced"], true) << concurrent->dump(2);
  EXPECT_EQ((*concurrent)["method"], "while-waiting");
  EXPECT_EQ(mode_of((*concurrent)["locks"], "accounts"), "SHARE UPDATE EXCLUSIVE");
  EXPECT_EQ(mode_of((*concurrent)["analyzer_locks"], "accounts"), "SHARE UPDATE EXCLUSIVE");

  EXPECT_EQ(db->query(own_trace_databases_sql(process.pid())), std::vector<std::string>{"0"});
  expect_target_unchanged(*db);

  // Text: the plan, then each statement's locks beside the analyzer's and the summary.
  MigrateProcess text_process(
      {"--db", db->url(), "--dir", ws.migrations().string(), "plan", "--trace"}, ws.root());
  auto text = text_process.result();
  ASSERT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("Lock trace on "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("(a temporary copy of the target's schema)"), std::string::npos);
  EXPECT_NE(text.out.find("statement 1 (line 1:1), standalone"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("seen while it waited"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("      PostgreSQL: accounts SHARE UPDATE EXCLUSIVE"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("4 statement(s) traced: the analyzer's locks agree with PostgreSQL's."),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("The temporary trace database was removed."), std::string::npos);
  EXPECT_EQ(text.out.find("MISMATCH"), std::string::npos) << text.out;
  EXPECT_EQ(db->query(own_trace_databases_sql(text_process.pid())), std::vector<std::string>{"0"});
  expect_target_unchanged(*db);
}

TEST(LockTraceCli, TargetNamedAsTraceDatabaseIsRolledBack) {
  MIGRATE_REQUIRE_POSTGRES(db);
  create_target_schema(*db);
  TestWorkspace ws;
  write_migrations(ws);
  auto r = run_migrate({"--db", db->url(), "--dir", ws.migrations().string(), "--output", "json",
                        "plan", "--trace", "--trace-db", db->url()},
                       ws.root());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  const auto& trace = j["trace"];
  EXPECT_EQ(trace["temporary"], false);
  EXPECT_EQ(trace["removed"], false);
  EXPECT_TRUE(trace["mismatches"].empty()) << trace["mismatches"].dump(2);
  ASSERT_EQ(trace["statements"].size(), 4u);

  // The second ALTER TABLE needs the ACCESS EXCLUSIVE lock the first one holds already.
  const auto* second = statement_at(trace, "1", 2);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ((*second)["traced"], true);
  bool held = false;
  for (const auto& l : (*second)["locks"])
    if (l["relation"] == "accounts") {
      EXPECT_EQ(l["mode"], "ACCESS EXCLUSIVE");
      EXPECT_EQ(l["held_since"]["version"], "1");
      EXPECT_EQ(l["held_since"]["statement"], 1);
      held = true;
    }
  EXPECT_TRUE(held) << second->dump(2);

  // CREATE INDEX CONCURRENTLY could not be undone: not run on a named database.
  const auto* concurrent = statement_at(trace, "2", 1);
  ASSERT_NE(concurrent, nullptr);
  EXPECT_EQ((*concurrent)["traced"], false);
  EXPECT_EQ((*concurrent)["method"], "not-traced");
  EXPECT_NE((*concurrent)["not_traced_reason"].get<std::string>().find("without --trace-db"),
            std::string::npos);
  expect_target_unchanged(*db);

  auto text = run_migrate({"--db", db->url(), "--dir", ws.migrations().string(), "plan", "--trace",
                           "--trace-db", db->url()},
                          ws.root());
  ASSERT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("(everything rolled back)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("accounts ACCESS EXCLUSIVE (held since 1 statement 1)"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("not traced: it cannot run in a transaction"), std::string::npos);
  EXPECT_NE(text.out.find("3 statement(s) traced: the analyzer's locks agree with PostgreSQL's; "
                          "1 not traced."),
            std::string::npos)
      << text.out;
  expect_target_unchanged(*db);
}

// On a database the user named, the one transaction is rolled back: what a rollback would not
// undo (a sequence moved by setval), or what would stay in force for the rest of the trace (a
// SET), is not run at all.
TEST(LockTraceCli, TargetNamedAsTraceDatabaseRunsNothingARollbackWouldNotUndo) {
  MIGRATE_REQUIRE_POSTGRES(db);
  create_target_schema(*db);
  db->execute("CREATE SEQUENCE counter");
  db->execute("SELECT setval('counter', 42)");
  TestWorkspace ws;
  ws.write_migration("V1__reset.up.sql",
                     "SET statement_timeout = '1min';\n"
                     "SELECT setval('counter', 1);\n"
                     "ALTER TABLE accounts ADD COLUMN x int;\n");
  auto r = run_migrate({"--db", db->url(), "--dir", ws.migrations().string(), "--output", "json",
                        "plan", "--trace", "--trace-db", db->url()},
                       ws.root());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto trace = nlohmann::json::parse(r.out)["trace"];
  const auto* set = statement_at(trace, "1", 1);
  const auto* setval = statement_at(trace, "1", 2);
  const auto* alter = statement_at(trace, "1", 3);
  ASSERT_TRUE(set && setval && alter) << trace.dump(2);
  EXPECT_EQ((*set)["traced"], false);
  EXPECT_NE((*set)["not_traced_reason"].get<std::string>().find("session settings"),
            std::string::npos)
      << set->dump(2);
  EXPECT_EQ((*setval)["traced"], false);
  EXPECT_NE((*setval)["not_traced_reason"].get<std::string>().find("a rollback does not undo"),
            std::string::npos)
      << setval->dump(2);
  EXPECT_EQ((*alter)["traced"], true);
  EXPECT_EQ(mode_of((*alter)["locks"], "accounts"), "ACCESS EXCLUSIVE");
  EXPECT_EQ(db->query("SELECT last_value FROM counter"), std::vector<std::string>{"42"});
  EXPECT_EQ(db->query("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                      "'accounts' AND column_name = 'x'"),
            std::vector<std::string>{"0"});
}

TEST(LockTraceCli, StatementFailingOnTheTraceDatabaseIsLocatedAndExitsAsAFailedStatement) {
  MIGRATE_REQUIRE_POSTGRES(db);
  create_target_schema(*db);
  TestWorkspace ws;
  ws.write_migration("V1__nickname.up.sql",
                     "ALTER TABLE accounts ADD COLUMN nickname text;\n\n"
                     "  ALTER TABLE no_such_table ADD COLUMN x int;\n");
  MigrateProcess process(
      {"--db", db->url(), "--dir", ws.migrations().string(), "--output", "json", "plan", "--trace"},
      ws.root());
  auto r = process.result();
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["error"]["code"], "STATEMENT_FAILED");
  EXPECT_NE(j["error"]["message"].get<std::string>().find("no_such_table"), std::string::npos)
      << j["error"].dump(2);
  EXPECT_EQ(j["error"]["version"], "1") << j["error"].dump(2);
  EXPECT_EQ(j["error"]["line"], 3);
  EXPECT_EQ(j["error"]["column"], 3);
  const auto& trace = j["trace"];
  ASSERT_EQ(trace["statements"].size(), 2u);
  EXPECT_EQ(trace["statements"][0]["traced"], true);
  EXPECT_EQ(trace["statements"][1]["traced"], false);
  EXPECT_EQ(trace["removed"], true);
  EXPECT_EQ(db->query(own_trace_databases_sql(process.pid())), std::vector<std::string>{"0"});
  expect_target_unchanged(*db);

  auto text = run_migrate({"--db", db->url(), "--dir", ws.migrations().string(), "plan", "--trace"},
                          ws.root());
  EXPECT_EQ(text.exit_code, 4);
  EXPECT_NE(text.err.find("V1__nickname.up.sql:3:3"), std::string::npos) << text.err;
}

TEST(LockTraceCli, UsageErrors) {
  TestWorkspace ws;
  ws.write_migration("V1__t.up.sql", "CREATE TABLE t (id int);\n");
  auto sqlite = run_migrate({"--db", ws.database_url(), "--dir", ws.migrations().string(),
                             "--output", "json", "plan", "--trace"},
                            ws.root());
  EXPECT_EQ(sqlite.exit_code, 2) << sqlite.out << sqlite.err;
  auto j = nlohmann::json::parse(sqlite.out);
  EXPECT_EQ(j["error"]["code"], "USAGE");
  EXPECT_NE(j["error"]["message"].get<std::string>().find("lock tracing needs PostgreSQL"),
            std::string::npos);

  auto without_trace = run_migrate({"--db", ws.database_url(), "--dir", ws.migrations().string(),
                                    "plan", "--trace-db", "postgresql://u:hunter2@localhost/x"},
                                   ws.root());
  EXPECT_EQ(without_trace.exit_code, 2);
  EXPECT_NE(without_trace.err.find("--trace-db is given without --trace"), std::string::npos)
      << without_trace.err;
  EXPECT_EQ(without_trace.err.find("hunter2"), std::string::npos);
}

TEST(LockTraceCli, PasswordOfTheTraceDatabaseIsNeverPrinted) {
  MIGRATE_REQUIRE_POSTGRES(db);
  create_target_schema(*db);
  TestWorkspace ws;
  write_migrations(ws);
  // A server that does not answer: the connection error names the database without password.
  auto r = run_migrate(
      {"--db", db->url(), "--dir", ws.migrations().string(), "--output", "json", "plan", "--trace",
       "--trace-db", "postgresql://tracer:hunter2@127.0.0.1:1/nowhere?connect_timeout=2"},
      ws.root());
  EXPECT_EQ(r.exit_code, 11) << r.out << r.err;
  EXPECT_EQ(r.out.find("hunter2"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["error"]["code"], "CONNECTION_FAILED");
  expect_target_unchanged(*db);
}

}  // namespace
}  // namespace migrate
