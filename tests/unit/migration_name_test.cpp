// load_directory: file names, pairing, stray files, duplicates and UTF-8 validation.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include "migrate/error.hpp"
#include "migrate/source.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using migrate::testing::TestWorkspace;

std::vector<std::string> versions_of(const MigrationSet& set) {
  std::vector<std::string> out;
  for (const auto& m : set.migrations) out.push_back(m.version.str());
  return out;
}

::testing::AssertionResult Mentions(const std::string& haystack, const std::string& needle) {
  if (haystack.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << needle << "' not found in:\n" << haystack;
}

TEST(LoadDirectory, ValidPairs) {
  TestWorkspace ws;
  ws.write_migration("V1__create_users.up.sql", "CREATE TABLE users(id INTEGER);\n");
  ws.write_migration("V1__create_users.down.sql", "DROP TABLE users;\n");
  ws.write_migration("V2__add-email.up.sql", "ALTER TABLE users ADD COLUMN email TEXT;\n");
  ws.write_migration("V2__add-email.down.sql", "ALTER TABLE users DROP COLUMN email;\n");

  auto set = load_directory(ws.migrations());
  ASSERT_TRUE(set.ok()) << set.error().describe();
  EXPECT_EQ(set->directory, ws.migrations());
  ASSERT_EQ(set->migrations.size(), 2u);

  const Migration& first = set->migrations[0];
  EXPECT_EQ(first.version.str(), "1");
  EXPECT_EQ(first.name, "create_users");
  EXPECT_EQ(first.up.path, ws.migrations() / "V1__create_users.up.sql");
  EXPECT_EQ(first.up.sql, "CREATE TABLE users(id INTEGER);\n");
  ASSERT_TRUE(first.down.has_value());
  EXPECT_EQ(first.down->path, ws.migrations() / "V1__create_users.down.sql");
  EXPECT_EQ(first.down->sql, "DROP TABLE users;\n");
  EXPECT_TRUE(first.reversible());
  EXPECT_EQ(first.up.checksum, checksum_v1("CREATE TABLE users(id INTEGER);\n"));
  EXPECT_EQ(first.down->checksum, checksum_v1("DROP TABLE users;\n"));

  const Migration& second = set->migrations[1];
  EXPECT_EQ(second.version.str(), "2");
  EXPECT_EQ(second.name, "add-email");
  EXPECT_TRUE(second.reversible());
}

TEST(LoadDirectory, EmptyDirectoryIsAnEmptySet) {
  TestWorkspace ws;
  auto set = load_directory(ws.migrations());
  ASSERT_TRUE(set.ok()) << set.error().describe();
  EXPECT_TRUE(set->migrations.empty());
}

TEST(LoadDirectory, MissingDirectoryIsSourceInvalid) {
  TestWorkspace ws;
  auto set = load_directory(ws.root() / "nope");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, ErrorCode::kSourceInvalid);
  EXPECT_TRUE(Mentions(set.error().message, (ws.root() / "nope").string()));
  EXPECT_TRUE(Mentions(set.error().message, "does not exist"));
}

TEST(LoadDirectory, LowercaseVAndDottedVersionsAreAccepted) {
  TestWorkspace ws;
  ws.write_migration("v3__lower.up.sql", "SELECT 3;\n");
  ws.write_migration("V1.2.10__dotted.up.sql", "SELECT 1;\n");
  ws.write_migration("V1.2.9__dotted_before.up.sql", "SELECT 1;\n");
  auto set = load_directory(ws.migrations());
  ASSERT_TRUE(set.ok()) << set.error().describe();
  EXPECT_EQ(versions_of(*set), (std::vector<std::string>{"1.2.9", "1.2.10", "3"}));
  EXPECT_EQ(set->migrations[2].name, "lower");
}

TEST(LoadDirectory, MissingDownMeansIrreversible) {
  TestWorkspace ws;
  ws.write_migration("V1__one_way.up.sql", "CREATE TABLE t(x);\n");
  auto set = load_directory(ws.migrations());
  ASSERT_TRUE(set.ok()) << set.error().describe();
  ASSERT_EQ(set->migrations.size(), 1u);
  EXPECT_FALSE(set->migrations[0].reversible());
  EXPECT_FALSE(set->migrations[0].down.has_value());
}

