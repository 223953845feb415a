// The built `migrate` binary: exit codes, JSON, text on stdout and errors on stderr.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sqlite3.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::query_sqlite;
using testing::run_migrate;
using testing::schema_of;
using testing::TestWorkspace;

const std::filesystem::path kDemo =
    std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures/demo/sqlite";

class CliTest : public ::testing::Test {
 protected:
  CommandResult migrate(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    std::vector<std::string> full{
        "--db", ws.database_url(), "--dir", ws.migrations().string(), "--log-level", "warn"};
    full.insert(full.end(), args.begin(), args.end());
    return run_migrate(full, ws.root(), env);
  }
  static json parse(const CommandResult& r) {
    try {
      return json::parse(r.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "stdout is not JSON: " << e.what() << "\n"
                    << r.out << "\nstderr:\n"
                    << r.err;
      return json::object();
    }
  }
  TestWorkspace ws;
};

TEST_F(CliTest, DemoRunbookPlanApplyStatusRollback) {
  ws.copy_migrations_from(kDemo);
  auto plan = migrate({"plan", "--dry-run", "--target", "V003"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("Dry run"), std::string::npos);
  EXPECT_NE(plan.out.find("apply  3 create_team_memberships"), std::string::npos);
  EXPECT_EQ(plan.out.find("apply  4 "), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(ws.database())) << "plan must not create the database";

  auto apply = migrate({"apply", "--target", "12"});
  ASSERT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_NE(apply.out.find("applied 12 add_task_audit_triggers"), std::string::npos);

  auto status = migrate({"status"});
  ASSERT_EQ(status.exit_code, 0);
  EXPECT_NE(status.out.find("12 applied, 7 pending, 0 need attention"), std::string::npos);

  auto rollback = migrate({"rollback", "--target", "V010", "--yes"});
  ASSERT_EQ(rollback.exit_code, 0) << rollback.err;
  EXPECT_NE(rollback.out.find("reverted 12 add_task_audit_triggers"), std::string::npos);
  EXPECT_NE(rollback.out.find("reverted 11 create_audit_log"), std::string::npos);
  EXPECT_NE(migrate({"status"}).out.find("10 applied, 9 pending"), std::string::npos);
}

TEST_F(CliTest, StatusJsonFollowsTheDocumentedSchema) {
  ws.copy_migrations_from(kDemo);
  ASSERT_EQ(migrate({"apply", "--target", "2"}).exit_code, 0);
  auto r = migrate({"status", "--output", "json"});
  ASSERT_EQ(r.exit_code, 0);
  json j = parse(r);
  EXPECT_EQ(j["schema"], "migrate.cli/v1");
  EXPECT_EQ(j["command"], "status");
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["exit_code"], 0);
  EXPECT_TRUE(j["error"].is_null());
  ASSERT_EQ(j["migrations"].size(), 19u);
  const json& first = j["migrations"][0];
  EXPECT_EQ(first["version"], "1");
  EXPECT_EQ(first["state"], "applied");
  EXPECT_EQ(first["applied"]["success"], true);
  EXPECT_EQ(first["applied"]["direction"], "up");
  EXPECT_TRUE(first["file_checksum"].get<std::string>().starts_with("sha256:v1:"));
  EXPECT_EQ(j["migrations"][2]["state"], "pending");
  EXPECT_TRUE(j["migrations"][2]["applied"].is_null());
  EXPECT_EQ(j["migrations"][8]["reversible"], false);  // V009 has no down file
}

TEST_F(CliTest, ApplyAndRollbackJsonReportTheSteps) {
  ws.copy_migrations_from(kDemo);
  json applied = parse(migrate({"apply", "--target", "3", "--output", "json"}));
  EXPECT_EQ(applied["ok"], true);
  ASSERT_EQ(applied["steps"].size(), 3u);
  EXPECT_EQ(applied["steps"][2]["version"], "3");
  EXPECT_EQ(applied["steps"][2]["direction"], "up");
  EXPECT_EQ(applied["run_id"].get<std::string>().size(), 36u);
  json plan = parse(migrate({"rollback", "--steps", "2", "--dry-run", "--output", "json"}));
  ASSERT_EQ(plan["plan"]["steps"].size(), 2u);
  EXPECT_EQ(plan["plan"]["steps"][0]["kind"], "revert");
  EXPECT_EQ(plan["plan"]["steps"][0]["version"], "3");
  EXPECT_EQ(plan["plan"]["target_version"], "1");
  json reverted = parse(migrate({"rollback", "--steps", "2", "--yes", "--output", "json"}));
  EXPECT_EQ(reverted["ok"], true);
  ASSERT_EQ(reverted["steps"].size(), 2u);
  EXPECT_EQ(reverted["steps"][1]["direction"], "down");
}

TEST_F(CliTest, RollbackWithoutYesOnANonInteractiveStdinIsRefused) {
  ws.copy_migrations_from(kDemo);
  ASSERT_EQ(migrate({"apply", "--target", "3"}).exit_code, 0);
  auto r = migrate({"rollback", "--steps", "1"});
  EXPECT_EQ(r.exit_code, 13);
  EXPECT_NE(r.err.find("NOT_CONFIRMED"), std::string::npos);
  EXPECT_NE(r.err.find("--yes"), std::string::npos);
  EXPECT_NE(migrate({"status"}).out.find("3 applied"), std::string::npos);
}

TEST_F(CliTest, IrreversibleRollbackExitsTenAndChangesNothing) {
  ws.copy_migrations_from(kDemo);
  ASSERT_EQ(migrate({"apply"}).exit_code, 0);
  auto schema = schema_of(ws.database());
  auto r = migrate({"rollback", "--target", "1", "--yes", "--output", "json"});
  EXPECT_EQ(r.exit_code, 10);
  json j = parse(r);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["error"]["code"], "IRREVERSIBLE");
  EXPECT_EQ(j["exit_code"], 10);
  EXPECT_EQ(schema_of(ws.database()), schema);
}

