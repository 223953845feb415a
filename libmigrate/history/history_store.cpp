#include "libmigrate/history/history_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/history/timestamp.hpp"
#include "migrate/library_version.hpp"

namespace migrate {
namespace {

// ---- the per-dialect SQL layer: types, parameters and result expressions ----

enum class Kind { kText, kInteger, kBigint, kBool, kTimestamp };

struct Column {
  const char* name;
  Kind kind;
  bool nullable;
  const char* default_sql;  // nullptr: none
  int since_format;
};

// The attempt log, in table order (after `id`). Format 1 is exactly 0.1.0's table.
constexpr std::array<Column, 22> kAttemptColumns{{
    {"history_format", Kind::kInteger, false, nullptr, 1},
    {"run_id", Kind::kText, false, nullptr, 1},
    {"version", Kind::kText, false, nullptr, 1},
    {"name", Kind::kText, false, nullptr, 1},
    {"direction", Kind::kText, false, nullptr, 1},
    {"checksum", Kind::kText, false, nullptr, 1},
    {"down_checksum", Kind::kText, true, nullptr, 1},
    {"transactional", Kind::kBool, false, nullptr, 1},
    {"started_at", Kind::kTimestamp, false, nullptr, 1},
    {"finished_at", Kind::kTimestamp, true, nullptr, 1},
    {"success", Kind::kBool, true, nullptr, 1},
    {"error_message", Kind::kText, false, "''", 1},
    {"error_code", Kind::kText, false, "''", 1},
    {"statement_index", Kind::kInteger, false, "0", 1},
    {"execution_ms", Kind::kBigint, false, "0", 1},
    {"installed_by", Kind::kText, false, nullptr, 1},
    {"client", Kind::kText, false, nullptr, 1},
    {"tool_version", Kind::kText, false, nullptr, 1},
    {"error_statement", Kind::kInteger, false, "0", 1},
    {"progress_checksum", Kind::kText, true, nullptr, 1},
    {"checkpoint", Kind::kText, true, nullptr, 2},
    {"backup", Kind::kText, true, nullptr, 4},
}};
// Columns an update may change: the outcome and the progress of an attempt.
constexpr std::array<const char*, 9> kAttemptOutcomeColumns{
    "finished_at",  "success",         "error_message",     "error_code", "statement_index",
    "execution_ms", "error_statement", "progress_checksum", "checkpoint"};

// Per-statement records (format 2; the estimate beside the actual since format 3).
constexpr std::array<Column, 11> kStatementColumns{{
    {"attempt_id", Kind::kBigint, false, nullptr, 2},
    {"statement_index", Kind::kInteger, false, nullptr, 2},
    {"started_at", Kind::kTimestamp, false, nullptr, 2},
    {"duration_ms", Kind::kBigint, false, nullptr, 2},
    {"rows_affected", Kind::kBigint, true, nullptr, 2},
    {"lock_wait_ms", Kind::kBigint, false, "0", 2},
    {"lock_retries", Kind::kInteger, false, "0", 2},
    {"work", Kind::kText, false, "''", 3},
    {"scale", Kind::kBigint, true, nullptr, 3},
    {"estimate_p50_ms", Kind::kBigint, true, nullptr, 3},
    {"estimate_p90_ms", Kind::kBigint, true, nullptr, 3},
}};

// What `migrate calibrate` measured (format 3): one row per operation and calibration, the
// newest of each operation in force.
constexpr std::array<Column, 8> kCalibrationColumns{{
    {"measured_at", Kind::kTimestamp, false, nullptr, 3},
    {"operation", Kind::kText, false, nullptr, 3},
    {"unit", Kind::kText, false, nullptr, 3},
    {"units", Kind::kBigint, false, nullptr, 3},
    {"elapsed_us", Kind::kBigint, false, nullptr, 3},
    {"fixed_us", Kind::kBigint, false, "0", 3},
    {"server", Kind::kText, false, nullptr, 3},
    {"tool_version", Kind::kText, false, nullptr, 3},
}};

// PostgreSQL sends at most 65535 parameters per statement; SQLite allows 32766.
constexpr std::size_t kStatementRowsPerInsert = 1000;

const char* type_name(Dialect d, Kind k) {
  if (d == Dialect::kSqlite) {
    switch (k) {
      case Kind::kText:
      case Kind::kTimestamp:
        return "TEXT";
      default:
        return "INTEGER";
    }
  }
  switch (k) {
    case Kind::kText:
      return "text";
    case Kind::kInteger:
      return "integer";
    case Kind::kBigint:
      return "bigint";
    case Kind::kBool:
      return "boolean";
    case Kind::kTimestamp:
      return "timestamptz";
  }
  return "text";
}

// What a SELECT reads, so both engines return the same text: ISO-8601 UTC timestamps, 1/0.
std::string result_expression(Dialect d, const Column& c) {
  if (d == Dialect::kPostgres) {
    if (c.kind == Kind::kTimestamp)
      return fmt::format("to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
                         c.name);
    if (c.kind == Kind::kBool) return fmt::format("{}::int", c.name);
  }
  return c.name;
}

std::string column_ddl(Dialect d, const Column& c) {
  std::string out = fmt::format("{} {}", c.name, type_name(d, c.kind));
  if (!c.nullable) out += " NOT NULL";
  if (c.default_sql) out += fmt::format(" DEFAULT {}", c.default_sql);
  if (std::string_view(c.name) == "direction")
    out += " CHECK (direction IN ('up', 'down', 'init'))";
  return out;
}

SqlValue text(const std::string& s) {
  return s;
}
SqlValue text(const std::optional<std::string>& s) {
  return s;
}
SqlValue number(std::int64_t n) {
  return std::to_string(n);
}
SqlValue boolean(bool b) {
  return std::string(b ? "1" : "0");
}
SqlValue boolean(const std::optional<bool>& b) {
  return b ? boolean(*b) : std::nullopt;
}

std::int64_t to_int(const SqlValue& v) {
  if (!v) return 0;
  std::int64_t n = 0;
  std::from_chars(v->data(), v->data() + v->size(), n);
  return n;
}
std::string to_text(const SqlValue& v) {
  return v.value_or("");
}
bool to_bool(const SqlValue& v) {
  return v && (*v == "1" || *v == "t" || *v == "true");
}

Direction to_direction(const std::string& d) {
  return d == "up" ? Direction::kUp : d == "down" ? Direction::kDown : Direction::kInit;
}

// One value per kAttemptColumns entry, in order.
std::vector<SqlValue> attempt_values(const Attempt& a) {
  return {number(a.history_format),
          text(a.run_id),
          text(a.version),
          text(a.name),
          text(std::string(to_string(a.direction))),
          text(a.checksum),
          text(a.down_checksum),
          boolean(a.transactional),
          text(a.started_at),
          text(a.finished_at),
          boolean(a.success),
          text(a.error_message),
          text(a.error_code),
          number(a.statement_index),
          number(a.execution_ms),
          text(a.installed_by),
          text(a.client),
          text(a.tool_version),
          number(a.error_statement),
          text(a.progress_checksum),
          text(a.checkpoint),
          text(a.backup)};
}

// `row` is id followed by the kAttemptColumns in order (NULL for columns newer than the table).
Attempt attempt_from(const SqlRow& row) {
  Attempt a;
  a.id = to_int(row[0]);
  a.history_format = static_cast<int>(to_int(row[1]));
  a.run_id = to_text(row[2]);
  a.version = to_text(row[3]);
  a.name = to_text(row[4]);
  a.direction = to_direction(to_text(row[5]));
  a.checksum = to_text(row[6]);
  a.down_checksum = row[7];
  a.transactional = to_bool(row[8]);
  a.started_at = to_text(row[9]);
  a.finished_at = row[10];
  if (row[11]) a.success = to_bool(row[11]);
  a.error_message = to_text(row[12]);
  a.error_code = to_text(row[13]);
  a.statement_index = static_cast<int>(to_int(row[14]));
  a.execution_ms = to_int(row[15]);
  a.installed_by = to_text(row[16]);
  a.client = to_text(row[17]);
  a.tool_version = to_text(row[18]);
  a.error_statement = static_cast<int>(to_int(row[19]));
  a.progress_checksum = row[20];
  a.checkpoint = row[21];
  a.backup = row[22];
  return a;
}

SqlValue number(const std::optional<std::int64_t>& n) {
  return n ? number(*n) : std::nullopt;
}

std::vector<SqlValue> statement_values(std::int64_t attempt_id, const StatementRecord& r) {
  return {number(attempt_id),
          number(r.statement_index),
          text(r.started_at),
          number(r.duration_ms),
          number(r.rows_affected),
          number(r.lock_wait_ms),
          number(r.lock_retries),
          text(r.work),
          r.scale ? number(static_cast<std::int64_t>(std::llround(*r.scale))) : std::nullopt,
          number(r.estimate_p50_ms),
          number(r.estimate_p90_ms)};
}

// `row`: the kStatementColumns in order (NULL for columns newer than the table).
StatementRecord to_statement_record(const SqlRow& r) {
  StatementRecord s;
  s.attempt_id = to_int(r[0]);
  s.statement_index = static_cast<int>(to_int(r[1]));
  s.started_at = to_text(r[2]);
  s.duration_ms = to_int(r[3]);
  if (r[4]) s.rows_affected = to_int(r[4]);
  s.lock_wait_ms = to_int(r[5]);
  s.lock_retries = static_cast<int>(to_int(r[6]));
  s.work = to_text(r[7]);
  if (r[8]) s.scale = static_cast<double>(to_int(r[8]));
  if (r[9]) s.estimate_p50_ms = to_int(r[9]);
  if (r[10]) s.estimate_p90_ms = to_int(r[10]);
  return s;
}

// A failure reading or shaping the table is a sign of a table that is not ours, unless the
// database's own state (read-only, privilege, disk full) already explains it.
Failure foreign_table(const std::string& table, const Failure& cause) {
  if (cause.error().code != ErrorCode::kInternal) return cause;
  return Failure(
      Error{ErrorCode::kHistoryIncompatible,
            fmt::format("table {} exists but is not a libmigrate history table ({})", table,
                        cause.error().message),
            "choose another table with --history-table (and --history-schema on PostgreSQL), or "
            "rename the existing table",
            {},
            {}});
}

}  // namespace

HistoryStore::HistoryStore(Backend& backend, HistoryTableName name)
    : backend_(backend), dialect_(backend.dialect()), name_(std::move(name)) {
  auto qualify = [&](const std::string& table) {
    if (dialect_ == Dialect::kSqlite) return backend_.quote_identifier(table);
    return backend_.quote_identifier(name_.schema) + "." + backend_.quote_identifier(table);
  };
  attempts_ = qualify(name_.table);
  statements_ = qualify(name_.table + "_statements");
  calibration_ = qualify(name_.table + "_calibration");
}

// Parameters are always numbered in the order they appear. SQLite gets plain `?`: numbered `?N`
// parameters cost it a search of every earlier name, quadratic in a 7000-value insert.
std::string HistoryStore::placeholder(int n) const {
  return dialect_ == Dialect::kSqlite ? std::string("?") : "$" + std::to_string(n);
}

bool HistoryStore::exists(const std::string& schema, const std::string& table) {
  return relation_kind(schema, table).has_value();
}

// "table" for a plain table; SQLite's type or a PostgreSQL relkind name for anything else that
// holds the name (a view, an index, a foreign table...).
std::optional<std::string> HistoryStore::relation_kind(const std::string& schema,
                                                       const std::string& table) {
  if (dialect_ == Dialect::kSqlite) {
    auto rows = backend_.query("SELECT type FROM sqlite_master WHERE name = ?1", {table});
    if (rows.empty()) return std::nullopt;
    return to_text(rows[0][0]);
  }
  auto rows = backend_.query(
      "SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' "
      "WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' "
      "WHEN 'i' THEN 'index' WHEN 'I' THEN 'partitioned index' WHEN 'S' THEN 'sequence' "
      "ELSE 'relation of kind ' || c.relkind::text END "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = $1 AND c.relname = $2",
      {schema, table});
  if (rows.empty()) return std::nullopt;
  return to_text(rows[0][0]);
}

int HistoryStore::format() {
  const auto kind = relation_kind(name_.schema, name_.table);
  if (!kind) return format_ = 0;
  if (*kind != "table") {
    fail(ErrorCode::kHistoryIncompatible,
         fmt::format("{} is a {}, not a libmigrate history table", attempts_, *kind),
         "choose another history table name with --history-table (and --history-schema on "
         "PostgreSQL), or rename the existing object");
  }
  format_ = exists(name_.schema, name_.table + "_calibration")
                ? (has_column(name_.schema, name_.table, "backup") ? 4 : 3)
            : exists(name_.schema, name_.table + "_statements") ? 2
                                                                : 1;
  try {
    int declared = static_cast<int>(
        to_int(backend_.query(fmt::format("SELECT max(history_format) FROM {}", attempts_))[0][0]));
    return std::max(format_, declared);
  } catch (const Failure& f) {
    throw foreign_table(attempts_, f);
  }
}

bool HistoryStore::has_column(const std::string& schema, const std::string& table,
                              const std::string& column) {
  if (dialect_ == Dialect::kSqlite)
    return !backend_.query("SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", {table, column})
                .empty();
  return !backend_
              .query(
                  "SELECT 1 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = "
                  "a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE "
                  "n.nspname = $1 AND c.relname = $2 AND a.attname = $3 AND a.attnum > 0 AND NOT "
                  "a.attisdropped",
                  {schema, table, column})
              .empty();
}

void HistoryStore::create_attempts() {
  std::string columns = dialect_ == Dialect::kSqlite ? "  id INTEGER PRIMARY KEY AUTOINCREMENT"
                                                     : "  id bigserial PRIMARY KEY";
  for (const auto& c : kAttemptColumns) columns += ",\n  " + column_ddl(dialect_, c);
  // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists. The
  // names for a GRANT are read now: after a refusal the transaction accepts no query.
  bool schema_missing = false;
  if (dialect_ == Dialect::kPostgres) {
    auto row = backend_
                   .query(
                       "SELECT current_database(), current_user, NOT EXISTS (SELECT 1 FROM "
                       "pg_catalog.pg_namespace WHERE nspname = $1)",
                       {name_.schema})
                   .at(0);
    grantee_ = {backend_.quote_identifier(to_text(row.at(0))),
                backend_.quote_identifier(to_text(row.at(1)))};
    schema_missing = to_bool(row.at(2));
  }
  if (schema_missing) {
    try {
      backend_.query(fmt::format("CREATE SCHEMA {}", backend_.quote_identifier(name_.schema)));
    } catch (const Failure& f) {
      throw privilege_needed(f, fmt::format("create the history schema {}", name_.schema),
                             fmt::format("GRANT CREATE ON DATABASE {{database}} TO {{role}}, or "
                                         "create the schema beforehand: CREATE SCHEMA {} "
                                         "AUTHORIZATION {{role}}",
                                         backend_.quote_identifier(name_.schema)));
    }
  }
  try {
    backend_.query(fmt::format("CREATE TABLE {} (\n{}\n)", attempts_, columns));
  } catch (const Failure& f) {
    throw privilege_needed(
        f, fmt::format("create the history table {}", attempts_),
        fmt::format("GRANT USAGE, CREATE ON SCHEMA {} TO {{role}}, or choose a schema the role "
                    "may create in with --history-schema",
                    backend_.quote_identifier(name_.schema)));
  }
}

// A missing privilege while creating the history, with the GRANT that gives it; `grant` names
// {database} and {role}, filled in from the session (create_attempts read them).
Failure HistoryStore::privilege_needed(const Failure& cause, const std::string& action,
                                       const std::string& grant) {
  if (cause.error().code != ErrorCode::kPermissionDenied) return cause;
  const auto& [database, role] = grantee_;
  Error e = cause.error();
  e.message = fmt::format("the role cannot {}: {}", action, e.message);
  e.hint = fmt::format(
      "as a superuser or the owner: {}; then run the command again",
      fmt::format(fmt::runtime(grant), fmt::arg("database", database), fmt::arg("role", role)));
  return Failure(e);
}

void HistoryStore::create_statements() {
  std::string columns;
  for (const auto& c : kStatementColumns)
    columns += (columns.empty() ? "  " : ",\n  ") + column_ddl(dialect_, c);
  backend_.query(
      fmt::format("CREATE TABLE {} (\n{},\n  PRIMARY KEY (attempt_id, statement_index)\n)",
                  statements_, columns));
}

void HistoryStore::create_calibration() {
  std::string columns;
  for (const auto& c : kCalibrationColumns)
    columns += (columns.empty() ? "  " : ",\n  ") + column_ddl(dialect_, c);
  backend_.query(fmt::format("CREATE TABLE {} (\n{}\n)", calibration_, columns));
}

int HistoryStore::ensure_current() {
  const int found = format();
  if (found > kHistoryFormatVersion) {
    fail(ErrorCode::kHistoryIncompatible,
         fmt::format("history table {} has format {}, newer than this libmigrate reads ({})",
                     attempts_, found, kHistoryFormatVersion),
         "upgrade migrate to the version that wrote the history");
  }
  if (found == kHistoryFormatVersion) return found;
  std::string note;
  if (found == 0) {
    create_attempts();
    note = "created";
  } else {
    // Every column added is nullable or has a default and every new table starts empty, so
    // every row written before stays exactly as it was.
    try {
      for (const auto& c : kAttemptColumns)
        if (c.since_format > found)
          backend_.query(
              fmt::format("ALTER TABLE {} ADD COLUMN {}", attempts_, column_ddl(dialect_, c)));
      if (found == 2)
        for (const auto& c : kStatementColumns)
          if (c.since_format == 3)
            backend_.query(
                fmt::format("ALTER TABLE {} ADD COLUMN {}", statements_, column_ddl(dialect_, c)));
    } catch (const Failure& f) {
      throw foreign_table(attempts_, f);
    }
    note = fmt::format("upgraded from format {}", found);
  }
  if (found < 2) create_statements();
  if (found < 3) create_calibration();
  // An `init` row records when, by which release and to which format the table was brought.
  Attempt init;
  init.direction = Direction::kInit;
  init.name = note;
  init.started_at = utc_timestamp();
  init.finished_at = init.started_at;
  init.success = true;
  init.installed_by = backend_.installed_by();
  init.tool_version = kLibraryVersion;
  try {
    insert(init);
  } catch (const Failure& f) {
    throw foreign_table(attempts_, f);
  }
  format_ = kHistoryFormatVersion;
  return found;
}

std::vector<Attempt> HistoryStore::read_attempts() {
  const int found = format();
  if (found == 0) return {};
  if (found > kHistoryFormatVersion) {
    fail(ErrorCode::kHistoryIncompatible,
         fmt::format("history table {} has format {}, newer than this libmigrate reads ({})",
                     attempts_, found, kHistoryFormatVersion),
         "upgrade migrate to the version that wrote the history");
  }
  std::string select = "id";
  for (const auto& c : kAttemptColumns)
    select += ", " + (c.since_format <= format_ ? result_expression(dialect_, c) : "NULL");
  std::vector<SqlRow> rows;
  try {
    rows = backend_.query(fmt::format("SELECT {} FROM {} ORDER BY id", select, attempts_));
  } catch (const Failure& f) {
    throw foreign_table(attempts_, f);
  }
  std::vector<Attempt> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    require_values(r);
    out.push_back(attempt_from(r));
  }
  return out;
}

