// Every SQLite rule, in catalog order, and the small pieces of the rule framework
// (sqlite_rule.hpp) that are not about one rule. Each rule lives in sqlite_rules/<rule_id>.cpp.
#include <fmt/format.h>

#include <algorithm>

#include "libmigrate/analysis/analysis_internal.hpp"
#include "libmigrate/analysis/sqlite_rule.hpp"

namespace migrate {

bool SqliteStatementFacts::has_action(int code) const {
  return std::any_of(actions.begin(), actions.end(),
                     [code](const SqliteAction& a) { return a.code == code; });
}

void SqliteFindingSink::report_at(int position, const RuleInfo& rule, std::string message,
                                  std::string alternative, std::optional<Severity> severity) {
  Finding f;
  f.rule_id = rule.id;
  f.severity = severity.value_or(rule.severity);
  f.message = std::move(message);
  f.alternative = alternative.empty() ? rule.alternative : std::move(alternative);
  entries_.push_back({position, std::move(f)});
}

std::string sqlite_version_text(int v) {
  return fmt::format("{}.{}.{}", v / 1000000, (v / 1000) % 1000, v % 1000);
}

const std::vector<std::unique_ptr<SqliteRule>>& sqlite_rules() {
  static const std::vector<std::unique_ptr<SqliteRule>> rules = [] {
    std::vector<std::unique_ptr<SqliteRule>> v;
    v.push_back(make_sqlite_table_rebuild());            // SL-01
    v.push_back(make_sqlite_add_column_restrictions());  // SL-02
    v.push_back(make_sqlite_drop_column());              // SL-03
    v.push_back(make_sqlite_set_not_null());             // SL-04
    v.push_back(make_sqlite_long_write_transaction());   // SL-05, SL-07
    v.push_back(make_sqlite_version_gated());            // SL-06 and friends
    return v;
  }();
  return rules;
}

const std::vector<RuleInfo>& sqlite_rule_infos() {
  static const std::vector<RuleInfo> infos = [] {
    std::vector<RuleInfo> v;
    for (const auto& r : sqlite_rules()) v.push_back(r->info());
    return v;
  }();
  return infos;
}

}  // namespace migrate
