// What the Migrator's members share (migrator.cpp, startup.cpp): Options turned into the
// policies of the layers below, backends opened, files loaded, runs started, exceptions turned
// into Error values with the URL's secrets taken out.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/error/failure.hpp"
#include "libmigrate/exec/exec_policy.hpp"
#include "libmigrate/history/history_store.hpp"
#include "libmigrate/plan/planner.hpp"
#include "migrate/migrator.hpp"

namespace migrate::facade {

// The text of `e` (and of a log line) with the URL's password and other secrets masked.
Error without_secrets(Error e, const std::string& database_url);

// Runs `body`: its value, or the Failure (or unexpected exception, as kInternal) it threw as an
// Error without secrets.
template <typename F>
auto as_result(const Options& options, F&& body) -> Result<decltype(body())> {
  try {
    return body();
  } catch (const Failure& f) {
    return without_secrets(f.error(), options.database_url);
  } catch (const std::exception& e) {
    return without_secrets(Error{ErrorCode::kInternal,
                                 e.what(),
                                 "this is a bug in libmigrate; please report it",
                                 {},
                                 {}},
                           options.database_url);
  }
}

// The directory or the embedded set of `options`, loaded and checked.
Result<MigrationSet> load_set(const Options& options);
MigrationSet load_or_fail(const Options& options);  // throws Failure

// What a backend of these options is opened with: their history table, lock wait and
// application_name (followed by " " + `role` when one is given, e.g. "migrate trace"), and their
// log with the URL's secrets removed. read-only creates nothing and takes no lock.
BackendOptions backend_options(const Options& options, bool read_only,
                               const std::string& role = {});
// A backend on options.database_url; read-only creates nothing and takes no lock.
std::unique_ptr<Backend> open(const Options& options, bool read_only);
RunIdentity identity_for(Backend& backend, const Options& options);
HistoryTableName history_name(const Options& options);

// Files, a read-only connection and the state derived from both: what the commands that
// change nothing work from. Opening read-only creates neither the database nor the table.
struct ReadOnlyView {
  // Shared, so that a caller polling the history (ensure's wait) loads the files once.
  std::shared_ptr<const MigrationSet> set;
  const MigrationSet& source;
  std::unique_ptr<Backend> backend;
  PlanPolicy policy;
  std::vector<VersionStatus> statuses;
  // Nobody holds the migration lock: an attempt without an outcome belongs to a dead run, and the
  // run (which checks again under the lock) resumes it.
  bool no_run_active = false;

  PlanContext context() const { return {source, statuses, policy, *backend, no_run_active}; }
};
ReadOnlyView read_only_view(const Options& options);
// The same on a set already loaded (a caller that reads the history again and again).
ReadOnlyView read_only_view(const Options& options, std::shared_ptr<const MigrationSet> set);

// `text` as a version of `source`; kTargetNotFound, with `hint`, when it is not a version or no
// migration of the set has it.
Version version_in_set(const MigrationSet& source, const std::string& text,
                       const std::string& hint);

// Takes the migration lock, then runs `body` in one transaction after creating or upgrading the
// history in it; commits and releases the lock. On a failure the transaction is rolled back and
// the lock goes with the backend. For the calls that write history rows outside a run (resolve,
// baseline).
template <typename F>
auto in_history_transaction(Backend& backend, HistoryStore& history, const Options& options,
                            F&& body) -> decltype(body()) {
  backend.acquire_run_lock(options.lock_wait);
  const StepSession session{true, options.sqlite_foreign_keys, {}};
  backend.begin(session, options.lock_wait);
  try {
    history.ensure_current();
    auto result = body();
    backend.commit(StepSession{false, session.foreign_keys, {}});
    backend.release_run_lock();
    return result;
  } catch (...) {
    backend.rollback();
    throw;
  }
}

// One apply (validate_apply) or rollback run of the plan make_plan returns, with
// options.reconnect's resumption after a lost connection. Never throws. `run_lock_wait`, when
// set, bounds the wait for the run lock alone (options.lock_wait still bounds every other wait).
RunReport run(const Options& options, const MigrationSet& source, bool validate_apply,
              std::function<Plan(const PlanContext&)> make_plan, const Observer& observer,
              const std::stop_token& stop,
              std::optional<std::chrono::milliseconds> run_lock_wait = std::nullopt);

}  // namespace migrate::facade