// libmigrate writes every NOT NULL column; a NULL there means a table of the same shape that
// libmigrate did not write, or a hand edit, and reading on would guess at the history.
void HistoryStore::require_values(const SqlRow& row) const {
  auto refuse = [&](const char* column) {
    fail(ErrorCode::kHistoryIncompatible,
         fmt::format("history table {} has NULL in column {} of the row with id {}: it is not a "
                     "table libmigrate wrote, or the row was edited by hand",
                     attempts_, column, row[0] ? *row[0] : std::string("NULL")),
         "if the table is not libmigrate's history, choose another name with --history-table; if "
         "the row was edited by hand, set the column (docs/operations.md, \"Inspecting and "
         "repairing the history by hand\")");
  };
  if (!row[0]) refuse("id");
  for (std::size_t k = 0; k < kAttemptColumns.size(); ++k) {
    const Column& c = kAttemptColumns[k];
    if (!c.nullable && c.since_format <= format_ && !row[k + 1]) refuse(c.name);
  }
}

std::vector<std::string> HistoryStore::other_history_tables() {
  // Tables with the columns only a libmigrate attempt table has, under any name.
  std::vector<SqlRow> rows;
  if (dialect_ == Dialect::kSqlite) {
    rows = backend_.query(
        "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND m.name <> ?1 AND "
        "(SELECT count(*) FROM pragma_table_info(m.name) p WHERE p.name IN ('history_format', "
        "'run_id', 'version', 'direction', 'checksum', 'tool_version', 'installed_by')) = 7 "
        "ORDER BY m.name",
        {name_.table});
  } else {
    rows = backend_.query(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_catalog.pg_class "
        "c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN pg_catalog.pg_attribute "
        "a ON a.attrelid = c.oid WHERE c.relkind = 'r' AND NOT a.attisdropped AND a.attname IN "
        "('history_format', 'run_id', 'version', 'direction', 'checksum', 'tool_version', "
        "'installed_by') AND NOT (n.nspname = $1 AND c.relname = $2) AND n.nspname NOT IN "
        "('pg_catalog', 'information_schema') GROUP BY n.nspname, c.relname HAVING count(*) = 7 "
        "ORDER BY 1",
        {name_.schema, name_.table});
  }
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(to_text(r.at(0)));
  return out;
}

