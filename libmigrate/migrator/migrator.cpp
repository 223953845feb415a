// The facade: turns Options into the narrow policies of the layers below, opens the backend, and
// hands runs to the run engine (exec/run_engine) and reads to the history store. Exceptions stop
// here and become Error values.
#include "migrate/migrator.hpp"

#include <openssl/rand.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <set>
#include <thread>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/backend/database_url.hpp"
#include "libmigrate/backend/postgres/postgres_column.hpp"
#include "libmigrate/backup/database_backup.hpp"
#include "libmigrate/error/failure.hpp"
#include "libmigrate/error/sqlstate.hpp"
#include "libmigrate/exec/calibration_runner.hpp"
#include "libmigrate/exec/run_engine.hpp"
#include "libmigrate/exec/verification_check.hpp"
#include "libmigrate/history/history_store.hpp"
#include "libmigrate/history/progress_checksum.hpp"
#include "libmigrate/history/statement_checkpoint.hpp"
#include "libmigrate/history/timestamp.hpp"
#include "libmigrate/migrator/facade.hpp"
#include "libmigrate/plan/analysis_gate.hpp"
#include "libmigrate/plan/backfill_plan.hpp"
#include "libmigrate/plan/plan_estimates.hpp"
#include "libmigrate/plan/planner.hpp"
#include "migrate/library_version.hpp"

