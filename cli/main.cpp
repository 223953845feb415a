// `migrate`: flags, configuration layering and rendering. All migration logic is in libmigrate.
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/exit_codes.hpp"
#include "cli/lint_command.hpp"
#include "cli/output_renderer.hpp"
#include "cli/settings.hpp"
#include "migrate/library_version.hpp"
#include "migrate/migrator.hpp"

namespace migrate::cli {
namespace {

using nlohmann::json;

struct Invocation {
  std::string command;
  bool json_output = false;
};

// Prints the command's result and returns its exit code. `body` holds the command's fields.
int finish(const Invocation& inv, json body, const std::optional<Error>& error,
           const std::string& text) {
  int code = error ? exit_code_for(error->code) : kExitOk;
  if (inv.json_output) {
    json out{{"schema", kJsonSchema},
             {"command", inv.command},
             {"ok", !error},
             {"exit_code", code},
             {"error", error ? to_json(*error) : json(nullptr)}};
    for (auto& [k, v] : body.items()) out[k] = v;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << text;
    if (error) std::cerr << render_error_text(*error);
  }
  return code;
}

int fail_usage(const Invocation& inv, const std::string& message, const std::string& hint) {
  return finish(inv, json::object(), Error{ErrorCode::kUsage, message, hint, {}, {}}, "");
}

// Before the settings are known (a usage or configuration error), JSON is chosen from the
// command line or, without --output there, from MIGRATE_OUTPUT: enough for scripts to parse
// every failure.
bool json_requested(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--output=json" ||
        (a == "--output" && i + 1 < argc && std::string_view(argv[i + 1]) == "json"))
      return true;
    if (a == "--output" || a.starts_with("--output=")) return false;
  }
  const char* env = std::getenv("MIGRATE_OUTPUT");
  return env && std::string_view(env) == "json";
}

