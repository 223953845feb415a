// `migrate ensure`: the start-up modes of Migrator::ensure, for init containers and scripts.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/commands/command.hpp"

namespace migrate::cli {

Command add_ensure_command(CLI::App& app);

}  // namespace migrate::cli
