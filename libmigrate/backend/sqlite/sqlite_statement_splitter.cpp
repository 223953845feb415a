#include "libmigrate/backend/sqlite/sqlite_statement_splitter.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include "libmigrate/error/failure.hpp"

namespace migrate {
namespace {

// Offset of the first character that is neither whitespace nor inside a comment, from `pos`.
// Only comment syntax is recognised here: everything else is left to sqlite3_complete.
std::size_t skip_trivia(const std::string& s, std::size_t pos) {
  while (pos < s.size()) {
    char c = s[pos];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      ++pos;
    } else if (c == '-' && pos + 1 < s.size() && s[pos + 1] == '-') {
      auto nl = s.find('\n', pos);
      pos = nl == std::string::npos ? s.size() : nl + 1;
    } else if (c == '/' && pos + 1 < s.size() && s[pos + 1] == '*') {
      auto end = s.find("*/", pos + 2);
      pos = end == std::string::npos ? s.size() : end + 2;
    } else {
      break;
    }
  }
  return pos;
}

}  // namespace

std::pair<int, int> line_and_column(const std::string& text, std::size_t offset) {
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, static_cast<int>(offset - line_start) + 1};
}

std::vector<SqlStatement> split_sqlite_statements(const std::string& sql,
                                                  const SourceLocation& file) {
  std::vector<SqlStatement> out;
  std::size_t start = skip_trivia(sql, 0);
  auto add = [&](std::size_t begin, std::size_t end) {
    auto [line, column] = line_and_column(sql, begin);
    out.push_back(SqlStatement{static_cast<int>(out.size()) + 1, begin, line, column,
                               sql.substr(begin, end - begin)});
  };
  std::size_t search = start;
  while (start < sql.size()) {
    if (sql[start] == ';') {  // an empty statement: nothing to run
      start = skip_trivia(sql, start + 1);
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
      start = skip_trivia(sql, semi + 1);
      search = start;
    } else {
      search = semi + 1;  // the ';' is inside a string, comment or trigger body
    }
  }
  return out;
}

}  // namespace migrate
