// The one history store: the attempt log and its per-statement records, written once over the
// backend's parameterised queries and a per-dialect SQL layer. Both tables are described by one
// column table each (history_store.cpp), from which the DDL, the SELECT, the INSERT and the
// UPDATE are all generated, so the two engines cannot drift apart.
//
// Formats: 1 is the attempt table of 0.1.0; 2 adds the `checkpoint` column and the
// `<table>_statements` table; 3 adds each statement's estimate and work to it, and the
// `<table>_calibration` table; 4 adds the attempt table's `backup` column. ensure_current() creates
// the tables or upgrades an older format in place, inside the caller's transaction (with the
// migration lock held); a newer format is refused with kHistoryIncompatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/error/failure.hpp"
#include "migrate/estimate.hpp"
#include "migrate/history.hpp"

namespace migrate {

struct HistoryTableName {
  std::string schema = "public";  // PostgreSQL only
  std::string table = "migrate_history";
};

class HistoryStore {
 public:
  HistoryStore(Backend& backend, HistoryTableName name);

  // 0 when the attempt table does not exist; else the format of its structure (1 to 4), or the
  // newest format a row declares when that is higher.
  int format();

  // Creates the tables when missing, upgrades a format-1 table in place; refuses a newer format.
  // Precondition: inside a transaction that holds the migration lock. Returns the format found
  // before (0 when created).
  int ensure_current();

  // Every attempt in id order; empty when the table does not exist. Reads format-1 tables too
  // (read-only commands never upgrade). Throws kHistoryIncompatible for a newer format or a
  // table of foreign shape.
  std::vector<Attempt> read_attempts();

  // The highest attempt id (0 for none): cheap proof that nobody wrote since the last read.
  std::int64_t last_id();

  // Writes an attempt and its statement records (in the open transaction when there is one);
  // returns the attempt's id. On PostgreSQL both go in one round trip.
  std::int64_t insert(const Attempt& attempt, const std::vector<StatementRecord>& statements = {});
  // Updates the outcome fields of attempt `attempt.id` and adds statement records to it.
  void update(const Attempt& attempt, const std::vector<StatementRecord>& statements = {});

  // The statement records of one attempt (format 2; empty for format 1).
  std::vector<StatementRecord> read_statements(std::int64_t attempt_id);
  // Every statement record, by attempt and statement (`status --verbose`).
  std::vector<StatementRecord> read_all_statements();
  // The newest `limit` records with a work kind and scale (format 3): what estimates learn from.
  std::vector<StatementRecord> read_estimate_samples(std::size_t limit = 2000);

  // The newest calibration of each operation; nullopt when never calibrated (or format < 3).
  std::optional<Calibration> read_calibration();
  // Appends a calibration. Precondition: ensure_current() in the open transaction.
  void write_calibration(const Calibration& calibration);

  // Other libmigrate attempt tables in the database (by their columns, under any name),
  // "schema.table" on PostgreSQL: when this store's table does not exist but one of these does,
  // --history-table (or --history-schema) most likely names the wrong table.
  std::vector<std::string> other_history_tables();

  const std::string& attempts_sql_name() const { return attempts_; }
  const std::string& statements_sql_name() const { return statements_; }

 private:
  std::string placeholder(int n) const;
  bool exists(const std::string& schema, const std::string& table);
  bool has_column(const std::string& schema, const std::string& table, const std::string& column);
  std::optional<std::string> relation_kind(const std::string& schema, const std::string& table);
  void require_values(const SqlRow& row) const;
  Failure privilege_needed(const Failure& cause, const std::string& action,
                           const std::string& grant);
  void create_attempts();
  void create_statements();
  void create_calibration();
  std::string statement_select();
  void insert_statement_rows(std::int64_t attempt_id, const std::vector<StatementRecord>& rows,
                             std::size_t from);

  Backend& backend_;
  Dialect dialect_;
  HistoryTableName name_;
  std::string attempts_;     // quoted, schema-qualified on PostgreSQL
  std::string statements_;   // quoted, schema-qualified on PostgreSQL
  std::string calibration_;  // quoted, schema-qualified on PostgreSQL
  int format_ = -1;          // structure format, -1 until known
  // PostgreSQL: the quoted database and role, for the GRANT a refused CREATE needs.
  std::pair<std::string, std::string> grantee_{"<database>", "<role>"};
};

}  // namespace migrate
