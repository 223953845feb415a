// Lock-queue avoidance's view of pg_locks: who would make a lock request wait, asked before the
// request is made (docs/postgresql.md#lock-queue-avoidance).
#include <fmt/format.h>

#include <string>

#include "libmigrate/backend/postgres/postgres_backend.hpp"
#include "libmigrate/error/failure.hpp"
#include "libmigrate/error/sqlstate.hpp"

namespace migrate {
namespace {

// pg_locks.mode of each level, for the list of modes that conflict with a wanted one.
const char* pg_locks_mode(LockLevel level) {
  switch (level) {
    case LockLevel::kAccessShare:
      return "AccessShareLock";
    case LockLevel::kRowShare:
      return "RowShareLock";
    case LockLevel::kRowExclusive:
      return "RowExclusiveLock";
    case LockLevel::kShareUpdateExclusive:
      return "ShareUpdateExclusiveLock";
    case LockLevel::kShare:
      return "ShareLock";
    case LockLevel::kShareRowExclusive:
      return "ShareRowExclusiveLock";
    case LockLevel::kExclusive:
      return "ExclusiveLock";
    case LockLevel::kAccessExclusive:
      return "AccessExclusiveLock";
    case LockLevel::kNone:
    case LockLevel::kDatabaseWrite:
      break;
  }
  return nullptr;
}

// Relation names may hold any character but this one (the ASCII unit separator), which splits
// the lists passed as one text parameter each.
constexpr char kSeparator = '\x1f';

}  // namespace

std::vector<DatabaseSession> PostgresBackend::lock_conflicts(
    const std::vector<RelationLock>& wanted, std::chrono::milliseconds min_transaction_age) {
  std::string relations;
  std::string modes;  // per relation: the pg_locks modes that conflict with the wanted one
  for (const auto& w : wanted) {
    std::string conflicting;
    for (int l = static_cast<int>(LockLevel::kAccessShare);
         l <= static_cast<int>(LockLevel::kAccessExclusive); ++l) {
      if (lock_levels_conflict(w.level, static_cast<LockLevel>(l)))
        conflicting += (conflicting.empty() ? "" : ",") +
                       std::string(pg_locks_mode(static_cast<LockLevel>(l)));
    }
    if (conflicting.empty() || w.relation.find(kSeparator) != std::string::npos) continue;
    if (!relations.empty()) {
      relations += kSeparator;
      modes += kSeparator;
    }
    // The analyzer's names are the parse tree's, case kept ("Orders", "app.Orders"): quoted,
    // so that to_regclass does not fold them to lower case.
    const auto dot = w.relation.find('.');
    if (dot != std::string::npos && w.relation.find('.', dot + 1) == std::string::npos)
      relations += quote_identifier(w.relation.substr(0, dot)) + "." +
                   quote_identifier(w.relation.substr(dot + 1));
    else
      relations += quote_identifier(w.relation);
    modes += conflicting;
  }
  if (relations.empty()) return {};
  // Autovacuum gives way by itself: PostgreSQL cancels a worker that blocks a lock request
  // (after deadlock_timeout), except one that prevents wraparound, which is waited for.
  // A prepared transaction's locks have no pid and no pg_stat_activity row: the lateral row
  // stands in for it. pg_blocking_pids() is asked only about waiting requests.
  const std::string sql = fmt::format(
      "WITH wanted AS (SELECT to_regclass(r) AS oid, string_to_array(m, ',') AS modes "
      "FROM unnest(string_to_array($1, chr(31)), string_to_array($2, chr(31))) AS w(r, m)) "
      "SELECT {}, l.mode || ' on ' || l.relation::regclass::text || CASE WHEN l.granted THEN "
      "' (granted)' ELSE ' (waiting)' END "
      "FROM wanted w JOIN pg_locks l ON l.locktype = 'relation' AND l.relation = w.oid "
      "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
      "AND l.mode = ANY (w.modes) "
      "CROSS JOIN LATERAL (SELECT coalesce(s.pid, 0) AS pid, "
      "CASE WHEN l.pid IS NULL THEN 'prepared transaction' ELSE s.application_name END "
      "AS application_name, s.client_addr, CASE WHEN l.pid IS NULL THEN 'prepared' ELSE "
      "s.state END AS state, s.backend_start, s.xact_start, s.query, s.backend_type "
      "FROM (SELECT 1) one LEFT JOIN pg_stat_activity s ON s.pid = l.pid) a "
      "WHERE w.oid IS NOT NULL AND l.pid IS DISTINCT FROM pg_backend_pid() "
      "AND (l.pid IS NULL OR a.xact_start IS NULL OR "
      "a.xact_start <= clock_timestamp() - ($3 || ' milliseconds')::interval) "
      "AND NOT (coalesce(a.backend_type, '') = 'autovacuum worker' "
      "AND coalesce(a.query, '') NOT LIKE '%(to prevent wraparound)%') "
      "AND CASE WHEN l.granted THEN true "
      "ELSE NOT (pg_backend_pid() = ANY (pg_blocking_pids(l.pid))) END "
      "ORDER BY a.xact_start NULLS FIRST, 1",
      kSessionColumns);
  try {
    auto rows = with_transaction([&](pqxx::transaction_base& q) {
      return q.exec_params(sql, relations, modes, std::to_string(min_transaction_age.count()));
    });
    std::vector<DatabaseSession> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(session_from(r, r[8].as<std::string>()));
    return out;
  } catch (const pqxx::sql_error& e) {
    if (sqlstate::is_connection_loss(e.sqlstate())) connection_lost(e, "", {}, e.sqlstate());
    throw Failure(own_statement_error(e));
  } catch (const pqxx::broken_connection& e) {
    connection_lost(e, "");
  }
}

}  // namespace migrate
