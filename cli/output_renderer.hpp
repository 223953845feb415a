// The one place that turns results into text (stdout) or JSON (docs/cli.md, "JSON output").
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "cli/settings.hpp"
#include "migrate/migrator.hpp"

namespace migrate::cli {

inline constexpr const char* kJsonSchema = "migrate.cli/v1";

nlohmann::json to_json(const Error& e);
nlohmann::json to_json(const VersionStatus& s);
nlohmann::json to_json(const PhaseStop& s);
nlohmann::json to_json(const Plan& p);
nlohmann::json to_json(const RunReport& r);

std::string render_status_text(const std::vector<VersionStatus>& statuses,
                               const std::vector<DatabaseSession>& lock_holders);
nlohmann::json to_json(const DatabaseSession& s);
nlohmann::json to_json(const Attempt& a);
std::string render_plan_text(const Plan& plan, bool dry_run_banner);
std::string render_report_text(const RunReport& report, const char* verb);
std::string render_error_text(const Error& e);
std::string render_settings_text(const std::vector<Setting>& settings);
// `check-rollback`: the report's fields for the JSON envelope, and its text.
nlohmann::json to_json(const RollbackCheckReport& r);
std::string render_rollback_check_text(const RollbackCheckReport& r);
// `plan --trace`: the `trace` object of the plan's JSON, and the text after the plan.
nlohmann::json to_json(const LockTraceReport& r);
std::string render_lock_trace_text(const LockTraceReport& r);

// The redacted value of a setting, as printed anywhere.
std::string printable_value(const Setting& s);

}  // namespace migrate::cli
