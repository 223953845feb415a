#include "libmigrate/sql/batch_placeholders.hpp"

namespace migrate {
namespace {

bool identifier_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_' ||
         u == '$' || u >= 0x80;
}

// The end of the quoted text opened at `i` by `quote` ('...', "..."), where a doubled quote
// stands for itself and, in a PostgreSQL E'...' string, a backslash escapes the next byte.
std::size_t skip_quoted(std::string_view s, std::size_t i, char quote, bool backslash) {
  for (std::size_t j = i + 1; j < s.size(); ++j) {
    if (backslash && s[j] == '\\') {
      ++j;
      continue;
    }
    if (s[j] != quote) continue;
    if (j + 1 < s.size() && s[j + 1] == quote) {
      ++j;
      continue;
    }
    return j + 1;
  }
  return s.size();
}

// PostgreSQL block comments nest.
std::size_t skip_block_comment(std::string_view s, std::size_t i, bool nested) {
  int depth = 0;
  for (std::size_t j = i; j + 1 < s.size(); ++j) {
    if (s[j] == '/' && s[j + 1] == '*') {
      if (depth == 0 || nested) ++depth;
      ++j;
    } else if (s[j] == '*' && s[j + 1] == '/') {
      --depth;
      ++j;
      if (depth == 0) return j + 1;
    }
  }
  return s.size();
}

// `$tag$ ... $tag$` at `i`, or npos when `i` does not open a dollar-quoted string.
std::size_t skip_dollar_quoted(std::string_view s, std::size_t i) {
  std::size_t j = i + 1;
  while (j < s.size() && s[j] != '$') {
    const auto u = static_cast<unsigned char>(s[j]);
    const bool tag_byte = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' ||
                          u >= 0x80 || (j > i + 1 && u >= '0' && u <= '9');
    if (!tag_byte) return std::string_view::npos;
    ++j;
  }
  if (j >= s.size()) return std::string_view::npos;
  const std::string_view tag = s.substr(i, j - i + 1);
  const std::size_t close = s.find(tag, j + 1);
  return close == std::string_view::npos ? s.size() : close + tag.size();
}

bool names_placeholder(std::string_view s, std::size_t i, std::string_view name) {
  return s.substr(i, name.size()) == name &&
         (i + name.size() == s.size() || !identifier_byte(s[i + name.size()]));
}

}  // namespace

std::vector<BatchPlaceholder> find_batch_placeholders(std::string_view s, Dialect dialect) {
  std::vector<BatchPlaceholder> out;
  const bool postgres = dialect == Dialect::kPostgres;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      const std::size_t nl = s.find('\n', i);
      i = nl == std::string_view::npos ? s.size() : nl + 1;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      i = skip_block_comment(s, i, postgres);
    } else if (c == '\'') {
      const bool escapes = postgres && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
                           (i < 2 || !identifier_byte(s[i - 2]));
      i = skip_quoted(s, i, '\'', escapes);
    } else if (c == '"') {
      i = skip_quoted(s, i, '"', false);
    } else if (!postgres && c == '`') {
      i = skip_quoted(s, i, '`', false);
    } else if (!postgres && c == '[') {
      const std::size_t close = s.find(']', i);
      i = close == std::string_view::npos ? s.size() : close + 1;
    } else if (postgres && c == '$' && (i == 0 || !identifier_byte(s[i - 1]))) {
      const std::size_t end = skip_dollar_quoted(s, i);
      i = end == std::string_view::npos ? i + 1 : end;
    } else if (c == ':' && (i == 0 || s[i - 1] != ':')) {
      if (names_placeholder(s, i, kBatchStart)) {
        out.push_back({i, true});
        i += kBatchStart.size();
      } else if (names_placeholder(s, i, kBatchEnd)) {
        out.push_back({i, false});
        i += kBatchEnd.size();
      } else {
        ++i;
      }
    } else if (identifier_byte(c)) {
      // A whole word at once: `$` inside an identifier does not open a dollar quote.
      while (i < s.size() && identifier_byte(s[i])) ++i;
    } else {
      ++i;
    }
  }
  return out;
}

std::string with_postgres_batch_parameters(const std::string& sql) {
  if (sql.find(":batch_") == std::string::npos) return sql;
  const auto found = find_batch_placeholders(sql, Dialect::kPostgres);
  if (found.empty()) return sql;
  std::string out = sql;
  for (const auto& p : found) {
    const std::size_t length = p.start ? kBatchStart.size() : kBatchEnd.size();
    out.replace(p.offset, length,
                std::string(p.start ? "$1" : "$2") + std::string(length - 2, ' '));
  }
  return out;
}

}  // namespace migrate
