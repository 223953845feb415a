// A backfill statement on PostgreSQL, read and rewritten through PostgreSQL's own parse tree
// (libpg_query's protobuf output and deparser), never by splicing text into the user's SQL.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace migrate {

// A table as a statement names it.
struct PgRelationName {
  std::string schema;  // empty when unqualified (the search_path decides)
  std::string name;
  std::string alias;  // empty when none
  // The relation as SQL: "schema"."name", quoted.
  std::string sql() const;
};

// The table a single plain `UPDATE ... [WHERE ...]` or `DELETE ... [WHERE ...]` changes; nullopt
// for any other statement. Throws kSourceInvalid when it does not parse.
std::optional<PgRelationName> pg_batch_target(const std::string& statement_sql);

// What the walk goes by: the key's columns in order, with their SQL types (format_type).
struct PgBatchKey {
  std::vector<std::string> columns;
  std::vector<std::string> types;
};

// The statement with the batch's key range added to its WHERE (ANDed with the condition written,
// so an OR inside it stays inside), as deparsed SQL with parameters:
//   bounded:     key > ($1..$n) AND key <= ($n+1..$2n)
//   from:        key > ($1..$n)          (the last batch: everything after the previous one)
//   through:     key <= ($1..$n)         (the first batch)
// A composite key compares as a row, in the key's order, which its btree index serves.
struct PgBatchedStatement {
  std::string bounded;
  std::string from;
  std::string through;
};
PgBatchedStatement pg_add_batch_range(const std::string& statement_sql,
                                      const PgRelationName& target, const PgBatchKey& key);

// The explicit form: the column the statement compares with `:batch_start` ($1) and the table it
// belongs to, read from the tree (an alias resolved to its table; an unqualified column belongs
// to the only table the statement reads, not counting an INSERT's target). nullopt when the tree
// does not tell.
struct PgPlaceholderKey {
  PgRelationName table;
  std::string column;
};
std::optional<PgPlaceholderKey> pg_placeholder_key(const std::string& statement_sql);

}  // namespace migrate
