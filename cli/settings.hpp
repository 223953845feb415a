// Effective CLI settings and where each came from: flag > environment > migrate.toml > default.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "migrate/error.hpp"

namespace migrate::cli {

struct Setting {
  std::string name;  // "database_url"
  std::string value;
  std::string source;  // "flag --db", "env MIGRATE_DATABASE_URL", "migrate.toml", "default"
  bool secret_in_value = false;  // a URL that may carry a password: print redacted
};

struct SettingSpec {
  std::string name;              // key in migrate.toml ("sqlite.foreign_keys" for a table)
  std::string flag;              // "--db"
  std::vector<std::string> env;  // checked in order
  std::string default_value;
  bool secret_in_value = false;
};

const std::vector<SettingSpec>& setting_specs();

// `flags` holds the values given on the command line, by setting name. `config_path` is the
// --config value, if given (then the file must exist); otherwise ./migrate.toml is read when
// present. `environment` is looked up by name (the CLI passes getenv; tests pass a map).
Result<std::vector<Setting>> resolve_settings(
    const std::map<std::string, std::string>& flags, const std::optional<std::string>& config_path,
    const std::function<std::optional<std::string>(const std::string&)>& environment);

const Setting& find_setting(const std::vector<Setting>& settings, const std::string& name);

// One database of a command that runs on several (`--db` repeated, or `[[databases]]` in
// migrate.toml; docs/cli.md#many-databases).
struct NamedDatabase {
  std::string name;  // as configured, else database_name_from_url(url); unique in the list
  std::string url;
};

// The `[[databases]]` entries of the configuration file (`config_path`, else ./migrate.toml when
// present), in file order; empty without them. Each entry has `url` (a string, required) and
// `name` (a string, optional). kUsage for another key, another type, an empty URL or a name given
// twice.
Result<std::vector<NamedDatabase>> configured_databases(
    const std::optional<std::string>& config_path);

// A short name for a database URL, for output: SQLite's file stem, PostgreSQL's database name
// (URI path or dbname=), else "db".
std::string database_name_from_url(const std::string& url);

// `name`s made unique in order: a second "app" becomes "app-2".
void make_names_unique(std::vector<NamedDatabase>& databases);

}  // namespace migrate::cli