TEST(LoadDirectory, SortsVersionsNumerically) {
  TestWorkspace ws;
  ws.write_migration("V10__ten.up.sql", "SELECT 10;\n");
  ws.write_migration("V2__two.up.sql", "SELECT 2;\n");
  ws.write_migration("V1__one.up.sql", "SELECT 1;\n");
  ws.write_migration("V100__hundred.up.sql", "SELECT 100;\n");
  ws.write_migration("V009__nine.up.sql", "SELECT 9;\n");
  auto set = load_directory(ws.migrations());
  ASSERT_TRUE(set.ok()) << set.error().describe();
  EXPECT_EQ(versions_of(*set), (std::vector<std::string>{"1", "2", "9", "10", "100"}));
  EXPECT_EQ(set->migrations[2].version.original(), "009");
  EXPECT_EQ(set->migrations[2].name, "nine");
}

TEST(LoadDirectory, FindLooksUpByVersion) {
  TestWorkspace ws;
  ws.write_migration("V2__two.up.sql", "SELECT 2;\n");
  ws.write_migration("V10__ten.up.sql", "SELECT 10;\n");
  auto set = load_directory(ws.migrations());
  ASSERT_TRUE(set.ok()) << set.error().describe();
  const Migration* ten = set->find(*Version::parse("V010"));
  ASSERT_NE(ten, nullptr);
  EXPECT_EQ(ten->name, "ten");
  EXPECT_EQ(set->find(*Version::parse("3")), nullptr);
  EXPECT_EQ(set->find(*Version::parse("11")), nullptr);
}

TEST(LoadDirectory, DotFilesAreIgnored) {
  TestWorkspace ws;
  ws.write_migration("V1__one.up.sql", "SELECT 1;\n");
  ws.write_migration(".gitkeep", "");
  ws.write_migration(".DS_Store", "\xff\xfe binary junk");
  ws.write_migration(".V1__one.up.sql.swp", std::string("\x00\x01swap", 6));
  std::filesystem::create_directory(ws.migrations() / ".hidden_dir");
  auto set = load_directory(ws.migrations());
  ASSERT_TRUE(set.ok()) << set.error().describe();
  EXPECT_EQ(versions_of(*set), (std::vector<std::string>{"1"}));
}

class MalformedNameTest : public ::testing::TestWithParam<const char*> {};

