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

}  // namespace migrate::cli
