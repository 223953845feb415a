#include "libmigrate/plan/phase_gate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>

#include "libmigrate/error/failure.hpp"

namespace migrate {

const char* to_string(PhaseScope p) noexcept {
  switch (p) {
    case PhaseScope::kExpand:
      return "expand";
    case PhaseScope::kContract:
      return "contract";
    case PhaseScope::kAll:
      return "all";
  }
  return "expand";
}

std::optional<PhaseScope> parse_phase_scope(std::string_view text) {
  for (PhaseScope p : {PhaseScope::kExpand, PhaseScope::kContract, PhaseScope::kAll})
    if (text == to_string(p)) return p;
  return std::nullopt;
}

namespace {

// Versions applied by an earlier run: applied in the history, and not by an earlier attempt of
// this same invocation (a reconnect), after which no deploy can have happened.
std::set<std::string> applied_by_earlier_runs(const PlanContext& ctx) {
  std::set<std::string> out;
  for (const auto& s : ctx.statuses)
    if (s.last_applied && !ctx.policy.applied_by_this_invocation.count(s.version))
      out.insert(s.version);
  return out;
}

// A contract in force for rollback: applied, or an attempt of it that failed or was interrupted
// after some of its statements ran (a non-transactional contract half done).
bool contract_in_force(const VersionStatus& s) {
  if (s.last_applied) return true;
  return s.last_attempt && s.last_attempt->direction == Direction::kUp &&
         s.last_attempt->success != true && s.last_attempt->statement_index > 0;
}

std::string quoted_description(const Migration* m) {
  if (!m || m->description.empty()) return {};
  std::string d = m->description;
  if (d.size() > 400) d = d.substr(0, 397) + "...";
  return fmt::format(" (\"{}\")", d);
}

std::string list(const std::vector<std::string>& versions) {
  std::string out;
  for (const auto& v : versions) out += (out.empty() ? "" : ", ") + v;
  return out;
}

PhaseStop make_stop(const PlanContext& ctx, const Migration& contract, bool expand_applied,
                    bool expand_in_run, std::vector<std::string> waiting) {
  const Migration* expand =
      contract.directives.completes ? ctx.source.find(*contract.directives.completes) : nullptr;
  PhaseStop stop;
  stop.version = contract.version.str();
  stop.name = contract.name;
  stop.file = contract.up.path.string();
  stop.expand_version =
      contract.directives.completes ? contract.directives.completes->str() : std::string();
  stop.expand_name = expand ? expand->name : std::string();
  stop.expand_description = expand ? expand->description : std::string();
  stop.expand_applied = expand_applied;
  stop.waiting = std::move(waiting);
  std::string before;
  if (!contract.directives.completes)
    before =
        "It names no expand (`-- migrate:completes V<expand>`), so what must be deployed "
        "first is not known";
  else if (expand_applied)
    before = fmt::format(
        "Before it, deploy the application version expand {} was made for{} "
        "everywhere",
        stop.expand_version, quoted_description(expand));
  else if (expand_in_run)
    before = fmt::format(
        "This run applies expand {} first; then deploy the application version "
        "it was made for{} everywhere",
        stop.expand_version, quoted_description(expand));
  else
    before = fmt::format(
        "Expand {} is not applied (see `migrate status`): apply it, then deploy "
        "the application version it was made for{} everywhere",
        stop.expand_version, quoted_description(expand));
  stop.reason = fmt::format(
      "stops before version {} ({}): it is a contract migration{}, and runs only once no deployed "
      "code needs what it removes. {}. Then run `migrate apply --phase contract`.",
      stop.version, stop.name,
      stop.expand_version.empty()
          ? std::string()
          : fmt::format(", completing expand {} ({})", stop.expand_version, stop.expand_name),
      before);
  if (!stop.waiting.empty())
    stop.reason += fmt::format(
        " {} later migration(s) wait behind it ({}): migrations apply in version order, since a "
        "later one may rely on what the contract removes (a freed name, a dropped column); they "
        "run after it.",
        stop.waiting.size(), list(stop.waiting));
  return stop;
}

// ISO-8601 UTC as the history writes it ("2026-11-23T07:15:14.123Z") to Unix seconds; nullopt
// when malformed.
std::optional<std::int64_t> unix_seconds(const std::string& iso) {
  std::tm tm{};
  if (std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm));
}

// Every contract of the directory by the version of the expand it completes: built once, so
// `status` stays linear in the number of migrations.
std::multimap<std::string, const Migration*> contracts_by_expand(const MigrationSet& source) {
  std::multimap<std::string, const Migration*> out;
  for (const auto& m : source.migrations)
    if (m.directives.phase == Phase::kContract && m.directives.completes)
      out.emplace(m.directives.completes->str(), &m);
  return out;
}

}  // namespace

