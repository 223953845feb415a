// Migrator::check_rollback: which migrations to check, the scratch database they run in, and the
// round trips (libmigrate/roundtrip/).
#include <fmt/format.h>

#include "libmigrate/migrator/facade.hpp"
#include "libmigrate/plan/planner.hpp"
#include "libmigrate/roundtrip/round_trip_check.hpp"
#include "libmigrate/roundtrip/scratch_database.hpp"
#include "migrate/migrator.hpp"

namespace migrate {

using namespace facade;

Result<RollbackCheckReport> Migrator::check_rollback(const RollbackCheckOptions& check) const {
  return as_result(options_, [&] {
    RollbackCheckReport report;
    report.all = check.all;
    auto view = read_only_view(options_);
    report.dialect = view.backend->dialect();
    std::vector<Version> versions;
    std::optional<std::string> baseline;
    if (check.all) {
      for (const auto& m : view.source.migrations) versions.push_back(m.version);
    } else {
      // The target's schema has every version up to its highest applied one; the newest of the
      // files at or below it is what the scratch history records as applied.
      const auto highest = highest_applied(view.statuses);
      const auto highest_version = highest ? Version::parse(*highest) : std::nullopt;
      for (const auto& m : view.source.migrations) {
        if (highest_version && !(*highest_version < m.version))
          baseline = m.version.str();
        else
          versions.push_back(m.version);
      }
      report.baseline_version = baseline;
    }
    const BackendOptions scratch_options = backend_options(options_, false, "check-rollback");
    ScratchDatabase scratch(*view.backend, options_.database_url, history_name(options_), check,
                            scratch_options, !check.all);
    view.backend.reset();  // the target is not needed any more
    report.scratch_database = scratch.printable();
    try {
      run_round_trips(options_, view.source, versions, scratch, baseline, report);
    } catch (...) {
      scratch.remove();
      throw;
    }
    report.scratch_removed = scratch.remove();
    if (report.error) report.error = without_secrets(*report.error, scratch.url());
    for (auto& m : report.migrations)
      if (m.error) m.error = without_secrets(*m.error, scratch.url());
    return report;
  });
}

}  // namespace migrate
