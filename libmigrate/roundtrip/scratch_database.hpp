// The database the round-trip check works in: never the target. A temporary one (PostgreSQL: a
// database created on the target's server; SQLite: a file in the system temporary directory)
// is removed when the object goes away; one the caller named is used as found and kept.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/history/history_store.hpp"
#include "migrate/rollback_check.hpp"

namespace migrate {

class ScratchDatabase {
 public:
  // A scratch database beside the target `target_url` (`target` is a read-only backend on it),
  // or the one check.scratch_database_url names. With `copy_schema`, the target's schema without
  // the history tables of `history` is copied into it (PostgreSQL: pg_dump --schema-only
  // --format=custom, pg_restore --no-owner; SQLite: sqlite_master's SQL replayed, tables
  // first). Throws kUsage when a given scratch database is the target or holds user objects,
  // kInternal when pg_dump or pg_restore fail (with what they printed), and the backend's
  // errors. On a throw nothing temporary is left behind. `purpose` ("rollback-check",
  // "lock-trace") names the temporary database (migrate_<purpose>_<pid>_<random>, dashes as
  // underscores), the log line and the application_name pg_dump and pg_restore connect with.
  ScratchDatabase(Backend& target, const std::string& target_url, const HistoryTableName& history,
                  const RollbackCheckOptions& check, const BackendOptions& backend_options,
                  bool copy_schema, std::string purpose = "rollback-check");
  // Removes a temporary database (never throws; a failure is logged).
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  // A URL a Migrator opens (with the target's password, if any: never print it).
  const std::string& url() const { return url_; }
  // What to show: the URL without its password, or the SQLite file.
  std::string printable() const;
  bool temporary() const { return temporary_; }
  // Removes a temporary database now; true when it is gone (also when it was not temporary:
  // false then). Idempotent.
  bool remove() noexcept;

 private:
  void create_postgres(Backend& target, const std::string& target_url,
                       const HistoryTableName& history, const RollbackCheckOptions& check,
                       bool copy_schema);
  void create_sqlite(Backend& target, const HistoryTableName& history,
                     const RollbackCheckOptions& check, bool copy_schema);
  void refuse_unless_empty(const HistoryTableName& history);

  BackendOptions backend_options_;
  std::string purpose_;
  Dialect dialect_ = Dialect::kSqlite;
  std::string url_;
  bool temporary_ = false;
  bool removed_ = false;
  // PostgreSQL: the temporary database's name, and a connection to the target's server to drop
  // it from. SQLite: the temporary file.
  std::string database_name_;
  std::unique_ptr<Backend> admin_;
  std::filesystem::path file_;
};

}  // namespace migrate