std::int64_t HistoryStore::last_id() {
  return to_int(
      backend_.query(fmt::format("SELECT coalesce(max(id), 0) FROM {}", attempts_))[0][0]);
}

void HistoryStore::insert_statement_rows(std::int64_t attempt_id,
                                         const std::vector<StatementRecord>& rows,
                                         std::size_t from) {
  std::string names;
  for (const auto& c : kStatementColumns)
    names += (names.empty() ? "" : ", ") + std::string(c.name);
  while (from < rows.size()) {
    const std::size_t end = std::min(rows.size(), from + kStatementRowsPerInsert);
    std::string values;
    std::vector<SqlValue> params;
    params.reserve((end - from) * kStatementColumns.size());
    for (std::size_t i = from; i < end; ++i) {
      values += i == from ? "(" : ", (";
      auto v = statement_values(attempt_id, rows[i]);
      for (std::size_t k = 0; k < v.size(); ++k) {
        params.push_back(std::move(v[k]));
        values += (k ? ", " : "") + placeholder(static_cast<int>(params.size()));
        if (dialect_ == Dialect::kPostgres)
          values += fmt::format("::{}", type_name(dialect_, kStatementColumns[k].kind));
      }
      values += ")";
    }
    backend_.query(fmt::format("INSERT INTO {} ({}) VALUES {}", statements_, names, values),
                   params);
    from = end;
  }
}