bool confirm_rollback(const Plan& plan) {
  if (!isatty(STDIN_FILENO)) return false;
  std::cerr << render_plan_text(plan, false)
            << fmt::format("\nRevert {} migration(s)? Type 'yes' to continue: ", plan.steps.size());
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "yes" || answer == "y";
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{
      "migrate: safe schema migrations for PostgreSQL and SQLite from plain up/down SQL files"};
  app.set_version_flag("--version", std::string("migrate ") + kLibraryVersion);
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the command: `migrate status --output json`
  std::map<std::string, std::string> flags;
  std::optional<std::string> config_path;
  auto flag = [&](CLI::App& on, const std::string& names, const std::string& setting,
                  const std::string& help) {
    on.add_option_function<std::string>(
        names, [&flags, setting](const std::string& v) { flags[setting] = v; }, help);
  };
  flag(app, "--db", "database_url",
       "database URL: sqlite:PATH, sqlite::memory:, postgres://... (env MIGRATE_DATABASE_URL, "
       "DATABASE_URL)");
  flag(app, "--dir", "dir", "migrations directory (default: migrations)");
  flag(app, "--history-table", "history_table", "history table name (default: migrate_history)");
  flag(app, "--history-schema", "history_schema",
       "PostgreSQL schema of the history table, created if missing (default: public)");
  flag(app, "--lock-wait", "lock_wait",
       "how long to wait for the migration lock held by another run, e.g. 30s (default: 10s)");
  flag(app, "--lock-timeout", "lock_timeout",
       "PostgreSQL lock_timeout for each statement that locks a table (default: 500ms)");
  flag(app, "--statement-timeout", "statement_timeout",
       "PostgreSQL statement_timeout (default: 5min in a transaction, none for standalone steps)");
  flag(app, "--lock-retries", "lock_retries",
       "retries after a lock timeout, with capped exponential backoff and jitter (default: 8)");
  flag(app, "--output", "output", "text or json (default: text)");
  flag(app, "--log-level", "log_level", "trace, debug, info, warn, error, off (default: info)");
  flag(app, "--sqlite-foreign-keys", "sqlite.foreign_keys",
       "check or enforce: foreign keys during SQLite migrations (default: check)");
  app.add_option("--config", config_path,
                 "configuration file (default: ./migrate.toml when present)");

  std::optional<std::string> target;
  bool dry_run = false, allow_out_of_order = false, retry_failed = false, yes = false,
       allow_unsafe = false;
  std::optional<int> steps;
  std::optional<std::string> wait_quiet_text;
  std::string new_name;

  auto* plan_cmd = app.add_subcommand("plan", "show what apply would do; executes nothing");
  plan_cmd->add_option("--target", target, "stop at this version (default: all pending)");
  plan_cmd->add_flag("--dry-run", dry_run, "accepted for clarity: plan never executes anything");
  plan_cmd->add_flag("--allow-out-of-order", allow_out_of_order,
                     "include pending versions older than applied ones");
  plan_cmd->add_flag("--retry-failed", retry_failed, "include versions whose last attempt failed");

  auto* apply_cmd = app.add_subcommand("apply", "apply pending migrations in version order");
  apply_cmd->add_option("--target", target, "stop after this version (V012 and 12 are the same)");
  apply_cmd->add_flag("--dry-run", dry_run, "print the plan instead of executing it");
  apply_cmd->add_flag("--allow-out-of-order", allow_out_of_order,
                      "apply pending versions older than applied ones");
  apply_cmd->add_option(
      "--wait-for-quiet", wait_quiet_text,
      "PostgreSQL pre-flight: wait up to this long for long transactions that hold "
      "locks on the plan's tables, then refuse (default: only report them)");
  apply_cmd->add_flag("--retry-failed", retry_failed,
                      "retry versions whose last attempt failed or was interrupted");

  auto* status_cmd =
      app.add_subcommand("status", "show every version's state from the files and the history");

  auto* rollback_cmd = app.add_subcommand("rollback",
                                          "revert applied migrations newest first. --target V "
                                          "keeps V applied and reverts everything above it "
                                          "(--target 0 reverts all); --steps N reverts the N "
                                          "newest. Refuses before doing anything if one of "
                                          "them is irreversible or its down file changed.");
  auto* rb_target = rollback_cmd->add_option("--target", target,
                                             "keep this version applied; revert all above it");
  auto* rb_steps = rollback_cmd->add_option("--steps", steps,
                                            "revert this many of the newest applied migrations");
  rb_target->excludes(rb_steps);
  rollback_cmd->add_flag("--yes,-y", yes, "do not ask for confirmation");
  rollback_cmd->add_flag("--dry-run", dry_run, "print the plan instead of executing it");
  rollback_cmd->add_flag("--retry-failed", retry_failed, "run an interrupted rollback step again");

  auto* validate_cmd = app.add_subcommand(
      "validate", "check files and history: names, directives, checksums, order, failures");
  auto* new_cmd =
      app.add_subcommand("new", "create the next V<version>__NAME.up.sql / .down.sql pair");
  new_cmd->add_option("name", new_name, "migration name: letters, digits, '_' and '-'")->required();
  auto* config_cmd =
      app.add_subcommand("config", "show each effective setting and where it came from");

  std::vector<std::string> lint_paths;
  std::optional<int> pg_version;
  std::optional<std::string> lint_dialect;
  bool sarif = false;
  auto* lint_cmd = app.add_subcommand("lint",
                                      "analyze migrations without a database: class, locks and "
                                      "rule findings with the safe alternative");
  lint_cmd->add_option("paths", lint_paths,
                       "migration files or directories (default: the migrations directory)");
  lint_cmd->add_option("--pg-version", pg_version,
                       "PostgreSQL server_version_num to assume (default 150000)");
  lint_cmd->add_option("--dialect", lint_dialect,
                       "postgresql or sqlite (default: from --db, else postgresql)");
  lint_cmd->add_flag("--sarif", sarif, "print SARIF 2.1.0 (same as --output sarif)");
  bool require_qualified = false;
  lint_cmd->add_flag("--require-qualified-names", require_qualified,
                     "also report relations named without a schema (rule unqualified-relation)");
  bool markdown = false;
  auto* rules_cmd = app.add_subcommand("rules", "list the analyzer's rules");
  rules_cmd->add_flag("--markdown", markdown, "print docs/rules.md");
  apply_cmd->add_flag("--allow-unsafe", allow_unsafe,
                      "apply even with unsuppressed error-level findings (they are logged)");

  Invocation inv;
  inv.json_output = json_requested(argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return fail_usage(inv, e.what(), "see `migrate --help`");
  }
  for (auto* sub : app.get_subcommands()) inv.command = sub->get_name();

  auto settings = resolve_settings(flags, config_path,
                                   [](const std::string& name) -> std::optional<std::string> {
                                     const char* v = std::getenv(name.c_str());
                                     return v ? std::optional<std::string>(v) : std::nullopt;
                                   });
  if (!settings) return finish(inv, json::object(), settings.error(), "");
  auto value = [&](const std::string& name) { return find_setting(*settings, name).value; };

  const std::string output = sarif ? std::string("sarif") : value("output");
  if (output == "sarif" && *lint_cmd) {
    inv.json_output = true;
  } else if (output != "text" && output != "json")
    return fail_usage(inv, fmt::format("unknown output '{}'", output),
                      "use --output text or --output json");
  inv.json_output = output == "json";

  auto level = spdlog::level::from_str(value("log_level"));
  if (level == spdlog::level::off && value("log_level") != "off") {
    return fail_usage(inv, fmt::format("unknown log level '{}'", value("log_level")),
                      "use trace, debug, info, warn, error or off");
  }
  auto logger = spdlog::stderr_color_mt("migrate");
  logger->set_level(level);
  logger->set_pattern("%^%l%$ %v");
  spdlog::set_default_logger(logger);

  auto duration_setting = [&](const std::string& name) { return parse_duration(value(name)); };
  for (const char* name : {"lock_wait", "lock_timeout"}) {
    if (!duration_setting(name))
      return fail_usage(inv, fmt::format("invalid {} '{}'", name, value(name)),
                        "write a duration such as 500ms, 10s or 2min");
  }
  std::optional<std::chrono::milliseconds> statement_timeout;
  if (!value("statement_timeout").empty()) {
    statement_timeout = duration_setting("statement_timeout");
    if (!statement_timeout)
      return fail_usage(inv,
                        fmt::format("invalid statement_timeout '{}'", value("statement_timeout")),
                        "write a duration such as 30s or 30min");
  }
  int lock_retries = -1;
  try {
    std::size_t used = 0;
    lock_retries = std::stoi(value("lock_retries"), &used);
    if (used != value("lock_retries").size()) lock_retries = -1;
  } catch (const std::exception&) {
  }
  if (lock_retries < 0 || lock_retries > 100)
    return fail_usage(inv, fmt::format("invalid lock_retries '{}'", value("lock_retries")),
                      "give a whole number from 0 to 100");
  std::optional<std::chrono::milliseconds> wait_for_quiet;
  if (wait_quiet_text) {
    wait_for_quiet = parse_duration(*wait_quiet_text);
    if (!wait_for_quiet)
      return fail_usage(inv, fmt::format("invalid --wait-for-quiet '{}'", *wait_quiet_text),
                        "write a duration such as 2min");
  }
  const std::string fk = value("sqlite.foreign_keys");
  if (fk != "check" && fk != "enforce")
    return fail_usage(inv, fmt::format("invalid sqlite foreign key mode '{}'", fk),
                      "use check or enforce");

  Options options;
  options.database_url = value("database_url");
  options.migrations_dir = value("dir");
  options.history_table = value("history_table");
  options.history_schema = value("history_schema");
  options.lock_wait = *duration_setting("lock_wait");
  options.lock_timeout = *duration_setting("lock_timeout");
  options.statement_timeout = statement_timeout;
  options.lock_retries = lock_retries;
  if (wait_for_quiet) options.wait_for_quiet = *wait_for_quiet;
  options.allow_out_of_order = allow_out_of_order;
  options.retry_failed = retry_failed;
  options.allow_unsafe = allow_unsafe;
  options.sqlite_foreign_keys = fk == "check" ? ForeignKeyMode::kCheck : ForeignKeyMode::kEnforce;
  spdlog::debug("database {} ({}), migrations in {}",
                printable_value(find_setting(*settings, "database_url")),
                find_setting(*settings, "database_url").source, options.migrations_dir.string());
  if (options.history_table.empty())
    return fail_usage(inv, "the history table name is empty", "pass --history-table NAME");

  options.log = [](LogLevel severity, const std::string& message) {
    spdlog::log(severity == LogLevel::kDebug  ? spdlog::level::debug
                : severity == LogLevel::kInfo ? spdlog::level::info
                                              : spdlog::level::warn,
                message);
  };
  Migrator migrator(options);

  Observer observer;  // progress goes to the log (stderr); stdout gets the result

  if (*rules_cmd) {
    if (markdown) {
      std::cout << rules_markdown();
      return kExitOk;
    }
    json list = json::array();
    std::string text;
    for (const auto& r : rule_catalog()) {
      list.push_back({{"id", r.id},
                      {"dialect", r.dialect},
                      {"severity", to_string(r.severity)},
                      {"class", to_string(r.migration_class)},
                      {"lock", to_string(r.lock)},
                      {"why", r.why},
                      {"alternative", r.alternative}});
      text += fmt::format("{:<42} {:<10} {:<8} {}\n", r.id, r.dialect, to_string(r.severity),
                          to_string(r.lock));
    }
    return finish(inv, {{"rules", list}}, std::nullopt, text);
  }
  if (*lint_cmd) {
    if (lint_paths.empty()) lint_paths.push_back(options.migrations_dir.string());
    auto inputs = load_lint_inputs(lint_paths);
    if (!inputs) return finish(inv, json::object(), inputs.error(), "");
    AnalysisOptions ao;
    ao.dialect = lint_dialect.value_or(options.database_url.starts_with("sqlite:") ? "sqlite"
                                                                                   : "postgresql");
    if (ao.dialect != "postgresql" && ao.dialect != "sqlite")
      return fail_usage(inv, fmt::format("unknown dialect '{}'", ao.dialect),
                        "use --dialect postgresql or sqlite");
    if (pg_version) ao.server_version_num = *pg_version;
    ao.require_qualified_names = require_qualified;
    std::vector<const Migration*> list;
    for (const auto& m : inputs->migrations) list.push_back(&m);
    auto analyses = analyze_migrations(list, ao);
    if (!analyses) return finish(inv, json::object(), analyses.error(), "");
    std::size_t blocking = 0;
    for (const auto& a : *analyses) blocking += a.blocking().size();
    std::optional<Error> error;
    if (blocking > 0) {
      error =
          Error{ErrorCode::kUnsafeMigration,
                fmt::format("{} unsuppressed error-level finding(s)", blocking),
                "use the safe alternatives shown, or `-- migrate:allow <rule-id> reason \"...\"`",
                {},
                {}};
    }
    if (output == "sarif") {
      std::cout << to_sarif(*analyses).dump(2) << "\n";
      return error ? exit_code_for(error->code) : kExitOk;
    }
    json list_json = json::array();
    for (const auto& a : *analyses) list_json.push_back(to_json(a));
    return finish(inv, {{"migrations", list_json}}, error, render_lint_text(*analyses));
  }
  if (*config_cmd) {
    json list = json::array();
    for (const auto& s : *settings)
      list.push_back({{"name", s.name}, {"value", printable_value(s)}, {"source", s.source}});
    return finish(inv, {{"settings", list}}, std::nullopt, render_settings_text(*settings));
  }
  if (*new_cmd) {
    auto files = create_migration_files(options.migrations_dir, new_name);
    if (!files) return finish(inv, json::object(), files.error(), "");
    return finish(
        inv, {{"files", {{"up", files->up.string()}, {"down", files->down.string()}}}},
        std::nullopt,
        fmt::format("created {}\ncreated {}\n", files->up.string(), files->down.string()));
  }
  if (*status_cmd || *validate_cmd) {
    auto statuses = *status_cmd ? migrator.status() : migrator.validate();
    if (!statuses) return finish(inv, json::object(), statuses.error(), "");
    json list = json::array();
    for (const auto& s : *statuses) list.push_back(to_json(s));
    // Who holds the migration lock right now: a running apply/rollback and where it is.
    auto holders = migrator.lock_holders();
    if (!holders) return finish(inv, json::object(), holders.error(), "");
    json holder_list = json::array();
    for (const auto& h : *holders) holder_list.push_back(to_json(h));
    std::string text = render_status_text(*statuses, *holders);
    if (*validate_cmd) text += "Valid: files and history agree; apply would not refuse.\n";
    return finish(inv, {{"migrations", list}, {"lock_holders", holder_list}}, std::nullopt, text);
  }
  if (*plan_cmd || (*apply_cmd && dry_run)) {
    auto plan = migrator.plan_apply(target);
    if (!plan) return finish(inv, json::object(), plan.error(), "");
    return finish(inv, {{"dry_run", true}, {"plan", to_json(*plan)}}, std::nullopt,
                  render_plan_text(*plan, true));
  }
  if (*apply_cmd) {
    RunReport report = migrator.apply(target, observer);
    return finish(inv, to_json(report), report.error, render_report_text(report, "applied"));
  }
  if (*rollback_cmd) {
    if (!target && !steps)
      return fail_usage(inv, "rollback needs --target VERSION or --steps N",
                        "e.g. `migrate rollback --target V001` keeps V001 applied");
    RollbackTarget rb{target, steps};
    auto plan = migrator.plan_rollback(rb);
    if (!plan) return finish(inv, json::object(), plan.error(), "");
    if (dry_run)
      return finish(inv, {{"dry_run", true}, {"plan", to_json(*plan)}}, std::nullopt,
                    render_plan_text(*plan, true));
    if (plan->steps.empty())
      return finish(inv, {{"run_id", nullptr}, {"steps", json::array()}}, std::nullopt,
                    "Nothing to roll back.\n");
    if (!yes && (inv.json_output || !confirm_rollback(*plan))) {
      return finish(
          inv, {{"plan", to_json(*plan)}},
          Error{ErrorCode::kNotConfirmed,
                fmt::format("rollback of {} migration(s) was not confirmed", plan->steps.size()),
                "pass --yes to roll back without a prompt (required when stdin is not a terminal)",
                {},
                {}},
          "");
    }
    RunReport report = migrator.rollback(rb, observer);
    return finish(inv, to_json(report), report.error, render_report_text(report, "reverted"));
  }
  return fail_usage(inv, "no command given", "see `migrate --help`");
}

}  // namespace migrate::cli

int main(int argc, char** argv) {
  try {
    return migrate::cli::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "error[INTERNAL]: " << e.what()
              << "\n  fix: this is a bug in migrate; please report it\n";
    return 1;
  }
}
