// Runs through a real pgbouncer (Debian `pgbouncer`) started by the test: transaction and
// statement pooling are refused with POOLER_UNSUPPORTED before anything is written or locked,
// whatever the pool's size and server_round_robin; session pooling works like a direct
// connection.
#include <gtest/gtest.h>

#include <libpq-fe.h>

#include <pqxx/pqxx>

#include "libmigrate/backend/postgres/postgres_backend.hpp"
#include "libmigrate/error/failure.hpp"
#include "migrate/migrator.hpp"
#include "support/pgbouncer_process.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::PgBouncerConfig;
using testing::PgBouncerProcess;
using testing::PostgresTestDatabase;
using testing::TestWorkspace;

Options options_for(const TestWorkspace& ws, const std::string& url) {
  Options o = ws.options();
  o.database_url = url;
  o.lock_wait = std::chrono::milliseconds(2000);
  return o;
}

void write_two_migrations(const TestWorkspace& ws) {
  ws.write_migration("V1__items.up.sql", "CREATE TABLE items (id bigint PRIMARY KEY, b int);\n");
  ws.write_migration("V1__items.down.sql", "DROP TABLE items;\n");
  ws.write_migration("V2__items_b.up.sql",
                     "-- migrate:transaction off\n"
                     "CREATE INDEX CONCURRENTLY items_b_idx ON items (b);\n");
  ws.write_migration("V2__items_b.down.sql",
                     "-- migrate:transaction off\n"
                     "DROP INDEX CONCURRENTLY items_b_idx;\n");
}

// Nothing of a refused run is left: no history table, no migrated table, no migration lock
// held by any session (a pooled server session would keep it after the client left).
void expect_untouched(const PostgresTestDatabase& db) {
  EXPECT_EQ(db.query("SELECT to_regclass('public.migrate_history') IS NULL, "
                     "to_regclass('public.items') IS NULL"),
            std::vector<std::string>{"t|t"});
  // This database's only: tests running beside this one take their own migration locks.
  EXPECT_EQ(db.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                     "(SELECT oid FROM pg_database WHERE datname = current_database())"),
            std::vector<std::string>{"0"});
}

struct PoolShape {
  const char* name;
  PgBouncerConfig config;
  int warm_server_sessions;  // idle server sessions in the pool before the run
};

class TransactionPooling : public ::testing::TestWithParam<PoolShape> {};

