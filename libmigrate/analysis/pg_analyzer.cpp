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

namespace {

// "public.t" and "t" name the same table unless another schema is set: both spellings.
std::vector<std::string> spellings_of(const std::string& relation) {
  auto dot = relation.find('.');
  if (dot == std::string::npos) return {relation, "public." + relation};
  if (relation.substr(0, dot) == "public") return {relation, relation.substr(dot + 1)};
  return {relation};
}

}  // namespace

bool PgMigrationContext::created_in_this_migration(const std::string& relation) const {
  const std::vector<std::string> names = spellings_of(relation);
  for (const auto& name : names)
    if (created_here_.count(name)) return true;
  // A down file undoes its own up file: what that up file created (a table, an index) is this
  // migration's, and only code that needs this migration uses it, so the rollback that removes
  // it is judged like the up file that made it. (In an up file, created_in_set_ names this
  // version only for what created_here_ already holds.)
  for (const auto& name : names) {
    auto it = created_in_set_.find(name);
    if (it == created_in_set_.end() || it->second != version_) continue;
    // An index is this migration's to remove only when its table is too: dropping it otherwise
    // locks a table that existed before the migration.
    auto index = index_table_.find(name);
    return index == index_table_.end() || index->second.empty() ||
           created_in_this_migration(index->second);
  }
  return false;
}

std::optional<std::string> PgMigrationContext::created_by_earlier_migration(
    const std::string& relation) const {
  for (const auto& name : spellings_of(relation)) {
    auto it = created_in_set_.find(name);
    if (it != created_in_set_.end() && it->second != version_) return it->second;
  }
  return std::nullopt;
}

bool PgMigrationContext::created_in_same_run(const std::string& relation) const {
  const auto& pending = options_.pending_versions;
  if (!pending || !pending->count(version_)) return false;
  auto by = created_by_earlier_migration(relation);
  return by && pending->count(*by) > 0;
}

std::optional<double> PgMigrationContext::rows(const std::string& relation) const {
  auto it = options_.table_rows.find(relation);
  if (it != options_.table_rows.end()) return it->second;
  auto dot = relation.find('.');
  if (dot == std::string::npos) it = options_.table_rows.find("public." + relation);
  return it != options_.table_rows.end() ? std::optional(it->second) : std::nullopt;
}

void PgMigrationContext::begin_migration(const std::string& version, bool transactional,
                                         bool backfill) {
  version_ = version;
  migration_transactional_ = transactional;
  migration_backfill_ = backfill;
  created_here_.clear();
  in_transaction_.clear();
  in_migration_.clear();
}

void PgMigrationContext::after_statement(const PgStatementInfo& info, bool standalone) {
  in_migration_.push_back(&info);
  // A renamed table is the same table: it keeps the creator of its old name (new in this
  // migration, or made by an earlier migration of the set), so rules judge it the same way.
  if (info.node_type == "RenameStmt" && pgtree::text(info.node, "renameType") == "OBJECT_TABLE") {
    const auto& relation = pgtree::child(info.node, "relation");
    const std::string old_name = pgtree::relation_name(relation);
    const std::string schema =
        pgtree::text(relation.contains("RangeVar") ? pgtree::child(relation, "RangeVar") : relation,
                     "schemaname");
    const std::string new_name = pgtree::text(info.node, "newname");
    const std::string renamed = schema.empty() ? new_name : schema + "." + new_name;
    if (created_in_this_migration(old_name)) {
      created_here_.insert(renamed);
      created_in_set_[renamed] = version_;
    } else if (auto by = created_by_earlier_migration(old_name)) {
      created_in_set_[renamed] = *by;
    }
  }
  if (standalone)
    in_transaction_.clear();
  else
    in_transaction_.push_back(&info);
}

void PgMigrationContext::note_created(const std::string& relation, const std::string& table) {
  created_here_.insert(relation);
  created_in_set_[relation] = version_;
  if (!table.empty()) index_table_[relation] = table;
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
    bool counted = false, all_new = true, all_small = true, all_in_set = true;
    std::string creators;  // versions that created the tables, when not known to be pending
    for (const auto& l : facts_.base.locks) {
      if (static_cast<int>(l.level) < static_cast<int>(LockLevel::kShare)) continue;
      counted = true;
      const bool is_new =
          ctx_.created_in_this_migration(l.relation) || ctx_.created_in_same_run(l.relation);
      all_new = all_new && is_new;
      if (!is_new) {
        auto by = ctx_.created_by_earlier_migration(l.relation);
        all_in_set = all_in_set && by.has_value() && !ctx_.options().pending_versions;
        if (by && creators.find(*by) == std::string::npos)
          creators += (creators.empty() ? "" : ", ") + *by;
      }
      auto rows = ctx_.rows(l.relation);
      all_small = all_small && rows && *rows < ctx_.options().small_table_rows;
    }
    if (counted && all_new)
      return;  // nobody else can see a table created earlier in this migration
    if (counted && all_in_set && f.severity == Severity::kError) {
      // lint does not know what production has: when version V (which created the table) runs
      // in the same `apply`, the table is new and this is safe; when V is already applied, the
      // lock blocks. In doubt, a warning; `plan` knows and keeps the error or drops the finding.
      f.severity = Severity::kWarning;
      f.message += fmt::format(
          " (the table was created by migration {} of this set: safe when both run in the same "
          "apply, blocking when {} is already applied; `plan` knows which)",
          creators, creators);
    }
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
  ctx.begin_migration(m.version.str(), m.directives.transactional,
                      m.directives.backfill.has_value());
  const SourceLocation file{m.up.path.string(), m.version.str(), 0, 0, 0};
  std::deque<PgStatementInfo> infos;  // the context keeps pointers to earlier statements
  for_each_postgres_statement(m.up.sql, file, [&](SqlStatement&& s, PgStatementInfo&& parsed) {
    infos.push_back(std::move(parsed));
    const PgStatementInfo& info = infos.back();
    StatementAnalysis sa = pg_statement_effects(info, ctx);
    // ALTER TABLE of a table created earlier in this migration (row level security, constraints,
    // columns) changes nothing the running application can see: additive. Findings still raise it.
    if (info.node_type == "AlterTableStmt" &&
        pgtree::text(info.node, "objtype") == "OBJECT_TABLE" &&
        ctx.created_in_this_migration(pgtree::relation_name(pgtree::child(info.node, "relation"))))
      sa.migration_class = MigrationClass::kAdditive;
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
    if (auto created = created_relation(info); !created.empty())
      ctx.note_created(created, info.node_type == "IndexStmt"
                                    ? pgtree::relation_name(pgtree::child(info.node, "relation"))
                                    : std::string());
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
