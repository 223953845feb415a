// The schema of the analyzer's in-memory copy, kept as a history of versions so that the snapshot
// before a statement, the one after it and the one at the start of the migration share every
// table the statement did not touch. Reading the copy's catalog after a statement costs what the
// statement changed, not the size of the schema: analysing thousands of migrations stays linear.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libmigrate/analysis/sqlite_rule.hpp"

namespace migrate {

// CREATE / DROP of a table, index, view, trigger or virtual table (TEMP ones too), ALTER TABLE.
bool is_sqlite_ddl(int authorizer_code);

// Every value one kind of entry (tables, or indexes/views/triggers) had, by lower-case name: a
// version stores only the names it changed.
template <class Entry>
class SqliteVersionedEntries {
 public:
  // The entry at `version`, or null when no entry of that name existed then.
  const Entry* at(const std::string& key, std::uint64_t version) const {
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    const auto& values = it->second;
    auto after = std::upper_bound(values.begin(), values.end(), version,
                                  [](std::uint64_t v, const auto& e) { return v < e.first; });
    return after == values.begin() ? nullptr : std::prev(after)->second.get();
  }
  // Every entry that existed at `version`, by lower-case name.
  std::vector<const Entry*> all_at(std::uint64_t version) const {
    std::vector<const Entry*> out;
    for (const auto& [key, values] : entries_)
      if (const Entry* e = at(key, version)) out.push_back(e);
    return out;
  }
  // From `version` on, `key` is `value` (null: no such entry).
  void set(const std::string& key, std::uint64_t version, std::shared_ptr<const Entry> value) {
    auto& values = entries_[key];
    if (!values.empty() && values.back().first == version)
      values.back().second = std::move(value);
    else
      values.emplace_back(version, std::move(value));
    changes_.emplace_back(version, key);
  }
  // The names set by versions after `from`, up to `to`, in order.
  std::vector<std::string> changed_between(std::uint64_t from, std::uint64_t to) const {
    std::set<std::string> keys;
    auto it = std::upper_bound(changes_.begin(), changes_.end(), from,
                               [](std::uint64_t v, const auto& c) { return v < c.first; });
    for (; it != changes_.end() && it->first <= to; ++it) keys.insert(it->second);
    return {keys.begin(), keys.end()};
  }

 private:
  // Per name, (first version, value) oldest first.
  std::map<std::string, std::vector<std::pair<std::uint64_t, std::shared_ptr<const Entry>>>>
      entries_;
  std::vector<std::pair<std::uint64_t, std::string>> changes_;  // (version, name), by version
};

// Every version of the copy's schema. Version 0 is the empty schema; SqliteSchemaReader adds one
// per statement that changed it. Snapshots (SqliteSchema) read it; only the reader writes it.
class SqliteSchemaHistory {
 public:
  std::uint64_t version() const { return version_; }
  SqliteVersionedEntries<SqliteTable> tables;
  SqliteVersionedEntries<SqliteObject> objects;  // indexes, views and triggers

  std::uint64_t next_version() { return ++version_; }

 private:
  std::uint64_t version_ = 0;
};

// Reads the copy's catalog (main.sqlite_schema; pragma table_xinfo, foreign_key_list and
// table_list) into the history after each statement that changed the schema.
//
// What a statement changed comes from its authorizer actions. CREATE TABLE / INDEX / VIEW /
// TRIGGER only add rows to sqlite_schema, with rowids above every existing one (SQLite gives a new
// row the largest rowid plus one); DROP TABLE / VIEW delete the table's row and the rows of its
// indexes and triggers, DROP INDEX / TRIGGER one row. Those rows are re-read by rowid. Anything
// else that changes the schema (ALTER TABLE, which may rewrite other tables, views and triggers;
// virtual tables; a change no action explains) re-reads the whole catalog, comparing it with the
// current version: the tables whose CREATE text is unchanged keep their entry. The exception is
// ADD COLUMN, which rewrites its table's row only (in place: same rowid); it is told from the
// other ALTER TABLE forms by the helper functions those call (sqlite_rename_table,
// sqlite_rename_column, sqlite_drop_column...) to rewrite the rest of the catalog.
class SqliteSchemaReader {
 public:
  explicit SqliteSchemaReader(sqlite3* db);
  ~SqliteSchemaReader();
  SqliteSchemaReader(const SqliteSchemaReader&) = delete;
  SqliteSchemaReader& operator=(const SqliteSchemaReader&) = delete;

  const SqliteSchema& current() const { return current_; }
  // After a statement ran: when main's schema version moved, a new snapshot.
  void refresh(const std::vector<SqliteAction>& actions);

 private:
  struct Row {
    sqlite3_int64 rowid = 0;
    std::string type, name, table, sql;
  };
  // What a statement's authorizer actions say it did to main's catalog.
  struct Touched {
    bool created = false;           // added rows (above max_rowid_)
    std::set<std::string> owners;   // dropped tables and views: their rows and their objects'
    std::set<std::string> objects;  // dropped indexes and triggers
    std::set<std::string> altered;  // tables given a column by ALTER TABLE ADD COLUMN
  };
  // One new version: per lower-case name, the new entry (null: gone) and its rowid.
  struct Changes {
    std::map<std::string, std::pair<std::shared_ptr<SqliteTable>, sqlite3_int64>> tables;
    std::map<std::string, std::pair<std::shared_ptr<SqliteObject>, sqlite3_int64>> objects;
    bool everything = false;  // read_everything() already rebuilt the rowid bookkeeping
    // The largest rowid of sqlite_schema after the statement, when the rows read show it (no row
    // was deleted); otherwise commit() asks.
    std::optional<sqlite3_int64> max_rowid;
  };

  // The reader's query `sql` (one of a handful of literals), prepared on first use and kept: the
  // reader asks after every statement, and preparing costs more than running.
  sqlite3_stmt* prepared(const char* sql);

  // nullopt when the actions do not say (ALTER TABLE other than ADD COLUMN, virtual tables,
  // pragmas, nothing at all).
  static std::optional<Touched> touched_by(const std::vector<SqliteAction>& actions);
  // False when the rows found do not match the bookkeeping (then read everything).
  bool read_touched(const Touched& touched, Changes& changes);
  void read_everything(Changes& changes);
  bool unchanged(const std::string& key, std::string_view type, std::string_view name,
                 std::string_view table, std::string_view sql) const;
  bool unchanged(const std::string& key, const Row& row) const {
    return unchanged(key, row.type, row.name, row.table, row.sql);
  }
  std::shared_ptr<SqliteTable> read_table(const Row& row);
  void read_table_flags(const Changes& changes);
  void commit(const Changes& changes);

  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*> statements_;  // by SQL text
  std::shared_ptr<SqliteSchemaHistory> history_;
  SqliteSchema current_;
  int schema_version_ = 0;
  // Where the current version's entries are in sqlite_schema, and the objects of each table
  // (tbl_name), to re-read a statement's rows without scanning the catalog.
  std::map<std::string, sqlite3_int64> table_rowids_, object_rowids_;
  std::map<std::string, std::set<std::string>> objects_of_;
  sqlite3_int64 max_rowid_ = 0;
  // Two rows of one name (a trigger named like an index or a view), or rows written into
  // sqlite_schema directly: the bookkeeping cannot be trusted, the next refresh reads everything.
  bool read_everything_next_ = false;
};

}  // namespace migrate
