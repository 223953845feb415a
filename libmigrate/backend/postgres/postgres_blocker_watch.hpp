// Who blocks a statement that waits for a lock, asked from another connection while it waits:
// once lock_timeout fires the wait is over and pg_blocking_pids() can no longer tell.
//
// One watch per run: one thread and one monitor connection, created when the run's first step
// starts (announce_step, before its transaction), so that connecting is not part of any
// statement's recorded duration; a run with nothing to do creates none. The blockers are asked for
// only once a statement has run longer than a short threshold; a statement that finishes sooner
// costs two uncontended mutex operations, no query and no system call (the thread checks on a 5 ms
// tick instead of being woken for every statement).
#pragma once

#include <pqxx/pqxx>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "migrate/history.hpp"

namespace migrate {

class BlockerWatch {
 public:
  using Connect = std::function<std::unique_ptr<pqxx::connection>()>;
  // Called on the watch's thread with the blockers of a statement that has waited behind them
  // for `waited`: at most once per kStillWaitingEvery, and only after the statement has waited
  // that long, so a wait without a lock_timeout is never silent.
  using Report = std::function<void(const std::vector<DatabaseSession>& blockers,
                                    std::chrono::milliseconds waited)>;
  static constexpr std::chrono::milliseconds kStillWaitingEvery{5000};
  BlockerWatch(Connect connect, int watched_pid, Report still_waiting);
  ~BlockerWatch();
  BlockerWatch(const BlockerWatch&) = delete;
  BlockerWatch& operator=(const BlockerWatch&) = delete;

  // A statement starts on the watched session: once it has run for `threshold`, poll its
  // blockers every `every` until stop().
  void start(std::chrono::milliseconds threshold, std::chrono::milliseconds every);
  // The statement ended: returns the blockers last seen (empty if it never waited that long).
  std::vector<DatabaseSession> stop();
  // The monitor connection's server process, 0 while it has none: not a session of another run.
  int monitor_pid() const { return monitor_pid_.load(); }

 private:
  void loop();
  void poll();

  Connect connect_;
  int pid_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;
  bool polling_ = false;
  bool quit_ = false;
  std::chrono::steady_clock::time_point due_;
  std::chrono::steady_clock::time_point started_;    // of the statement being watched
  std::chrono::steady_clock::time_point report_at_;  // the next still-waiting report, at earliest
  Report still_waiting_;
  std::chrono::milliseconds every_{100};
  std::vector<DatabaseSession> seen_;
  std::unique_ptr<pqxx::connection> monitor_;  // used by the thread only
  std::atomic<int> monitor_pid_{0};
  std::thread thread_;
};

}  // namespace migrate
