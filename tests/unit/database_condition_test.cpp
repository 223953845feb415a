// Which database failures are named for the database's state (read-only, privilege, disk
// full) rather than reported as the statement's fault: one table for both engines.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cerrno>

#include "libmigrate/error/database_condition.hpp"

namespace migrate {
namespace {

TEST(DatabaseCondition, PostgresSqlstatesOfTheDatabasesStateAreNamed) {
  EXPECT_EQ(postgres_condition("25006")->code, ErrorCode::kReadOnlyDatabase);
  EXPECT_EQ(postgres_condition("42501")->code, ErrorCode::kPermissionDenied);
  ASSERT_TRUE(postgres_condition("53100"));
  EXPECT_EQ(postgres_condition("53100")->code, ErrorCode::kStorageFull);
  EXPECT_NE(postgres_condition("53100")->fix.find("free space"), std::string::npos);
  EXPECT_NE(postgres_condition("42501")->fix.find("GRANT"), std::string::npos);
  // The statement's own failures stay the statement's.
  for (const char* other : {"42P01", "42601", "23505", "55P03", "57014", "40001", ""})
    EXPECT_FALSE(postgres_condition(other)) << other;
}

TEST(DatabaseCondition, SqliteResultCodesOfTheDatabasesStateAreNamed) {
  for (int code : {SQLITE_READONLY, SQLITE_READONLY_DIRECTORY, SQLITE_READONLY_DBMOVED,
                   SQLITE_READONLY_RECOVERY})
    EXPECT_EQ(sqlite_condition(code)->code, ErrorCode::kReadOnlyDatabase) << code;
  EXPECT_NE(sqlite_condition(SQLITE_READONLY_DIRECTORY)->fix.find("directory"), std::string::npos);
  EXPECT_EQ(sqlite_condition(SQLITE_FULL)->code, ErrorCode::kStorageFull);
  EXPECT_NE(sqlite_condition(SQLITE_FULL)->fix.find("free space"), std::string::npos);
  // A write refused outright (full disk, quota, RLIMIT_FSIZE) is an I/O error with its errno.
  for (int e : {ENOSPC, EDQUOT, EFBIG})
    EXPECT_EQ(sqlite_condition(SQLITE_IOERR_WRITE, e)->code, ErrorCode::kStorageFull) << e;
  EXPECT_FALSE(sqlite_condition(SQLITE_IOERR_WRITE, EIO));
  for (int other : {SQLITE_ERROR, SQLITE_CONSTRAINT, SQLITE_CONSTRAINT_FOREIGNKEY, SQLITE_BUSY,
                    SQLITE_CORRUPT, SQLITE_IOERR})
    EXPECT_FALSE(sqlite_condition(other)) << other;
}

}  // namespace
}  // namespace migrate
