// `migrate lint` and `migrate rules`: loading loose migration files, analyzing them without a
// database, and printing the findings as text, JSON or SARIF. The renderer reuses the analysis
// output for plans.
#include "cli/commands/lint_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <regex>
#include <sstream>

#include "cli/exit_codes.hpp"
#include "migrate/library_version.hpp"

namespace migrate::cli {

using nlohmann::json;

Result<MigrationSet> load_lint_inputs(const std::vector<std::string>& paths) {
  MigrationSet out;
  std::vector<Migration> singles;
  for (const auto& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      auto set = load_directory(p);
      if (!set) return set.error();
      if (out.migrations.empty()) {
        out.migrations = std::move(set->migrations);  // the usual case: one directory
        continue;
      }
      out.migrations.reserve(out.migrations.size() + set->migrations.size());
      for (auto& m : set->migrations) out.migrations.push_back(std::move(m));
      continue;
    }
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      return Error{ErrorCode::kUsage,
                   fmt::format("cannot read {}", p),
                   "pass migration files or directories",
                   {p},
                   {}};
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    Migration m{
        *Version::parse("0"), std::filesystem::path(p).stem().string(), {}, std::nullopt, {}};
    static const std::regex name(R"(^[Vv]([0-9]+(?:\.[0-9]+)*)__([A-Za-z0-9_-]+)\.up\.sql$)");
    std::smatch match;
    std::string fname = std::filesystem::path(p).filename().string();
    if (std::regex_match(fname, match, name)) {
      m.version = *Version::parse(match[1].str());
      m.name = match[2].str();
    }
    m.up = MigrationFile{p, normalize_sql_text(buf.str()), {}};
    m.up.checksum = checksum_v1(m.up.sql);
    auto d = parse_directives(m.up.sql, p);
    if (!d) return d.error();
    m.directives = *d;
    singles.push_back(std::move(m));
  }
  // Unversioned files follow the directories, in the order given.
  std::size_t next = 1;
  for (auto& m : singles) {
    if (m.version.str() == "0") {
      std::string v = std::to_string(1000000 + next++);
      m.version = *Version::parse(v);
    }
    out.migrations.push_back(std::move(m));
  }
  const auto by_version = [](const Migration& a, const Migration& b) {
    return a.version < b.version;
  };
  // A directory comes sorted: the sort would still move every migration through a buffer.
  if (!std::is_sorted(out.migrations.begin(), out.migrations.end(), by_version))
    std::stable_sort(out.migrations.begin(), out.migrations.end(), by_version);
  return out;
}

namespace {

// JSON objects are built field by field, values moved in: an initializer list copies each value
// once more, and `lint --output json` of a large corpus is mostly these objects.
class JsonObject {
 public:
  template <class Value>
  JsonObject& add(const char* key, Value&& value) {
    fields_.emplace(key, json(std::forward<Value>(value)));
    return *this;
  }
  json done() { return json(std::move(fields_)); }

 private:
  json::object_t fields_;
};

json locks_json(const std::vector<RelationLock>& locks) {
  json out(json::value_t::array);
  auto& items = out.get_ref<json::array_t&>();
  items.reserve(locks.size());
  for (const auto& l : locks)
    items.push_back(
        JsonObject().add("relation", l.relation).add("lock", to_string(l.level)).done());
  return out;
}

}  // namespace

json to_json(const Finding& f) {
  return JsonObject()
      .add("rule", f.rule_id)
      .add("severity", to_string(f.severity))
      .add("message", f.message)
      .add("alternative", f.alternative)
      .add("file", f.where.file)
      .add("version", f.where.version)
      .add("statement", f.where.statement)
      .add("line", f.where.line)
      .add("column", f.where.column)
      .add("locks", locks_json(f.locks))
      .add("suppressed", f.suppressed)
      .add("suppression_reason", f.suppression_reason)
      .done();
}

json to_json(const MigrationAnalysis& a) {
  json statements(json::value_t::array);
  auto& statement_items = statements.get_ref<json::array_t&>();
  statement_items.reserve(a.statements.size());
  for (const auto& s : a.statements) {
    statement_items.push_back(JsonObject()
                                  .add("index", s.index)
                                  .add("line", s.line)
                                  .add("column", s.column)
                                  .add("kind", s.kind)
                                  .add("class", to_string(s.migration_class))
                                  .add("locks", locks_json(s.locks))
                                  .add("rewrites_table", s.rewrites_table)
                                  .add("scans_table", s.scans_table)
                                  .add("can_run_in_transaction", s.can_run_in_transaction)
                                  .done());
  }
  json findings(json::value_t::array);
  auto& finding_items = findings.get_ref<json::array_t&>();
  finding_items.reserve(a.findings.size());
  for (const auto& f : a.findings) finding_items.push_back(to_json(f));
  return JsonObject()
      .add("version", a.version)
      .add("name", a.name)
      .add("file", a.file)
      .add("class", to_string(a.inferred_class))
      .add("declared_class", a.declared_class ? json(to_string(*a.declared_class)) : json(nullptr))
      .add("statements", std::move(statements))
      .add("findings", std::move(findings))
      .done();
}

