// Positions in SQL text, shared by both dialects' splitters and error reports.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace migrate {

// 1-based line and byte column of `offset` in `text`. Scans from the start of `text`: for the
// positions of many offsets in one text use LineColumnCursor.
std::pair<int, int> line_and_column(const std::string& text, std::size_t offset);

// Line and column of increasing offsets in one text, each scan starting where the previous one
// stopped, so the positions of every statement of a file cost one pass over the file. `text` must
// outlive the cursor.
class LineColumnCursor {
 public:
  explicit LineColumnCursor(std::string_view text) : text_(text) {}

  // 1-based line and byte column of `offset`, as line_and_column gives them. An offset on an
  // earlier line than the previous one is answered too, by scanning again from the start.
  std::pair<int, int> at(std::size_t offset);

 private:
  std::string_view text_;
  std::size_t scanned_ = 0;     // newlines before this offset are counted in line_
  std::size_t line_start_ = 0;  // offset of the first byte of line_
  int line_ = 1;
};

enum class BlockComments { kFlat, kNested };  // SQLite: /* */ do not nest; PostgreSQL: they do

// The first offset in [pos, end) that is neither whitespace nor inside a -- or /* */ comment.
// Only comment syntax is recognised: the dialect's own tokenizer does everything else.
std::size_t skip_sql_trivia(const std::string& s, std::size_t pos, std::size_t end,
                            BlockComments comments);

}  // namespace migrate
