#include "libmigrate/exec/backfill_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <future>
#include <thread>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/error/sqlstate.hpp"
#include "libmigrate/history/backfill_checkpoint.hpp"
#include "libmigrate/plan/backfill_plan.hpp"
#include "libmigrate/sql/batch_placeholders.hpp"

namespace migrate {
namespace {

using Clock = std::chrono::steady_clock;

// Bounds of an adapting batch size: large enough that per-batch overhead stays small, small
// enough that one batch never holds many row locks for long.
constexpr std::int64_t kMinAdaptiveBatch = 10;
constexpr std::int64_t kMaxAdaptiveBatch = 100'000;
// A batch that hits statement_timeout is retried this many times, a quarter the size each time.
constexpr int kTimeoutShrinks = 4;
// How often progress is logged.
constexpr std::chrono::seconds kLogEvery{5};

std::int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

std::string columns_of(const PlannedBackfill& b, Backend& backend) {
  std::string out;
  for (std::size_t i = 0; i < b.key.size(); ++i)
    out += (i ? ", " : "") + backend.quote_identifier(b.key[i]);
  return out;
}

// The query that finds a batch's last key: the `offset`-th key after `after` (or from the first
// key when `after` is empty). Parameters: the after values, then the offset.
std::string bound_query(const PlannedBackfill& b, Backend& backend, bool from_start) {
  const bool postgres = backend.dialect() == Dialect::kPostgres;
  const std::string columns = columns_of(b, backend);
  const std::size_t n = b.key.size();
  std::string where;
  if (!from_start) {
    std::string values;
    for (std::size_t i = 0; i < n; ++i)
      values += (i ? ", " : "") + (postgres ? fmt::format("${}::{}", i + 1, b.key_types[i])
                                            : fmt::format("CAST(?{} AS INTEGER)", i + 1));
    where = n == 1 ? fmt::format(" WHERE {} > {}", columns, values)
                   : fmt::format(" WHERE ({}) > ({})", columns, values);
  }
  const std::size_t offset_param = from_start ? 1 : n + 1;
  return fmt::format("SELECT {} FROM {}{} ORDER BY {} LIMIT 1 OFFSET {}", columns, b.table, where,
                     columns,
                     postgres ? fmt::format("${}::bigint", offset_param)
                              : fmt::format("CAST(?{} AS INTEGER)", offset_param));
}

std::optional<std::int64_t> as_integer(const std::string& text) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string describe_rows(std::int64_t rows, const std::optional<double>& estimated) {
  if (!estimated || *estimated <= 0) return fmt::format("{} rows", rows);
  return fmt::format("{} of ~{:.0f} rows ({:.0f}%)", rows, *estimated,
                     std::min(100.0, 100.0 * static_cast<double>(rows) / *estimated));
}

// A batch's statement and parameters, and what its checkpoint records when it commits.
struct BatchRange {
  std::string sql;  // empty: no key is left after the checkpoint, nothing to run
  std::vector<SqlValue> params;
  std::vector<std::string> after;  // the batch's last key; empty: the checkpoint's stays
  bool finished = false;           // the last batch
};

using KeyQuery =
    std::function<std::vector<SqlRow>(const std::string& sql, const std::vector<SqlValue>& params)>;

// The lookups that bound a batch, as SQL: built once, on the thread that owns the main
// connection (quoting names asks it).
struct RangeQueries {
  std::string bound_first;  // the first batch's last key; parameter: the offset
  std::string bound_after;  // a later batch's; parameters: the previous key, then the offset
  std::string smallest;     // explicit form: one below the smallest key
  std::string largest;      // explicit form: the largest key
};

RangeQueries range_queries(const PlannedBackfill& b, Backend& backend) {
  return RangeQueries{bound_query(b, backend, true), bound_query(b, backend, false),
                      fmt::format("SELECT min({0}) - 1 FROM {1}", columns_of(b, backend), b.table),
                      fmt::format("SELECT max({0}) FROM {1}", columns_of(b, backend), b.table)};
}

// The range of the batch after the key `after` (empty: from the first key), `size` keys long,
// from the key lookups that bound it (`query`). They run outside the batch's transaction: they
// only read keys and take no row lock.
BatchRange next_range(const KeyQuery& query, const RangeQueries& sql, const PlannedStatement& s,
                      const PlannedBackfill& b, const std::vector<std::string>& after,
                      std::int64_t size) {
  BatchRange range;
  std::vector<SqlValue>& params = range.params;
  params.assign(after.begin(), after.end());
  std::vector<SqlValue> bound_params = params;
  bound_params.emplace_back(std::to_string(size - 1));
  auto bound = query(after.empty() ? sql.bound_first : sql.bound_after, bound_params);
  if (b.form == BackfillForm::kAutomatic) {
    if (!bound.empty()) {
      range.sql = after.empty() ? b.first_batch_sql : b.batch_sql;
      for (const auto& v : bound[0]) range.after.push_back(v.value_or(""));
      for (const auto& v : range.after) params.emplace_back(v);
    } else {
      range.sql = after.empty() ? s.sql : b.last_batch_sql;
      range.finished = true;
    }
  } else {
    // :batch_start is exclusive: before the first batch, one below the smallest key.
    std::string start;
    if (after.empty()) {
      auto first = query(sql.smallest, {});
      if (first.empty() || !first[0][0]) {
        range.finished = true;  // an empty table: nothing to backfill
      } else {
        start = *first[0][0];
      }
    } else {
      start = after.front();
    }
    std::optional<std::string> end;
    if (!range.finished && !bound.empty() && bound[0][0]) {
      end = bound[0][0];
    } else if (!range.finished) {
      // Fewer keys than a batch are left: the last batch runs through the largest key.
      auto last = query(sql.largest, {});
      if (!last.empty() && last[0][0]) end = last[0][0];
      range.finished = true;
    }
    const auto end_value = end ? as_integer(*end) : std::nullopt;
    const auto start_value = as_integer(start);
    if (end_value && start_value && *end_value > *start_value) {
      range.sql = b.batch_sql;
      params = {start, *end};
      range.after = {*end};
    }
  }
  return range;
}

}  // namespace

BackfillRunner::BackfillRunner(Backend& backend, HistoryStore& history, const ExecPolicy& policy,
                               const Observer& observer, Retry retry)
    : backend_(backend),
      history_(history),
      policy_(policy),
      observer_(observer),
      retry_(std::move(retry)) {}

void BackfillRunner::wait_for_replicas(const PlannedStep& step, const PlannedBackfill& b) {
  if (b.max_replica_lag.count() <= 0 || backend_.dialect() != Dialect::kPostgres) return;
  auto logged = Clock::now() - kLogEvery;
  for (;;) {
    // replay_lag is NULL for a replica that has caught up and idles, and for roles without
    // pg_monitor, who see no replication columns at all: `hidden` tells the two apart.
    auto rows = backend_.query(
        "SELECT COALESCE(max(EXTRACT(epoch FROM replay_lag)) * 1000, 0)::bigint, "
        "count(*) FILTER (WHERE state IS NULL) FROM pg_stat_replication");
    const std::int64_t lag = rows.empty() ? 0 : as_integer(rows[0][0].value_or("0")).value_or(0);
    const std::int64_t hidden = rows.empty() ? 0 : as_integer(rows[0][1].value_or("0")).value_or(0);
    if (hidden > 0) {
      fail(ErrorCode::kPermissionDenied,
           fmt::format("version {}: max-replica-lag is set, but this role cannot read the "
                       "replicas' lag in pg_stat_replication",
                       step.version),
           "GRANT pg_monitor TO <the migration role>, or drop max-replica-lag");
    }
    if (lag <= b.max_replica_lag.count()) return;
    if (ms_since(logged) >=
        std::chrono::duration_cast<std::chrono::milliseconds>(kLogEvery).count()) {
      policy_.say(LogLevel::kInfo,
                  fmt::format("version {}: backfill of {} waits: a replica's replay lag is {} ms, "
                              "above max-replica-lag {} ms",
                              step.version, b.table, lag, b.max_replica_lag.count()));
      logged = Clock::now();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

BackfillRunner::Result BackfillRunner::run(const PlannedStep& step, const PlannedStatement& planned,
                                           Attempt& attempt, const StepSession& batch) {
  PlannedStatement s = planned;
  if (s.backfill->table.empty()) resolve_backfill(step, s, backend_, true);
  const PlannedBackfill& b = *s.backfill;
  Result result;

  BackfillCheckpoint done;
  done.statement = s.index;
  done.table = b.table;
  done.after = b.resume_after;
  done.rows = b.rows_done;
  done.batches = b.batches_done;
  done.elapsed_ms = b.elapsed_ms_done;
  done.rows_estimated = b.rows_estimated;
  done.finished = b.finished;
  if (done.finished) {
    result.table = b.table;
    return result;
  }
  if (!done.after.empty())
    policy_.say(LogLevel::kInfo,
                fmt::format("version {}: backfill of {} resumes after key ({}), {} so far",
                            step.version, b.table, fmt::join(done.after, ", "),
                            describe_rows(done.rows, done.rows_estimated)));

  const SqlStatement located{s.index, 0, s.line, s.column, {}};
  std::int64_t size = b.batch_size;
  const std::int64_t min_size = std::min<std::int64_t>(kMinAdaptiveBatch, b.batch_size);
  auto logged = Clock::now();
  auto report = [&](bool final) {
    const BackfillStatus status = backfill_status(done);
    BackfillProgress p;
    p.version = step.version;
    p.statement = s.index;
    p.table = b.table;
    p.rows_done = done.rows;
    p.rows_estimated = b.rows_estimated;
    p.batches = done.batches;
    p.batch_size = size;
    p.rows_per_second = status.rows_per_second;
    p.eta_seconds = status.eta_seconds;
    p.finished = final;
    if (observer_.backfill_progress) observer_.backfill_progress(p);
    // Without a progress callback (a terminal's bar), a log line every few seconds.
    if (final || (!observer_.backfill_progress && Clock::now() - logged >= kLogEvery)) {
      logged = Clock::now();
      policy_.say(
          LogLevel::kInfo,
          fmt::format("version {}: backfill of {}: {}, {} batches, {:.0f} rows/s{}{}", step.version,
                      b.table, describe_rows(done.rows, b.rows_estimated), done.batches,
                      p.rows_per_second,
                      p.eta_seconds && !final ? fmt::format(", ETA {:.0f} s", *p.eta_seconds)
                                              : std::string(),
                      final ? ", done" : ""));
    }
  };

  // Elapsed time is measured from the start of this run, not summed per batch: batches shorter
  // than a millisecond would add up to nothing, and pauses and replica waits belong in it.
  const auto run_started = Clock::now();
  const std::int64_t elapsed_before = done.elapsed_ms;
  int shrinks = 0;
  std::chrono::milliseconds pause{0};
  const KeyQuery main_connection = [this](const std::string& sql,
                                          const std::vector<SqlValue>& params) {
    return backend_.query(sql, params);
  };
  const RangeQueries range_sql = range_queries(b, backend_);
  // While a batch writes, the next batch's range is looked up on a second connection
  // (PostgreSQL), as long as this batch: the walk over the keys then costs the backfill no time.
  // It is used when the size this batch's time leads to is within an eighth of that (the steady
  // state), and looked up again otherwise, so the size still follows the batches' time. One
  // that is not done when it is needed is left to finish, and the range is looked up on the
  // main connection meanwhile; one that fails (the connection refused, a lock timeout) turns the
  // look-ahead off for this backfill.
  const std::unique_ptr<SideReader> side = backend_.side_reader(batch);
  const KeyQuery side_connection = [&side](const std::string& sql,
                                           const std::vector<SqlValue>& params) {
    return side->query(sql, params);
  };
  struct Lookahead {
    SideReader* reader = nullptr;
    std::vector<std::string> after;
    std::int64_t size = 0;
    std::future<BatchRange> range;
    bool ready() const {
      return range.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    }
    Lookahead() = default;
    Lookahead(const Lookahead&) = delete;
    Lookahead& operator=(const Lookahead&) = delete;
    // A lookup still running when the backfill ends or fails is cancelled rather than waited
    // for (the future's own destructor then waits for the cancelled query).
    ~Lookahead() {
      if (range.valid() && !ready()) reader->cancel();
    }
  };
  std::optional<Lookahead> ahead;
  bool lookahead_on = side != nullptr;
  for (;;) {
    auto started = Clock::now();
    BackfillCheckpoint next;
    std::int64_t changed = 0;
    try {
      // The batch's range is looked up before its transaction: the lookup only reads keys and
      // takes no row lock, so it runs in the pause, and the batch holds its row locks only while
      // it writes and commits.
      const auto looked = Clock::now();
      BatchRange range;
      bool found = false;
      if (ahead && ahead->ready()) {
        try {
          BatchRange r = ahead->range.get();
          if (ahead->after == done.after && std::abs(ahead->size - size) * 8 <= ahead->size) {
            range = std::move(r);
            found = true;
          }
        } catch (const std::exception& e) {
          lookahead_on = false;
          policy_.say(LogLevel::kInfo,
                      fmt::format("version {}: the backfill of {} looks up each batch's keys on "
                                  "its main connection from now on: the second connection "
                                  "failed: {}",
                                  step.version, b.table, e.what()));
        }
        ahead.reset();
      }
      if (!found)
        retry_([&] { range = next_range(main_connection, range_sql, s, b, done.after, size); },
               [&] { backend_.rollback(); });
      const std::chrono::milliseconds lookup{ms_since(looked)};
      if (pause > lookup) std::this_thread::sleep_for(pause - lookup);
      wait_for_replicas(step, b);
      if (lookahead_on && !ahead && !range.finished && !range.after.empty()) {
        ahead.emplace();
        ahead->reader = side.get();
        ahead->after = range.after;
        ahead->size = size;
        ahead->range = std::async(std::launch::async, [&, after = range.after, size] {
          return next_range(side_connection, range_sql, s, b, after, size);
        });
      }
      started = Clock::now();
      retry_(
          [&] {
            next = done;
            next.finished = range.finished;
            if (!range.after.empty()) next.after = range.after;
            changed = 0;
            backend_.begin(batch, policy_.lock_wait);
            if (!range.sql.empty()) {
              SqlStatement statement = located;
              statement.sql = range.sql;
              changed = backend_.execute(statement, batch, range.params).value_or(0);
            }
            next.rows = done.rows + changed;
            // The explicit form's last pass finds no key left after the previous batch (the
            // rows divided evenly) and runs nothing: not a batch, as `plan` counted them.
            next.batches = done.batches + (range.sql.empty() ? 0 : 1);
            next.elapsed_ms = elapsed_before + ms_since(run_started);
            Attempt updated = attempt;
            updated.checkpoint = write_backfill_checkpoint(next);
            history_.update(updated);
            // Integrity checks run once, after the step: a batch commits without them.
            backend_.commit(StepSession{false, batch.foreign_keys, batch.where});
            attempt = std::move(updated);
          },
          [&] { backend_.rollback(); });
    } catch (const Failure& f) {
      backend_.rollback();
      // A batch too large for statement_timeout: a smaller one, from the same key.
      if (f.error().sqlstate == sqlstate::kQueryCanceled && size > 1 && shrinks < kTimeoutShrinks) {
        ++shrinks;
        const std::int64_t smaller = std::max<std::int64_t>(1, size / 4);
        policy_.say(LogLevel::kWarn,
                    fmt::format("version {}: a backfill batch of {} rows of {} hit "
                                "statement_timeout; trying {} rows",
                                step.version, size, b.table, smaller));
        size = smaller;
        continue;
      }
      throw;
    } catch (...) {
      // Not left open: a look-ahead lookup may wait behind a lock request that waits for it.
      backend_.rollback();
      throw;
    }
    shrinks = 0;
    const std::int64_t took = ms_since(started);
    result.batches += next.batches - done.batches;
    done = next;
    result.rows += changed;
    report(done.finished);
    if (done.finished) break;
    if (policy_.stop.stop_requested()) {
      // The batch's checkpoint committed with it: the attempt is recorded as cancelled and the
      // next run resumes after that key without --retry-failed.
      throw Failure(
          Error{ErrorCode::kCancelled,
                fmt::format("cancelled during the backfill of {} after {} batch(es), {}", b.table,
                            done.batches, describe_rows(done.rows, done.rows_estimated)),
                "the committed batches stay, and the history records where they stopped: run the "
                "same command again to resume after the last key",
                SourceLocation{step.file.string(), step.version, s.index, s.line, s.column},
                {}});
    }
    if (b.adaptive) {
      const double factor = std::clamp(static_cast<double>(b.target_batch_time.count()) /
                                           static_cast<double>(std::max<std::int64_t>(took, 1)),
                                       0.5, 2.0);
      size = std::clamp(static_cast<std::int64_t>(std::llround(static_cast<double>(size) * factor)),
                        min_size, std::max(kMaxAdaptiveBatch, b.batch_size));
    }
    // The pause before the next batch bounds the backfill's share of the server (autovacuum,
    // replicas); the next range's lookup is part of it. The workload's writes that waited for
    // this batch's rows go on at its commit: the next batch takes other rows.
    pause = b.pause.value_or(std::chrono::milliseconds(took / 50));
  }
  result.table = b.table;
  return result;
}

}  // namespace migrate