TEST_P(TransactionPooling, ApplyIsRefusedBeforeAnythingIsLockedOrWritten) {
  MIGRATE_REQUIRE_POSTGRES(db);
  MIGRATE_REQUIRE_PGBOUNCER(bouncer, *db, GetParam().config);
  bouncer->open_server_sessions(GetParam().warm_server_sessions);
  TestWorkspace ws;
  write_two_migrations(ws);

  // Several runs, so that one lucky assignment of server sessions cannot pass for a direct
  // connection.
  for (int run = 0; run < 5; ++run) {
    RunReport report = Migrator(options_for(ws, bouncer->url())).apply(std::nullopt);
    ASSERT_TRUE(report.error) << "run " << run << " went through a transaction pooler\n"
                              << bouncer->log();
    EXPECT_EQ(report.error->code, ErrorCode::kPoolerUnsupported) << report.error->describe() << "\n"
                                                                 << bouncer->log();
    EXPECT_NE(report.error->message.find("pooling mode (pgbouncer)"), std::string::npos)
        << report.error->message;
    EXPECT_NE(report.error->hint.find("pool_mode = session"), std::string::npos);
    EXPECT_TRUE(report.steps.empty());
    expect_untouched(*db);
  }

  // The fix the hint gives: directly, the same migrations apply (no lock was left behind).
  RunReport direct = Migrator(options_for(ws, db->url())).apply(std::nullopt);
  ASSERT_FALSE(direct.error) << direct.error->describe();
  EXPECT_EQ(direct.steps.size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(
    Pgbouncer, TransactionPooling,
    ::testing::Values(PoolShape{"OneServerSession", {"transaction", false, 1}, 0},
                      PoolShape{"LifoColdPool", {"transaction", false, 5}, 0},
                      PoolShape{"LifoWarmPool", {"transaction", false, 5}, 4},
                      PoolShape{"RoundRobinColdPool", {"transaction", true, 5}, 0},
                      PoolShape{"RoundRobinTwoSessions", {"transaction", true, 2}, 2},
                      PoolShape{"RoundRobinWarmPool", {"transaction", true, 5}, 4},
                      PoolShape{"StatementPooling", {"statement", false, 5}, 0},
                      PoolShape{"StatementPoolingRoundRobin", {"statement", true, 5}, 3}),
    [](const ::testing::TestParamInfo<PoolShape>& shape) { return std::string(shape.param.name); });

TEST(Pgbouncer, TheCliExitsPoolerUnsupportedInTransactionMode) {
  MIGRATE_REQUIRE_POSTGRES(db);
  MIGRATE_REQUIRE_PGBOUNCER(bouncer, *db, (PgBouncerConfig{"transaction", false, 5}));
  TestWorkspace ws;
  write_two_migrations(ws);

  auto r = testing::run_migrate(
      {"--db", bouncer->url(), "--dir", ws.migrations().string(), "--lock-wait", "2s", "apply"},
      ws.root());
  EXPECT_EQ(r.exit_code, 22) << r.out << r.err;
  EXPECT_NE(r.err.find("error[POOLER_UNSUPPORTED]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pool_mode = session"), std::string::npos) << r.err;
  expect_untouched(*db);

  // Reading works through the pooler: status neither locks nor relies on session state.
  auto status = testing::run_migrate(
      {"--db", bouncer->url(), "--dir", ws.migrations().string(), "status"}, ws.root());
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
}

TEST(Pgbouncer, StatementPoolingRefusalOfATransactionBlockIsPoolerUnsupported) {
  MIGRATE_REQUIRE_POSTGRES(db);
  MIGRATE_REQUIRE_PGBOUNCER(bouncer, *db, (PgBouncerConfig{"statement", false, 5}));
  // What pgbouncer answers to BEGIN in statement mode, as libpq reports it (libpqxx 6.4
  // replaces it with "Could not obtain client encoding: not connected."; there the probe before
  // the run lock is what refuses statement pooling).
  std::string what;
  PGconn* c = PQconnectdb(bouncer->url().c_str());
  ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PGresult* r = PQexec(c, "BEGIN");
  if (PQresultStatus(r) != PGRES_COMMAND_OK) what = PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
  ASSERT_FALSE(what.empty()) << "pgbouncer in statement mode accepted a transaction block";
  EXPECT_TRUE(is_pooler_refusal(what)) << what;
  try {
    refuse_if_pooler_refusal(what, SourceLocation{"V1__items.up.sql", "1", 0, 0, 0});
    ADD_FAILURE() << "not refused: " << what;
  } catch (const Failure& f) {
    EXPECT_EQ(f.error().code, ErrorCode::kPoolerUnsupported);
    EXPECT_EQ(f.error().where.version, "1");
    EXPECT_NE(f.error().message.find("transaction blocks not allowed in statement pooling mode"),
              std::string::npos)
        << f.error().message;
  }
  EXPECT_FALSE(is_pooler_refusal("server closed the connection unexpectedly"));
  EXPECT_FALSE(is_pooler_refusal("ERROR:  relation \"items\" does not exist"));
}

TEST(Pgbouncer, SessionPoolingAppliesReportsAndRollsBack) {
  MIGRATE_REQUIRE_POSTGRES(db);
  MIGRATE_REQUIRE_PGBOUNCER(bouncer, *db, (PgBouncerConfig{"session", false, 5}));
  bouncer->open_server_sessions(3);
  TestWorkspace ws;
  write_two_migrations(ws);
  Migrator m(options_for(ws, bouncer->url()));

  RunReport applied = m.apply(std::nullopt);
  ASSERT_FALSE(applied.error) << applied.error->describe() << "\n" << bouncer->log();
  EXPECT_EQ(applied.steps.size(), 2u);
  EXPECT_EQ(db->query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_b_idx'::regclass"),
            std::vector<std::string>{"t"});

  auto status = m.status();
  ASSERT_TRUE(status.ok()) << status.error().describe();
  ASSERT_EQ(status.value().size(), 2u);
  for (const auto& s : status.value()) EXPECT_EQ(s.state, State::kApplied) << s.version;

  RunReport reverted = m.rollback(RollbackTarget{std::nullopt, 2});
  ASSERT_FALSE(reverted.error) << reverted.error->describe();
  EXPECT_EQ(db->query("SELECT to_regclass('public.items') IS NULL"), std::vector<std::string>{"t"});
  // The lock went back with the session: a direct run is not kept waiting.
  EXPECT_EQ(db->query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                      "(SELECT oid FROM pg_database WHERE datname = current_database())"),
            std::vector<std::string>{"0"});

  auto cli = testing::run_migrate(
      {"--db", bouncer->url(), "--dir", ws.migrations().string(), "apply"}, ws.root());
  EXPECT_EQ(cli.exit_code, 0) << cli.out << cli.err;
}

// Behind pgbouncer libpq's backend pid is pgbouncer's made-up cancel key, even in session mode:
// the statement's blockers are looked up by the server's own pid.
TEST(Pgbouncer, SessionPoolingNamesTheSessionThatBlockedAStatement) {
  MIGRATE_REQUIRE_POSTGRES(db);
  MIGRATE_REQUIRE_PGBOUNCER(bouncer, *db, (PgBouncerConfig{"session", false, 5}));
  TestWorkspace ws;
  ws.write_migration("V1__items.up.sql", "CREATE TABLE items (id bigint PRIMARY KEY);\n");
  Options o = options_for(ws, bouncer->url());
  ASSERT_FALSE(Migrator(o).apply(std::nullopt).error);
  ws.write_migration("V2__items_note.up.sql", "ALTER TABLE items ADD COLUMN note text;\n");

  pqxx::connection blocker(db->url());
  pqxx::work blocker_tx(blocker);
  blocker_tx.exec("SELECT count(*) FROM items");
  const int blocker_pid = blocker_tx.exec("SELECT pg_backend_pid()")[0][0].as<int>();

  o.lock_timeout = std::chrono::milliseconds(400);
  o.lock_retries = 0;
  // The statement must wait in the lock queue for the blocker watch to look it up (by default
  // it would wait outside the queue, where pg_locks names the blocker).
  o.queue_avoidance = false;
  RunReport r = Migrator(o).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kLockTimeout) << r.error->describe();
  EXPECT_NE(r.error->message.find("blocked by pid " + std::to_string(blocker_pid)),
            std::string::npos)
      << r.error->message;
}

}  // namespace
}  // namespace migrate
