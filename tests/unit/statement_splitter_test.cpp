// split_sqlite_statements: statement boundaries by SQLite's own tokenizer, with positions.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/source/sql_text.hpp"
#include "libmigrate/sql/sqlite_statement.hpp"

namespace migrate {
namespace {

const SourceLocation kWhere{"migrations/V3__x.up.sql", "3", 0, 0, 0};

std::vector<SqlStatement> split(const std::string& sql) {
  return split_sqlite_statements(sql, kWhere);
}

std::vector<std::string> texts(const std::vector<SqlStatement>& statements) {
  std::vector<std::string> out;
  for (const auto& s : statements) out.push_back(s.sql);
  return out;
}

Error split_error(const std::string& sql) {
  try {
    auto out = split(sql);
    ADD_FAILURE() << "expected a Failure, got " << out.size() << " statement(s) for:\n" << sql;
  } catch (const Failure& f) {
    return f.error();
  }
  return Error{};
}

TEST(SplitSqlite, SimpleStatementsWithPositions) {
  const std::string sql =
      "CREATE TABLE a(x);\n  INSERT INTO a VALUES (1);\n\n\tSELECT 1; SELECT 2;\n";
  auto out = split(sql);
  ASSERT_EQ(out.size(), 4u);

  EXPECT_EQ(out[0].index, 1);
  EXPECT_EQ(out[0].offset, 0u);
  EXPECT_EQ(out[0].line, 1);
  EXPECT_EQ(out[0].column, 1);
  EXPECT_EQ(out[0].sql, "CREATE TABLE a(x);");

  EXPECT_EQ(out[1].index, 2);
  EXPECT_EQ(out[1].offset, 21u);
  EXPECT_EQ(out[1].line, 2);
  EXPECT_EQ(out[1].column, 3);
  EXPECT_EQ(out[1].sql, "INSERT INTO a VALUES (1);");

  EXPECT_EQ(out[2].index, 3);
  EXPECT_EQ(out[2].line, 4);
  EXPECT_EQ(out[2].column, 2);
  EXPECT_EQ(out[2].sql, "SELECT 1;");

  EXPECT_EQ(out[3].index, 4);
  EXPECT_EQ(out[3].line, 4);
  EXPECT_EQ(out[3].column, 12);
  EXPECT_EQ(out[3].sql, "SELECT 2;");
  // The offset points at the statement's first character.
  for (const auto& s : out) EXPECT_EQ(sql.compare(s.offset, s.sql.size(), s.sql), 0) << s.sql;
}

TEST(SplitSqlite, EmptyInput) {
  EXPECT_TRUE(split("").empty());
  EXPECT_TRUE(split("   \n\t\n").empty());
}

TEST(SplitSqlite, SemicolonInsideSingleQuotedString) {
  auto out = split("INSERT INTO t VALUES ('a;b', 'it''s; fine');\nSELECT 2;");
  EXPECT_EQ(texts(out), (std::vector<std::string>{"INSERT INTO t VALUES ('a;b', 'it''s; fine');",
                                                  "SELECT 2;"}));
  EXPECT_EQ(out[1].line, 2);
}

TEST(SplitSqlite, SemicolonInsideQuotedIdentifiers) {
  auto out = split(
      "CREATE TABLE \"we;ird\"(x);\n"
      "CREATE TABLE [br;acket](x);\n"
      "CREATE TABLE `back;tick`(x);\n");
  EXPECT_EQ(texts(out),
            (std::vector<std::string>{"CREATE TABLE \"we;ird\"(x);", "CREATE TABLE [br;acket](x);",
                                      "CREATE TABLE `back;tick`(x);"}));
  EXPECT_EQ(out[2].line, 3);
  EXPECT_EQ(out[2].index, 3);
}

TEST(SplitSqlite, SemicolonInsideComments) {
  auto out = split(
      "SELECT 1 -- not; the end\n"
      ";\n"
      "SELECT /* also; not */ 2;\n");
  EXPECT_EQ(texts(out),
            (std::vector<std::string>{"SELECT 1 -- not; the end\n;", "SELECT /* also; not */ 2;"}));
  EXPECT_EQ(out[1].line, 3);
  EXPECT_EQ(out[1].column, 1);
}

TEST(SplitSqlite, LeadingAndBetweenCommentsAreSkipped) {
  const std::string sql =
      "-- migrate:class additive\n"
      "/* a block\n   comment; with a semicolon */\n"
      "CREATE TABLE t(x); -- trailing; comment\n"
      "   /* x */ INSERT INTO t VALUES (1);\n";
  auto out = split(sql);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].sql, "CREATE TABLE t(x);");
  EXPECT_EQ(out[0].line, 4);
  EXPECT_EQ(out[0].column, 1);
  EXPECT_EQ(out[1].sql, "INSERT INTO t VALUES (1);");
  EXPECT_EQ(out[1].line, 5);
  EXPECT_EQ(out[1].column, 12);
  EXPECT_EQ(out[1].index, 2);
}

