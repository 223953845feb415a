// `migrate`: app setup, global options and configuration layering, then dispatch to the command
// given (cli/commands/, one file per command). All migration logic is in libmigrate.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/backfill_progress_bar.hpp"
#include "cli/commands/apply_command.hpp"
#include "cli/commands/baseline_command.hpp"
#include "cli/commands/calibrate_command.hpp"
#include "cli/commands/check_rollback_command.hpp"
#include "cli/commands/command.hpp"
#include "cli/commands/config_command.hpp"
#include "cli/commands/ensure_command.hpp"
#include "cli/commands/lint_command.hpp"
#include "cli/commands/new_command.hpp"
#include "cli/commands/plan_command.hpp"
#include "cli/commands/resolve_command.hpp"
#include "cli/commands/rollback_command.hpp"
#include "cli/commands/status_command.hpp"
#include "cli/commands/validate_command.hpp"
#include "cli/commands/verify_command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/heap_pages.hpp"
#include "cli/multi_database_run.hpp"
#include "cli/output_renderer.hpp"
#include "cli/settings.hpp"
#include "cli/sqlite_memory_statistics.hpp"
#include "migrate/library_version.hpp"
#include "migrate/migrator.hpp"

namespace migrate::cli {
namespace {

using nlohmann::json;

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

struct CommandLineMisuse {
  std::string message;
  std::string hint;
};

std::string command_names(const std::vector<Command>& commands) {
  std::vector<std::string> names;
  for (const auto& c : commands) names.push_back(c.subcommand->get_name());
  return fmt::format("{}", fmt::join(names, ", "));
}

// The options a command takes, as `--target, --steps, ...`, for the hint of an unknown option.
std::string option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* o : app.get_options()) {
    if (!o->nonpositional()) continue;
    for (const auto& l : o->get_lnames())
      // --help: the hint ends with it anyway; --version: only valid alone, never next to a
      // command.
      if (l != "help" && l != "version") names.push_back("--" + l);
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

// What CLI11 accepted but no command can run: no command, an unknown one, --version next to a
// command, or arguments neither the command nor the global options know (allow_extras + fallthrough
// collect them in app.remaining()).
std::optional<CommandLineMisuse> find_command_line_misuse(const CLI::App& app,
                                                          const std::vector<Command>& commands,
                                                          const Command* command,
                                                          bool show_version) {
  const std::vector<std::string> extras = app.remaining(true);
  const std::string global_options = option_names(app);
  if (!command) {
    for (const auto& e : extras) {
      if (!e.starts_with("-"))
        return CommandLineMisuse{
            fmt::format("unknown command '{}'", e),
            fmt::format("the commands are {}; see `migrate --help`", command_names(commands))};
    }
    if (!extras.empty())
      return CommandLineMisuse{
          fmt::format("unknown option '{}'", extras.front()),
          fmt::format("the global options are {}; see `migrate --help`", global_options)};
    if (show_version) return std::nullopt;
    return CommandLineMisuse{"no command given", fmt::format("give one of {}; see `migrate --help`",
                                                             command_names(commands))};
  }
  const std::string name = command->subcommand->get_name();
  const std::string own = option_names(*command->subcommand);
  const std::string takes =
      fmt::format("`migrate {}` takes {} the global options ({}); see `migrate {} --help`", name,
                  own.empty() ? std::string("no options of its own, only") : own + " and",
                  global_options, name);
  if (show_version)
    return CommandLineMisuse{
        fmt::format("'--version' is not an option of `migrate {}`", name),
        fmt::format("`migrate --version` alone prints the version; {}", takes)};
  if (extras.empty()) return std::nullopt;
  const std::string& first = extras.front();
  if (first.starts_with("-"))
    return CommandLineMisuse{fmt::format("unknown option '{}' for `migrate {}`", first, name),
                             takes};
  return CommandLineMisuse{fmt::format("unexpected argument '{}' for `migrate {}`", first, name),
                           takes};
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{
      "migrate: safe schema migrations for PostgreSQL and SQLite from plain up/down SQL files"};
  // --version is a plain flag checked after parsing rather than CLI11's version flag, which prints
  // the version wherever it appears: `migrate rollback --version 99 --yes` (meaning --target)
  // printed it and exited 0 having done nothing.
  bool show_version = false;
  app.add_flag("--version", show_version, "print the version and exit (alone, without a command)");
  // At most one command; none at all and an unknown one are reported below with the command list
  // (CLI11 would say "A subcommand is required" for both).
  app.require_subcommand(0, 1);
  app.fallthrough();  // global options may follow the command: `migrate status --output json`
  // What neither the command nor the global options know lands in app.remaining(), reported below
  // naming the command and its options (CLI11 would say "The following arguments were not
  // expected").
  app.allow_extras();
  std::map<std::string, std::string> flags;
  std::optional<std::string> config_path;
  auto flag = [&](CLI::App& on, const std::string& names, const std::string& setting,
                  const std::string& help) {
    on.add_option_function<std::string>(
        names, [&flags, setting](const std::string& v) { flags[setting] = v; }, help);
  };
  // Repeatable: each occurrence takes one URL, so `--db a --db b apply` runs apply on both.
  std::vector<std::string> db_flags;
  app.add_option("--db", db_flags,
                 "database URL: sqlite:PATH, sqlite::memory:, postgres://... (env "
                 "MIGRATE_DATABASE_URL, DATABASE_URL); repeat it to run the command on several "
                 "databases")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  flag(app, "--parallel", "parallel",
       "with several databases: how many run at once (default: 1, one after the other in the "
       "order given)");
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
  app.add_flag_callback(
      "--no-queue-avoidance", [&flags] { flags["queue_avoidance"] = "off"; },
      "PostgreSQL: send lock-taking statements at once instead of waiting outside the lock queue "
      "while other sessions hold conflicting locks (queue_avoidance = \"off\")");
  flag(app, "--output", "output", "text or json (default: text)");
  flag(app, "--log-level", "log_level", "trace, debug, info, warn, error, off (default: info)");
  flag(app, "--check-after", "checks.start-after",
       "analysis start point: findings of migrations at or below this version are reported, "
       "never refused (adopting a project's older history)");
  flag(app, "--sqlite-foreign-keys", "sqlite.foreign_keys",
       "check or enforce: foreign keys during SQLite migrations (default: check)");
  app.add_option("--config", config_path,
                 "configuration file (default: ./migrate.toml when present)");

  // In this order in `migrate --help`.
  MigratorFlags migrator_flags;
  bool sarif = false;
  const std::vector<Command> commands{
      add_plan_command(app, migrator_flags),
      add_apply_command(app, migrator_flags),
      add_status_command(app),
      add_rollback_command(app, migrator_flags),
      add_resolve_command(app),
      add_baseline_command(app),
      add_ensure_command(app),
      add_calibrate_command(app),
      add_validate_command(app, migrator_flags),
      add_verify_command(app),
      add_check_rollback_command(app),
      add_new_command(app),
      add_config_command(app),
      add_lint_command(app, sarif),
      add_rules_command(app),
  };

  Invocation inv;
  inv.json_output = json_requested(argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    const CLI::App* given = app.get_subcommands().empty() ? nullptr : app.get_subcommands().back();
    return fail_usage(inv,
                      given ? fmt::format("migrate {}: {}", given->get_name(), e.what()) : e.what(),
                      given ? fmt::format("see `migrate {} --help`", given->get_name())
                            : std::string("see `migrate --help`"));
  }
  const Command* command = nullptr;
  for (const auto& c : commands)
    if (*c.subcommand) command = &c;
  if (auto misuse = find_command_line_misuse(app, commands, command, show_version))
    return fail_usage(inv, misuse->message, misuse->hint);
  if (show_version) {
    std::cout << "migrate " << kLibraryVersion << "\n";
    return kExitOk;
  }
  inv.command = command->subcommand->get_name();

  if (db_flags.size() == 1) flags["database_url"] = db_flags.front();
  if (migrator_flags.backup) flags["backup.dir"] = *migrator_flags.backup;
  if (migrator_flags.pg_dump) flags["backup.pg_dump"] = *migrator_flags.pg_dump;
  auto settings = resolve_settings(flags, config_path,
                                   [](const std::string& name) -> std::optional<std::string> {
                                     const char* v = std::getenv(name.c_str());
                                     return v ? std::optional<std::string>(v) : std::nullopt;
                                   });
  if (!settings) return finish(inv, json::object(), settings.error(), "");
  auto value = [&](const std::string& name) { return find_setting(*settings, name).value; };

  const std::string output = sarif ? std::string("sarif") : value("output");
  if (output == "sarif" && command && command->accepts_sarif) {
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
  if (migrator_flags.wait_for_quiet) {
    wait_for_quiet = parse_duration(*migrator_flags.wait_for_quiet);
    if (!wait_for_quiet)
      return fail_usage(
          inv, fmt::format("invalid --wait-for-quiet '{}'", *migrator_flags.wait_for_quiet),
          "write a duration such as 2min");
  }
  std::optional<std::chrono::milliseconds> max_replica_lag;
  if (migrator_flags.max_replica_lag) {
    max_replica_lag = parse_duration(*migrator_flags.max_replica_lag);
    if (!max_replica_lag || max_replica_lag->count() == 0)
      return fail_usage(
          inv, fmt::format("invalid --max-replica-lag '{}'", *migrator_flags.max_replica_lag),
          "write a duration above zero such as 5s or 500ms");
  }
  std::optional<std::chrono::milliseconds> reconnect;
  if (migrator_flags.reconnect) {
    reconnect = parse_duration(*migrator_flags.reconnect);
    if (!reconnect)
      return fail_usage(inv, fmt::format("invalid --reconnect '{}'", *migrator_flags.reconnect),
                        "write a duration such as 30s or 2min");
  }
  std::optional<PhaseScope> phase;
  if (migrator_flags.phase) {
    phase = parse_phase_scope(*migrator_flags.phase);
    if (!phase)
      return fail_usage(inv, fmt::format("invalid --phase '{}'", *migrator_flags.phase),
                        "use expand (the default: stop before contract migrations), contract "
                        "(after the deploy) or all (no gating)");
  }
  const std::string queue_avoidance = value("queue_avoidance");
  if (queue_avoidance != "on" && queue_avoidance != "off")
    return fail_usage(inv, fmt::format("invalid queue_avoidance '{}'", queue_avoidance),
                      "use on (the default) or off; --no-queue-avoidance is off");
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
  options.queue_avoidance = queue_avoidance == "on";
  if (wait_for_quiet) options.wait_for_quiet = *wait_for_quiet;
  if (reconnect) options.reconnect = *reconnect;
  if (max_replica_lag) options.max_replica_lag = *max_replica_lag;
  options.allow_out_of_order = migrator_flags.allow_out_of_order;
  options.retry_failed = migrator_flags.retry_failed;
  options.allow_unsafe = migrator_flags.allow_unsafe;
  options.new_history = migrator_flags.new_history;
  if (!value("checks.start-after").empty()) options.check_after = value("checks.start-after");
  if (phase) options.phase = *phase;
  if (!value("backup.dir").empty()) options.backup_dir = value("backup.dir");
  if (!value("backup.pg_dump").empty()) options.pg_dump = value("backup.pg_dump");
  options.sqlite_foreign_keys = fk == "check" ? ForeignKeyMode::kCheck : ForeignKeyMode::kEnforce;
  spdlog::debug("database {} ({}), migrations in {}",
                printable_value(find_setting(*settings, "database_url")),
                find_setting(*settings, "database_url").source, options.migrations_dir.string());
  if (options.history_table.empty())
    return fail_usage(inv, "the history table name is empty", "pass --history-table NAME");

  // Several databases: `--db` repeated, or [[databases]] in migrate.toml when neither --db nor
  // the environment names one.
  std::vector<NamedDatabase> databases;
  if (db_flags.size() > 1) {
    for (const auto& url : db_flags) databases.push_back({database_name_from_url(url), url});
    make_names_unique(databases);
  } else if (db_flags.empty() &&
             find_setting(*settings, "database_url").source.rfind("env ", 0) != 0) {
    auto configured = configured_databases(config_path);
    if (!configured) return finish(inv, json::object(), configured.error(), "");
    if (!configured->empty() && find_setting(*settings, "database_url").source != "default")
      return fail_usage(inv, "migrate.toml has both database_url and [[databases]]",
                        "keep one of them: database_url for one database, [[databases]] for "
                        "several");
    databases = std::move(*configured);
    // Commands that need no database (or take it as an option) ignore the configured list.
    for (const char* c : {"config", "new", "rules", "lint"})
      if (inv.command == c) databases.clear();
  }
  int parallel = 0;
  try {
    std::size_t used = 0;
    parallel = std::stoi(value("parallel"), &used);
    if (used != value("parallel").size()) parallel = 0;
  } catch (const std::exception&) {
  }
  if (parallel < 1 || parallel > 64)
    return fail_usage(inv, fmt::format("invalid parallel '{}'", value("parallel")),
                      "give --parallel a whole number from 1 to 64");
  if (!databases.empty()) {
    if (!runs_on_many_databases(inv.command))
      return fail_usage(
          inv,
          fmt::format("`migrate {}` works on one database; {} were given", inv.command,
                      databases.size()),
          "give one --db (or one database in migrate.toml); plan, apply, status, rollback, "
          "validate, ensure and verify run on several");
    const CLI::App* sub = command->subcommand;
    if (inv.command == "status" && sub->get_option("--watch")->count() > 0)
      return fail_usage(inv, "`migrate status --watch` watches one database",
                        "give one --db; or run `migrate status` on all of them");
    if (inv.command == "rollback" && sub->get_option("--yes")->count() == 0 &&
        sub->get_option("--dry-run")->count() == 0)
      return finish(
          inv, json::object(),
          Error{ErrorCode::kNotConfirmed,
                fmt::format("rollback on {} databases was not confirmed", databases.size()),
                "pass --yes to roll back every database given (see the plans first with "
                "`migrate rollback --dry-run`)",
                {},
                {}},
          "");
    const std::string& output_format = output;
    const auto& resolved = *settings;
    return run_on_databases(inv, databases, parallel, options,
                            [&](const Invocation& one, const Options& o) {
                              Migrator m(o);
                              Observer none;  // no progress bar: the databases share stderr
                              return command->run({one, output_format, resolved, o, m, none});
                            });
  }

  options.log = [](LogLevel severity, const std::string& message) {
    spdlog::log(severity == LogLevel::kDebug  ? spdlog::level::debug
                : severity == LogLevel::kInfo ? spdlog::level::info
                                              : spdlog::level::warn,
                message);
  };
  Migrator migrator(options);

  Observer observer;  // progress goes to the log (stderr); stdout gets the result
  // A backfill's progress: a bar redrawn in place on a terminal; otherwise the engine's log lines.
  auto bar = std::make_shared<BackfillProgressBar>(stderr, BackfillProgressBar::colour_on_stderr());
  if (BackfillProgressBar::wanted_on_stderr())
    observer.backfill_progress = [bar](const BackfillProgress& p) { bar->draw(p); };

  return command->run({inv, output, *settings, options, migrator, observer});
}

}  // namespace migrate::cli

int main(int argc, char** argv) {
  migrate::cli::use_huge_pages_for_heap();
  migrate::cli::turn_off_sqlite_memory_statistics();
  try {
    return migrate::cli::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "error[INTERNAL]: " << e.what()
              << "\n  fix: this is a bug in migrate; please report it\n";
    return 1;
  }
}
