#include "libmigrate/sql/sqlite_statement.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/source/sql_text.hpp"

namespace migrate {
namespace {}  // namespace

std::vector<SqlStatement> split_sqlite_statements(const std::string& sql,
                                                  const SourceLocation& file) {
  std::vector<SqlStatement> out;
  std::size_t start = skip_sql_trivia(sql, 0, sql.size(), BlockComments::kFlat);
  auto add = [&](std::size_t begin, std::size_t end) {
    auto [line, column] = line_and_column(sql, begin);
    out.push_back(SqlStatement{static_cast<int>(out.size()) + 1, begin, line, column,
                               sql.substr(begin, end - begin)});
  };
  std::size_t search = start;
  while (start < sql.size()) {
    if (sql[start] == ';') {  // an empty statement: nothing to run
      start = skip_sql_trivia(sql, start + 1, sql.size(), BlockComments::kFlat);
      search = start;
      continue;
    }
    auto semi = sql.find(';', search);
    if (semi == std::string::npos) {
      std::string last = sql.substr(start) + "\n;";
      if (sqlite3_complete(last.c_str()) != 1) {
        auto [line, column] = line_and_column(sql, start);
        fail(ErrorCode::kSourceInvalid,
             fmt::format("statement {} starting here is not complete (unterminated string, "
                         "comment, quoted name or trigger body)",
                         out.size() + 1),
             "close the open quote, comment or BEGIN...END block, and end the statement with ';'",
             {file.file, file.version, static_cast<int>(out.size()) + 1, line, column});
      }
      add(start, sql.size());
      break;
    }
    std::string candidate = sql.substr(start, semi - start + 1);
    if (sqlite3_complete(candidate.c_str()) == 1) {
      add(start, semi + 1);
      start = skip_sql_trivia(sql, semi + 1, sql.size(), BlockComments::kFlat);
      search = start;
    } else {
      search = semi + 1;  // the ';' is inside a string, comment or trigger body
    }
  }
  return out;
}

}  // namespace migrate