TEST_P(MalformedNameTest, IsSourceInvalidAndNamesTheFile) {
  TestWorkspace ws;
  ws.write_migration("V1__good.up.sql", "SELECT 1;\n");
  ws.write_migration(GetParam(), "SELECT 2;\n");
  auto set = load_directory(ws.migrations());
  ASSERT_FALSE(set.ok()) << GetParam() << " was accepted";
  EXPECT_EQ(set.error().code, ErrorCode::kSourceInvalid);
  EXPECT_TRUE(Mentions(set.error().message, (ws.migrations() / GetParam()).string()));
  EXPECT_TRUE(Mentions(set.error().message, "1 problem(s)"));
  EXPECT_TRUE(Mentions(set.error().message, "not a migration file"));
  // A single problem: the error points at the file itself.
  EXPECT_EQ(set.error().where.file, (ws.migrations() / GetParam()).string());
  // The good file is not blamed.
  EXPECT_EQ(set.error().message.find("V1__good"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(LoadDirectory, MalformedNameTest,
                         ::testing::Values("V2_x.up.sql",         // single underscore
                                           "002__x.up.sql",       // no V prefix
                                           "V2__x.sql",           // no direction
                                           "V2__x.UP.sql",        // direction is case-sensitive
                                           "V2__x.up.SQL",        // extension is case-sensitive
                                           "V2__.up.sql",         // empty name
                                           "V__x.up.sql",         // empty version
                                           "V2.__x.up.sql",       // trailing dot in version
                                           "V2__x y.up.sql",      // space in name
                                           "V2__x.up.sql.bak",    // backup suffix
                                           "V2__x.sideways.sql",  // unknown direction
                                           "README.md"));         // stray file

TEST(LoadDirectory, StrayFilesAreAllNamed) {
  TestWorkspace ws;
  ws.write_migration("V1__good.up.sql", "SELECT 1;\n");
  ws.write_migration("README.md", "# migrations\n");
  ws.write_migration("V1_x.up.sql", "SELECT 1;\n");
  ws.write_migration("001__x.up.sql", "SELECT 1;\n");
  ws.write_migration("V3__x.sql", "SELECT 1;\n");
  ws.write_migration("V4__x.UP.sql", "SELECT 1;\n");
  std::filesystem::create_directory(ws.migrations() / "archive");

  auto set = load_directory(ws.migrations());
  ASSERT_FALSE(set.ok());
  const Error& e = set.error();
  EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
  EXPECT_TRUE(Mentions(e.message, "6 problem(s)"));
  for (const char* f :
       {"README.md", "V1_x.up.sql", "001__x.up.sql", "V3__x.sql", "V4__x.UP.sql", "archive"}) {
    EXPECT_TRUE(Mentions(e.message, (ws.migrations() / f).string()));
  }
  // Several problems: the error points at the directory.
  EXPECT_EQ(e.where.file, ws.migrations().string());
  EXPECT_FALSE(e.hint.empty());
}

TEST(LoadDirectory, DuplicateVersionsWithDifferentSpellingAreNamed) {
  TestWorkspace ws;
  ws.write_migration("V1__a.up.sql", "SELECT 1;\n");
  ws.write_migration("V001__b.up.sql", "SELECT 1;\n");
  auto set = load_directory(ws.migrations());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, ErrorCode::kSourceInvalid);
  EXPECT_TRUE(Mentions(set.error().message, (ws.migrations() / "V1__a.up.sql").string()));
  EXPECT_TRUE(Mentions(set.error().message, (ws.migrations() / "V001__b.up.sql").string()));
  EXPECT_TRUE(Mentions(set.error().message, "version 1"));
}

TEST(LoadDirectory, DuplicateVersionsWithTheSameNameAreNamed) {
  TestWorkspace ws;
  ws.write_migration("V2__same.up.sql", "SELECT 1;\n");
  ws.write_migration("V02__same.up.sql", "SELECT 1;\n");
  auto set = load_directory(ws.migrations());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, ErrorCode::kSourceInvalid);
  EXPECT_TRUE(Mentions(set.error().message, (ws.migrations() / "V2__same.up.sql").string()));
  EXPECT_TRUE(Mentions(set.error().message, (ws.migrations() / "V02__same.up.sql").string()));
  EXPECT_TRUE(Mentions(set.error().message, "two up files for version 2"));
}

// SourceLocation::file is "path of the migration file": with a single problem it should be a
// real path (one of the files, or the directory), not the text before the first ':' of the
// message.
TEST(LoadDirectory, DuplicateErrorPointsAtARealPath) {
  TestWorkspace ws;
  ws.write_migration("V3__a.up.sql", "SELECT 1;\n");
  ws.write_migration("V03__a.up.sql", "SELECT 1;\n");
  auto set = load_directory(ws.migrations());
  ASSERT_FALSE(set.ok());
  const std::string& where = set.error().where.file;
  EXPECT_TRUE(where == (ws.migrations() / "V3__a.up.sql").string() ||
              where == (ws.migrations() / "V03__a.up.sql").string() ||
              where == ws.migrations().string())
      << "where.file is '" << where << "'";
}

TEST(LoadDirectory, UpAndDownWithDifferentNamesAreRefused) {
  TestWorkspace ws;
  ws.write_migration("V1__alpha.up.sql", "SELECT 1;\n");
  ws.write_migration("V1__beta.down.sql", "SELECT 1;\n");
  auto set = load_directory(ws.migrations());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, ErrorCode::kSourceInvalid);
  EXPECT_TRUE(Mentions(set.error().message, (ws.migrations() / "V1__alpha.up.sql").string()));
  EXPECT_TRUE(Mentions(set.error().message, (ws.migrations() / "V1__beta.down.sql").string()));
  EXPECT_TRUE(Mentions(set.error().message, "two names"));
}

