// `migrate rollback`: reverts applied migrations newest first, after a confirmation.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/commands/command.hpp"

namespace migrate::cli {

Command add_rollback_command(CLI::App& app, MigratorFlags& migrator_flags);

}  // namespace migrate::cli
