// split_postgres_statements and describe_postgres_statement: statement boundaries, positions and
// transaction-block rules read from PostgreSQL's own parser (libpg_query).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/sql/postgres_statement.hpp"

namespace migrate {
namespace {

const SourceLocation kWhere{"migrations/V7__pg.up.sql", "7", 0, 0, 0};

std::vector<SqlStatement> split(const std::string& sql) {
  return split_postgres_statements(sql, kWhere);
}

std::vector<std::string> texts(const std::vector<SqlStatement>& statements) {
  std::vector<std::string> out;
  for (const auto& s : statements) out.push_back(s.sql);
  return out;
}

Error split_error(const std::string& sql) {
  try {
    auto out = split(sql);
    ADD_FAILURE() << "expected a Failure, got " << out.size() << " statement(s) for:\n" << sql;
  } catch (const Failure& f) {
    return f.error();
  }
  return Error{};
}

Error describe_error(const std::string& sql) {
  try {
    describe_postgres_statement(sql);
    ADD_FAILURE() << "expected a Failure for:\n" << sql;
  } catch (const Failure& f) {
    return f.error();
  }
  return Error{};
}

PgStatementInfo describe(const std::string& sql) {
  return describe_postgres_statement(sql);
}

// Asserts that `sql` must run outside a transaction block, for `reason`.
void expect_non_transactional(const std::string& sql, const std::string& reason) {
  auto info = describe(sql);
  EXPECT_FALSE(info.can_run_in_transaction) << sql;
  EXPECT_EQ(info.non_transactional_reason, reason) << sql;
}

void expect_transactional(const std::string& sql) {
  auto info = describe(sql);
  EXPECT_TRUE(info.can_run_in_transaction) << sql;
  EXPECT_EQ(info.non_transactional_reason, "") << sql;
}

using Strings = std::vector<std::string>;

// ---- splitting ----

TEST(SplitPostgres, SimpleStatementsWithPositions) {
  const std::string sql =
      "CREATE TABLE a(x int);\n  INSERT INTO a VALUES (1);\n\n\tSELECT 1; SELECT 2;\n";
  auto out = split(sql);
  ASSERT_EQ(out.size(), 4u);

  EXPECT_EQ(out[0].index, 1);
  EXPECT_EQ(out[0].offset, 0u);
  EXPECT_EQ(out[0].line, 1);
  EXPECT_EQ(out[0].column, 1);
  EXPECT_EQ(out[0].sql, "CREATE TABLE a(x int);");

  EXPECT_EQ(out[1].index, 2);
  EXPECT_EQ(out[1].offset, 25u);
  EXPECT_EQ(out[1].line, 2);
  EXPECT_EQ(out[1].column, 3);
  EXPECT_EQ(out[1].sql, "INSERT INTO a VALUES (1);");

  EXPECT_EQ(out[2].index, 3);
  EXPECT_EQ(out[2].line, 4);
  EXPECT_EQ(out[2].column, 2);
  EXPECT_EQ(out[2].sql, "SELECT 1;");

  EXPECT_EQ(out[3].index, 4);
  EXPECT_EQ(out[3].line, 4);
  EXPECT_EQ(out[3].column, 12);
  EXPECT_EQ(out[3].sql, "SELECT 2;");
  for (const auto& s : out) EXPECT_EQ(sql.substr(s.offset, s.sql.size()), s.sql);
}

TEST(SplitPostgres, DollarQuotedBodiesKeepTheirSemicolons) {
  const std::string f1 =
      "CREATE FUNCTION f() RETURNS int AS $$\n  SELECT 1;\n  SELECT 2;\n$$ LANGUAGE sql;";
  const std::string f2 =
      "CREATE FUNCTION g() RETURNS trigger AS $body$\nBEGIN\n  RAISE NOTICE '$$;';\n"
      "  RETURN NEW;\nEND;\n$body$ LANGUAGE plpgsql;";
  auto out = split(f1 + "\n" + f2 + "\nSELECT 3;");
  EXPECT_EQ(texts(out), (Strings{f1, f2, "SELECT 3;"}));
  EXPECT_EQ(out[1].line, 5);
  EXPECT_EQ(out[2].line, 11);
}

TEST(SplitPostgres, StringsAndQuotedNamesWithSemicolons) {
  const std::string a = "INSERT INTO t VALUES (E'it\\'s; here', 'a'';b');";
  const std::string b = "SELECT \"odd;name\" FROM \"t;1\";";
  const std::string c = "SELECT U&'d\\0061t;a';";
  EXPECT_EQ(texts(split(a + " " + b + "\n" + c)), (Strings{a, b, c}));
}

TEST(SplitPostgres, CommentsBeforeAStatementAreSkipped) {
  const std::string sql =
      "-- header; not a statement\n"
      "/* block; /* nested; */ still comment; */\n"
      "  SELECT 1 /* inside; */ -- trailing;\n"
      "  ;\n"
      "/**/SELECT 2;";
  auto out = split(sql);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].sql, "SELECT 1 /* inside; */ -- trailing;\n  ;");
  EXPECT_EQ(out[0].line, 3);
  EXPECT_EQ(out[0].column, 3);
  EXPECT_EQ(out[0].offset, sql.find("SELECT 1"));
  EXPECT_EQ(out[1].sql, "SELECT 2;");
  EXPECT_EQ(out[1].line, 5);
  EXPECT_EQ(out[1].column, 5);
}

