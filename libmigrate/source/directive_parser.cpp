// The directive block: `-- migrate:<key> <value>` lines among the comments and blank lines at
// the top of a file. Each key is one row of kDirectiveKeys; adding a key is adding a row.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <optional>
#include <string_view>

#include "libmigrate/error/failure.hpp"
#include "migrate/source.hpp"

namespace migrate {
namespace {

std::string_view trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

template <typename Enum, std::size_t N>
std::optional<Enum> parse_enum(std::string_view text, const std::array<Enum, N>& values) {
  for (Enum v : values)
    if (text == to_string(v)) return v;
  return std::nullopt;
}

struct DirectiveKey {
  std::string_view key;
  std::string_view syntax;  // shown in errors
  // Sets the field; returns false if `value` is not valid for this key.
  std::function<bool(Directives&, std::string_view value)> apply;
};

// `<rule-id> [reason "..."]`; a missing reason is accepted here and reported by the analyzer
// as a finding of its own, next to the finding it silences.
bool parse_allow(Directives& d, std::string_view v) {
  auto space = v.find_first_of(" \t");
  std::string_view id = v.substr(0, space);
  if (id.empty() ||
      id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string_view::npos)
    return false;
  std::string_view rest =
      space == std::string_view::npos ? std::string_view{} : trim(v.substr(space));
  std::string reason;
  if (!rest.empty()) {
    if (rest.substr(0, 6) != "reason") return false;
    rest = trim(rest.substr(6));
    if (rest.size() < 2 || rest.front() != '"' || rest.back() != '"') return false;
    reason = std::string(trim(rest.substr(1, rest.size() - 2)));
  }
  d.allows.push_back(Suppression{std::string(id), reason, 0});
  return true;
}

// `[batch-size=N] [target-batch-time=D] [pause=D] [key=column] [max-replica-lag=D]`, in any
// order, each at most once.
bool parse_backfill(Directives& d, std::string_view v) {
  BackfillOptions o;
  std::vector<std::string_view> seen;
  while (!(v = trim(v)).empty()) {
    const auto space = v.find_first_of(" \t");
    const std::string_view item = v.substr(0, space);
    v = space == std::string_view::npos ? std::string_view{} : v.substr(space);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == item.size()) return false;
    const std::string_view name = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) return false;
    seen.push_back(name);
    if (name == "batch-size") {
      std::int64_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || end != value.data() + value.size() || n < 1 || n > 10'000'000)
        return false;
      o.batch_size = n;
    } else if (name == "target-batch-time" || name == "pause" || name == "max-replica-lag") {
      auto duration = parse_duration(value);
      if (!duration) return false;
      if (name == "target-batch-time") {
        if (duration->count() == 0) return false;
        o.target_batch_time = duration;
      } else if (name == "pause") {
        o.pause = duration;
      } else {
        o.max_replica_lag = duration;
      }
    } else if (name == "key") {
      // An identifier, optionally qualified: letters, digits, _ and one dot.
      if (value.find_first_not_of(
              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") !=
              std::string_view::npos ||
          value.front() == '.' || value.back() == '.' ||
          std::count(value.begin(), value.end(), '.') > 1)
        return false;
      o.key = std::string(value);
    } else {
      return false;
    }
  }
  d.backfill = std::move(o);
  return true;
}

const std::array<DirectiveKey, 10>& directive_keys() {
  static const std::array<DirectiveKey, 10> keys{{
      {"class", "additive|backward-compatible|data-backfill|breaking",
       [](Directives& d, std::string_view v) {
         d.declared_class = parse_enum(
             v, std::array{MigrationClass::kAdditive, MigrationClass::kBackwardCompatible,
                           MigrationClass::kDataBackfill, MigrationClass::kBreaking});
         return d.declared_class.has_value();
       }},
      {"phase", "expand|contract",
       [](Directives& d, std::string_view v) {
         d.phase = parse_enum(v, std::array{Phase::kExpand, Phase::kContract});
         return d.phase.has_value();
       }},
      {"completes", "V<version of the expand migration>",
       [](Directives& d, std::string_view v) {
         d.completes = Version::parse(v);
         return d.completes.has_value();
       }},
      {"lock-timeout", "<n>ms|<n>s|<n>min|<n>h",
       [](Directives& d, std::string_view v) {
         d.lock_timeout = parse_duration(v);
         return d.lock_timeout.has_value();
       }},
      {"statement-timeout", "<n>ms|<n>s|<n>min|<n>h",
       [](Directives& d, std::string_view v) {
         d.statement_timeout = parse_duration(v);
         return d.statement_timeout.has_value();
       }},
      {"transaction", "on|off",
       [](Directives& d, std::string_view v) {
         if (v != "on" && v != "off") return false;
         d.transactional = v == "on";
         return true;
       }},
      {"foreign-keys", "check|enforce",
       [](Directives& d, std::string_view v) {
         d.foreign_keys =
             parse_enum(v, std::array{ForeignKeyMode::kCheck, ForeignKeyMode::kEnforce});
         return d.foreign_keys.has_value();
       }},
      {"allow", "<rule-id> reason \"why it is safe here\"", parse_allow},
      {"backfill",
       "[batch-size=N] [target-batch-time=200ms] [pause=50ms] [key=column] "
       "[max-replica-lag=5s]",
       parse_backfill},
      {"backfill-check", "<query that returns no rows once the backfill is complete>",
       [](Directives& d, std::string_view v) {
         if (v.empty()) return false;
         d.backfill_check = std::string(v);
         return true;
       }},
  }};
  return keys;
}