TEST(SplitSqlite, TriggerBodyIsOneStatement) {
  const std::string trigger =
      "CREATE TRIGGER log_insert AFTER INSERT ON a\n"
      "BEGIN\n"
      "  INSERT INTO log VALUES (new.x);\n"
      "  UPDATE counter SET n = n + 1;\n"
      "END;";
  auto out = split("CREATE TABLE log(x);\n" + trigger + "\nSELECT 1;\n");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].sql, "CREATE TABLE log(x);");
  EXPECT_EQ(out[1].sql, trigger);
  EXPECT_EQ(out[1].line, 2);
  EXPECT_EQ(out[1].index, 2);
  EXPECT_EQ(out[2].sql, "SELECT 1;");
  EXPECT_EQ(out[2].line, 7);
  EXPECT_EQ(out[2].index, 3);
}

TEST(SplitSqlite, TempTriggerWithCaseEndInsideBody) {
  const std::string trigger =
      "CREATE TEMP TRIGGER IF NOT EXISTS t AFTER UPDATE ON a BEGIN "
      "UPDATE b SET y = CASE WHEN new.x > 0 THEN 'p;os' ELSE 'neg' END; "
      "SELECT 1; END;";
  auto out = split(trigger + "\nDROP TABLE z;");
  EXPECT_EQ(texts(out), (std::vector<std::string>{trigger, "DROP TABLE z;"}));
}

TEST(SplitSqlite, FinalStatementWithoutSemicolon) {
  auto out = split("SELECT 1;\nSELECT 2");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].sql, "SELECT 2");
  EXPECT_EQ(out[1].line, 2);
  EXPECT_EQ(out[1].column, 1);
  EXPECT_EQ(out[1].index, 2);
}

TEST(SplitSqlite, FinalStatementWithoutSemicolonKeepsTheRestOfTheFile) {
  auto out = split("SELECT 1;\nSELECT 'a;b' -- end\n");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].sql, "SELECT 'a;b' -- end\n");
}

TEST(SplitSqlite, OnlyStatementWithoutSemicolon) {
  auto out = split("  CREATE TABLE t(x)");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].sql, "CREATE TABLE t(x)");
  EXPECT_EQ(out[0].column, 3);
}

TEST(SplitSqlite, EmptyStatementsAreSkipped) {
  auto out = split(";;\n ; SELECT 1;; ;\n;SELECT 2;;");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].sql, "SELECT 1;");
  EXPECT_EQ(out[0].index, 1);
  EXPECT_EQ(out[0].line, 2);
  EXPECT_EQ(out[0].column, 4);
  EXPECT_EQ(out[1].sql, "SELECT 2;");
  EXPECT_EQ(out[1].index, 2);
  EXPECT_EQ(out[1].line, 3);
  EXPECT_EQ(out[1].column, 2);
}

TEST(SplitSqlite, CommentOnlyStatementBetweenSemicolonsIsSkipped) {
  auto out = split("SELECT 1; /* nothing */ ; -- still nothing\n;\nSELECT 2;");
  EXPECT_EQ(texts(out), (std::vector<std::string>{"SELECT 1;", "SELECT 2;"}));
  EXPECT_EQ(out[1].index, 2);
}

