// Batched backfills without a database (docs/backfills.md): the `-- migrate:backfill` directive,
// the :batch_start/:batch_end placeholders as each dialect's lexer sees them, the automatic form's
// rewrite through libpg_query's parse tree and deparser, and the checkpoint the history keeps.
#include <gtest/gtest.h>
#include <pg_query.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/history/backfill_checkpoint.hpp"
#include "libmigrate/sql/batch_placeholders.hpp"
#include "libmigrate/sql/postgres_batch_rewrite.hpp"
#include "migrate/error.hpp"
#include "migrate/history.hpp"
#include "migrate/source.hpp"

namespace migrate {
namespace {

using std::chrono::milliseconds;

const char* const kFile = "migrations/V7__backfill.up.sql";

// ---------------------------------------------------------------------------------------------
// The directive

BackfillOptions backfill_of(const std::string& header) {
  auto d = parse_directives(header + "UPDATE t SET v = 1 WHERE id > :batch_start;\n", kFile);
  if (!d.ok()) {
    ADD_FAILURE() << "unexpected error: " << d.error().describe();
    return {};
  }
  if (!d.value().backfill) {
    ADD_FAILURE() << "no backfill options for:\n" << header;
    return {};
  }
  return *d.value().backfill;
}

TEST(BackfillDirective, AloneLeavesEveryOptionToItsDefault) {
  BackfillOptions o = backfill_of("-- migrate:backfill\n");
  EXPECT_FALSE(o.batch_size);
  EXPECT_FALSE(o.target_batch_time);
  EXPECT_FALSE(o.pause);
  EXPECT_FALSE(o.key);
  EXPECT_FALSE(o.max_replica_lag);
}

TEST(BackfillDirective, EveryOptionInAnyOrder) {
  BackfillOptions o = backfill_of(
      "-- migrate:backfill max-replica-lag=5s key=orders.id pause=50ms target-batch-time=2s "
      "batch-size=500\n");
  EXPECT_EQ(o.batch_size, 500);
  EXPECT_EQ(o.target_batch_time, milliseconds(2000));
  EXPECT_EQ(o.pause, milliseconds(50));
  EXPECT_EQ(o.key, "orders.id");
  EXPECT_EQ(o.max_replica_lag, milliseconds(5000));
}

TEST(BackfillDirective, SingleOptionsAndTheirEdges) {
  EXPECT_EQ(backfill_of("-- migrate:backfill batch-size=1\n").batch_size, 1);
  EXPECT_EQ(backfill_of("-- migrate:backfill batch-size=10000000\n").batch_size, 10'000'000);
  EXPECT_EQ(backfill_of("-- migrate:backfill pause=0ms\n").pause, milliseconds(0));
  EXPECT_EQ(backfill_of("-- migrate:backfill key=account_id\n").key, "account_id");
  EXPECT_EQ(backfill_of("-- migrate:backfill key=Orders_2.Id\n").key, "Orders_2.Id");
  EXPECT_EQ(backfill_of("-- migrate:backfill   batch-size=20 \t pause=1min  \n").pause,
            milliseconds(60'000));
}

TEST(BackfillDirective, CheckQueryIsKeptAsWritten) {
  auto d = parse_directives(
      "-- migrate:backfill\n"
      "-- migrate:backfill-check SELECT id FROM t WHERE v IS NULL LIMIT 1\n"
      "UPDATE t SET v = 1 WHERE id > :batch_start AND id <= :batch_end;\n",
      kFile);
  ASSERT_TRUE(d.ok()) << d.error().describe();
  EXPECT_EQ(d.value().backfill_check, "SELECT id FROM t WHERE v IS NULL LIMIT 1");
  ASSERT_TRUE(d.value().backfill);
}

// Each value the directive refuses: SOURCE_INVALID on the directive's own line, naming it and
// showing its syntax.
void expect_refused(const std::string& directive_line, const std::string& named) {
  SCOPED_TRACE(directive_line);
  auto d = parse_directives("-- a backfill\n" + directive_line + "\nUPDATE t SET v = 1;\n", kFile);
  ASSERT_FALSE(d.ok());
  const Error& e = d.error();
  EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
  EXPECT_NE(e.message.find("'" + named + "'"), std::string::npos) << e.message;
  EXPECT_EQ(e.where.line, 2);
  EXPECT_EQ(e.where.file, kFile);
}

TEST(BackfillDirective, InvalidValuesAreRefused) {
  for (const char* line : {
           "-- migrate:backfill batch-size=0",
           "-- migrate:backfill batch-size=-5",
           "-- migrate:backfill batch-size=ten",
           "-- migrate:backfill batch-size=5k",
           "-- migrate:backfill batch-size=10000001",
           "-- migrate:backfill batch-size=99999999999999999999999",
           "-- migrate:backfill target-batch-time=0ms",
           "-- migrate:backfill target-batch-time=200",
           "-- migrate:backfill target-batch-time=2 s",
           "-- migrate:backfill pause=fast",
           "-- migrate:backfill pause=-1ms",
           "-- migrate:backfill pause=5sec",
           "-- migrate:backfill max-replica-lag=5",
           "-- migrate:backfill max-replica-lag=1000000h",
           "-- migrate:backfill key=a.b.c",
           "-- migrate:backfill key=.id",
           "-- migrate:backfill key=id.",
           "-- migrate:backfill key=order-id",
           "-- migrate:backfill key=\"id\"",
           "-- migrate:backfill key=id;drop",
       })
    expect_refused(line, "backfill");
}

TEST(BackfillDirective, MalformedOptionsAreRefused) {
  for (const char* line : {
           "-- migrate:backfill batch-size",
           "-- migrate:backfill batch-size=",
           "-- migrate:backfill =500",
           "-- migrate:backfill batch-size = 500",
           "-- migrate:backfill 500",
           "-- migrate:backfill colour=red",
           "-- migrate:backfill batch_size=500",
           "-- migrate:backfill Batch-Size=500",
       })
    expect_refused(line, "backfill");
}

TEST(BackfillDirective, AnOptionGivenTwiceIsRefused) {
  for (const char* line : {
           "-- migrate:backfill batch-size=10 batch-size=20",
           "-- migrate:backfill pause=5ms key=id pause=5ms",
           "-- migrate:backfill key=a key=b",
       })
    expect_refused(line, "backfill");
}

TEST(BackfillDirective, TheDirectiveGivenTwiceIsRefused) {
  auto d = parse_directives(
      "-- migrate:backfill batch-size=10\n-- migrate:backfill pause=5ms\nUPDATE t SET v = 1;\n",
      kFile);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kSourceInvalid);
  EXPECT_NE(d.error().message.find("'backfill' is given twice"), std::string::npos)
      << d.error().message;
  EXPECT_EQ(d.error().where.line, 2);
}

TEST(BackfillDirective, CheckWithoutQueryOrGivenTwiceIsRefused) {
  expect_refused("-- migrate:backfill-check", "backfill-check");
  expect_refused("-- migrate:backfill-check   ", "backfill-check");
  auto d = parse_directives(
      "-- migrate:backfill-check SELECT 1 WHERE false\n"
      "-- migrate:backfill-check SELECT 2 WHERE false\n",
      kFile);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kSourceInvalid);
  EXPECT_NE(d.error().message.find("'backfill-check'"), std::string::npos) << d.error().message;
}

TEST(BackfillDirective, AfterTheFirstStatementIsRefused) {
  auto d = parse_directives("UPDATE t SET v = 1;\n-- migrate:backfill\n", kFile);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kSourceInvalid);
  EXPECT_EQ(d.error().where.line, 2);
}

// ---------------------------------------------------------------------------------------------
// Placeholders

// "S@offset" / "E@offset" for each placeholder found.
std::vector<std::string> found(std::string_view sql, Dialect dialect) {
  std::vector<std::string> out;
  for (const auto& p : find_batch_placeholders(sql, dialect))
    out.push_back((p.start ? "S@" : "E@") + std::to_string(p.offset));
  return out;
}

using Found = std::vector<std::string>;

TEST(BatchPlaceholders, BothBoundsInTextOrder) {
  const std::string sql = "UPDATE t SET v = 1 WHERE id > :batch_start AND id <= :batch_end";
  const Found expected{"S@" + std::to_string(sql.find(":batch_start")),
                       "E@" + std::to_string(sql.find(":batch_end"))};
  EXPECT_EQ(found(sql, Dialect::kPostgres), expected);
  EXPECT_EQ(found(sql, Dialect::kSqlite), expected);
  EXPECT_EQ(found(":batch_end<:batch_start", Dialect::kSqlite), (Found{"E@0", "S@11"}));
  EXPECT_EQ(found("(:batch_start)", Dialect::kPostgres), (Found{"S@1"}));
}

TEST(BatchPlaceholders, LongerNamesAndCastsAreNotPlaceholders) {
  for (Dialect d : {Dialect::kPostgres, Dialect::kSqlite}) {
    EXPECT_EQ(found("SELECT :batch_starts, :batch_end_2, :batch_end$x, :batch", d), Found{});
    EXPECT_EQ(found("SELECT :Batch_Start", d), Found{});
  }
  // `x::batch_start` casts to a type of that name.
  EXPECT_EQ(found("SELECT x::batch_start, y::batch_end", Dialect::kPostgres), Found{});
  // A cast after the placeholder leaves it one.
  EXPECT_EQ(found("WHERE id > :batch_start::bigint", Dialect::kPostgres), (Found{"S@11"}));
}

TEST(BatchPlaceholders, NotInsideStrings) {
  for (Dialect d : {Dialect::kPostgres, Dialect::kSqlite}) {
    EXPECT_EQ(found("SELECT ':batch_start', 'it''s :batch_end'", d), Found{});
    EXPECT_EQ(found("SELECT 'it''s', :batch_end", d), (Found{"E@16"}));
  }
  // In E'' a backslash escapes the quote: the string goes on past \'.
  EXPECT_EQ(found("SELECT E'a\\' :batch_start', :batch_end", Dialect::kPostgres), (Found{"E@28"}));
  EXPECT_EQ(found("SELECT e'\\\\', :batch_end", Dialect::kPostgres), (Found{"E@14"}));
  // Without the E prefix a backslash is an ordinary character: the string ends at the quote.
  EXPECT_EQ(found("SELECT 'a\\', :batch_end", Dialect::kPostgres), (Found{"E@13"}));
  // An identifier ending in E before a quote is not an E'' prefix.
  EXPECT_EQ(found("SELECT somE'a\\', :batch_end", Dialect::kPostgres), (Found{"E@17"}));
  // SQLite has no E'' strings.
  EXPECT_EQ(found("SELECT E'a\\', :batch_end", Dialect::kSqlite), (Found{"E@14"}));
}

TEST(BatchPlaceholders, NotInsideQuotedIdentifiers) {
  for (Dialect d : {Dialect::kPostgres, Dialect::kSqlite}) {
    EXPECT_EQ(found("SELECT \":batch_start\" FROM t", d), Found{});
    EXPECT_EQ(found("SELECT \"a\"\":batch_start\" FROM t WHERE id <= :batch_end", d),
              (Found{"E@44"}));
  }
  EXPECT_EQ(found("SELECT [:batch_start], `:batch_end` FROM t", Dialect::kSqlite), Found{});
  EXPECT_EQ(found("SELECT [a], :batch_end, `b`", Dialect::kSqlite), (Found{"E@12"}));
  // PostgreSQL has no bracket or backtick identifiers: `[` is an array subscript there.
  EXPECT_EQ(found("SELECT a[:batch_end]", Dialect::kPostgres), (Found{"E@9"}));
}

TEST(BatchPlaceholders, NotInsideComments) {
  for (Dialect d : {Dialect::kPostgres, Dialect::kSqlite}) {
    EXPECT_EQ(found("-- id > :batch_start\nSELECT :batch_end", d), (Found{"E@28"}));
    EXPECT_EQ(found("SELECT 1 -- :batch_start", d), Found{});
    EXPECT_EQ(found("SELECT /* :batch_start */ :batch_end", d), (Found{"E@26"}));
    EXPECT_EQ(found("SELECT /* unterminated :batch_start", d), Found{});
  }
  // PostgreSQL's block comments nest; SQLite's end at the first */.
  const std::string nested = "SELECT /* a /* b */ :batch_start */ :batch_end";
  EXPECT_EQ(found(nested, Dialect::kPostgres), (Found{"E@36"}));
  EXPECT_EQ(found(nested, Dialect::kSqlite), (Found{"S@20", "E@36"}));
}

TEST(BatchPlaceholders, NotInsideDollarQuotesOnPostgres) {
  EXPECT_EQ(found("SELECT $$ :batch_start $$, :batch_end", Dialect::kPostgres), (Found{"E@27"}));
  EXPECT_EQ(found("SELECT $fn$ $$ :batch_start $fn$, :batch_end", Dialect::kPostgres),
            (Found{"E@34"}));
  EXPECT_EQ(found("SELECT $a1$ :batch_start $a1$", Dialect::kPostgres), Found{});
  // $1 is a parameter, and `$` inside a word does not open a quote.
  EXPECT_EQ(found("SELECT $1, a$b, :batch_end", Dialect::kPostgres), (Found{"E@16"}));
  EXPECT_EQ(found("SELECT x$ :batch_start $", Dialect::kPostgres), (Found{"S@10"}));
  // SQLite has no dollar quotes: `$a` there is a parameter.
  EXPECT_EQ(found("SELECT $$ :batch_start $$", Dialect::kSqlite), (Found{"S@10"}));
}

TEST(BatchPlaceholders, PostgresParametersKeepLengthAndOffsets) {
  const std::string sql =
      "UPDATE t SET v = ':batch_start' -- :batch_end\n"
      "WHERE id > :batch_start AND id <= :batch_end";
  const std::string out = with_postgres_batch_parameters(sql);
  EXPECT_EQ(out,
            "UPDATE t SET v = ':batch_start' -- :batch_end\n"
            "WHERE id > $1           AND id <= $2        ");
  EXPECT_EQ(out.size(), sql.size());
  EXPECT_EQ(out.find("$1"), sql.find(":batch_start", 40));
  EXPECT_EQ(out.find("$2"), sql.find(":batch_end", 50));
  EXPECT_EQ(with_postgres_batch_parameters("WHERE id > :batch_start::int8"),
            "WHERE id > $1          ::int8");
}

TEST(BatchPlaceholders, PostgresParametersLeaveOtherTextAlone) {
  for (const std::string sql : {"UPDATE t SET v = 1", "SELECT ':batch_start'",
                                "SELECT x::batch_end", "SELECT :batch_starting"})
    EXPECT_EQ(with_postgres_batch_parameters(sql), sql);
}

// ---------------------------------------------------------------------------------------------
// The automatic form's rewrite

// The statement's WHERE as libpg_query's JSON, to check a rewrite's structure, not only its text.
nlohmann::json where_clause(const std::string& sql) {
  PgQueryParseResult r = pg_query_parse(sql.c_str());
  nlohmann::json out;
  if (r.error != nullptr) {
    ADD_FAILURE() << "does not parse: " << r.error->message << "\n" << sql;
  } else {
    const auto tree = nlohmann::json::parse(r.parse_tree);
    const auto& stmt = tree["stmts"][0]["stmt"];
    const auto& body = stmt.contains("UpdateStmt") ? stmt["UpdateStmt"] : stmt["DeleteStmt"];
    out = body.value("whereClause", nlohmann::json());
  }
  pg_query_free_parse_result(r);
  return out;
}

std::string bool_op(const nlohmann::json& node) {
  return node.contains("BoolExpr") ? node["BoolExpr"]["boolop"].get<std::string>() : "";
}

const PgBatchKey kBigintId{{"id"}, {"bigint"}};

TEST(PgBatchRewrite, TargetOfUpdateAndDeleteOnly) {
  auto t = pg_batch_target("UPDATE app.orders AS o SET status = 'new' WHERE o.status IS NULL");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->schema, "app");
  EXPECT_EQ(t->name, "orders");
  EXPECT_EQ(t->alias, "o");
  EXPECT_EQ(t->sql(), "\"app\".\"orders\"");
  auto d = pg_batch_target("DELETE FROM events");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->sql(), "\"events\"");
  EXPECT_FALSE(pg_batch_target("INSERT INTO t SELECT * FROM u"));
  EXPECT_FALSE(pg_batch_target("SELECT 1"));
  EXPECT_FALSE(pg_batch_target("CREATE TABLE t (id int)"));
  EXPECT_FALSE(pg_batch_target("UPDATE t SET v = 1; UPDATE u SET v = 1"));
  try {
    pg_batch_target("UPDATE t SET");
    ADD_FAILURE() << "expected a failure";
  } catch (const Failure& f) {
    EXPECT_EQ(f.error().code, ErrorCode::kSourceInvalid);
  }
}

