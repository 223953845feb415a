// Up, down, up again, each through the real engine (Migrator::apply and rollback on the scratch
// database), so that the check runs the migrations exactly as a deploy and a rollback would:
// statement splitting, transactions, non-transactional steps, the history.
#include "libmigrate/roundtrip/round_trip_check.hpp"

#include <fmt/format.h>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/roundtrip/schema_snapshot.hpp"

namespace migrate {

const char* to_string(RoundTripOutcome o) noexcept {
  switch (o) {
    case RoundTripOutcome::kExact:
      return "exact";
    case RoundTripOutcome::kIrreversible:
      return "irreversible";
    case RoundTripOutcome::kUpFailed:
      return "up-failed";
    case RoundTripOutcome::kDownFailed:
      return "down-failed";
    case RoundTripOutcome::kDownInexact:
      return "down-inexact";
    case RoundTripOutcome::kUpAgainFailed:
      return "up-again-failed";
    case RoundTripOutcome::kUpAgainInexact:
      return "up-again-inexact";
    case RoundTripOutcome::kNotChecked:
      return "not-checked";
  }
  return "not-checked";
}

namespace {

// The error of a run, or a description of why it did nothing.
std::optional<Error> run_error(const RunReport& r, const std::string& version, StepKind kind) {
  if (r.error) return r.error;
  for (const auto& s : r.steps)
    if (s.version == version && s.kind == kind && s.success) return std::nullopt;
  return Error{ErrorCode::kInternal,
               fmt::format("version {} was not {} on the scratch database", version,
                           kind == StepKind::kApply ? "applied" : "reverted"),
               "this is a bug in libmigrate; please report it",
               {},
               {}};
}

std::string summary(const std::vector<MigrationRoundTrip>& checked) {
  std::string text;
  int failing = 0;
  for (const auto& m : checked) {
    if (m.passed() || m.outcome == RoundTripOutcome::kNotChecked) continue;
    ++failing;
    std::string what;
    switch (m.outcome) {
      case RoundTripOutcome::kDownInexact:
        what = m.down_differences.front().describe();
        if (m.down_differences.size() > 1)
          what += fmt::format(" (and {} more)", m.down_differences.size() - 1);
        break;
      case RoundTripOutcome::kUpAgainInexact:
        what = "up again: " + m.up_again_differences.front().describe();
        break;
      default:
        what = fmt::format("{}: {}", to_string(m.outcome), m.error ? m.error->message : "");
    }
    text += fmt::format("{}{} ({}): {}", text.empty() ? "" : "; ", m.version, m.name, what);
  }
  if (failing == 0) {
    for (const auto& m : checked)
      if (m.error) return "no migration could be checked: " + m.error->message;
  }
  return fmt::format("{} migration(s) do not roll back exactly: {}", failing, text);
}

}  // namespace

void run_round_trips(const Options& target_options, const MigrationSet& source,
                     const std::vector<Version>& migrations, ScratchDatabase& scratch,
                     const std::optional<std::string>& baseline, RollbackCheckReport& report) {
  Options o = target_options;
  o.database_url = scratch.url();
  o.phase = PhaseScope::kAll;
  o.allow_unsafe = true;
  o.retry_failed = true;
  o.allow_out_of_order = true;
  o.new_history = true;
  o.check_after.reset();
  o.reconnect = std::chrono::milliseconds(0);
  o.wait_for_quiet = std::chrono::milliseconds(0);
  // The scratch database is nobody's data: no backups of it, and no verify-file checks, which
  // may rely on rows a schema-only copy does not have.
  o.backup_dir.reset();
  o.run_verification = false;
  Migrator migrator(o);
  const HistoryTableName history{o.history_schema, o.history_table};
  BackendOptions read;
  read.read_only = true;
  read.history_table = o.history_table;
  read.history_schema = o.history_schema;
  read.application_name = o.application_name;
  auto snapshot = [&] {
    auto backend = open_backend(scratch.url(), read);
    return take_schema_snapshot(*backend, history);
  };

  std::optional<Error> stopped;  // why the migrations after it were not checked
  if (baseline) {
    auto b = migrator.baseline(*baseline);
    if (!b) {
      stopped = b.error();
      stopped->message =
          "not checked: the target's version could not be baselined in the "
          "scratch history: " +
          stopped->message;
    }
  }
  for (const auto& version : migrations) {
    const Migration* m = source.find(version);
    MigrationRoundTrip trip;
    trip.version = version.str();
    trip.name = m ? m->name : "";
    if (stopped) {
      trip.outcome = RoundTripOutcome::kNotChecked;
      trip.error = stopped;
      report.migrations.push_back(std::move(trip));
      continue;
    }
    const SchemaSnapshot before = snapshot();
    if (auto e = run_error(migrator.apply(trip.version), trip.version, StepKind::kApply)) {
      trip.outcome = RoundTripOutcome::kUpFailed;
      trip.error = e;
      stopped =
          Error{ErrorCode::kRollbackMismatch,
                fmt::format("not checked: the up of version {} failed before it", trip.version),
                "fix that migration first",
                {},
                {}};
      report.migrations.push_back(std::move(trip));
      continue;
    }
    const SchemaSnapshot after_up = snapshot();
    if (!m || !m->down) {
      trip.outcome = RoundTripOutcome::kIrreversible;
      report.migrations.push_back(std::move(trip));
      continue;
    }
    RollbackTarget one_step;
    one_step.steps = 1;
    if (auto e = run_error(migrator.rollback(one_step), trip.version, StepKind::kRevert)) {
      trip.outcome = RoundTripOutcome::kDownFailed;
      trip.error = e;
      // A transactional down left the schema as the up made it, with the version still applied:
      // the next migrations start from there. Anything else and they cannot be checked.
      auto now = compare_schemas(after_up, snapshot());
      if (!now.empty()) {
        trip.down_differences = compare_schemas(before, snapshot());
        stopped = Error{ErrorCode::kRollbackMismatch,
                        fmt::format("not checked: the down of version {} failed half-way, leaving "
                                    "the scratch schema in between",
                                    trip.version),
                        "fix that down first",
                        {},
                        {}};
      }
      report.migrations.push_back(std::move(trip));
      continue;
    }
    trip.down_differences = compare_schemas(before, snapshot());
    if (!trip.down_differences.empty()) trip.outcome = RoundTripOutcome::kDownInexact;
    if (auto e = run_error(migrator.apply(trip.version), trip.version, StepKind::kApply)) {
      if (trip.outcome == RoundTripOutcome::kExact) trip.outcome = RoundTripOutcome::kUpAgainFailed;
      trip.error = e;
      stopped = Error{
          ErrorCode::kRollbackMismatch,
          fmt::format("not checked: after the down of version {}, its up failed", trip.version),
          "fix that migration's down first",
          {},
          {}};
      report.migrations.push_back(std::move(trip));
      continue;
    }
    trip.up_again_differences = compare_schemas(after_up, snapshot());
    if (!trip.up_again_differences.empty() && trip.outcome == RoundTripOutcome::kExact)
      trip.outcome = RoundTripOutcome::kUpAgainInexact;
    report.migrations.push_back(std::move(trip));
  }
  bool failing = false;
  for (const auto& m : report.migrations) failing = failing || !m.passed();
  if (failing)
    report.error = Error{ErrorCode::kRollbackMismatch,
                         summary(report.migrations),
                         "make each down undo exactly what its up does (drop what the up "
                         "creates, dependents first; re-create what it drops, with its "
                         "constraints), then run `migrate check-rollback` again",
                         {},
                         {}};
}

}  // namespace migrate
