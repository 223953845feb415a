// for_each_postgres_statement (one parse per file, or per ~1 MiB batch of statements) against
// split_postgres_statements + describe_postgres_statement (a split, then a parse per statement):
// the same statements, the same descriptions and parse trees (locations relative to each
// statement), and the same errors, on handwritten SQL, the whole Kratos PostgreSQL corpus and a
// file large enough to be parsed in batches.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/sql/postgres_file_parse.hpp"
#include "support/kratos_corpus.hpp"

namespace migrate {
namespace {

const SourceLocation kFile{"migrations/V9__speed.up.sql", "9", 0, 0, 0};

struct Described {
  SqlStatement statement;
  PgStatementInfo info;
};

std::vector<Described> one_parse(const std::string& sql) {
  std::vector<Described> out;
  for_each_postgres_statement(sql, kFile, [&](SqlStatement&& s, PgStatementInfo&& info) {
    out.push_back({std::move(s), std::move(info)});
  });
  return out;
}

// What the analyzer did before: split, then describe each statement, errors moved into the file.
std::vector<Described> split_then_describe(const std::string& sql) {
  std::vector<Described> out;
  for (auto& s : split_postgres_statements(sql, kFile)) {
    try {
      PgStatementInfo info = describe_postgres_statement(s.sql);
      out.push_back({std::move(s), std::move(info)});
    } catch (const Failure& f) {
      Error e = f.error();
      e.where.file = kFile.file;
      e.where.version = kFile.version;
      e.where.statement = s.index;
      if (e.where.line > 0) {
        e.where.column = e.where.line == 1 ? s.column + e.where.column - 1 : e.where.column;
        e.where.line = s.line + e.where.line - 1;
      }
      throw Failure(e);
    }
  }
  return out;
}

void expect_same(const std::vector<Described>& got, const std::vector<Described>& want,
                 const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const auto& g = got[i];
    const auto& w = want[i];
    SCOPED_TRACE(what + ", statement " + std::to_string(i + 1) + ": " + w.statement.sql);
    EXPECT_EQ(g.statement.index, w.statement.index);
    EXPECT_EQ(g.statement.offset, w.statement.offset);
    EXPECT_EQ(g.statement.line, w.statement.line);
    EXPECT_EQ(g.statement.column, w.statement.column);
    EXPECT_EQ(g.statement.sql, w.statement.sql);
    EXPECT_EQ(g.info.node_type, w.info.node_type);
    EXPECT_EQ(g.info.can_run_in_transaction, w.info.can_run_in_transaction);
    EXPECT_EQ(g.info.non_transactional_reason, w.info.non_transactional_reason);
    EXPECT_EQ(g.info.takes_relation_lock, w.info.takes_relation_lock);
    EXPECT_EQ(g.info.relations, w.info.relations);
    EXPECT_EQ(g.info.concurrent_index.has_value(), w.info.concurrent_index.has_value());
    EXPECT_EQ(g.info.recovery, w.info.recovery);
    EXPECT_EQ(g.info.is_transaction_control, w.info.is_transaction_control);
    // Byte for byte: the same keys (a zero location left out), values and number types.
    EXPECT_EQ(g.info.node.dump(), w.info.node.dump());
  }
}

Error error_of(const std::function<void()>& run) {
  try {
    run();
    ADD_FAILURE() << "expected a Failure";
  } catch (const Failure& f) {
    return f.error();
  }
  return Error{};
}

void expect_same_error(const std::string& sql) {
  Error got = error_of([&] { one_parse(sql); });
  Error want = error_of([&] { split_then_describe(sql); });
  EXPECT_EQ(got.code, want.code) << sql;
  EXPECT_EQ(got.message, want.message) << sql;
  EXPECT_EQ(got.hint, want.hint) << sql;
  EXPECT_EQ(got.where.file, want.where.file) << sql;
  EXPECT_EQ(got.where.version, want.where.version) << sql;
  EXPECT_EQ(got.where.statement, want.where.statement) << sql;
  EXPECT_EQ(got.where.line, want.where.line) << sql;
  EXPECT_EQ(got.where.column, want.where.column) << sql;
}

TEST(PostgresFileParse, HandwrittenFilesGiveWhatSplitThenDescribeGives) {
  const std::vector<std::string> files{
      "",
      "-- only a comment\n",
      "CREATE TABLE t (id bigint PRIMARY KEY);",
      // Leading comments and whitespace: the statement (and its locations) start after them.
      "  /* a /* nested */ comment */\n-- line\n  CREATE TABLE a.t (id int);\n\n"
      "ALTER TABLE a.t ADD CONSTRAINT c CHECK (id > 0) NOT VALID;\n"
      "   ALTER TABLE a.t VALIDATE CONSTRAINT c;;\n;\n"
      "CREATE INDEX CONCURRENTLY i ON a.t (id);\nUPDATE a.t SET id = 1 WHERE id = 2",
      // Relations at location 0 of their statement, CTEs, DROP lists, strings with ';'.
      "SELECT 1;\nWITH x AS (SELECT * FROM s.y) INSERT INTO z SELECT * FROM x;\n"
      "DROP TABLE a, b.c CASCADE;\nDROP TRIGGER tr ON t;\nINSERT INTO t VALUES ('a;b', $$c;d$$);\n"
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n"
      "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO u VALUES (1); INSERT INTO v "
      "VALUES (2));\n",
      // Multi-byte characters before later statements: locations are bytes, not characters.
      "COMMENT ON TABLE t IS 'été ☃';\nALTER TABLE \"Tâble\" ADD COLUMN c text DEFAULT 'x';\n"
      "BEGIN;\nREINDEX TABLE CONCURRENTLY t;\nCOMMIT;\nVACUUM t;\n",
  };
  for (const auto& sql : files) expect_same(one_parse(sql), split_then_describe(sql), sql);
}

TEST(PostgresFileParse, ErrorsAreThoseOfSplitThenDescribe) {
  // A syntax error in the third statement, on its second line.
  expect_same_error("CREATE TABLE a (id int);\nSELECT 1;\nALTER TABLE a\n  ADD COLUMN;\n");
  // At the start of the file, and in a statement without ';' at the end.
  expect_same_error("CREAT TABLE a (id int);");
  expect_same_error("SELECT 1;\n  SELECT FROM WHERE");
  // Bytes that are not UTF-8 (the parser passes them; the tree's JSON reader does not).
  expect_same_error("SELECT 1;\nSELECT 'caf\xe9';\n");
  // A NUL byte.
  expect_same_error(std::string("SELECT 1;\nSELECT 2") + '\0' + ";");
}

TEST(PostgresFileParse, EveryKratosPostgresFileGivesWhatSplitThenDescribeGives) {
  std::size_t statements = 0;
  for (const auto& row : testing::read_kratos_manifest("postgres")) {
    std::ifstream in(testing::kratos_corpus_dir() / "postgres" / row.file, std::ios::binary);
    ASSERT_TRUE(in) << row.file;
    std::ostringstream text;
    text << in.rdbuf();
    auto want = split_then_describe(text.str());
    statements += want.size();
    expect_same(one_parse(text.str()), want, row.file);
  }
  EXPECT_GT(statements, 500u);
}

// Over 1 MiB: split first, then parsed in batches of whole statements, a batch boundary falling
// between statements of every kind in the mix.
std::string large_file() {
  std::string sql;
  for (int i = 0; sql.size() < (std::size_t{3} << 19); ++i) {
    switch (i % 5) {
      case 0:
        sql += "INSERT INTO big (id, payload) VALUES (" + std::to_string(i) + ", 'x;y');\n";
        break;
      case 1:
        sql += "-- a comment between statements\n  UPDATE s.big SET payload = 'z' WHERE id = " +
               std::to_string(i) + ";\n";
        break;
      case 2:
        sql += "CREATE INDEX CONCURRENTLY idx_" + std::to_string(i) + " ON big (payload);\n";
        break;
      case 3:
        sql += "ALTER TABLE big ADD COLUMN c" + std::to_string(i) + " text DEFAULT 'é';\n";
        break;
      default:
        sql += "/* block */ SELECT * FROM big b JOIN other o ON o.id = b.id;\n";
    }
  }
  return sql + "SELECT 1";  // the last one without ';'
}

TEST(PostgresFileParse, AFileOverOneMebibyteIsParsedInBatchesWithTheSameResult) {
  const std::string sql = large_file();
  auto want = split_then_describe(sql);
  ASSERT_GT(want.size(), 20000u);
  expect_same(one_parse(sql), want, "large file");
}

TEST(PostgresFileParse, AnErrorInALaterBatchIsReportedAsSplitThenDescribeReportsIt) {
  std::string sql = large_file();
  sql.insert(sql.rfind('\n', sql.size() - 200) + 1, "SELECT 'caf\xe9';\n");
  expect_same_error(sql);
}

}  // namespace
}  // namespace migrate