std::int64_t HistoryStore::insert(const Attempt& attempt,
                                  const std::vector<StatementRecord>& statements) {
  std::string names, values;
  std::vector<SqlValue> params = attempt_values(attempt);
  for (std::size_t k = 0; k < kAttemptColumns.size(); ++k) {
    names += (k ? ", " : "") + std::string(kAttemptColumns[k].name);
    values += (k ? ", " : "") + placeholder(static_cast<int>(k) + 1);
    if (dialect_ == Dialect::kPostgres)
      values += fmt::format("::{}", type_name(dialect_, kAttemptColumns[k].kind));
  }
  std::string insert =
      fmt::format("INSERT INTO {} ({}) VALUES ({}) RETURNING id", attempts_, names, values);
  if (dialect_ == Dialect::kPostgres && !statements.empty()) {
    // One round trip: the attempt and its first statement records, through a data-modifying CTE.
    std::string stmt_names, stmt_values;
    const std::size_t n = std::min(statements.size(), kStatementRowsPerInsert);
    for (const auto& c : kStatementColumns)
      stmt_names += (stmt_names.empty() ? "" : ", ") + std::string(c.name);
    for (std::size_t i = 0; i < n; ++i) {
      auto v = statement_values(0, statements[i]);
      stmt_values += i ? ", (" : "(";
      for (std::size_t k = 1; k < v.size(); ++k) {  // attempt_id comes from the CTE
        params.push_back(std::move(v[k]));
        stmt_values += fmt::format("{}${}::{}", k > 1 ? ", " : "", params.size(),
                                   type_name(dialect_, kStatementColumns[k].kind));
      }
      stmt_values += ")";
    }
    std::string rest_names = stmt_names.substr(stmt_names.find(',') + 2);
    auto rows = backend_.query(
        fmt::format("WITH a AS ({}), s AS (INSERT INTO {} ({}) SELECT a.id, v.* FROM a, (VALUES "
                    "{}) AS v({}) RETURNING 1) SELECT id FROM a",
                    insert, statements_, stmt_names, stmt_values, rest_names),
        params);
    std::int64_t id = to_int(rows.at(0).at(0));
    insert_statement_rows(id, statements, n);
    return id;
  }
  std::int64_t id = to_int(backend_.query(insert, params).at(0).at(0));
  insert_statement_rows(id, statements, 0);
  return id;
}

