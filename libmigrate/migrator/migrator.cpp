// The facade: turns Options into the narrow policies of the layers below, opens the backend, and
// hands runs to the run engine (exec/run_engine) and reads to the history store. Exceptions stop
// here and become Error values.
#include "migrate/migrator.hpp"

#include <openssl/rand.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/error/failure.hpp"
#include "libmigrate/exec/run_engine.hpp"
#include "libmigrate/history/history_store.hpp"
#include "libmigrate/plan/analysis_gate.hpp"
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

PlanPolicy plan_policy(const Options& o) {
  return PlanPolicy{o.allow_out_of_order, o.retry_failed, o.sqlite_foreign_keys};
}

ExecPolicy exec_policy(const Options& o) {
  ExecPolicy p;
  p.lock_wait = o.lock_wait;
  p.lock_timeout = o.lock_timeout;
  p.statement_timeout = o.statement_timeout;
  p.lock_retries = o.lock_retries;
  p.retry_base = o.retry_base;
  p.retry_cap = o.retry_cap;
  p.preflight_min_age = o.preflight_min_age;
  p.wait_for_quiet = o.wait_for_quiet;
  p.log = o.log;
  return p;
}

AnalysisPolicy analysis_policy(const Options& o) {
  return AnalysisPolicy{o.allow_unsafe, o.lock_timeout, o.log};
}

HistoryTableName history_name(const Options& o) {
  return HistoryTableName{o.history_schema, o.history_table};
}

// Another libmigrate history table in the database while this run's does not exist: most
// likely a mistyped --history-table or --history-schema, with which every migration would be
// applied again.
struct OtherHistory {
  std::string note;
  std::string fix;
};

std::optional<OtherHistory> other_history(HistoryStore& history) {
  if (history.format() != 0) return std::nullopt;
  auto others = history.other_history_tables();
  if (others.empty()) return std::nullopt;
  std::string list;
  for (const auto& t : others) list += (list.empty() ? "" : ", ") + t;
  const std::string& name = others.front();
  auto dot = name.find('.');
  std::string flags = dot == std::string::npos
                          ? fmt::format("--history-table {}", name)
                          : fmt::format("--history-schema {} --history-table {}",
                                        name.substr(0, dot), name.substr(dot + 1));
  return OtherHistory{
      fmt::format("history table {} does not exist, but this database has libmigrate history "
                  "table(s) {}: a new history would treat every migration as pending",
                  history.attempts_sql_name(), list),
      fmt::format("pass {} (or set it in migrate.toml) to continue that history; to start a "
                  "separate history on purpose, run `migrate apply --new-history` once",
                  flags)};
}

void refuse_unintended_new_history(Backend& backend, const Options& options) {
  if (options.new_history) return;
  HistoryStore history(backend, history_name(options));
  if (auto other = other_history(history))
    fail(ErrorCode::kHistoryIncompatible, other->note + "; nothing was applied", other->fix);
}

RunReport run(const Options& options, const MigrationSet& source, bool validate_apply,
              std::function<Plan(const PlanContext&)> make_plan, const Observer& observer) {
  std::unique_ptr<Backend> backend;
  RunIdentity identity;
  try {
    backend = open(options, false);
    if (validate_apply) refuse_unintended_new_history(*backend, options);
    identity = identity_for(*backend, options);
  } catch (const Failure& f) {
    return RunReport{{}, {}, f.error()};
  } catch (const std::exception& e) {
    return RunReport{{},
                     {},
                     Error{ErrorCode::kInternal,
                           e.what(),
                           "this is a bug in libmigrate; please report it",
                           {},
                           {}}};
  }
  RunRequest request{source,
                     history_name(options),
                     plan_policy(options),
                     exec_policy(options),
                     analysis_policy(options),
                     validate_apply,
                     std::move(make_plan)};
  return run_plan(*backend, request, identity, observer);
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
  PlanPolicy policy;
  std::vector<VersionStatus> statuses;

  PlanContext context() const { return {source, statuses, policy, *backend}; }
};

ReadOnlyView read_only_view(const Options& options) {
  ReadOnlyView view{load_or_fail(options), open(options, true), plan_policy(options), {}};
  HistoryStore history(*view.backend, history_name(options));
  view.statuses = derive_status(view.source, history.read_attempts());
  if (options.log && !options.new_history)
    if (auto other = other_history(history))
      options.log(LogLevel::kWarn, other->note + "; fix: " + other->fix);
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
    check_apply_preconditions(view.context());
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
    check_apply_preconditions(view.context());
    view.backend->begin_read();  // SQLite: one read transaction for every statement described
    Plan plan = build_apply_plan(view.context(), target);
    view.backend->rollback();
    plan.dialect = view.backend->dialect();
    analyze_plan(view.source, plan, *view.backend, analysis_policy(options_));
    return plan;
  });
}

Result<Plan> Migrator::plan_rollback(const RollbackTarget& target) const {
  return as_result([&] {
    auto view = read_only_view(options_);
    view.backend->begin_read();
    Plan plan = build_rollback_plan(view.context(), target);
    view.backend->rollback();
    plan.dialect = view.backend->dialect();
    return plan;
  });
}

RunReport Migrator::apply(const std::optional<std::string>& target, const Observer& observer) {
  auto source = load_directory(options_.migrations_dir);
  if (!source) return RunReport{{}, {}, source.error()};
  return run(
      options_, source.value(), true,
      [&](const PlanContext& ctx) { return build_apply_plan(ctx, target); }, observer);
}

RunReport Migrator::rollback(const RollbackTarget& target, const Observer& observer) {
  auto source = load_directory(options_.migrations_dir);
  if (!source) return RunReport{{}, {}, source.error()};
  return run(
      options_, source.value(), false,
      [&](const PlanContext& ctx) { return build_rollback_plan(ctx, target); }, observer);
}

}  // namespace migrate