TEST(PgBatchRewrite, SingleBigintKeyWithoutWhere) {
  const PgBatchedStatement out =
      pg_add_batch_range("UPDATE orders SET status = 'new'", {"", "orders", ""}, kBigintId);
  EXPECT_EQ(out.bounded,
            "UPDATE orders SET status = 'new' WHERE orders.id > $1::bigint AND "
            "orders.id <= $2::bigint");
  EXPECT_EQ(out.from, "UPDATE orders SET status = 'new' WHERE orders.id > $1::bigint");
  EXPECT_EQ(out.through, "UPDATE orders SET status = 'new' WHERE orders.id <= $1::bigint");
  EXPECT_EQ(bool_op(where_clause(out.bounded)), "AND_EXPR");
}

TEST(PgBatchRewrite, SingleKeyAndedToTheWrittenCondition) {
  const PgBatchedStatement out = pg_add_batch_range(
      "UPDATE orders SET status = 'new' WHERE status IS NULL", {"", "orders", ""}, kBigintId);
  EXPECT_EQ(out.bounded,
            "UPDATE orders SET status = 'new' WHERE status IS NULL AND (orders.id > $1::bigint "
            "AND orders.id <= $2::bigint)");
  EXPECT_EQ(out.from,
            "UPDATE orders SET status = 'new' WHERE status IS NULL AND orders.id > $1::bigint");
  EXPECT_EQ(out.through,
            "UPDATE orders SET status = 'new' WHERE status IS NULL AND orders.id <= "
            "$1::bigint");
}

