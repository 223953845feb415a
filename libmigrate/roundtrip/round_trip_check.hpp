// The round trip itself: on a scratch database, each migration up, down and up again, with a
// catalog snapshot before and after each step (Migrator::check_rollback).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "libmigrate/roundtrip/scratch_database.hpp"
#include "migrate/migrator.hpp"

namespace migrate {

// Checks `migrations` (versions of `source`, in order) on `scratch`, with a Migrator whose
// options are `target_options` pointed at the scratch database. With `baseline`, that version is
// first recorded in the scratch history as applied. Fills report.migrations and report.error;
// throws only when the scratch database itself cannot be read (a snapshot fails).
void run_round_trips(const Options& target_options, const MigrationSet& source,
                     const std::vector<Version>& migrations, ScratchDatabase& scratch,
                     const std::optional<std::string>& baseline, RollbackCheckReport& report);

}  // namespace migrate
