// The analyzer's lock table (pg_statement_effects.cpp) checked against PostgreSQL itself: every
// statement kind it names a lock for runs on a real server, and the strongest lock pg_locks shows
// on each relation the analyzer names must be the level the analyzer reports. Documentation and
// memory of which command takes which lock drift; the server does not.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "libmigrate/analysis/pg_rule.hpp"
#include "libmigrate/sql/postgres_statement.hpp"
#include "support/postgres_test_database.hpp"

namespace migrate {
namespace {

using testing::PostgresTestDatabase;

// Every statement below runs against these objects. Rebuilt after a statement that commits.
const char* const kFixture = R"sql(
DROP SCHEMA IF EXISTS public CASCADE;
DROP SCHEMA IF EXISTS other CASCADE;
CREATE SCHEMA public;
CREATE SCHEMA other;
CREATE TABLE parent (id int PRIMARY KEY, name text);
CREATE TABLE child (id int PRIMARY KEY, parent_id int, c text, n int);
ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent NOT VALID;
ALTER TABLE child ADD CONSTRAINT n_positive CHECK (n > 0) NOT VALID;
CREATE INDEX child_c_idx ON child (c);
CREATE UNIQUE INDEX child_n_key ON child (n);
CREATE TABLE solo (id int, v text, w int NOT NULL DEFAULT 0);
CREATE TABLE base (id int);
CREATE TABLE heir () INHERITS (base);
CREATE TABLE orphan (id int);
CREATE TABLE events (id int, k int) PARTITION BY RANGE (k);
CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (0) TO (100);
CREATE TABLE events_2 (id int, k int);
CREATE MATERIALIZED VIEW parent_mv AS SELECT id, name FROM parent;
CREATE UNIQUE INDEX parent_mv_id ON parent_mv (id);
CREATE VIEW parent_v AS SELECT id, name FROM parent;
CREATE SEQUENCE counter;
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER child_touch BEFORE UPDATE ON child FOR EACH ROW EXECUTE FUNCTION touch();
CREATE RULE solo_log AS ON DELETE TO solo DO ALSO NOTHING;
CREATE POLICY child_own ON child USING (true);
INSERT INTO parent VALUES (1, 'a');
INSERT INTO child VALUES (1, 1, 'x', 1);
INSERT INTO solo VALUES (1, 'x', 1);
REFRESH MATERIALIZED VIEW parent_mv;
)sql";

struct LockCase {
  const char* sql;
  // Statements that cannot run in a transaction block: a second session holds this in an open
  // transaction, so the statement stops in one of its waits (for older transactions, or for its
  // first lock) and pg_locks shows what it holds or asks for there, its long-held locks.
  const char* blocker = nullptr;
  // Relations PostgreSQL locks at SHARE or stronger that the statement does not name: only the
  // catalog knows them (an index's table, the other table of a foreign key).
  std::set<std::string> catalog_only = {};
};

// Statements that take an explicit lock on their own; transactional unless `blocker` is set.
const std::vector<LockCase> kCases = {
    // ALTER TABLE: each AlterTableCmd subtype the lock table distinguishes, and a few it does not.
    {"ALTER TABLE solo ADD COLUMN x int"},
    {"ALTER TABLE solo ADD COLUMN u uuid DEFAULT gen_random_uuid()"},
    {"ALTER TABLE solo ADD COLUMN parent_id int REFERENCES parent"},
    {"ALTER TABLE solo ALTER COLUMN v TYPE varchar(10)"},
    {"ALTER TABLE solo ADD CONSTRAINT solo_parent_fk FOREIGN KEY (id) REFERENCES parent"},
    {"ALTER TABLE solo ADD CONSTRAINT solo_parent_fk FOREIGN KEY (id) REFERENCES parent NOT VALID"},
    {"ALTER TABLE solo ADD CONSTRAINT w_positive CHECK (w >= 0)"},
    {"ALTER TABLE solo ADD CONSTRAINT w_positive CHECK (w >= 0) NOT VALID"},
    {"ALTER TABLE solo ADD CONSTRAINT solo_w_key UNIQUE (w)"},
    {"ALTER TABLE solo ADD PRIMARY KEY (w)"},
    {"ALTER TABLE child ADD CONSTRAINT child_n_unique UNIQUE USING INDEX child_n_key"},
    {"ALTER TABLE solo ADD CONSTRAINT solo_excl EXCLUDE USING btree (w WITH =)"},
    // VALIDATE of a foreign key also takes ROW SHARE on the referenced table.
    {"ALTER TABLE child VALIDATE CONSTRAINT child_parent_fk"},
    {"ALTER TABLE child VALIDATE CONSTRAINT n_positive"},
    {"ALTER TABLE solo ALTER COLUMN v SET NOT NULL"},
    {"ALTER TABLE solo ALTER COLUMN w DROP NOT NULL"},
    {"ALTER TABLE solo DROP COLUMN v"},
    {"ALTER TABLE child DROP CONSTRAINT n_positive"},
    // Dropping a foreign key drops its triggers on the referenced table too.
    {"ALTER TABLE child DROP CONSTRAINT child_parent_fk", nullptr, {"parent"}},
    {"ALTER TABLE solo ALTER COLUMN v SET DEFAULT 'x'"},
    {"ALTER TABLE solo ALTER COLUMN w DROP DEFAULT"},
    {"ALTER TABLE events DETACH PARTITION events_1"},
    // Its second transaction takes ACCESS EXCLUSIVE on the partition once older transactions on
    // the parent are gone; a reader of the partition makes it wait there.
    {"ALTER TABLE events DETACH PARTITION events_1 CONCURRENTLY",
     "LOCK TABLE events_1 IN ACCESS SHARE MODE"},
    {"ALTER TABLE events ATTACH PARTITION events_2 FOR VALUES FROM (100) TO (200)"},
    {"ALTER TABLE solo SET TABLESPACE pg_default"},
    {"ALTER TABLE solo SET UNLOGGED"},
    {"ALTER TABLE child ENABLE TRIGGER child_touch"},
    {"ALTER TABLE child DISABLE TRIGGER child_touch"},
    {"ALTER TABLE child DISABLE TRIGGER ALL"},
    {"ALTER TABLE child ENABLE TRIGGER USER"},
    {"ALTER TABLE solo ALTER COLUMN v SET STATISTICS 500"},
    {"ALTER TABLE solo ALTER COLUMN v SET (n_distinct = 10)"},
    {"ALTER TABLE solo ALTER COLUMN v RESET (n_distinct)"},
    {"ALTER TABLE child CLUSTER ON child_c_idx"},
    {"ALTER TABLE child SET WITHOUT CLUSTER"},
    {"ALTER TABLE solo SET (fillfactor = 70)"},
    {"ALTER TABLE solo RESET (fillfactor)"},
    {"ALTER TABLE solo SET (fillfactor = 70), ADD COLUMN x int"},
    {"ALTER TABLE solo ENABLE ROW LEVEL SECURITY"},
    {"ALTER TABLE solo ALTER COLUMN v SET STORAGE EXTERNAL"},
    {"ALTER TABLE solo REPLICA IDENTITY FULL"},
    {"ALTER TABLE solo OWNER TO CURRENT_USER"},
    {"ALTER TABLE orphan INHERIT base"},
    {"ALTER TABLE heir NO INHERIT base"},
    {"ALTER INDEX child_c_idx SET (fillfactor = 70)"},
    {"ALTER TABLE solo SET SCHEMA other"},
    {"ALTER SEQUENCE counter RESTART"},
    // Indexes.
    {"CREATE INDEX solo_v_idx ON solo (v)"},
    {"CREATE UNIQUE INDEX solo_w_idx ON solo (w)"},
    {"CREATE INDEX CONCURRENTLY solo_v_idx ON solo (v)", "LOCK TABLE solo IN ROW EXCLUSIVE MODE"},
    {"DROP INDEX child_c_idx", nullptr, {"child"}},
    {"DROP INDEX CONCURRENTLY child_c_idx", "LOCK TABLE child IN ROW EXCLUSIVE MODE"},
    {"REINDEX INDEX child_c_idx", nullptr, {"child"}},
    {"REINDEX TABLE child"},
    {"REINDEX INDEX CONCURRENTLY child_c_idx", "LOCK TABLE child IN ROW EXCLUSIVE MODE"},
    {"REINDEX TABLE CONCURRENTLY child", "LOCK TABLE child IN ROW EXCLUSIVE MODE"},
    // Creating relations, views, triggers, rules, policies.
    {"CREATE TABLE fresh (id int REFERENCES parent)"},
    {"CREATE TABLE fresh (LIKE parent)"},
    {"CREATE TABLE fresh () INHERITS (base)"},
    {"CREATE TABLE events_3 PARTITION OF events FOR VALUES FROM (200) TO (300)"},
    {"CREATE TABLE fresh AS SELECT * FROM parent"},
    {"CREATE MATERIALIZED VIEW fresh_mv AS SELECT p.id FROM parent p JOIN child c ON c.id = p.id"},
    {"CREATE MATERIALIZED VIEW fresh_mv AS SELECT id FROM parent WITH NO DATA"},
    {"CREATE VIEW fresh_v AS SELECT p.id FROM parent p JOIN child c ON c.id = p.id"},
    {"CREATE OR REPLACE VIEW parent_v AS SELECT id, name FROM parent"},
    {"CREATE SEQUENCE fresh_seq"},
    {"CREATE TRIGGER solo_touch BEFORE INSERT ON solo FOR EACH ROW EXECUTE FUNCTION touch()"},
    {"CREATE RULE solo_copy AS ON INSERT TO solo DO ALSO INSERT INTO parent VALUES (NEW.id, "
     "NEW.v)"},
    {"CREATE POLICY child_parent ON child USING (parent_id IN (SELECT id FROM parent))"},
    {"ALTER POLICY child_own ON child USING (id > 0)"},
    {"CREATE STATISTICS solo_stats ON id, w FROM solo"},
    {"REFRESH MATERIALIZED VIEW parent_mv"},
    {"REFRESH MATERIALIZED VIEW CONCURRENTLY parent_mv"},
    // Dropping and renaming.
    {"TRUNCATE solo"},
    {"DROP TABLE solo"},
    // The foreign key's triggers on the referenced table go with the table.
    {"DROP TABLE child", nullptr, {"parent"}},
    {"DROP VIEW parent_v"},
    {"DROP MATERIALIZED VIEW parent_mv"},
    {"DROP SEQUENCE counter"},
    {"DROP TRIGGER child_touch ON child"},
    {"DROP RULE solo_log ON solo"},
    {"DROP POLICY child_own ON child"},
    {"ALTER TABLE solo RENAME TO solo_renamed"},
    {"ALTER TABLE solo RENAME COLUMN v TO v2"},
    {"ALTER TABLE child RENAME CONSTRAINT n_positive TO n_above_zero"},
    {"ALTER INDEX child_c_idx RENAME TO child_c_index"},
    {"ALTER VIEW parent_v RENAME TO parent_view"},
    {"ALTER MATERIALIZED VIEW parent_mv RENAME TO parent_matview"},
    {"ALTER SEQUENCE counter RENAME TO tally"},
    {"ALTER TRIGGER child_touch ON child RENAME TO child_touched"},
    // Comments, grants, types.
    {"COMMENT ON TABLE solo IS 'x'"},
    {"COMMENT ON COLUMN solo.v IS 'x'"},
    {"COMMENT ON INDEX child_c_idx IS 'x'"},
    {"COMMENT ON TRIGGER child_touch ON child IS 'x'"},
    {"COMMENT ON CONSTRAINT n_positive ON child IS 'x'"},
    {"GRANT SELECT ON solo TO PUBLIC"},
    {"REVOKE SELECT ON solo FROM PUBLIC"},
    {"ALTER TYPE mood ADD VALUE 'calm'"},
    {"ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'"},
    // Maintenance.
    {"VACUUM solo", "LOCK TABLE solo IN SHARE UPDATE EXCLUSIVE MODE"},
    {"VACUUM FULL solo", "LOCK TABLE solo IN SHARE UPDATE EXCLUSIVE MODE"},
    {"VACUUM (ANALYZE) solo", "LOCK TABLE solo IN SHARE UPDATE EXCLUSIVE MODE"},
    {"ANALYZE solo"},
    {"CLUSTER child USING child_c_idx"},
    // LOCK TABLE, each mode.
    {"LOCK TABLE solo IN ACCESS SHARE MODE"},
    {"LOCK TABLE solo IN ROW SHARE MODE"},
    {"LOCK TABLE solo IN ROW EXCLUSIVE MODE"},
    {"LOCK TABLE solo IN SHARE UPDATE EXCLUSIVE MODE"},
    {"LOCK TABLE solo IN SHARE MODE"},
    {"LOCK TABLE solo IN SHARE ROW EXCLUSIVE MODE"},
    {"LOCK TABLE solo IN EXCLUSIVE MODE"},
    {"LOCK TABLE solo IN ACCESS EXCLUSIVE MODE"},
    {"LOCK TABLE solo"},
    {"LOCK TABLE solo, parent IN SHARE MODE"},
    // Data.
    {"SELECT * FROM solo"},
    {"SELECT * FROM parent_v"},
    {"SELECT * FROM solo JOIN parent ON parent.id = solo.id"},
    {"SELECT * FROM solo FOR UPDATE"},
    {"SELECT * FROM solo FOR SHARE"},
    {"SELECT * FROM solo JOIN parent ON parent.id = solo.id FOR UPDATE OF solo"},
    {"WITH moved AS (DELETE FROM solo RETURNING id) SELECT * FROM moved"},
    {"INSERT INTO solo VALUES (2, 'y', 2)"},
    {"INSERT INTO solo SELECT id, name, 0 FROM parent"},
    {"INSERT INTO parent VALUES (1, 'b') ON CONFLICT (id) DO UPDATE SET name = excluded.name"},
    {"UPDATE solo SET v = 'z'"},
    {"UPDATE solo SET v = parent.name FROM parent WHERE parent.id = solo.id"},
    {"DELETE FROM solo USING parent WHERE parent.id = solo.id"},
    // The foreign key check reads the referenced table FOR KEY SHARE (ROW SHARE, not named).
    {"UPDATE child SET parent_id = 1"},
    {"MERGE INTO orphan USING parent ON parent.id = orphan.id WHEN MATCHED THEN UPDATE SET id = "
     "parent.id"},
    {"COPY solo FROM '/dev/null'"},
    {"COPY solo TO '/dev/null'"},
    {"EXPLAIN SELECT * FROM solo"},
    {"EXPLAIN UPDATE solo SET v = 'z'"},
};

LockLevel level_of_mode(const std::string& mode) {
  static const std::map<std::string, LockLevel> kModes{
      {"AccessShareLock", LockLevel::kAccessShare},
      {"RowShareLock", LockLevel::kRowShare},
      {"RowExclusiveLock", LockLevel::kRowExclusive},
      {"ShareUpdateExclusiveLock", LockLevel::kShareUpdateExclusive},
      {"ShareLock", LockLevel::kShare},
      {"ShareRowExclusiveLock", LockLevel::kShareRowExclusive},
      {"ExclusiveLock", LockLevel::kExclusive},
      {"AccessExclusiveLock", LockLevel::kAccessExclusive}};
  auto it = kModes.find(mode);
  return it == kModes.end() ? LockLevel::kNone : it->second;
}

// One relation as pg_locks shows it: the strongest mode held or asked for by the backend.
struct ServerLock {
  std::string name;  // pg_class.relname at the time of the query; the oid once dropped
  char relkind = 0;
  LockLevel level = LockLevel::kNone;
};
using ServerLocks = std::map<std::string, ServerLock>;  // by oid

// The relation locks of backend `pid` on this database's own (non-catalog) relations.
std::string locks_query(int pid) {
  // A relation the statement dropped has no pg_class row left, only its oid.
  return "SELECT l.relation::oid::text, coalesce(c.relname::text, l.relation::oid::text), "
         "coalesce(c.relkind, '?'), l.mode FROM pg_locks l "
         "LEFT JOIN pg_class c ON c.oid = l.relation "
         "WHERE l.locktype = 'relation' AND l.pid = " +
         std::to_string(pid) +
         " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
         "AND (c.oid IS NULL OR c.relnamespace NOT IN ('pg_catalog'::regnamespace, "
         "'pg_toast'::regnamespace, 'information_schema'::regnamespace))";
}

template <typename Transaction>
ServerLocks read_locks(Transaction& t, int pid) {
  ServerLocks out;
  for (const auto& row : t.exec(locks_query(pid))) {
    ServerLock& lock = out[row[0].c_str()];
    lock.name = row[1].c_str();
    lock.relkind = row[2].c_str()[0];
    LockLevel level = level_of_mode(row[3].c_str());
    if (static_cast<int>(level) > static_cast<int>(lock.level)) lock.level = level;
  }
  return out;
}

// The oid of each name that resolves now (to_regclass); absent names are left out.
template <typename Transaction>
std::map<std::string, std::string> resolve(Transaction& t, const std::set<std::string>& names) {
  std::map<std::string, std::string> out;
  for (const auto& name : names) {
    auto r = t.exec("SELECT to_regclass(" + t.quote(name) + ")::oid::text");
    if (!r.empty() && !r[0][0].is_null()) out[name] = r[0][0].c_str();
  }
  return out;
}

// Runs a statement that cannot run in a transaction block while `blocker` holds its lock in a
// second session, and reads the statement's locks from a third once it waits.
ServerLocks observe_non_transactional(const PostgresTestDatabase& db, const LockCase& c,
                                      std::string& error) {
  pqxx::connection blocker(db.url());
  pqxx::work blocker_tx(blocker);
  blocker_tx.exec(c.blocker);

  pqxx::connection subject(db.url());
  const int pid = subject.backendpid();
  std::thread run([&] {
    try {
      pqxx::nontransaction q(subject);
      q.exec("SET statement_timeout = '60s'");
      q.exec(c.sql);
    } catch (const std::exception& e) {
      error = e.what();
    }
  });

  pqxx::connection observer(db.url());
  ServerLocks locks;
  bool waited = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    pqxx::nontransaction q(observer);
    auto waiting =
        q.exec("SELECT count(*) FROM pg_locks WHERE NOT granted AND pid = " + std::to_string(pid));
    if (waiting[0][0].as<int>() > 0) {
      locks = read_locks(q, pid);
      waited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  blocker_tx.abort();
  run.join();
  if (!waited && error.empty()) error = "never waited behind the blocker, so no locks were seen";
  return locks;
}

std::string describe_locks(const ServerLocks& locks) {
  std::string out;
  for (const auto& [oid, l] : locks)
    out += (out.empty() ? "" : ", ") + l.name + " " + to_string(l.level);
  return out.empty() ? "none" : out;
}

TEST(LockLevels, AnalyzerMatchesPgLocksForEveryStatementKind) {
  MIGRATE_REQUIRE_POSTGRES(db);
  AnalysisOptions options;
  options.server_version_num = 150000;
  PgMigrationContext ctx(options);

  pqxx::connection conn(db->url());
  bool fixture_current = false;
  std::vector<std::string> mismatches;
  for (const LockCase& c : kCases) {
    if (!fixture_current) pqxx::nontransaction(conn).exec(kFixture);
    fixture_current = c.blocker == nullptr;  // a non-transactional statement commits its work

    const PgStatementInfo info = describe_postgres_statement(c.sql);
    const StatementAnalysis effects = pg_statement_effects(info, ctx);
    std::map<std::string, LockLevel> reported;
    for (const auto& name : info.relations) reported[name] = LockLevel::kNone;
    for (const auto& l : effects.locks) reported[l.relation] = l.level;
    std::set<std::string> names;
    for (const auto& [name, level] : reported) names.insert(name);

    std::map<std::string, std::string> oids;
    ServerLocks server;
    std::string error;
    if (c.blocker == nullptr) {
      try {
        pqxx::work t(conn);
        oids = resolve(t, names);
        t.exec(c.sql);
        for (const auto& [name, oid] : resolve(t, names)) oids.emplace(name, oid);  // new ones
        server = read_locks(t, conn.backendpid());
        t.abort();
      } catch (const std::exception& e) {
        error = e.what();
      }
    } else {
      {
        pqxx::nontransaction q(conn);
        oids = resolve(q, names);
      }
      server = observe_non_transactional(*db, c, error);
    }
    if (!error.empty()) {
      mismatches.push_back(std::string(c.sql) + ": did not run: " + error);
      continue;
    }

    std::set<std::string> compared;
    for (const auto& [name, level] : reported) {
      auto oid = oids.find(name);
      if (oid == oids.end()) {
        mismatches.push_back(std::string(c.sql) + ": names " + name + ", which does not exist");
        continue;
      }
      compared.insert(oid->second);
      auto s = server.find(oid->second);
      LockLevel actual = s == server.end() ? LockLevel::kNone : s->second.level;
      if (actual != level)
        mismatches.push_back(std::string(c.sql) + ": " + name + ": analyzer " + to_string(level) +
                             ", PostgreSQL " + to_string(actual) +
                             " (pg_locks: " + describe_locks(server) + ")");
    }
    // A table the statement blocks writes on without naming it is a lock the analyzer misses.
    for (const auto& [oid, l] : server) {
      if (compared.count(oid) > 0 || c.catalog_only.count(l.name) > 0) continue;
      if (l.relkind == 'i' || l.relkind == 'I') continue;  // indexes follow their table
      // Gone when pg_locks was read: a rewrite's transient heap, a dropped index or TOAST table.
      if (l.relkind == '?') continue;
      if (static_cast<int>(l.level) >= static_cast<int>(LockLevel::kShare))
        mismatches.push_back(std::string(c.sql) + ": " + l.name + ": analyzer names it not, " +
                             "PostgreSQL " + to_string(l.level));
    }
  }
  std::string all;
  for (const auto& m : mismatches) all += "  " + m + "\n";
  EXPECT_TRUE(mismatches.empty()) << mismatches.size() << " disagreement(s) with pg_locks over "
                                  << kCases.size() << " statements:\n"
                                  << all;
}

}  // namespace
}  // namespace migrate
