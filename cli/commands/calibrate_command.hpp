// `migrate calibrate`: this server's throughput for the work estimates scale with.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/commands/command.hpp"

namespace migrate::cli {

Command add_calibrate_command(CLI::App& app);

}  // namespace migrate::cli
