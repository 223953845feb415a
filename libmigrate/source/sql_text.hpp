// Positions in SQL text, shared by both dialects' splitters and error reports.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

namespace migrate {

// 1-based line and byte column of `offset` in `text`.
std::pair<int, int> line_and_column(const std::string& text, std::size_t offset);

enum class BlockComments { kFlat, kNested };  // SQLite: /* */ do not nest; PostgreSQL: they do

// The first offset in [pos, end) that is neither whitespace nor inside a -- or /* */ comment.
// Only comment syntax is recognised: the dialect's own tokenizer does everything else.
std::size_t skip_sql_trivia(const std::string& s, std::size_t pos, std::size_t end,
                            BlockComments comments);

}  // namespace migrate
