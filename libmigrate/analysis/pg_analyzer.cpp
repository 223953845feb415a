// Runs every PostgreSQL rule over every statement of the migrations, in order, with the context
// the rules need (objects created earlier, transaction groups, catalog facts), then applies the
// migration's suppressions and checks its declared class.
#include <fmt/format.h>

#include <deque>

#include "libmigrate/analysis/analysis_internal.hpp"
#include "libmigrate/analysis/pg_rule.hpp"
#include "libmigrate/error/failure.hpp"
#include "libmigrate/sql/postgres_file_parse.hpp"

namespace migrate {

bool PgMigrationContext::created_in_this_migration(const std::string& relation) const {
  if (created_here_.count(relation)) return true;
  // "public.t" and "t" name the same table unless another schema is set; accept both spellings.
  auto dot = relation.find('.');
  if (dot != std::string::npos && relation.substr(0, dot) == "public")
    return created_here_.count(relation.substr(dot + 1)) > 0;
  return created_here_.count("public." + relation) > 0;
}

std::optional<double> PgMigrationContext::rows(const std::string& relation) const {
  auto it = options_.table_rows.find(relation);
  if (it != options_.table_rows.end()) return it->second;
  auto dot = relation.find('.');
  if (dot == std::string::npos) it = options_.table_rows.find("public." + relation);
  return it != options_.table_rows.end() ? std::optional(it->second) : std::nullopt;
}

void PgMigrationContext::begin_migration() {
  created_here_.clear();
  in_transaction_.clear();
  in_migration_.clear();
}

void PgMigrationContext::after_statement(const PgStatementInfo& info, bool standalone) {
  in_migration_.push_back(&info);
  if (standalone)
    in_transaction_.clear();
  else
    in_transaction_.push_back(&info);
}

void PgMigrationContext::note_created(const std::string& relation) {
  created_here_.insert(relation);
}

void FindingSink::report(const RuleInfo& rule, std::string message, std::string alternative) {
  Finding f;
  f.rule_id = rule.id;
  f.severity = rule.severity;
  f.message = std::move(message);
  f.alternative = alternative.empty() ? rule.alternative : std::move(alternative);
  f.locks = facts_.base.locks;
  const bool lock_rule = static_cast<int>(rule.lock) >= static_cast<int>(LockLevel::kShare) &&
                         rule.lock != LockLevel::kDatabaseWrite;
  if (lock_rule && !facts_.base.locks.empty()) {
    bool counted = false, all_new = true, all_small = true;
    for (const auto& l : facts_.base.locks) {
      if (static_cast<int>(l.level) < static_cast<int>(LockLevel::kShare)) continue;
      counted = true;
      all_new = all_new && ctx_.created_in_this_migration(l.relation);
      auto rows = ctx_.rows(l.relation);
      all_small = all_small && rows && *rows < ctx_.options().small_table_rows;
    }
    if (counted && all_new)
      return;  // nobody else can see a table created earlier in this migration
    if (counted && all_small && f.severity != Severity::kInfo) {
      f.severity = Severity::kInfo;
      f.message += fmt::format(" (the catalog says the table is small: below {:.0f} rows)",
                               ctx_.options().small_table_rows);
    }
  }
  out_.push_back(std::move(f));
}

namespace {

std::string created_relation(const PgStatementInfo& info) {
  using namespace pgtree;
  const auto& n = info.node;
  if (info.node_type == "CreateStmt" || info.node_type == "ViewStmt")
    return relation_name(child(n, info.node_type == "ViewStmt" ? "view" : "relation"));
  if (info.node_type == "CreateTableAsStmt") return relation_name(child(child(n, "into"), "rel"));
  if (info.node_type == "CreateSeqStmt") return relation_name(child(n, "sequence"));
  if (info.node_type == "IndexStmt") {
    std::string name = text(n, "idxname");
    std::string schema = text(child(n, "relation"), "schemaname");
    return name.empty() ? std::string() : (schema.empty() ? name : schema + "." + name);
  }
  return {};
}

// PostgreSQL folds unquoted names and searches "public" first: "public.t" and "t" are one table
// for what a rollback loses.
std::string table_key(std::string relation) {
  if (relation.starts_with("public.")) relation.erase(0, 7);
  return relation;
}

void note_table_changes(const PgStatementInfo& info, int position, TableChanges& changes) {
  using namespace pgtree;
  if (info.node_type == "CreateStmt" || info.node_type == "CreateTableAsStmt") {
    if (auto created = created_relation(info); !created.empty())
      changes.created_tables.push_back(table_key(created));
  } else if (info.node_type == "DropStmt" && text(info.node, "removeType") == "OBJECT_TABLE") {
    for (const auto& r : info.relations)
      changes.removed.push_back({position, table_key(r), std::string()});
  } else if (info.node_type == "AlterTableStmt") {
    const std::string table = table_key(relation_name(child(info.node, "relation")));
    for (const nlohmann::json* cmd : alter_table_commands(info.node))
      if (text(*cmd, "subtype") == "AT_DropColumn")
        changes.removed.push_back({position, table, text(*cmd, "name")});
  }
}

}  // namespace

void analyze_postgres_migration(const Migration& m, PgMigrationContext& ctx, MigrationAnalysis& out,
                                TableChanges* changes) {
  ctx.begin_migration();
  const SourceLocation file{m.up.path.string(), m.version.str(), 0, 0, 0};
  std::deque<PgStatementInfo> infos;  // the context keeps pointers to earlier statements
  for_each_postgres_statement(m.up.sql, file, [&](SqlStatement&& s, PgStatementInfo&& parsed) {
    infos.push_back(std::move(parsed));
    const PgStatementInfo& info = infos.back();
    StatementAnalysis sa = pg_statement_effects(info, ctx);
    sa.index = s.index;
    sa.line = s.line;
    sa.column = s.column;
    PgStatementFacts facts{s, info, sa};
    std::vector<Finding> findings;
    FindingSink sink(facts, ctx, findings);
    for (const auto& rule : pg_rules()) rule->check(facts, ctx, sink);
    for (auto& f : findings) {
      f.where = SourceLocation{file.file, file.version, s.index, s.line, s.column};
      if (f.severity != Severity::kInfo)
        sa.migration_class = severer_class(sa.migration_class, class_of_rule(f.rule_id));
    }
    sa.findings = std::move(findings);
    ctx.after_statement(info, !info.can_run_in_transaction || !m.directives.transactional);
    if (auto created = created_relation(info); !created.empty()) ctx.note_created(created);
    if (changes) note_table_changes(info, static_cast<int>(out.statements.size()), *changes);
    out.statements.push_back(std::move(sa));
    // Rules look back at earlier statements' trees only for DDL (CREATE TYPE, DROP, ALTER
    // TABLE). A data statement's tree is dropped once its own rules ran, so a file of 500k
    // INSERTs does not keep 500k parse trees.
    const std::string& type = infos.back().node_type;
    if (type == "InsertStmt" || type == "UpdateStmt" || type == "DeleteStmt" ||
        type == "SelectStmt")
      infos.back().node = nullptr;
  });
}

}  // namespace migrate
