// The facade: opens the backend, takes the lock, re-reads the history under it, plans, and
// hands each step to the executor. Exceptions stop here and become Error values.
#include "migrate/migrator.hpp"

#include <openssl/rand.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <thread>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/error/failure.hpp"
#include "libmigrate/exec/step_executor.hpp"
#include "libmigrate/plan/planner.hpp"
#include "migrate/library_version.hpp"

namespace migrate {
namespace {

template <typename F>
auto as_result(F&& body) -> Result<decltype(body())> {
  try {
    return body();
  } catch (const Failure& f) {
    return f.error();
  } catch (const std::exception& e) {
    return Error{
        ErrorCode::kInternal, e.what(), "this is a bug in libmigrate; please report it", {}, {}};
  }
}

MigrationSet load_or_fail(const Options& options) {
  auto set = load_directory(options.migrations_dir);
  if (!set) throw Failure(set.error());
  return std::move(set).value();
}

std::unique_ptr<Backend> open(const Options& options, bool read_only) {
  BackendOptions b;
  b.history_table = options.history_table;
  b.history_schema = options.history_schema;
  b.read_only = read_only;
  b.lock_wait = options.lock_wait;
  b.application_name = options.application_name;
  b.log = options.log;
  return open_backend(options.database_url, b);
}

std::string new_run_id() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    fail(ErrorCode::kInternal, "OpenSSL could not produce random bytes for the run id");
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // UUID version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  std::string hex;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
    hex += fmt::format("{:02x}", bytes[i]);
  }
  return hex;
}

RunIdentity identity_for(Backend& backend, const Options& options) {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  return RunIdentity{new_run_id(), backend.installed_by(),
                     fmt::format("{}:{}:{}", host.data(), getpid(), options.application_name),
                     kLibraryVersion};
}

void log(const Options& options, LogLevel level, const std::string& message) {
  if (options.log) options.log(level, message);
}

StepSession session_for(const PlannedStep& step) {
  return StepSession{step.transactional, step.foreign_keys,
                     SourceLocation{step.file.string(), step.version, 0, 0, 0}};
}

// The state every decision is made from, read inside the lock.
struct LockedView {
  std::vector<VersionStatus> statuses;
};

