#include "libmigrate/exec/lock_queue_gate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/error/sqlstate.hpp"

namespace migrate {

using Clock = std::chrono::steady_clock;

std::string describe_locks(const std::vector<RelationLock>& locks) {
  std::string out;
  for (const auto& l : locks)
    out += fmt::format("{}{} on {}", out.empty() ? "" : ", ", to_string(l.level), l.relation);
  return out;
}

namespace {

// "650 ms", "41.1 s".
std::string seconds_or_ms(std::chrono::milliseconds d) {
  if (d.count() < 1000) return fmt::format("{} ms", d.count());
  return fmt::format("{:.1f} s", static_cast<double>(d.count()) / 1000);
}

}  // namespace

std::string describe_blockers(const std::vector<DatabaseSession>& blockers) {
  if (blockers.empty())
    return "no blocking session was seen (it may have finished just before the timeout)";
  std::string out;
  for (const auto& b : blockers) {
    out += fmt::format("\n  pid {} ({}, {}), {}, transaction age {:.1f}s{}: {}", b.pid,
                       b.application_name.empty() ? "no application_name" : b.application_name,
                       b.client_addr, b.state, b.transaction_age_s,
                       b.lock.empty() ? "" : ", " + b.lock, b.query);
  }
  return "blocked by:" + out;
}

LockQueueGate::LockQueueGate(Backend& backend, const ExecPolicy& policy)
    : backend_(backend), policy_(policy) {}

void LockQueueGate::start_step() {
  waited_ = std::chrono::milliseconds(0);
  spent_ = false;
}

std::vector<RelationLock> LockQueueGate::locks_of(
    const PlannedStep& step, std::span<const PlannedStatement> statements) const {
  if (!policy_.queue_avoidance || backend_.dialect() != Dialect::kPostgres || !step.analysis)
    return {};
  std::set<std::pair<std::string, int>> wanted;  // sorted by relation, then level
  for (const auto& s : statements) {
    for (const auto& a : step.analysis->statements) {
      if (a.index != s.index) continue;
      for (const auto& l : a.locks) {
        if (l.level == LockLevel::kNone || l.level == LockLevel::kDatabaseWrite) continue;
        wanted.emplace(l.relation, static_cast<int>(l.level));
      }
    }
  }
  std::vector<RelationLock> out;
  out.reserve(wanted.size());
  for (const auto& [relation, level] : wanted)
    out.push_back(RelationLock{relation, static_cast<LockLevel>(level)});
  return out;
}

std::vector<DatabaseSession> LockQueueGate::blockers(const std::vector<RelationLock>& locks,
                                                     bool settle) {
  using Seconds = std::chrono::duration<double>;
  const Seconds young = kYoungTransaction;
  for (int look = 0;; ++look) {
    const auto now = Clock::now();
    looked_ = now;
    std::vector<DatabaseSession> out;
    Seconds settle_for{0};  // until the youngest conflict seen would be `young` old
    bool any_young = false;
    for (auto& c : backend_.lock_conflicts(locks)) {
      auto [seen, fresh] = first_seen_.emplace(c.transaction, now);
      const Seconds seen_for = now - seen->second;
      const Seconds age =
          c.age_known ? std::max(Seconds(c.session.transaction_age_s), seen_for) : seen_for;
      if (c.prepared || c.transaction.empty() || age >= young) {
        out.push_back(std::move(c.session));
      } else {
        any_young = true;
        settle_for = std::max(settle_for, young - age);
      }
    }
    if (!out.empty() || !any_young || !settle || look > 0) return out;
    std::this_thread::sleep_for(std::chrono::duration_cast<std::chrono::milliseconds>(settle_for) +
                                std::chrono::milliseconds(1));
  }
}

std::optional<std::chrono::milliseconds> LockQueueGate::budget(
    std::chrono::milliseconds lock_timeout) const {
  if (lock_timeout.count() <= 0) return std::nullopt;
  const std::int64_t retries = policy_.lock_retries;
  std::int64_t ms = (2 * retries + 1) * lock_timeout.count();
  for (int retry = 0; retry < retries; ++retry)
    ms += std::min<std::int64_t>(policy_.retry_cap.count(), policy_.retry_base.count()
                                                                << std::min(retry, 20));
  return std::chrono::milliseconds(ms);
}

std::chrono::milliseconds LockQueueGate::wait_until_clear(
    const PlannedStep& step, const PlannedStatement& statement,
    const std::vector<RelationLock>& locks, std::chrono::milliseconds lock_timeout,
    const SourceLocation& where, const std::function<void()>& before_waiting) {
  if (locks.empty()) return std::chrono::milliseconds(0);
  const auto started = Clock::now();
  const auto limit = budget(lock_timeout);
  first_seen_.clear();
  auto since = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  };
  auto budget_text = [&] {
    return limit ? seconds_or_ms(*limit) : std::string("no limit (lock_timeout 0)");
  };
  Clock::time_point report_at{};
  for (bool first = true;; first = false) {
    const auto blockers = this->blockers(locks, true);
    if (blockers.empty()) {
      const auto waited = since();
      waited_ += waited;
      if (!first) {
        backend_.announce_step(
            fmt::format("{} {} ({}): running statement {} after {} ms outside the lock queue",
                        step.kind == StepKind::kApply ? "apply" : "revert", step.version, step.name,
                        statement.index, waited.count()));
        policy_.say(LogLevel::kInfo,
                    fmt::format("version {}: the way is clear after {} ms outside the lock "
                                "queue; running statement {}",
                                step.version, waited.count(), statement.index));
      }
      return waited;
    }
    if (first) {
      before_waiting();
      // For `migrate status` in another terminal: the run holds no lock and waits in no queue,
      // so nothing else would show why it does not move.
      backend_.announce_step(
          fmt::format("{} {} ({}): statement {} waits outside the lock queue for {}",
                      step.kind == StepKind::kApply ? "apply" : "revert", step.version, step.name,
                      statement.index, describe_locks(locks)));
    }
    const auto total = waited_ + since();
    if (limit && total >= *limit) {
      waited_ = total;
      spent_ = true;
      throw Failure(Error{
          ErrorCode::kLockTimeout,
          fmt::format("statement {} waited {} outside the lock queue for {}, the step's "
                      "wait budget ({}), and other sessions still hold or wait for conflicting "
                      "locks; {}",
                      statement.index, seconds_or_ms(total), describe_locks(locks), budget_text(),
                      describe_blockers(blockers)),
          "the sessions named hold or wait for a conflicting lock; nothing was sent to the lock "
          "queue meanwhile, so the application did not wait; wait for them, end them, or give "
          "the migration more time (--lock-timeout and --lock-retries set the budget)",
          where, std::string(sqlstate::kLockNotAvailable)});
    }
    const auto now = Clock::now();
    if (now >= report_at) {
      report_at = now + kReportEvery;
      policy_.say(
          LogLevel::kWarn,
          fmt::format("version {}: statement {} needs {}; {} outside the lock queue ({} so "
                      "far, budget {}) while other sessions hold or wait for conflicting locks; {}",
                      step.version, statement.index, describe_locks(locks),
                      first ? "waiting" : "still waiting", seconds_or_ms(total), budget_text(),
                      describe_blockers(blockers)));
    }
    auto nap = kPollEvery;
    if (limit) nap = std::min(nap, std::max(std::chrono::milliseconds(1), *limit - total));
    std::this_thread::sleep_for(nap);
  }
}

std::vector<DatabaseSession> LockQueueGate::conflicts_now(const std::vector<RelationLock>& locks) {
  if (locks.empty() || Clock::now() - looked_ < kLookAgainAfter) return {};
  // No history of earlier looks here: only transactions whose age is visible can be known old.
  first_seen_.clear();
  return blockers(locks, false);
}

}  // namespace migrate
