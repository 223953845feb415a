// The CLI's PostgreSQL module (docs/cli.md#start-up-and-the-postgresql-module): a command on
// SQLite never loads libpq, a PostgreSQL URL loads the module, and a binary without its module
// refuses PostgreSQL URLs with a named error while SQLite still works.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::CommandResult;
using testing::MigrateProcess;
using testing::TestWorkspace;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Nothing listens on port 1: a loaded module fails to connect, quickly.
const std::string kUnreachable = "postgresql://migrate@127.0.0.1:1/app?connect_timeout=5";

class PostgresModuleTest : public ::testing::Test {
 protected:
  PostgresModuleTest() {
    ws.write_migration("V1__create.up.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);\n");
  }
  CommandResult run(const std::filesystem::path& binary, const std::string& url,
                    const std::vector<std::string>& args,
                    const std::vector<std::string>& env = {}) {
    std::vector<std::string> full{"--db",        url,   "--dir", ws.migrations().string(),
                                  "--log-level", "warn"};
    full.insert(full.end(), args.begin(), args.end());
    MigrateProcess process(binary, full, ws.root(), env);
    return process.result();
  }
  TestWorkspace ws;
};

TEST_F(PostgresModuleTest, SqliteCommandsNeverLoadLibpq) {
  // The dynamic loader lists every object it loads (LD_DEBUG=files, on stderr).
  const CommandResult r = run(MIGRATE_BINARY, ws.database_url(), {"apply"}, {"LD_DEBUG=files"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "libsqlite3.so")) << "LD_DEBUG printed no loading:\n" << r.err;
  EXPECT_FALSE(has(r.err, "libpq.so")) << r.err;
  EXPECT_FALSE(has(r.err, "migrate_postgres")) << r.err;
}

TEST_F(PostgresModuleTest, APostgresUrlLoadsTheModule) {
  const CommandResult r = run(MIGRATE_BINARY, kUnreachable, {"status"}, {"LD_DEBUG=files"});
  EXPECT_EQ(r.exit_code, 11) << r.err;  // CONNECTION_FAILED: the module tried to connect
  EXPECT_TRUE(has(r.err, "error[CONNECTION_FAILED]")) << r.err;
  EXPECT_TRUE(has(r.err, "migrate_postgres.so")) << r.err;
  EXPECT_TRUE(has(r.err, "libpq.so")) << r.err;
}

TEST_F(PostgresModuleTest, WithoutItsModuleTheBinaryRefusesPostgresAndStillRunsSqlite) {
  const std::filesystem::path alone = ws.root() / "bin" / "migrate";
  std::filesystem::create_directories(alone.parent_path());
  std::filesystem::copy_file(MIGRATE_BINARY, alone);
  std::filesystem::permissions(alone, std::filesystem::perms::owner_all);

  const CommandResult pg = run(alone, kUnreachable, {"status"});
  EXPECT_EQ(pg.exit_code, 12) << pg.err;  // UNSUPPORTED_DATABASE
  EXPECT_TRUE(has(pg.err,
                  "error[UNSUPPORTED_DATABASE]: this migrate cannot open PostgreSQL "
                  "databases"))
      << pg.err;
  // Where it looked, and what to do.
  EXPECT_TRUE(has(pg.err, (alone.parent_path() / "migrate_postgres.so").string() + ": not there"))
      << pg.err;
  EXPECT_TRUE(has(pg.err, "fix: install migrate again")) << pg.err;

  const CommandResult sqlite = run(alone, ws.database_url(), {"apply"});
  EXPECT_EQ(sqlite.exit_code, 0) << sqlite.err;
  EXPECT_TRUE(std::filesystem::exists(ws.database()));
}

TEST_F(PostgresModuleTest, AModuleThatIsNotOursIsNamedAsSuch) {
  const std::filesystem::path alone = ws.root() / "bin" / "migrate";
  std::filesystem::create_directories(alone.parent_path());
  std::filesystem::copy_file(MIGRATE_BINARY, alone);
  // A file of that name that is no shared object at all.
  {
    std::ofstream junk(alone.parent_path() / "migrate_postgres.so");
    junk << "not an ELF file";
  }
  const CommandResult r = run(alone, kUnreachable, {"status"});
  EXPECT_EQ(r.exit_code, 12) << r.err;
  EXPECT_TRUE(has(r.err, (alone.parent_path() / "migrate_postgres.so").string() + ": ")) << r.err;
  // dlopen's own reason, not "not there".
  EXPECT_FALSE(has(r.err, (alone.parent_path() / "migrate_postgres.so").string() + ": not there"))
      << r.err;
}

}  // namespace
}  // namespace migrate
