#include "libmigrate/sql/sqlite_statement.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include <utility>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/source/sql_text.hpp"

namespace migrate {

std::vector<SqlStatement> split_sqlite_statements(const std::string& sql,
                                                  const SourceLocation& file) {
  std::vector<SqlStatement> out;
  // Linear in the file: positions come from a cursor that moves forward from the previous
  // statement, and each byte is copied once, into the statement that holds it.
  LineColumnCursor position(sql);
  auto add = [&](std::size_t begin, std::string text) {
    auto [line, column] = position.at(begin);
    out.push_back(
        SqlStatement{static_cast<int>(out.size()) + 1, begin, line, column, std::move(text)});
  };
  std::size_t start = skip_sql_trivia(sql, 0, sql.size(), BlockComments::kFlat);
  // The text from `start` through the last ';' tried, which sqlite3_complete() did not accept
  // (the ';' is inside a string, comment or trigger body): later tries append to it.
  std::string candidate;
  while (start < sql.size()) {
    if (candidate.empty() && sql[start] == ';') {  // an empty statement: nothing to run
      start = skip_sql_trivia(sql, start + 1, sql.size(), BlockComments::kFlat);
      continue;
    }
    const std::size_t tried = start + candidate.size();
    const auto semi = sql.find(';', tried);
    if (semi == std::string::npos) {
      candidate.append(sql, tried, std::string::npos);
      if (sqlite3_complete((candidate + "\n;").c_str()) != 1) {
        auto [line, column] = position.at(start);
        fail(ErrorCode::kSourceInvalid,
             fmt::format("statement {} starting here is not complete (unterminated string, "
                         "comment, quoted name or trigger body)",
                         out.size() + 1),
             "close the open quote, comment or BEGIN...END block, and end the statement with ';'",
             {file.file, file.version, static_cast<int>(out.size()) + 1, line, column});
      }
      add(start, std::move(candidate));
      break;
    }
    candidate.append(sql, tried, semi + 1 - tried);
    // sqlite3_complete() cannot resume, so a statement with k semicolons inside it (a trigger
    // body) is read k times; any other statement once.
    if (sqlite3_complete(candidate.c_str()) == 1) {
      add(start, std::move(candidate));
      candidate.clear();
      start = skip_sql_trivia(sql, semi + 1, sql.size(), BlockComments::kFlat);
    }
  }
  return out;
}

}  // namespace migrate