TEST(PgBatchRewrite, CompositeKeyComparesAsARow) {
  const PgBatchedStatement out =
      pg_add_batch_range("UPDATE line_items SET total = qty * price WHERE total IS NULL",
                         {"", "line_items", ""}, {{"order_id", "line_no"}, {"bigint", "integer"}});
  EXPECT_EQ(out.bounded,
            "UPDATE line_items SET total = qty * price WHERE total IS NULL AND "
            "((line_items.order_id, line_items.line_no) > ($1::bigint, $2::int) AND "
            "(line_items.order_id, line_items.line_no) <= ($3::bigint, $4::int))");
  EXPECT_EQ(out.from,
            "UPDATE line_items SET total = qty * price WHERE total IS NULL AND "
            "(line_items.order_id, line_items.line_no) > ($1::bigint, $2::int)");
  EXPECT_EQ(out.through,
            "UPDATE line_items SET total = qty * price WHERE total IS NULL AND "
            "(line_items.order_id, line_items.line_no) <= ($1::bigint, $2::int)");
  // A row comparison, not column by column: PostgreSQL's RowCompareExpr, ordered as the key.
  const auto where = where_clause(out.from);
  ASSERT_EQ(bool_op(where), "AND_EXPR");
  const auto& range = where["BoolExpr"]["args"][1];
  ASSERT_TRUE(range.contains("A_Expr")) << range.dump();
  EXPECT_EQ(range["A_Expr"]["lexpr"]["RowExpr"]["args"].size(), 2u);
  EXPECT_EQ(range["A_Expr"]["rexpr"]["RowExpr"]["args"].size(), 2u);
}

