// What pg_dump is given for a backup (backup/database_backup.hpp): the URL without its password
// for --dbname, the password alone for PGPASSWORD, in every URL form libpq takes.
#include <gtest/gtest.h>

#include "libmigrate/backup/database_backup.hpp"
#include "libmigrate/error/failure.hpp"

namespace migrate {
namespace {

struct Case {
  std::string url;
  std::string dbname;
  std::optional<std::string> password;
};

TEST(PgDumpConnection, ThePasswordLeavesTheUrlInEveryForm) {
  const std::vector<Case> cases{
      {"postgresql://app@db.example.com/orders", "postgresql://app@db.example.com/orders",
       std::nullopt},
      {"postgresql://app:s3cret@db.example.com:5433/orders",
       "postgresql://app@db.example.com:5433/orders", "s3cret"},
      {"postgres://app:wr0ng%40se%2Fcret@h/d", "postgres://app@h/d", "wr0ng@se/cret"},
      {"postgres://app@h/d?password=QS&sslmode=require", "postgres://app@h/d?sslmode=require",
       "QS"},
      {"postgres://app@h/d?sslmode=require&password=QS", "postgres://app@h/d?sslmode=require",
       "QS"},
      {"postgres://app@h/d?password=QS", "postgres://app@h/d", "QS"},
      {"host=h dbname=d password=plain user=u", "host=h dbname=d  user=u", "plain"},
      {"host=h password='a \\' b' dbname=d", "host=h  dbname=d", "a ' b"},
      {"host=h dbname=d", "host=h dbname=d", std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    const PgDumpConnection got = pg_dump_connection(c.url);
    EXPECT_EQ(got.dbname, c.dbname);
    EXPECT_EQ(got.password, c.password);
    if (c.password) {
      EXPECT_EQ(got.dbname.find(*c.password), std::string::npos);
    }
  }
}

TEST(PgDumpConnection, ASecretPgDumpCouldOnlyTakeOnItsCommandLineIsRefused) {
  try {
    pg_dump_connection("host=h dbname=d sslpassword=keypass");
    FAIL() << "sslpassword was accepted";
  } catch (const Failure& f) {
    EXPECT_EQ(f.error().code, ErrorCode::kBackupFailed);
    EXPECT_EQ(f.error().message.find("keypass"), std::string::npos);
  }
}

}  // namespace
}  // namespace migrate
