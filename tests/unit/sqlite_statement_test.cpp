// describe_sqlite_statement: the relations SQLite's authorizer reports while it prepares one
// statement on a live connection, which is never changed by it.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "libmigrate/sql/sqlite_statement.hpp"

namespace migrate {
namespace {

using Names = std::vector<std::string>;

class DescribeSqlite : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
    exec(
        "CREATE TABLE Users (id INTEGER PRIMARY KEY, email TEXT);"
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER, total INTEGER);"
        "CREATE TABLE audit (what TEXT);"
        "CREATE TRIGGER orders_audit AFTER INSERT ON orders BEGIN "
        "  INSERT INTO audit VALUES ('order'); END;"
        "CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;"
        "CREATE INDEX orders_user ON orders (user_id);");
  }
  void TearDown() override { sqlite3_close(db); }

  void exec(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
  }
  std::string one(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW)
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return out;
  }

  sqlite3* db = nullptr;
};

TEST_F(DescribeSqlite, DmlNamesWhatItWritesAndReads) {
  auto insert = describe_sqlite_statement(db, "INSERT INTO orders (user_id) VALUES (1);");
  EXPECT_TRUE(insert.prepared);
  // The trigger's write to audit is not the statement's own.
  EXPECT_EQ(insert.relations, Names{"orders"});
  EXPECT_EQ(insert.written, Names{"orders"});
  EXPECT_TRUE(insert.read.empty());

  auto copy = describe_sqlite_statement(
      db, "INSERT INTO audit SELECT email FROM users WHERE id IN (SELECT user_id FROM orders);");
  EXPECT_EQ(copy.relations, (Names{"audit", "Users", "orders"}));  // Users as the schema spells it
  EXPECT_EQ(copy.written, Names{"audit"});
  EXPECT_EQ(copy.read, (Names{"Users", "orders"}));

  auto update = describe_sqlite_statement(db, "UPDATE orders SET total = 0 WHERE user_id = 2");
  EXPECT_EQ(update.relations, Names{"orders"});
  EXPECT_EQ(update.written, Names{"orders"});
  EXPECT_EQ(update.read, Names{"orders"});

  EXPECT_EQ(describe_sqlite_statement(db, "DELETE FROM audit;").written, Names{"audit"});
  // A view is named itself; the tables it reads are its business, as a trigger's writes are.
  auto view = describe_sqlite_statement(db, "SELECT * FROM big_orders;");
  EXPECT_EQ(view.relations, Names{"big_orders"});
  EXPECT_EQ(view.read, Names{"big_orders"});
  // What a WITH query reads is the statement's own.
  auto with = describe_sqlite_statement(
      db, "WITH x AS (SELECT total FROM orders) INSERT INTO audit SELECT total FROM x;");
  EXPECT_EQ(with.relations, (Names{"audit", "orders"}));
  EXPECT_EQ(with.read, Names{"orders"});
}

TEST_F(DescribeSqlite, DdlNamesTheTableItChanges) {
  auto add = describe_sqlite_statement(db, "ALTER TABLE orders ADD COLUMN note TEXT;");
  EXPECT_TRUE(add.prepared);
  EXPECT_EQ(add.relations, Names{"orders"});
  EXPECT_EQ(add.altered, Names{"orders"});

  // SQLite compiles an "is the table empty?" probe for a NOT NULL column without a default.
  auto required = describe_sqlite_statement(db, "ALTER TABLE orders ADD COLUMN n TEXT NOT NULL;");
  EXPECT_EQ(required.relations, Names{"orders"});
  EXPECT_EQ(required.read, Names{"orders"});

  auto index = describe_sqlite_statement(db, "CREATE INDEX orders_total ON orders (total);");
  EXPECT_EQ(index.altered, Names{"orders"});
  EXPECT_EQ(describe_sqlite_statement(db, "DROP INDEX orders_user;").altered, Names{"orders"});
  EXPECT_EQ(describe_sqlite_statement(db, "DROP TRIGGER orders_audit;").altered, Names{"orders"});
  EXPECT_EQ(describe_sqlite_statement(db, "DROP TABLE audit;").altered, Names{"audit"});
  EXPECT_EQ(describe_sqlite_statement(db, "ALTER TABLE users RENAME TO people;").altered,
            Names{"Users"});
  EXPECT_EQ(describe_sqlite_statement(db, "CREATE TABLE fresh (id INTEGER);").relations,
            Names{"fresh"});
  EXPECT_EQ(describe_sqlite_statement(db, "CREATE TEMP TABLE scratch (id INTEGER);").relations,
            Names{"temp.scratch"});
  // Nothing was run.
  EXPECT_EQ(one("SELECT count(*) FROM sqlite_master WHERE name IN ('fresh', 'orders_total')"), "0");
  EXPECT_EQ(one("SELECT count(*) FROM pragma_table_info('orders') WHERE name = 'note'"), "0");
}