TEST(PgBatchRewrite, AnOrStaysInsideItsParentheses) {
  const PgBatchedStatement out =
      pg_add_batch_range("UPDATE orders SET status = 'new' WHERE status IS NULL OR status = ''",
                         {"", "orders", ""}, kBigintId);
  EXPECT_EQ(out.bounded,
            "UPDATE orders SET status = 'new' WHERE (status IS NULL OR status = '') AND "
            "(orders.id > $1::bigint AND orders.id <= $2::bigint)");
  EXPECT_EQ(out.from,
            "UPDATE orders SET status = 'new' WHERE (status IS NULL OR status = '') AND "
            "orders.id > $1::bigint");
  for (const std::string& sql : {out.bounded, out.from, out.through}) {
    SCOPED_TRACE(sql);
    const auto where = where_clause(sql);
    ASSERT_EQ(bool_op(where), "AND_EXPR");
    EXPECT_EQ(bool_op(where["BoolExpr"]["args"][0]), "OR_EXPR");
    EXPECT_EQ(where["BoolExpr"]["args"].size(), 2u);
  }
}

TEST(PgBatchRewrite, AnAliasedTargetIsBoundByItsAlias) {
  const PgBatchedStatement out = pg_add_batch_range(
      "UPDATE orders o SET status = 'new' WHERE o.status IS NULL", {"", "orders", "o"}, kBigintId);
  EXPECT_EQ(out.bounded,
            "UPDATE orders o SET status = 'new' WHERE o.status IS NULL AND (o.id > $1::bigint AND "
            "o.id <= $2::bigint)");
  EXPECT_EQ(out.through,
            "UPDATE orders o SET status = 'new' WHERE o.status IS NULL AND o.id <= $1::bigint");
}