ApplyGate gate_apply(const PlanContext& ctx, const std::vector<const VersionStatus*>& candidates,
                     bool explicit_target) {
  const std::set<std::string> applied = applied_by_earlier_runs(ctx);
  std::set<std::string> in_plan;
  ApplyGate gate;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const VersionStatus& s = *candidates[i];
    const Migration& m = *ctx.source.find(*Version::parse(s.version));
    in_plan.insert(s.version);
    if (m.directives.phase != Phase::kContract) continue;
    // A contract without `completes` is refused by the analyzer (contract-without-expand) before
    // it runs; until then it is gated like any contract, as if its expand were applied.
    const std::string expand =
        m.directives.completes ? m.directives.completes->str() : std::string("?");
    const bool expand_before = !m.directives.completes || applied.count(expand) > 0;
    // Applied by this run: earlier in the plan, or by an attempt of this invocation that lost its
    // connection before it reconnected.
    const bool expand_here =
        in_plan.count(expand) > 0 || ctx.policy.applied_by_this_invocation.count(expand) > 0;
    const SourceLocation where{m.up.path.string(), s.version, 0, 1, 1};
    // --phase contract runs a contract whose expand an earlier run applied (the deploy happened
    // since); --phase all also one whose expand this run applies. Any other contract is where
    // the plan stops, as the default stops at every contract.
    const bool allowed = (ctx.policy.phase == PhaseScope::kContract && expand_before) ||
                         (ctx.policy.phase == PhaseScope::kAll && (expand_before || expand_here));
    if (allowed) {
      gate.contracts_with_expand_applied.insert(s.version);
      continue;
    }
    std::vector<std::string> waiting;
    for (std::size_t j = i + 1; j < candidates.size(); ++j)
      waiting.push_back(candidates[j]->version);
    PhaseStop stop = make_stop(ctx, m, expand_before, expand_here, std::move(waiting));
    if (explicit_target || ctx.policy.phase == PhaseScope::kAll) {
      std::string fix;
      if (ctx.policy.phase == PhaseScope::kAll)
        fix = fmt::format(
            "apply expand {} first (it may have failed or be out of order: see "
            "`migrate status`)",
            expand);
      else if (ctx.policy.phase == PhaseScope::kContract)
        fix = fmt::format(
            "apply up to expand {} (`--target {}`), deploy the code it was made "
            "for, then run with --phase contract again; on a database no deployed "
            "code uses, --phase all runs both at once",
            expand, expand);
      else
        fix = fmt::format(
            "apply without --target (or with a target below {}), deploy, then pass "
            "--phase contract; on a database no deployed code uses, --phase all",
            s.version);
      fail(ErrorCode::kPhaseOrder,
           fmt::format("{}; nothing was applied: the plan {}",
                       explicit_target ? "--target is at or beyond a contract migration that "
                                         "cannot run in this run"
                                       : "a contract's expand is neither applied nor part of "
                                         "this run",
                       stop.reason),
           fix, where);
    }
    gate.allowed = i;
    gate.stop = std::move(stop);
    return gate;
  }
  gate.allowed = candidates.size();
  return gate;
}

void refuse_rollback_across_phases(const PlanContext& ctx,
                                   const std::vector<const VersionStatus*>& reverted) {
  if (ctx.policy.phase == PhaseScope::kAll) return;
  std::map<std::string, const VersionStatus*> by_version;
  for (const auto& s : ctx.statuses) by_version[s.version] = &s;
  std::vector<std::string> crossings;
  std::optional<Version> highest_expand;
  const auto contracts = contracts_by_expand(ctx.source);
  for (const VersionStatus* s : reverted) {
    const Migration* expand = ctx.source.find(*Version::parse(s->version));
    if (!expand || expand->directives.phase != Phase::kExpand) continue;
    const auto [first, last] = contracts.equal_range(expand->version.str());
    for (auto c = first; c != last; ++c) {
      const Migration& m = *c->second;
      auto it = by_version.find(m.version.str());
      if (it == by_version.end() || !contract_in_force(*it->second)) continue;
      crossings.push_back(fmt::format("expand {} ({}): its contract {} ({}) is {}",
                                      expand->version.str(), expand->name, m.version.str(), m.name,
                                      it->second->last_applied ? "applied"
                                                               : "partly applied (its attempt "
                                                                 "stopped after some statements)"));
      if (!highest_expand || *highest_expand < expand->version) highest_expand = expand->version;
    }
  }
  if (crossings.empty()) return;
  // Rolling back to the highest crossed expand reverts every contract above it and keeps every
  // crossed expand: the first of the two phases.
  std::string detail;
  for (const auto& c : crossings) detail += "\n  " + c;
  fail(ErrorCode::kPhaseOrder,
       fmt::format("rollback refused before doing anything: it would revert {} expand "
                   "migration(s) whose contract is applied, so the deployed code already relies "
                   "on what the expand added:{}",
                   crossings.size(), detail),
       fmt::format("roll back in two phases: `migrate rollback --target {}` reverts the "
                   "contract(s) and keeps the expand(s); deploy the application version that "
                   "uses the old schema; then roll back further. On a database no deployed code "
                   "uses, pass --phase all",
                   highest_expand->str()));
}

std::vector<WaitingExpand> waiting_expands(const MigrationSet& source,
                                           const std::vector<VersionStatus>& statuses,
                                           std::int64_t now) {
  std::map<std::string, const VersionStatus*> by_version;
  for (const auto& s : statuses) by_version[s.version] = &s;
  auto applied = [&](const Migration& m) {
    auto it = by_version.find(m.version.str());
    return it != by_version.end() && it->second->last_applied ? it->second : nullptr;
  };
  const auto contracts = contracts_by_expand(source);
  std::vector<WaitingExpand> out;
  for (const auto& e : source.migrations) {
    if (e.directives.phase != Phase::kExpand) continue;
    const VersionStatus* s = applied(e);
    if (!s) continue;
    const auto [first, last] = contracts.equal_range(e.version.str());
    std::vector<std::string> pending;
    for (auto c = first; c != last; ++c)
      if (!applied(*c->second)) pending.push_back(c->second->version.str());
    if (first != last && pending.empty()) continue;
    WaitingExpand w;
    w.version = e.version.str();
    w.name = e.name;
    w.description = e.description;
    w.applied_at = s->last_applied->finished_at.value_or(s->last_applied->started_at);
    if (auto t = unix_seconds(w.applied_at))
      w.waiting_seconds = std::max<std::int64_t>(0, now - *t);
    w.contracts = std::move(pending);
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace migrate
