// A property every input must satisfy. A violation aborts, which libFuzzer reports as a crash
// and saves the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "libmigrate/sql/sql_statement.hpp"

namespace migrate::fuzz {

inline void require(bool holds, const char* property) {
  if (holds) return;
  std::fprintf(stderr, "property violated: %s\n", property);
  std::abort();
}

// 1-based line and byte column of `offset` in `text`, counted here independently of the
// library's own LineColumnCursor so the two can be compared.
struct LineColumn {
  int line = 1;
  int column = 1;
};
inline LineColumn line_column_of(std::string_view text, std::size_t offset) {
  LineColumn at;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++at.line;
      line_start = i + 1;
    }
  }
  at.column = static_cast<int>(offset - line_start) + 1;
  return at;
}

// What both splitters promise about the statements of `sql`: numbered 1, 2, ... in file order,
// each a piece of the input at its offset, the pieces in order without overlap, each starting
// with a significant character, and line/column pointing at that offset.
inline void require_split_well_formed(std::string_view sql,
                                      const std::vector<SqlStatement>& statements) {
  std::size_t previous_end = 0;
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const SqlStatement& s = statements[i];
    require(s.index == static_cast<int>(i) + 1, "statements are numbered 1, 2, ...");
    require(!s.sql.empty(), "no statement is empty");
    require(s.offset >= previous_end, "statements come in file order and do not overlap");
    require(s.offset <= sql.size() && s.sql.size() <= sql.size() - s.offset,
            "a statement lies within the input");
    require(sql.substr(s.offset, s.sql.size()) == s.sql,
            "a statement's text is the input's text at its offset");
    LineColumn expected = line_column_of(sql, s.offset);
    require(s.line == expected.line && s.column == expected.column,
            "a statement's line and column are those of its offset");
    previous_end = s.offset + s.sql.size();
  }
}

// An error's position, when it has one, is inside the input (or just past its last byte).
inline void require_position_in_input(std::string_view sql, int line, int column) {
  if (line == 0 && column == 0) return;
  require(line >= 1 && column >= 1, "an error position is 1-based");
  std::size_t line_start = 0;
  for (int l = 1; l < line; ++l) {
    auto nl = sql.find('\n', line_start);
    require(nl != std::string_view::npos, "an error's line exists in the input");
    line_start = nl + 1;
  }
  auto line_end = sql.find('\n', line_start);
  if (line_end == std::string_view::npos) line_end = sql.size();
  require(static_cast<std::size_t>(column) <= line_end - line_start + 1,
          "an error's column is within its line");
}

}  // namespace migrate::fuzz