TEST(PgBatchRewrite, SchemaQualifiedTarget) {
  const PgBatchedStatement out =
      pg_add_batch_range("UPDATE app.orders SET status = 'new' WHERE status IS NULL",
                         {"app", "orders", ""}, kBigintId);
  EXPECT_EQ(out.bounded,
            "UPDATE app.orders SET status = 'new' WHERE status IS NULL AND "
            "(app.orders.id > $1::bigint AND app.orders.id <= $2::bigint)");
}

TEST(PgBatchRewrite, QuotedNamesStayQuoted) {
  const PgBatchedStatement out = pg_add_batch_range(
      "UPDATE \"Order Lines\" SET v = 1", {"", "Order Lines", ""}, {{"Line \"Id\""}, {"integer"}});
  EXPECT_EQ(out.from,
            "UPDATE \"Order Lines\" SET v = 1 WHERE \"Order Lines\".\"Line \"\"Id\"\"\" > "
            "$1::int");
}

TEST(PgBatchRewrite, Delete) {
  const PgBatchedStatement out =
      pg_add_batch_range("DELETE FROM events WHERE created_at < now() - interval '90 days'",
                         {"", "events", ""}, kBigintId);
  EXPECT_EQ(out.bounded,
            "DELETE FROM events WHERE created_at < (now() - '90 days'::interval) AND "
            "(events.id > $1::bigint AND events.id <= $2::bigint)");
  EXPECT_EQ(out.from,
            "DELETE FROM events WHERE created_at < (now() - '90 days'::interval) AND "
            "events.id > $1::bigint");
  EXPECT_EQ(bool_op(where_clause(out.bounded)), "AND_EXPR");
}

