#include "libmigrate/exec/calibration_runner.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <map>
#include <tuple>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/history/timestamp.hpp"

namespace migrate {
namespace {

using Clock = std::chrono::steady_clock;

constexpr long long kPostgresDefaultRows = 500'000;
constexpr long long kSqliteDefaultRows = 200'000;
// Batches of the batched-update measurement, like a backfill's once it has adapted.
constexpr long long kBatchRows = 10'000;

double number(const SqlValue& v) {
  double d = 0;
  if (v) std::from_chars(v->data(), v->data() + v->size(), d);
  return d;
}

class Measurer {
 public:
  Measurer(Backend& backend, const ScratchSession& fresh, const LogSink& log)
      : backend_(backend), fresh_(fresh), log_(log) {}

  // Runs `sql` (all of it counts) and returns its wall time in milliseconds, on a session of its
  // own when one can be had: a migration's statement runs in the fresh server process of its
  // run, whose first touch of each cached page costs more than a warm session's would.
  double time(const std::string& what, const std::string& sql) { return time_each(what, {sql}); }

  // `sql` timed on a session of its own (when one can be had) that has already run `prelude`,
  // untimed: what `sql` costs a session that is not new but has not met its objects yet.
  double time_after(const std::string& what, const std::string& prelude, const std::string& sql) {
    std::unique_ptr<Backend> own = fresh_ ? fresh_() : nullptr;
    Backend& on = own ? *own : backend_;
    run_on(on, what, prelude);
    const auto start = Clock::now();
    run_on(on, what, sql);
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }

  // Runs each of `statements` in turn, each in its own transaction, on one session of their
  // own (as a backfill's batches run on the run's one connection), and returns their total.
  double time_each(const std::string& what, const std::vector<std::string>& statements) {
    std::unique_ptr<Backend> own = fresh_ ? fresh_() : nullptr;
    Backend& on = own ? *own : backend_;
    const auto start = Clock::now();
    for (const auto& sql : statements) run_on(on, what, sql);
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }

  std::vector<SqlRow> run(const std::string& what, const std::string& sql) {
    return run_on(backend_, what, sql);
  }

  std::vector<SqlRow> run_on(Backend& on, const std::string& what, const std::string& sql) {
    try {
      return on.query(sql);
    } catch (const Failure& f) {
      Error e = f.error();
      e.code = ErrorCode::kStatementFailed;
      e.message = fmt::format("calibration failed while measuring {}: {}", what, e.message);
      if (e.hint.empty())
        e.hint =
            "the role needs CREATE on the database for a scratch schema; nothing of the "
            "calibration is left behind";
      throw Failure(e);
    }
  }

