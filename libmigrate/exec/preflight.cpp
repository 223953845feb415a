#include "libmigrate/exec/preflight.hpp"

#include <fmt/format.h>

#include <set>
#include <thread>

#include "libmigrate/error/failure.hpp"

namespace migrate {

// Long transactions that hold or wait for locks on the plan's tables would make its statements
// queue (and everyone behind them): report them, wait for them if asked, refuse if they stay.
void preflight(Backend& backend, const Plan& plan, const ExecPolicy& policy) {
  std::vector<std::string> relations;
  std::set<std::string> seen;
  for (const auto& step : plan.steps)
    for (const auto& st : step.statements)
      for (const auto& r : st.relations)
        if (seen.insert(r).second) relations.push_back(r);
  auto deadline = std::chrono::steady_clock::now() + policy.wait_for_quiet;
  while (true) {
    auto sessions = backend.long_transactions(relations, policy.preflight_min_age);
    if (sessions.empty()) return;
    std::string list;
    for (const auto& s : sessions) {
      list += fmt::format("\n  pid {} ({}, {}), {}, transaction age {:.0f}s, {}: {}", s.pid,
                          s.application_name, s.client_addr, s.state, s.transaction_age_s, s.lock,
                          s.query);
    }
    if (policy.wait_for_quiet.count() == 0) {
      policy.say(
          LogLevel::kWarn,
          fmt::format("pre-flight: {} long transaction(s) hold or wait for locks on tables of this "
                      "plan; its "
                      "statements may time out on lock_timeout and retry:{}",
                      sessions.size(), list));
      return;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      fail(ErrorCode::kBusy,
           fmt::format("pre-flight: {} long transaction(s) still hold or wait for locks on tables "
                       "of this plan "
                       "after waiting {} ms:{}",
                       sessions.size(), policy.wait_for_quiet.count(), list),
           "let them finish (or end them with pg_terminate_backend), then run apply again; nothing "
           "was applied");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

// A killed run's lock connection closes at once, but a statement it had sent keeps running on its
// work connection until the server finishes it. Resuming before then would run it twice.
void wait_for_interrupted_statements(Backend& backend, const std::vector<VersionStatus>& statuses,
                                     const ExecPolicy& policy) {
  for (const auto& s : statuses) {
    if (s.state != State::kRunning || !s.last_attempt) continue;
    auto deadline = std::chrono::steady_clock::now() + policy.lock_wait;
    bool logged = false;
    while (true) {
      auto left = backend.sessions_of_run(s.last_attempt->client);
      if (left.empty()) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        std::string list;
        for (const auto& l : left)
          list +=
              fmt::format("\n  pid {} ({}), {}: {}", l.pid, l.application_name, l.state, l.query);
        fail(ErrorCode::kRunInProgress,
             fmt::format("version {} was interrupted, but its run ({}) still has sessions open; "
                         "waited {} ms:{}",
                         s.version, s.last_attempt->client, policy.lock_wait.count(), list),
             "wait for the statement to finish, or end it with SELECT pg_terminate_backend(pid), "
             "then apply again");
      }
      if (!logged)
        policy.say(
            LogLevel::kInfo,
            fmt::format(
                "version {} was interrupted; waiting for its run's statement on pid {} to end",
                s.version, left.front().pid));
      logged = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
}

}  // namespace migrate
