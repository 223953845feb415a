// What every `migrate` command shares: how it is registered, what its handler is given, and the
// one way a result (or a usage error) is printed with its exit code. main.cpp dispatches to the
// Command whose subcommand was given.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/settings.hpp"
#include "migrate/error.hpp"
#include "migrate/migrator.hpp"

namespace migrate::cli {

struct Invocation {
  std::string command;
  bool json_output = false;
  // Where finish() prints: stdout and stderr, or buffers when one command runs on several
  // databases (multi_database_run.hpp), which also reads the error reported.
  std::ostream* out = &std::cout;
  std::ostream* err = &std::cerr;
  std::optional<Error>* reported = nullptr;
};

// Prints the command's result and returns its exit code. `body` holds the command's fields.
int finish(const Invocation& inv, nlohmann::json body, const std::optional<Error>& error,
           const std::string& text);

int fail_usage(const Invocation& inv, const std::string& message, const std::string& hint);

// Command flags that become Migrator Options. main.cpp checks and applies them with the global
// settings, before any command runs.
struct MigratorFlags {
  bool allow_out_of_order = false;
  bool retry_failed = false;
  bool allow_unsafe = false;
  bool new_history = false;
  std::optional<std::string> wait_for_quiet;   // a duration, checked by main.cpp
  std::optional<std::string> reconnect;        // a duration, checked by main.cpp
  std::optional<std::string> max_replica_lag;  // a duration, checked by main.cpp
  std::optional<std::string> phase;            // expand|contract|all, checked by main.cpp
  // Settings given as command flags (apply, rollback): they layer like global flags.
  std::optional<std::string> backup;   // backup.dir
  std::optional<std::string> pg_dump;  // backup.pg_dump
};

// --backup DIR and --pg-dump PATH, on the commands that change the schema.
void add_backup_flags(CLI::App& cmd, MigratorFlags& migrator_flags);

// Everything a command's handler may use, all resolved and checked before it runs.
struct CommandContext {
  const Invocation& inv;
  const std::string& output;  // "text", "json", or "sarif" (lint only)
  const std::vector<Setting>& settings;
  const Options& options;
  Migrator& migrator;
  const Observer& observer;
};

// A subcommand and the handler that runs it once it was parsed.
struct Command {
  CLI::App* subcommand = nullptr;
  std::function<int(const CommandContext&)> run;
  bool accepts_sarif = false;  // --output sarif is valid for this command
};

}  // namespace migrate::cli
