// `migrate baseline --version V`: adopts a database whose schema predates libmigrate.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/commands/command.hpp"

namespace migrate::cli {

Command add_baseline_command(CLI::App& app);

}  // namespace migrate::cli
