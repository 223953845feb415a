// checksum_v1 and normalize_sql_text: the bytes a checksum covers and how they are hashed.
#include <gtest/gtest.h>

#include <string>

#include "migrate/source.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using migrate::testing::TestWorkspace;

bool is_lower_hex(const std::string& s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

TEST(ChecksumV1, Format) {
  for (const std::string& input : {std::string(), std::string("SELECT 1;\n"),
                                   std::string("\x00\xff", 2), std::string(100000, 'x')}) {
    std::string sum = checksum_v1(input);
    ASSERT_EQ(sum.size(), 10u + 64u) << sum;
    EXPECT_EQ(sum.substr(0, 10), "sha256:v1:");
    EXPECT_TRUE(is_lower_hex(sum.substr(10))) << sum;
  }
}

TEST(ChecksumV1, KnownVectors) {
  EXPECT_EQ(checksum_v1(""),
            "sha256:v1:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(checksum_v1("abc"),
            "sha256:v1:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // FIPS 180-2 two-block message.
  EXPECT_EQ(checksum_v1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "sha256:v1:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(ChecksumV1, HashesEmbeddedNulBytes) {
  // The whole std::string is hashed, not a C string up to the first NUL.
  EXPECT_NE(checksum_v1(std::string("a\0b", 3)), checksum_v1("a"));
  EXPECT_NE(checksum_v1(std::string("\0", 1)), checksum_v1(""));
}

TEST(ChecksumV1, SensitiveToEveryByte) {
  EXPECT_NE(checksum_v1("SELECT 1;"), checksum_v1("SELECT 1; "));
  EXPECT_NE(checksum_v1("SELECT 1;\n"), checksum_v1("select 1;\n"));
  EXPECT_EQ(checksum_v1("SELECT 1;\n"), checksum_v1("SELECT 1;\n"));
}

TEST(NormalizeSqlText, StripsLeadingBom) {
  EXPECT_EQ(normalize_sql_text("\xEF\xBB\xBFSELECT 1;"), "SELECT 1;");
  EXPECT_EQ(normalize_sql_text("\xEF\xBB\xBF"), "");
}

TEST(NormalizeSqlText, StripsOnlyOneLeadingBom) {
  EXPECT_EQ(normalize_sql_text("\xEF\xBB\xBF\xEF\xBB\xBFx"), "\xEF\xBB\xBFx");
}

TEST(NormalizeSqlText, KeepsABomThatIsNotAtTheStart) {
  EXPECT_EQ(normalize_sql_text("x\xEF\xBB\xBFy"), "x\xEF\xBB\xBFy");
}

TEST(NormalizeSqlText, KeepsAPartialBom) {
  EXPECT_EQ(normalize_sql_text("\xEF\xBB"), "\xEF\xBB");
  EXPECT_EQ(normalize_sql_text("\xEF\xBBx"), "\xEF\xBBx");
}

TEST(NormalizeSqlText, CrlfBecomesLf) {
  EXPECT_EQ(normalize_sql_text("a\r\nb\r\n"), "a\nb\n");
  EXPECT_EQ(normalize_sql_text("\r\n\r\n"), "\n\n");
}

TEST(NormalizeSqlText, KeepsLoneCr) {
  EXPECT_EQ(normalize_sql_text("a\rb"), "a\rb");
  EXPECT_EQ(normalize_sql_text("a\r"), "a\r");
  EXPECT_EQ(normalize_sql_text("\r"), "\r");
  // CR CR LF: only the CR right before the LF goes.
  EXPECT_EQ(normalize_sql_text("a\r\r\nb"), "a\r\nb");
  // LF CR is not a CRLF.
  EXPECT_EQ(normalize_sql_text("a\n\rb"), "a\n\rb");
}

TEST(NormalizeSqlText, LfOnlyTextIsUnchanged) {
  const std::string text = "CREATE TABLE t(x);\n-- comment\n\nINSERT INTO t VALUES ('a\tb');\n";
  EXPECT_EQ(normalize_sql_text(text), text);
}

TEST(NormalizeSqlText, BomAndCrlfTogether) {
  EXPECT_EQ(normalize_sql_text("\xEF\xBB\xBF"
                               "CREATE TABLE t(x);\r\nDROP TABLE t;\r\n"),
            "CREATE TABLE t(x);\nDROP TABLE t;\n");
}

TEST(NormalizeSqlText, ChecksumsOfNormalizedTwinsAreEqual) {
  const std::string lf = "CREATE TABLE t(x);\nDROP TABLE t;\n";
  const std::string crlf_bom =
      "\xEF\xBB\xBF"
      "CREATE TABLE t(x);\r\nDROP TABLE t;\r\n";
  EXPECT_EQ(checksum_v1(normalize_sql_text(crlf_bom)), checksum_v1(normalize_sql_text(lf)));
  const std::string lone_cr = "CREATE TABLE t(x);\rDROP TABLE t;\r";
  EXPECT_NE(checksum_v1(normalize_sql_text(lone_cr)), checksum_v1(normalize_sql_text(lf)));
}

TEST(LoadDirectoryChecksums, CrlfAndBomFileMatchesItsLfTwin) {
  const std::string lf =
      "-- migrate:class additive\nCREATE TABLE t(x);\nINSERT INTO t VALUES(1);\n";
  const std::string crlf_bom =
      "\xEF\xBB\xBF"
      "-- migrate:class additive\r\nCREATE TABLE t(x);\r\nINSERT INTO t VALUES(1);\r\n";
  TestWorkspace a;
  TestWorkspace b;
  a.write_migration("V1__t.up.sql", lf);
  a.write_migration("V1__t.down.sql", "DROP TABLE t;\n");
  b.write_migration("V1__t.up.sql", crlf_bom);
  b.write_migration("V1__t.down.sql",
                    "\xEF\xBB\xBF"
                    "DROP TABLE t;\r\n");
  auto sa = load_directory(a.migrations());
  auto sb = load_directory(b.migrations());
  ASSERT_TRUE(sa.ok()) << sa.error().describe();
  ASSERT_TRUE(sb.ok()) << sb.error().describe();
  ASSERT_EQ(sa->migrations.size(), 1u);
  ASSERT_EQ(sb->migrations.size(), 1u);
  EXPECT_EQ(sa->migrations[0].up.checksum, sb->migrations[0].up.checksum);
  EXPECT_EQ(sa->migrations[0].up.checksum, checksum_v1(lf));
  ASSERT_TRUE(sa->migrations[0].down && sb->migrations[0].down);
  EXPECT_EQ(sa->migrations[0].down->checksum, sb->migrations[0].down->checksum);
  EXPECT_EQ(sb->migrations[0].down->checksum, checksum_v1("DROP TABLE t;\n"));
  // The directive of the BOM file is still recognised.
  EXPECT_EQ(sb->migrations[0].directives.declared_class, MigrationClass::kAdditive);
}

TEST(LoadDirectoryChecksums, LoneCrChangesTheChecksum) {
  TestWorkspace a;
  TestWorkspace b;
  a.write_migration("V1__t.up.sql", "SELECT 1;\n");
  b.write_migration("V1__t.up.sql", "SELECT 1;\r");
  auto sa = load_directory(a.migrations());
  auto sb = load_directory(b.migrations());
  ASSERT_TRUE(sa.ok() && sb.ok());
  EXPECT_NE(sa->migrations[0].up.checksum, sb->migrations[0].up.checksum);
  EXPECT_EQ(sb->migrations[0].up.sql, "SELECT 1;\r");
}

}  // namespace
}  // namespace migrate
