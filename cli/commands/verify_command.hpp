// `migrate verify [--version V]`: runs the verify files of applied migrations again.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/commands/command.hpp"

namespace migrate::cli {

Command add_verify_command(CLI::App& app);

}  // namespace migrate::cli
