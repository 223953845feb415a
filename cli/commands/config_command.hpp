// `migrate config`: each effective setting and where it came from.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/commands/command.hpp"

namespace migrate::cli {

Command add_config_command(CLI::App& app);

}  // namespace migrate::cli