TEST(SplitPostgres, DoBlocks) {
  const std::string d1 = "DO $$ BEGIN PERFORM 1; PERFORM 2; END $$;";
  const std::string d2 =
      "DO LANGUAGE plpgsql $do$\nDECLARE n int;\nBEGIN\n  SELECT 1 INTO n;\nEND\n$do$;";
  auto out = split(d1 + "\n" + d2);
  EXPECT_EQ(texts(out), (Strings{d1, d2}));
  EXPECT_EQ(out[1].line, 2);
  EXPECT_EQ(out[1].column, 1);
}

TEST(SplitPostgres, FinalStatementWithoutSemicolon) {
  EXPECT_EQ(texts(split("SELECT 1;\nSELECT 2  \n\n")), (Strings{"SELECT 1;", "SELECT 2"}));
  EXPECT_EQ(texts(split("SELECT 1 -- last")), (Strings{"SELECT 1 -- last"}));
  EXPECT_EQ(texts(split("DO $$ BEGIN NULL; END $$")), (Strings{"DO $$ BEGIN NULL; END $$"}));
}

TEST(SplitPostgres, EmptyStatementsAreSkipped) {
  auto out = split(";; SELECT 1;;\n ; /* c; */ ;\nSELECT 2; ; -- done;\n");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].index, 1);
  EXPECT_EQ(out[0].sql, "SELECT 1;");
  EXPECT_EQ(out[1].index, 2);
  EXPECT_EQ(out[1].sql, "SELECT 2;");
  EXPECT_EQ(out[1].line, 3);
  EXPECT_TRUE(split("").empty());
  EXPECT_TRUE(split("  \n-- nothing here;\n/* or; here */\n;;\n").empty());
}

TEST(SplitPostgres, ColumnsCountBytes) {
  auto out = split("SELECT 'é'; SELECT 2;");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].offset, 13u);
  EXPECT_EQ(out[1].column, 14);
}

TEST(SplitPostgres, RuleWithSeveralActionsIsOneStatement) {
  const std::string rule =
      "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO log VALUES (1); NOTIFY t);";
  EXPECT_EQ(texts(split(rule + "\nSELECT 1;")), (Strings{rule, "SELECT 1;"}));
}

// ---- split errors ----

