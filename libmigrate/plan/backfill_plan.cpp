#include "libmigrate/plan/backfill_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "libmigrate/backend/postgres/postgres_column.hpp"
#include "libmigrate/error/failure.hpp"
#include "libmigrate/sql/batch_placeholders.hpp"
#include "libmigrate/sql/postgres_batch_rewrite.hpp"
#include "migrate/source.hpp"

namespace migrate {
namespace {

SourceLocation where_of(const PlannedStep& step, const PlannedStatement& s) {
  return {step.file.string(), step.version, s.index, s.line, s.column};
}

[[noreturn]] void no_key(const PlannedStep& step, const PlannedStatement& s,
                         const std::string& table, const std::string& why, const std::string& fix) {
  fail(ErrorCode::kBackfillNoKey,
       fmt::format("version {}: the backfill of table {} (statement {}) cannot be batched: {}; "
                   "nothing was run",
                   step.version, table, s.index, why),
       fix, where_of(step, s));
}

bool is_integer_type(std::string type) {
  for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type == "smallint" || type == "integer" || type == "bigint" ||
         type.find("int") != std::string::npos;
}

// `key=` as given: "column" or "table.column".
std::pair<std::string, std::string> split_key(const std::string& key) {
  const auto dot = key.find('.');
  if (dot == std::string::npos) return {"", key};
  return {key.substr(0, dot), key.substr(dot + 1)};
}

bool pg_table_exists(Backend& backend, const std::string& table) {
  auto rows = backend.query("SELECT to_regclass($1) IS NOT NULL", {table});
  return !rows.empty() && rows[0][0].value_or("f") == "t";
}

std::optional<double> pg_rows(Backend& backend, const std::string& table) {
  // reltuples is -1 until the table is first analyzed (PostgreSQL 14+): no estimate then.
  auto rows = backend.query(
      "SELECT CASE WHEN reltuples >= 0 THEN reltuples::float8 END FROM pg_class WHERE oid = "
      "to_regclass($1)",
      {table});
  if (rows.empty() || !rows[0][0]) return std::nullopt;
  return std::stod(*rows[0][0]);
}

// The key the walk goes by: the `key=` column (unique, NOT NULL) or the primary key.
PgBatchKey pg_key(Backend& backend, const PlannedStep& step, const PlannedStatement& s,
                  const std::string& table, const std::string& key_column) {
  PgBatchKey key;
  if (!key_column.empty()) {
    auto c = postgres_column(backend, table, key_column);
    if (!c)
      no_key(step, s, table, fmt::format("it has no column {}", key_column),
             "name an existing column in `-- migrate:backfill key=<column>`");
    if (!c->unique || !c->not_null)
      no_key(
          step, s, table,
          fmt::format("its column {} is {}", key_column,
                      !c->unique ? "not unique (no valid unique index on it alone)" : "nullable"),
          fmt::format("walk the primary key (drop key=), or make {} unique and NOT NULL first "
                      "(CREATE UNIQUE INDEX CONCURRENTLY, then a NOT NULL constraint)",
                      key_column));
    key.columns.push_back(key_column);
    key.types.push_back(c->type);
    return key;
  }
  auto rows = backend.query(
      "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_index i CROSS JOIN LATERAL "
      "unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n) JOIN pg_attribute a ON a.attrelid "
      "= i.indrelid AND a.attnum = k.attnum WHERE i.indrelid = to_regclass($1) AND i.indisprimary "
      "ORDER BY k.n",
      {table});
  if (rows.empty())
    no_key(step, s, table, "it has no primary key",
           "add one, or name a unique NOT NULL column with `-- migrate:backfill key=<column>`");
  for (const auto& r : rows) {
    key.columns.push_back(r[0].value_or(""));
    key.types.push_back(r[1].value_or(""));
  }
  return key;
}

bool resolve_postgres(const PlannedStep& step, PlannedStatement& s, Backend& backend,
                      bool table_must_exist, const std::string& key_option) {
  PlannedBackfill& b = *s.backfill;
  auto [key_table, key_column] = split_key(key_option);
  PgRelationName table;
  if (b.form == BackfillForm::kAutomatic) {
    table = *pg_batch_target(s.sql);
  } else if (!key_table.empty()) {
    table.name = key_table;
  } else if (auto found = pg_placeholder_key(s.sql)) {
    table = found->table;
    if (key_column.empty()) key_column = found->column;
  } else {
    fail(ErrorCode::kSourceInvalid,
         fmt::format("version {}: statement {} names :batch_start, but which table and column it "
                     "bounds cannot be told from the statement",
                     step.version, s.index),
         "name them: `-- migrate:backfill key=<table>.<column>` (docs/backfills.md)",
         where_of(step, s));
  }
  PgRelationName plain = table;
  plain.alias.clear();
  const std::string table_sql = plain.sql();
  if (!pg_table_exists(backend, table_sql)) {
    if (!table_must_exist) return false;
    no_key(step, s, table_sql, "the table does not exist",
           "create it in an earlier migration, or check the name");
  }
  PgBatchKey key = pg_key(backend, step, s, table_sql, key_column);
  if (b.form == BackfillForm::kExplicit) {
    if (key.columns.size() != 1 || !is_integer_type(key.types[0]))
      no_key(step, s, table_sql,
             fmt::format("the explicit form walks one integer column, and {} is {}",
                         fmt::join(key.columns, ", "), fmt::join(key.types, ", ")),
             "name an integer unique NOT NULL column with key=<table>.<column>, or write a plain "
             "UPDATE/DELETE and let the engine batch it (automatic form)");
    b.batch_sql = with_postgres_batch_parameters(s.sql);
  } else {
    PgBatchedStatement rewritten = pg_add_batch_range(s.sql, table, key);
    b.batch_sql = std::move(rewritten.bounded);
    b.first_batch_sql = std::move(rewritten.through);
    b.last_batch_sql = std::move(rewritten.from);
  }
  b.table = table_sql;
  b.key = std::move(key.columns);
  b.key_types = std::move(key.types);
  b.rows_estimated = pg_rows(backend, table_sql);
  return true;
}

// The identifier compared with the first :batch_start (`o.id > :batch_start`), read backwards
// from the placeholder: [qualifier, column], or empty when the text does not have that shape.
std::vector<std::string> sqlite_compared_column(const std::string& sql) {
  auto found = find_batch_placeholders(sql, Dialect::kSqlite);
  std::size_t at = std::string::npos;
  for (const auto& p : found)
    if (p.start) at = p.offset;
  if (at == std::string::npos) return {};
  std::size_t i = at;
  auto skip_space = [&] {
    while (i > 0 && std::isspace(static_cast<unsigned char>(sql[i - 1]))) --i;
  };
  skip_space();
  if (i > 0 && sql[i - 1] == '=') --i;
  if (i == 0 || sql[i - 1] != '>') return {};
  --i;
  skip_space();
  std::vector<std::string> parts;
  while (i > 0) {
    std::size_t end = i;
    if (sql[i - 1] == '"') {
      --i;
      while (i > 0 && sql[i - 1] != '"') --i;
      if (i == 0) return {};
      parts.insert(parts.begin(), sql.substr(i, end - 1 - i));
      --i;
    } else {
      while (i > 0 && (std::isalnum(static_cast<unsigned char>(sql[i - 1])) || sql[i - 1] == '_'))
        --i;
      if (i == end) return {};
      parts.insert(parts.begin(), sql.substr(i, end - i));
    }
    if (i > 0 && sql[i - 1] == '.') {
      --i;
      continue;
    }
    break;
  }
  return parts;
}

std::string ascii_lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The names, keywords and punctuation of `sql` in text order, lowercased, without strings,
// comments and spaces: enough to read `FROM t AS o` back. A quoted name ("t", `t`, [t]) is one
// token, without its quotes.
std::vector<std::string> sqlite_tokens(const std::string& sql) {
  std::vector<std::string> out;
  std::size_t i = 0;
  auto word_byte = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '_' || c == '$' || u >= 0x80;
  };
  while (i < sql.size()) {
    const char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const auto nl = sql.find('\n', i);
      i = nl == std::string::npos ? sql.size() : nl + 1;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const auto end = sql.find("*/", i + 2);
      i = end == std::string::npos ? sql.size() : end + 2;
    } else if (c == '\'' || c == '"' || c == '`' || c == '[') {
      const char close = c == '[' ? ']' : c;
      std::string text;
      std::size_t j = i + 1;
      for (; j < sql.size(); ++j) {
        if (sql[j] != close) {
          text += sql[j];
        } else if (close != ']' && j + 1 < sql.size() && sql[j + 1] == close) {
          text += close;  // a doubled quote stands for itself
          ++j;
        } else {
          break;
        }
      }
      if (c != '\'') out.push_back(ascii_lower(text));
      i = j + 1;
    } else if (word_byte(c)) {
      std::size_t j = i;
      while (j < sql.size() && word_byte(sql[j])) ++j;
      out.push_back(ascii_lower(sql.substr(i, j - i)));
      i = j;
    } else {
      out.emplace_back(1, c);
      ++i;
    }
  }
  return out;
}