  // A migration statement as the executor runs it, with a step's timeouts (set again each time,
  // as for the first statement of every step): the overhead every estimate starts from.
  double time_executed(const std::string& what, const std::string& sql, bool flip) {
    StepSession session{true, ForeignKeyMode::kCheck, {}};
    session.lock_timeout = std::chrono::milliseconds(flip ? 500 : 501);
    session.statement_timeout = std::chrono::milliseconds(flip ? 300'000 : 300'001);
    const auto start = Clock::now();
    try {
      backend_.begin(session, std::chrono::milliseconds(10'000));
      backend_.execute(SqlStatement{1, 0, 1, 1, sql}, session);
      backend_.commit(StepSession{false, ForeignKeyMode::kCheck, {}});
    } catch (const Failure& f) {
      backend_.rollback();
      Error e = f.error();
      e.code = ErrorCode::kStatementFailed;
      e.message = fmt::format("calibration failed while measuring {}: {}", what, e.message);
      throw Failure(e);
    }
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }

  // What a backfill batch costs besides its rows: a bound lookup (of one key: the runner's walk
  // over the batch's keys runs beside the batch before, on PostgreSQL), and a transaction that
  // changes one row, writes a checkpoint row and commits.
  double time_batch(const std::string& table, const std::string& checkpoint, long long key) {
    const auto start = Clock::now();
    try {
      backend_.begin(StepSession{true, ForeignKeyMode::kCheck, {}},
                     std::chrono::milliseconds(10'000));
      backend_.query(
          fmt::format("SELECT id FROM {} WHERE id > {} ORDER BY id LIMIT 1 OFFSET 0", table, key));
      backend_.query(fmt::format("UPDATE {} SET n = n WHERE id = {}", table, key + 1));
      backend_.query(fmt::format("UPDATE {} SET at = {}", checkpoint, key));
      backend_.commit(StepSession{false, ForeignKeyMode::kCheck, {}});
    } catch (...) {
      backend_.rollback();
      throw;
    }
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }

  void add(const std::string& operation, const std::string& unit, double units, double ms,
           double fixed_ms = 0) {
    rates.push_back({operation, unit, units, std::max(ms, 0.001), fixed_ms});
    if (log_)
      log_(LogLevel::kInfo, fmt::format("calibrate: {} {:.0f} {} in {:.1f} ms ({:.1f} ms fixed)",
                                        operation, units, unit, ms, fixed_ms));
  }

  std::vector<CalibrationRate> rates;

 private:
  Backend& backend_;
  const ScratchSession& fresh_;
  const LogSink& log_;
};

constexpr int kOverheadSamples = 9;
// Of each operation on PostgreSQL's scratch tables (measure_postgres_table).
constexpr int kSamples = 3;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The per-statement and per-batch overheads, the median of a few: single round trips are noisy.
// A migration's statement also meets its table for the first time in the run's server process,
// which then reads the table's catalog entries and plans with cold caches: about 1 ms on
// PostgreSQL (psql: 6.5 ms for a 100k-row VALIDATE on a session whose first query read another
// table, 5.5 ms on one that had run it before), a sixth of that scan. Each statement sample adds
// that first touch, timed on a session of its own after a query of another table (as the run's
// connection has queried its history before), to the executor's round trips on the warm session.
void measure_overheads(Measurer& m, const std::string& table, const std::string& checkpoint) {
  std::vector<double> statement, batch;
  for (int i = 0; i < kOverheadSamples; ++i) {
    // ADD COLUMN without a default changes the catalog only, on both engines.
    statement.push_back(
        m.time_executed("catalog-only",
                        fmt::format("ALTER TABLE {} ADD COLUMN overhead_{} integer", table, i),
                        i % 2 == 0) +
        m.time_after("catalog-only", fmt::format("SELECT * FROM {} LIMIT 0", checkpoint),
                     fmt::format("SELECT * FROM {} LIMIT 0", table)));
    batch.push_back(m.time_batch(table, checkpoint, i * 10));
  }
  m.add("catalog-only", "statements", 1, median(statement));
  m.add("backfill-batch", "batches", 1, median(batch));
}

// Each operation runs on two tables, of N/8 and N rows: the difference is the part that grows
// with the size, the rest is fixed (fsyncing the new files of a rewrite or index build, catalog
// updates, a concurrent build's waits for other transactions), which dominates small tables.
constexpr long long kSmallTableDivisor = 8;

struct Sample {
  std::string unit;
  double units = 0;
  double ms = 0;
};
using Samples = std::map<std::string, Sample>;

bool sorts(const std::string& operation) {
  return operation.starts_with("index-build");
}

double growth(double units, bool sort) {
  units = std::max(units, 2.0);
  return sort ? units * std::log2(units) : units;
}

// A full read of the table that writes no new file: its only fixed cost is the statement's own,
// which the model adds as catalog-only. index-maintenance is a difference of two updates' times,
// whose fixed parts cancel.
bool has_no_fixed_part(const std::string& operation) {
  return operation == "seq-scan" || operation == "validate-check" || operation == "set-not-null" ||
         operation == "validate-foreign-key" || operation == "index-maintenance";
}

// The two tables' measurements of each operation as one rate: the large one's, with the fixed
// part the line through both points gives (0 when the small one was not cheaper per unit, as
// noise can make it, and for a read: a line through two points of a few milliseconds each would
// make up a fixed part from noise, which then dominates the estimate of a small table).
void add_rates(Measurer& m, const Samples& small, const Samples& large) {
  for (const auto& [operation, big] : large) {
    double fixed = 0;
    if (auto it = small.find(operation); it != small.end() && !has_no_fixed_part(operation)) {
      const bool sort = sorts(operation);
      const double span = growth(big.units, sort) - growth(it->second.units, sort);
      const double slope = span > 0 ? (big.ms - it->second.ms) / span : 0;
      if (slope > 0)
        fixed = std::clamp(big.ms - slope * growth(big.units, sort), 0.0, big.ms * 0.9);
    }
    m.add(operation, big.unit, big.units, big.ms, fixed);
  }
}

// Every row of `t` updated in batches of kBatchRows by key range, each statement in its own
// transaction, all on one session.
double time_batched_update(Measurer& m, const std::string& t, long long rows) {
  std::vector<std::string> batches;
  for (long long lo = 0; lo < rows; lo += kBatchRows)
    batches.push_back(
        fmt::format("UPDATE {} SET n = n + 1 WHERE id > {} AND id <= {}", t, lo, lo + kBatchRows));
  return m.time_each("batched-update", batches);
}

// Fills `t` (with `rows` rows) and times each operation on it; `s` is the scratch schema.
//
// Every operation is timed kSamples times and the median kept: at the default size each takes
// tens of milliseconds to a second or two, and whatever else the server does meanwhile (an
// autovacuum worker, the checkpointer: the calibration writes several times max_wal_size / 2 of
// WAL in all, and a checkpoint that starts during a write makes every page it then dirties log
// a full image) can double one sample. The samples are taken in rounds, each round timing every
// operation once, rather than one operation's samples back to back: a virtual machine's CPU can
// run slower for several seconds at a time (the same rewrite took 5.0 s and 9.0 s, using 6 and
// 10 CPU-seconds, with no steal time reported), which would slow every sample of an operation
// measured within those seconds. The median, not the fastest: writes vary more than reads and
// mostly upwards, so the faster of two is the lucky sample.
Samples measure_postgres_table(Measurer& m, const std::string& s, const std::string& t,
                               long long rows) {
  std::map<std::string, std::vector<double>> taken;
  Samples out;
  auto sample = [&](const std::string& operation, const std::string& unit, double units,
                    double ms) {
    out[operation] = {unit, units, 0};
    taken[operation].push_back(ms);
  };
  // Autovacuum off: a worker starting on the freshly filled table would slow whichever
  // measurement it meets.
  m.run("the scratch table",
        fmt::format("CREATE TABLE {} (id bigint PRIMARY KEY, k integer NOT NULL, n bigint, s "
                    "text, ts timestamptz, ref bigint) WITH (autovacuum_enabled = off)",
                    t));
  m.run("the scratch table",
        fmt::format("INSERT INTO {} SELECT g, g, g % 1000, md5(g::text), now() - g * interval "
                    "'1 second', g % 1000 + 1 FROM generate_series(1, {}) g",
                    t, rows));
  // As a table that has been in use: statistics gathered, hint bits and visibility map set.
  m.run("the scratch table", fmt::format("VACUUM ANALYZE {}", t));
  auto heap_size = [&] {
    return number(m.run("the table size", fmt::format("SELECT pg_relation_size('{}')", t))[0][0]);
  };
  const double heap = heap_size();
  const double n = static_cast<double>(rows);
  // The table's size in a later round over the first's (k is bigint from the first rewrite on;
  // here that fills padding and changes nothing, but the rates must not rest on it): a sample
  // in bytes is scaled to the first round's size.
  double scale = 1;
  // `before` and `after` (when not empty) run around the timed statement, untimed.
  auto time = [&](const std::string& operation, const std::string& unit, double units,
                  const std::string& before, const std::string& sql, const std::string& after) {
    if (!before.empty()) m.run(operation, before);
    const double ms = m.time(operation, sql);
    sample(operation, unit, units, unit == "bytes" ? ms / scale : ms);
    if (!after.empty()) m.run(operation, after);
  };
  for (int round = 0; round < kSamples; ++round) {
    if (round > 0 && heap > 0) scale = heap_size() / heap;
    // sum(length(s)) needs every row: no index-only scan can answer it.
    time("seq-scan", "bytes", heap, "", fmt::format("SELECT sum(length(s)) FROM {}", t), "");
    // n (g % 1000) comes in no useful order; id, filled in order, is already sorted: the
    // presorted builds are those of a key correlated with the table's order (a serial id, a
    // creation time).
    for (const auto& [operation, column, concurrently] :
         {std::tuple{"index-build:fixed", "n", ""}, std::tuple{"index-build:variable", "s", ""},
          std::tuple{"index-build:presorted", "id", ""},
          std::tuple{"index-build-concurrently:fixed", "n", "CONCURRENTLY "},
          std::tuple{"index-build-concurrently:variable", "s", "CONCURRENTLY "},
          std::tuple{"index-build-concurrently:presorted", "id", "CONCURRENTLY "}})
      time(operation, "rows", n, "",
           fmt::format("CREATE INDEX {}calibration_idx ON {} ({})", concurrently, t, column),
           fmt::format("DROP INDEX {}.calibration_idx", s));
    time("validate-check", "bytes", heap,
         fmt::format("ALTER TABLE {} ADD CONSTRAINT calibration_check CHECK (n >= 0) NOT VALID", t),
         fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT calibration_check", t),
         fmt::format("ALTER TABLE {} DROP CONSTRAINT calibration_check", t));
    time("validate-foreign-key", "rows", n,
         fmt::format("ALTER TABLE {} ADD CONSTRAINT calibration_fk FOREIGN KEY (ref) "
                     "REFERENCES {}.parent NOT VALID",
                     t, s),
         fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT calibration_fk", t),
         fmt::format("ALTER TABLE {} DROP CONSTRAINT calibration_fk", t));
    time("set-not-null", "bytes", heap, "",
         fmt::format("ALTER TABLE {} ALTER COLUMN s SET NOT NULL", t),
         fmt::format("ALTER TABLE {} ALTER COLUMN s DROP NOT NULL", t));
    // Each write runs on a table of full pages and no dead row, as a freshly loaded one: each
    // new row version of an update goes to another page and into every index (no HOT update).
    // The rewrite meets the table as the round does; it leaves it so for the one-statement
    // update; the batches after that need a VACUUM FULL first.
    // A rewrite also rebuilds the table's one index, its primary key: the model adds the index
    // build rate for each index (below). The later rounds keep the type; their USING expression
    // still makes PostgreSQL rewrite every row.
    time("rewrite", "bytes", heap, "",
         fmt::format("ALTER TABLE {} ALTER COLUMN k TYPE bigint{}", t,
                     round == 0 ? "" : " USING k + 0"),
         "");
    time("row-update", "rows", n, "", fmt::format("UPDATE {} SET n = n + 1", t), "");
    m.run("batched-update", fmt::format("VACUUM FULL {}", t));
    const double one_index = time_batched_update(m, t, rows);
    sample("batched-update", "rows", n, one_index);
    // A second index, on k (in the table's order, like the primary key): what each index
    // beyond the first adds to an update, from the batches (many short transactions vary less
    // than one long one), in the same round as the batches without it, so that both meet the
    // same spell of the machine. An index whose keys come in random order costs somewhat more
    // per entry (each lands on another leaf page).
    m.run("index-maintenance", fmt::format("CREATE INDEX calibration_k ON {} (k)", t));
    m.run("index-maintenance", fmt::format("VACUUM FULL {}", t));
    sample("index-maintenance", "rows", n,
           std::max(time_batched_update(m, t, rows) - one_index, 0.0));
    m.run("index-maintenance", fmt::format("DROP INDEX {}.calibration_k", s));
    // The next round on the table as the first round met it: no dead row, hint bits and
    // visibility map set.
    if (round + 1 < kSamples) {
      m.run("the scratch table", fmt::format("VACUUM FULL {}", t));
      m.run("the scratch table", fmt::format("VACUUM ANALYZE {}", t));
    }
  }
  for (auto& [operation, samples] : taken) out[operation].ms = median(samples);
  // The rewrite's own rate is what remains after its primary key's rebuild (at least a third,
  // in case the index measurement ran in a warmer cache).
  const double rewrite = out["rewrite"].ms;
  out["rewrite"].ms = std::max(rewrite - out["index-build:fixed"].ms, rewrite / 3);
  return out;
}

Calibration calibrate_postgres(Measurer& m, long long rows) {
  const std::string s = fmt::format("migrate_calibration_{}", ::getpid());
  Calibration c;
  c.server = "PostgreSQL " + *m.run("the server version", "SHOW server_version")[0][0];
  m.run("the scratch schema", fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", s));
  m.run("the scratch schema", fmt::format("CREATE SCHEMA {}", s));
  try {
    m.run("the scratch table", fmt::format("CREATE TABLE {}.parent (id bigint PRIMARY KEY)", s));
    m.run("the scratch table",
          fmt::format("INSERT INTO {}.parent SELECT g FROM generate_series(1, 1000) g", s));
    m.run("the scratch table", fmt::format("CREATE TABLE {}.checkpoint (at bigint)", s));
    m.run("the scratch table", fmt::format("INSERT INTO {}.checkpoint VALUES (0)", s));
    const Samples small = measure_postgres_table(m, s, s + ".small", rows / kSmallTableDivisor);
    const Samples large = measure_postgres_table(m, s, s + ".t", rows);
    measure_overheads(m, s + ".t", s + ".checkpoint");
    add_rates(m, small, large);
  } catch (...) {
    try {
      m.run("the scratch schema", fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", s));
    } catch (...) {
    }
    throw;
  }
  m.run("the scratch schema", fmt::format("DROP SCHEMA {} CASCADE", s));
  c.rates = std::move(m.rates);
  return c;
}

Samples measure_sqlite_table(Measurer& m, const std::string& t, long long rows) {
  Samples out;
  auto time = [&](const std::string& operation, double units, const std::string& sql) {
    out[operation] = {"rows", units, m.time(operation, sql)};
  };
  const double n = static_cast<double>(rows);
  m.run("the scratch table",
        fmt::format("CREATE TABLE {} (id INTEGER PRIMARY KEY, k INTEGER NOT NULL, n INTEGER, s "
                    "TEXT, ts TEXT, extra INTEGER)",
                    t));
  m.run("the scratch table",
        fmt::format("WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < {}) "
                    "INSERT INTO {} (id, k, n, s, ts) SELECT x, x, x % 1000, hex(randomblob(16)), "
                    "datetime('now', '-' || x || ' seconds') FROM g",
                    rows, t));
  time("seq-scan", n, fmt::format("SELECT sum(length(s)) FROM {}", t));
  for (const auto& [operation, column] :
       {std::pair{"index-build:fixed", "n"}, std::pair{"index-build:variable", "s"}}) {
    time(operation, n, fmt::format("CREATE INDEX {0}_idx ON {0} ({1})", t, column));
    m.run(operation, fmt::format("DROP INDEX {}_idx", t));
  }
  // DROP COLUMN writes every row again: SQLite's table rewrite.
  time("rewrite", n, fmt::format("ALTER TABLE {} DROP COLUMN extra", t));
  time("row-update", n, fmt::format("UPDATE {} SET n = n + 1", t));
  out["batched-update"] = {"rows", n, time_batched_update(m, t, rows)};
  return out;
}

Calibration calibrate_sqlite(Measurer& m, long long rows) {
  Calibration c;
  c.server = "SQLite " + *m.run("the library version", "SELECT sqlite_version()")[0][0];
  m.run("the scratch table", "CREATE TABLE checkpoint (at INTEGER)");
  m.run("the scratch table", "INSERT INTO checkpoint VALUES (0)");
  const Samples small = measure_sqlite_table(m, "small", rows / kSmallTableDivisor);
  const Samples large = measure_sqlite_table(m, "t", rows);
  measure_overheads(m, "t", "checkpoint");
  add_rates(m, small, large);
  c.rates = std::move(m.rates);
  return c;
}

}  // namespace

Calibration run_calibration(Backend& scratch, const ScratchSession& fresh,
                            const CalibrateOptions& options, const LogSink& log) {
  const bool postgres = scratch.dialect() == Dialect::kPostgres;
  const long long rows = options.rows > 0 ? options.rows
                         : postgres       ? kPostgresDefaultRows
                                          : kSqliteDefaultRows;
  if (rows < 1000)
    fail(ErrorCode::kUsage, fmt::format("calibration needs at least 1000 rows, not {}", rows),
         "leave --rows out for the default (500000 rows on PostgreSQL, 200000 on SQLite)");
  Measurer m(scratch, fresh, log);
  Calibration c = postgres ? calibrate_postgres(m, rows) : calibrate_sqlite(m, rows);
  c.measured_at = utc_timestamp();
  return c;
}

}  // namespace migrate
