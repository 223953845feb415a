// The analyzer's lock table (pg_statement_effects.cpp) checked against PostgreSQL itself: every
// statement kind it names a lock for runs on a real server through the library's lock tracer
// (`migrate plan --trace`, libmigrate/backend/lock_tracer.hpp), and the strongest lock pg_locks
// shows on each relation the analyzer names must be the level the analyzer reports. Documentation
// and memory of which command takes which lock drift; the server does not.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "libmigrate/analysis/pg_rule.hpp"
#include "libmigrate/backend/lock_tracer.hpp"
#include "libmigrate/error/failure.hpp"
#include "libmigrate/sql/postgres_statement.hpp"
#include "support/postgres_test_database.hpp"

namespace migrate {
namespace {

using testing::PostgresTestDatabase;

// Every statement below runs against these objects, rebuilt before each (the tracer commits).
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
  // Relations PostgreSQL locks at SHARE or stronger that the statement does not name: only the
  // catalog knows them (an index's table, the other table of a foreign key). The tracer must find
  // them related to a named relation, or it reports them missed.
  std::set<std::string> catalog_only = {};
};

// Statements that take an explicit lock on their own. Those that cannot run in a transaction are
// traced alone while the tracer holds a lock they wait for (a conflicting lock on the table the
// analyzer gives the strongest lock; ROW EXCLUSIVE on a named index's table).
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
    {"ALTER TABLE child DROP CONSTRAINT child_parent_fk", {"parent"}},
    {"ALTER TABLE solo ALTER COLUMN v SET DEFAULT 'x'"},
    {"ALTER TABLE solo ALTER COLUMN w DROP DEFAULT"},
    {"ALTER TABLE events DETACH PARTITION events_1"},
    // Its second transaction takes ACCESS EXCLUSIVE on the partition once older transactions on
    // the parent are gone; a writer of the partition makes it wait there.
    {"ALTER TABLE events DETACH PARTITION events_1 CONCURRENTLY"},
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
    {"CREATE INDEX CONCURRENTLY solo_v_idx ON solo (v)"},
    {"DROP INDEX child_c_idx", {"child"}},
    {"DROP INDEX CONCURRENTLY child_c_idx"},
    {"REINDEX INDEX child_c_idx", {"child"}},
    {"REINDEX TABLE child"},
    {"REINDEX INDEX CONCURRENTLY child_c_idx"},
    {"REINDEX TABLE CONCURRENTLY child"},
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
    {"DROP TABLE child", {"parent"}},
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
    {"VACUUM solo"},
    {"VACUUM FULL solo"},
    {"VACUUM (ANALYZE) solo"},
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

TEST(LockLevels, AnalyzerMatchesPgLocksForEveryStatementKind) {
  MIGRATE_REQUIRE_POSTGRES(db);
  AnalysisOptions options;
  options.server_version_num = 150000;
  PgMigrationContext ctx(options);

  pqxx::connection conn(db->url());
  LockTracer::Settings settings;
  settings.mode = LockTracer::Mode::kCommitEach;
  settings.statement_timeout = std::chrono::seconds(60);
  settings.observe_wait = std::chrono::seconds(20);
  const auto tracer = LockTracer::open(db->url(), settings);
  std::vector<std::string> mismatches;
  int observed_while_waiting = 0;
  for (const LockCase& c : kCases) {
    pqxx::nontransaction(conn).exec(kFixture);

    const PgStatementInfo info = describe_postgres_statement(c.sql);
    const StatementAnalysis effects = pg_statement_effects(info, ctx);
    TracedStatement statement;
    statement.sql = c.sql;
    statement.autocommit = !info.can_run_in_transaction;
    for (const auto& name : info.relations)
      statement.analyzer_locks.push_back({name, LockLevel::kNone});
    for (const auto& l : effects.locks) {
      auto named = std::find_if(statement.analyzer_locks.begin(), statement.analyzer_locks.end(),
                                [&](const RelationLock& r) { return r.relation == l.relation; });
      if (named == statement.analyzer_locks.end())
        statement.analyzer_locks.push_back(l);
      else
        named->level = l.level;
    }

    std::vector<std::string> unknown;
    try {
      unknown = tracer->trace(statement, {});
    } catch (const Failure& f) {
      mismatches.push_back(std::string(c.sql) + ": did not run: " + f.error().message);
      continue;
    }
    if (!statement.traced()) {
      mismatches.push_back(std::string(c.sql) + ": not traced: " + statement.not_traced_reason);
      continue;
    }
    if (statement.autocommit) {
      ++observed_while_waiting;
      EXPECT_EQ(statement.method, TraceMethod::kWhileWaiting) << c.sql;
    }
    std::string seen;
    for (const auto& l : statement.locks)
      seen += (seen.empty() ? "" : ", ") + l.relation + " " + to_string(l.level);
    for (const auto& m : compare_traced_locks(statement, unknown))
      mismatches.push_back(std::string(c.sql) + ": " + m.describe() +
                           " (pg_locks: " + (seen.empty() ? std::string("none") : seen) + ")");
    // What only the catalog explains must be recognized as such by the tracer.
    for (const auto& l : statement.locks)
      if (c.catalog_only.contains(l.relation) && l.related_to.empty())
        mismatches.push_back(std::string(c.sql) + ": " + l.relation + " " + to_string(l.level) +
                             " is not found related to a relation the statement names");
  }
  std::string all;
  for (const auto& m : mismatches) all += "  " + m + "\n";
  EXPECT_TRUE(mismatches.empty()) << mismatches.size() << " disagreement(s) with pg_locks over "
                                  << kCases.size() << " statements:\n"
                                  << all;
  EXPECT_EQ(observed_while_waiting, 8) << "statements that cannot run in a transaction";
}

}  // namespace
}  // namespace migrate
