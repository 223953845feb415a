// The SQLite analysis context: the in-memory copy the statements run on (each prepared with the
// authorizer on, so SQLite itself reports what it does), and the bookkeeping that follows rows
// through a migration to recognise the table rebuild procedure.
#include "libmigrate/analysis/sqlite_analysis_context.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "libmigrate/error/failure.hpp"

namespace migrate {

namespace {

std::string replace_quotes(const std::string& name) {
  std::string out;
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out;
}

}  // namespace

SqliteAnalysisContext::SqliteAnalysisContext(const AnalysisOptions& options) : options_(options) {
  // NOMUTEX: the copy is private to this context, used by one thread at a time, so SQLite need
  // not lock the connection around every call.
  if (sqlite3_open_v2(":memory:", &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK)
    fail(ErrorCode::kInternal, "cannot open an in-memory SQLite database");
  // Below 3000000 it is not a SQLite version (150000 is the PostgreSQL default): use the
  // linked library's.
  version_ = options.server_version_num >= 3'000'000 ? options.server_version_num
                                                     : sqlite3_libversion_number();
  // Installed once: sqlite3_set_authorizer expires every prepared statement, so setting it around
  // each statement made its first step prepare it a second time.
  sqlite3_set_authorizer(db_, &SqliteAnalysisContext::authorize, this);
  reader_.emplace(db_);
}

int SqliteAnalysisContext::authorize(void* self, int code, const char* arg1, const char* arg2,
                                     const char* arg3, const char* source) {
  auto* sink = static_cast<SqliteAnalysisContext*>(self)->collecting_;
  return sink ? collect_sqlite_action(sink, code, arg1, arg2, arg3, source) : SQLITE_OK;
}

SqliteAnalysisContext::~SqliteAnalysisContext() {
  reader_.reset();
  sqlite3_close(db_);
}

std::optional<double> SqliteAnalysisContext::rows(std::string_view table) const {
  for (const std::string& key : {std::string(table), sqlite_lower(table),
                                 "main." + std::string(table), "main." + sqlite_lower(table)}) {
    auto it = options_.table_rows.find(key);
    if (it != options_.table_rows.end()) return it->second;
  }
  return std::nullopt;
}

bool SqliteAnalysisContext::evict_broken_dependent(const std::string& error) {
  auto [name, table] = sqlite_broken_dependent(error);
  if (name.empty() || table.empty() || ever_created(table)) return false;
  const SqliteObject* o = schema().object(name);
  if (!o) return false;
  const bool view = o->type == "view";
  const std::string object_name = o->name, object_table = o->table;
  const std::string sql =
      fmt::format("DROP {} \"{}\"", view ? "VIEW" : "TRIGGER", replace_quotes(object_name));
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return false;
  ever_created_.erase(sqlite_lower(name));
  objects_created_here_.erase(sqlite_lower(name));
  // What the authorizer would have reported for that DROP.
  reader_->refresh({SqliteAction{view ? SQLITE_DROP_VIEW : SQLITE_DROP_TRIGGER, object_name,
                                 view ? std::string() : object_table, "main", ""}});
  return true;
}

void SqliteAnalysisContext::begin_migration(const Migration& m) {
  foreign_keys_ = m.directives.foreign_keys.value_or(ForeignKeyMode::kCheck);
  transactional_ = m.directives.transactional;
  start_ = schema();
  created_here_.clear();
  objects_created_here_.clear();
  lineage_.clear();
  displaced_.clear();
  removed_at_.clear();
  installed_at_.clear();
  copied_at_.clear();
  aside_drops_.clear();
  dropped_objects_.clear();
}

SqliteExecution SqliteAnalysisContext::execute(const std::string& sql) {
  SqliteExecution e;
  sqlite3_stmt* stmt = nullptr;
  collecting_ = &e.actions;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
  collecting_ = nullptr;
  if (rc != SQLITE_OK) {
    e.error = sqlite3_errmsg(db_);
    return e;
  }
  e.prepared = true;
  if (!stmt) {
    e.empty = true;
    return e;
  }
  e.column_count = sqlite3_column_count(stmt);
  bool run = true;
  for (const auto& a : e.actions) {
    if (a.code == SQLITE_TRANSACTION || a.code == SQLITE_SAVEPOINT || a.code == SQLITE_ATTACH ||
        a.code == SQLITE_DETACH ||
        (a.code == SQLITE_PRAGMA && sqlite_lower(a.arg1) == "foreign_keys"))
      run = false;
  }
  auto words = sqlite_leading_tokens(sql, 1);
  if (!words.empty() && sqlite_upper(words[0]) == "VACUUM") run = false;
  // A re-prepare during the step (the schema changed under the statement) would repeat the
  // actions: they are collected apart, and dropped.
  std::vector<SqliteAction> during_step;
  if (run) {
    collecting_ = &during_step;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    collecting_ = nullptr;
    if (rc != SQLITE_DONE) e.error = sqlite3_errmsg(db_);
    e.executed = e.error.empty();
  }
  sqlite3_finalize(stmt);
  if (e.executed) reader_->refresh(e.actions);
  return e;
}

void SqliteAnalysisContext::track(const SqliteStatementFacts& f, int position) {
  if (!f.ran()) return;
  const SqliteSchema& before = f.before;
  const SqliteSchema& after = f.after;
  // Only the names the statement changed: the rest of the schema is the same in both.
  std::vector<std::string> removed, added;
  for (const auto& k : after.tables_changed_since(before)) {
    const bool was = before.table(k) != nullptr, is = after.table(k) != nullptr;
    if (was && !is) removed.push_back(k);
    if (!was && is) added.push_back(k);
  }
  if (f.action == "ALTER TABLE RENAME TO" && removed.size() == 1 && added.size() == 1) {
    rename_table(removed[0], added[0], position);
  } else {
    for (const auto& k : removed) drop_table(k, position);
    for (const auto& k : added) create_table(k, f, position);
  }
  if (f.action == "CREATE TEMP TABLE" && !f.table.empty()) {
    // The schema snapshots cover `main` only; a TEMP table is this connection's scratch space.
    created_here_.insert(sqlite_lower(f.table));
    ever_created_.insert(sqlite_lower(f.table));
  }
  if (f.action == "INSERT" && !f.table.empty()) {
    const std::string target = sqlite_lower(f.table);
    auto rows = origin(target);
    bool gained = false;
    for (const auto& r : f.read_tables)
      for (const auto& o : origin(r)) gained = rows.insert(o).second || gained;
    lineage_[target] = std::move(rows);
    if (gained) copied_at_[target] = position;
  }
  const std::vector<std::string> objects_changed = after.objects_changed_since(before);
  for (const auto& k : objects_changed) {
    if (after.object(k) && !before.object(k)) {
      objects_created_here_.insert(k);
      ever_created_.insert(k);
    }
  }
  for (const auto& k : objects_changed) {
    const SqliteObject* o = before.object(k);
    if (!o || after.object(k)) continue;
    objects_created_here_.erase(k);
    // Only the object the statement names: DROP TABLE takes its indexes and triggers along.
    const std::string named = sqlite_lower(f.action == "DROP VIEW" ? f.table : f.new_name);
    if ((f.action == "DROP INDEX" || f.action == "DROP VIEW" || f.action == "DROP TRIGGER") &&
        k == named)
      dropped_objects_[k] = {position, o->sql};
  }
  for (const auto& a : f.actions)
    if (a.code == SQLITE_PRAGMA && sqlite_lower(a.arg1) == "legacy_alter_table" &&
        !a.arg2.empty()) {
      const std::string v = sqlite_lower(a.arg2);
      legacy_alter_table_ = v == "on" || v == "1" || v == "true" || v == "yes";
    }
}

std::vector<SqliteRebuild> SqliteAnalysisContext::rebuilds() const {
  std::vector<SqliteRebuild> out;
  for (const auto& name : displaced_) {
    const SqliteTable* now = schema().table(name);
    if (!now || !origin(name).count(name) || !removed_at_.count(name) || !installed_at_.count(name))
      continue;
    SqliteRebuild r;
    r.table = name;
    r.original = *start_.table(name);
    r.rebuilt = *now;
    r.removed_at = removed_at_.at(name);
    r.installed_at = installed_at_.at(name);
    if (auto it = copied_at_.find(name); it != copied_at_.end()) r.copied_at = it->second;
    if (auto it = aside_drops_.find(name); it != aside_drops_.end()) r.also_part = it->second;
    for (const auto& c : r.original.columns) {
      const SqliteColumn* n = r.rebuilt.column(c.name);
      if (!n)
        r.dropped_columns.push_back(c.name);
      else if (!c.not_null && n->not_null && c.pk == 0)
        r.made_not_null.push_back(c.name);
    }
    r.children = start_.references_to(name);
    for (const auto& fk : r.children) {
      const SqliteTable* child = schema().table(fk.table);
      if (!child) continue;
      for (const auto& now_fk : child->foreign_keys)
        if (sqlite_lower(now_fk.column) == sqlite_lower(fk.column) &&
            sqlite_lower(now_fk.parent) != name)
          r.redirected.push_back(now_fk);
    }
    for (const SqliteObject* o : start_.objects()) {
      if (sqlite_lower(o->table) != name || o->sql.empty() || o->type == "view") continue;
      const SqliteObject* kept = schema().object(o->name);
      if (!kept || sqlite_lower(kept->table) != name) r.not_recreated.push_back(o->name);
    }
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const SqliteRebuild& a, const SqliteRebuild& b) {
    return a.removed_at < b.removed_at;
  });
  return out;
}

std::vector<int> SqliteAnalysisContext::drops_recreated_identically() const {
  std::vector<int> out;
  for (const auto& [name, drop] : dropped_objects_) {
    const SqliteObject* now = schema().object(name);
    if (now && now->sql == drop.second) out.push_back(drop.first);
  }
  return out;
}

std::set<std::string> SqliteAnalysisContext::origin(const std::string& table) const {
  const std::string key = sqlite_lower(table);
  if (auto it = lineage_.find(key); it != lineage_.end()) return it->second;
  if (existed_before_migration(key) && !displaced_.count(key)) return {key};
  return {};
}

void SqliteAnalysisContext::displace(const std::string& original, int position) {
  if (existed_before_migration(original) && !displaced_.count(original)) {
    displaced_.insert(original);
    removed_at_[original] = position;
  }
}

void SqliteAnalysisContext::drop_table(const std::string& k, int position) {
  const bool original = existed_before_migration(k) && !displaced_.count(k);
  if (original) {
    displace(k, position);
  } else if (!created_here_.count(k)) {
    // An original renamed aside earlier in this migration, now dropped.
    for (const auto& o : origin(k))
      if (o != k) aside_drops_[o].push_back(position);
  }
  created_here_.erase(k);
  lineage_[k] = {};
  copied_at_.erase(k);
}

void SqliteAnalysisContext::create_table(const std::string& k, const SqliteStatementFacts& f,
                                         int position) {
  created_here_.insert(k);
  ever_created_.insert(k);
  auto& rows = lineage_[k];
  rows.clear();
  for (const auto& r : f.read_tables)  // CREATE TABLE ... AS SELECT
    for (const auto& o : origin(r)) rows.insert(o);
  copied_at_.erase(k);
  if (!rows.empty()) copied_at_[k] = position;
  if (displaced_.count(k)) installed_at_[k] = position;
}

void SqliteAnalysisContext::rename_table(const std::string& from, const std::string& to,
                                         int position) {
  auto rows = origin(from);
  std::optional<int> copied;
  if (auto it = copied_at_.find(from); it != copied_at_.end()) copied = it->second;
  const bool was_created_here = created_here_.count(from) > 0;
  displace(from, position);
  created_here_.erase(from);
  lineage_[from] = {};
  copied_at_.erase(from);
  if (was_created_here) created_here_.insert(to);
  ever_created_.insert(to);
  lineage_[to] = rows;
  if (copied)
    copied_at_[to] = *copied;
  else
    copied_at_.erase(to);
  if (displaced_.count(to)) installed_at_[to] = position;
}

}  // namespace migrate
