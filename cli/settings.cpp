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
      {"queue_avoidance", "--no-queue-avoidance", {"MIGRATE_QUEUE_AVOIDANCE"}, "on", false},
      {"output", "--output", {"MIGRATE_OUTPUT"}, "text", false},
      {"log_level", "--log-level", {"MIGRATE_LOG_LEVEL"}, "info", false},
      {"checks.start-after", "--check-after", {"MIGRATE_CHECK_AFTER"}, "", false},
      {"sqlite.foreign_keys",
       "--sqlite-foreign-keys",
       {"MIGRATE_SQLITE_FOREIGN_KEYS"},
       "check",
       false},
      {"backup.dir", "--backup", {"MIGRATE_BACKUP_DIR"}, "", false},
      {"parallel", "--parallel", {"MIGRATE_PARALLEL"}, "1", false},
      {"backup.pg_dump", "--pg-dump", {"MIGRATE_PG_DUMP"}, "pg_dump", false},
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
            else if (key == "databases" && v.is_array())
              continue;  // [[databases]]: configured_databases() reads them
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

std::string database_name_from_url(const std::string& url) {
  if (url.starts_with("sqlite:")) {
    std::string path = url.substr(7);
    if (path.starts_with("//")) path = path.substr(2);
    path = path.substr(0, path.find('?'));
    if (path == ":memory:") return "memory";
    std::string stem = std::filesystem::path(path).stem().string();
    return stem.empty() ? std::string("db") : stem;
  }
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    auto scheme_end = url.find("://") + 3;
    auto slash = url.find('/', scheme_end);
    if (slash == std::string::npos) return "db";
    std::string name = url.substr(slash + 1);
    name = name.substr(0, name.find('?'));
    return name.empty() ? std::string("db") : name;
  }
  // key=value: the value of dbname.
  for (std::size_t at = url.find("dbname"); at != std::string::npos;
       at = url.find("dbname", at + 1)) {
    if (at > 0 && url[at - 1] != ' ') continue;
    std::size_t v = at + 6;
    while (v < url.size() && url[v] == ' ') ++v;
    if (v >= url.size() || url[v] != '=') continue;
    ++v;
    while (v < url.size() && url[v] == ' ') ++v;
    std::size_t end = v;
    if (end < url.size() && url[end] == '\'') {
      end = url.find('\'', v + 1);
      return url.substr(v + 1, end == std::string::npos ? std::string::npos : end - v - 1);
    }
    while (end < url.size() && url[end] != ' ') ++end;
    if (end > v) return url.substr(v, end - v);
  }
  return "db";
}

void make_names_unique(std::vector<NamedDatabase>& databases) {
  for (std::size_t i = 0; i < databases.size(); ++i) {
    const std::string base = databases[i].name;
    for (int n = 2;; ++n) {
      bool taken = false;
      for (std::size_t j = 0; j < i; ++j) taken = taken || databases[j].name == databases[i].name;
      if (!taken) break;
      databases[i].name = fmt::format("{}-{}", base, n);
    }
  }
}

Result<std::vector<NamedDatabase>> configured_databases(
    const std::optional<std::string>& config_path) {
  const std::string path = config_path.value_or("migrate.toml");
  if (!std::filesystem::exists(path)) return std::vector<NamedDatabase>{};
  toml::table config;
  try {
    config = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Error{ErrorCode::kUsage,
                 fmt::format("invalid TOML: {}", e.description()),
                 "fix the syntax (https://toml.io)",
                 {path},
                 {}};
  }
  auto usage = [&](const std::string& message) -> Result<std::vector<NamedDatabase>> {
    return Error{ErrorCode::kUsage,
                 fmt::format("{} in {}", message, path),
                 "write each database as [[databases]] with name = \"...\" and url = \"...\" "
                 "(docs/cli.md#many-databases)",
                 {path},
                 {}};
  };
  std::vector<NamedDatabase> out;
  const toml::node* node = config.get("databases");
  if (!node) return out;
  const toml::array* list = node->as_array();
  if (!list) return usage("'databases' must be an array of tables ([[databases]])");
  for (const auto& entry : *list) {
    const toml::table* t = entry.as_table();
    if (!t) return usage("'databases' must be an array of tables ([[databases]])");
    NamedDatabase db;
    bool named = false;
    for (const auto& [k, v] : *t) {
      const std::string key(k.str());
      auto s = v.value_exact<std::string>();
      if (key != "name" && key != "url")
        return usage(fmt::format("unknown key '{}' in [[databases]] (known: name, url)", key));
      if (!s) return usage(fmt::format("'{}' of [[databases]] must be a string", key));
      if (key == "name") {
        db.name = *s;
        named = true;
      } else {
        db.url = *s;
      }
    }
    if (db.url.empty())
      return usage(fmt::format("[[databases]] entry {} has no url", out.size() + 1));
    if (named && db.name.empty())
      return usage(fmt::format("[[databases]] entry {} has an empty name", out.size() + 1));
    if (!named) db.name = database_name_from_url(db.url);
    for (const auto& other : out)
      if (named && other.name == db.name)
        return usage(fmt::format("two [[databases]] entries are named '{}'", db.name));
    out.push_back(std::move(db));
  }
  make_names_unique(out);
  return out;
}

}  // namespace migrate::cli
