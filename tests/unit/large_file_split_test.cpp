// Both splitters on a generated file of 200k statements: positions and texts of the first, a
// middle and the last statement. The splitters are linear in the file's size (a quadratic one
// takes hours here); speed itself is measured in bench/, never asserted in a test.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "libmigrate/source/sql_text.hpp"
#include "libmigrate/sql/postgres_statement.hpp"
#include "libmigrate/sql/sqlite_statement.hpp"

namespace migrate {
namespace {

constexpr int kStatements = 200'000;

struct Expected {
  std::size_t offset = 0;
  int line = 0;
  int column = 0;
  std::string sql;
};

// INSERTs with a ';' inside a string, some on two lines, some indented, some after a comment
// line, so that lines, columns and offsets all drift. Records where statements 1, kStatements/2
// and kStatements start while writing them.
struct GeneratedFile {
  std::string sql;
  std::vector<std::pair<int, Expected>> expected;
};

GeneratedFile generate() {
  GeneratedFile g;
  g.sql.reserve(static_cast<std::size_t>(kStatements) * 80);
  int line = 1;
  for (int i = 1; i <= kStatements; ++i) {
    if (i % 3 == 0) {
      g.sql += "-- row " + std::to_string(i) + "; a comment\n";
      ++line;
    }
    std::string indent(static_cast<std::size_t>(i % 4), ' ');
    std::string statement = "INSERT INTO items (id, note) VALUES (" + std::to_string(i) +
                            (i % 5 == 0 ? ",\n  " : ", ") + "'note " + std::to_string(i) +
                            "; not the end');";
    g.sql += indent;
    if (i == 1 || i == kStatements / 2 || i == kStatements) {
      g.expected.push_back(
          {i, Expected{g.sql.size(), line, static_cast<int>(indent.size()) + 1, statement}});
    }
    g.sql += statement;
    g.sql += "\n";
    line += i % 5 == 0 ? 2 : 1;
  }
  return g;
}

void check(const GeneratedFile& g, const std::vector<SqlStatement>& out) {
  ASSERT_EQ(out.size(), static_cast<std::size_t>(kStatements));
  for (const auto& [index, e] : g.expected) {
    SCOPED_TRACE("statement " + std::to_string(index));
    const SqlStatement& s = out[static_cast<std::size_t>(index) - 1];
    EXPECT_EQ(s.index, index);
    EXPECT_EQ(s.offset, e.offset);
    EXPECT_EQ(s.line, e.line);
    EXPECT_EQ(s.column, e.column);
    EXPECT_EQ(s.sql, e.sql);
    EXPECT_EQ(line_and_column(g.sql, s.offset), std::make_pair(s.line, s.column));
  }
}

TEST(LargeFileSplit, SqlitePositionsOfFirstMiddleAndLastStatement) {
  const GeneratedFile g = generate();
  check(g, split_sqlite_statements(g.sql, {"big.up.sql", "1", 0, 0, 0}));
}

TEST(LargeFileSplit, PostgresPositionsOfFirstMiddleAndLastStatement) {
  const GeneratedFile g = generate();
  check(g, split_postgres_statements(g.sql, {"big.up.sql", "1", 0, 0, 0}));
}

}  // namespace
}  // namespace migrate
