#include "libmigrate/source/sql_text.hpp"

#include <algorithm>

namespace migrate {

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

std::size_t skip_sql_trivia(const std::string& s, std::size_t pos, std::size_t end,
                            BlockComments comments) {
  end = std::min(end, s.size());
  while (pos < end) {
    char c = s[pos];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      ++pos;
    } else if (s.compare(pos, 2, "--") == 0) {
      auto nl = s.find('\n', pos);
      pos = nl == std::string::npos || nl >= end ? end : nl + 1;
    } else if (s.compare(pos, 2, "/*") == 0) {
      int depth = 1;
      pos += 2;
      while (pos < end && depth > 0) {
        if (comments == BlockComments::kNested && s.compare(pos, 2, "/*") == 0) {
          ++depth;
          pos += 2;
        } else if (s.compare(pos, 2, "*/") == 0) {
          --depth;
          pos += 2;
        } else {
          ++pos;
        }
      }
    } else {
      break;
    }
  }
  return std::min(pos, end);
}

}  // namespace migrate