TEST_F(CliTest, StatementFailureExitsFourAndNamesFileLineAndColumn) {
  ws.write_migration("V1__ok.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ws.write_migration("V2__bad.up.sql", "CREATE TABLE b (id INTEGER);\n\nSELECT nope FROM a;\n");
  auto r = migrate({"apply"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("error[STATEMENT_FAILED]"), std::string::npos);
  EXPECT_NE(r.err.find("V2__bad.up.sql:3:8"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no such column: nope"), std::string::npos);
  EXPECT_NE(r.err.find("fix:"), std::string::npos);
  EXPECT_EQ(query_sqlite(ws.database(), "SELECT name FROM sqlite_master WHERE name IN ('a', 'b')"),
            std::vector<std::string>{"a"});
  // The failure is visible in status and blocks the next apply (exit 9) until retried.
  EXPECT_NE(migrate({"status"}).out.find("failed at statement 2"), std::string::npos);
  auto again = migrate({"apply", "--output", "json"});
  EXPECT_EQ(again.exit_code, 9);
  EXPECT_EQ(parse(again)["error"]["code"], "FAILED_MIGRATION");
}

TEST_F(CliTest, InvalidSourceExitsThreeAndNamesEveryFile) {
  ws.write_migration("V1__ok.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ws.write_migration("notes.txt", "stray");
  ws.write_migration("V2__orphan.down.sql", "DROP TABLE x;\n");
  auto r = migrate({"validate"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("notes.txt"), std::string::npos);
  EXPECT_NE(r.err.find("V2__orphan.down.sql: down file without an up file"), std::string::npos);
}

TEST_F(CliTest, UnknownDirectiveExitsThreeWithLineAndColumn) {
  ws.write_migration("V1__a.up.sql",
                     "-- first line\n-- migrate:clas additive\nCREATE TABLE a (id INTEGER);\n");
  auto r = migrate({"plan", "--output", "json"});
  EXPECT_EQ(r.exit_code, 3);
  json j = parse(r);
  EXPECT_EQ(j["error"]["code"], "SOURCE_INVALID");
  EXPECT_EQ(j["error"]["line"], 2);
  EXPECT_EQ(j["error"]["column"], 1);
  EXPECT_EQ(j["error"]["version"], "1");
  EXPECT_NE(j["error"]["message"].get<std::string>().find("clas"), std::string::npos);
  EXPECT_NE(j["error"]["hint"].get<std::string>().find("class"), std::string::npos);
}

TEST_F(CliTest, ChecksumMismatchExitsSixAndValidateReportsIt) {
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ASSERT_EQ(migrate({"apply"}).exit_code, 0);
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER, x TEXT);\n");
  auto v = migrate({"validate"});
  EXPECT_EQ(v.exit_code, 6);
  EXPECT_NE(v.err.find("CHECKSUM_MISMATCH"), std::string::npos);
  EXPECT_EQ(migrate({"apply"}).exit_code, 6);
  // Line endings and a BOM are not changes.
  ws.write_migration("V1__a.up.sql",
                     "\xEF\xBB\xBF"
                     "CREATE TABLE a (id INTEGER);\r\n");
  EXPECT_EQ(migrate({"validate"}).exit_code, 0);
}

TEST_F(CliTest, OutOfOrderExitsEightUnlessAllowed) {
  ws.write_migration("V2__b.up.sql", "CREATE TABLE b (id INTEGER);\n");
  ASSERT_EQ(migrate({"apply"}).exit_code, 0);
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  auto r = migrate({"apply"});
  EXPECT_EQ(r.exit_code, 8);
  EXPECT_NE(r.err.find("version 1 ("), std::string::npos);
  EXPECT_NE(r.err.find("version 2 is already applied"), std::string::npos);
  EXPECT_EQ(migrate({"apply", "--allow-out-of-order"}).exit_code, 0);
}

TEST_F(CliTest, LockTimeoutExitsFive) {
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ASSERT_EQ(migrate({"apply"}).exit_code, 0);
  ws.write_migration("V2__b.up.sql", "CREATE TABLE b (id INTEGER);\n");
  // The test process holds the write lock while the migrate process tries to take it.
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(ws.database().c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto r = migrate({"apply", "--lock-wait", "300ms", "--output", "json"});
  sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(holder);
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(parse(r)["error"]["code"], "LOCK_TIMEOUT");
  // SQLite's wait is --lock-wait (its busy timeout); --lock-timeout is PostgreSQL's and does
  // nothing here, so the advice must not send anyone there.
  const std::string hint = parse(r)["error"]["hint"].get<std::string>();
  EXPECT_NE(hint.find("--lock-wait"), std::string::npos) << hint;
  EXPECT_EQ(hint.find("--lock-timeout"), std::string::npos) << hint;
}

TEST_F(CliTest, AnUnreachablePostgresServerIsAConnectionErrorWithThePasswordRedacted) {
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  // Port 1 on loopback: refused at once, no server there.
  auto text = run_migrate({"--db", "postgres://app:s3cret@127.0.0.1:1/app", "--dir",
                           ws.migrations().string(), "status"},
                          ws.root());
  EXPECT_EQ(text.exit_code, 11);
  EXPECT_NE(text.err.find("CONNECTION_FAILED"), std::string::npos) << text.err;
  EXPECT_NE(text.err.find("postgres://app:****@127.0.0.1:1/app"), std::string::npos) << text.err;
  EXPECT_EQ(text.err.find("s3cret"), std::string::npos);
  EXPECT_EQ(text.out.find("s3cret"), std::string::npos);
  auto unknown =
      run_migrate({"--db", "mysql://x", "--dir", ws.migrations().string(), "status"}, ws.root());
  EXPECT_EQ(unknown.exit_code, 12);
  auto kv = run_migrate({"--dir", ws.migrations().string(), "--output", "json", "config"},
                        ws.root(), {"DATABASE_URL=host=db user=app password=s3cret dbname=app"});
  EXPECT_EQ(kv.exit_code, 0);
  EXPECT_EQ(kv.out.find("s3cret"), std::string::npos) << kv.out;
  EXPECT_NE(kv.out.find("password=****"), std::string::npos);
}

TEST_F(CliTest, SettingsPrecedenceIsFlagThenEnvThenTomlThenDefault) {
  std::ofstream(ws.root() / "migrate.toml")
      << "database_url = \"sqlite:from_toml.db\"\nhistory_table = \"toml_history\"\n"
         "[sqlite]\nforeign_keys = \"enforce\"\n";
  auto value_of = [](const json& j, const std::string& name) {
    for (const auto& s : j["settings"])
      if (s["name"] == name)
        return s["value"].get<std::string>() + " <- " + s["source"].get<std::string>();
    return std::string("?");
  };
  json toml_only = parse(run_migrate({"--output", "json", "config"}, ws.root()));
  EXPECT_EQ(value_of(toml_only, "database_url"), "sqlite:from_toml.db <- migrate.toml");
  EXPECT_EQ(value_of(toml_only, "sqlite.foreign_keys"), "enforce <- migrate.toml");
  EXPECT_EQ(value_of(toml_only, "dir"), "migrations <- default");
  json env = parse(
      run_migrate({"--output", "json", "config"}, ws.root(),
                  {"DATABASE_URL=sqlite:generic.db", "MIGRATE_DATABASE_URL=sqlite:specific.db"}));
  EXPECT_EQ(value_of(env, "database_url"), "sqlite:specific.db <- env MIGRATE_DATABASE_URL");
  json generic = parse(
      run_migrate({"--output", "json", "config"}, ws.root(), {"DATABASE_URL=sqlite:generic.db"}));
  EXPECT_EQ(value_of(generic, "database_url"), "sqlite:generic.db <- env DATABASE_URL");
  json flag = parse(run_migrate({"--db", "sqlite:flag.db", "--output", "json", "config"}, ws.root(),
                                {"MIGRATE_DATABASE_URL=sqlite:specific.db"}));
  EXPECT_EQ(value_of(flag, "database_url"), "sqlite:flag.db <- flag --db");
  EXPECT_EQ(value_of(toml_only, "queue_avoidance"), "on <- default");
  json off = parse(run_migrate({"--no-queue-avoidance", "--output", "json", "config"}, ws.root(),
                               {"MIGRATE_QUEUE_AVOIDANCE=on"}));
  EXPECT_EQ(value_of(off, "queue_avoidance"), "off <- flag --no-queue-avoidance");
}

TEST_F(CliTest, BadConfigurationAndUsageExitTwo) {
  std::ofstream(ws.root() / "migrate.toml") << "databse_url = \"sqlite:x.db\"\n";
  auto typo = run_migrate({"status"}, ws.root());
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("unknown key 'databse_url'"), std::string::npos);
  std::filesystem::remove(ws.root() / "migrate.toml");
  EXPECT_EQ(run_migrate({"--config", "missing.toml", "status"}, ws.root()).exit_code, 2);
  EXPECT_EQ(migrate({"frobnicate"}).exit_code, 2);
  // A bare rollback reverts the newest migration (here: nothing is applied, nothing to do).
  EXPECT_EQ(migrate({"rollback", "--target", "1", "--steps", "1", "--yes"}).exit_code, 2);
  EXPECT_EQ(migrate({"status", "--output", "yaml"}).exit_code, 2);
  EXPECT_EQ(migrate({"--lock-timeout", "5", "status"}).exit_code, 2);
  EXPECT_EQ(migrate({"--lock-wait", "soon", "status"}).exit_code, 2);
  EXPECT_EQ(migrate({"--lock-retries", "-1", "status"}).exit_code, 2);
  EXPECT_EQ(run_migrate({"--db", ws.database_url(), "status"}, ws.root(),
                        {"MIGRATE_QUEUE_AVOIDANCE=sometimes"})
                .exit_code,
            2);
  // The flag is the off switch, in front of or after the command.
  EXPECT_EQ(migrate({"--no-queue-avoidance", "status"}).exit_code, 0);
  EXPECT_EQ(migrate({"status", "--no-queue-avoidance"}).exit_code, 0);
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  // TARGET_NOT_FOUND has its own exit code: a script can tell it from a mistyped command line.
  auto target = migrate({"apply", "--target", "V9", "--output", "json"});
  EXPECT_EQ(target.exit_code, 24);
  EXPECT_EQ(parse(target)["error"]["code"], "TARGET_NOT_FOUND");
  EXPECT_EQ(parse(target)["exit_code"], 24);
  EXPECT_EQ(run_migrate({"--dir", ws.migrations().string(), "status"}, ws.root()).exit_code,
            2);  // no database
}

TEST_F(CliTest, UsageAndConfigurationErrorsAreJsonWhenJsonWasAskedFor) {
  auto parse_error = migrate({"apply", "--no-such-flag", "--output", "json"});
  EXPECT_EQ(parse_error.exit_code, 2);
  EXPECT_EQ(parse(parse_error)["error"]["code"], "USAGE");
  EXPECT_EQ(parse(parse_error)["error"]["message"],
            "unknown option '--no-such-flag' for `migrate apply`");
  EXPECT_NE(parse(parse_error)["error"]["hint"].get<std::string>().find("--allow-unsafe"),
            std::string::npos);
  auto via_env = run_migrate({"frobnicate"}, ws.root(), {"MIGRATE_OUTPUT=json"});
  EXPECT_EQ(via_env.exit_code, 2);
  EXPECT_EQ(parse(via_env)["ok"], false);
  std::ofstream(ws.root() / "migrate.toml") << "lock_timeout = 1.5\n";
  auto typed = run_migrate({"status"}, ws.root(), {"MIGRATE_OUTPUT=json"});
  EXPECT_EQ(typed.exit_code, 2);
  EXPECT_NE(
      parse(typed)["error"]["message"].get<std::string>().find("'lock_timeout' must be a string"),
      std::string::npos);
}

TEST_F(CliTest, AFailedRollbackStepIsReportedAsADownStepWithItsName) {
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ws.write_migration("V1__a.down.sql", "DROP TABLE a;\nDROP TABLE nope;\n");
  ASSERT_EQ(migrate({"apply"}).exit_code, 0);
  auto r = migrate({"rollback", "--target", "0", "--yes", "--output", "json"});
  EXPECT_EQ(r.exit_code, 4);
  json j = parse(r);
  ASSERT_EQ(j["steps"].size(), 1u);
  EXPECT_EQ(j["steps"][0]["name"], "a");
  EXPECT_EQ(j["steps"][0]["direction"], "down");
  EXPECT_EQ(j["steps"][0]["success"], false);
  EXPECT_EQ(j["steps"][0]["statements_run"], 1);
  EXPECT_EQ(j["error"]["statement"], 2);
}

TEST_F(CliTest, NewCreatesTheNextVersionPaddedLikeTheRest) {
  ws.copy_migrations_from(kDemo);
  auto r = migrate({"new", "add_due_dates", "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = parse(r);
  EXPECT_NE(j["files"]["up"].get<std::string>().find("V020__add_due_dates.up.sql"),
            std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(ws.migrations() / "V020__add_due_dates.down.sql"));
  EXPECT_EQ(migrate({"validate"}).exit_code, 0);
  EXPECT_EQ(migrate({"new", "bad name"}).exit_code, 2);
}

TEST_F(CliTest, AnOptionAfterACommandThatTheCommandDoesNotTakeIsAUsageErrorNotIgnored) {
  ws.copy_migrations_from(kDemo);
  ASSERT_EQ(migrate({"apply", "--target", "3"}).exit_code, 0);
  // --version after a command printed the version and exited 0 having done nothing: a script
  // that meant --target would believe the rollback happened.
  auto version = migrate({"rollback", "--version", "99", "--yes"});
  EXPECT_EQ(version.exit_code, 2) << version.out << version.err;
  EXPECT_EQ(version.out.find("migrate 0."), std::string::npos) << version.out;
  EXPECT_NE(version.err.find("error[USAGE]: '--version' is not an option of `migrate rollback`"),
            std::string::npos)
      << version.err;
  EXPECT_NE(version.err.find("--target, --steps, --only, --allow-out-of-order, --yes"),
            std::string::npos)
      << version.err;
  EXPECT_NE(version.err.find("`migrate rollback --help`"), std::string::npos) << version.err;

  auto unknown = migrate({"rollback", "--verison", "2", "--yes"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown option '--verison' for `migrate rollback`"),
            std::string::npos)
      << unknown.err;
  auto stray = migrate({"status", "--target", "3"});
  EXPECT_EQ(stray.exit_code, 2);
  EXPECT_NE(stray.err.find("unknown option '--target' for `migrate status`"), std::string::npos)
      << stray.err;
  auto argument = migrate({"status", "now"});
  EXPECT_EQ(argument.exit_code, 2);
  EXPECT_NE(argument.err.find("unexpected argument 'now' for `migrate status`"), std::string::npos)
      << argument.err;
  EXPECT_NE(migrate({"status"}).out.find("3 applied"), std::string::npos) << "nothing reverted";

  auto command = migrate({"frobnicate"});
  EXPECT_EQ(command.exit_code, 2);
  EXPECT_NE(command.err.find("unknown command 'frobnicate'"), std::string::npos) << command.err;
  EXPECT_NE(command.err.find(
                "plan, apply, status, rollback, resolve, baseline, ensure, calibrate, validate, "
                "verify, check-rollback, new, config, lint, rules"),
            std::string::npos)
      << command.err;
  auto none = run_migrate({}, ws.root());
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no command given"), std::string::npos) << none.err;
  auto json_command = run_migrate({"frobnicate", "--output", "json"}, ws.root());
  EXPECT_EQ(json_command.exit_code, 2);
  EXPECT_EQ(parse(json_command)["error"]["message"], "unknown command 'frobnicate'");
  EXPECT_EQ(parse(json_command)["command"], "");

  auto alone = run_migrate({"--version"}, ws.root());
  EXPECT_EQ(alone.exit_code, 0) << alone.err;
  EXPECT_EQ(alone.out, "migrate 0.1.0\n");
}

TEST_F(CliTest, AMissingDatabaseUrlSaysHowToUseThePgEnvironmentVariablesWhenTheyAreSet) {
  // PGHOST and the like are set in the child only when the test says so.
  auto without_pg = [] {
    for (const char* name : {"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD",
                             "PGPASSFILE", "PGSERVICE", "PGSSLMODE"})
      unsetenv(name);
  };
  auto plain =
      run_migrate({"--dir", ws.migrations().string(), "status"}, ws.root(), {}, without_pg);
  EXPECT_EQ(plain.exit_code, 2);
  EXPECT_NE(plain.err.find("no database URL given"), std::string::npos) << plain.err;
  EXPECT_NE(plain.err.find("--db sqlite:app.db"), std::string::npos) << plain.err;
  EXPECT_EQ(plain.err.find("PGHOST"), std::string::npos) << plain.err;

  auto with_pg =
      run_migrate({"--dir", ws.migrations().string(), "--output", "json", "status"}, ws.root(),
                  {"PGHOST=db.internal", "PGDATABASE=app"}, [] {
                    for (const char* name : {"PGHOSTADDR", "PGPORT", "PGUSER", "PGPASSWORD",
                                             "PGPASSFILE", "PGSERVICE", "PGSSLMODE"})
                      unsetenv(name);
                  });
  EXPECT_EQ(with_pg.exit_code, 2);
  const std::string hint = parse(with_pg)["error"]["hint"].get<std::string>();
  EXPECT_NE(hint.find("PGHOST, PGDATABASE are set"), std::string::npos) << hint;
  EXPECT_NE(hint.find("--db postgresql://"), std::string::npos) << hint;
  EXPECT_NE(hint.find("postgresql:///DBNAME"), std::string::npos) << hint;
}

TEST_F(CliTest, EveryOptionOfEveryCommandIsDocumentedInCliMd) {
  // Read from `--help`, the CLI11 App itself, so a new option cannot go undocumented.
  std::ifstream in(std::filesystem::path(MIGRATE_SOURCE_DIR) / "docs/cli.md");
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(doc.empty());
  // The text of docs/cli.md from `heading` to the next heading of the same level.
  auto section = [&](const std::string& heading) {
    auto at = doc.find("\n" + heading + "\n");
    if (at == std::string::npos) return std::string();
    auto end = doc.find("\n## ", at + heading.size() + 2);
    return doc.substr(at, end == std::string::npos ? std::string::npos : end - at);
  };
  // "--target" as a whole option name: not followed by more of a name (--target-x).
  auto mentions = [](const std::string& text, const std::string& option) {
    for (auto at = text.find(option); at != std::string::npos; at = text.find(option, at + 1)) {
      char next = at + option.size() < text.size() ? text[at + option.size()] : ' ';
      if (!std::isalnum(static_cast<unsigned char>(next)) && next != '-') return true;
    }
    return false;
  };
  // The long option names in the "Options:" part of a --help text, and the commands in its
  // "Subcommands:" part.
  auto read_help = [](const std::string& help, std::vector<std::string>& options,
                      std::vector<std::string>& commands) {
    std::istringstream lines(help);
    std::string line, part;
    while (std::getline(lines, line)) {
      if (!line.empty() && line[0] != ' ') {
        part = line;
        continue;
      }
      std::istringstream words(line);
      std::string first;
      if (!(words >> first)) continue;
      if (part.starts_with("Options") && first.starts_with("-")) {
        std::istringstream names(first);
        std::string name;
        while (std::getline(names, name, ','))
          if (name.starts_with("--")) options.push_back(name);
      } else if (part.starts_with("Subcommands")) {
        commands.push_back(first);
      }
    }
  };
  auto top = run_migrate({"--help"}, ws.root());
  ASSERT_EQ(top.exit_code, 0);
  std::vector<std::string> global_options, commands;
  read_help(top.out, global_options, commands);
  ASSERT_GE(global_options.size(), 10u) << top.out;
  ASSERT_EQ(commands.size(), 15u) << top.out;
  const std::string globals = section("## Global options");
  for (const auto& o : global_options)
    EXPECT_TRUE(mentions(globals, "`" + o)) << o << " is not in docs/cli.md's Global options";
  const std::string command_list = doc.substr(0, doc.find("\n## "));
  for (const auto& c : commands) {
    EXPECT_NE(command_list.find("[`" + c + "`](#" + c + ")"), std::string::npos)
        << c << " is not in docs/cli.md's list of commands";
    const std::string text = section("## " + c);
    ASSERT_FALSE(text.empty()) << "docs/cli.md has no section ## " << c;
    auto help = run_migrate({c, "--help"}, ws.root());
    ASSERT_EQ(help.exit_code, 0) << c;
    std::vector<std::string> options, none;
    read_help(help.out, options, none);
    for (const auto& o : options) {
      if (o == "--help") continue;  // one entry for every command, in Global options
      EXPECT_TRUE(mentions(text, o))
          << "migrate " << c << " " << o << " is not in docs/cli.md's section ## " << c;
    }
  }
}

TEST_F(CliTest, HelpListsEveryCommandAndRollbackExplainsTheTargetRule) {
  auto help = run_migrate({"--help"}, ws.root());
  EXPECT_EQ(help.exit_code, 0);
  for (const char* cmd : {"plan", "apply", "status", "rollback", "validate", "new", "config"})
    EXPECT_NE(help.out.find(cmd), std::string::npos) << cmd;
  auto rb = run_migrate({"rollback", "--help"}, ws.root());
  EXPECT_NE(rb.out.find("keeps V applied"), std::string::npos);
}

// plan and validate gate CI: they exit with the code apply would, after their own output, and
// the JSON carries the plan and the error.
TEST_F(CliTest, PlanAndValidateExitWithTheCodeApplyWouldRefuseWith) {
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ws.write_migration("V2__b.up.sql",
                     "-- migrate:allow sqlite-drop-column\nCREATE TABLE b (id INTEGER);\n");
  auto plan = migrate({"plan"});
  EXPECT_EQ(plan.exit_code, 16) << plan.err;
  EXPECT_NE(plan.out.find("apply  2 b"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("[suppression-without-reason]"), std::string::npos);
  EXPECT_NE(plan.out.find("The run would be refused before anything runs:"), std::string::npos);
  EXPECT_NE(plan.err.find("error[UNSAFE_MIGRATION]: "), std::string::npos) << plan.err;
  EXPECT_NE(plan.err.find("V2__b.up.sql:1:1: [suppression-without-reason]"), std::string::npos);

  json j = parse(migrate({"plan", "--output", "json"}));
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["exit_code"], 16);
  EXPECT_EQ(j["error"]["code"], "UNSAFE_MIGRATION");
  ASSERT_EQ(j["plan"]["steps"].size(), 2u);
  EXPECT_EQ(j["plan"]["steps"][1]["analysis"]["findings"][0]["rule"], "suppression-without-reason");
  EXPECT_EQ(migrate({"apply", "--dry-run"}).exit_code, 16);

  auto validate = migrate({"validate"});
  EXPECT_EQ(validate.exit_code, 16);
  EXPECT_NE(validate.out.find("0 applied, 2 pending"), std::string::npos) << validate.out;
  EXPECT_NE(validate.out.find("Not valid: apply would refuse"), std::string::npos);
  EXPECT_EQ(validate.out.find("apply would not refuse"), std::string::npos);
  EXPECT_NE(validate.err.find("error[UNSAFE_MIGRATION]"), std::string::npos);
  json v = parse(migrate({"validate", "--output", "json"}));
  EXPECT_EQ(v["exit_code"], 16);
  EXPECT_EQ(v["error"]["code"], "UNSAFE_MIGRATION");
  EXPECT_EQ(v["migrations"].size(), 2u);

  auto apply = migrate({"apply"});
  EXPECT_EQ(apply.exit_code, 16);
  EXPECT_EQ(apply.err.substr(0, apply.err.find('\n')), plan.err.substr(0, plan.err.find('\n')));
  EXPECT_FALSE(std::filesystem::exists(ws.database()) &&
               !query_sqlite(ws.database(), "SELECT name FROM sqlite_master").empty());

  // The same flag as apply's lets all three through.
  EXPECT_EQ(migrate({"plan", "--allow-unsafe"}).exit_code, 0);
  EXPECT_EQ(migrate({"validate", "--allow-unsafe"}).exit_code, 0);
  EXPECT_EQ(migrate({"apply", "--allow-unsafe"}).exit_code, 0);
  EXPECT_EQ(migrate({"validate"}).exit_code, 0);  // nothing pending any more
}

TEST_F(CliTest, TransactionControlExitsThreeBeforeAnythingRunsWithItsPosition) {
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ws.write_migration("V2__b.up.sql", "CREATE TABLE b (id INTEGER);\n  COMMIT;\n");
  for (const char* command : {"plan", "validate", "apply"}) {
    auto r = migrate({command});
    EXPECT_EQ(r.exit_code, 3) << command << "\n" << r.err;
    EXPECT_NE(r.err.find("error[SOURCE_INVALID]: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("V2__b.up.sql:2:3: version 2, statement 2: COMMIT;"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("-- migrate:transaction off"), std::string::npos);
  }
  EXPECT_TRUE(query_sqlite(ws.database(), "SELECT name FROM sqlite_master").empty())
      << "nothing applied, no history table";
}

TEST_F(CliTest, ASqliteSyntaxErrorExitsThreeBeforeAnythingRuns) {
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  ws.write_migration("V2__b.up.sql", "CREATE TABLE b (id INTEGER,);\n");
  for (const char* command : {"plan", "validate", "apply"}) {
    auto r = migrate({command, "--output", "json"});
    EXPECT_EQ(r.exit_code, 3) << command;
    json j = parse(r);
    EXPECT_EQ(j["error"]["code"], "SOURCE_INVALID");
    EXPECT_EQ(j["error"]["version"], "2");
    EXPECT_EQ(j["error"]["line"], 1);
    EXPECT_EQ(j["error"]["column"], 28);
    EXPECT_NE(j["error"]["message"].get<std::string>().find("near \")\": syntax error"),
              std::string::npos);
  }
  EXPECT_TRUE(query_sqlite(ws.database(), "SELECT name FROM sqlite_master").empty());
}

// The rollback plan shows each down file's findings, in text and JSON.
TEST_F(CliTest, RollbackDryRunShowsWhatEachDownFileLoses) {
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id INTEGER, note TEXT);\n");
  ws.write_migration("V1__a.down.sql", "DROP TABLE a;\n");
  ws.write_migration("V2__b.up.sql", "ALTER TABLE a ADD COLUMN extra TEXT;\n");
  ws.write_migration("V2__b.down.sql", "ALTER TABLE a DROP COLUMN extra;\n");
  ASSERT_EQ(migrate({"apply"}).exit_code, 0);
  auto text = migrate({"rollback", "--target", "0", "--dry-run"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("V2__b.down.sql:1:1: warning [rollback-data-loss] rolling back version "
                          "2 drops column a.extra and deletes its data"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("V1__a.down.sql:1:1: warning [rollback-data-loss] rolling back version "
                          "1 drops table a"),
            std::string::npos);
  json j = parse(migrate({"rollback", "--target", "0", "--dry-run", "--output", "json"}));
  ASSERT_EQ(j["plan"]["steps"].size(), 2u);
  const json& a = j["plan"]["steps"][0]["analysis"];
  EXPECT_EQ(a["class"], "breaking");
  int data_loss = 0;
  for (const auto& f : a["findings"]) {
    if (f["rule"] != "rollback-data-loss") continue;
    ++data_loss;
    EXPECT_EQ(f["severity"], "warning");
    EXPECT_EQ(f["line"], 1);
    EXPECT_NE(f["file"].get<std::string>().find("V2__b.down.sql"), std::string::npos);
  }
  EXPECT_EQ(data_loss, 1) << a.dump(2);
  EXPECT_EQ(migrate({"rollback", "--target", "0", "--yes"}).exit_code, 0);
}

}  // namespace
}  // namespace migrate
