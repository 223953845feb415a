#include "libmigrate/plan/plan_estimates.hpp"

#include <map>
#include <set>

namespace migrate {

EstimateInputs read_estimate_inputs(HistoryStore& history, Dialect dialect) {
  EstimateInputs inputs;
  inputs.dialect = dialect;
  inputs.calibration = history.read_calibration();
  inputs.samples = history.read_estimate_samples();
  return inputs;
}

void estimate_plan(Plan& plan, Backend& backend, const EstimateInputs& inputs,
                   std::chrono::milliseconds probe_lock_timeout) {
  // The tables worked on, each read once.
  std::vector<std::string> tables;
  std::set<std::string> seen;
  auto want = [&](const std::string& t) {
    if (!t.empty() && seen.insert(t).second) tables.push_back(t);
  };
  for (const auto& step : plan.steps) {
    if (!step.analysis) continue;
    for (const auto& a : step.analysis->statements) want(a.work.table);
    for (const auto& st : step.statements)
      if (st.backfill) want(st.backfill->table);
  }
  const auto statistics = backend.table_statistics(tables, probe_lock_timeout);
  for (auto& step : plan.steps) {
    std::map<int, const StatementAnalysis*> by_index;
    if (step.analysis)
      for (const auto& a : step.analysis->statements) by_index[a.index] = &a;
    for (auto& st : step.statements) {
      auto it = by_index.find(st.index);
      if (it == by_index.end()) {
        st.estimate = Estimate{};
        st.estimate.basis = "no basis: the statement was not analyzed";
        continue;
      }
      const StatementAnalysis& a = *it->second;
      StatementFacts facts;
      facts.backfill = st.backfill ? &*st.backfill : nullptr;
      const std::string& table = st.backfill ? st.backfill->table : a.work.table;
      facts.table_name = table;
      if (auto s = statistics.find(table); s != statistics.end()) facts.table = &s->second;
      // The planner knows how many rows a WHERE keeps; only on tables that exist already (a
      // statement on a table this plan creates cannot be planned yet).
      if ((a.work.kind == WorkKind::kDataChange || st.backfill) &&
          (facts.table || (a.work.table.empty() && !st.backfill)))
        facts.planned_rows = backend.planned_rows(st.sql, probe_lock_timeout);
      st.estimate = estimate_statement(a, facts, inputs);
    }
  }
  total_estimates(plan);
}

}  // namespace migrate
