// `migrate status`: every version's state from the files and the history, and who holds the
// migration lock. `validate` prints the same report.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "cli/commands/command.hpp"
#include "migrate/error.hpp"
#include "migrate/history.hpp"

namespace migrate::cli {

Command add_status_command(CLI::App& app);

// Prints `statuses` and the current lock holders; `footer` follows the text report. `verbose`
// adds each shown attempt's statement records (duration beside estimate).
int finish_status_report(const CommandContext& ctx,
                         const Result<std::vector<VersionStatus>>& statuses,
                         const std::string& footer, bool verbose = false);

}  // namespace migrate::cli
