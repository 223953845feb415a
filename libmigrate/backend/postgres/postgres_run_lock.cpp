// The run lock and what pg_stat_activity says about runs: who holds the lock, which sessions a
// killed run left behind, and which long transactions would block the plan (pre-flight).
#include <fmt/format.h>

#include <optional>
#include <thread>

#include "libmigrate/backend/postgres/postgres_backend.hpp"
#include "libmigrate/error/failure.hpp"

namespace migrate {

void PostgresBackend::acquire_run_lock(std::chrono::milliseconds wait) {
  if (!lock_conn_) lock_conn_ = connect("lock");
  // A pooled lock would be left behind in the pooler's server session: refuse before taking it.
  check_sessions_are_pinned();
  auto deadline = std::chrono::steady_clock::now() + wait;
  bool logged = false;
  while (true) {
    std::optional<int> taken_in;  // the server session that took the lock
    {
      pqxx::nontransaction q(*lock_conn_);
      auto r = q.exec_params("SELECT pg_try_advisory_lock($1, $2), pg_backend_pid()", keys_.first,
                             keys_.second);
      if (r[0][0].as<bool>()) taken_in = r[0][1].as<int>();
    }
    if (taken_in) {
      holding_run_lock_ = true;
      check_lock_is_pinned(*taken_in);
      return;
    }
    auto holders = run_lock_holders();
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string who =
          holders.empty() ? std::string("a session that has just released it") : std::string();
      for (const auto& h : holders)
        who += (who.empty() ? "" : fmt::format(", with its {} ", h.role)) + describe_holder(h);
      fail(ErrorCode::kRunInProgress,
           fmt::format("a migration run is in progress: the migration lock of {}.{} is held by {}; "
                       "waited {} ms",
                       schema_, table_, who, wait.count()),
           "wait for that migration to finish (`migrate status` shows it), or raise --lock-wait; "
           "if its process is gone, end each session named with SELECT pg_terminate_backend(pid)");
    }
    if (!logged && !holders.empty()) {
      log(LogLevel::kInfo, fmt::format("waiting for the migration lock held by {}",
                                       describe_holder(holders.front())));
      logged = true;
    }
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        std::chrono::milliseconds(250), std::chrono::duration_cast<std::chrono::milliseconds>(
                                            deadline - std::chrono::steady_clock::now()) +
                                            std::chrono::milliseconds(1)));
  }
}

void PostgresBackend::release_run_lock() noexcept {
  if (!holding_run_lock_ || !lock_conn_) return;
  try {
    pqxx::nontransaction q(*lock_conn_);
    q.exec_params("SELECT pg_advisory_unlock($1, $2)", keys_.first, keys_.second);
  } catch (const std::exception&) {
    // Closing the connection releases a session lock too.
  }
  holding_run_lock_ = false;
}

namespace {

// What announce_step's query returns: pg_stat_activity.query of the lock connection starts with
// it, and run_lock_holders reads the step back from there.
constexpr std::string_view kStepMarker = "SELECT 'migrate step: ";

// "SELECT 'migrate step: apply 12 (x)'" -> "apply 12 (x)"; empty for any other query.
std::string announced_step(const std::string& query) {
  if (!query.starts_with(kStepMarker)) return {};
  std::string step;
  for (std::size_t i = kStepMarker.size(); i < query.size(); ++i) {
    if (query[i] != '\'') {
      step += query[i];
    } else if (i + 1 < query.size() && query[i + 1] == '\'') {
      step += '\'';
      ++i;
    } else {
      break;
    }
  }
  return step;
}

}  // namespace

void PostgresBackend::announce_step(const std::string& description) noexcept {
  if (!holding_run_lock_ || !lock_conn_) return;
  try {
    // Before the step's transaction begins: no session idles in a transaction while the
    // monitor connects. A run with nothing to do opens none.
    blocker_watch();
  } catch (const std::exception&) {
    // A thread that cannot start: execute() tries again and reports it.
  }
  try {
    pqxx::nontransaction q(*lock_conn_);
    q.exec(std::string(kStepMarker) + q.esc(description) + "'");
  } catch (const std::exception&) {
    // Only `status` loses the step's name; the lock itself is checked where it matters.
  }
}