namespace migrate {
namespace facade {

// The backends redact what libpq and SQLite say; this catches whatever else may quote the URL
// (an exception from a connection the backend did not expect to fail) before it leaves the
// library.
Error without_secrets(Error e, const std::string& database_url) {
  e.message = redact_secrets(e.message, database_url);
  e.hint = redact_secrets(e.hint, database_url);
  return e;
}

// Log lines quote the same texts as errors do.
LogSink without_secrets(const LogSink& log, const std::string& database_url) {
  if (!log) return log;
  return [log, database_url](LogLevel level, const std::string& message) {
    log(level, redact_secrets(message, database_url));
  };
}

// The directory, or the set compiled in with migrate_embed: the same checks, the same checksums.
Result<MigrationSet> load_set(const Options& options) {
  if (options.embedded_migrations) return load_embedded(*options.embedded_migrations);
  return load_directory(options.migrations_dir);
}

MigrationSet load_or_fail(const Options& options) {
  auto set = load_set(options);
  if (!set) throw Failure(set.error());
  return std::move(set).value();
}

BackendOptions backend_options(const Options& options, bool read_only, const std::string& role) {
  BackendOptions b;
  b.history_table = options.history_table;
  b.history_schema = options.history_schema;
  b.read_only = read_only;
  b.lock_wait = options.lock_wait;
  b.application_name =
      role.empty() ? options.application_name : options.application_name + " " + role;
  b.log = without_secrets(options.log, options.database_url);
  return b;
}

std::unique_ptr<Backend> open(const Options& options, bool read_only) {
  return open_backend(options.database_url, backend_options(options, read_only));
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
  PlanPolicy p{o.allow_out_of_order, o.retry_failed, o.sqlite_foreign_keys, o.max_replica_lag,
               o.phase};
  p.run_verification = o.run_verification;
  return p;
}

ExecPolicy exec_policy(const Options& o, std::stop_token stop = {}) {
  ExecPolicy p;
  p.stop = std::move(stop);
  p.lock_wait = o.lock_wait;
  p.lock_timeout = o.lock_timeout;
  p.statement_timeout = o.statement_timeout;
  p.lock_retries = o.lock_retries;
  p.queue_avoidance = o.queue_avoidance;
  p.retry_base = o.retry_base;
  p.retry_cap = o.retry_cap;
  p.preflight_min_age = o.preflight_min_age;
  p.wait_for_quiet = o.wait_for_quiet;
  p.log = without_secrets(o.log, o.database_url);
  return p;
}

// Options::check_after as a version; kUsage when it is not one.
std::optional<Version> check_after_version(const Options& o) {
  if (!o.check_after) return std::nullopt;
  auto v = Version::parse(*o.check_after);
  if (!v)
    fail(ErrorCode::kUsage,
         fmt::format("analysis start point '{}' is not a version", *o.check_after),
         "give --check-after (or checks.start-after in migrate.toml) a version such as V012, 12 or "
         "1.2");
  return v;
}

AnalysisPolicy analysis_policy(const Options& o) {
  return AnalysisPolicy{o.allow_unsafe, o.lock_timeout, without_secrets(o.log, o.database_url),
                        check_after_version(o)};
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

RunReport run_once(const Options& options, const MigrationSet& source, bool validate_apply,
                   const std::function<Plan(const PlanContext&)>& make_plan,
                   const Observer& observer, const std::set<std::string>& applied_before,
                   const std::stop_token& stop,
                   std::optional<std::chrono::milliseconds> run_lock_wait,
                   const std::optional<std::string>& backup_taken) {
  std::unique_ptr<Backend> backend;
  RunIdentity identity;
  AnalysisPolicy analysis;
  try {
    analysis = analysis_policy(options);
    backend = open(options, false);
    if (validate_apply) refuse_unintended_new_history(*backend, options);
    identity = identity_for(*backend, options);
  } catch (const Failure& f) {
    return RunReport{{}, {}, without_secrets(f.error(), options.database_url)};
  } catch (const std::exception& e) {
    return RunReport{{},
                     {},
                     without_secrets(Error{ErrorCode::kInternal,
                                           e.what(),
                                           "this is a bug in libmigrate; please report it",
                                           {},
                                           {}},
                                     options.database_url)};
  }
  PlanPolicy policy = plan_policy(options);
  policy.applied_by_this_invocation = applied_before;
  ExecPolicy exec = exec_policy(options, stop);
  exec.run_lock_wait = run_lock_wait;
  RunRequest request{source,          history_name(options), policy,
                     std::move(exec), std::move(analysis),   validate_apply,
                     make_plan};
  if (backup_taken) {
    // A run resumed after a lost connection keeps the backup its invocation took.
    request.backup = [backup_taken](Backend&, const Plan&) { return *backup_taken; };
  } else if (options.backup_dir) {
    request.backup = [&options](Backend& b, const Plan& plan) {
      return back_up_database(
                 b, BackupPolicy{*options.backup_dir, options.pg_dump, options.database_url}, plan)
          .string();
    };
  }
  RunReport report = run_plan(*backend, request, identity, observer);
  if (report.error) report.error = without_secrets(*report.error, options.database_url);
  return report;
}

// One run, and with options.reconnect, more runs after a lost connection: each starts over
// (lock, history, plan), so it resumes exactly where the history says the lost one stopped.
// While the server is down, opening fails (kConnectionFailed) and is retried until the budget,
// counted from the loss, is spent.
RunReport run(const Options& options, const MigrationSet& source, bool validate_apply,
              std::function<Plan(const PlanContext&)> make_plan, const Observer& observer,
              const std::stop_token& stop, std::optional<std::chrono::milliseconds> run_lock_wait) {
  using Clock = std::chrono::steady_clock;
  RunReport total;
  std::set<std::string> applied;  // by the attempts of this invocation so far
  std::optional<Clock::time_point> lost_at;
  std::chrono::milliseconds backoff{250};
  while (true) {
    RunReport report = run_once(options, source, validate_apply, make_plan, observer, applied, stop,
                                run_lock_wait, total.backup);
    if (total.run_id.empty()) total.run_id = report.run_id;
    if (!total.backup) total.backup = report.backup;
    for (auto& step : report.steps) {
      if (step.success && step.kind == StepKind::kApply) applied.insert(step.version);
      total.steps.push_back(std::move(step));
    }
    total.phase_stop = std::move(report.phase_stop);
    const bool lost = report.error && report.error->code == ErrorCode::kConnectionLost;
    const bool still_down =
        lost_at && report.error && report.error->code == ErrorCode::kConnectionFailed;
    if (!lost && !still_down) {
      total.error = std::move(report.error);
      return total;
    }
    if (lost) {
      lost_at = Clock::now();
      backoff = std::chrono::milliseconds(250);
    }
    if (options.reconnect.count() <= 0 || Clock::now() - *lost_at >= options.reconnect ||
        stop.stop_requested()) {
      total.error = std::move(report.error);
      if (options.reconnect.count() > 0)
        total.error->hint = fmt::format("gave up reconnecting after {} ms (--reconnect); {}",
                                        options.reconnect.count(), total.error->hint);
      return total;
    }
    if (options.log)
      options.log(LogLevel::kWarn, fmt::format("{}; reconnecting in {} ms (--reconnect)",
                                               report.error->message, backoff.count()));
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

Version version_in_set(const MigrationSet& source, const std::string& text,
                       const std::string& hint) {
  auto v = Version::parse(text);
  if (!v)
    fail(ErrorCode::kTargetNotFound, fmt::format("'{}' is not a version", text),
         "write a version such as V012, 12 or 1.2");
  if (!source.find(*v))
    fail(ErrorCode::kTargetNotFound,
         fmt::format("no migration has version {} (migrations: {})", v->str(),
                     source.directory.string()),
         hint);
  return *v;
}

}  // namespace facade

using namespace facade;

Migrator::Migrator(Options options) : options_(std::move(options)) {}

Result<MigrationSet> Migrator::load_source() const {
  return load_set(options_);
}

namespace facade {

ReadOnlyView read_only_view(const Options& options) {
  return read_only_view(options, std::make_shared<const MigrationSet>(load_or_fail(options)));
}

ReadOnlyView read_only_view(const Options& options, std::shared_ptr<const MigrationSet> set) {
  const MigrationSet& source = *set;
  ReadOnlyView view{std::move(set), source, open(options, true), plan_policy(options), {}};
  HistoryStore history(*view.backend, history_name(options));
  view.statuses = derive_status(view.source, history.read_attempts());
  for (const auto& st : view.statuses)
    if (st.state == State::kRunning) {
      view.no_run_active = view.backend->run_lock_holders().empty();
      break;
    }
  if (options.log && !options.new_history)
    if (auto other = other_history(history))
      options.log(LogLevel::kWarn, other->note + "; fix: " + other->fix);
  return view;
}

}  // namespace facade

Result<std::vector<VersionStatus>> Migrator::status() const {
  return as_result(options_, [&] { return read_only_view(options_).statuses; });
}

Result<VerificationReport> Migrator::verify(const std::optional<std::string>& version) const {
  return as_result(options_, [&] {
    auto view = read_only_view(options_);
    std::optional<Version> only;
    if (version)
      only = version_in_set(view.source, *version,
                            "run `migrate status` to list the versions; `migrate verify` without "
                            "--version checks every applied migration");
    VerificationReport report;
    std::vector<std::string> failed;
    for (const auto& s : view.statuses) {
      if (!s.last_applied || !s.has_file) continue;
      const Migration* m = view.source.find(*Version::parse(s.version));
      if (!m || (only && m->version != *only)) continue;
      if (!m->verify) {
        report.without_checks.push_back(s.version);
        continue;
      }
      MigrationVerification checked{s.version, m->name, m->verify->path.string(), {}};
      // Outside any transaction the backend runs each in one of its own that is rolled back
      // (PostgreSQL), or on the read-only connection (SQLite): a check changes nothing.
      for (const auto& check : verification_checks(*view.backend, *m))
        checked.checks.push_back(run_verification_check(*view.backend, check));
      if (!checked.passed()) failed.push_back(fmt::format("{} ({})", s.version, m->name));
      report.migrations.push_back(std::move(checked));
    }
    if (only && report.migrations.empty() && report.without_checks.empty())
      fail(ErrorCode::kTargetNotFound, fmt::format("version {} is not applied", *version),
           "`migrate verify` checks applied migrations; run `migrate status`");
    if (!failed.empty())
      report.error = Error{ErrorCode::kVerificationFailed,
                           fmt::format("the checks of {} migration(s) found a problem: {}",
                                       failed.size(), fmt::join(failed, ", ")),
                           "each failed check lists the rows it returned; fix the data (or the "
                           "check, in its verify file), then run `migrate verify` again",
                           {},
                           {}};
    return report;
  });
}

Result<std::vector<DatabaseSession>> Migrator::lock_holders() const {
  return as_result(options_, [&] { return open(options_, true)->run_lock_holders(); });
}

namespace {

// The plan as apply or rollback would make it, analyzed, with the refusal they would make
// between planning and running (Plan::refusal) instead of throwing it.
Plan analyzed_plan(const Options& options, ReadOnlyView& view,
                   const std::function<Plan(const PlanContext&)>& make_plan) {
  view.backend->begin_read();  // SQLite: one read transaction for every statement described
  Plan plan;
  try {
    plan = make_plan(view.context());
  } catch (...) {
    view.backend->rollback();
    throw;
  }
  view.backend->rollback();
  plan.dialect = view.backend->dialect();
  const AnalysisPolicy policy = analysis_policy(options);
  try {
    plan_backfills(plan, *view.backend);
  } catch (const Failure& f) {
    // What apply would refuse with before running anything: shown with the plan.
    if (f.error().code != ErrorCode::kBackfillNoKey && f.error().code != ErrorCode::kSourceInvalid)
      throw;
    plan.refusal = without_secrets(f.error(), options.database_url);
  }
  analyze_plan(view.source, plan, *view.backend, policy);
  HistoryStore history(*view.backend, history_name(options));
  estimate_plan(plan, *view.backend, read_estimate_inputs(history, plan.dialect),
                policy.probe_lock_timeout);
  try {
    refuse_before_running(plan, policy);
  } catch (const Failure& f) {
    if (!plan.refusal) plan.refusal = without_secrets(f.error(), options.database_url);
  }
  return plan;
}

}  // namespace

Result<Validation> Migrator::validate() const {
  return as_result(options_, [&] {
    auto view = read_only_view(options_);
    check_apply_preconditions(view.context());
    // Every file must split cleanly, applied or not: a broken down file is found now, not
    // during an emergency rollback.
    for (const auto& m : view.source.migrations) {
      view.backend->split(m.up.sql, {m.up.path.string(), m.version.str(), 0, 0, 0});
      if (m.down)
        view.backend->split(m.down->sql, {m.down->path.string(), m.version.str(), 0, 0, 0});
      if (m.verify)
        view.backend->split(m.verify->sql, {m.verify->path.string(), m.version.str(), 0, 0, 0});
    }
    Validation out;
    // What apply would refuse after planning: a statement SQLite cannot parse, transaction
    // control, unsafe findings. Every pending migration is checked, contracts included, as
    // `apply --phase all` would plan them: a contract refused only after the deploy would be
    // found too late.
    view.policy.phase = PhaseScope::kAll;
    try {
      out.refusal = analyzed_plan(options_, view, [](const PlanContext& ctx) {
                      return build_apply_plan(ctx, std::nullopt);
                    }).refusal;
    } catch (const Failure& f) {
      if (f.error().code != ErrorCode::kSourceInvalid) throw;
      out.refusal = without_secrets(f.error(), options_.database_url);
    }
    out.statuses = std::move(view.statuses);
    return out;
  });
}

Result<AnalysisOptions> Migrator::catalog_analysis_options(
    const std::vector<std::string>& relations) const {
  return as_result(options_, [&] {
    auto backend = open(options_, true);
    return migrate::catalog_analysis_options(*backend, relations, analysis_policy(options_));
  });
}

Result<Plan> Migrator::plan_apply(const std::optional<std::string>& target) const {
  return as_result(options_, [&] {
    auto view = read_only_view(options_);
    check_apply_preconditions(view.context());
    return analyzed_plan(options_, view,
                         [&](const PlanContext& ctx) { return build_apply_plan(ctx, target); });
  });
}

Result<Plan> Migrator::plan_rollback(const RollbackTarget& target) const {
  return as_result(options_, [&] {
    auto view = read_only_view(options_);
    return analyzed_plan(options_, view,
                         [&](const PlanContext& ctx) { return build_rollback_plan(ctx, target); });
  });
}

namespace {

// The table as written ("app.users", "Team Members"), quoted part by part for to_regclass.
std::string regclass_text(const Backend& backend, const std::string& table) {
  const auto dot = table.find('.');
  if (dot == std::string::npos) return backend.quote_identifier(table);
  return backend.quote_identifier(table.substr(0, dot)) + "." +
         backend.quote_identifier(table.substr(dot + 1));
}

// Fails with kUsage when the table does not exist.
void require_table(Backend& backend, const std::string& table) {
  if (backend.query("SELECT to_regclass($1)", {regclass_text(backend, table)}).front().front())
    return;
  fail(ErrorCode::kUsage, fmt::format("the database has no table {}", table),
       "give --table as the catalog names it (schema.table when it is not on the search_path)");
}

// Fills what the command line left out from the catalog (see Migrator::create_recipe).
void complete_recipe_from_catalog(Backend& backend, RecipeOptions& o) {
  if (o.table.empty()) return;  // the writer says what is missing
  require_table(backend, o.table);
  if (o.kind == "rename-table" || o.column.empty()) return;
  auto facts = postgres_column(backend, regclass_text(backend, o.table), o.column);
  if (!facts)
    fail(ErrorCode::kUsage,
         fmt::format("the database has no column {} in table {}", o.column, o.table),
         "give --column as the catalog names it");
  if (o.kind == "rename-column") {
    if (o.type.empty()) o.type = facts->type;
    if (!o.default_value) o.default_value = facts->default_expression;
    o.not_null = o.not_null || facts->not_null;
  } else if (o.kind == "change-column-type") {
    if (o.from_type.empty()) o.from_type = facts->type;
    o.not_null = o.not_null || facts->not_null;
  } else if (o.kind == "drop-column") {
    if (o.type.empty()) o.type = facts->type;
    // New code omits the column: a NOT NULL column without a default must accept NULL first.
    if (facts->not_null && !facts->default_expression && !o.default_value) o.not_null = true;
  } else if (o.kind == "split-column") {
    if (o.type.empty()) o.type = facts->type;
    if (o.key_type.empty())
      if (auto key = postgres_column(backend, regclass_text(backend, o.table), o.key))
        o.key_type = key->type;
  }
}

}  // namespace

Result<RecipeFiles> Migrator::create_recipe(const RecipeOptions& options) const {
  if (options_.embedded_migrations)
    return Error{ErrorCode::kUsage,
                 "a recipe writes migration files, and this Migrator's migrations are compiled in",
                 "run `migrate new --recipe` with --dir naming the source directory",
                 {},
                 {}};
  RecipeOptions completed = options;
  if (!options_.database_url.empty()) {
    std::unique_ptr<Backend> backend;
    try {
      backend = open(options_, true);
    } catch (const Failure& f) {
      // A recipe needs no database: without one, the options are used as given.
      if (options_.log)
        options_.log(LogLevel::kWarn,
                     "catalog not read, the recipe uses the options as given: " +
                         without_secrets(f.error(), options_.database_url).describe());
    }
    if (backend && backend->dialect() == Dialect::kPostgres) {
      auto filled = as_result(options_, [&] {
        complete_recipe_from_catalog(*backend, completed);
        return true;
      });
      if (!filled) return filled.error();
    }
  }
  return create_recipe_files(options_.migrations_dir, completed);
}

RunReport Migrator::apply(const std::optional<std::string>& target, const Observer& observer,
                          std::stop_token stop) {
  auto source = load_set(options_);
  if (!source) return RunReport{{}, {}, source.error()};
  return run(
      options_, source.value(), true,
      [&](const PlanContext& ctx) { return build_apply_plan(ctx, target); }, observer, stop);
}

RunReport Migrator::rollback(const RollbackTarget& target, const Observer& observer,
                             std::stop_token stop) {
  auto source = load_set(options_);
  if (!source) return RunReport{{}, {}, source.error()};
  return run(
      options_, source.value(), false,
      [&](const PlanContext& ctx) { return build_rollback_plan(ctx, target); }, observer, stop);
}

namespace {

// The newest attempt of `version`, if any.
const Attempt* newest_attempt(const std::vector<Attempt>& attempts, const Version& version) {
  const Attempt* last = nullptr;
  for (const auto& a : attempts) {
    auto v = Version::parse(a.version);
    if (v && *v == version && a.direction != Direction::kInit && (!last || a.id > last->id))
      last = &a;
  }
  return last;
}

Attempt record_resolution(Backend& backend, HistoryStore& history, const MigrationSet& source,
                          const Version& version, int statement, bool done,
                          const RunIdentity& identity) {
  auto attempts = history.read_attempts();
  const Attempt* last = newest_attempt(attempts, version);
  if (!last || last->success.value_or(false) || last->transactional) {
    fail(ErrorCode::kUsage,
         fmt::format("version {} has no unfinished attempt outside a transaction to resolve",
                     version.str()),
         "`migrate resolve` answers for a statement of unknown outcome that `apply` or "
         "`rollback` named (OUTCOME_UNKNOWN); see `migrate status`");
  }
  const auto sent = read_statement_checkpoint(*last);
  const int expected = sent ? sent->sent : last->statement_index + 1;
  if (statement != expected) {
    fail(ErrorCode::kUsage,
         fmt::format("statement {} is not in doubt for version {}: its {} attempt completed "
                     "statements 1 to {}, and statement {} is the one whose outcome is open",
                     statement, version.str(), to_string(last->direction), last->statement_index,
                     expected),
         fmt::format("run `migrate resolve {} --statement {} --done` or `--not-done`",
                     version.str(), expected));
  }
  const Migration* m = source.find(version);
  const bool down = last->direction == Direction::kDown;
  if (!m || (down && !m->down)) {
    fail(ErrorCode::kMissingFile,
         fmt::format("version {}: the {} file is gone", version.str(), down ? "down" : "up"),
         "restore it from version control: its statements decide where the run resumes");
  }
  const MigrationFile& file = down ? *m->down : m->up;
  auto statements = backend.split(file.sql, {file.path.string(), version.str(), 0, 0, 0});
  if (statement > static_cast<int>(statements.size())) {
    fail(ErrorCode::kUsage,
         fmt::format("{} has {} statement(s), not {}", file.path.string(), statements.size(),
                     statement),
         "restore the file as it ran");
  }
  std::vector<std::string_view> before;
  for (int i = 0; i < statement - 1; ++i) before.push_back(statements[i].sql);
  if (last->statement_index > 0 && last->progress_checksum &&
      progress_checksum(before) != *last->progress_checksum) {
    fail(ErrorCode::kChecksumMismatch,
         fmt::format("the first {} statement(s) of {} changed since they ran",
                     last->statement_index, file.path.string()),
         "restore them as they ran (git checkout), then resolve again");
  }
  const std::string now = utc_timestamp();
  if (!last->success) {
    Attempt closed = *last;
    closed.success = false;
    closed.finished_at = now;
    closed.error_code = std::string(sqlstate::kInterrupted);
    closed.error_message = fmt::format(
        "interrupted after statement {}: the process running it ({}) ended while statement {} "
        "ran; resolved by {} with `migrate resolve` (run {})",
        last->statement_index, last->client, statement, identity.installed_by, identity.run_id);
    closed.checkpoint.reset();
    history.update(closed);
  }
  Attempt a = *last;
  a.id = 0;
  a.run_id = identity.run_id;
  a.started_at = now;
  a.finished_at = now;
  a.success = false;
  a.error_code = std::string(sqlstate::kResolved);
  a.error_statement = 0;
  a.error_message = fmt::format(
      "statement {} {} (answer of {} with `migrate resolve`; its outcome was unknown "
      "after run {} ended); the next {} goes on after statement {}",
      statement, done ? "took effect" : "did not take effect", identity.installed_by, last->client,
      down ? "rollback" : "apply", done ? statement : statement - 1);
  a.statement_index = done ? statement : statement - 1;
  if (done) before.push_back(statements[statement - 1].sql);
  a.progress_checksum = progress_checksum(before);
  a.checkpoint.reset();
  a.backup.reset();  // the answer's run took no backup
  a.execution_ms = 0;
  a.installed_by = identity.installed_by;
  a.client = identity.client;
  a.tool_version = identity.tool_version;
  a.history_format = kHistoryFormatVersion;
  a.id = history.insert(a);
  return a;
}

}  // namespace

Result<Attempt> Migrator::resolve(const std::string& version, int statement, bool done) {
  return as_result(options_, [&] {
    auto v = Version::parse(version);
    if (!v)
      fail(ErrorCode::kTargetNotFound, fmt::format("'{}' is not a version", version),
           "write a version such as V012, 12 or 1.2");
    MigrationSet source = load_or_fail(options_);
    auto backend = open(options_, false);
    RunIdentity identity = identity_for(*backend, options_);
    HistoryStore history(*backend, history_name(options_));
    return in_history_transaction(*backend, history, options_, [&] {
      return record_resolution(*backend, history, source, *v, statement, done, identity);
    });
  });
}

Result<std::vector<Attempt>> Migrator::baseline(const std::string& version) {
  return as_result(options_, [&] {
    MigrationSet source = load_or_fail(options_);
    const Version v = version_in_set(source, version,
                                     "name the newest migration the database's schema already has "
                                     "(`migrate status` lists the versions)");
    auto backend = open(options_, false);
    refuse_unintended_new_history(*backend, options_);
    const RunIdentity identity = identity_for(*backend, options_);
    HistoryStore history(*backend, history_name(options_));
    auto written = in_history_transaction(*backend, history, options_, [&] {
      // Any attempt at all, failed ones included: the history already says something about
      // that version, and a baseline row beside it would contradict it.
      std::set<std::string> recorded;
      for (const auto& a : history.read_attempts()) {
        auto av = Version::parse(a.version);
        if (a.direction != Direction::kInit && av && !(v < *av)) recorded.insert(av->str());
      }
      if (!recorded.empty()) {
        std::string names;
        for (const auto& r : recorded) names += (names.empty() ? "" : ", ") + r;
        fail(ErrorCode::kUsage,
             fmt::format("cannot baseline at version {}: the history already records {} "
                         "version(s) at or below it ({}); nothing was recorded",
                         v.str(), recorded.size(), names),
             "a baseline is for a database whose history is empty up to that version; `migrate "
             "status` shows what is recorded, and `migrate apply` applies what is pending");
      }
      const std::string now = utc_timestamp();
      std::vector<Attempt> rows;
      for (const auto& m : source.migrations) {
        if (v < m.version) break;
        Attempt a;
        a.run_id = identity.run_id;
        a.version = m.version.str();
        a.name = m.name;
        a.direction = Direction::kUp;
        a.checksum = m.up.checksum;
        if (m.down) a.down_checksum = m.down->checksum;
        a.transactional = m.directives.transactional;
        a.started_at = now;
        a.finished_at = now;
        a.success = true;
        a.error_code = "BASELINE";
        a.error_message = fmt::format(
            "baselined: recorded as applied without running (`migrate baseline --version {}` "
            "by {}); the schema already had it",
            v.original(), identity.installed_by);
        a.installed_by = identity.installed_by;
        a.client = identity.client;
        a.tool_version = identity.tool_version;
        a.id = history.insert(a);
        rows.push_back(std::move(a));
      }
      return rows;
    });
    if (options_.log)
      options_.log(LogLevel::kInfo, fmt::format("baselined {} migration(s) up to version {}",
                                                written.size(), v.str()));
    return written;
  });
}

Result<Calibration> Migrator::calibrate(const CalibrateOptions& calibrate_options) {
  return as_result(options_, [&] {
    auto backend = open(options_, false);
    backend->acquire_run_lock(options_.lock_wait);
    HistoryStore history(*backend, history_name(options_));
    const StepSession session{true, options_.sqlite_foreign_keys, {}};
    auto in_transaction = [&](const std::function<void()>& body) {
      backend->begin(session, options_.lock_wait);
      try {
        body();
        backend->commit(StepSession{false, session.foreign_keys, {}});
      } catch (...) {
        backend->rollback();
        throw;
      }
    };
    // The history first: a database that refuses the table refuses before minutes of work.
    in_transaction([&] { history.ensure_current(); });
    Calibration measured;
    if (backend->dialect() == Dialect::kPostgres) {
      // Read-only sessions: they neither create nor check the history, and take no lock.
      const ScratchSession fresh = [&] { return open(options_, true); };
      measured = run_calibration(*backend, fresh, calibrate_options, options_.log);
    } else {
      BackendOptions scratch_options;
      scratch_options.log = options_.log;
      auto scratch = open_backend("sqlite::memory:", scratch_options);
      measured = run_calibration(*scratch, {}, calibrate_options, options_.log);
    }
    in_transaction([&] { history.write_calibration(measured); });
    backend->release_run_lock();
    return measured;
  });
}

Result<std::optional<Calibration>> Migrator::calibration() const {
  return as_result(options_, [&] {
    auto backend = open(options_, true);
    HistoryStore history(*backend, history_name(options_));
    return history.format() == 0 ? std::optional<Calibration>() : history.read_calibration();
  });
}

Result<std::vector<StatementRecord>> Migrator::statement_records() const {
  return as_result(options_, [&] {
    auto backend = open(options_, true);
    HistoryStore history(*backend, history_name(options_));
    return history.format() == 0 ? std::vector<StatementRecord>() : history.read_all_statements();
  });
}

}  // namespace migrate