// ---------------------------------------------------------------------------------------------
// The explicit form's key, read from the tree

TEST(PgPlaceholderKey, InsertSelectThroughAnAlias) {
  auto k = pg_placeholder_key(
      "INSERT INTO orders_new (id, total) SELECT o.id, o.total FROM orders o "
      "WHERE o.id > :batch_start AND o.id <= :batch_end");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->table.name, "orders");
  EXPECT_EQ(k->table.alias, "o");
  EXPECT_EQ(k->table.schema, "");
  EXPECT_EQ(k->column, "id");
}

TEST(PgPlaceholderKey, UnqualifiedColumnOfTheOnlyTableRead) {
  // The INSERT's target is written, not read: the column belongs to the source.
  auto k = pg_placeholder_key(
      "INSERT INTO archive.events SELECT * FROM app.events WHERE id > :batch_start AND id <= "
      ":batch_end");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->table.schema, "app");
  EXPECT_EQ(k->table.name, "events");
  EXPECT_EQ(k->column, "id");

  auto u =
      pg_placeholder_key("UPDATE t SET v = v * 2 WHERE :batch_start < id AND id <= :batch_end");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->table.name, "t");
  EXPECT_EQ(u->column, "id");
}

TEST(PgPlaceholderKey, CastPlaceholderAndQualifiedTable) {
  auto k = pg_placeholder_key(
      "UPDATE app.t SET v = 1 WHERE app.t.id > :batch_start::bigint AND app.t.id <= "
      ":batch_end::bigint");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->table.schema, "app");
  EXPECT_EQ(k->table.name, "t");
  EXPECT_EQ(k->column, "id");
}