TEST_F(DescribeSqlite, AStatementSqliteRefusesGivesWhatWasSeenAndNeverThrows) {
  auto missing = describe_sqlite_statement(db, "INSERT INTO not_yet (x) VALUES (1);");
  EXPECT_FALSE(missing.prepared);
  EXPECT_TRUE(missing.relations.empty());

  // The authorizer saw the INSERT before SQLite found that the column does not exist.
  auto half = describe_sqlite_statement(db, "INSERT INTO audit SELECT nope FROM orders;");
  EXPECT_FALSE(half.prepared);
  EXPECT_EQ(half.relations, Names{"audit"});

  EXPECT_FALSE(describe_sqlite_statement(db, "SELEC 1;").prepared);
  EXPECT_FALSE(describe_sqlite_statement(db, "-- only a comment").prepared);
  EXPECT_TRUE(describe_sqlite_statement(nullptr, "SELECT 1;").relations.empty());
}

TEST_F(DescribeSqlite, PragmasAreNeverCompiledSoTheConnectionKeepsItsSettings) {
  EXPECT_EQ(one("PRAGMA foreign_keys"), "0");
  auto pragma = describe_sqlite_statement(db, "PRAGMA foreign_keys = ON;");
  EXPECT_FALSE(pragma.prepared);
  EXPECT_TRUE(pragma.relations.empty());
  EXPECT_EQ(one("PRAGMA foreign_keys"), "0");
  // And no authorizer is left behind: PRAGMAs and everything else prepare as before.
  EXPECT_EQ(one("PRAGMA user_version"), "0");
}

TEST_F(DescribeSqlite, OnlyTheFirstStatementIsDescribed) {
  auto info = describe_sqlite_statement(db, "DELETE FROM audit; DELETE FROM orders;");
  EXPECT_EQ(info.relations, Names{"audit"});
}

std::string schema_object_count(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &stmt, nullptr);
  std::string out;
  if (sqlite3_step(stmt) == SQLITE_ROW)
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  return out;
}

// check_sqlite_syntax: only SQLite's parser messages are syntax errors; a name the empty scratch
// schema lacks is not one.
class CheckSqliteSyntax : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK); }
  void TearDown() override { sqlite3_close(db); }
  sqlite3* db = nullptr;
};

TEST_F(CheckSqliteSyntax, ParserErrorsAreSyntaxErrorsWithTheTokensOffset) {
  SqliteSyntax s = check_sqlite_syntax(db, "INSERT INTO t (a) VALUES (1),;");
  EXPECT_EQ(s.syntax_error, "near \";\": syntax error");
  EXPECT_EQ(s.error_offset, 29);
  EXPECT_EQ(check_sqlite_syntax(db, "ALTER TABLE t ALTER COLUMN a TYPE int;").syntax_error,
            "near \"ALTER\": syntax error");
  EXPECT_EQ(check_sqlite_syntax(db, "SELECT * FROM t WHERE").syntax_error, "incomplete input");
  EXPECT_TRUE(
      check_sqlite_syntax(db, "SELECT `a FROM t;").syntax_error.starts_with("unrecognized token:"));
}

TEST_F(CheckSqliteSyntax, MissingTablesAndColumnsAreNotSyntaxErrors) {
  for (const char* sql : {"INSERT INTO t (a) VALUES (1);", "ALTER TABLE t ADD COLUMN b TEXT;",
                          "UPDATE t SET a = 1 WHERE b = 2;", "DROP TABLE t;",
                          "CREATE INDEX i ON t (a);", "SELECT no_such_function(1);",
                          "PRAGMA journal_mode = WAL;", "CREATE TABLE t (a INTEGER);"}) {
    SqliteSyntax s = check_sqlite_syntax(db, sql);
    EXPECT_EQ(s.syntax_error, "") << sql;
    EXPECT_EQ(s.transaction_control, "") << sql;
  }
  // Compiled, never run: the scratch schema stays empty.
  EXPECT_EQ(schema_object_count(db), "0");
}

TEST_F(CheckSqliteSyntax, TransactionControlIsNamedAsSqliteSeesIt) {
  EXPECT_EQ(check_sqlite_syntax(db, "BEGIN;").transaction_control, "BEGIN");
  EXPECT_EQ(check_sqlite_syntax(db, "BEGIN IMMEDIATE TRANSACTION;").transaction_control, "BEGIN");
  EXPECT_EQ(check_sqlite_syntax(db, "END;").transaction_control, "COMMIT");
  EXPECT_EQ(check_sqlite_syntax(db, "ROLLBACK;").transaction_control, "ROLLBACK");
  EXPECT_EQ(check_sqlite_syntax(db, "SAVEPOINT s1;").transaction_control, "SAVEPOINT s1");
  EXPECT_EQ(check_sqlite_syntax(db, "RELEASE s1;").transaction_control, "RELEASE s1");
  EXPECT_EQ(check_sqlite_syntax(db, "ROLLBACK TO s1;").transaction_control, "ROLLBACK TO s1");
  // A trigger's BEGIN ... END is its body, not a transaction.
  EXPECT_EQ(check_sqlite_syntax(db, "CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END;")
                .transaction_control,
            "");
}

}  // namespace
}  // namespace migrate