// The relation `alias` stands for in `sql`: the one named right before it where a table is
// named (`FROM t o`, `JOIN main.t AS o`, `UPDATE t AS o`, `INTO t AS o`, `, t o`); empty when
// no relation or more than one is. SQLite prepares the statement but does not say which table an
// alias is, so the text is read; the catalog then checks the column on the table found.
std::string sqlite_aliased_relation(const std::string& sql,
                                    const std::vector<std::string>& relations,
                                    const std::string& alias) {
  const std::vector<std::string> t = sqlite_tokens(sql);
  const std::string a = ascii_lower(alias);
  std::string found;
  for (const auto& relation : relations) {
    const std::string r = ascii_lower(relation);
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (t[i] != r) continue;
      std::size_t before = i;
      if (before >= 2 && t[before - 1] == ".") before -= 2;  // schema.table
      if (before == 0) continue;
      const std::string& keyword = t[before - 1];
      if (keyword != "from" && keyword != "join" && keyword != "update" && keyword != "into" &&
          keyword != ",")
        continue;
      std::size_t next = i + 1;
      if (next < t.size() && t[next] == "as") ++next;
      if (next >= t.size() || t[next] != a) continue;
      if (!found.empty() && found != relation) return {};
      found = relation;
    }
  }
  return found;
}

