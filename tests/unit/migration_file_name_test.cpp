// parse_migration_file_name: the name parser load_directory uses, which fuzz/ also drives.
#include <gtest/gtest.h>

#include <string>

#include "libmigrate/source/migration_file_name.hpp"

namespace migrate {
namespace {

TEST(ParseMigrationFileName, SplitsVersionNameAndDirection) {
  auto up = parse_migration_file_name("V012.03__add_user-email.up.sql");
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->version.str(), "12.3");
  EXPECT_EQ(up->version.original(), "012.03");
  EXPECT_EQ(up->name, "add_user-email");
  EXPECT_EQ(up->role, MigrationFileRole::kUp);

  auto down = parse_migration_file_name("v7__drop.down.sql");
  ASSERT_TRUE(down.has_value());
  EXPECT_EQ(down->version.str(), "7");
  EXPECT_EQ(down->role, MigrationFileRole::kDown);

  auto verify = parse_migration_file_name("V12__orders.verify.sql");
  ASSERT_TRUE(verify.has_value());
  EXPECT_EQ(verify->name, "orders");
  EXPECT_EQ(verify->role, MigrationFileRole::kVerify);
}

TEST(ParseMigrationFileName, RefusesWhatIsNotAMigrationFileName) {
  for (const char* name :
       {"", "V1__x.sql", "V1_x.up.sql", "V__x.up.sql", "V1__.up.sql", "V1..2__x.up.sql",
        "V1.__x.up.sql", "V1__x.UP.sql", "V1__x.up.sql.bak", "1__x.up.sql", "V1__a b.up.sql",
        "dir/V1__x.up.sql", "V1__x.up.sql\n", "V1__x.verify.sql.bak", "V1__x.check.sql"}) {
    EXPECT_FALSE(parse_migration_file_name(name).has_value()) << "'" << name << "'";
  }
}

}  // namespace
}  // namespace migrate