TEST(SplitPostgres, SyntaxErrorPointsAtItsStatement) {
  auto e = split_error("SELECT 1;\nSELEC 2;");
  EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
  EXPECT_EQ(e.where.file, kWhere.file);
  EXPECT_EQ(e.where.version, "7");
  EXPECT_EQ(e.where.statement, 2);
  EXPECT_EQ(e.where.line, 2);
  EXPECT_EQ(e.where.column, 1);
  EXPECT_NE(e.message.find("statement 2"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("syntax error at or near \"SELEC\""), std::string::npos) << e.message;
  EXPECT_FALSE(e.hint.empty());
}

TEST(SplitPostgres, SyntaxErrorInTheFirstStatement) {
  auto e = split_error("  SELEC 1;\nSELECT 2;");
  EXPECT_EQ(e.where.statement, 1);
  EXPECT_EQ(e.where.line, 1);
  EXPECT_EQ(e.where.column, 3);
}

TEST(SplitPostgres, SyntaxErrorPositionIsInBytesAfterMultibyteText) {
  // PostgreSQL counts the error position in characters; the column is in bytes.
  auto e = split_error("SELECT 'éé';\nSELECT 'ü', 1 FRM t;");
  EXPECT_EQ(e.where.statement, 2);
  EXPECT_EQ(e.where.line, 2);
  EXPECT_EQ(e.where.column, 20);  // the "t" after FRM: 19 bytes in, 'ü' is two
}

TEST(SplitPostgres, SyntaxErrorIndexIgnoresSemicolonsInStringsCommentsAndBodies) {
  const std::string sql =
      "SELECT ';';\n"
      ";; -- x; y;\n"
      "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n"
      "SELECT 'a;b', /* ; */ 1 FRM t;";
  auto e = split_error(sql);
  EXPECT_EQ(e.where.statement, 3);
  EXPECT_EQ(e.where.line, 4);
  EXPECT_EQ(e.where.column, 29);
}

TEST(SplitPostgres, UnterminatedStringAndComment) {
  auto s = split_error("SELECT 1;\nSELECT 'abc;\n");
  EXPECT_EQ(s.code, ErrorCode::kSourceInvalid);
  EXPECT_EQ(s.where.statement, 2);
  EXPECT_EQ(s.where.line, 2);
  EXPECT_EQ(s.where.column, 8);
  EXPECT_NE(s.message.find("unterminated quoted string"), std::string::npos) << s.message;

  auto c = split_error("SELECT 1;\n/* open /* nested */ still open;");
  EXPECT_EQ(c.where.line, 2);
  EXPECT_EQ(c.where.column, 1);
  EXPECT_NE(c.message.find("unterminated /* comment"), std::string::npos) << c.message;

  auto d = split_error("DO $$ BEGIN NULL; END;");
  EXPECT_EQ(d.where.statement, 1);
  EXPECT_EQ(d.where.column, 4);
}

TEST(SplitPostgres, NulByteIsRefused) {
  auto e = split_error(std::string("SELECT 1;\nSELECT \0 2;", 21));
  EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
  EXPECT_EQ(e.where.line, 2);
  EXPECT_EQ(e.where.column, 8);
}

// ---- describe: transaction blocks ----

TEST(DescribePostgres, CreateIndexAndCreateIndexConcurrently) {
  auto plain = describe("CREATE INDEX idx_a ON t (a);");
  EXPECT_EQ(plain.node_type, "IndexStmt");
  EXPECT_TRUE(plain.can_run_in_transaction);
  EXPECT_TRUE(plain.takes_relation_lock);
  EXPECT_EQ(plain.relations, (Strings{"t"}));
  EXPECT_FALSE(plain.concurrent_index.has_value());

  auto info = describe(
      "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_messages_sentiment ON messages(sentiment)");
  EXPECT_EQ(info.node_type, "IndexStmt");
  EXPECT_FALSE(info.can_run_in_transaction);
  EXPECT_EQ(info.non_transactional_reason, "CREATE INDEX CONCURRENTLY");
  EXPECT_TRUE(info.takes_relation_lock);
  EXPECT_EQ(info.relations, (Strings{"messages"}));
  ASSERT_TRUE(info.concurrent_index.has_value());
  const auto& a = *info.concurrent_index;
  EXPECT_EQ(a.kind, ConcurrentIndexAction::Kind::kCreate);
  EXPECT_EQ(a.index_name, "idx_messages_sentiment");
  EXPECT_EQ(a.table, "messages");
  EXPECT_EQ(a.table_schema, "");
  EXPECT_EQ(a.schema, "");
  EXPECT_TRUE(a.if_not_exists);
  EXPECT_FALSE(a.if_exists);
}

TEST(DescribePostgres, CreateIndexConcurrentlyQualifiedAndUnnamed) {
  auto info = describe("CREATE UNIQUE INDEX CONCURRENTLY ON app.users USING btree (lower(email));");
  ASSERT_TRUE(info.concurrent_index.has_value());
  const auto& a = *info.concurrent_index;
  EXPECT_EQ(a.kind, ConcurrentIndexAction::Kind::kCreate);
  EXPECT_EQ(a.index_name, "");
  EXPECT_EQ(a.schema, "app");
  EXPECT_EQ(a.table_schema, "app");
  EXPECT_EQ(a.table, "users");
  EXPECT_FALSE(a.if_not_exists);
  EXPECT_EQ(info.relations, (Strings{"app.users"}));
}

TEST(DescribePostgres, DropIndexAndDropIndexConcurrently) {
  auto plain = describe("DROP INDEX app.idx_a;");
  EXPECT_EQ(plain.node_type, "DropStmt");
  EXPECT_TRUE(plain.can_run_in_transaction);
  EXPECT_TRUE(plain.takes_relation_lock);
  EXPECT_FALSE(plain.concurrent_index.has_value());
  EXPECT_EQ(plain.relations, (Strings{"app.idx_a"}));

  auto info = describe("DROP INDEX CONCURRENTLY IF EXISTS app.idx_a;");
  EXPECT_FALSE(info.can_run_in_transaction);
  EXPECT_EQ(info.non_transactional_reason, "DROP INDEX CONCURRENTLY");
  ASSERT_TRUE(info.concurrent_index.has_value());
  const auto& a = *info.concurrent_index;
  EXPECT_EQ(a.kind, ConcurrentIndexAction::Kind::kDrop);
  EXPECT_EQ(a.schema, "app");
  EXPECT_EQ(a.index_name, "idx_a");
  EXPECT_EQ(a.table, "");
  EXPECT_TRUE(a.if_exists);
  EXPECT_FALSE(a.if_not_exists);

  auto unqualified = describe("DROP INDEX CONCURRENTLY idx_b");
  ASSERT_TRUE(unqualified.concurrent_index.has_value());
  EXPECT_EQ(unqualified.concurrent_index->schema, "");
  EXPECT_EQ(unqualified.concurrent_index->index_name, "idx_b");
  EXPECT_FALSE(unqualified.concurrent_index->if_exists);
}

TEST(DescribePostgres, ReindexAndReindexConcurrently) {
  auto plain = describe("REINDEX INDEX app.idx_a;");
  EXPECT_EQ(plain.node_type, "ReindexStmt");
  EXPECT_TRUE(plain.can_run_in_transaction);
  EXPECT_TRUE(plain.takes_relation_lock);
  EXPECT_FALSE(plain.concurrent_index.has_value());
  expect_transactional("REINDEX TABLE t");
  expect_transactional("REINDEX (VERBOSE) TABLE t");

  auto info = describe("REINDEX INDEX CONCURRENTLY app.idx_a;");
  EXPECT_EQ(info.non_transactional_reason, "REINDEX CONCURRENTLY");
  ASSERT_TRUE(info.concurrent_index.has_value());
  EXPECT_EQ(info.concurrent_index->kind, ConcurrentIndexAction::Kind::kReindex);
  EXPECT_EQ(info.concurrent_index->schema, "app");
  EXPECT_EQ(info.concurrent_index->index_name, "idx_a");

  auto table = describe("REINDEX (CONCURRENTLY) TABLE app.t");
  EXPECT_EQ(table.non_transactional_reason, "REINDEX CONCURRENTLY");
  ASSERT_TRUE(table.concurrent_index.has_value());
  EXPECT_EQ(table.concurrent_index->index_name, "");
  EXPECT_EQ(table.concurrent_index->table_schema, "app");
  EXPECT_EQ(table.concurrent_index->table, "t");

  expect_transactional("REINDEX (CONCURRENTLY false, VERBOSE) TABLE t");
}

TEST(DescribePostgres, ReindexOfManyTables) {
  expect_non_transactional("REINDEX SCHEMA app", "REINDEX SCHEMA");
  expect_non_transactional("REINDEX SYSTEM mydb", "REINDEX SYSTEM");
  expect_non_transactional("REINDEX DATABASE mydb", "REINDEX DATABASE");
  expect_non_transactional("REINDEX SCHEMA CONCURRENTLY app", "REINDEX CONCURRENTLY");
  EXPECT_FALSE(describe("REINDEX SCHEMA CONCURRENTLY app").concurrent_index.has_value());
}

TEST(DescribePostgres, VacuumAndAnalyze) {
  auto vacuum = describe("VACUUM t;");
  EXPECT_EQ(vacuum.node_type, "VacuumStmt");
  EXPECT_EQ(vacuum.non_transactional_reason, "VACUUM");
  EXPECT_TRUE(vacuum.takes_relation_lock);
  EXPECT_EQ(vacuum.relations, (Strings{"t"}));
  expect_non_transactional("VACUUM", "VACUUM");
  expect_non_transactional("VACUUM (FULL, ANALYZE) app.t", "VACUUM");
  expect_non_transactional("VACUUM ANALYZE t", "VACUUM");

  auto analyze = describe("ANALYZE t;");
  EXPECT_EQ(analyze.node_type, "VacuumStmt");
  EXPECT_TRUE(analyze.can_run_in_transaction);
  EXPECT_TRUE(analyze.takes_relation_lock);
  expect_transactional("ANALYZE VERBOSE a, b");
}

TEST(DescribePostgres, DetachPartition) {
  auto plain = describe("ALTER TABLE events DETACH PARTITION events_2024;");
  EXPECT_EQ(plain.node_type, "AlterTableStmt");
  EXPECT_TRUE(plain.can_run_in_transaction);
  EXPECT_EQ(plain.relations, (Strings{"events", "events_2024"}));

  expect_non_transactional("ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY",
                           "ALTER TABLE ... DETACH CONCURRENTLY");
  expect_transactional("ALTER TABLE events DETACH PARTITION events_2024 FINALIZE");
  expect_transactional("ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES IN (2025)");
}

TEST(DescribePostgres, ServerWideCommands) {
  expect_non_transactional("ALTER SYSTEM SET work_mem = '64MB'", "ALTER SYSTEM");
  expect_non_transactional("CREATE DATABASE reports", "CREATE DATABASE");
  expect_non_transactional("DROP DATABASE IF EXISTS reports", "DROP DATABASE");
  expect_non_transactional("ALTER DATABASE reports SET TABLESPACE fast",
                           "ALTER DATABASE SET TABLESPACE");
  expect_transactional("ALTER DATABASE reports SET work_mem = '64MB'");
  expect_transactional("ALTER DATABASE reports CONNECTION LIMIT 10");
  expect_non_transactional("CREATE TABLESPACE fast LOCATION '/ssd'", "CREATE TABLESPACE");
  expect_non_transactional("DROP TABLESPACE fast", "DROP TABLESPACE");
  expect_transactional("ALTER TABLESPACE fast SET (random_page_cost = 1.1)");
  EXPECT_FALSE(describe("CREATE DATABASE reports").takes_relation_lock);
}

TEST(DescribePostgres, Subscriptions) {
  const std::string create = "CREATE SUBSCRIPTION s CONNECTION 'host=a' PUBLICATION p";
  expect_non_transactional(create, "CREATE SUBSCRIPTION ... WITH (create_slot = true)");
  expect_non_transactional(create + " WITH (create_slot = true)",
                           "CREATE SUBSCRIPTION ... WITH (create_slot = true)");
  expect_non_transactional(create + " WITH (create_slot)",
                           "CREATE SUBSCRIPTION ... WITH (create_slot = true)");
  expect_transactional(create + " WITH (create_slot = false)");
  expect_transactional(create + " WITH (create_slot = off, slot_name = NONE, enabled = false)");
  expect_transactional(create + " WITH (connect = false)");

  expect_non_transactional("DROP SUBSCRIPTION IF EXISTS s", "DROP SUBSCRIPTION");

  expect_non_transactional("ALTER SUBSCRIPTION s REFRESH PUBLICATION",
                           "ALTER SUBSCRIPTION ... REFRESH");
  expect_non_transactional("ALTER SUBSCRIPTION s REFRESH PUBLICATION WITH (copy_data = false)",
                           "ALTER SUBSCRIPTION ... REFRESH");
  expect_non_transactional("ALTER SUBSCRIPTION s SET PUBLICATION p2",
                           "ALTER SUBSCRIPTION with refresh");
  expect_non_transactional("ALTER SUBSCRIPTION s ADD PUBLICATION p3 WITH (refresh = true)",
                           "ALTER SUBSCRIPTION with refresh");
  expect_transactional("ALTER SUBSCRIPTION s SET PUBLICATION p2 WITH (refresh = false)");
  expect_transactional("ALTER SUBSCRIPTION s DROP PUBLICATION p3 WITH (refresh = FALSE)");
  expect_transactional("ALTER SUBSCRIPTION s DISABLE");
  expect_transactional("ALTER SUBSCRIPTION s CONNECTION 'host=b'");
}

TEST(DescribePostgres, DiscardClusterRefreshAndPreparedTransactions) {
  expect_non_transactional("DISCARD ALL", "DISCARD ALL");
  expect_transactional("DISCARD PLANS");
  expect_transactional("DISCARD TEMP");

  expect_non_transactional("CLUSTER", "CLUSTER");
  expect_non_transactional("CLUSTER VERBOSE", "CLUSTER");
  expect_transactional("CLUSTER t USING t_pkey");
  expect_transactional("CLUSTER t");

  auto refresh = describe("REFRESH MATERIALIZED VIEW CONCURRENTLY app.totals");
  EXPECT_TRUE(refresh.can_run_in_transaction);
  EXPECT_TRUE(refresh.takes_relation_lock);
  EXPECT_FALSE(refresh.concurrent_index.has_value());
  EXPECT_EQ(refresh.relations, (Strings{"app.totals"}));
  expect_transactional("CREATE MATERIALIZED VIEW mv AS SELECT 1");

  auto commit_prepared = describe("COMMIT PREPARED 'tx1'");
  EXPECT_TRUE(commit_prepared.is_transaction_control);
  EXPECT_EQ(commit_prepared.non_transactional_reason, "COMMIT PREPARED");
  expect_non_transactional("ROLLBACK PREPARED 'tx1'", "ROLLBACK PREPARED");
}

TEST(DescribePostgres, EverydayStatementsAreTransactional) {
  for (const char* sql :
       {"CREATE TABLE t (id bigint PRIMARY KEY)", "ALTER TABLE t ADD COLUMN c text",
        "INSERT INTO t VALUES (1)", "UPDATE t SET c = 'x'", "DELETE FROM t",
        "CREATE TYPE mood AS ENUM ('a', 'b')", "ALTER TYPE mood ADD VALUE 'c'",
        "CREATE EXTENSION IF NOT EXISTS pg_trgm", "SET lock_timeout = '5s'",
        "DO $$ BEGIN NULL; END $$", "COMMENT ON TABLE t IS 'x'"}) {
    expect_transactional(sql);
    EXPECT_FALSE(describe(sql).concurrent_index.has_value()) << sql;
  }
}

TEST(DescribePostgres, TransactionControl) {
  for (const char* sql : {"BEGIN", "BEGIN ISOLATION LEVEL SERIALIZABLE", "START TRANSACTION",
                          "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT a", "RELEASE a",
                          "ROLLBACK TO SAVEPOINT a", "PREPARE TRANSACTION 'x'"}) {
    auto info = describe(sql);
    EXPECT_EQ(info.node_type, "TransactionStmt") << sql;
    EXPECT_TRUE(info.is_transaction_control) << sql;
    EXPECT_FALSE(info.takes_relation_lock) << sql;
  }
  EXPECT_FALSE(describe("SELECT 1").is_transaction_control);
  // Settings by their parse tree, but they change libmigrate's own transactions.
  for (const char* sql : {"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
                          "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"}) {
    auto info = describe(sql);
    EXPECT_EQ(info.node_type, "VariableSetStmt") << sql;
    EXPECT_TRUE(info.is_transaction_control) << sql;
  }
  EXPECT_FALSE(describe("SET lock_timeout = '1s'").is_transaction_control);
  EXPECT_FALSE(describe("SET LOCAL statement_timeout = 0").is_transaction_control);
  EXPECT_FALSE(describe("DO $$ BEGIN COMMIT; END $$").is_transaction_control);
}

// ---- describe: relations and locks ----

TEST(DescribePostgres, RelationsInSourceOrderDeduplicated) {
  auto info = describe(
      "WITH recent AS (SELECT * FROM app.orders WHERE at > now() - interval '1 day')\n"
      "INSERT INTO report.daily (n)\n"
      "SELECT count(*) FROM recent JOIN app.customers c ON true\n"
      "WHERE EXISTS (SELECT 1 FROM app.orders o WHERE o.id = c.id);");
  EXPECT_EQ(info.node_type, "InsertStmt");
  EXPECT_EQ(info.relations, (Strings{"app.orders", "report.daily", "app.customers"}));
  EXPECT_TRUE(info.takes_relation_lock);
}

TEST(DescribePostgres, RelationsAsPostgresReadsThem) {
  auto info = describe("SELECT * FROM \"Mixed\".\"CaseT\", Plain.UPPER, db.s.t");
  EXPECT_EQ(info.relations, (Strings{"Mixed.CaseT", "plain.upper", "db.s.t"}));
}

TEST(DescribePostgres, RelationsOfDdl) {
  EXPECT_EQ(describe("ALTER TABLE ONLY a.b ADD CONSTRAINT fk FOREIGN KEY (x) REFERENCES c.d (y)")
                .relations,
            (Strings{"a.b", "c.d"}));
  EXPECT_EQ(describe("DROP TABLE a.b, c CASCADE").relations, (Strings{"a.b", "c"}));
  EXPECT_EQ(describe("DROP TRIGGER trg ON s.tbl").relations, (Strings{"s.tbl"}));
  EXPECT_EQ(describe("TRUNCATE a, b.c RESTART IDENTITY").relations, (Strings{"a", "b.c"}));
  EXPECT_EQ(describe("UPDATE t SET x = s.x FROM s WHERE s.id = t.id").relations,
            (Strings{"t", "s"}));
  EXPECT_EQ(describe("CREATE TABLE p_2025 PARTITION OF p FOR VALUES IN (2025)").relations,
            (Strings{"p_2025", "p"}));
  EXPECT_EQ(describe("CREATE VIEW v AS SELECT * FROM t").relations, (Strings{"v", "t"}));
  EXPECT_EQ(describe("ALTER INDEX s.i RENAME TO j").relations, (Strings{"s.i"}));
  EXPECT_TRUE(describe("SELECT 1").relations.empty());
  EXPECT_TRUE(describe("CREATE EXTENSION pg_trgm").relations.empty());
}

TEST(DescribePostgres, RelationLocks) {
  for (const char* sql : {"INSERT INTO t VALUES (1)",
                          "UPDATE t SET a = 1",
                          "DELETE FROM t",
                          "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE",
                          "COPY t FROM STDIN",
                          "LOCK TABLE t IN ACCESS EXCLUSIVE MODE",
                          "TRUNCATE t",
                          "CREATE TABLE t (a int)",
                          "ALTER TABLE t ADD COLUMN b int",
                          "DROP TABLE t",
                          "DROP VIEW v",
                          "CREATE VIEW v AS SELECT 1",
                          "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
                          "DROP TRIGGER trg ON t",
                          "ALTER TABLE t RENAME TO u",
                          "CLUSTER t",
                          "REFRESH MATERIALIZED VIEW mv",
                          "COMMENT ON TABLE t IS 'x'",
                          "COMMENT ON FUNCTION f() IS 'x'",
                          "DO $$ BEGIN NULL; END $$",
                          "CALL p()",
                          "CREATE EXTENSION pg_trgm",
                          "SELECT * FROM t",
                          "SELECT * FROM t FOR UPDATE",
                          "GRANT SELECT ON t TO r",
                          "DROP FUNCTION f() CASCADE",
                          "CREATE SEQUENCE s",
                          "ALTER SEQUENCE s RESTART"}) {
    EXPECT_TRUE(describe(sql).takes_relation_lock) << sql;
  }
  for (const char* sql :
       {"SET lock_timeout = '1s'",
        "RESET ALL",
        "SHOW search_path",
        "SELECT 1",
        "SELECT now()",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM t; END",
        "CREATE FUNCTION g() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql",
        "CREATE TYPE pair AS (a int, b int)",
        "CREATE TYPE mood AS ENUM ('a')",
        "ALTER TYPE mood ADD VALUE 'b'",
        "CREATE DOMAIN pos AS int CHECK (VALUE > 0)",
        "DROP FUNCTION f()",
        "DROP TYPE mood",
        "CREATE SCHEMA app",
        "CREATE ROLE r",
        "GRANT USAGE ON SCHEMA app TO r",
        "BEGIN",
        "COMMIT",
        "NOTIFY ch",
        "ALTER SYSTEM RESET ALL"}) {
    EXPECT_FALSE(describe(sql).takes_relation_lock) << sql;
  }
}

// ---- describe: errors and misuse ----

TEST(DescribePostgres, SyntaxErrorIsRelativeToTheStatement) {
  auto e = describe_error("SELECT a,\n  FROM t;");
  EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
  EXPECT_EQ(e.where.file, "");
  EXPECT_EQ(e.where.statement, 0);
  EXPECT_EQ(e.where.line, 2);
  EXPECT_EQ(e.where.column, 3);
  EXPECT_NE(e.message.find("syntax error at or near \"FROM\""), std::string::npos) << e.message;
  EXPECT_FALSE(e.hint.empty());
}

TEST(DescribePostgres, InvalidUtf8IsASourceError) {
  EXPECT_EQ(describe_error("SELECT '\xff\xfe'").code, ErrorCode::kSourceInvalid);
}

TEST(DescribePostgres, NotExactlyOneStatementIsACallerError) {
  EXPECT_EQ(describe_error("SELECT 1; SELECT 2;").code, ErrorCode::kInternal);
  EXPECT_EQ(describe_error("  -- nothing\n").code, ErrorCode::kInternal);
}

TEST(DescribePostgres, EveryStatementOfASplitFileCanBeDescribed) {
  const std::string sql =
      "CREATE TABLE messages (id bigint, sentiment text);\n"
      "-- build without blocking writes\n"
      "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_messages_sentiment ON messages(sentiment);\n"
      "DO $$ BEGIN PERFORM 1; END $$;\n"
      "VACUUM messages";
  std::vector<std::string> reasons;
  for (const auto& s : split(sql)) {
    reasons.push_back(describe_postgres_statement(s.sql).non_transactional_reason);
  }
  EXPECT_EQ(reasons, (Strings{"", "CREATE INDEX CONCURRENTLY", "", "VACUUM"}));
}

}  // namespace
}  // namespace migrate
