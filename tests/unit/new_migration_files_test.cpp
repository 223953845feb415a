// migrate::create_migration_files (`migrate new`): the pair it writes after the highest version,
// and a write that fails (a full disk) reported as an error with no half of the pair left behind.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <fstream>

#include "migrate/source.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::TestWorkspace;

TEST(NewMigrationFiles, WritesThePairAfterTheHighestVersionKeepingItsWidth) {
  TestWorkspace ws;
  ws.write_migration("V009__users.up.sql", "CREATE TABLE users (id INTEGER);\n");
  auto files = create_migration_files(ws.migrations(), "add_email");
  ASSERT_TRUE(files) << files.error().describe();
  EXPECT_EQ(files->up.filename(), "V010__add_email.up.sql");
  EXPECT_EQ(files->down.filename(), "V010__add_email.down.sql");
  std::ifstream up(files->up);
  std::string first;
  std::getline(up, first);
  EXPECT_EQ(first, "-- migrate:class additive");
  EXPECT_TRUE(load_directory(ws.migrations()));
}

// A file size limit of 0 bytes (SIGXFSZ ignored, so each write fails with EFBIG) stands in for a
// full disk; the limit is this process's, lowered for the call and restored after it.
TEST(NewMigrationFiles, AWriteThatFailsIsAnErrorAndLeavesNoFileBehind) {
  TestWorkspace ws;
  std::filesystem::create_directories(ws.migrations());
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto* previous = std::signal(SIGXFSZ, SIG_IGN);
  rlimit none{0, saved.rlim_max};
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &none), 0);
  auto files = create_migration_files(ws.migrations(), "add_x");
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous);
  ASSERT_FALSE(files);
  EXPECT_EQ(files.error().code, ErrorCode::kUsage);
  EXPECT_NE(files.error().message.find("cannot write"), std::string::npos) << files.error().message;
  EXPECT_NE(files.error().message.find("V001__add_x.up.sql"), std::string::npos)
      << files.error().message;
  EXPECT_TRUE(std::filesystem::is_empty(ws.migrations()));
}

}  // namespace
}  // namespace migrate