void HistoryStore::update(const Attempt& attempt, const std::vector<StatementRecord>& statements) {
  auto all = attempt_values(attempt);
  std::vector<SqlValue> params;
  std::string sets;
  for (const char* name : kAttemptOutcomeColumns) {
    auto it = std::find_if(kAttemptColumns.begin(), kAttemptColumns.end(),
                           [&](const Column& c) { return std::string_view(c.name) == name; });
    if (it->since_format > format_ && format_ > 0) continue;
    params.push_back(all[static_cast<std::size_t>(it - kAttemptColumns.begin())]);
    sets += fmt::format("{}{} = {}", sets.empty() ? "" : ", ", name,
                        placeholder(static_cast<int>(params.size())));
    if (dialect_ == Dialect::kPostgres) sets += fmt::format("::{}", type_name(dialect_, it->kind));
  }
  params.push_back(number(attempt.id));
  backend_.query(fmt::format("UPDATE {} SET {} WHERE id = {}{}", attempts_, sets,
                             placeholder(static_cast<int>(params.size())),
                             dialect_ == Dialect::kPostgres ? "::bigint" : ""),
                 params);
  insert_statement_rows(attempt.id, statements, 0);
}

std::string HistoryStore::statement_select() {
  std::string select;
  for (const auto& c : kStatementColumns)
    select += (select.empty() ? "" : ", ") +
              (c.since_format <= format_ ? result_expression(dialect_, c) : "NULL");
  return select;
}

