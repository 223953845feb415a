// `migrate apply`: runs pending migrations in version order (or, with --dry-run, prints the plan).
#pragma once

#include <CLI/CLI.hpp>

#include "cli/commands/command.hpp"

namespace migrate::cli {

Command add_apply_command(CLI::App& app, MigratorFlags& migrator_flags);

}  // namespace migrate::cli