std::vector<DatabaseSession> PostgresBackend::run_lock_holders() {
  // The holder is a run's lock connection. Its sibling connections carry the same
  // "application/version host:pid " prefix with another role at the end (see connect()): the
  // statements run on " migrations", the blocker watch polls on " monitor". Only the first one
  // holds the migration lock; each is labelled with its role so nobody takes the others for it.
  // Then the sessions a run's statement waits behind, with the locks they hold or wait for.
  auto rows = with_transaction([&](pqxx::transaction_base& q) {
    return q.exec_params(
        fmt::format(
            "WITH holder AS (SELECT a.* FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.classid = ($1::int)::oid AND l.objid = "
            "($2::int)::oid "
            "AND l.objsubid = 2 AND l.granted AND l.database = (SELECT oid FROM pg_database "
            "WHERE datname = current_database())), "
            "run AS (SELECT regexp_replace(application_name, 'lock$', '') AS prefix FROM holder "
            "WHERE application_name LIKE '% lock'), "
            "member AS (SELECT a.*, 'migration lock' AS what, 0 AS kind FROM holder a UNION ALL "
            "SELECT a.*, '', 1 FROM pg_stat_activity a, run "
            "WHERE a.pid NOT IN (SELECT pid FROM holder) "
            "AND left(a.application_name, length(run.prefix)) = run.prefix), "
            "blocker AS (SELECT a.*, coalesce((SELECT string_agg(l.mode || ' on ' || "
            "l.relation::regclass::text || CASE WHEN l.granted THEN ' (granted)' ELSE ' "
            "(waiting)' END, ', ') FROM pg_locks l WHERE l.pid = a.pid AND l.relation IS NOT "
            "NULL), '') AS what, 2 AS kind FROM pg_stat_activity a WHERE a.pid IN (SELECT "
            "unnest(pg_blocking_pids(m.pid)) FROM member m) AND a.pid NOT IN (SELECT pid FROM "
            "member)) "
            "SELECT {}, a.what, a.kind, greatest(0, extract(epoch FROM clock_timestamp() - "
            "coalesce(a.query_start, clock_timestamp())))::float8, "
            "coalesce(a.wait_event_type || ': ' || "
            "a.wait_event, ''), array_to_string(pg_blocking_pids(a.pid), ',') "
            "FROM (SELECT * FROM member UNION ALL SELECT * FROM blocker) a ORDER BY 10, 1",
            kSessionColumns),
        keys_.first, keys_.second);
  });
  std::vector<DatabaseSession> out;
  for (const auto& r : rows) {
    DatabaseSession s = session_from(r, r[8].as<std::string>());
    const int kind = r[9].as<int>();
    s.role = kind == 0   ? "run lock holder"
             : kind == 1 ? session_role(s.application_name)
                         : "blocks the run";
    s.query_age_s = r[10].as<double>();
    s.wait_event = r[11].as<std::string>();
    const std::string blockers = r[12].as<std::string>();
    for (std::size_t at = 0; at < blockers.size();) {
      const std::size_t comma = std::min(blockers.find(',', at), blockers.size());
      s.blocked_by.push_back(std::stoi(blockers.substr(at, comma - at)));
      at = comma + 1;
    }
    if (kind == 0) s.running_step = announced_step(s.query);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<DatabaseSession> PostgresBackend::sessions_of_run(const std::string& client) {
  // client is "host:pid:application"; application_name carries " host:pid " (see connect()).
  auto second = client.find(':', client.find(':') + 1);
  std::string host_pid = client.substr(0, second);
  auto rows = with_transaction([&](pqxx::transaction_base& q) {
    // Inside a transaction pg_stat_activity is a snapshot taken once: clear it, so a
    // poll sees sessions end.
    q.exec("SELECT pg_stat_clear_snapshot()");
    // This process's own connections share the host:pid (a run that reconnected after losing
    // its connection looks for the statements its old session left running): this run's own
    // are left out.
    return q.exec_params(
        fmt::format("SELECT {} FROM pg_stat_activity a WHERE a.application_name LIKE "
                    "'% ' || $1 || ' %' AND a.pid <> pg_backend_pid() AND a.pid <> $2 AND "
                    "a.pid <> $3",
                    kSessionColumns),
        host_pid, lock_conn_ ? lock_conn_->backendpid() : 0, watch_ ? watch_->monitor_pid() : 0);
  });
  std::vector<DatabaseSession> out;
  for (const auto& r : rows) {
    DatabaseSession s = session_from(r, "connection of an interrupted run");
    s.role = session_role(s.application_name);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<DatabaseSession> PostgresBackend::long_transactions(
    const std::vector<std::string>& relations, std::chrono::milliseconds min_age) {
  if (relations.empty()) return {};
  std::string list;
  for (const auto& r : relations) list += (list.empty() ? "" : ",") + r;
  pqxx::nontransaction q(*work_);
  // to_regclass() ignores relations that do not exist yet (created by the plan itself).
  auto rows = q.exec_params(
      fmt::format(
          "SELECT {}, string_agg(l.mode || ' on ' || l.relation::regclass::text || "
          "CASE WHEN l.granted THEN ' (granted)' ELSE ' (waiting)' END, ', ') "
          "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
          "WHERE l.relation IN (SELECT to_regclass(x) FROM unnest(string_to_array($1, ',')) x "
          "WHERE to_regclass(x) IS NOT NULL) AND a.pid <> pg_backend_pid() "
          "AND a.xact_start < now() - ($2 || ' milliseconds')::interval "
          "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 7 DESC",
          kSessionColumns),
      list, std::to_string(min_age.count()));
  std::vector<DatabaseSession> out;
  for (const auto& r : rows) out.push_back(session_from(r, r[8].as<std::string>()));
  return out;
}

}  // namespace migrate