struct SqliteColumn {
  std::string type;
  bool not_null = false;
  bool unique = false;
};

std::optional<SqliteColumn> sqlite_column(Backend& backend, const std::string& table,
                                          const std::string& column) {
  if (column == "rowid" || column == "_rowid_" || column == "oid") {
    auto rows = backend.query(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1 AND sql NOT LIKE "
        "'%WITHOUT ROWID%'",
        {table});
    if (rows.empty() || rows[0][0].value_or("0") == "0") return std::nullopt;
    return SqliteColumn{"INTEGER", true, true};
  }
  auto rows = backend.query(
      "SELECT c.type, c.\"notnull\", c.pk, (SELECT count(*) FROM pragma_table_info(?1) WHERE pk > "
      "0) FROM pragma_table_info(?1) c WHERE c.name = ?2",
      {table, column});
  if (rows.empty()) return std::nullopt;
  SqliteColumn c{rows[0][0].value_or(""), rows[0][1].value_or("0") != "0", false};
  const bool sole_pk = rows[0][2].value_or("0") == "1" && rows[0][3].value_or("0") == "1";
  std::string upper = c.type;
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  // INTEGER PRIMARY KEY is the rowid: unique and never NULL.
  if (sole_pk && upper == "INTEGER") return SqliteColumn{c.type, true, true};
  auto unique = backend.query(
      "SELECT count(*) FROM pragma_index_list(?1) l WHERE l.\"unique\" AND l.partial = 0 AND "
      "(SELECT count(*) FROM pragma_index_info(l.name)) = 1 AND (SELECT name FROM "
      "pragma_index_info(l.name)) = ?2",
      {table, column});
  c.unique = !unique.empty() && unique[0][0].value_or("0") != "0";
  if (sole_pk) c.unique = true;
  return c;
}

