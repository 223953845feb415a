#include "libmigrate/plan/analysis_gate.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "libmigrate/error/failure.hpp"

namespace migrate {
namespace {

void say(const AnalysisPolicy& policy, LogLevel level, const std::string& message) {
  if (policy.log) policy.log(level, message);
}

}  // namespace

AnalysisOptions catalog_analysis_options(Backend& backend,
                                         const std::vector<std::string>& relations,
                                         const AnalysisPolicy& policy) {
  AnalysisOptions ao;
  ao.dialect = backend.dialect();
  auto facts = backend.catalog_facts(relations, policy.probe_lock_timeout);
  for (const auto& t : facts.never_analyzed) {
    auto it = facts.table_rows.find(t);
    say(policy, LogLevel::kInfo,
        it == facts.table_rows.end()
            ? fmt::format("catalog: {} was never analyzed and its size could not be read: no row "
                          "estimate; ANALYZE {} for one",
                          t, t)
            : fmt::format("catalog: {} was never analyzed; about {:.0f} rows estimated from its "
                          "size; ANALYZE {} for a better estimate",
                          t, it->second, t));
  }
  if (facts.server_version_num > 0) ao.server_version_num = facts.server_version_num;
  ao.table_rows = std::move(facts.table_rows);
  ao.extension_requires = std::move(facts.extension_requires);
  ao.installed_extensions = std::move(facts.installed_extensions);
  ao.materialized_views = std::move(facts.materialized_views);
  return ao;
}

// Runs the analyzer over every migration up to the plan's last apply step (earlier ones teach it
// what exists) with facts from the live catalog, and attaches each apply step's analysis.
void analyze_plan(const MigrationSet& source, Plan& plan, Backend& backend,
                  const AnalysisPolicy& policy) {
  std::optional<Version> last;
  std::set<std::string> seen;
  std::vector<std::string> relations;
  for (const auto& step : plan.steps) {
    if (step.kind != StepKind::kApply) continue;
    auto v = *Version::parse(step.version);
    if (!last || *last < v) last = v;
    for (const auto& st : step.statements)
      for (const auto& r : st.relations)
        if (seen.insert(r).second) relations.push_back(r);
  }
  if (!last) return;
  AnalysisOptions ao = catalog_analysis_options(backend, relations, policy);
  ao.pending_versions.emplace();
  for (const auto& step : plan.steps)
    if (step.kind == StepKind::kApply) ao.pending_versions->insert(step.version);
  std::vector<const Migration*> migrations;
  for (const auto& m : source.migrations)
    if (!(*last < m.version)) migrations.push_back(&m);
  auto analyses = analyze_migrations(migrations, ao);
  if (!analyses) {
    // The executor reports real errors with their location; the analysis only advises.
    say(policy, LogLevel::kWarn, "analysis skipped: " + analyses.error().describe());
    return;
  }
  std::map<std::string, MigrationAnalysis*> by_version;
  for (auto& a : analyses.value()) by_version[a.version] = &a;
  for (auto& step : plan.steps) {
    if (step.kind != StepKind::kApply) continue;
    if (auto it = by_version.find(step.version); it != by_version.end())
      step.analysis = std::move(*it->second);
  }
}

// apply refuses error-level findings nobody suppressed, before anything runs.
void refuse_unsafe(const Plan& plan, const AnalysisPolicy& policy) {
  std::string list;
  std::size_t count = 0;
  SourceLocation first;
  for (const auto& step : plan.steps) {
    if (!step.analysis) continue;
    for (const Finding* f : step.analysis->blocking()) {
      if (count++ == 0) first = f->where;
      list += fmt::format("\n  {}:{}:{}: [{}] {}\n    fix: {}", f->where.file, f->where.line,
                          f->where.column, f->rule_id, f->message, f->alternative);
    }
  }
  if (count == 0) return;
  if (policy.allow_unsafe) {
    say(policy, LogLevel::kWarn,
        fmt::format("applying despite {} unsafe finding(s) (--allow-unsafe):{}", count, list));
    return;
  }
  fail(ErrorCode::kUnsafeMigration,
       fmt::format("{} unsafe finding(s) in the migrations to apply; nothing was applied:{}", count,
                   list),
       "use the safe alternative shown, or accept one in the migration with `-- migrate:allow "
       "<rule-id> reason "
       "\"...\"` (or the whole run with --allow-unsafe)",
       first);
}

}  // namespace migrate
