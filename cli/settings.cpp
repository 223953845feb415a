#include "cli/settings.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <filesystem>
#include <functional>

namespace migrate::cli {

const std::vector<SettingSpec>& setting_specs() {
  static const std::vector<SettingSpec> specs{
      {"database_url", "--db", {"MIGRATE_DATABASE_URL", "DATABASE_URL"}, "", true},
      {"dir", "--dir", {"MIGRATE_DIR"}, "migrations", false},
      {"history_table", "--history-table", {"MIGRATE_HISTORY_TABLE"}, "migrate_history", false},
      {"history_schema", "--history-schema", {"MIGRATE_HISTORY_SCHEMA"}, "public", false},
      {"lock_wait", "--lock-wait", {"MIGRATE_LOCK_WAIT"}, "10s", false},
      {"lock_timeout", "--lock-timeout", {"MIGRATE_LOCK_TIMEOUT"}, "500ms", false},
      {"statement_timeout", "--statement-timeout", {"MIGRATE_STATEMENT_TIMEOUT"}, "", false},
      {"lock_retries", "--lock-retries", {"MIGRATE_LOCK_RETRIES"}, "8", false},
      {"output", "--output", {"MIGRATE_OUTPUT"}, "text", false},
      {"log_level", "--log-level", {"MIGRATE_LOG_LEVEL"}, "info", false},
      {"checks.start-after", "--check-after", {"MIGRATE_CHECK_AFTER"}, "", false},
      {"sqlite.foreign_keys",
       "--sqlite-foreign-keys",
       {"MIGRATE_SQLITE_FOREIGN_KEYS"},
       "check",
       false},
  };
  return specs;
}

const Setting& find_setting(const std::vector<Setting>& settings, const std::string& name) {
  for (const auto& s : settings)
    if (s.name == name) return s;
  throw std::logic_error("unknown setting " + name);
}

namespace {

// Every setting is a string in migrate.toml ("10s", "sqlite:app.db"); another type is a mistake
// that must not silently fall back to the default.
std::optional<std::string> toml_string(const toml::table& table, const std::string& dotted,
                                       std::string& type_error) {
  auto node = table.at_path(dotted);
  if (!node) return std::nullopt;
  if (auto s = node.value_exact<std::string>()) return *s;
  type_error = fmt::format("'{}' must be a string, e.g. {} = \"...\"", dotted, dotted);
  return std::nullopt;
}

bool known_key(const std::string& dotted) {
  for (const auto& spec : setting_specs())
    if (spec.name == dotted) return true;
  return false;
}

}  // namespace

Result<std::vector<Setting>> resolve_settings(
    const std::map<std::string, std::string>& flags, const std::optional<std::string>& config_path,
    const std::function<std::optional<std::string>(const std::string&)>& environment) {
  toml::table config;
  std::string config_label = "migrate.toml";
  std::string path = config_path.value_or("migrate.toml");
  bool exists = std::filesystem::exists(path);
  if (config_path && !exists) {
    return Error{ErrorCode::kUsage,
                 fmt::format("config file {} does not exist", path),
                 "fix --config, or drop it to read ./migrate.toml when present",
                 {path},
                 {}};
  }
  if (exists) {
    config_label = path;
    try {
      config = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      const auto& where = e.source().begin;
      return Error{ErrorCode::kUsage,
                   fmt::format("invalid TOML: {}", e.description()),
                   "fix the syntax (https://toml.io)",
                   {path, {}, 0, static_cast<int>(where.line), static_cast<int>(where.column)},
                   {}};
    }
    // Unknown keys are mistakes (a typo would silently keep the default).
    std::vector<std::string> unknown;
    std::function<void(const toml::table&, const std::string&)> walk =
        [&](const toml::table& t, const std::string& prefix) {
          for (const auto& [k, v] : t) {
            std::string key =
                prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
            if (v.is_table())
              walk(*v.as_table(), key);
            else if (!known_key(key))
              unknown.push_back(key);
          }
        };
    walk(config, "");
    if (!unknown.empty()) {
      std::string keys;
      for (const auto& s : setting_specs()) keys += (keys.empty() ? "" : ", ") + s.name;
      return Error{ErrorCode::kUsage,
                   fmt::format("unknown key '{}' in {}", unknown.front(), path),
                   "known keys: " + keys,
                   {path},
                   {}};
    }
  }

  std::vector<Setting> out;
  for (const auto& spec : setting_specs()) {
    Setting s{spec.name, spec.default_value, "default", spec.secret_in_value};
    std::string type_error;
    auto from_toml = toml_string(config, spec.name, type_error);
    if (!type_error.empty()) {
      return Error{ErrorCode::kUsage,
                   fmt::format("{} in {}", type_error, config_label),
                   "quote the value in migrate.toml",
                   {config_label},
                   {}};
    }
    if (auto v = from_toml) {
      s.value = *v;
      s.source = config_label;
    }
    for (auto it = spec.env.rbegin(); it != spec.env.rend(); ++it) {  // first listed wins
      if (auto v = environment(*it); v && !v->empty()) {
        s.value = *v;
        s.source = "env " + *it;
      }
    }
    if (auto f = flags.find(spec.name); f != flags.end()) {
      s.value = f->second;
      s.source = "flag " + spec.flag;
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace migrate::cli
