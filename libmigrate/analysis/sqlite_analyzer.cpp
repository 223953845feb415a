// SQLite statements understood by SQLite itself: each statement is prepared and run against an
// in-memory database that holds the schema as the migrations build it, with an authorizer that
// reports what the statement does. Comparing the schema before and after tells ADD, DROP and
// RENAME COLUMN apart (the authorizer only says SQLITE_ALTER_TABLE), and following where rows go
// within a migration recognises the table rebuild procedure.
#include <sqlite3.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "libmigrate/analysis/analysis_internal.hpp"
#include "libmigrate/analysis/sqlite_rule.hpp"
#include "libmigrate/error/failure.hpp"
#include "libmigrate/sql/sqlite_statement.hpp"

namespace migrate {

// ---- Schema model helpers

std::string sqlite_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const SqliteColumn* SqliteTable::column(std::string_view column_name) const {
  const std::string want = sqlite_lower(column_name);
  for (const auto& c : columns)
    if (sqlite_lower(c.name) == want) return &c;
  return nullptr;
}

const SqliteTable* SqliteSchema::table(std::string_view name) const {
  auto it = tables.find(sqlite_lower(name));
  return it == tables.end() ? nullptr : &it->second;
}

const SqliteObject* SqliteSchema::object(std::string_view name) const {
  auto it = objects.find(sqlite_lower(name));
  return it == objects.end() ? nullptr : &it->second;
}

std::vector<SqliteForeignKey> SqliteSchema::references_to(std::string_view parent) const {
  const std::string want = sqlite_lower(parent);
  std::vector<SqliteForeignKey> out;
  for (const auto& [key, t] : tables) {
    if (key == want) continue;
    for (const auto& fk : t.foreign_keys)
      if (sqlite_lower(fk.parent) == want) out.push_back(fk);
  }
  return out;
}

bool SqliteStatementFacts::has_action(int code) const {
  return std::any_of(actions.begin(), actions.end(),
                     [code](const SqliteAction& a) { return a.code == code; });
}

void SqliteFindingSink::report_at(int position, const RuleInfo& rule, std::string message,
                                  std::string alternative, std::optional<Severity> severity) {
  Finding f;
  f.rule_id = rule.id;
  f.severity = severity.value_or(rule.severity);
  f.message = std::move(message);
  f.alternative = alternative.empty() ? rule.alternative : std::move(alternative);
  entries_.push_back({position, std::move(f)});
}

std::string sqlite_version_text(int v) {
  return fmt::format("{}.{}.{}", v / 1000000, (v / 1000) % 1000, v % 1000);
}

const std::vector<std::unique_ptr<SqliteRule>>& sqlite_rules() {
  static const std::vector<std::unique_ptr<SqliteRule>> rules = [] {
    std::vector<std::unique_ptr<SqliteRule>> v;
    v.push_back(make_sqlite_table_rebuild());            // SL-01
    v.push_back(make_sqlite_add_column_restrictions());  // SL-02
    v.push_back(make_sqlite_drop_column());              // SL-03
    v.push_back(make_sqlite_set_not_null());             // SL-04
    v.push_back(make_sqlite_long_write_transaction());   // SL-05, SL-07
    v.push_back(make_sqlite_version_gated());            // SL-06 and friends
    return v;
  }();
  return rules;
}

const std::vector<RuleInfo>& sqlite_rule_infos() {
  static const std::vector<RuleInfo> infos = [] {
    std::vector<RuleInfo> v;
    for (const auto& r : sqlite_rules()) v.push_back(r->info());
    return v;
  }();
  return infos;
}

namespace {

// ---- Small SQLite wrappers for reading the copy's catalog

class Query {
 public:
  Query(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) stmt_ = nullptr;
  }
  ~Query() { sqlite3_finalize(stmt_); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int i, const std::string& v) {
    if (stmt_) sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  bool next() { return stmt_ && sqlite3_step(stmt_) == SQLITE_ROW; }
  std::string text(int i) const {
    const unsigned char* p = sqlite3_column_text(stmt_, i);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  bool is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  int integer(int i) const { return sqlite3_column_int(stmt_, i); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

bool is_internal_name(std::string_view name) {
  const std::string l = sqlite_lower(name);
  return l.starts_with("sqlite_") || l.starts_with("pragma_");
}

// A table's columns, foreign keys and options follow from its CREATE TABLE text, so tables whose
// text did not change are taken from `previous` instead of being asked again.
SqliteSchema read_schema(sqlite3* db, const SqliteSchema& previous) {
  SqliteSchema s;
  Query q(db,
          "SELECT type, name, tbl_name, coalesce(sql, '') FROM main.sqlite_master "
          "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
  while (q.next()) {
    const std::string type = q.text(0), name = q.text(1);
    if (type == "table") {
      SqliteTable t;
      t.name = name;
      t.sql = q.text(3);
      s.tables.emplace(sqlite_lower(name), std::move(t));
    } else {
      s.objects.emplace(sqlite_lower(name), SqliteObject{type, name, q.text(2), q.text(3)});
    }
  }
  std::set<std::string> fresh;
  for (auto& [key, t] : s.tables) {
    if (const SqliteTable* was = previous.table(key); was && was->sql == t.sql && !t.sql.empty()) {
      t = *was;
      continue;
    }
    fresh.insert(key);
    Query cols(db,
               "SELECT name, type, \"notnull\", dflt_value, pk, hidden "
               "FROM pragma_table_xinfo(?1, 'main')");
    cols.bind(1, t.name);
    while (cols.next()) {
      SqliteColumn c;
      c.name = cols.text(0);
      c.type = cols.text(1);
      c.not_null = cols.integer(2) != 0;
      if (!cols.is_null(3)) c.default_value = cols.text(3);
      c.pk = cols.integer(4);
      c.hidden = cols.integer(5);
      t.columns.push_back(std::move(c));
    }
    Query fks(db, "SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?1, 'main')");
    fks.bind(1, t.name);
    while (fks.next()) t.foreign_keys.push_back({t.name, fks.text(1), fks.text(0), fks.text(2)});
  }
  // pragma table_list (3.37+) tells STRICT and WITHOUT ROWID apart; older libraries lack it.
  Query list(db, "SELECT name, wr, strict FROM pragma_table_list WHERE schema = 'main'");
  while (list.next()) {
    auto it = s.tables.find(sqlite_lower(list.text(0)));
    if (it == s.tables.end() || !fresh.count(it->first)) continue;
    it->second.without_rowid = list.integer(1) != 0;
    it->second.strict = list.integer(2) != 0;
  }
  return s;
}

// The first few tokens of a statement: keywords and names (quotes removed), other characters one
// by one. Used only where SQLite gives nothing to go on (a statement it refused before the
// authorizer ran, or one without authorizer actions such as VACUUM).
std::vector<std::string> leading_tokens(const std::string& sql, std::size_t max) {
  std::vector<std::string> out;
  std::size_t i = 0;
  const std::size_t n = sql.size();
  while (i < n && out.size() < max) {
    const char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      auto end = sql.find("*/", i + 2);
      i = end == std::string::npos ? n : end + 2;
    } else if (c == '"' || c == '`' || c == '[' || c == '\'') {
      const char close = c == '[' ? ']' : c;
      std::string tok;
      ++i;
      while (i < n) {
        if (sql[i] == close) {
          if (close != ']' && i + 1 < n && sql[i + 1] == close) {
            tok += close;
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        tok += sql[i++];
      }
      out.push_back(c == '\'' ? "'" + tok + "'" : tok);
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
               static_cast<unsigned char>(c) >= 0x80) {
      std::string tok;
      while (i < n && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_' ||
                       sql[i] == '$' || static_cast<unsigned char>(sql[i]) >= 0x80))
        tok += sql[i++];
      out.push_back(tok);
    } else {
      out.push_back(std::string(1, c));
      ++i;
    }
  }
  return out;
}

std::string replace_quotes(const std::string& name) {
  std::string out;
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// ALTER TABLE [schema.]name: the name, from the leading tokens.
std::string altered_table_from_text(const std::vector<std::string>& t) {
  if (t.size() < 3 || upper(t[0]) != "ALTER" || upper(t[1]) != "TABLE") return {};
  if (t.size() >= 5 && t[3] == ".") return t[4];
  return t[2];
}

bool is_ddl(int code) {
  switch (code) {
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_VIEW:
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_VIEW:
    case SQLITE_ALTER_TABLE:
    case SQLITE_CREATE_VTABLE:
    case SQLITE_DROP_VTABLE:
      return true;
    default:
      return false;
  }
}

bool is_dml(int code) {
  return code == SQLITE_INSERT || code == SQLITE_UPDATE || code == SQLITE_DELETE;
}

const char* ddl_kind(int code) {
  switch (code) {
    case SQLITE_CREATE_INDEX:
      return "CREATE INDEX";
    case SQLITE_CREATE_TABLE:
      return "CREATE TABLE";
    case SQLITE_CREATE_TEMP_INDEX:
      return "CREATE TEMP INDEX";
    case SQLITE_CREATE_TEMP_TABLE:
      return "CREATE TEMP TABLE";
    case SQLITE_CREATE_TEMP_TRIGGER:
      return "CREATE TEMP TRIGGER";
    case SQLITE_CREATE_TEMP_VIEW:
      return "CREATE TEMP VIEW";
    case SQLITE_CREATE_TRIGGER:
      return "CREATE TRIGGER";
    case SQLITE_CREATE_VIEW:
      return "CREATE VIEW";
    case SQLITE_DROP_INDEX:
      return "DROP INDEX";
    case SQLITE_DROP_TABLE:
      return "DROP TABLE";
    case SQLITE_DROP_TEMP_INDEX:
      return "DROP TEMP INDEX";
    case SQLITE_DROP_TEMP_TABLE:
      return "DROP TEMP TABLE";
    case SQLITE_DROP_TEMP_TRIGGER:
      return "DROP TEMP TRIGGER";
    case SQLITE_DROP_TEMP_VIEW:
      return "DROP TEMP VIEW";
    case SQLITE_DROP_TRIGGER:
      return "DROP TRIGGER";
    case SQLITE_DROP_VIEW:
      return "DROP VIEW";
    case SQLITE_ALTER_TABLE:
      return "ALTER TABLE";
    case SQLITE_CREATE_VTABLE:
      return "CREATE VIRTUAL TABLE";
    case SQLITE_DROP_VTABLE:
      return "DROP VIRTUAL TABLE";
    case SQLITE_INSERT:
      return "INSERT";
    case SQLITE_UPDATE:
      return "UPDATE";
    case SQLITE_DELETE:
      return "DELETE";
    default:
      return "";
  }
}

int collect_action(void* user, int code, const char* a1, const char* a2, const char* a3,
                   const char* source) {
  static_cast<std::vector<SqliteAction>*>(user)->push_back(
      {code, a1 ? a1 : "", a2 ? a2 : "", a3 ? a3 : "", source ? source : ""});
  return SQLITE_OK;
}

using SchemaPtr = std::shared_ptr<const SqliteSchema>;

// What happened when one statement met the copy.
struct Execution {
  std::vector<SqliteAction> actions;
  std::string error;  // empty when it ran (or was not run on purpose)
  bool prepared = false;
  bool executed = false;
  bool empty = false;  // only comments
  int column_count = 0;
};

// "no such table: main.orders" -> "orders"; empty when the error is about something else.
std::string missing_object(const std::string& error) {
  for (const char* prefix :
       {"no such table: ", "no such index: ", "no such view: ", "no such trigger: "}) {
    if (error.starts_with(prefix)) {
      std::string name = error.substr(std::string_view(prefix).size());
      for (const char* schema : {"main.", "temp."})
        if (sqlite_lower(name).starts_with(schema)) name = name.substr(5);
      return name;
    }
  }
  return {};
}

// "error in view v: no such table: main.orders" (also "... after rename: ..."): the view or
// trigger named, and the table it is missing.
std::pair<std::string, std::string> broken_dependent(const std::string& error) {
  static const std::regex kBroken(
      R"(^error in (view|trigger) (.+?)( after [a-z ]+)?: no such table: (.+)$)");
  std::smatch m;
  if (!std::regex_match(error, m, kBroken)) return {};
  return {m[2], missing_object("no such table: " + m[4].str())};
}

}  // namespace

// ---- The analysis context: the copy, and what the migrations so far did to it

class SqliteAnalysisContext final : public SqliteRuleContext {
 public:
  explicit SqliteAnalysisContext(const AnalysisOptions& options) : options_(options) {
    if (sqlite3_open(":memory:", &db_) != SQLITE_OK)
      fail(ErrorCode::kInternal, "cannot open an in-memory SQLite database");
    // Below 3000000 it is not a SQLite version (150000 is the PostgreSQL default): use the
    // linked library's.
    version_ = options.server_version_num >= 3'000'000 ? options.server_version_num
                                                       : sqlite3_libversion_number();
    schema_ = std::make_shared<SqliteSchema>();
  }
  ~SqliteAnalysisContext() override { sqlite3_close(db_); }
  SqliteAnalysisContext(const SqliteAnalysisContext&) = delete;
  SqliteAnalysisContext& operator=(const SqliteAnalysisContext&) = delete;

  // SqliteRuleContext
  const AnalysisOptions& options() const override { return options_; }
  int target_version() const override { return version_; }
  ForeignKeyMode foreign_keys() const override { return foreign_keys_; }
  bool transactional() const override { return transactional_; }
  bool legacy_alter_table() const override { return legacy_alter_table_; }
  const SqliteSchema& migration_start() const override { return *start_; }
  bool existed_before_migration(std::string_view table) const override {
    return start_->table(table) != nullptr;
  }
  bool created_in_this_migration(std::string_view table) const override {
    return created_here_.count(sqlite_lower(table)) > 0;
  }
  std::optional<double> rows(std::string_view table) const override {
    for (const std::string& key : {std::string(table), sqlite_lower(table),
                                   "main." + std::string(table), "main." + sqlite_lower(table)}) {
      auto it = options_.table_rows.find(key);
      if (it != options_.table_rows.end()) return it->second;
    }
    return std::nullopt;
  }

  const SchemaPtr& schema() const { return schema_; }

  // A view or trigger whose text names a table the analysed migrations never created (one file
  // linted alone) cannot work on the copy, and makes SQLite refuse later ALTER TABLEs that
  // re-check the whole schema. When `error` is such a refusal, drop that object from the copy
  // (it counts as never created from now on) and return true: the statement can be retried.
  bool evict_broken_dependent(const std::string& error) {
    auto [name, table] = broken_dependent(error);
    if (name.empty() || table.empty() || ever_created(table)) return false;
    const SqliteObject* o = schema_->object(name);
    if (!o) return false;
    const std::string sql = fmt::format("DROP {} \"{}\"", o->type == "view" ? "VIEW" : "TRIGGER",
                                        replace_quotes(o->name));
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return false;
    ever_created_.erase(sqlite_lower(name));
    objects_created_here_.erase(sqlite_lower(name));
    refresh_schema();
    return true;
  }
  bool object_created_in_this_migration(std::string_view name) const {
    return objects_created_here_.count(sqlite_lower(name)) > 0;
  }
  bool ever_created(std::string_view name) const {
    return ever_created_.count(sqlite_lower(name)) > 0;
  }

  void begin_migration(const Migration& m) {
    foreign_keys_ = m.directives.foreign_keys.value_or(ForeignKeyMode::kCheck);
    transactional_ = m.directives.transactional;
    start_ = schema_;
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

  // Prepares `sql` with the authorizer on and runs it, unless it is one of the statements the
  // copy must not run (transaction control, the foreign_keys pragma, ATTACH/DETACH, VACUUM).
  Execution execute(const std::string& sql) {
    Execution e;
    sqlite3_stmt* stmt = nullptr;
    sqlite3_set_authorizer(db_, collect_action, &e.actions);
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) {
      e.error = sqlite3_errmsg(db_);
      sqlite3_set_authorizer(db_, nullptr, nullptr);
      return e;
    }
    e.prepared = true;
    if (!stmt) {
      e.empty = true;
      sqlite3_set_authorizer(db_, nullptr, nullptr);
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
    auto words = leading_tokens(sql, 1);
    if (!words.empty() && upper(words[0]) == "VACUUM") run = false;
    std::vector<SqliteAction> during_step;  // a re-prepare would repeat the actions
    sqlite3_set_authorizer(db_, collect_action, &during_step);
    if (run) {
      while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      }
      if (rc != SQLITE_DONE) e.error = sqlite3_errmsg(db_);
      e.executed = e.error.empty();
    }
    sqlite3_set_authorizer(db_, nullptr, nullptr);
    sqlite3_finalize(stmt);
    if (e.executed) refresh_schema();
    return e;
  }

  // Bookkeeping after a statement: what exists, what was created here, where rows went.
  void track(const SqliteStatementFacts& f, int position) {
    if (!f.ran()) return;
    const SqliteSchema& before = f.before;
    const SqliteSchema& after = f.after;
    std::vector<std::string> removed, added;
    for (const auto& [k, t] : before.tables)
      if (!after.tables.count(k)) removed.push_back(k);
    for (const auto& [k, t] : after.tables)
      if (!before.tables.count(k)) added.push_back(k);
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
    for (const auto& [k, o] : after.objects) {
      if (!before.objects.count(k)) {
        objects_created_here_.insert(k);
        ever_created_.insert(k);
      }
    }
    for (const auto& [k, o] : before.objects) {
      if (after.objects.count(k)) continue;
      objects_created_here_.erase(k);
      // Only the object the statement names: DROP TABLE takes its indexes and triggers along.
      const std::string named = sqlite_lower(f.action == "DROP VIEW" ? f.table : f.new_name);
      if ((f.action == "DROP INDEX" || f.action == "DROP VIEW" || f.action == "DROP TRIGGER") &&
          k == named)
        dropped_objects_[k] = {position, o.sql};
    }
    for (const auto& a : f.actions)
      if (a.code == SQLITE_PRAGMA && sqlite_lower(a.arg1) == "legacy_alter_table" &&
          !a.arg2.empty()) {
        const std::string v = sqlite_lower(a.arg2);
        legacy_alter_table_ = v == "on" || v == "1" || v == "true" || v == "yes";
      }
  }

  // After the migration's last statement: the rebuilds, with the statements they reclassify.
  std::vector<SqliteRebuild> rebuilds() const {
    std::vector<SqliteRebuild> out;
    for (const auto& name : displaced_) {
      const SqliteTable* now = schema_->table(name);
      if (!now || !origin(name).count(name) || !removed_at_.count(name) ||
          !installed_at_.count(name))
        continue;
      SqliteRebuild r;
      r.table = name;
      r.original = *start_->table(name);
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
      r.children = start_->references_to(name);
      for (const auto& fk : r.children) {
        const SqliteTable* child = schema_->table(fk.table);
        if (!child) continue;
        for (const auto& now_fk : child->foreign_keys)
          if (sqlite_lower(now_fk.column) == sqlite_lower(fk.column) &&
              sqlite_lower(now_fk.parent) != name)
            r.redirected.push_back(now_fk);
      }
      for (const auto& [key, o] : start_->objects) {
        if (sqlite_lower(o.table) != name || o.sql.empty() || o.type == "view") continue;
        const SqliteObject* kept = schema_->object(key);
        if (!kept || sqlite_lower(kept->table) != name) r.not_recreated.push_back(o.name);
      }
      out.push_back(std::move(r));
    }
    std::sort(out.begin(), out.end(), [](const SqliteRebuild& a, const SqliteRebuild& b) {
      return a.removed_at < b.removed_at;
    });
    return out;
  }

  // Indexes, views and triggers dropped by a statement of this migration and recreated with the
  // same definition before its end: position of the DROP.
  std::vector<int> drops_recreated_identically() const {
    std::vector<int> out;
    for (const auto& [name, drop] : dropped_objects_) {
      const SqliteObject* now = schema_->object(name);
      if (now && now->sql == drop.second) out.push_back(drop.first);
    }
    return out;
  }

 private:
  void refresh_schema() {
    int version = 0;
    {
      Query q(db_, "PRAGMA main.schema_version");
      if (q.next()) version = q.integer(0);
    }
    if (version == schema_version_) return;
    schema_version_ = version;
    schema_ = std::make_shared<SqliteSchema>(read_schema(db_, *schema_));
  }

  // The pre-existing tables whose rows `table` holds now.
  std::set<std::string> origin(const std::string& table) const {
    const std::string key = sqlite_lower(table);
    if (auto it = lineage_.find(key); it != lineage_.end()) return it->second;
    if (existed_before_migration(key) && !displaced_.count(key)) return {key};
    return {};
  }

  void displace(const std::string& original, int position) {
    if (existed_before_migration(original) && !displaced_.count(original)) {
      displaced_.insert(original);
      removed_at_[original] = position;
    }
  }

  void drop_table(const std::string& k, int position) {
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

  void create_table(const std::string& k, const SqliteStatementFacts& f, int position) {
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

  void rename_table(const std::string& from, const std::string& to, int position) {
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

  const AnalysisOptions& options_;
  sqlite3* db_ = nullptr;
  int version_ = 0;
  SchemaPtr schema_;
  int schema_version_ = 0;
  std::set<std::string> ever_created_;
  bool legacy_alter_table_ = false;

  // This migration.
  ForeignKeyMode foreign_keys_ = ForeignKeyMode::kCheck;
  bool transactional_ = true;
  SchemaPtr start_;
  std::set<std::string> created_here_;                    // tables
  std::set<std::string> objects_created_here_;            // indexes, views, triggers
  std::map<std::string, std::set<std::string>> lineage_;  // table -> originals whose rows it holds
  std::set<std::string> displaced_;                       // originals dropped or renamed away
  std::map<std::string, int> removed_at_, installed_at_, copied_at_;
  std::map<std::string, std::vector<int>> aside_drops_;
  std::map<std::string, std::pair<int, std::string>> dropped_objects_;  // name -> (position, sql)
};

std::shared_ptr<SqliteAnalysisContext> make_sqlite_context(const AnalysisOptions& options) {
  return std::make_shared<SqliteAnalysisContext>(options);
}

namespace {

// The statement's primary action, its table and the tables it reads and writes.
struct Description {
  std::string action;
  std::string table;
  std::string column;
  std::string new_name;
  std::vector<std::string> read_tables, written_tables;
  bool returning = false;
  bool upsert = false;
};

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

Description describe(const Execution& e, const std::string& sql, const SqliteSchema& before,
                     const SqliteSchema& after) {
  Description d;
  const SqliteAction* primary = nullptr;
  for (const auto& a : e.actions)
    if (a.code == SQLITE_ALTER_TABLE) primary = &a;
  if (!primary) {
    for (const auto& a : e.actions) {
      if (!is_ddl(a.code) || is_internal_name(a.arg1)) continue;
      if ((a.code == SQLITE_CREATE_INDEX || a.code == SQLITE_CREATE_TEMP_INDEX) &&
          is_internal_name(a.arg2))
        continue;
      primary = &a;
      break;
    }
  }
  if (!primary) {
    for (const auto& a : e.actions) {
      if (is_dml(a.code) && a.source.empty() && !is_internal_name(a.arg1)) {
        primary = &a;
        break;
      }
    }
  }
  for (const auto& a : e.actions) {
    if (is_dml(a.code) && !is_internal_name(a.arg1))
      add_unique(d.written_tables, sqlite_lower(a.arg1));
  }
  const auto tokens = leading_tokens(sql, 6);
  if (primary) {
    d.action = ddl_kind(primary->code);
    switch (primary->code) {
      case SQLITE_CREATE_INDEX:
      case SQLITE_CREATE_TEMP_INDEX:
      case SQLITE_DROP_INDEX:
      case SQLITE_DROP_TEMP_INDEX:
      case SQLITE_CREATE_TRIGGER:
      case SQLITE_CREATE_TEMP_TRIGGER:
      case SQLITE_DROP_TRIGGER:
      case SQLITE_DROP_TEMP_TRIGGER:
        d.table = primary->arg2;
        d.new_name = primary->arg1;  // the index or trigger
        break;
      case SQLITE_ALTER_TABLE:
        d.table = primary->arg2;
        break;
      default:
        d.table = primary->arg1;
        break;
    }
    if (primary->code == SQLITE_ALTER_TABLE) {
      const SqliteTable* was = before.table(d.table);
      const SqliteTable* now = after.table(d.table);
      if (!primary->arg3.empty()) {
        d.action = "ALTER TABLE DROP COLUMN";
        d.column = primary->arg3;
      } else if (was && !now) {
        d.action = "ALTER TABLE RENAME TO";
        for (const auto& [k, t] : after.tables)
          if (!before.tables.count(k)) d.new_name = t.name;
      } else if (was && now && now->columns.size() > was->columns.size()) {
        d.action = "ALTER TABLE ADD COLUMN";
        for (const auto& c : now->columns)
          if (!was->column(c.name)) d.column = c.name;
      } else if (was && now && now->columns.size() == was->columns.size()) {
        for (std::size_t i = 0; i < was->columns.size(); ++i) {
          if (sqlite_lower(was->columns[i].name) != sqlite_lower(now->columns[i].name)) {
            d.action = "ALTER TABLE RENAME COLUMN";
            d.column = was->columns[i].name;
            d.new_name = now->columns[i].name;
          }
        }
        // Unchanged: failed (or renamed to the same name); tell ADD COLUMN failures apart.
        if (d.action == "ALTER TABLE" && sqlite_lower(e.error).starts_with("cannot add"))
          d.action = "ALTER TABLE ADD COLUMN";
        if (d.action == "ALTER TABLE" && !e.error.empty() &&
            (e.error.find("constraint failed") != std::string::npos ||
             e.error.find("type mismatch on DEFAULT") != std::string::npos))
          d.action = "ALTER TABLE ADD COLUMN";
      }
    } else if (primary->code == SQLITE_CREATE_INDEX) {
      const SqliteObject* idx = after.object(primary->arg1);
      if (idx && upper(idx->sql).starts_with("CREATE UNIQUE")) d.action = "CREATE UNIQUE INDEX";
    }
  } else {
    // Nothing authorized: SQLite refused the statement early, or it has no authorizer action
    // (VACUUM, DROP ... IF EXISTS of something absent). Name it from its leading keywords.
    const std::string first = tokens.empty() ? std::string() : upper(tokens[0]);
    for (const auto& a : e.actions) {
      if (a.code == SQLITE_PRAGMA) d.action = "PRAGMA " + sqlite_lower(a.arg1);
      if (a.code == SQLITE_TRANSACTION) d.action = upper(a.arg1);
      if (a.code == SQLITE_SAVEPOINT)
        d.action =
            a.arg1 == "BEGIN" ? "SAVEPOINT" : (a.arg1 == "RELEASE" ? "RELEASE" : "ROLLBACK TO");
      if (a.code == SQLITE_ANALYZE) d.action = "ANALYZE";
      if (a.code == SQLITE_REINDEX) d.action = "REINDEX";
      if (a.code == SQLITE_ATTACH) d.action = "ATTACH";
      if (a.code == SQLITE_DETACH) d.action = "DETACH";
      if (!d.action.empty()) break;
    }
    if (d.action.empty() && first == "ALTER") {
      d.table = altered_table_from_text(tokens);
      const std::string err = sqlite_lower(e.error);
      d.action = err.starts_with("cannot drop")  ? "ALTER TABLE DROP COLUMN"
                 : err.starts_with("cannot add") ? "ALTER TABLE ADD COLUMN"
                                                 : "ALTER TABLE";
      if (d.action == "ALTER TABLE DROP COLUMN") {
        auto q = e.error.find('"');
        auto q2 = q == std::string::npos ? q : e.error.find('"', q + 1);
        if (q2 != std::string::npos) d.column = e.error.substr(q + 1, q2 - q - 1);
      }
    }
    if (d.action.empty() && (first == "DROP" || first == "CREATE") && tokens.size() >= 2)
      d.action = first + " " + upper(tokens[1]);
    if (d.action.empty() && first == "VACUUM") d.action = "VACUUM";
    if (d.action.empty() && std::any_of(e.actions.begin(), e.actions.end(),
                                        [](const auto& a) { return a.code == SQLITE_SELECT; }))
      d.action = "SELECT";
    if (d.action.empty()) d.action = first.empty() ? "unknown" : first;
  }
  const std::string target = sqlite_lower(d.table);
  for (const auto& a : e.actions) {
    if (a.code == SQLITE_READ && a.source.empty() && !is_internal_name(a.arg1) &&
        sqlite_lower(a.arg1) != target)
      add_unique(d.read_tables, sqlite_lower(a.arg1));
    if (d.action == "INSERT" && a.code == SQLITE_UPDATE && a.source.empty() &&
        sqlite_lower(a.arg1) == target)
      d.upsert = true;
  }
  if (d.action == "CREATE TABLE" && !d.read_tables.empty()) d.action = "CREATE TABLE AS SELECT";
  d.returning = is_dml(primary ? primary->code : 0) && e.column_count > 0;
  return d;
}

void lock(StatementAnalysis& a, const std::string& relation) {
  if (relation.empty() || is_internal_name(relation)) return;
  for (const auto& l : a.locks)
    if (sqlite_lower(l.relation) == sqlite_lower(relation)) return;
  a.locks.push_back({relation, LockLevel::kDatabaseWrite});
}

// Class, locks, rewrite and scan of a statement that SQLite understood, before its findings.
StatementAnalysis effects(const SqliteStatementFacts& f, const SqliteAnalysisContext& ctx) {
  StatementAnalysis a;
  a.kind = f.action;
  a.migration_class = MigrationClass::kAdditive;
  const std::string& act = f.action;
  const bool new_table = ctx.created_in_this_migration(f.table);
  auto existed = [&](const std::string& name) { return !f.ran() || f.before.has(name); };
  if (act.starts_with("CREATE TABLE") || act == "CREATE VIRTUAL TABLE" ||
      act == "CREATE TEMP TABLE") {
    lock(a, f.table);
  } else if (act == "CREATE INDEX" || act == "CREATE UNIQUE INDEX") {
    lock(a, f.table);
    a.scans_table = true;
  } else if (act == "CREATE VIEW") {
    lock(a, f.table);
  } else if (act == "CREATE TRIGGER") {
    lock(a, f.table);
    // A trigger on a table others use changes what their writes do; recreating one that existed
    // when the migration started (after a rebuild) changes nothing.
    const SqliteObject* was = ctx.migration_start().object(f.new_name);
    const SqliteObject* now = f.after.object(f.new_name);
    const bool recreated = was && now && was->sql == now->sql;
    if (!new_table && !recreated) a.migration_class = MigrationClass::kBackwardCompatible;
  } else if (act == "DROP TABLE" || act == "DROP VIEW" || act == "DROP TRIGGER" ||
             act == "DROP VIRTUAL TABLE") {
    const std::string& dropped = act == "DROP TRIGGER" ? f.new_name : f.table;
    lock(a, f.table);
    const bool here = act == "DROP TRIGGER" ? ctx.object_created_in_this_migration(dropped)
                      : act == "DROP VIEW"  ? ctx.object_created_in_this_migration(dropped)
                                            : new_table;
    if (!here && existed(dropped)) a.migration_class = MigrationClass::kBreaking;
  } else if (act == "DROP INDEX") {
    lock(a, f.table);
    if (!ctx.object_created_in_this_migration(f.new_name) && existed(f.new_name))
      a.migration_class = MigrationClass::kBackwardCompatible;
  } else if (act.starts_with("ALTER TABLE")) {
    lock(a, f.table);
    if (act == "ALTER TABLE DROP COLUMN") a.rewrites_table = true;
    if (act == "ALTER TABLE ADD COLUMN") {
      // A CHECK or NOT NULL generated column makes SQLite verify every existing row.
      for (const auto& x : f.actions)
        if (x.code == SQLITE_PRAGMA && sqlite_lower(x.arg1) == "quick_check") a.scans_table = true;
    } else if (!new_table && act != "ALTER TABLE") {
      a.migration_class = MigrationClass::kBreaking;  // DROP COLUMN, RENAME COLUMN, RENAME TO
    }
  } else if (act == "INSERT" || act == "UPDATE" || act == "DELETE") {
    if (!new_table) a.migration_class = MigrationClass::kDataBackfill;
  } else if (act == "VACUUM") {
    a.can_run_in_transaction = false;
    a.rewrites_table = true;
  }
  for (const auto& t : f.written_tables) lock(a, t);
  return a;
}

// A statement about tables the analysed migrations never created (one file linted alone): not
// run; its class is read from its leading keywords.
StatementAnalysis unknown_effects(const std::string& sql, const std::string& missing) {
  StatementAnalysis a;
  a.kind = "unknown (refers to tables not created in these migrations)";
  a.migration_class = MigrationClass::kAdditive;
  auto t = leading_tokens(sql, 8);
  for (auto& w : t) w = upper(w);
  const std::string first = t.empty() ? std::string() : t[0];
  const std::string second = t.size() > 1 ? t[1] : std::string();
  bool writes = true;
  if (first == "INSERT" || first == "REPLACE" || first == "UPDATE" || first == "DELETE") {
    a.migration_class = MigrationClass::kDataBackfill;
  } else if (first == "DROP") {
    a.migration_class =
        second == "INDEX" ? MigrationClass::kBackwardCompatible : MigrationClass::kBreaking;
  } else if (first == "ALTER" && second == "TABLE") {
    for (std::size_t i = 3; i < t.size(); ++i) {
      if (t[i] == "RENAME" || t[i] == "DROP") a.migration_class = MigrationClass::kBreaking;
      if (t[i] == "RENAME" || t[i] == "DROP" || t[i] == "ADD") break;
    }
  } else if (first == "CREATE") {
    bool trigger = false;
    for (std::size_t i = 1; i < t.size() && i < 4; ++i) trigger = trigger || t[i] == "TRIGGER";
    if (trigger) a.migration_class = MigrationClass::kBackwardCompatible;
  } else {
    writes = false;
  }
  if (writes) lock(a, missing);
  return a;
}

}  // namespace

void analyze_sqlite_migration(const Migration& m, SqliteAnalysisContext& ctx,
                              MigrationAnalysis& out) {
  const SourceLocation file{m.up.path.string(), m.version.str(), 0, 0, 0};
  ctx.begin_migration(m);
  const auto& rules = sqlite_rules();
  std::vector<SqliteFindingSink::Entry> findings;
  std::vector<SqliteOutcome> outcomes;
  const auto statements = split_sqlite_statements(m.up.sql, file);
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const SqlStatement& s = statements[i];
    const int position = static_cast<int>(i);
    SchemaPtr before = ctx.schema();
    Execution e = ctx.execute(s.sql);
    for (int retries = 0; !e.error.empty() && retries < 100 && ctx.evict_broken_dependent(e.error);
         ++retries) {
      before = ctx.schema();
      e = ctx.execute(s.sql);
    }
    SchemaPtr after = e.executed ? ctx.schema() : before;
    if (e.empty) {
      StatementAnalysis sa;
      sa.index = s.index;
      sa.line = s.line;
      sa.column = s.column;
      sa.kind = "empty";
      out.statements.push_back(std::move(sa));
      outcomes.push_back(SqliteOutcome::kNotExecuted);
      continue;
    }
    Description d = describe(e, s.sql, *before, *after);
    SqliteOutcome outcome = e.executed ? SqliteOutcome::kRan : SqliteOutcome::kNotExecuted;
    if (!e.error.empty()) outcome = SqliteOutcome::kFailed;
    StatementAnalysis placeholder;
    SqliteStatementFacts facts{s,           e.actions,  d.action,      d.table,
                               d.column,    d.new_name, d.read_tables, d.written_tables,
                               d.returning, d.upsert,   outcome,       e.error,
                               *before,     *after,     placeholder};
    StatementAnalysis sa;
    if (outcome == SqliteOutcome::kFailed) {
      const bool explained = std::any_of(rules.begin(), rules.end(),
                                         [&](const auto& r) { return r->explains_failure(facts); });
      const std::string missing = missing_object(e.error);
      if (!explained && !missing.empty() && !ctx.ever_created(missing)) {
        sa = unknown_effects(s.sql, missing);
        facts.outcome = SqliteOutcome::kSkipped;
      } else if (!explained) {
        std::string fix =
            "fix the statement; the analyzer runs each statement on an empty copy of the schema "
            "the earlier migrations build";
        if (upper(d.action).starts_with("ALTER") &&
            e.error.find("syntax error") != std::string::npos)
          fix +=
              " (SQLite's ALTER TABLE can only RENAME TO, RENAME COLUMN, ADD COLUMN and DROP "
              "COLUMN; other changes need the table rebuild: create the new table, copy the rows, "
              "drop the old one, rename the new one)";
        fail(ErrorCode::kSourceInvalid,
             fmt::format("statement {} does not run against the schema so far: {}", s.index,
                         e.error),
             fix, {file.file, file.version, s.index, s.line, s.column});
      }
    }
    if (facts.outcome != SqliteOutcome::kSkipped) sa = effects(facts, ctx);
    sa.index = s.index;
    sa.line = s.line;
    sa.column = s.column;
    SqliteStatementFacts checked{s,
                                 e.actions,
                                 d.action,
                                 d.table,
                                 d.column,
                                 d.new_name,
                                 d.read_tables,
                                 d.written_tables,
                                 d.returning,
                                 d.upsert,
                                 facts.outcome,
                                 e.error,
                                 *before,
                                 *after,
                                 sa};
    if (checked.outcome != SqliteOutcome::kSkipped) {
      SqliteFindingSink sink(position);
      for (const auto& r : rules) r->check(checked, ctx, sink);
      for (auto& entry : sink.entries()) findings.push_back(std::move(entry));
    }
    ctx.track(checked, position);
    out.statements.push_back(std::move(sa));
    outcomes.push_back(checked.outcome);
  }

  // The migration as a whole: rebuilds, and objects dropped only to be recreated unchanged.
  for (int pos : ctx.drops_recreated_identically())
    out.statements[pos].migration_class = MigrationClass::kAdditive;
  for (const auto& r : ctx.rebuilds()) {
    const MigrationClass cls =
        r.dropped_columns.empty() ? MigrationClass::kBackwardCompatible : MigrationClass::kBreaking;
    const std::string note = fmt::format(" (table rebuild of {})", r.original.name);
    std::vector<int> parts{r.removed_at, r.installed_at};
    parts.insert(parts.end(), r.also_part.begin(), r.also_part.end());
    for (int pos : parts) {
      auto& st = out.statements[pos];
      if (st.kind.find(note) == std::string::npos) st.kind += note;
      st.migration_class = cls;
    }
    if (r.copied_at) {
      auto& st = out.statements[*r.copied_at];
      if (st.kind.find(note) == std::string::npos) st.kind += note;
      st.rewrites_table = true;
    }
    SqliteFindingSink sink(r.removed_at);
    for (const auto& rule : rules) rule->check_rebuild(r, ctx, sink);
    for (auto& entry : sink.entries()) findings.push_back(std::move(entry));
  }

  std::stable_sort(findings.begin(), findings.end(),
                   [](const auto& a, const auto& b) { return a.position < b.position; });
  for (auto& entry : findings) {
    auto& st = out.statements[entry.position];
    Finding& f = entry.finding;
    f.where = SourceLocation{file.file, file.version, st.index, st.line, st.column};
    f.locks = st.locks;
    // A finding about a statement the copy never runs (the foreign_keys pragma, BEGIN) says
    // nothing about what the migration does to the schema or the data.
    const bool effective = outcomes[entry.position] == SqliteOutcome::kRan ||
                           outcomes[entry.position] == SqliteOutcome::kFailed;
    if (f.severity != Severity::kInfo && effective)
      st.migration_class = severer_class(st.migration_class, class_of_rule(f.rule_id));
    st.findings.push_back(std::move(f));
  }
}

}  // namespace migrate
