// Migrator::ensure: what a service does at start-up, with many replicas starting at once
// (docs/embedding.md#start-up-modes). The checks read the history without the migration lock, so
// replicas that find nothing to do never queue behind each other; only a replica that finds work
// takes the lock, and the run it starts reads the history again under it, so a migration another
// replica applied meanwhile is not applied twice.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <set>
#include <thread>

#include "libmigrate/migrator/facade.hpp"
#include "libmigrate/plan/planner.hpp"
#include "migrate/migrator.hpp"

namespace migrate {

const char* to_string(EnsureMode m) noexcept {
  switch (m) {
    case EnsureMode::kApplyIfNeeded:
      return "apply-if-needed";
    case EnsureMode::kVerifyOnly:
      return "verify-only";
    case EnsureMode::kWaitForVersion:
      return "wait-for-version";
  }
  return "apply-if-needed";
}

namespace {

using Clock = std::chrono::steady_clock;
using facade::as_result;
using facade::version_in_set;

constexpr const char* kNameAVersion =
    "name a version the program's migrations have (`migrate status` lists them)";

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// The same options without a log sink: for a second read whose warnings the first one logged.
Options quiet_log(const Options& options) {
  Options quiet = options;
  quiet.log = {};
  return quiet;
}

// The first ten, then how many more: a project thousands of migrations behind gets a line, not a
// page.
std::string list(const std::vector<std::string>& items) {
  constexpr std::size_t kShown = 10;
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < kShown; ++i)
    out += (out.empty() ? "" : ", ") + items[i];
  if (items.size() > kShown) out += fmt::format(" and {} more", items.size() - kShown);
  return out;
}

// Why the schema is not what the code needs, as the error ensure returns; nullopt when it is.
// `needed` says which versions count. Failed and unfinished attempts are named as such; one that
// a live run is finishing right now is "behind", not failed.
std::optional<Error> schema_shortfall(const facade::ReadOnlyView& view,
                                      const std::function<bool(const Migration&)>& needed,
                                      bool run_active) {
  std::vector<std::string> modified, failed, behind;
  for (const auto& s : view.statuses) {
    if (!s.has_file) continue;  // applied by a newer release: the schema is ahead, which is fine
    const Migration* m = view.source.find(*Version::parse(s.version));
    if (s.state == State::kModified) {
      modified.push_back(fmt::format("version {} ({}): applied {}, file now {}", s.version,
                                     m->up.path.filename().string(), s.last_applied->checksum,
                                     s.file_checksum));
      continue;
    }
    if (!needed(*m) || s.state == State::kApplied) continue;
    // Failed means: the next apply refuses it until someone acts. An attempt that stopped for a
    // reason outside its migration (a lock timeout, a lost connection, a cancellation, a dead
    // process) is resumed by the next apply by itself: the schema is only behind.
    const Attempt* last = s.last_attempt ? &*s.last_attempt : nullptr;
    const bool up = last && last->direction == Direction::kUp;
    if (s.state == State::kFailed && !(up && resumes_by_itself(*last))) {
      failed.push_back(fmt::format("version {} ({}): {} attempt {}", s.version, m->name,
                                   to_string(last->direction), describe_stop(*last)));
    } else if (s.state == State::kRunning && !up) {
      failed.push_back(fmt::format("version {} ({}): a rollback {}", s.version, m->name,
                                   run_active ? "is running" : "never finished"));
    } else {
      const char* note =
          s.state == State::kRunning
              ? (run_active ? ", being applied now" : ", interrupted: apply resumes it")
          : s.state == State::kFailed ? ", stopped: apply resumes it"
                                      : "";
      behind.push_back(fmt::format("{} ({}{})", s.version, m->name, note));
    }
  }
  if (!modified.empty())
    return Error{ErrorCode::kChecksumMismatch,
                 fmt::format("{} applied migration(s) changed since they were applied: {}",
                             modified.size(), list(modified)),
                 "deploy the migration files as they were applied; put new changes in a new "
                 "migration",
                 {},
                 {}};
  if (!failed.empty())
    return Error{ErrorCode::kFailedMigration,
                 fmt::format("{} migration(s) the code needs did not complete: {}", failed.size(),
                             list(failed)),
                 "`migrate status` shows where each stopped; fix it, then `migrate apply "
                 "--retry-failed` (or start one replica in apply-if-needed mode)",
                 {},
                 {}};
  if (!behind.empty())
    return Error{ErrorCode::kSchemaBehind,
                 fmt::format("the database lacks {} migration(s) the code needs: {}", behind.size(),
                             list(behind)),
                 "run `migrate apply` (or start a replica in apply-if-needed mode) before this "
                 "code",
                 {},
                 {}};
  return std::nullopt;
}

// The migrations apply would run with these options, up to `limit`, as the phase gate decides
// (docs/two-phase.md): with Options::phase kExpand it stops before the first contract not
// applied yet; with kContract before the first one whose expand is not applied either (the
// deploy comes between them); kAll runs everything.
std::function<bool(const Migration&)> apply_scope(const facade::ReadOnlyView& view,
                                                  const Options& options,
                                                  const std::optional<Version>& limit) {
  auto applied = [&](const Version& v) {
    for (const auto& s : view.statuses)
      if (s.version == v.str()) return s.last_applied.has_value();
    return false;
  };
  std::optional<Version> first_waiting_contract;
  if (options.phase != PhaseScope::kAll)
    for (const auto& s : view.statuses) {
      if (!s.has_file || s.last_applied) continue;
      const Migration* m = view.source.find(*Version::parse(s.version));
      if (m->directives.phase != Phase::kContract) continue;
      // A contract without `completes` passes the gate (the analyzer refuses it instead).
      const bool expand_applied = !m->directives.completes || applied(*m->directives.completes);
      if (options.phase == PhaseScope::kExpand || !expand_applied) {
        first_waiting_contract = m->version;
        break;
      }
    }
  return [=](const Migration& m) {
    if (limit && *limit < m.version) return false;
    return !first_waiting_contract || m.version < *first_waiting_contract;
  };
}

// An unfinished attempt whose run still holds the migration lock (read_only_view asked).
bool run_active(const facade::ReadOnlyView& view) {
  for (const auto& s : view.statuses)
    if (s.state == State::kRunning) return !view.no_run_active;
  return false;
}

// Why `view` is not what apply would leave with these options; nullopt when it is.
std::optional<Error> verify_view(const facade::ReadOnlyView& view, const Options& options,
                                 const EnsureOptions& ensure) {
  std::optional<Version> limit;
  if (ensure.version) limit = version_in_set(view.source, *ensure.version, kNameAVersion);
  return schema_shortfall(view, apply_scope(view, options, limit), run_active(view));
}

EnsureReport verify_schema_current(const Options& options, const EnsureOptions& ensure) {
  auto view = facade::read_only_view(options);
  EnsureReport report;
  report.mode = ensure.mode;
  report.version_before = report.version_after = highest_applied(view.statuses);
  if (auto e = verify_view(view, options, ensure)) throw Failure(*e);
  return report;
}

EnsureReport wait_for_version(const Options& options, const EnsureOptions& ensure,
                              const std::stop_token& stop) {
  if (!ensure.version)
    fail(ErrorCode::kUsage, "wait-for-version needs the version to wait for",
         "set EnsureOptions::version");
  const auto start = Clock::now();
  EnsureReport report;
  report.mode = ensure.mode;
  bool first = true;
  bool logged = false;
  // The files do not change while the process waits: loaded once, the history read each time.
  const auto source = std::make_shared<const MigrationSet>(facade::load_or_fail(options));
  Options reading = options;  // read_only_view's warnings are logged on the first read only
  for (;;) {
    std::optional<Error> shortfall;
    try {
      auto view = facade::read_only_view(reading, source);
      reading = quiet_log(options);
      const Version wanted = version_in_set(view.source, *ensure.version, kNameAVersion);
      const auto current = highest_applied(view.statuses);
      if (first) report.version_before = current;
      first = false;
      shortfall = schema_shortfall(
          view, [&](const Migration& m) { return !(wanted < m.version); }, run_active(view));
      if (!shortfall) {
        report.version_after = current;
        report.waited = since(start);
        return report;
      }
      // Behind is what this mode waits out; a failed or changed migration will not fix itself.
      if (shortfall->code != ErrorCode::kSchemaBehind) throw Failure(*shortfall);
    } catch (const Failure& f) {
      // The server may still be starting, or the SQLite file not be there yet: wait for it too.
      if (f.error().code != ErrorCode::kConnectionFailed) throw;
      shortfall = f.error();
    }
    if (!logged && options.log) {
      options.log(LogLevel::kInfo,
                  fmt::format("waiting up to {} ms for version {}: {}", ensure.timeout.count(),
                              *ensure.version, shortfall->message));
      logged = true;
    }
    if (stop.stop_requested())
      fail(ErrorCode::kCancelled,
           fmt::format("cancelled while waiting for version {} ({} ms)", *ensure.version,
                       since(start).count()),
           "nothing was written");
    if (since(start) >= ensure.timeout) {
      Error e = *shortfall;
      if (e.code == ErrorCode::kSchemaBehind) {
        e.message = fmt::format("waited {} ms for version {}, and {}", since(start).count(),
                                *ensure.version, e.message);
        e.hint =
            "another process applies it (a replica in apply-if-needed mode, or `migrate "
            "apply` in the deploy): check that one runs, or raise the wait bound";
      }
      throw Failure(e);
    }
    const auto left = ensure.timeout - since(start);
    std::this_thread::sleep_for(
        std::clamp(left, std::chrono::milliseconds(1),
                   std::max(ensure.poll_interval, std::chrono::milliseconds(1))));
  }
}

// Another replica's run holds the migration lock: wait for it in short slices, so that the
// caller's stop_token is honoured while waiting, and the run that finally gets the lock finds
// what that replica applied already done.
EnsureReport apply_if_needed(const Options& options, const EnsureOptions& ensure,
                             const Observer& observer, const std::stop_token& stop) {
  const auto start = Clock::now();
  EnsureReport report;
  report.mode = ensure.mode;
  std::shared_ptr<const MigrationSet> source;
  std::optional<std::string> target;
  {
    auto view = facade::read_only_view(options);
    report.version_before = report.version_after = highest_applied(view.statuses);
    auto shortfall = verify_view(view, options, ensure);
    if (!shortfall) return report;  // nothing to do: no lock taken, nothing written
    // Behind, or an attempt apply resumes by itself (or refuses, saying why): apply decides.
    if (shortfall->code != ErrorCode::kSchemaBehind &&
        shortfall->code != ErrorCode::kFailedMigration)
      throw Failure(*shortfall);
    source = view.set;
    // With a version bound, the run's target is the last migration the check counts as needed:
    // a bound beyond a contract that waits for its deploy would be refused (PHASE_ORDER) by the
    // gate, which stops before the contract by itself only when no target is given.
    if (ensure.version) {
      auto needed =
          apply_scope(view, options, version_in_set(*source, *ensure.version, kNameAVersion));
      for (const auto& m : source->migrations)
        if (needed(m)) target = m.version.original();
    }
  }
  constexpr std::chrono::milliseconds kSlice{2000};
  // Each slice's lock wait announces the holder; one announcement per holder is enough for a
  // wait of minutes.
  auto announced = std::make_shared<std::set<std::string>>();
  Options deduped = options;
  if (options.log)
    deduped.log = [log = options.log, announced](LogLevel level, const std::string& message) {
      if (message.starts_with("waiting for the migration lock") &&
          !announced->insert(message).second)
        return;
      log(level, message);
    };
  for (;;) {
    const auto left = ensure.timeout - since(start);
    const auto slice_wait = std::clamp(left, std::chrono::milliseconds(1), kSlice);
    const auto run_started = Clock::now();
    // The lock may be granted in the middle of a slice: the wait ends where the first step
    // starts (or, when another replica left nothing to do, where the run ends).
    std::optional<Clock::time_point> first_step;
    Observer timed = observer;
    timed.before_step = [&](const PlannedStep& step) {
      if (!first_step) first_step = Clock::now();
      if (observer.before_step) observer.before_step(step);
    };
    RunReport run = facade::run(
        deduped, *source, true,
        [&](const PlanContext& ctx) { return build_apply_plan(ctx, target); }, timed, stop,
        slice_wait);
    // Another replica's run held the lock and this run did nothing: wait on. (A run that
    // applied steps before stopping reports its error, whatever the code.)
    const bool busy =
        run.error && run.error->code == ErrorCode::kRunInProgress && run.steps.empty();
    report.waited += std::chrono::duration_cast<std::chrono::milliseconds>(
        first_step.value_or(Clock::now()) - run_started);
    if (!busy) {
      if (run.error) throw Failure(*run.error);
      report.run = std::move(run);
      break;
    }
    if (stop.stop_requested())
      fail(ErrorCode::kCancelled,
           fmt::format("cancelled while waiting {} ms for another run's migration lock",
                       since(start).count()),
           "nothing was written");
    if (since(start) >= ensure.timeout) {
      Error e = *run.error;
      e.message =
          fmt::format("{} (apply-if-needed waited {} ms in all)", e.message, since(start).count());
      throw Failure(e);
    }
  }
  // Read back (another replica may have applied more); if the read fails, the migrations are
  // applied all the same: say what this run knows rather than lose its report.
  try {
    report.version_after =
        highest_applied(facade::read_only_view(quiet_log(options), source).statuses);
  } catch (const Failure&) {
    for (const auto& step : report.run.steps)
      if (step.success) report.version_after = step.version;
  }
  return report;
}

}  // namespace

Result<EnsureReport> Migrator::ensure(const EnsureOptions& ensure_options, const Observer& observer,
                                      std::stop_token stop) {
  return as_result(options_, [&] {
    switch (ensure_options.mode) {
      case EnsureMode::kVerifyOnly:
        return verify_schema_current(options_, ensure_options);
      case EnsureMode::kWaitForVersion:
        return wait_for_version(options_, ensure_options, stop);
      case EnsureMode::kApplyIfNeeded:
        break;
    }
    return apply_if_needed(options_, ensure_options, observer, stop);
  });
}

}  // namespace migrate
