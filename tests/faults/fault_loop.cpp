#include "faults/fault_loop.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <pqxx/pqxx>
#include <random>
#include <stdexcept>
#include <thread>

#include "support/test_workspace.hpp"

namespace migrate::testing {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class SqliteFaultDatabase : public FaultDatabase {
 public:
  explicit SqliteFaultDatabase(std::filesystem::path dir) : file_(std::move(dir) / "faults.db") {}
  FaultEngine engine() const override { return FaultEngine::kSqlite; }
  std::string url() const override { return "sqlite:" + file_.string(); }
  void reset() override {
    for (const char* suffix : {"", "-journal", "-wal", "-shm", "-migrate-lock"})
      std::filesystem::remove(file_.string() + suffix);
    sqlite3* h = nullptr;
    int rc = sqlite3_open(file_.c_str(), &h);
    if (rc == SQLITE_OK)
      rc = sqlite3_exec(h, fault_log_ddl(FaultEngine::kSqlite).c_str(), nullptr, nullptr, nullptr);
    std::string why = rc == SQLITE_OK ? "" : sqlite3_errmsg(h);
    sqlite3_close(h);
    if (rc != SQLITE_OK) throw std::runtime_error("cannot create " + file_.string() + ": " + why);
  }
  std::vector<std::string> rows(const std::string& sql) const override {
    return query_sqlite(file_, sql);
  }
  std::string wait_until_quiet(std::chrono::seconds) override { return ""; }