std::vector<StatementRecord> HistoryStore::read_statements(std::int64_t attempt_id) {
  if (format_ < 0) format();
  if (format_ < 2) return {};
  auto rows = backend_.query(
      fmt::format("SELECT {} FROM {} WHERE attempt_id = {}{} ORDER BY statement_index",
                  statement_select(), statements_, placeholder(1),
                  dialect_ == Dialect::kPostgres ? "::bigint" : ""),
      {number(attempt_id)});
  std::vector<StatementRecord> out;
  for (const auto& r : rows) out.push_back(to_statement_record(r));
  return out;
}

std::vector<StatementRecord> HistoryStore::read_all_statements() {
  if (format_ < 0) format();
  if (format_ < 2) return {};
  std::vector<StatementRecord> out;
  for (const auto& r :
       backend_.query(fmt::format("SELECT {} FROM {} ORDER BY attempt_id, statement_index",
                                  statement_select(), statements_)))
    out.push_back(to_statement_record(r));
  return out;
}

std::vector<StatementRecord> HistoryStore::read_estimate_samples(std::size_t limit) {
  if (format_ < 0) format();
  if (format_ < 3) return {};
  std::vector<StatementRecord> out;
  for (const auto& r : backend_.query(
           fmt::format("SELECT {} FROM {} WHERE work <> '' AND scale > 0 ORDER BY attempt_id DESC, "
                       "statement_index DESC LIMIT {}",
                       statement_select(), statements_, limit)))
    out.push_back(to_statement_record(r));
  return out;
}