TEST(LoadDirectory, DownWithoutUpIsRefused) {
  TestWorkspace ws;
  ws.write_migration("V1__one.up.sql", "SELECT 1;\n");
  ws.write_migration("V2__orphan.down.sql", "SELECT 2;\n");
  auto set = load_directory(ws.migrations());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, ErrorCode::kSourceInvalid);
  EXPECT_TRUE(Mentions(set.error().message, (ws.migrations() / "V2__orphan.down.sql").string()));
  EXPECT_TRUE(Mentions(set.error().message, "down file without an up file for version 2"));
  EXPECT_EQ(set.error().message.find("V1__one"), std::string::npos);
}

TEST(LoadDirectory, EveryKindOfProblemIsReportedTogether) {
  TestWorkspace ws;
  ws.write_migration("notes.txt", "x");
  ws.write_migration("V5__a.up.sql", "SELECT 1;\n");
  ws.write_migration("V05__b.up.sql", "SELECT 1;\n");
  ws.write_migration("V7__orphan.down.sql", "SELECT 1;\n");
  auto set = load_directory(ws.migrations());
  ASSERT_FALSE(set.ok());
  const std::string& msg = set.error().message;
  EXPECT_TRUE(Mentions(msg, "3 problem(s)"));
  EXPECT_TRUE(Mentions(msg, (ws.migrations() / "notes.txt").string()));
  EXPECT_TRUE(Mentions(msg, (ws.migrations() / "V5__a.up.sql").string()));
  EXPECT_TRUE(Mentions(msg, (ws.migrations() / "V05__b.up.sql").string()));
  EXPECT_TRUE(Mentions(msg, (ws.migrations() / "V7__orphan.down.sql").string()));
}

struct BadUtf8Case {
  const char* label;
  std::string content;
  int line;
  int column;
  const char* byte;  // as printed in the message
};

class InvalidUtf8Test : public ::testing::TestWithParam<BadUtf8Case> {};

TEST_P(InvalidUtf8Test, IsSourceInvalidWithLineAndColumn) {
  const BadUtf8Case& c = GetParam();
  TestWorkspace ws;
  ws.write_migration("V1__ok.up.sql", "SELECT 'h\xc3\xa9llo';\n");
  auto path = ws.write_migration("V2__bad.up.sql", c.content);
  auto set = load_directory(ws.migrations());
  ASSERT_FALSE(set.ok()) << c.label << " was accepted";
  const Error& e = set.error();
  EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
  EXPECT_EQ(e.where.file, path.string());
  EXPECT_EQ(e.where.version, "2");
  EXPECT_EQ(e.where.line, c.line) << c.label;
  EXPECT_EQ(e.where.column, c.column) << c.label;
  EXPECT_TRUE(Mentions(e.message, "not valid UTF-8"));
  EXPECT_TRUE(Mentions(e.message, c.byte));
  EXPECT_TRUE(Mentions(e.describe(), path.string() + ":" + std::to_string(c.line) + ":" +
                                         std::to_string(c.column) + ":"));
}

