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

// Runs the analyzer over every migration up to the plan's last step (earlier ones teach it what
// exists) with facts from the live catalog, and attaches each step's analysis: an apply step's
// of its up file, a revert step's of its down file (run after every up file up to the newest
// reverted one, newest down first, as rollback runs them).
void analyze_plan(const MigrationSet& source, Plan& plan, Backend& backend,
                  const AnalysisPolicy& policy) {
  std::optional<Version> last;
  std::set<std::string> seen;
  std::vector<std::string> relations;
  std::vector<const Migration*> reverted;
  for (const auto& step : plan.steps) {
    auto v = *Version::parse(step.version);
    if (!last || *last < v) last = v;
    if (step.kind == StepKind::kRevert)
      if (const Migration* m = source.find(v)) reverted.push_back(m);
    for (const auto& st : step.statements)
      for (const auto& r : st.relations)
        if (seen.insert(r).second) relations.push_back(r);
  }
  if (!last) return;
  AnalysisOptions ao = catalog_analysis_options(backend, relations, policy);
  // Versions this run applies: the tables they create do not exist in production yet. Empty for
  // a rollback, where every migration up to the reverted ones is applied.
  ao.pending_versions.emplace();
  for (const auto& step : plan.steps)
    if (step.kind == StepKind::kApply) ao.pending_versions->insert(step.version);
  for (const auto& step : plan.steps)
    if (step.kind == StepKind::kApply && step.completes && step.expand_applied)
      ao.completed_expands.insert(*step.completes);
  std::vector<const Migration*> migrations;
  for (const auto& m : source.migrations)
    if (!(*last < m.version)) migrations.push_back(&m);
  auto analyses = reverted.empty() ? analyze_migrations(migrations, ao)
                                   : analyze_rollback(migrations, reverted, ao);
  if (!analyses) {
    // The executor reports real errors with their location; the analysis only advises.
    say(policy, LogLevel::kWarn, "analysis skipped: " + analyses.error().describe());
    return;
  }
  std::map<std::string, MigrationAnalysis*> by_version;
  for (auto& a : analyses.value()) by_version[a.version] = &a;
  for (auto& step : plan.steps) {
    if (auto it = by_version.find(step.version); it != by_version.end())
      step.analysis = std::move(*it->second);
  }
}

// libmigrate owns the transactions (and writes the history between them): a file that controls
// them is refused as a whole before anything runs, also before the statements ahead of it in a
// `transaction off` migration and before the earlier migrations of the run.
void refuse_transaction_control(const Plan& plan) {
  std::string list;
  std::size_t count = 0;
  SourceLocation first;
  for (const auto& step : plan.steps) {
    for (const auto& st : step.statements) {
      if (!st.transaction_control) continue;
      SourceLocation where{step.file.string(), step.version, st.index, st.line, st.column};
      if (count++ == 0) first = where;
      std::string sql = st.sql.substr(0, st.sql.find('\n'));
      if (sql.size() > 80) sql = sql.substr(0, 77) + "...";
      list += fmt::format("\n  {}:{}:{}: version {}, statement {}: {}", where.file, where.line,
                          where.column, step.version, st.index, sql);
    }
  }
  if (count == 0) return;
  fail(
      ErrorCode::kSourceInvalid,
      fmt::format("{} transaction control statement(s) (BEGIN, COMMIT, ROLLBACK, SAVEPOINT...) "
                  "in the migrations to {}; nothing was run and nothing was recorded:{}",
                  count, plan.steps.front().kind == StepKind::kApply ? "apply" : "roll back", list),
      "remove them: each migration runs in its own transaction (its history row commits with "
      "it); for statements that cannot run in a transaction, put `-- migrate:transaction off` "
      "at the top of the file and each statement runs on its own",
      first);
}

void refuse_before_running(const Plan& plan, const AnalysisPolicy& policy) {
  refuse_transaction_control(plan);
  refuse_unsafe(plan, policy);
}

// apply refuses error-level findings nobody suppressed, before anything runs.
void refuse_unsafe(const Plan& plan, const AnalysisPolicy& policy) {
  std::string list;
  std::size_t count = 0;
  SourceLocation first;
  std::string grandfathered;
  std::size_t grandfathered_count = 0;
  for (const auto& step : plan.steps) {
    if (!step.analysis) continue;
    if (policy.check_after) {
      auto v = Version::parse(step.version);
      if (v && !(*policy.check_after < *v)) {
        for (const Finding* f : step.analysis->blocking()) {
          ++grandfathered_count;
          grandfathered += fmt::format("\n  {}:{}:{}: [{}] {}", f->where.file, f->where.line,
                                       f->where.column, f->rule_id, f->message);
        }
        continue;
      }
    }
    for (const Finding* f : step.analysis->blocking()) {
      if (count++ == 0) first = f->where;
      list += fmt::format("\n  {}:{}:{}: [{}] {}\n    fix: {}", f->where.file, f->where.line,
                          f->where.column, f->rule_id, f->message, f->alternative);
    }
  }
  if (grandfathered_count > 0)
    say(policy, LogLevel::kInfo,
        fmt::format("{} unsafe finding(s) in migrations at or below the analysis start point V{} "
                    "(--check-after) are reported, not refused:{}",
                    grandfathered_count, policy.check_after->original(), grandfathered));
  if (count == 0) return;
  if (policy.allow_unsafe) {
    say(policy, LogLevel::kWarn,
        fmt::format("{} unsafe finding(s) accepted by --allow-unsafe for the {}:{}", count,
                    plan.steps.front().kind == StepKind::kApply ? "apply" : "rollback", list));
    return;
  }
  fail(ErrorCode::kUnsafeMigration,
       fmt::format("{} unsafe finding(s) in the migrations to {}; nothing was {}:{}", count,
                   plan.steps.front().kind == StepKind::kApply ? "apply" : "roll back",
                   plan.steps.front().kind == StepKind::kApply ? "applied" : "rolled back", list),
       "use the safe alternative shown, or accept one in the migration with `-- migrate:allow "
       "<rule-id> reason "
       "\"...\"` (or the whole run with --allow-unsafe)",
       first);
}

}  // namespace migrate
