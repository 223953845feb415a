// The rules, driven by data: sql_fixtures/rules/<rule-id>/ holds bad*.sql files with the
// findings of that rule expected next to them (bad*.expected: one "line:column severity" per
// line) and good*.sql files where the rule must stay silent. An optional options.json sets
// server_version_num, table_rows and the other catalog facts (materialized_views,
// installed_extensions, extension_requires) for rules that use a connection's facts. A new case is
// a new file, not new C++.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "migrate/analysis.hpp"
#include "support/migration_factory.hpp"

namespace migrate {
namespace {

const std::filesystem::path kRules =
    std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures/rules";

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

AnalysisOptions options_for(const RuleInfo& rule, const std::filesystem::path& dir) {
  AnalysisOptions o;
  o.dialect = rule.dialect.value_or(Dialect::kPostgres);
  if (std::filesystem::exists(dir / "options.json")) {
    auto j = nlohmann::json::parse(slurp(dir / "options.json"));
    if (j.contains("dialect")) o.dialect = *parse_dialect(j["dialect"].get<std::string>());
    if (j.contains("server_version_num")) o.server_version_num = j["server_version_num"].get<int>();
    if (j.contains("require_qualified_names"))
      o.require_qualified_names = j["require_qualified_names"].get<bool>();
    if (j.contains("table_rows"))
      for (auto& [k, v] : j["table_rows"].items()) o.table_rows[k] = v.get<double>();
    if (j.contains("materialized_views"))
      for (auto& [k, v] : j["materialized_views"].items())
        o.materialized_views[k] = MaterializedViewFacts{v.value("populated", true),
                                                        v.value("usable_unique_index", false)};
    if (j.contains("installed_extensions"))
      o.installed_extensions = j["installed_extensions"].get<std::vector<std::string>>();
    if (j.contains("extension_requires"))
      for (auto& [k, v] : j["extension_requires"].items())
        o.extension_requires[k] = v.get<std::vector<std::string>>();
  }
  return o;
}

// Findings of `rule_id` in `file`, as "line:column severity", in order. A file may start with
// `-- setup: <file>` lines naming sibling files analysed first, as earlier migrations already
// applied (as `plan` sees them), `-- setup-pending: <file>` for earlier migrations that run in
// the same run as the file, `-- pending: unknown` to analyse as `lint` does, not knowing which
// migrations are applied, and `-- down of: <file>`: then `file` is the down file of a migration
// whose up file is that sibling, analysed as a rollback plan analyses it (after the up files).
std::vector<std::string> findings_of(const std::string& rule_id, const std::filesystem::path& file,
                                     AnalysisOptions options) {
  std::vector<Migration> migrations;
  std::istringstream lines(slurp(file));
  std::string line;
  int n = 0;
  std::optional<std::filesystem::path> down_of;
  options.pending_versions.emplace();
  bool pending_unknown = false;
  while (std::getline(lines, line)) {
    if (line.starts_with("-- down of: ")) {
      down_of = file.parent_path() / line.substr(12);
      continue;
    }
    if (line.starts_with("-- pending: unknown")) {
      pending_unknown = true;
      continue;
    }
    if (!line.starts_with("-- setup")) break;
    const bool pending = line.starts_with("-- setup-pending: ");
    auto setup = file.parent_path() / line.substr(pending ? 18 : 10);
    migrations.push_back(testing::make_migration(std::to_string(++n), "setup", slurp(setup)));
    if (pending) options.pending_versions->insert(migrations.back().version.str());
  }
  if (down_of) {
    // A rollback reverts an applied migration: not pending.
    migrations.push_back(
        testing::make_migration(std::to_string(++n), rule_id, slurp(*down_of), slurp(file)));
  } else {
    migrations.push_back(testing::make_migration(std::to_string(++n), rule_id, slurp(file)));
    options.pending_versions->insert(migrations.back().version.str());
  }
  if (pending_unknown) options.pending_versions.reset();
  std::vector<const Migration*> ptrs;
  for (auto& m : migrations) ptrs.push_back(&m);
  auto result =
      down_of ? analyze_rollback(ptrs, {ptrs.back()}, options) : analyze_migrations(ptrs, options);
  if (!result) throw std::runtime_error(file.string() + ": " + result.error().describe());
  std::vector<std::string> out;
  for (const auto& f : result->back().findings)
    if (f.rule_id == rule_id && !f.suppressed)
      out.push_back(std::to_string(f.where.line) + ":" + std::to_string(f.where.column) + " " +
                    to_string(f.severity));
  return out;
}

std::vector<std::string> expected_lines(const std::filesystem::path& file) {
  std::vector<std::string> out;
  std::istringstream in(slurp(file));
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && !line.starts_with("#")) out.push_back(line);
  return out;
}

class RuleFixtures : public ::testing::TestWithParam<std::string> {};

TEST_P(RuleFixtures, BadFilesGiveTheExpectedFindingsAndGoodFilesNone) {
  const std::string id = GetParam();
  const RuleInfo* rule = nullptr;
  for (const auto& r : rule_catalog())
    if (r.id == id) rule = &r;
  ASSERT_NE(rule, nullptr);
  auto dir = kRules / id;
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << "every rule needs fixtures in " << dir;
  auto options = options_for(*rule, dir);
  int bad = 0, good = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (e.path().extension() != ".sql") continue;
    if (name.starts_with("bad")) {
      ++bad;
      auto expected_file = e.path();
      expected_file.replace_extension(".expected");
      ASSERT_TRUE(std::filesystem::exists(expected_file)) << expected_file;
      auto expected = expected_lines(expected_file);
      EXPECT_FALSE(expected.empty()) << expected_file << " must list at least one finding";
      EXPECT_EQ(findings_of(id, e.path(), options), expected) << e.path();
    } else if (name.starts_with("good")) {
      ++good;
      EXPECT_EQ(findings_of(id, e.path(), options), std::vector<std::string>{}) << e.path();
    }
  }
  EXPECT_GE(bad, 1) << id << " has no bad*.sql fixture";
  EXPECT_GE(good, 1) << id << " has no good*.sql fixture";
}

