#include "faults/fault_scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

namespace migrate::testing {

const char* to_string(FaultEngine engine) {
  return engine == FaultEngine::kSqlite ? "sqlite" : "postgresql";
}

const char* to_string(FaultPhase phase) {
  return phase == FaultPhase::kApplied ? "apply" : "rollback";
}

namespace {

const std::filesystem::path kFaultFixtures =
    std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures/faults";

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool is_migration_file(const std::filesystem::path& p) {
  static const std::regex name(R"(V\d+__\w+\.(up|down)\.sql)");
  return std::regex_match(p.filename().string(), name);
}

const char* kExcludedTables =
    "'fault_log', 'migrate_history', 'migrate_history_statements', 'migrate_history_calibration'";

}  // namespace

FaultScenario FaultScenario::load(FaultEngine engine, const std::string& kind) {
  FaultScenario s;
  s.engine = engine;
  s.kind = kind;
  s.fixtures = kFaultFixtures / to_string(engine) / kind;
  if (!std::filesystem::is_directory(s.fixtures))
    throw std::runtime_error("no fixture folder " + s.fixtures.string());
  static const std::regex version_of(R"(V0*(\d+)__)");
  static const std::regex marker(
      R"(INSERT\s+INTO\s+fault_log[^;]*VALUES\s*\(\s*'([^']+)'\s*,\s*'(up|down)'\s*,\s*(\d+)\s*\))",
      std::regex::icase);
  std::set<std::string> versions;
  for (const auto& e : std::filesystem::directory_iterator(s.fixtures)) {
    if (!is_migration_file(e.path())) continue;
    std::smatch m;
    std::string file = e.path().filename().string();
    std::regex_search(file, m, version_of);
    versions.insert(m[1]);
    std::string text = read_text(e.path());
    for (std::sregex_iterator it(text.begin(), text.end(), marker), end; it != end; ++it) {
      std::string key = fmt::format("{}/{}/{}", (*it)[1].str(), (*it)[2].str(), (*it)[3].str());
      auto& list = (*it)[2] == "up" ? s.up_markers : s.down_markers;
      if (std::find(list.begin(), list.end(), key) != list.end())
        throw std::runtime_error("marker " + key + " twice in " + s.fixtures.string());
      list.push_back(key);
    }
  }
  s.versions.assign(versions.begin(), versions.end());
  std::sort(s.versions.begin(), s.versions.end(),
            [](const std::string& a, const std::string& b) { return std::stoi(a) < std::stoi(b); });
  std::sort(s.up_markers.begin(), s.up_markers.end());
  std::sort(s.down_markers.begin(), s.down_markers.end());
  std::istringstream schema(read_text(s.fixtures / "applied_schema.txt"));
  for (std::string line; std::getline(schema, line);)
    if (!line.empty() && line[0] != '#') s.applied_schema.push_back(line);
  std::sort(s.applied_schema.begin(), s.applied_schema.end());
  if (s.versions.empty() || s.up_markers.empty())
    throw std::runtime_error("no migrations or no fault_log markers in " + s.fixtures.string());
  return s;
}

void FaultScenario::copy_migrations_to(const std::filesystem::path& dir) const {
  std::filesystem::create_directories(dir);
  for (const auto& e : std::filesystem::directory_iterator(fixtures))
    if (is_migration_file(e.path()))
      std::filesystem::copy_file(e.path(), dir / e.path().filename(),
                                 std::filesystem::copy_options::overwrite_existing);
}

std::string fault_log_ddl(FaultEngine engine) {
  return engine == FaultEngine::kSqlite
             ? "CREATE TABLE fault_log (version TEXT NOT NULL, direction TEXT NOT NULL, "
               "step INTEGER NOT NULL)"
             : "CREATE TABLE public.fault_log (version text NOT NULL, direction text NOT NULL, "
               "step integer NOT NULL)";
}

std::vector<std::string> schema_signature(FaultEngine engine, const QueryRows& rows) {
  std::string sql;
  if (engine == FaultEngine::kSqlite) {
    sql = fmt::format(
        "SELECT 'table ' || m.name || '(' || (SELECT group_concat(name, ',') FROM (SELECT name "
        "FROM pragma_table_info(m.name) ORDER BY cid)) || ')' FROM sqlite_master m "
        "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT IN ({0}) "
        "UNION ALL SELECT 'index ' || name || ' on ' || tbl_name || ' valid' FROM sqlite_master "
        "WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%' AND tbl_name NOT IN ({0}) "
        "ORDER BY 1",
        kExcludedTables);
  } else {
    sql = fmt::format(
        "SELECT 'table ' || c.relname || '(' || string_agg(a.attname, ',' ORDER BY a.attnum) || "
        "')' FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname NOT IN ({0}) "
        "GROUP BY c.relname "
        "UNION ALL SELECT 'index ' || ic.relname || ' on ' || tc.relname || "
        "CASE WHEN i.indisvalid THEN ' valid' ELSE ' invalid' END "
        "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
        "JOIN pg_class tc ON tc.oid = i.indrelid JOIN pg_namespace n ON n.oid = tc.relnamespace "
        "WHERE n.nspname = 'public' AND tc.relname NOT IN ({0}) ORDER BY 1",
        kExcludedTables);
  }
  auto out = rows(sql);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Divergence> check_converged(const FaultScenario& scenario, FaultPhase phase,
                                        const QueryRows& rows, int status_exit,
                                        const std::string& status_json) {
  std::vector<Divergence> found;
  auto add = [&](DivergenceKind kind, std::string what) {
    found.push_back({kind, std::move(what)});
  };

  // Side effects: each up marker exactly once in both phases, each down marker once after the
  // rollback and never after the apply.
  std::map<std::string, int> markers;
  for (const auto& row :
       rows("SELECT version || '/' || direction || '/' || step FROM fault_log ORDER BY 1"))
    ++markers[row];
  auto expect_markers = [&](const std::vector<std::string>& keys, int want) {
    for (const auto& key : keys) {
      int got = markers.count(key) ? markers[key] : 0;
      if (got > want)
        add(DivergenceKind::kDoubleApply,
            fmt::format("side effect {} happened {} times, expected {}", key, got, want));
      else if (got < want)
        add(DivergenceKind::kSkipped,
            fmt::format("side effect {} happened {} times, expected {}", key, got, want));
    }
  };
  expect_markers(scenario.up_markers, 1);
  expect_markers(scenario.down_markers, phase == FaultPhase::kReverted ? 1 : 0);

  // Schema: exactly the applied one (or nothing), every index valid, no duplicate index.
  auto schema = schema_signature(scenario.engine, rows);
  std::vector<std::string> want =
      phase == FaultPhase::kApplied ? scenario.applied_schema : std::vector<std::string>{};
  static const std::regex duplicate_index(R"(^index \S*\d+ on )");
  for (const auto& line : want)
    if (std::find(schema.begin(), schema.end(), line) == schema.end())
      add(DivergenceKind::kSkipped, "schema lacks `" + line + "`");
  for (const auto& line : schema) {
    if (std::find(want.begin(), want.end(), line) != want.end()) continue;
    bool duplicate = std::regex_search(line, duplicate_index) &&
                     std::none_of(want.begin(), want.end(), [&](const std::string& w) {
                       return w.substr(0, w.find(" on ")) == line.substr(0, line.find(" on "));
                     });
    add(duplicate ? DivergenceKind::kDoubleApply : DivergenceKind::kUnrecorded,
        "schema has `" + line + "`, not in the " + to_string(phase) + " state");
  }

  // History: per version one successful up attempt (and one down after the rollback), the
  // newest attempt the phase's, none left running.
  struct VersionHistory {
    int ok_up = 0, ok_down = 0, running = 0;
    std::string newest;
  };
  std::map<std::string, VersionHistory> history;
  for (const auto& row :
       rows("SELECT version || '|' || direction || '|' || CASE WHEN success IS NULL THEN 'running' "
            "WHEN success THEN 'ok' ELSE 'failed' END FROM migrate_history "
            "WHERE direction <> 'init' ORDER BY id")) {
    auto p1 = row.find('|'), p2 = row.rfind('|');
    std::string version = row.substr(0, p1), direction = row.substr(p1 + 1, p2 - p1 - 1),
                outcome = row.substr(p2 + 1);
    auto& h = history[version];
    if (outcome == "ok") ++(direction == "up" ? h.ok_up : h.ok_down);
    if (outcome == "running") ++h.running;
    h.newest = direction + " " + outcome;
  }
  int want_down = phase == FaultPhase::kReverted ? 1 : 0;
  std::string want_newest = phase == FaultPhase::kApplied ? "up ok" : "down ok";
  for (const auto& v : scenario.versions) {
    const auto& h = history[v];
    if (h.ok_up != 1)
      add(h.ok_up > 1 ? DivergenceKind::kDoubleApply : DivergenceKind::kSkipped,
          fmt::format("version {} has {} successful up attempts, expected 1", v, h.ok_up));
    if (h.ok_down != want_down)
      add(h.ok_down > want_down ? DivergenceKind::kDoubleApply : DivergenceKind::kSkipped,
          fmt::format("version {} has {} successful down attempts, expected {}", v, h.ok_down,
                      want_down));
    if (h.running > 0)
      add(DivergenceKind::kHistory,
          fmt::format("version {} has {} attempt(s) left running", v, h.running));
    if (h.newest != want_newest)
      add(DivergenceKind::kHistory, fmt::format("version {}: newest attempt is `{}`, expected `{}`",
                                                v, h.newest, want_newest));
  }

  // `migrate status` must say the same.
  std::string want_state = phase == FaultPhase::kApplied ? "applied" : "pending";
  if (status_exit != 0) {
    add(DivergenceKind::kHistory, fmt::format("`migrate status` exited {}", status_exit));
    return found;
  }
  try {
    auto j = nlohmann::json::parse(status_json);
    std::map<std::string, std::string> states;
    for (const auto& m : j.at("migrations"))
      states[m.at("version").get<std::string>()] = m.at("state").get<std::string>();
    for (const auto& v : scenario.versions)
      if (states[v] != want_state)
        add(DivergenceKind::kHistory,
            fmt::format("`migrate status` says version {} is `{}`, expected `{}`", v, states[v],
                        want_state));
  } catch (const std::exception& e) {
    add(DivergenceKind::kHistory, std::string("`migrate status --output json`: ") + e.what());
  }
  return found;
}

}  // namespace migrate::testing