 private:
  std::filesystem::path file_;
};

class PostgresFaultDatabase : public FaultDatabase {
 public:
  explicit PostgresFaultDatabase(std::string url) : url_(std::move(url)) {}
  FaultEngine engine() const override { return FaultEngine::kPostgres; }
  std::string url() const override { return url_; }
  void reset() override {
    pqxx::connection c(url_);
    pqxx::nontransaction q(c);
    // Leftovers of the previous iteration would hold locks on what is dropped here.
    q.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
        "current_database() AND pid <> pg_backend_pid()");
    q.exec("SET client_min_messages = warning");
    q.exec("DROP SCHEMA IF EXISTS public CASCADE");
    q.exec("CREATE SCHEMA public");
    q.exec(fault_log_ddl(FaultEngine::kPostgres));
  }
  std::vector<std::string> rows(const std::string& sql) const override {
    pqxx::connection c(url_);
    pqxx::nontransaction q(c);
    std::vector<std::string> out;
    for (const auto& r : q.exec(sql)) {
      std::string row;
      for (pqxx::row::size_type i = 0; i < r.size(); ++i) {
        if (i) row += '|';
        row += r[i].is_null() ? "NULL" : r[i].as<std::string>();
      }
      out.push_back(row);
    }
    return out;
  }
  std::string wait_until_quiet(std::chrono::seconds limit) override {
    auto deadline = Clock::now() + limit;
    for (;;) {
      auto busy = rows(
          "SELECT pid || ' ' || coalesce(application_name, '') || ': ' || left(query, 80) "
          "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
          "AND backend_type = 'client backend'");
      if (busy.empty()) return "";
      if (Clock::now() >= deadline) {
        std::string list;
        for (const auto& b : busy) list += (list.empty() ? "" : "; ") + b;
        return list;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
  }

 private:
  std::string url_;
};

std::uint64_t iteration_seed(std::uint64_t seed, int iteration) {
  return seed ^ (0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(iteration + 1));
}

struct PhaseResult {
  bool converged = false;
  std::string last_error;  // exit code and stderr of the last failed plain rerun
};

// Kills the command 1..max_kills times at random points of a run that takes about `duration`,
// then reruns it without faults until it exits 0 or the reruns are used up.
PhaseResult run_phase_with_kills(const std::vector<std::string>& args,
                                 const std::filesystem::path& cwd, milliseconds duration,
                                 std::mt19937_64& rng, const FaultLoopSettings& settings,
                                 FaultTally& tally) {
  std::uniform_int_distribution<int> kill_count(1, settings.max_kills_per_phase);
  // A little past the clean duration: a resumed run starts later and does more checks.
  std::uniform_int_distribution<long> delay_ms(0, duration.count() * 6 / 5 + 1);
  int kills = kill_count(rng);
  for (int k = 0; k < kills; ++k) {
    MigrateProcess run(args, cwd);
    if (!run.wait_for(milliseconds(delay_ms(rng)))) {
      run.kill_now();
      ++tally.kills;
      ++tally.exit_codes["killed"];
      continue;
    }
    auto r = run.result();
    ++tally.exit_codes[std::to_string(r.exit_code)];
    if (r.exit_code == 0) return {.converged = true, .last_error = {}};
  }
  PhaseResult result;
  for (int i = 0; i < settings.reruns; ++i) {
    MigrateProcess run(args, cwd);
    if (!run.wait_for(milliseconds(120'000))) {
      run.kill_now();
      ++tally.exit_codes["hung"];
      result.last_error = "still running after 120 s (killed)";
      continue;
    }
    auto r = run.result();
    ++tally.exit_codes[std::to_string(r.exit_code)];
    if (r.exit_code == 0) return {.converged = true, .last_error = {}};
    result.last_error = fmt::format("exit {}: {}", r.exit_code, r.err);
  }
  return result;
}

// Whether `--retry-failed` would have got a wedged phase out, for the failure message only: it
// is still a wedge, since the engine promises that a plain rerun resumes.
std::string probe_retry_failed(const std::vector<std::string>& args,
                               const std::filesystem::path& cwd) {
  std::vector<std::string> retry = args;
  retry.push_back("--retry-failed");
  auto r = run_migrate(retry, cwd);
  return r.exit_code == 0 ? "`--retry-failed` recovers it"
                          : fmt::format("`--retry-failed` does not recover it either (exit {}: {})",
                                        r.exit_code, r.err.substr(0, r.err.find('\n')));
}

}  // namespace

std::unique_ptr<FaultDatabase> make_sqlite_fault_database(const std::filesystem::path& dir) {
  return std::make_unique<SqliteFaultDatabase>(dir);
}

std::unique_ptr<FaultDatabase> make_postgres_fault_database(const std::string& url) {
  return std::make_unique<PostgresFaultDatabase>(url);
}

FaultLoopSettings fault_loop_settings_from_environment(int default_iterations) {
  FaultLoopSettings s;
  const char* seed = std::getenv("MIGRATE_FAULT_SEED");
  s.seed = seed && *seed ? std::stoull(seed)
                         : (static_cast<std::uint64_t>(std::random_device{}()) << 32) |
                               std::random_device{}();
  const char* iterations = std::getenv("MIGRATE_FAULT_ITERATIONS");
  s.iterations = iterations && *iterations ? std::stoi(iterations) : default_iterations;
  return s;
}

std::string FaultTally::summary(const FaultScenario& scenario, std::uint64_t seed) const {
  std::string codes;
  for (const auto& [code, count] : exit_codes)
    codes += fmt::format("{}{}:{}", codes.empty() ? "" : ",", code, count);
  return fmt::format(
      "FAULTS engine={} kind={} seed={} iterations={} kills={} converged={} double_applies={} "
      "skipped={} unrecorded_changes={} history_mismatches={} wedged={} exit_codes={}",
      to_string(scenario.engine), scenario.kind, seed, iterations, kills, converged, double_applies,
      skipped, unrecorded_changes, history_mismatches, wedged, codes.empty() ? "-" : codes);
}

std::vector<std::string> migrate_args(const FaultDatabase& database,
                                      const std::filesystem::path& migrations,
                                      const std::vector<std::string>& command) {
  std::vector<std::string> args{"--db",        database.url(), "--dir", migrations.string(),
                                "--log-level", "warn"};
  args.insert(args.end(), command.begin(), command.end());
  return args;
}

std::vector<Divergence> check_database(const FaultScenario& scenario, FaultPhase phase,
                                       FaultDatabase& database,
                                       const std::filesystem::path& migrations) {
  std::vector<Divergence> found;
  std::string still_running = database.wait_until_quiet(std::chrono::seconds(30));
  if (!still_running.empty())
    found.push_back({DivergenceKind::kHistory,
                     "statements of killed runs still running after 30 s: " + still_running});
  auto status = run_migrate(migrate_args(database, migrations, {"status", "--output", "json"}),
                            migrations.parent_path());
  auto more = check_converged(
      scenario, phase, [&](const std::string& sql) { return database.rows(sql); }, status.exit_code,
      status.out);
  found.insert(found.end(), more.begin(), more.end());
  return found;
}

FaultTally run_fault_loop(const FaultScenario& scenario, FaultDatabase& database,
                          const FaultLoopSettings& settings) {
  TestWorkspace ws;
  scenario.copy_migrations_to(ws.migrations());
  auto apply = migrate_args(database, ws.migrations(), settings.apply_args);
  auto rollback = migrate_args(database, ws.migrations(), settings.rollback_args);

  // The clean run: how long each phase takes, and proof that the fixtures converge at all.
  milliseconds durations[2];
  database.reset();
  for (auto phase : {FaultPhase::kApplied, FaultPhase::kReverted}) {
    auto start = Clock::now();
    auto r = run_migrate(phase == FaultPhase::kApplied ? apply : rollback, ws.root());
    durations[static_cast<int>(phase)] =
        std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    if (r.exit_code != 0)
      throw std::runtime_error(fmt::format("clean {} of {} exited {}: {}", to_string(phase),
                                           scenario.fixtures.string(), r.exit_code, r.err));
    auto found = check_database(scenario, phase, database, ws.migrations());
    if (!found.empty())
      throw std::runtime_error(fmt::format("clean {} of {} does not converge: {}", to_string(phase),
                                           scenario.fixtures.string(), found.front().what));
  }

  FaultTally tally;
  for (int i = 0; i < settings.iterations; ++i) {
    ++tally.iterations;
    std::mt19937_64 rng(iteration_seed(settings.seed, i));
    database.reset();
    bool exact = true;
    for (auto phase : {FaultPhase::kApplied, FaultPhase::kReverted}) {
      const auto& args = phase == FaultPhase::kApplied ? apply : rollback;
      auto where =
          fmt::format("{} {} iteration {} (MIGRATE_FAULT_SEED={}) {}", to_string(scenario.engine),
                      scenario.kind, i, settings.seed, to_string(phase));
      auto result = run_phase_with_kills(args, ws.root(), durations[static_cast<int>(phase)], rng,
                                         settings, tally);
      if (!result.converged) {
        ++tally.wedged;
        exact = false;
        tally.failures.push_back(fmt::format("{}: wedged, no plain rerun exited 0; last {}; {}",
                                             where, result.last_error,
                                             probe_retry_failed(args, ws.root())));
        break;  // the rollback phase needs a fully applied database
      }
      for (const auto& d : check_database(scenario, phase, database, ws.migrations())) {
        exact = false;
        switch (d.kind) {
          case DivergenceKind::kDoubleApply:
            ++tally.double_applies;
            break;
          case DivergenceKind::kSkipped:
            ++tally.skipped;
            break;
          case DivergenceKind::kUnrecorded:
            ++tally.unrecorded_changes;
            break;
          case DivergenceKind::kHistory:
            ++tally.history_mismatches;
            break;
        }
        tally.failures.push_back(fmt::format("{}: {}", where, d.what));
      }
      if (!exact) break;
    }
    if (exact) ++tally.converged;
  }
  return tally;
}

}  // namespace migrate::testing