std::vector<std::string> all_rule_ids() {
  std::vector<std::string> ids;
  for (const auto& r : rule_catalog()) ids.push_back(r.id);
  return ids;
}

INSTANTIATE_TEST_SUITE_P(Catalog, RuleFixtures, ::testing::ValuesIn(all_rule_ids()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string name = p.param;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

TEST(RuleCatalog, IdsAreUniqueKebabCaseAndEveryRuleIsDocumented) {
  std::set<std::string> seen;
  for (const auto& r : rule_catalog()) {
    EXPECT_TRUE(seen.insert(r.id).second) << "duplicate rule id " << r.id;
    EXPECT_EQ(r.id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-"), std::string::npos)
        << r.id;
    EXPECT_FALSE(r.why.empty()) << r.id;
    EXPECT_FALSE(r.alternative.empty()) << r.id;
    EXPECT_FALSE(r.bad_example.empty()) << r.id;
  }
  // Every fixture directory belongs to a rule (a renamed rule must move its fixtures).
  for (const auto& e : std::filesystem::directory_iterator(kRules)) {
    if (e.is_directory()) {
      EXPECT_TRUE(seen.count(e.path().filename().string())) << e.path();
    }
  }
}

TEST(RuleCatalog, DocsRulesMdIsGeneratedFromTheCatalog) {
  std::string docs = slurp(std::filesystem::path(MIGRATE_SOURCE_DIR) / "docs/rules.md");
  EXPECT_EQ(docs, rules_markdown())
      << "docs/rules.md is stale: regenerate it with `migrate rules --markdown > docs/rules.md`";
}

}  // namespace
}  // namespace migrate