bool resolve_sqlite(const PlannedStep& step, PlannedStatement& s, Backend& backend,
                    bool table_must_exist, const std::string& key_option) {
  PlannedBackfill& b = *s.backfill;
  auto [table, column] = split_key(key_option);
  // A table made earlier in the same migration was unknown when the plan described the
  // statement; once the step runs, SQLite can say what it touches.
  std::vector<std::string> relations = s.relations;
  if (relations.empty())
    relations = backend.describe(SqlStatement{s.index, 0, s.line, s.column, s.sql}).relations;
  std::vector<std::string> written = sqlite_compared_column(s.sql);
  if (column.empty() && !written.empty()) column = written.back();
  if (table.empty() && written.size() == 2) {
    for (const auto& r : relations)
      if (ascii_lower(r) == ascii_lower(written[0])) table = r;
    if (table.empty()) table = sqlite_aliased_relation(s.sql, relations, written[0]);
  }
  if (column.empty()) {
    fail(ErrorCode::kSourceInvalid,
         fmt::format("version {}: statement {} names :batch_start, but which column it bounds "
                     "cannot be told from the statement",
                     step.version, s.index),
         "write `<column> > :batch_start`, or name it: `-- migrate:backfill "
         "key=<table>.<column>` (docs/backfills.md)",
         where_of(step, s));
  }
  if (table.empty()) {
    // The one table the statement touches that has that column.
    std::vector<std::string> candidates;
    for (const auto& r : relations)
      if (sqlite_column(backend, r, column)) candidates.push_back(r);
    if (candidates.size() != 1) {
      if (relations.empty() && !table_must_exist) return false;
      fail(
          ErrorCode::kSourceInvalid,
          fmt::format("version {}: statement {} bounds its batches by {}, which {} of the tables "
                      "it reads has",
                      step.version, s.index, column, candidates.empty() ? "none" : "more than one"),
          "name the table: `-- migrate:backfill key=<table>.<column>` (docs/backfills.md)",
          where_of(step, s));
    }
    table = candidates.front();
  }
  auto exists = backend.query(
      "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1", {table});
  if (exists.empty() || exists[0][0].value_or("0") == "0") {
    if (!table_must_exist) return false;
    no_key(step, s, table, "the table does not exist",
           "create it in an earlier migration, or check the name in key=");
  }
  auto c = sqlite_column(backend, table, column);
  if (!c)
    no_key(step, s, table, fmt::format("it has no column {}", column),
           "name an existing column in `-- migrate:backfill key=<table>.<column>`");
  if (!c->unique || !c->not_null)
    no_key(step, s, table,
           fmt::format("its column {} is {}", column,
                       !c->unique ? "not unique (no unique index on it alone)" : "nullable"),
           "bound the batches by the INTEGER PRIMARY KEY (or rowid), or by a unique NOT NULL "
           "integer column");
  if (!is_integer_type(c->type))
    no_key(step, s, table,
           fmt::format("its column {} is {}, and batches walk an integer key", column,
                       c->type.empty() ? "untyped" : c->type),
           "bound the batches by the INTEGER PRIMARY KEY or rowid");
  b.table = backend.quote_identifier(table);
  b.key = {column};
  b.key_types.clear();
  b.batch_sql = s.sql;
  auto count = backend.query("SELECT count(*) FROM " + b.table);
  if (!count.empty() && count[0][0]) b.rows_estimated = std::stod(*count[0][0]);
  return true;
}

}  // namespace

const char* to_string(BackfillForm f) noexcept {
  return f == BackfillForm::kAutomatic ? "automatic" : "explicit";
}

bool resolve_backfill(const PlannedStep& step, PlannedStatement& s, Backend& backend,
                      bool table_must_exist) {
  if (!s.backfill) return true;
  const std::string& key_option = s.backfill->key_option;
  const bool resolved = backend.dialect() == Dialect::kPostgres
                            ? resolve_postgres(step, s, backend, table_must_exist, key_option)
                            : resolve_sqlite(step, s, backend, table_must_exist, key_option);
  if (resolved && s.backfill->rows_estimated)
    s.backfill->expected_batches = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(std::ceil(*s.backfill->rows_estimated /
                                               static_cast<double>(s.backfill->batch_size))));
  return resolved;
}

void plan_backfills(Plan& plan, Backend& backend) {
  for (auto& step : plan.steps)
    for (auto& s : step.statements)
      if (s.backfill && s.backfill->table.empty()) resolve_backfill(step, s, backend, false);
}

}  // namespace migrate
