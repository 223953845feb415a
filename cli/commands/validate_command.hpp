// `migrate validate`: checks files and history against each other (the refusals apply makes).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/commands/command.hpp"

namespace migrate::cli {

Command add_validate_command(CLI::App& app, MigratorFlags& migrator_flags);

}  // namespace migrate::cli