// Long transactions that hold or wait for locks on the plan's tables would make its statements
// queue (and everyone behind them): report them, wait for them if asked, refuse if they stay.
void preflight(Backend& backend, const Plan& plan, const Options& options) {
  std::vector<std::string> relations;
  for (const auto& step : plan.steps)
    for (const auto& st : step.statements)
      for (const auto& r : st.relations)
        if (std::find(relations.begin(), relations.end(), r) == relations.end())
          relations.push_back(r);
  auto deadline = std::chrono::steady_clock::now() + options.wait_for_quiet;
  while (true) {
    auto sessions = backend.long_transactions(relations, options.preflight_min_age);
    if (sessions.empty()) return;
    std::string list;
    for (const auto& s : sessions) {
      list += fmt::format("\n  pid {} ({}, {}), {}, transaction age {:.0f}s, {}: {}", s.pid,
                          s.application_name, s.client_addr, s.state, s.transaction_age_s, s.lock,
                          s.query);
    }
    if (options.wait_for_quiet.count() == 0) {
      log(options, LogLevel::kWarn,
          fmt::format("pre-flight: {} long transaction(s) hold or wait for locks on tables of this "
                      "plan; its "
                      "statements may time out on lock_timeout and retry:{}",
                      sessions.size(), list));
      return;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      fail(ErrorCode::kBusy,
           fmt::format("pre-flight: {} long transaction(s) still hold or wait for locks on tables "
                       "of this plan "
                       "after waiting {} ms:{}",
                       sessions.size(), options.wait_for_quiet.count(), list),
           "let them finish (or end them with pg_terminate_backend), then run apply again; nothing "
           "was applied");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

// A killed run's lock connection closes at once, but a statement it had sent keeps running on its
// work connection until the server finishes it. Resuming before then would run it twice.
void wait_for_interrupted_statements(Backend& backend, const std::vector<VersionStatus>& statuses,
                                     const Options& options) {
  for (const auto& s : statuses) {
    if (s.state != State::kRunning || !s.last_attempt) continue;
    auto deadline = std::chrono::steady_clock::now() + options.lock_wait;
    while (true) {
      auto left = backend.sessions_of_run(s.last_attempt->client);
      if (left.empty()) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        std::string list;
        for (const auto& l : left)
          list +=
              fmt::format("\n  pid {} ({}), {}: {}", l.pid, l.application_name, l.state, l.query);
        fail(ErrorCode::kLockTimeout,
             fmt::format("version {} was interrupted, but its run ({}) still has sessions open; "
                         "waited {} ms:{}",
                         s.version, s.last_attempt->client, options.lock_wait.count(), list),
             "wait for the statement to finish, or end it with SELECT pg_terminate_backend(pid), "
             "then apply again");
      }
      log(options, LogLevel::kInfo,
          fmt::format(
              "version {} was interrupted; waiting for its run's statement on pid {} to end",
              s.version, left.front().pid));
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
}

// Runs the analyzer over every migration up to the plan's last apply step (earlier ones teach it
// what exists) with facts from the live catalog, and attaches each apply step's analysis.
void analyze_plan(const MigrationSet& source, Plan& plan, Backend& backend,
                  const Options& options) {
  std::optional<Version> last;
  std::vector<std::string> relations;
  for (const auto& step : plan.steps) {
    if (step.kind != StepKind::kApply) continue;
    auto v = *Version::parse(step.version);
    if (!last || *last < v) last = v;
    for (const auto& st : step.statements)
      for (const auto& r : st.relations)
        if (std::find(relations.begin(), relations.end(), r) == relations.end())
          relations.push_back(r);
  }
  if (!last) return;
  AnalysisOptions ao;
  ao.dialect = backend.dialect() == "postgresql" ? "postgresql" : "sqlite";
  auto facts = backend.catalog_facts(relations);
  if (facts.server_version_num > 0) ao.server_version_num = facts.server_version_num;
  ao.table_rows = std::move(facts.table_rows);
  ao.extension_requires = std::move(facts.extension_requires);
  ao.installed_extensions = std::move(facts.installed_extensions);
  std::vector<const Migration*> migrations;
  for (const auto& m : source.migrations)
    if (!(*last < m.version)) migrations.push_back(&m);
  auto analyses = analyze_migrations(migrations, ao);
  if (!analyses) {
    // The executor reports real errors with their location; the analysis only advises.
    log(options, LogLevel::kWarn, "analysis skipped: " + analyses.error().describe());
    return;
  }
  for (auto& step : plan.steps) {
    if (step.kind != StepKind::kApply) continue;
    for (auto& a : *analyses)
      if (a.version == step.version) step.analysis = a;
  }
}

// apply refuses error-level findings nobody suppressed, before anything runs.
void refuse_unsafe(const Plan& plan, const Options& options) {
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
  if (options.allow_unsafe) {
    log(options, LogLevel::kWarn,
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

// Makes the plan from state read under the lock; `max_steps` as in build_apply_plan.
using PlanFn = std::function<Plan(const PlanContext&, std::size_t max_steps)>;

// Runs the steps of whatever `make_plan` returns, one at a time: each iteration takes the lock,
// re-reads the history, re-plans, and runs the first step if it is still the one expected.
RunReport run_steps(const Options& options, const MigrationSet& source, const PlanFn& make_plan,
                    const Observer& observer, bool validate_apply) {
  RunReport report;
  std::unique_ptr<Backend> backend;
  std::optional<StepExecutor> executor;
  bool in_step = false;  // a failure inside a step is reported with that step's outcome
  try {
    backend = open(options, false);
    auto identity = identity_for(*backend, options);
    report.run_id = identity.run_id;
    executor.emplace(*backend, identity, options, observer);
    backend->acquire_run_lock(options.lock_wait);

    // The full plan, made under the lock, so refusals happen before anything runs.
    // PostgreSQL's advisory lock dies with its session: holding it proves that an attempt left
    // without an outcome belongs to a dead process.
    const bool exclusive = backend->dialect() == "postgresql";
    StepSession probe{true, options.sqlite_foreign_keys, {}};
    backend->begin(probe, options.lock_wait);
    std::vector<std::string> expected;
    try {
      auto statuses = derive_status(source, backend->read_history());
      if (exclusive) wait_for_interrupted_statements(*backend, statuses, options);
      PlanContext ctx{source, statuses, options, *backend, exclusive};
      if (validate_apply) check_apply_preconditions(ctx);
      // Splitting every file up front also means a malformed statement anywhere in the plan
      // is reported before the first migration runs.
      Plan full = make_plan(ctx, 0);
      for (const auto& s : full.steps) expected.push_back(s.version);
      if (validate_apply) {
        analyze_plan(source, full, *backend, options);
        refuse_unsafe(full, options);
      }
      backend->commit(StepSession{false, options.sqlite_foreign_keys, {}});
      preflight(*backend, full, options);
    } catch (...) {
      backend->rollback();
      throw;
    }

    std::size_t done = 0;
    std::optional<ForeignKeyMode> session_mode;
    while (done < expected.size()) {
      StepSession session{true, session_mode.value_or(options.sqlite_foreign_keys), {}};
      backend->begin(session, options.lock_wait);
      PlannedStep step;
      try {
        auto statuses = derive_status(source, backend->read_history());
        PlanContext ctx{source, statuses, options, *backend, exclusive};
        if (validate_apply) check_apply_preconditions(ctx);
        Plan plan = make_plan(ctx, 1);
        if (plan.steps.empty()) {  // another process did the rest
          backend->rollback();
          break;
        }
        step = plan.steps.front();
        if (step.foreign_keys != session.foreign_keys) {
          // The foreign-key pragma only takes effect outside a transaction: start over with it.
          backend->rollback();
          session_mode = step.foreign_keys;
          continue;
        }
      } catch (...) {
        backend->rollback();
        throw;
      }
      const Migration& migration = *source.find(*Version::parse(step.version));
      log(options, LogLevel::kInfo,
          fmt::format("{} version {} ({}): {} statement(s){}",
                      step.kind == StepKind::kApply ? "applying" : "reverting", step.version,
                      step.name, step.statements.size(),
                      step.transactional ? "" : ", no transaction"));
      in_step = true;
      report.steps.push_back(executor->run(step, migration, session_for(step)));
      in_step = false;
      log(options, LogLevel::kInfo,
          fmt::format("version {} done in {} ms", step.version, report.steps.back().execution_ms));
      if (std::find(expected.begin(), expected.end(), step.version) != expected.end()) ++done;
      session_mode.reset();
    }
    backend->release_run_lock();
  } catch (const Failure& f) {
    report.error = f.error();
    if (in_step) report.steps.push_back(executor->last_outcome());
  } catch (const std::exception& e) {
    report.error = Error{
        ErrorCode::kInternal, e.what(), "this is a bug in libmigrate; please report it", {}, {}};
  }
  return report;
}

}  // namespace

Migrator::Migrator(Options options) : options_(std::move(options)) {}

Result<MigrationSet> Migrator::load_source() const {
  return load_directory(options_.migrations_dir);
}

namespace {

// Files, a read-only connection and the state derived from both: what the commands that
// change nothing work from. Opening read-only creates neither the database nor the table.
struct ReadOnlyView {
  MigrationSet source;
  std::unique_ptr<Backend> backend;
  std::vector<VersionStatus> statuses;

  PlanContext context(const Options& options) const {
    return {source, statuses, options, *backend};
  }
};

ReadOnlyView read_only_view(const Options& options) {
  ReadOnlyView view{load_or_fail(options), open(options, true), {}};
  view.statuses = derive_status(view.source, view.backend->read_history());
  return view;
}

}  // namespace

Result<std::vector<VersionStatus>> Migrator::status() const {
  return as_result([&] { return read_only_view(options_).statuses; });
}

Result<std::vector<DatabaseSession>> Migrator::lock_holders() const {
  return as_result([&] { return open(options_, true)->run_lock_holders(); });
}

Result<std::vector<VersionStatus>> Migrator::validate() const {
  return as_result([&] {
    auto view = read_only_view(options_);
    check_apply_preconditions(view.context(options_));
    // Every file must split cleanly, applied or not: a broken down file is found now, not
    // during an emergency rollback.
    for (const auto& m : view.source.migrations) {
      view.backend->split(m.up.sql, {m.up.path.string(), m.version.str(), 0, 0, 0});
      if (m.down)
        view.backend->split(m.down->sql, {m.down->path.string(), m.version.str(), 0, 0, 0});
    }
    return view.statuses;
  });
}

Result<Plan> Migrator::plan_apply(const std::optional<std::string>& target) const {
  return as_result([&] {
    auto view = read_only_view(options_);
    check_apply_preconditions(view.context(options_));
    Plan plan = build_apply_plan(view.context(options_), target);
    plan.dialect = view.backend->dialect();
    analyze_plan(view.source, plan, *view.backend, options_);
    return plan;
  });
}

Result<Plan> Migrator::plan_rollback(const RollbackTarget& target) const {
  return as_result([&] {
    auto view = read_only_view(options_);
    Plan plan = build_rollback_plan(view.context(options_), target);
    plan.dialect = view.backend->dialect();
    return plan;
  });
}

RunReport Migrator::apply(const std::optional<std::string>& target, const Observer& observer) {
  auto source = load_directory(options_.migrations_dir);
  if (!source) return RunReport{{}, {}, source.error()};
  return run_steps(
      options_, source.value(),
      [&](const PlanContext& ctx, std::size_t max_steps) {
        return build_apply_plan(ctx, target, max_steps);
      },
      observer, true);
}

RunReport Migrator::rollback(const RollbackTarget& target, const Observer& observer) {
  auto source = load_directory(options_.migrations_dir);
  if (!source) return RunReport{{}, {}, source.error()};
  // Re-planning under the lock after each step keeps the set of versions chosen at the start.
  std::optional<std::vector<std::string>> chosen;
  return run_steps(
      options_, source.value(),
      [&](const PlanContext& ctx, std::size_t max_steps) {
        if (!chosen) {
          Plan first = build_rollback_plan(ctx, target, max_steps);
          chosen.emplace();
          for (const auto& s : first.steps) chosen->push_back(s.version);
          return first;
        }
        return build_rollback_plan(ctx, target, max_steps, &*chosen);
      },
      observer, false);
}

}  // namespace migrate