json to_sarif(const std::vector<MigrationAnalysis>& analyses) {
  json rules = json::array();
  for (const auto& r : rule_catalog()) {
    rules.push_back({{"id", r.id},
                     {"shortDescription", {{"text", r.why}}},
                     {"help", {{"text", r.alternative}}},
                     {"defaultConfiguration",
                      {{"level", r.severity == Severity::kError     ? "error"
                                 : r.severity == Severity::kWarning ? "warning"
                                                                    : "note"}}}});
  }
  json results = json::array();
  for (const auto& a : analyses) {
    for (const auto& f : a.findings) {
      json result{
          {"ruleId", f.rule_id},
          {"level", f.severity == Severity::kError     ? "error"
                    : f.severity == Severity::kWarning ? "warning"
                                                       : "note"},
          {"message", {{"text", f.message + ". Fix: " + f.alternative}}},
          {"locations", json::array({{{"physicalLocation",
                                       {{"artifactLocation", {{"uri", f.where.file}}},
                                        {"region",
                                         {{"startLine", std::max(f.where.line, 1)},
                                          {"startColumn", std::max(f.where.column, 1)}}}}}}})}};
      if (f.suppressed) {
        result["suppressions"] =
            json::array({{{"kind", "inSource"}, {"justification", f.suppression_reason}}});
      }
      results.push_back(result);
    }
  }
  return json{
      {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
      {"version", "2.1.0"},
      {"runs",
       json::array({{{"tool",
                      {{"driver",
                        {{"name", "migrate"},
                         {"version", kLibraryVersion},
                         {"informationUri", "https://example.invalid/libmigrate/docs/rules.md"},
                         {"rules", rules}}}}},
                     {"results", results}}})}};
}

std::string render_analysis_text(const MigrationAnalysis& a, const std::string& indent) {
  std::string out = fmt::format(
      "{}class {}{}\n", indent, to_string(a.inferred_class),
      a.declared_class ? fmt::format(" (declared {})", to_string(*a.declared_class)) : "");
  for (const auto& f : a.findings) {
    std::string where = f.where.line > 0
                            ? fmt::format("{}:{}:{}", f.where.file, f.where.line, f.where.column)
                            : f.where.file;
    out += fmt::format("{}{}: {} [{}] {}{}\n", indent, where, to_string(f.severity), f.rule_id,
                       f.message,
                       f.suppressed ? fmt::format(" (allowed: {})", f.suppression_reason) : "");
    if (!f.suppressed) out += fmt::format("{}  fix: {}\n", indent, f.alternative);
  }
  return out;
}

std::string render_lint_text(const std::vector<MigrationAnalysis>& analyses) {
  std::string out;
  int errors = 0, warnings = 0, infos = 0, suppressed = 0;
  for (const auto& a : analyses) {
    out += fmt::format("V{} {}\n", a.version, a.name);
    out += render_analysis_text(a, "  ");
    for (const auto& f : a.findings) {
      if (f.suppressed)
        ++suppressed;
      else if (f.severity == Severity::kError)
        ++errors;
      else if (f.severity == Severity::kWarning)
        ++warnings;
      else
        ++infos;
    }
  }
  out += fmt::format("\n{} migration(s): {} error(s), {} warning(s), {} info, {} allowed\n",
                     analyses.size(), errors, warnings, infos, suppressed);
  return out;
}

namespace {

struct LintFlags {
  std::vector<std::string> paths;
  std::optional<int> pg_version;
  std::optional<std::string> dialect;
  bool require_qualified = false;
};

int run_lint(const CommandContext& ctx, const LintFlags& flags) {
  const Invocation& inv = ctx.inv;
  std::vector<std::string> lint_paths = flags.paths;
  if (lint_paths.empty()) lint_paths.push_back(ctx.options.migrations_dir.string());
  auto inputs = load_lint_inputs(lint_paths);
  if (!inputs) return finish(inv, json::object(), inputs.error(), "");
  AnalysisOptions ao;
  const std::string dialect = flags.dialect.value_or(
      ctx.options.database_url.starts_with("sqlite:") ? "sqlite" : "postgresql");
  auto parsed = parse_dialect(dialect);
  if (!parsed)
    return fail_usage(inv, fmt::format("unknown dialect '{}'", dialect),
                      "use --dialect postgresql or sqlite");
  ao.dialect = *parsed;
  if (flags.pg_version) ao.server_version_num = *flags.pg_version;
  ao.require_qualified_names = flags.require_qualified;
  std::vector<const Migration*> list;
  for (const auto& m : inputs->migrations) list.push_back(&m);
  auto analyses = analyze_migrations(list, ao);
  if (!analyses) return finish(inv, json::object(), analyses.error(), "");
  // With --db on the command line, the same catalog facts as `plan` (row estimates, installed
  // extensions, materialized views, server version), then analyse again with them. A URL from
  // the environment or migrate.toml does not count: lint stays offline in CI unless asked.
  if (find_setting(ctx.settings, "database_url").source.starts_with("flag")) {
    std::vector<std::string> relations;
    for (const auto& a : *analyses)
      for (const auto& s : a.statements)
        for (const auto& l : s.locks)
          if (std::find(relations.begin(), relations.end(), l.relation) == relations.end())
            relations.push_back(l.relation);
    auto catalog = ctx.migrator.catalog_analysis_options(relations);
    if (!catalog) return finish(inv, json::object(), catalog.error(), "");
    AnalysisOptions connected = std::move(catalog).value();
    connected.dialect = ao.dialect;
    if (flags.pg_version) connected.server_version_num = *flags.pg_version;
    connected.require_qualified_names = ao.require_qualified_names;
    ao = std::move(connected);
    analyses = analyze_migrations(list, ao);
    if (!analyses) return finish(inv, json::object(), analyses.error(), "");
  }
  // The analysis start point (--check-after, checks.start-after; docs/adopting.md): findings of
  // migrations at or below it are printed but do not fail the lint, as apply does not refuse
  // them.
  std::optional<Version> check_after;
  if (ctx.options.check_after) {
    check_after = Version::parse(*ctx.options.check_after);
    if (!check_after)
      return fail_usage(
          inv, fmt::format("analysis start point '{}' is not a version", *ctx.options.check_after),
          "give --check-after (or checks.start-after in migrate.toml) a version "
          "such as V012, 12 or 1.2");
  }
  std::size_t blocking = 0, grandfathered = 0;
  for (const auto& a : *analyses) {
    const auto v = Version::parse(a.version);
    const bool before_start = check_after && v && !(*check_after < *v);
    (before_start ? grandfathered : blocking) += a.blocking().size();
  }
  std::optional<Error> error;
  if (blocking > 0) {
    error = Error{ErrorCode::kUnsafeMigration,
                  fmt::format("{} unsuppressed error-level finding(s){}", blocking,
                              grandfathered > 0
                                  ? fmt::format(" after the analysis start point ({} at or below "
                                                "it are reported only)",
                                                grandfathered)
                                  : std::string()),
                  "use the safe alternatives shown, or `-- migrate:allow <rule-id> reason \"...\"`",
                  {},
                  {}};
  }
  if (ctx.output == "sarif") {
    std::cout << to_sarif(*analyses).dump(2) << "\n";
    return error ? exit_code_for(error->code) : kExitOk;
  }
  // Only the form that is printed is built.
  if (!inv.json_output) return finish(inv, json::object(), error, render_lint_text(*analyses));
  json list_json = json::array();
  list_json.get_ref<json::array_t&>().reserve(analyses->size());
  for (const auto& a : *analyses) list_json.push_back(to_json(a));
  json body = json::object();
  body["migrations"] = std::move(list_json);
  return finish(inv, std::move(body), error, "");
}

int run_rules(const CommandContext& ctx, bool markdown) {
  if (markdown) {
    std::cout << rules_markdown();
    return kExitOk;
  }
  json list = json::array();
  std::string text;
  for (const auto& r : rule_catalog()) {
    list.push_back({{"id", r.id},
                    {"dialect", dialect_name(r)},
                    {"severity", to_string(r.severity)},
                    {"class", to_string(r.migration_class)},
                    {"lock", to_string(r.lock)},
                    {"why", r.why},
                    {"alternative", r.alternative}});
    text += fmt::format("{:<42} {:<10} {:<8} {}\n", r.id, dialect_name(r), to_string(r.severity),
                        to_string(r.lock));
  }
  return finish(ctx.inv, {{"rules", list}}, std::nullopt, text);
}

}  // namespace

Command add_lint_command(CLI::App& app, bool& sarif) {
  auto flags = std::make_shared<LintFlags>();
  auto* cmd = app.add_subcommand("lint",
                                 "analyze migrations without a database: class, locks and "
                                 "rule findings with the safe alternative");
  cmd->add_option("paths", flags->paths,
                  "migration files or directories (default: the migrations directory)");
  cmd->add_option("--pg-version", flags->pg_version,
                  "PostgreSQL server_version_num to assume (default 150000)");
  cmd->add_option("--dialect", flags->dialect,
                  "postgresql or sqlite (default: from --db, else postgresql)");
  cmd->add_flag("--sarif", sarif, "print SARIF 2.1.0 (same as --output sarif)");
  cmd->add_flag("--require-qualified-names", flags->require_qualified,
                "also report relations named without a schema (rule unqualified-relation)");
  return {.subcommand = cmd,
          .run = [flags](const CommandContext& ctx) { return run_lint(ctx, *flags); },
          .accepts_sarif = true};
}

Command add_rules_command(CLI::App& app) {
  auto markdown = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("rules", "list the analyzer's rules");
  cmd->add_flag("--markdown", *markdown, "print docs/rules.md");
  return {.subcommand = cmd,
          .run = [markdown](const CommandContext& ctx) { return run_rules(ctx, *markdown); }};
}

}  // namespace migrate::cli
