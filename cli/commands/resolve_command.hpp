// `migrate resolve`: the operator's answer for a statement of unknown outcome.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/commands/command.hpp"

namespace migrate::cli {

Command add_resolve_command(CLI::App& app);

}  // namespace migrate::cli
