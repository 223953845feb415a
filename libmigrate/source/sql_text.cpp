#include "libmigrate/source/sql_text.hpp"

#include <algorithm>
#include <cstring>

namespace migrate {

std::pair<int, int> line_and_column(const std::string& text, std::size_t offset) {
  return LineColumnCursor(text).at(offset);
}

std::pair<int, int> LineColumnCursor::at(std::size_t offset) {
  // [line_start_, scanned_) holds no newline, so only an earlier line needs a new scan.
  if (offset < line_start_) *this = LineColumnCursor(text_);
  const std::size_t end = std::min(offset, text_.size());
  while (scanned_ < end) {
    const void* newline = std::memchr(text_.data() + scanned_, '\n', end - scanned_);
    if (newline == nullptr) {
      scanned_ = end;
      break;
    }
    ++line_;
    line_start_ = static_cast<std::size_t>(static_cast<const char*>(newline) - text_.data()) + 1;
    scanned_ = line_start_;
  }
  return {line_, static_cast<int>(offset - line_start_) + 1};
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