TEST(SplitSqlite, CommentOnlyFileHasNoStatements) {
  EXPECT_TRUE(split("-- just a comment\n/* and; another */\n-- last line without newline").empty());
  EXPECT_TRUE(split("-- migrate:class additive\n-- migrate:transaction off\n").empty());
}

TEST(SplitSqlite, TrailingCommentAfterLastStatementIsNotAStatement) {
  auto out = split("SELECT 1;\n-- done; really\n/* bye */\n");
  EXPECT_EQ(texts(out), (std::vector<std::string>{"SELECT 1;"}));
}

TEST(SplitSqlite, PositionsCountBytesOfMultibyteText) {
  // 'é' is two bytes: the column is a byte column.
  auto out = split("SELECT '\xc3\xa9'; SELECT 2;");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].column, 14);
  EXPECT_EQ(out[1].offset, 13u);
}

TEST(SplitSqlite, UnterminatedStringIsSourceInvalidAtStatementStart) {
  Error e = split_error("SELECT 1;\n\n  INSERT INTO t VALUES ('oops);\nSELECT 2;\n");
  EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
  EXPECT_EQ(e.where.file, kWhere.file);
  EXPECT_EQ(e.where.version, "3");
  EXPECT_EQ(e.where.statement, 2);
  EXPECT_EQ(e.where.line, 3);
  EXPECT_EQ(e.where.column, 3);
  EXPECT_NE(e.message.find("statement 2"), std::string::npos) << e.message;
  EXPECT_FALSE(e.hint.empty());
}

TEST(SplitSqlite, UnterminatedStringInFirstStatement) {
  Error e = split_error("  SELECT 'abc");
  EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
  EXPECT_EQ(e.where.statement, 1);
  EXPECT_EQ(e.where.line, 1);
  EXPECT_EQ(e.where.column, 3);
}

TEST(SplitSqlite, UnterminatedQuotedIdentifier) {
  Error e = split_error("SELECT 1;\nCREATE TABLE \"t(x);\n");
  EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
  EXPECT_EQ(e.where.line, 2);
  EXPECT_EQ(e.where.column, 1);
}

TEST(SplitSqlite, UnterminatedBlockCommentInsideStatement) {
  Error e = split_error("SELECT 1;\nSELECT 2 /* never closed;\n");
  EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
  EXPECT_EQ(e.where.statement, 2);
  EXPECT_EQ(e.where.line, 2);
}

TEST(SplitSqlite, TriggerWithoutEndIsRefused) {
  Error e =
      split_error("CREATE TABLE a(x);\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT 1;\n");
  EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
  EXPECT_EQ(e.where.statement, 2);
  EXPECT_EQ(e.where.line, 2);
  EXPECT_EQ(e.where.column, 1);
}

TEST(LineAndColumn, Positions) {
  const std::string text = "ab\ncd\n\nef";
  EXPECT_EQ(line_and_column(text, 0), std::make_pair(1, 1));
  EXPECT_EQ(line_and_column(text, 1), std::make_pair(1, 2));
  EXPECT_EQ(line_and_column(text, 3), std::make_pair(2, 1));
  EXPECT_EQ(line_and_column(text, 6), std::make_pair(3, 1));
  EXPECT_EQ(line_and_column(text, 8), std::make_pair(4, 2));
}

TEST(LineColumnCursor, GivesWhatLineAndColumnGivesInAnyOrder) {
  const std::string text = "ab\ncd\n\nef";
  LineColumnCursor cursor(text);
  for (std::size_t offset : std::vector<std::size_t>{0, 1, 3, 4, 6, 7, 8, 9, 12, 5, 8, 2, 0, 7}) {
    EXPECT_EQ(cursor.at(offset), line_and_column(text, offset)) << "offset " << offset;
  }
}

}  // namespace
}  // namespace migrate
