// identifier-too-long (catalog HYG-01): PostgreSQL silently truncates identifiers longer than 63
// bytes, so the object gets another name than the one written, and two long names can collide.
//
// The parse tree only ever holds the truncated name (the scanner truncates before the grammar
// sees it), so this rule reads PostgreSQL's own token stream (pg_query_scan): each identifier
// token's extent in the statement gives the length as written.
#include <fmt/format.h>
#include <pg_query.h>

#include <cstdint>
#include <optional>
#include <set>

#include "libmigrate/analysis/pg_rule.hpp"

namespace migrate {
namespace {

constexpr std::size_t kMaxIdentifierBytes = 63;  // NAMEDATALEN - 1
constexpr std::uint64_t kIdentToken = 258;       // pg_query.proto: Token.IDENT

// A minimal reader for the two messages of pg_query's ScanResult (pg_query.proto):
// ScanResult { int32 version = 1; repeated ScanToken tokens = 2; }
// ScanToken { int32 start = 1; int32 end = 2; Token token = 4; KeywordKind keyword_kind = 5; }
class ProtoReader {
 public:
  ProtoReader(const char* data, std::size_t len) : p_(data), end_(data + len) {}
  bool done() const { return p_ >= end_; }

  std::optional<std::uint64_t> varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      const auto b = static_cast<unsigned char>(*p_++);
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return std::nullopt;
  }

  // Reads one field: its number, and either its varint value or its bytes (wire type 2).
  struct Field {
    std::uint64_t number = 0;
    std::uint64_t value = 0;
    const char* bytes = nullptr;
    std::size_t size = 0;
  };
  std::optional<Field> field() {
    auto key = varint();
    if (!key) return std::nullopt;
    Field f;
    f.number = *key >> 3;
    switch (*key & 7) {
      case 0: {
        auto v = varint();
        if (!v) return std::nullopt;
        f.value = *v;
        return f;
      }
      case 1:
        return skip(8) ? std::optional(f) : std::nullopt;
      case 2: {
        auto n = varint();
        if (!n || *n > static_cast<std::uint64_t>(end_ - p_)) return std::nullopt;
        f.bytes = p_;
        f.size = static_cast<std::size_t>(*n);
        p_ += f.size;
        return f;
      }
      case 5:
        return skip(4) ? std::optional(f) : std::nullopt;
      default:
        return std::nullopt;
    }
  }

 private:
  bool skip(std::size_t n) {
    if (n > static_cast<std::size_t>(end_ - p_)) return false;
    p_ += n;
    return true;
  }
  const char* p_;
  const char* end_;
};

struct Token {
  std::size_t start = 0;
  std::size_t end = 0;  // exclusive
};

// The identifier tokens of `sql`, by byte extent; empty if the scanner fails.
std::vector<Token> identifier_tokens(const std::string& sql) {
  std::vector<Token> out;
  PgQueryScanResult result = pg_query_scan(sql.c_str());
  if (result.error == nullptr) {
    ProtoReader scan(result.pbuf.data, result.pbuf.len);
    while (!scan.done()) {
      auto f = scan.field();
      if (!f) break;
      if (f->number != 2 || f->bytes == nullptr) continue;
      ProtoReader token(f->bytes, f->size);
      Token t;
      std::uint64_t kind = 0;
      while (!token.done()) {
        auto tf = token.field();
        if (!tf) break;
        if (tf->number == 1) t.start = static_cast<std::size_t>(tf->value);
        if (tf->number == 2) t.end = static_cast<std::size_t>(tf->value);
        if (tf->number == 4) kind = tf->value;
      }
      if (kind == kIdentToken && t.start < t.end && t.end <= sql.size()) out.push_back(t);
    }
  }
  pg_query_free_scan_result(result);
  return out;
}

// Whether `sql` can hold an identifier token longer than kMaxIdentifierBytes, without running the
// scanner: an unquoted one is a run of more than 63 identifier bytes (letters, digits, _, $ and
// the bytes of non-ASCII characters); a quoted one runs from a '"' to the next '"' that is not
// doubled. Every '"' is tried as an opening quote, so quotes inside strings or comments can only
// make this say yes where the scanner finds nothing. Most statements have no such run and skip
// the scan, which costs as much as parsing the statement.
bool may_hold_long_identifier(const std::string& sql) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const auto c = static_cast<unsigned char>(sql[i]);
    const bool identifier_byte = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                 (c >= '0' && c <= '9') || c == '_' || c == '$' || c >= 0x80;
    run = identifier_byte ? run + 1 : 0;
    if (run > kMaxIdentifierBytes) return true;
    if (c != '"') continue;
    std::size_t j = i + 1;
    while (j < sql.size() && j - i + 1 <= kMaxIdentifierBytes) {
      if (sql[j] == '"') {
        if (j + 1 < sql.size() && sql[j + 1] == '"') {
          j += 2;
          continue;
        }
        break;
      }
      ++j;
    }
    // The token [i, j] (or, unterminated, [i, end)) is longer than 63 bytes.
    if (j - i + 1 > kMaxIdentifierBytes) return true;
  }
  return false;
}

