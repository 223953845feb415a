// `migrate plan`: what apply would do, executing nothing. `apply --dry-run` prints the same.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "cli/commands/command.hpp"
#include "migrate/migrator.hpp"

namespace migrate::cli {

Command add_plan_command(CLI::App& app, MigratorFlags& migrator_flags);

// Prints the apply plan up to `target` (all pending if absent) as a dry run.
int run_apply_plan(const CommandContext& ctx, const std::optional<std::string>& target);

// Prints `plan` as a dry run: the output of plan, apply --dry-run and rollback --dry-run.
int finish_dry_run(const Invocation& inv, const Plan& plan);

}  // namespace migrate::cli