constexpr std::string_view kPrefix = "migrate:";

// If `line` is a `-- migrate:...` comment, the text after "migrate:".
std::optional<std::string_view> directive_body(std::string_view line) {
  line = trim(line);
  if (line.substr(0, 2) != "--") return std::nullopt;
  line = trim(line.substr(2));
  if (line.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  return line.substr(kPrefix.size());
}

std::string known_keys() {
  std::string out;
  for (const auto& k : directive_keys()) out += (out.empty() ? "" : ", ") + std::string(k.key);
  return out;
}

}  // namespace

// A bare number is refused: its unit would be a guess. The ceiling is what every consumer can
// hold: SQLite's busy timeout and PostgreSQL's timeouts are 32-bit milliseconds (24.8 days).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end == text.data() || n < 0) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::int64_t scale = 0;
  if (unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "min")
    scale = 60'000;
  else if (unit == "h")
    scale = 3'600'000;
  else
    return std::nullopt;
  if (n > kMaxDurationMs / scale) return std::nullopt;
  return std::chrono::milliseconds(n * scale);
}

std::string leading_description(const std::string& sql) {
  std::string out;
  std::string_view rest = sql;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    const std::string_view line = trim(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (line.empty()) {
      if (!out.empty()) break;  // a blank line ends the description paragraph
      continue;
    }
    if (line.substr(0, 2) != "--") break;
    if (directive_body(line)) continue;
    const std::string_view text = trim(line.substr(2));
    if (text.empty()) continue;
    if (!out.empty()) out += ' ';
    out += text;
  }
  return out;
}

Result<Directives> parse_directives(const std::string& sql, const std::string& file) {
  Directives d;
  std::vector<std::string_view> seen;
  bool in_header = true;
  int line_no = 0;
  std::string_view rest = sql;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    ++line_no;
    auto t = trim(line);
    bool comment = t.substr(0, 2) == "--";
    if (!t.empty() && !comment) in_header = false;
    auto body = directive_body(line);
    if (!body) continue;
    int column = static_cast<int>(line.find('-')) + 1;
    SourceLocation where{file, {}, 0, line_no, column};
    if (!in_header) {
      return Error{ErrorCode::kSourceInvalid,
                   "directive after the first SQL statement: directives must be in the leading "
                   "comment block",
                   "move this `-- migrate:` line to the top of the file, before any SQL",
                   where,
                   {}};
    }
    auto space = body->find_first_of(" \t");
    std::string_view key = body->substr(0, space);
    std::string_view value =
        space == std::string_view::npos ? std::string_view{} : trim(body->substr(space));
    const auto& keys = directive_keys();
    auto it =
        std::find_if(keys.begin(), keys.end(), [&](const DirectiveKey& k) { return k.key == key; });
    if (it == keys.end()) {
      return Error{
          ErrorCode::kSourceInvalid,
          fmt::format("unknown directive key '{}'", key),
          fmt::format("use one of: {}; or write a plain comment without 'migrate:'", known_keys()),
          where,
          {}};
    }
    if (key != "allow" && std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return Error{ErrorCode::kSourceInvalid,
                   fmt::format("directive '{}' is given twice", key),
                   "keep one `-- migrate:" + std::string(key) + "` line",
                   where,
                   {}};
    }
    seen.push_back(it->key);
    const std::size_t allows_before = d.allows.size();
    if (!it->apply(d, value)) {
      return Error{ErrorCode::kSourceInvalid,
                   fmt::format("directive '{}' has invalid value '{}'", key, value),
                   fmt::format("write `-- migrate:{} {}`", key, it->syntax),
                   where,
                   {}};
    }
    if (d.allows.size() > allows_before) d.allows.back().line = line_no;
  }
  return d;
}

}  // namespace migrate
