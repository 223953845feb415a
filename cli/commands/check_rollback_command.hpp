// `migrate check-rollback`: each pending migration up, down and up again on a scratch database.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/commands/command.hpp"

namespace migrate::cli {

Command add_check_rollback_command(CLI::App& app);

}  // namespace migrate::cli