// The identifier a token stands for: quotes removed and "" undoubled; unquoted names folded to
// lower case, as PostgreSQL does.
std::string identifier_of(const std::string& sql, const Token& t) {
  std::string text = sql.substr(t.start, t.end - t.start);
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') {
    for (char& c : text)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return text;
  }
  std::string out;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    out += text[i];
    if (text[i] == '"' && i + 2 < text.size() && text[i + 1] == '"') ++i;
  }
  return out;
}

// PostgreSQL's truncation: 63 bytes, backed off to a whole UTF-8 character.
std::string truncated(const std::string& id) {
  std::size_t n = kMaxIdentifierBytes;
  while (n > 0 && (static_cast<unsigned char>(id[n]) & 0xC0) == 0x80) --n;
  return id.substr(0, n);
}

class IdentifierTooLong final : public PgRule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo rule{
        "identifier-too-long",
        Dialect::kPostgres,
        Severity::kWarning,
        MigrationClass::kAdditive,
        LockLevel::kNone,
        "PostgreSQL truncates identifiers longer than 63 bytes without an error (only a "
        "NOTICE): the table, column, index or constraint gets a different name than the one in "
        "the migration, tools that look it up by the full name do not find it, and two long "
        "names with the same first 63 bytes collide.",
        "Use names of at most 63 bytes (mind multi-byte characters); abbreviate, e.g. "
        "idx_<table>_<columns> with shortened words.",
        "CREATE INDEX CONCURRENTLY idx_customer_subscription_renewals_by_customer_and_billing_"
        "period ON renewals (customer_id, period);",
        "CREATE INDEX CONCURRENTLY idx_renewals_customer_period ON renewals (customer_id, "
        "period);"};
    return rule;
  }

  void check(const PgStatementFacts& facts, const PgMigrationContext&,
             FindingSink& sink) const override {
    const std::string& sql = facts.statement.sql;
    if (!may_hold_long_identifier(sql)) return;
    std::set<std::string> seen;
    for (const Token& t : identifier_tokens(sql)) {
      if (t.end - t.start <= kMaxIdentifierBytes) continue;  // quoted or not, it fits
      const std::string id = identifier_of(sql, t);
      if (id.size() <= kMaxIdentifierBytes || !seen.insert(id).second) continue;
      sink.report(info(),
                  fmt::format("identifier \"{}\" is {} bytes: PostgreSQL truncates it to \"{}\"",
                              id, id.size(), truncated(id)),
                  "shorten \"" + id + "\" to at most 63 bytes");
    }
  }
};

}  // namespace

std::unique_ptr<PgRule> make_identifier_too_long() {
  return std::make_unique<IdentifierTooLong>();
}

}  // namespace migrate