TEST(PgPlaceholderKey, AJoinWithoutQualifierDoesNotTell) {
  EXPECT_FALSE(pg_placeholder_key(
      "UPDATE a SET v = b.v FROM b WHERE a.ref = b.ref AND id > :batch_start AND id <= "
      ":batch_end"));
  EXPECT_FALSE(pg_placeholder_key(
      "INSERT INTO n SELECT x.id FROM x JOIN y USING (k) WHERE id > :batch_start"));
  // A qualifier that names no table of the statement.
  EXPECT_FALSE(pg_placeholder_key("UPDATE a SET v = 1 WHERE zz.id > :batch_start"));
  // Only :batch_end: nothing compares with the start.
  EXPECT_FALSE(pg_placeholder_key("UPDATE a SET v = 1 WHERE id <= :batch_end"));
}

// ---------------------------------------------------------------------------------------------
// The checkpoint in the history

TEST(BackfillCheckpoint, WriteThenReadGivesItBack) {
  BackfillCheckpoint c;
  c.statement = 2;
  c.table = "\"public\".\"orders\"";
  c.after = {"41000", "7"};
  c.rows = 40950;
  c.batches = 41;
  c.elapsed_ms = 8120;
  c.rows_estimated = 500000;
  c.finished = false;
  Attempt a;
  a.checkpoint = write_backfill_checkpoint(c);
  auto back = read_backfill_checkpoint(a);
  ASSERT_TRUE(back) << *a.checkpoint;
  EXPECT_EQ(back->statement, 2);
  EXPECT_EQ(back->table, c.table);
  EXPECT_EQ(back->after, c.after);
  EXPECT_EQ(back->rows, 40950);
  EXPECT_EQ(back->batches, 41);
  EXPECT_EQ(back->elapsed_ms, 8120);
  EXPECT_EQ(back->rows_estimated, 500000.0);
  EXPECT_FALSE(back->finished);

  // Before the first batch, without an estimate, then finished.
  BackfillCheckpoint start;
  start.statement = 1;
  start.table = "\"t\"";
  a.checkpoint = write_backfill_checkpoint(start);
  back = read_backfill_checkpoint(a);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->after.empty());
  EXPECT_FALSE(back->rows_estimated);
  start.finished = true;
  a.checkpoint = write_backfill_checkpoint(start);
  EXPECT_TRUE(read_backfill_checkpoint(a)->finished);
}

