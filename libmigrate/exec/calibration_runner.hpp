// `migrate calibrate` (docs/estimates.md): measures this server's throughput for the work the
// runtime model knows (scan, rewrite, index builds, validations, row updates) on a scratch table
// that the calibration creates and drops itself. PostgreSQL: in a schema of its own, named
// migrate_calibration_<pid>, dropped at the end, also after a failure; SQLite: in a scratch
// in-memory database. Never touches user tables.
#pragma once

#include <functional>
#include <memory>

#include "libmigrate/backend/backend.hpp"
#include "migrate/estimate.hpp"
#include "migrate/log.hpp"

namespace migrate {

// Opens another session on the scratch database; empty where there is none to open (an
// in-memory SQLite database lives in its one connection).
using ScratchSession = std::function<std::unique_ptr<Backend>()>;

// `scratch`: the backend the measurements run on (PostgreSQL: the target database's work
// connection, outside any transaction, holding the migration lock; SQLite: an in-memory
// database). Each timed statement runs on a session of its own from `fresh` when it is set, as a
// migration run's statements run in a new server process. Throws kStatementFailed naming the
// measurement that failed, after dropping what it created.
Calibration run_calibration(Backend& scratch, const ScratchSession& fresh,
                            const CalibrateOptions& options, const LogSink& log);

}  // namespace migrate
