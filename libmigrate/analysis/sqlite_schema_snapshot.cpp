// The schema of the analyzer's in-memory copy: snapshots that share what did not change, and the
// reader that turns the copy's catalog (sqlite_schema and the table pragmas) into them after each
// statement, re-reading only the rows the statement's authorizer actions point at.
#include "libmigrate/analysis/sqlite_schema_snapshot.hpp"

#include <cctype>
#include <utility>

namespace migrate {

std::string sqlite_lower(std::string_view s) {
  // ASCII only, as SQLite folds identifiers (and as std::tolower does in the C locale), without
  // a library call per character: the analyzer lowers every name it looks up.
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_sqlite_ddl(int code) {
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

// ---- The model

const SqliteColumn* SqliteTable::column(std::string_view column_name) const {
  const std::string want = sqlite_lower(column_name);
  for (const auto& c : columns)
    if (sqlite_lower(c.name) == want) return &c;
  return nullptr;
}

const SqliteTable* SqliteSchema::table(std::string_view name) const {
  return history_ ? history_->tables.at(sqlite_lower(name), version_) : nullptr;
}

const SqliteObject* SqliteSchema::object(std::string_view name) const {
  return history_ ? history_->objects.at(sqlite_lower(name), version_) : nullptr;
}

std::vector<const SqliteTable*> SqliteSchema::tables() const {
  return history_ ? history_->tables.all_at(version_) : std::vector<const SqliteTable*>{};
}

std::vector<const SqliteObject*> SqliteSchema::objects() const {
  return history_ ? history_->objects.all_at(version_) : std::vector<const SqliteObject*>{};
}

std::vector<SqliteForeignKey> SqliteSchema::references_to(std::string_view parent) const {
  const std::string want = sqlite_lower(parent);
  std::vector<SqliteForeignKey> out;
  for (const SqliteTable* t : tables()) {
    if (sqlite_lower(t->name) == want) continue;
    for (const auto& fk : t->foreign_keys)
      if (sqlite_lower(fk.parent) == want) out.push_back(fk);
  }
  return out;
}

namespace {

// The names of either schema: what may differ between snapshots of different histories.
template <class Entry>
std::vector<std::string> names_of_both(const std::vector<const Entry*>& a,
                                       const std::vector<const Entry*>& b) {
  std::set<std::string> keys;
  for (const Entry* e : a) keys.insert(sqlite_lower(e->name));
  for (const Entry* e : b) keys.insert(sqlite_lower(e->name));
  return {keys.begin(), keys.end()};
}

}  // namespace

std::vector<std::string> SqliteSchema::tables_changed_since(const SqliteSchema& earlier) const {
  if (!history_ || history_ != earlier.history_) return names_of_both(tables(), earlier.tables());
  return history_->tables.changed_between(std::min(version_, earlier.version_),
                                          std::max(version_, earlier.version_));
}

std::vector<std::string> SqliteSchema::objects_changed_since(const SqliteSchema& earlier) const {
  if (!history_ || history_ != earlier.history_) return names_of_both(objects(), earlier.objects());
  return history_->objects.changed_between(std::min(version_, earlier.version_),
                                           std::max(version_, earlier.version_));
}

// ---- Reading the copy's catalog

namespace {

// One use of a reader's prepared statement (SqliteSchemaReader::prepared): reset when done, so
// it holds no read transaction and is ready for the next use.
class Query {
 public:
  explicit Query(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Query() {
    if (stmt_) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }
  // Hands the statement over: this object no longer resets it.
  sqlite3_stmt* release() { return std::exchange(stmt_, nullptr); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int i, const std::string& v) {
    if (stmt_) sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Query& bind(int i, sqlite3_int64 v) {
    if (stmt_) sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Query& reset() {
    if (stmt_) sqlite3_reset(stmt_);
    return *this;
  }
  bool next() { return stmt_ && sqlite3_step(stmt_) == SQLITE_ROW; }
  std::string text(int i) const { return std::string(view(i)); }
  // Valid until the next step or reset.
  std::string_view view(int i) const {
    const unsigned char* p = sqlite3_column_text(stmt_, i);
    if (!p) return {};
    return {reinterpret_cast<const char*>(p),
            static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i))};
  }
  bool is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  int integer(int i) const { return sqlite3_column_int(stmt_, i); }
  sqlite3_int64 int64(int i) const { return sqlite3_column_int64(stmt_, i); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// SQLite's own rows of sqlite_schema (sqlite_sequence, sqlite_stat1, autoindexes): not
// objects of the schema. The test is LIKE 'sqlite\_%', which ignores ASCII case.
bool is_internal_row(std::string_view name) {
  constexpr std::string_view kPrefix = "sqlite_";
  if (name.size() < kPrefix.size()) return false;
  for (std::size_t i = 0; i < kPrefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(name[i])) != kPrefix[i]) return false;
  return true;
}

// A query prepared for one use (its text holds a value that a parameter cannot carry).
class OwnedQuery : public Query {
 public:
  OwnedQuery(sqlite3* db, const std::string& sql) : Query(prepare(db, sql)) {}
  ~OwnedQuery() { sqlite3_finalize(release()); }

 private:
  static sqlite3_stmt* prepare(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr) !=
        SQLITE_OK) {
      sqlite3_finalize(stmt);
      return nullptr;
    }
    return stmt;
  }
};

// `PRAGMA main.<pragma>('<table>')`, the name quoted by SQLite's own %Q.
std::string pragma_of_table(const char* pragma, const std::string& table) {
  char* sql = sqlite3_mprintf("PRAGMA main.%s(%Q)", pragma, table.c_str());
  std::string out = sql ? sql : "";
  sqlite3_free(sql);
  return out;
}

bool names_schema_table(const SqliteAction& a) {
  const std::string t = sqlite_lower(a.arg1);
  return (t == "sqlite_master" || t == "sqlite_schema") && sqlite_lower(a.arg3) != "temp";
}

// INSERT, UPDATE or DELETE on sqlite_schema itself (PRAGMA writable_schema), not as part of DDL.
bool writes_schema_table_directly(const std::vector<SqliteAction>& actions) {
  bool writes = false;
  for (const auto& a : actions) {
    if (is_sqlite_ddl(a.code)) return false;
    if ((a.code == SQLITE_INSERT || a.code == SQLITE_UPDATE || a.code == SQLITE_DELETE) &&
        names_schema_table(a))
      writes = true;
  }
  return writes;
}

}  // namespace

SqliteSchemaReader::SqliteSchemaReader(sqlite3* db)
    : db_(db), history_(std::make_shared<SqliteSchemaHistory>()), current_(history_, 0) {}

SqliteSchemaReader::~SqliteSchemaReader() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
}

sqlite3_stmt* SqliteSchemaReader::prepared(const char* sql) {
  auto [it, inserted] = statements_.try_emplace(sql, nullptr);
  if (inserted && sqlite3_prepare_v2(db_, sql, -1, &it->second, nullptr) != SQLITE_OK) {
    sqlite3_finalize(it->second);
    it->second = nullptr;
    statements_.erase(it);  // tried again next time
    return nullptr;
  }
  return it->second;
}

void SqliteSchemaReader::refresh(const std::vector<SqliteAction>& actions) {
  if (writes_schema_table_directly(actions)) read_everything_next_ = true;
  int version = 0;
  {
    Query q(prepared("PRAGMA main.schema_version"));
    if (q.next()) version = q.integer(0);
  }
  if (version == schema_version_) return;
  schema_version_ = version;
  Changes changes;
  const auto touched = touched_by(actions);
  if (read_everything_next_ || !touched || !read_touched(*touched, changes)) {
    changes = Changes{};
    read_everything(changes);
  }
  commit(changes);
}

std::optional<SqliteSchemaReader::Touched> SqliteSchemaReader::touched_by(
    const std::vector<SqliteAction>& actions) {
  Touched t;
  // ALTER TABLE ... ADD COLUMN: one ALTER TABLE action without a column (DROP COLUMN names the
  // column), and none of SQLite's catalog-rewriting helpers, whose names start with "sqlite_".
  bool rewrites_catalog = false;
  int alters = 0;
  std::string altered;
  for (const auto& a : actions) {
    if (a.code == SQLITE_FUNCTION && sqlite_lower(a.arg2).starts_with("sqlite_"))
      rewrites_catalog = true;
    if (a.code == SQLITE_ALTER_TABLE) {
      ++alters;
      if (!a.arg3.empty() || sqlite_lower(a.arg1) != "main") rewrites_catalog = true;
      altered = sqlite_lower(a.arg2);
    }
  }
  const bool add_column = alters == 1 && !rewrites_catalog && !altered.empty();
  for (const auto& a : actions) {
    switch (a.code) {
      case SQLITE_CREATE_TABLE:
      case SQLITE_CREATE_INDEX:
      case SQLITE_CREATE_VIEW:
      case SQLITE_CREATE_TRIGGER:
        t.created = true;
        break;
      case SQLITE_DROP_TABLE:
      case SQLITE_DROP_VIEW:
        t.owners.insert(sqlite_lower(a.arg1));
        break;
      case SQLITE_DROP_INDEX:
      case SQLITE_DROP_TRIGGER:
        t.objects.insert(sqlite_lower(a.arg1));
        break;
      case SQLITE_ALTER_TABLE:  // RENAME rewrites other tables, views and triggers
        if (!add_column) return std::nullopt;
        t.altered.insert(altered);
        break;
      case SQLITE_CREATE_VTABLE:  // the module may create shadow tables
      case SQLITE_DROP_VTABLE:
      case SQLITE_PRAGMA:  // schema_version, writable_schema
        return std::nullopt;
      default:  // reads, writes, functions; TEMP DDL changes the temp schema only
        break;
    }
  }
  if (!t.created && t.owners.empty() && t.objects.empty() && t.altered.empty()) return std::nullopt;
  return t;
}

bool SqliteSchemaReader::unchanged(const std::string& key, std::string_view type,
                                   std::string_view name, std::string_view table,
                                   std::string_view sql) const {
  if (type == "table") {
    // Columns, foreign keys and options follow from the CREATE TABLE text.
    const SqliteTable* was = current_.table(key);
    return was && was->sql == sql && !sql.empty();
  }
  const SqliteObject* was = current_.object(key);
  return was && was->type == type && was->name == name && was->table == table && was->sql == sql;
}

std::shared_ptr<SqliteTable> SqliteSchemaReader::read_table(const Row& row) {
  auto t = std::make_shared<SqliteTable>();
  t->name = row.name;
  t->sql = row.sql;
  // PRAGMA statements, not the pragma_table_xinfo(...) table-valued functions: a statement is
  // prepared again after every schema change (which is when tables are read), and preparing one
  // that names a pragma function declares its virtual table, parsing a CREATE TABLE text, each
  // time.
  OwnedQuery cols(db_, pragma_of_table("table_xinfo", t->name));
  // cid, name, type, notnull, dflt_value, pk, hidden
  while (cols.next()) {
    SqliteColumn c;
    c.name = cols.text(1);
    c.type = cols.text(2);
    c.not_null = cols.integer(3) != 0;
    if (!cols.is_null(4)) c.default_value = cols.text(4);
    c.pk = cols.integer(5);
    c.hidden = cols.integer(6);
    t->columns.push_back(std::move(c));
  }
  OwnedQuery fks(db_, pragma_of_table("foreign_key_list", t->name));
  // id, seq, table, from, to, on_update, on_delete, match
  while (fks.next()) t->foreign_keys.push_back({t->name, fks.text(3), fks.text(2), fks.text(4)});
  return t;
}

// STRICT and WITHOUT ROWID come from pragma table_list (3.37+; older libraries lack it, and then
// both stay false). It lists every table of the schema, so it is asked only when a table read
// anew has one of those keywords in its CREATE text: without them, both are false.
void SqliteSchemaReader::read_table_flags(const Changes& changes) {
  std::map<std::string, SqliteTable*> asked;
  for (const auto& [key, entry] : changes.tables) {
    if (!entry.first) continue;
    const std::string sql = sqlite_lower(entry.first->sql);
    if (sql.find("strict") != std::string::npos || sql.find("without") != std::string::npos)
      asked.emplace(key, entry.first.get());
  }
  if (asked.empty()) return;
  // The PRAGMA form, as in read_table: no virtual table to declare at each prepare.
  OwnedQuery list(db_, "PRAGMA main.table_list");
  // schema, name, type, ncol, wr, strict
  while (list.next()) {
    if (list.view(0) != "main") continue;
    auto it = asked.find(sqlite_lower(list.view(1)));
    if (it == asked.end()) continue;
    it->second->without_rowid = list.integer(4) != 0;
    it->second->strict = list.integer(5) != 0;
  }
}

bool SqliteSchemaReader::read_touched(const Touched& touched, Changes& changes) {
  // The dropped entries' rows, by rowid: gone, or (had the statement not dropped them) re-read.
  std::vector<std::pair<bool, std::string>> candidates;  // (is a table, name)
  for (const auto& owner : touched.owners) {
    if (table_rowids_.count(owner)) candidates.emplace_back(true, owner);
    if (object_rowids_.count(owner)) candidates.emplace_back(false, owner);  // a view
    if (auto it = objects_of_.find(owner); it != objects_of_.end())
      for (const auto& key : it->second) candidates.emplace_back(false, key);
  }
  for (const auto& key : touched.objects)
    if (object_rowids_.count(key)) candidates.emplace_back(false, key);
  for (const auto& key : touched.altered) {
    // Its row must be there, under the same name: otherwise read everything.
    if (!table_rowids_.count(key)) return false;
    candidates.emplace_back(true, key);
  }
  Query by_rowid(
      prepared("SELECT type, name, tbl_name, coalesce(sql, '') FROM main.sqlite_master "
               "WHERE rowid = ?1"));
  for (const auto& [is_table, key] : candidates) {
    const sqlite3_int64 rowid = is_table ? table_rowids_.at(key) : object_rowids_.at(key);
    by_rowid.reset().bind(1, rowid);
    if (!by_rowid.next()) {
      if (is_table && touched.altered.count(key)) return false;  // ADD COLUMN keeps its row
      if (is_table)
        changes.tables[key] = {nullptr, 0};
      else
        changes.objects[key] = {nullptr, 0};
      continue;
    }
    Row row{rowid, by_rowid.text(0), by_rowid.text(1), by_rowid.text(2), by_rowid.text(3)};
    if (sqlite_lower(row.name) != key || (row.type == "table") != is_table) return false;
    if (unchanged(key, row)) continue;
    if (is_table)
      changes.tables[key] = {read_table(row), rowid};
    else
      changes.objects[key] = {
          std::make_shared<SqliteObject>(SqliteObject{row.type, row.name, row.table, row.sql}),
          rowid};
  }
  // The created rows: SQLite gives a new row the largest rowid plus one. Without a deleted row,
  // the largest rowid is then the largest seen.
  sqlite3_int64 max_rowid = max_rowid_;
  if (touched.created) {
    Query added(
        prepared("SELECT rowid, type, name, tbl_name, coalesce(sql, '') FROM main.sqlite_master "
                 "WHERE rowid > ?1"));
    added.bind(1, max_rowid_);
    while (added.next()) {
      max_rowid = std::max(max_rowid, added.int64(0));
      if (added.is_null(2) || is_internal_row(added.view(2))) continue;
      Row row{added.int64(0), added.text(1), added.text(2), added.text(3), added.text(4)};
      const std::string key = sqlite_lower(row.name);
      if (row.type == "table") {
        if (table_rowids_.count(key) || changes.tables.count(key)) return false;
        changes.tables[key] = {read_table(row), row.rowid};
      } else {
        if (object_rowids_.count(key) || changes.objects.count(key)) return false;
        changes.objects[key] = {
            std::make_shared<SqliteObject>(SqliteObject{row.type, row.name, row.table, row.sql}),
            row.rowid};
      }
    }
  }
  read_table_flags(changes);
  if (touched.owners.empty() && touched.objects.empty()) changes.max_rowid = max_rowid;
  return true;
}

void SqliteSchemaReader::read_everything(Changes& changes) {
  std::map<std::string, sqlite3_int64> tables, objects;
  std::map<std::string, std::set<std::string>> objects_of;
  bool ambiguous = false;
  sqlite3_int64 max_rowid = 0;
  // In rowid order: of two rows with one name, the first one counts. A row's text is copied only
  // when it differs from the current version (most rows, after an ALTER TABLE).
  Query q(
      prepared("SELECT rowid, type, name, tbl_name, coalesce(sql, '') FROM main.sqlite_master"));
  while (q.next()) {
    const sqlite3_int64 rowid = q.int64(0);
    max_rowid = std::max(max_rowid, rowid);
    const std::string_view type = q.view(1), name = q.view(2), table = q.view(3), sql = q.view(4);
    if (q.is_null(2) || is_internal_row(name)) continue;
    const std::string key = sqlite_lower(name);
    const auto row = [&] {
      return Row{rowid, std::string(type), std::string(name), std::string(table), std::string(sql)};
    };
    if (type == "table") {
      if (!tables.emplace(key, rowid).second) {
        ambiguous = true;
        continue;
      }
      if (!unchanged(key, type, name, table, sql)) changes.tables[key] = {read_table(row()), rowid};
    } else {
      if (!objects.emplace(key, rowid).second) {
        ambiguous = true;
        continue;
      }
      objects_of[sqlite_lower(table)].insert(key);
      if (!unchanged(key, type, name, table, sql))
        changes.objects[key] = {
            std::make_shared<SqliteObject>(SqliteObject{std::string(type), std::string(name),
                                                        std::string(table), std::string(sql)}),
            rowid};
    }
  }
  for (const auto& [key, rowid] : table_rowids_)
    if (!tables.count(key)) changes.tables[key] = {nullptr, 0};
  for (const auto& [key, rowid] : object_rowids_)
    if (!objects.count(key)) changes.objects[key] = {nullptr, 0};
  read_table_flags(changes);
  table_rowids_ = std::move(tables);
  object_rowids_ = std::move(objects);
  objects_of_ = std::move(objects_of);
  read_everything_next_ = ambiguous;
  changes.everything = true;
  changes.max_rowid = max_rowid;
}

void SqliteSchemaReader::commit(const Changes& changes) {
  const std::uint64_t version = history_->next_version();
  for (const auto& [key, entry] : changes.tables) {
    if (!changes.everything) {
      if (entry.first)
        table_rowids_[key] = entry.second;
      else
        table_rowids_.erase(key);
    }
    history_->tables.set(key, version, entry.first);
  }
  for (const auto& [key, entry] : changes.objects) {
    if (!changes.everything) {
      if (const SqliteObject* was = current_.object(key)) {
        auto owner = objects_of_.find(sqlite_lower(was->table));
        if (owner != objects_of_.end()) {
          owner->second.erase(key);
          if (owner->second.empty()) objects_of_.erase(owner);
        }
      }
      if (entry.first) {
        object_rowids_[key] = entry.second;
        objects_of_[sqlite_lower(entry.first->table)].insert(key);
      } else {
        object_rowids_.erase(key);
      }
    }
    history_->objects.set(key, version, entry.first);
  }
  if (changes.max_rowid) {
    max_rowid_ = *changes.max_rowid;
  } else {
    Query last(prepared("SELECT max(rowid) FROM main.sqlite_master"));
    max_rowid_ = last.next() ? last.int64(0) : 0;
  }
  current_ = SqliteSchema(history_, version);
}

}  // namespace migrate
