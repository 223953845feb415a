// `migrate lint [PATH...]` and `migrate rules`: the analyzer without a database.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "cli/commands/command.hpp"
#include "migrate/analysis.hpp"
#include "migrate/error.hpp"
#include "migrate/source.hpp"

namespace migrate::cli {

// `lint`'s --sarif sets `sarif` (the same as --output sarif, which only lint accepts).
Command add_lint_command(CLI::App& app, bool& sarif);
Command add_rules_command(CLI::App& app);

// Migrations from directories (strict loading) and single up files (a name that is not
// V<version>__<name>.up.sql gets the next free version), in version order.
Result<MigrationSet> load_lint_inputs(const std::vector<std::string>& paths);

nlohmann::json to_json(const MigrationAnalysis& a);
nlohmann::json to_json(const Finding& f);
// SARIF 2.1.0, for code-scanning dashboards.
nlohmann::json to_sarif(const std::vector<MigrationAnalysis>& analyses);
std::string render_lint_text(const std::vector<MigrationAnalysis>& analyses);
std::string render_analysis_text(const MigrationAnalysis& a, const std::string& indent);

}  // namespace migrate::cli
