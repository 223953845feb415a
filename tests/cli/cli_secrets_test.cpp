// Database URLs libpq cannot parse: libpq quotes them, or pieces of their password, in its error
// text; the CLI must print none of it, in text or JSON, and exit CONNECTION_FAILED every time.
// None of these URLs reaches a server (libpq refuses them before connecting).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using nlohmann::json;
using testing::run_migrate;
using testing::TestWorkspace;

struct MalformedUrl {
  std::string url;
  std::vector<std::string> secrets;  // no piece of the password may show
};

void PrintTo(const MalformedUrl& c, std::ostream* os) {
  *os << c.url;
}

class CliSecrets : public ::testing::TestWithParam<MalformedUrl> {
 protected:
  void SetUp() override { ws.write_migration("V1__a.up.sql", "CREATE TABLE a (id int);\n"); }
  TestWorkspace ws;
};

TEST_P(CliSecrets, NoCommandPrintsThePassword) {
  const auto& c = GetParam();
  for (const char* command : {"status", "plan", "apply", "validate"}) {
    for (const char* output : {"text", "json"}) {
      auto r = run_migrate({"--db", c.url, "--dir", ws.migrations().string(), "--output", output,
                            "--log-level", "debug", command},
                           ws.root());
      SCOPED_TRACE(std::string(command) + " --output " + output);
      EXPECT_EQ(r.exit_code, 11) << r.out << r.err;
      for (const auto& secret : c.secrets) {
        EXPECT_EQ(r.out.find(secret), std::string::npos) << r.out;
        EXPECT_EQ(r.err.find(secret), std::string::npos) << r.err;
      }
      if (std::string(output) == "json") {
        json j = json::parse(r.out, nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << r.out;
        EXPECT_EQ(j["error"]["code"], "CONNECTION_FAILED") << r.out;
      } else {
        EXPECT_NE(r.err.find("CONNECTION_FAILED"), std::string::npos) << r.err;
      }
    }
  }
  auto config = run_migrate({"--db", c.url, "--output", "json", "config"}, ws.root());
  EXPECT_EQ(config.exit_code, 0) << config.err;
  for (const auto& secret : c.secrets) EXPECT_EQ(config.out.find(secret), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    LibpqRefuses, CliSecrets,
    ::testing::Values(
        // libpq: end of string reached when looking for matching "]" ... in URI: "<the URI>"
        MalformedUrl{"postgres://u:SECRETPW@[::1/db", {"SECRETPW"}},
        // libpq: unexpected character ... in URI: "<the URI>"
        MalformedUrl{"postgres://u:SECRETPW@[::1]x/db", {"SECRETPW"}},
        // libpq: invalid percent-encoded token: "<the password>"
        MalformedUrl{"postgres://u:SECRETPW%zz@localhost/db", {"SECRETPW"}},
        // libpq sees host "u" and port "SECRET" (the '/' ends its userinfo look-ahead)
        MalformedUrl{"postgres://u:SECRET/PW@localhost/db", {"SECRET"}},
        // libpq: missing key/value separator "=" in URI query parameter: "RETPW"
        MalformedUrl{"postgres://localhost/db?password=SEC&RETPW", {"SEC&RETPW", "RETPW"}},
        // libpq: missing "=" after "WORDS" in connection info string
        MalformedUrl{"host=localhost password=SECRET WORDS", {"SECRET", "WORDS"}},
        // libpq: unterminated quoted string in connection info string
        MalformedUrl{"host=localhost password='SECRET", {"SECRET"}}));

}  // namespace
}  // namespace migrate
