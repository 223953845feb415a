// One command on several databases (`--db` repeated, `[[databases]]` in migrate.toml;
// docs/cli.md#many-databases): each database gets its own Migrator (its own lock and history),
// at most `parallel` run at once, each one's output is kept together, and a summary table (or
// JSON `summary`) ends the output. Every database is attempted, whatever the others' results.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/commands/command.hpp"
#include "cli/settings.hpp"
#include "migrate/migrator.hpp"

namespace migrate::cli {

// The commands that may run on several databases.
bool runs_on_many_databases(const std::string& command);

// Runs `run_one` once per database, with `base` pointed at it (database_url, and a log sink that
// prefixes each line with the database's name). `run_one` prints through the Invocation it is
// given (buffered here) and returns its exit code. Prints each database's output in the given
// order, then the summary; returns 0 when every database succeeded, else the exit code of the
// first database (in the given order) that failed.
int run_on_databases(const Invocation& inv, const std::vector<NamedDatabase>& databases,
                     int parallel, const Options& base,
                     const std::function<int(const Invocation&, const Options&)>& run_one);

}  // namespace migrate::cli
