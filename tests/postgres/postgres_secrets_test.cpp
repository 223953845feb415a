// A wrong password against the real test server: the server refuses it, and neither the CLI
// (text or JSON) nor the library (Error, log lines) repeats it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "migrate/database_url.hpp"
#include "migrate/migrator.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::PostgresTestDatabase;
using testing::run_migrate;
using testing::TestWorkspace;

struct Server {
  std::string host;
  std::string port;
  std::string user;
  std::string dbname;
};

// Where the test database really is, as libpq resolved it.
Server server_of(const PostgresTestDatabase& db) {
  pqxx::connection c(db.url());
  return {c.hostname() ? c.hostname() : "", c.port() ? c.port() : "",
          c.username() ? c.username() : "", db.name()};
}

struct WrongPassword {
  std::string url;
  std::vector<std::string> secrets;
};

std::vector<WrongPassword> wrong_passwords(const Server& s) {
  const std::string hostport = s.host + ":" + s.port;
  return {
      {"postgres://" + s.user + ":WRONGSECRETPW@" + hostport + "/" + s.dbname, {"WRONGSECRETPW"}},
      // Percent-encoded '@' and '/': libpq decodes them and sends "wr0ng@se/cret".
      {"postgresql://" + s.user + ":wr0ng%40se%2Fcret@" + hostport + "/" + s.dbname,
       {"wr0ng%40se%2Fcret", "wr0ng@se/cret"}},
      {"postgres://" + s.user + "@" + hostport + "/" + s.dbname + "?password=QUERYSECRET",
       {"QUERYSECRET"}},
      {"host=" + s.host + " port=" + s.port + " user=" + s.user + " dbname=" + s.dbname +
           " password='KV SECRET \\' PW'",
       {"KV SECRET", "SECRET ' PW", "SECRET \\' PW"}},
  };
}

TEST(PostgresSecrets, AWrongPasswordIsRefusedAndNeverRepeated) {
  MIGRATE_REQUIRE_POSTGRES(db);
  const Server server = server_of(*db);
  TestWorkspace ws;
  ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id int);\n");
  for (const auto& c : wrong_passwords(server)) {
    SCOPED_TRACE(redact_url(c.url));
    for (const char* output : {"text", "json"}) {
      auto r = run_migrate({"--db", c.url, "--dir", ws.migrations().string(), "--output", output,
                            "--log-level", "debug", "status"},
                           ws.root());
      ASSERT_EQ(r.exit_code, 11)
          << "the test server must ask for a password over TCP (pg_virtualenv's does)\n"
          << r.out << r.err;
      const std::string all = r.out + r.err;
      EXPECT_NE(all.find("password authentication failed"), std::string::npos) << all;
      for (const auto& secret : c.secrets) EXPECT_EQ(all.find(secret), std::string::npos) << all;
      if (std::string(output) == "json") {
        auto j = nlohmann::json::parse(r.out, nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << r.out;
        EXPECT_EQ(j["error"]["code"], "CONNECTION_FAILED");
      }
    }

    std::vector<std::string> logged;
    Options o = ws.options();
    o.database_url = c.url;
    o.log = [&](LogLevel, const std::string& m) { logged.push_back(m); };
    Migrator m(o);
    auto status = m.status();
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, ErrorCode::kConnectionFailed);
    RunReport run = m.apply(std::nullopt);
    ASSERT_TRUE(run.error);
    EXPECT_EQ(run.error->code, ErrorCode::kConnectionFailed);
    for (const auto& secret : c.secrets) {
      EXPECT_EQ(status.error().describe().find(secret), std::string::npos)
          << status.error().describe();
      EXPECT_EQ(run.error->describe().find(secret), std::string::npos) << run.error->describe();
      for (const auto& line : logged) EXPECT_EQ(line.find(secret), std::string::npos) << line;
    }
  }
}

}  // namespace
}  // namespace migrate