INSTANTIATE_TEST_SUITE_P(
    LoadDirectory, InvalidUtf8Test,
    ::testing::Values(BadUtf8Case{"lone 0xff", "SELECT 1;\nSELECT '\xff';\n", 2, 9, "0xff"},
                      BadUtf8Case{"overlong slash", "-- c\n\nSELECT '\xc0\xaf';\n", 3, 9, "0xc0"},
                      BadUtf8Case{"surrogate", "SELECT '\xed\xa0\x80';\n", 1, 9, "0xed"},
                      BadUtf8Case{"above U+10FFFF", "SELECT '\xf4\x90\x80\x80';\n", 1, 9, "0xf4"},
                      BadUtf8Case{"three-byte overlong", "SELECT '\xe0\x80\xaf';\n", 1, 9, "0xe0"},
                      BadUtf8Case{"lone continuation", "SELECT 1;\n  \x80\n", 2, 3, "0x80"},
                      BadUtf8Case{"truncated at end of file", "SELECT 1;\n\xe2\x82", 2, 1, "0xe2"},
                      BadUtf8Case{"after valid multibyte", "\xc3\xa9\xff", 1, 3, "0xff"}),
    [](const ::testing::TestParamInfo<BadUtf8Case>& param_info) {
      std::string name = param_info.param.label;
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

TEST(LoadDirectory, InvalidUtf8InTheDownFileIsRefused) {
  TestWorkspace ws;
  ws.write_migration("V1__x.up.sql", "SELECT 1;\n");
  auto down = ws.write_migration("V1__x.down.sql", "SELECT '\xfe';\n");
  auto set = load_directory(ws.migrations());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, ErrorCode::kSourceInvalid);
  EXPECT_EQ(set.error().where.file, down.string());
  EXPECT_EQ(set.error().where.line, 1);
  EXPECT_EQ(set.error().where.column, 9);
}

TEST(LoadDirectory, ValidMultibyteUtf8IsAccepted) {
  TestWorkspace ws;
  // 2-, 3- and 4-byte sequences, including the highest code point U+10FFFF and U+FFFD.
  ws.write_migration("V1__x.up.sql",
                     "SELECT '\xc3\xa9', '\xe2\x82\xac', '\xf0\x9f\x98\x80', '\xf4\x8f\xbf\xbf', "
                     "'\xef\xbf\xbd', '\xed\x9f\xbf';\n");
  auto set = load_directory(ws.migrations());
  ASSERT_TRUE(set.ok()) << set.error().describe();
  EXPECT_EQ(set->migrations.size(), 1u);
}

// The header promises "the error names every offending file"; this holds for names, but the
// contents of every file should be checked before reporting, too.
TEST(LoadDirectory, EveryFileWithInvalidUtf8IsNamed) {
  TestWorkspace ws;
  auto first = ws.write_migration("V1__a.up.sql", "SELECT '\xff';\n");
  auto second = ws.write_migration("V2__b.up.sql", "SELECT '\xfe';\n");
  auto set = load_directory(ws.migrations());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, ErrorCode::kSourceInvalid);
  EXPECT_TRUE(Mentions(set.error().message, first.string()));
  EXPECT_TRUE(Mentions(set.error().message, second.string()));
}

TEST(LoadDirectory, BadDirectiveIsSourceInvalidWithVersion) {
  TestWorkspace ws;
  auto path =
      ws.write_migration("V012__x.up.sql", "-- header\n-- migrate:colour blue\nSELECT 1;\n");
  auto set = load_directory(ws.migrations());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, ErrorCode::kSourceInvalid);
  EXPECT_EQ(set.error().where.file, path.string());
  EXPECT_EQ(set.error().where.version, "12");
  EXPECT_EQ(set.error().where.line, 2);
  EXPECT_TRUE(Mentions(set.error().message, "colour"));
}

TEST(LoadDirectory, DirectivesAreParsedIntoTheMigration) {
  TestWorkspace ws;
  ws.write_migration("V1__x.up.sql",
                     "-- migrate:class breaking\n-- migrate:transaction off\nSELECT 1;\n");
  auto set = load_directory(ws.migrations());
  ASSERT_TRUE(set.ok()) << set.error().describe();
  ASSERT_EQ(set->migrations.size(), 1u);
  EXPECT_EQ(set->migrations[0].directives.declared_class, MigrationClass::kBreaking);
  EXPECT_FALSE(set->migrations[0].directives.transactional);
}

TEST(LoadDirectory, ContentIsNormalized) {
  TestWorkspace ws;
  ws.write_migration("V1__x.up.sql", "\xEF\xBB\xBFSELECT 1;\r\nSELECT 2;\r\n");
  auto set = load_directory(ws.migrations());
  ASSERT_TRUE(set.ok()) << set.error().describe();
  EXPECT_EQ(set->migrations[0].up.sql, "SELECT 1;\nSELECT 2;\n");
}

}  // namespace
}  // namespace migrate
