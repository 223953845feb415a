// Lock-queue avoidance (docs/postgresql.md#lock-queue-avoidance). PostgreSQL grants table locks
// in queue order: a statement waiting for ACCESS EXCLUSIVE behind a long reader makes every later
// query on the table wait behind it, and lock_timeout only bounds that stall. Before a statement
// (or a transaction of statements) that needs table locks, the gate asks pg_locks whether another
// session holds, or waits for, a lock that conflicts with one of them; while one does, the step
// waits outside the queue, holding no lock, and the statement is sent only once the way is clear.
// The statement's own lock_timeout still bounds the race between the look and the request.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/exec/exec_policy.hpp"
#include "migrate/plan.hpp"

namespace migrate {

class LockQueueGate {
 public:
  // A conflicting transaction younger than this is waited for only if it is still there once
  // it is this old: on a busy table some short transaction nearly always holds a conflicting
  // lock, and a request queued behind one waits for milliseconds. A look that finds only young
  // ones looks again when the youngest reaches this age (one more query, at most this long). The
  // age is pg_stat_activity's when the run's role may see it, else how long this gate has seen
  // the transaction (pg_locks.virtualtransaction) from look to look. A later statement of a
  // transaction, which holds locks meanwhile, does not look twice: only transactions known to
  // be this old count there.
  static constexpr std::chrono::milliseconds kYoungTransaction{100};
  // How often pg_locks is read while waiting, and how old the last look may be before a later
  // statement of the same transaction looks again.
  static constexpr std::chrono::milliseconds kPollEvery{50};
  static constexpr std::chrono::milliseconds kLookAgainAfter{100};
  // How often a wait that goes on is reported.
  static constexpr std::chrono::seconds kReportEvery{5};

  LockQueueGate(Backend& backend, const ExecPolicy& policy);

  // A new step: its wait budget starts afresh.
  void start_step();

  // The table locks `statements` of `step` take, each distinct (relation, level) once, from the
  // step's analysis (levels are not ordered by what they conflict with: all are kept). Empty when
  // avoidance is off (ExecPolicy::queue_avoidance), on SQLite, or when the step has no analysis
  // (analysis skipped): the statements are then sent as they are.
  std::vector<RelationLock> locks_of(const PlannedStep& step,
                                     std::span<const PlannedStatement> statements) const;

  // The step's wait budget for a statement with `lock_timeout`: as long as the lock retries
  // could take, (lock_retries + 1) x lock_timeout in attempts plus, for each retry,
  // lock_timeout + min(retry_cap, retry_base x 2^retry) of backoff. nullopt (no limit) when
  // lock_timeout is 0, which asks for unbounded lock waits.
  std::optional<std::chrono::milliseconds> budget(std::chrono::milliseconds lock_timeout) const;

  // Waits until no other session holds or waits for a lock conflicting with `locks` (short
  // transactions aside, see kYoungTransaction). `before_waiting` runs once, before
  // the first sleep: it must release every lock the caller holds (roll back). Returns how long
  // it waited (0 when the way was clear at once). Throws kLockTimeout (55P03), naming the
  // blockers and located at `where` (the statement in its file), once the step's waits have used
  // up budget(lock_timeout); spent() is then true.
  std::chrono::milliseconds wait_until_clear(const PlannedStep& step,
                                             const PlannedStatement& statement,
                                             const std::vector<RelationLock>& locks,
                                             std::chrono::milliseconds lock_timeout,
                                             const SourceLocation& where,
                                             const std::function<void()>& before_waiting);

  // Inside a transaction, before a later statement: the conflicting sessions whose transaction
  // is at least kYoungTransaction old, if the last look is older than kLookAgainAfter (empty
  // otherwise, and when none). It never sleeps: the caller holds locks.
  std::vector<DatabaseSession> conflicts_now(const std::vector<RelationLock>& locks);

  // The budget ran out: the step's LOCK_TIMEOUT is final, not one more retry.
  bool spent() const noexcept { return spent_; }

 private:
  // One look: the conflicting sessions in transactions at least kYoungTransaction old; with
  // `settle`, when there are only younger ones, a second look once they would be that old.
  std::vector<DatabaseSession> blockers(const std::vector<RelationLock>& locks, bool settle);

 public:
  // Whether a later statement of a transaction that meets a conflict may roll the transaction
  // back to wait outside the queue (a retry is left); otherwise it is sent, bounded by its
  // lock_timeout. Set by the executor before each try.
  void allow_rollback(bool allowed) noexcept { rollback_allowed_ = allowed; }
  bool rollback_allowed() const noexcept { return rollback_allowed_; }

 private:
  Backend& backend_;
  const ExecPolicy& policy_;
  std::chrono::milliseconds waited_{0};  // in this step
  std::chrono::steady_clock::time_point looked_{};
  // When each conflicting transaction was first seen, during one wait_until_clear.
  std::map<std::string, std::chrono::steady_clock::time_point> first_seen_;
  bool spent_ = false;
  bool rollback_allowed_ = true;
};

// "ACCESS EXCLUSIVE on t, SHARE on u": what a gate waits for, for messages.
std::string describe_locks(const std::vector<RelationLock>& locks);
// "blocked by:" and one line per session (pid, application, client, state, transaction age,
// lock, query), for the warnings of lock waits and retries.
std::string describe_blockers(const std::vector<DatabaseSession>& blockers);

}  // namespace migrate
