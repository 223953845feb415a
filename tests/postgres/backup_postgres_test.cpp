// `migrate apply --backup` on a real PostgreSQL: pg_dump gets the password through its
// environment, never its arguments; a pg_dump that fails or is missing refuses the run with
// BACKUP_FAILED (exit 31), its error output in the message, nothing applied, no file left.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using nlohmann::json;
using testing::PostgresTestDatabase;
using testing::run_migrate;
using testing::TestWorkspace;

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A URI with every byte of the user and password percent-encoded but letters and digits.
std::string encoded(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string fmt_url(const std::string& user, const std::string& password, const std::string& host,
                    const std::string& port, const std::string& db) {
  return "postgresql://" + encoded(user) + ":" + encoded(password) + "@" + encoded(host) + ":" +
         port + "/" + encoded(db);
}

class BackupPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws.write_migration("V1__items.up.sql",
                       "CREATE TABLE items (id bigint PRIMARY KEY, label text NOT NULL);\n"
                       "INSERT INTO items VALUES (1, 'one'), (2, 'two');\n");
    ws.write_migration("V1__items.down.sql", "DROP TABLE items;\n");
    ws.write_migration("V2__tags.up.sql", "CREATE TABLE tags (id bigint PRIMARY KEY);\n");
    ws.write_migration("V2__tags.down.sql", "DROP TABLE tags;\n");
  }
  std::filesystem::path script(const std::string& name, const std::string& body) {
    auto p = ws.root() / name;
    std::ofstream(p) << "#!/bin/sh\n" << body;
    chmod(p.c_str(), 0755);
    return p;
  }
  std::size_t files_in(const std::filesystem::path& dir) {
    if (!std::filesystem::exists(dir)) return 0;
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir),
                                                  std::filesystem::directory_iterator{}));
  }
  TestWorkspace ws;
};

TEST_F(BackupPostgresTest, AFailingPgDumpRefusesTheRunWithItsErrorAndLeavesNothing) {
  MIGRATE_REQUIRE_POSTGRES(db);
  // It writes part of the file first, as a pg_dump that runs out of disk does.
  const auto dump = script("failing_pg_dump",
                           "for a in \"$@\"; do case \"$a\" in --file=*) echo partial > "
                           "\"${a#--file=}\";; esac; done\n"
                           "echo 'pg_dump: error: simulated disk full' >&2\nexit 1\n");
  const auto dir = ws.root() / "backups";
  auto r = run_migrate({"--db", db->url(), "--dir", ws.migrations().string(), "apply", "--backup",
                        dir.string(), "--pg-dump", dump.string()},
                       ws.root());
  EXPECT_EQ(r.exit_code, 31) << r.err;
  EXPECT_NE(r.err.find("error[BACKUP_FAILED]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("simulated disk full"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("exited with status 1"), std::string::npos) << r.err;
  EXPECT_EQ(files_in(dir), 0u);
  EXPECT_EQ(db->query("SELECT count(*) FROM pg_tables WHERE tablename IN ('items', "
                      "'migrate_history')"),
            std::vector<std::string>{"0"});

  auto missing = run_migrate(
      {"--db", db->url(), "--dir", ws.migrations().string(), "--output", "json", "apply",
       "--backup", dir.string(), "--pg-dump", (ws.root() / "no-such-pg_dump").string()},
      ws.root());
  EXPECT_EQ(missing.exit_code, 31) << missing.err;
  json j = json::parse(missing.out);
  EXPECT_EQ(j["error"]["code"], "BACKUP_FAILED");
  EXPECT_EQ(files_in(dir), 0u);
  EXPECT_EQ(db->query("SELECT count(*) FROM pg_tables WHERE tablename = 'items'"),
            std::vector<std::string>{"0"});
}

// The password of the URL reaches pg_dump through PGPASSWORD, never through its arguments: a
// wrapper records both and runs the real pg_dump.
TEST_F(BackupPostgresTest, ThePasswordReachesPgDumpThroughItsEnvironmentOnly) {
  MIGRATE_REQUIRE_POSTGRES(db);
  const char* password = std::getenv("PGPASSWORD");
  if (!password || !*password) GTEST_SKIP() << "the test server needs no password";
  pqxx::connection c(db->url());
  const std::string url = fmt_url(c.username(), password, c.hostname() ? c.hostname() : "",
                                  c.port() ? c.port() : "", db->name());
  const auto seen = ws.root() / "seen";
  const auto dump = script("recording_pg_dump", "echo \"ARGS $*\" > " + seen.string() +
                                                    "\necho \"ENV $PGPASSWORD\" >> " +
                                                    seen.string() + "\nexec pg_dump \"$@\"\n");
  const auto dir = ws.root() / "backups";
  auto r = run_migrate({"--db", url, "--dir", ws.migrations().string(), "apply", "--backup",
                        dir.string(), "--pg-dump", dump.string()},
                       ws.root(), {"PGPASSWORD=not-the-password"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string recorded = read_text(seen);
  const auto args = recorded.substr(0, recorded.find('\n'));
  EXPECT_EQ(args.find(password), std::string::npos) << args;
  EXPECT_NE(args.find("--format=custom"), std::string::npos) << args;
  EXPECT_NE(recorded.find(std::string("ENV ") + password), std::string::npos);
  EXPECT_EQ(files_in(dir), 1u);
  EXPECT_EQ(r.out.find(password), std::string::npos);
}

}  // namespace
}  // namespace migrate
