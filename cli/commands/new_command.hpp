// `migrate new NAME`: creates the next migration's up/down file pair.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/commands/command.hpp"

namespace migrate::cli {

Command add_new_command(CLI::App& app);

}  // namespace migrate::cli