std::optional<Calibration> HistoryStore::read_calibration() {
  if (format_ < 0) format();
  if (format_ < 3) return std::nullopt;
  std::string select;
  for (const auto& c : kCalibrationColumns)
    select += (select.empty() ? "" : ", ") + result_expression(dialect_, c);
  // The newest measurement of each operation.
  auto rows = backend_.query(fmt::format(
      "SELECT {} FROM {} c WHERE NOT EXISTS (SELECT 1 FROM {} n WHERE n.operation = c.operation "
      "AND n.measured_at > c.measured_at) ORDER BY operation",
      select, calibration_, calibration_));
  if (rows.empty()) return std::nullopt;
  Calibration out;
  for (const auto& r : rows) {
    out.measured_at = std::max(out.measured_at, to_text(r[0]));
    out.server = to_text(r[6]);
    out.rates.push_back({to_text(r[1]), to_text(r[2]), static_cast<double>(to_int(r[3])),
                         static_cast<double>(to_int(r[4])) / 1000.0,
                         static_cast<double>(to_int(r[5])) / 1000.0});
  }
  return out;
}

void HistoryStore::write_calibration(const Calibration& calibration) {
  std::string names, values;
  std::vector<SqlValue> params;
  for (const auto& c : kCalibrationColumns)
    names += (names.empty() ? "" : ", ") + std::string(c.name);
  for (const auto& r : calibration.rates) {
    const std::vector<SqlValue> row{
        text(calibration.measured_at),
        text(r.operation),
        text(r.unit),
        number(static_cast<std::int64_t>(std::llround(r.units))),
        number(static_cast<std::int64_t>(std::llround(r.elapsed_ms * 1000))),
        number(static_cast<std::int64_t>(std::llround(r.fixed_ms * 1000))),
        text(calibration.server),
        text(std::string(kLibraryVersion))};
    values += values.empty() ? "(" : ", (";
    for (std::size_t k = 0; k < row.size(); ++k) {
      params.push_back(row[k]);
      values += (k ? ", " : "") + placeholder(static_cast<int>(params.size()));
      if (dialect_ == Dialect::kPostgres)
        values += fmt::format("::{}", type_name(dialect_, kCalibrationColumns[k].kind));
    }
    values += ")";
  }
  if (params.empty()) return;
  backend_.query(fmt::format("INSERT INTO {} ({}) VALUES {}", calibration_, names, values), params);
}

}  // namespace migrate