TEST(BackfillCheckpoint, OtherCheckpointsAreNotABackfills) {
  Attempt a;
  EXPECT_FALSE(read_backfill_checkpoint(a));
  a.checkpoint = "";
  EXPECT_FALSE(read_backfill_checkpoint(a));
  a.checkpoint = R"({"statement": 3})";
  EXPECT_FALSE(read_backfill_checkpoint(a));
  a.checkpoint = R"({"backfill": )";
  EXPECT_FALSE(read_backfill_checkpoint(a));
  a.checkpoint = R"({"backfill": 5})";
  EXPECT_FALSE(read_backfill_checkpoint(a));
  a.checkpoint = R"({"backfill": {"statement": 0, "rows": 5}})";
  EXPECT_FALSE(read_backfill_checkpoint(a));
  a.checkpoint = R"({"backfill": {"statement": 1, "after": [41000]}})";
  EXPECT_FALSE(read_backfill_checkpoint(a));
  EXPECT_FALSE(backfill_status(a));
}

TEST(BackfillStatus, RateAndEta) {
  BackfillCheckpoint c;
  c.statement = 1;
  c.table = "\"orders\"";
  c.after = {"40000"};
  c.rows = 40000;
  c.batches = 40;
  c.elapsed_ms = 8000;
  c.rows_estimated = 100000;
  Attempt a;
  a.checkpoint = write_backfill_checkpoint(c);
  auto s = backfill_status(a);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->statement, 1);
  EXPECT_EQ(s->table, "\"orders\"");
  EXPECT_EQ(s->after, std::vector<std::string>{"40000"});
  EXPECT_EQ(s->rows_done, 40000);
  EXPECT_EQ(s->batches, 40);
  EXPECT_DOUBLE_EQ(s->rows_per_second, 5000.0);
  ASSERT_TRUE(s->eta_seconds);
  EXPECT_DOUBLE_EQ(*s->eta_seconds, 12.0);
  EXPECT_FALSE(s->finished);
}

TEST(BackfillStatus, NoEtaWithoutAnEstimateOrATime) {
  BackfillCheckpoint c;
  c.statement = 1;
  c.rows = 500;
  c.elapsed_ms = 250;
  Attempt a;
  a.checkpoint = write_backfill_checkpoint(c);
  auto s = backfill_status(a);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->rows_per_second, 2000.0);
  EXPECT_FALSE(s->eta_seconds);

  c.elapsed_ms = 0;
  c.rows_estimated = 1000;
  a.checkpoint = write_backfill_checkpoint(c);
  s = backfill_status(a);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->rows_per_second, 0.0);
  EXPECT_FALSE(s->eta_seconds);
}

TEST(BackfillStatus, EtaIsNeverNegativeWhenTheEstimateWasLow) {
  BackfillCheckpoint c;
  c.statement = 1;
  c.rows = 1200;
  c.elapsed_ms = 1000;
  c.rows_estimated = 1000;
  Attempt a;
  a.checkpoint = write_backfill_checkpoint(c);
  auto s = backfill_status(a);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->eta_seconds);
  EXPECT_EQ(*s->eta_seconds, 0.0);
}

}  // namespace
}  // namespace migrate
