// `migrate new --recipe` through the real binary (docs/two-phase.md): the files it writes, their
// versions and directives, quoting, and the usage errors that write nothing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "migrate/source.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::CommandResult;
using testing::run_migrate;
using testing::TestWorkspace;

// `migrate new --recipe`: run without a database (recipes write PostgreSQL SQL).
CommandResult new_recipe(const TestWorkspace& ws, std::vector<std::string> args,
                         const std::vector<std::string>& before = {}) {
  std::vector<std::string> full = before;
  for (const auto& a : std::vector<std::string>{"--dir", ws.migrations().string(), "new"})
    full.push_back(a);
  full.insert(full.end(), args.begin(), args.end());
  return run_migrate(full, ws.root());
}

TEST(CliRecipe, NewRecipeWritesTheExpandAndTheContractAfterTheHighestVersion) {
  TestWorkspace ws;
  ws.write_migration("V009__users.up.sql",
                     "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n");
  auto r = new_recipe(ws, {"--recipe", "rename-column", "--table", "users", "--column", "name",
                           "--to", "full_name", "--type", "text", "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["recipe"], "rename-column");
  const std::string expand = j["files"]["expand"]["up"];
  const std::string contract = j["files"]["contract"]["up"];
  EXPECT_NE(expand.find("V010__rename_users_name_to_full_name_expand.up.sql"), std::string::npos);
  EXPECT_NE(contract.find("V011__rename_users_name_to_full_name_contract.up.sql"),
            std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(j["files"]["contract"]["down"].get<std::string>()));
  auto set = load_directory(ws.migrations());
  ASSERT_TRUE(set) << set.error().describe();
  const Migration* c = set->find(*Version::parse("11"));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->directives.phase, Phase::kContract);
  EXPECT_EQ(c->directives.completes->str(), "10");
  EXPECT_EQ(set->find(*Version::parse("10"))->directives.phase, Phase::kExpand);
  EXPECT_TRUE(set->find(*Version::parse("10"))->directives.backfill.has_value());

  // A reserved word or a capital is quoted; the derived names stay within 63 bytes.
  auto quoted = new_recipe(ws, {"--recipe", "add-unique", "--table", "user", "--column", "E-Mail"});
  ASSERT_EQ(quoted.exit_code, 0) << quoted.err;
  set = load_directory(ws.migrations());
  ASSERT_TRUE(set);
  EXPECT_NE(set->find(*Version::parse("12"))->up.sql.find("ON \"user\" (\"E-Mail\")"),
            std::string::npos)
      << set->find(*Version::parse("12"))->up.sql;

  // drop-column without --type: the contract has no down file (irreversible), and says so.
  auto drop = new_recipe(ws, {"--recipe", "drop-column", "--table", "users", "--column", "name"});
  ASSERT_EQ(drop.exit_code, 0) << drop.err;
  EXPECT_NE(drop.out.find("no down file"), std::string::npos) << drop.out;
}

TEST(CliRecipe, BadRecipeOptionsAreUsageErrorsAndWriteNothing) {
  TestWorkspace ws;
  std::filesystem::create_directories(ws.migrations());
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases{
      {{"--recipe", "rename-everything", "--table", "t"}, "unknown recipe 'rename-everything'"},
      {{"--recipe", "rename-column", "--table", "t", "--column", "a", "--to", "b"}, "needs --type"},
      {{"--recipe", "change-column-type", "--table", "t", "--column", "a", "--type", "big int x"},
       "--type 'big int x' is not valid PostgreSQL"},
      {{"--recipe", "set-not-null", "--table", "t", "--column", "a\"b"}, "quote"},
      // Values are pasted into statements: a second statement or a comment is refused.
      {{"--recipe", "set-not-null", "--table", "t", "--column", "a", "--default",
        "0; DROP TABLE users"},
       "holds a `;`, a comment or `$migrate$`"},
      {{"--recipe", "rename-column", "--table", "t", "--column", "a", "--to", "b", "--type",
        "text -- x"},
       "holds a `;`, a comment or `$migrate$`"},
      {{"--recipe", "change-column-type", "--table", "t", "--column", "a", "--type", "int",
        "--using", "$migrate$ || NEW.a"},
       "holds a `;`, a comment or `$migrate$`"},
      {{"--recipe", "add-foreign-key", "--table", "t", "--column", "a", "--references", "u(id"},
       "--references"},
  };
  for (const auto& c : cases) {
    auto r = new_recipe(ws, c.args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  auto sqlite = new_recipe(ws, {"--recipe", "drop-column", "--table", "t", "--column", "a"},
                           {"--db", "sqlite:" + (ws.root() / "app.db").string()});
  EXPECT_EQ(sqlite.exit_code, 2);
  EXPECT_NE(sqlite.err.find("PostgreSQL"), std::string::npos) << sqlite.err;
  EXPECT_TRUE(std::filesystem::is_empty(ws.migrations()));
  auto bad_phase =
      run_migrate({"--dir", ws.migrations().string(), "--db",
                   "sqlite:" + (ws.root() / "app.db").string(), "apply", "--phase", "later"},
                  ws.root());
  EXPECT_EQ(bad_phase.exit_code, 2);
  EXPECT_NE(bad_phase.err.find("invalid --phase 'later'"), std::string::npos) << bad_phase.err;
}

}  // namespace
}  // namespace migrate
