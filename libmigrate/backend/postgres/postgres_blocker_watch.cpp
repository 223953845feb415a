#include "libmigrate/backend/postgres/postgres_blocker_watch.hpp"

#include <fmt/format.h>

#include "libmigrate/backend/postgres/postgres_backend.hpp"

namespace migrate {

BlockerWatch::BlockerWatch(Connect connect, int watched_pid, Report still_waiting)
    : connect_(std::move(connect)), pid_(watched_pid), still_waiting_(std::move(still_waiting)) {
  // Connected before the statement it first watches, so a short lock_timeout is not spent
  // connecting.
  try {
    monitor_ = connect_();
    monitor_pid_ = monitor_->backendpid();
  } catch (const std::exception&) {
    // poll() tries again; without a monitor only the blockers' names are lost.
  }
  thread_ = std::thread([this] { loop(); });
}

BlockerWatch::~BlockerWatch() {
  {
    std::lock_guard<std::mutex> g(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// start() and stop() never wake the thread: it ticks on its own while the run lasts, so a
// statement that ends before the threshold costs an uncontended mutex and no system call.
void BlockerWatch::start(std::chrono::milliseconds threshold, std::chrono::milliseconds every) {
  std::lock_guard<std::mutex> g(mu_);
  armed_ = true;
  seen_.clear();
  started_ = std::chrono::steady_clock::now();
  report_at_ = started_ + kStillWaitingEvery;
  due_ = started_ + threshold;
  every_ = every;
}

std::vector<DatabaseSession> BlockerWatch::stop() {
  std::unique_lock<std::mutex> g(mu_);
  armed_ = false;
  // A poll in flight belongs to this statement: wait for its answer.
  if (polling_) cv_.wait(g, [this] { return !polling_; });
  return std::move(seen_);
}

void BlockerWatch::loop() {
  constexpr std::chrono::milliseconds kTick{5};
  std::unique_lock<std::mutex> g(mu_);
  while (!quit_) {
    const auto now = std::chrono::steady_clock::now();
    if (!armed_ || now < due_) {
      cv_.wait_for(g, kTick, [this] { return quit_; });
      continue;
    }
    polling_ = true;
    g.unlock();
    poll();
    g.lock();
    polling_ = false;
    due_ = std::chrono::steady_clock::now() + every_;
    cv_.notify_all();
  }
}

void BlockerWatch::poll() {
  try {
    if (!monitor_) {
      monitor_ = connect_();
      monitor_pid_ = monitor_->backendpid();
    }
    pqxx::nontransaction q(*monitor_);
    auto rows = q.exec_params(
        fmt::format("SELECT {}, coalesce((SELECT string_agg(l.mode || ' on ' || "
                    "l.relation::regclass::text || CASE WHEN l.granted THEN ' (granted)' ELSE ' "
                    "(waiting)' END, ', ') FROM pg_locks l WHERE l.pid = a.pid AND l.relation IS "
                    "NOT NULL), '') FROM pg_stat_activity a WHERE a.pid = "
                    "ANY(pg_blocking_pids($1)) ORDER BY a.pid",
                    kSessionColumns),
        pid_);
    if (rows.empty()) return;
    std::vector<DatabaseSession> now;
    for (const auto& r : rows) now.push_back(session_from(r, r[8].as<std::string>()));
    const auto at = std::chrono::steady_clock::now();
    bool report = false;
    std::chrono::milliseconds waited{0};
    {
      std::lock_guard<std::mutex> g(mu_);
      seen_ = now;
      if (still_waiting_ && at >= report_at_) {
        report = true;
        report_at_ = at + kStillWaitingEvery;
        waited = std::chrono::duration_cast<std::chrono::milliseconds>(at - started_);
      }
    }
    if (report) still_waiting_(now, waited);
  } catch (const std::exception&) {
    // Monitoring is best effort: the statement's own outcome is what counts.
    monitor_.reset();
    monitor_pid_ = 0;
  }
}

}  // namespace migrate
