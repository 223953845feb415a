// The directive block parser: any text gives directives within their documented ranges or a
// SOURCE_INVALID error that points inside the text; durations print and parse back unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/property.hpp"
#include "migrate/source.hpp"

namespace {

using migrate::fuzz::require;

int line_count(std::string_view text) {
  int lines = 1;
  for (char c : text) lines += c == '\n';
  return lines;
}

void check_duration(const std::optional<std::chrono::milliseconds>& d) {
  if (!d) return;
  require(d->count() >= 0 && d->count() <= migrate::kMaxDurationMs,
          "a duration is within 0..kMaxDurationMs");
  auto again = migrate::parse_duration(std::to_string(d->count()) + "ms");
  require(again && *again == *d, "a duration printed in ms parses back to itself");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string sql(reinterpret_cast<const char*>(data), size);
  auto parsed = migrate::parse_directives(sql, "V1__fuzz.up.sql");
  if (!parsed) {
    const migrate::Error& e = parsed.error();
    require(e.code == migrate::ErrorCode::kSourceInvalid, "a bad directive is SOURCE_INVALID");
    require(e.where.file == "V1__fuzz.up.sql", "a directive error names its file");
    require(e.where.line >= 1 && e.where.column >= 1, "a directive error has a position");
    migrate::fuzz::require_position_in_input(sql, e.where.line, e.where.column);
    require(!e.hint.empty(), "a directive error says how to fix it");
  } else {
    const migrate::Directives& d = parsed.value();
    check_duration(d.lock_timeout);
    check_duration(d.statement_timeout);
    for (const auto& allow : d.allows) {
      require(!allow.rule_id.empty(), "an allow names a rule");
      require(allow.line >= 1 && allow.line <= line_count(sql), "an allow's line is in the file");
    }
  }
  // The whole input as one duration value too: the parser behind lock-timeout and the CLI flags.
  check_duration(migrate::parse_duration(sql));
  return 0;
}
