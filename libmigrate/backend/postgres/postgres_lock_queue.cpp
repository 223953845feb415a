// Lock-queue avoidance's view of pg_locks: who would make a lock request wait, asked before the
// request is made (docs/postgresql.md#lock-queue-avoidance).
#include <fmt/format.h>

#include <map>
#include <set>
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

// Whether any other session holds or waits for a conflicting lock: the full query's rows
// without the sessions' details (and without its pg_blocking_pids() filter, so a request waiting
// behind this backend's own transaction also answers true, and the full query then decides).
constexpr const char* kAnyConflict =
    "SELECT EXISTS (SELECT 1 FROM unnest(string_to_array($1, chr(31)), "
    "string_to_array($2, chr(31))) AS w(r, m) JOIN pg_locks l ON l.locktype = 'relation' "
    "AND l.relation = to_regclass(w.r) AND l.mode = ANY (string_to_array(w.m, ',')) "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "WHERE l.pid IS DISTINCT FROM pg_backend_pid())";

}  // namespace

std::vector<LockConflict> PostgresBackend::lock_conflicts(const std::vector<RelationLock>& wanted) {
  // Per relation, every mode that conflicts with one of the modes wanted for it: lock modes are
  // not ordered by what they conflict with (SHARE does not conflict with SHARE, ROW EXCLUSIVE
  // does), so the union, not the strongest.
  std::map<std::string, std::set<LockLevel>> conflicting;
  for (const auto& w : wanted) {
    if (w.relation.find(kSeparator) != std::string::npos) continue;
    for (int l = static_cast<int>(LockLevel::kAccessShare);
         l <= static_cast<int>(LockLevel::kAccessExclusive); ++l) {
      if (lock_levels_conflict(w.level, static_cast<LockLevel>(l)))
        conflicting[w.relation].insert(static_cast<LockLevel>(l));
    }
  }
  std::string relations;
  std::string modes;
  for (const auto& [relation, levels] : conflicting) {
    if (levels.empty()) continue;
    if (!relations.empty()) {
      relations += kSeparator;
      modes += kSeparator;
    }
    // The analyzer's names are the parse tree's, case kept ("Orders", "app.Orders"): quoted,
    // so that to_regclass does not fold them to lower case.
    const auto dot = relation.find('.');
    if (dot != std::string::npos && relation.find('.', dot + 1) == std::string::npos)
      relations += quote_identifier(relation.substr(0, dot)) + "." +
                   quote_identifier(relation.substr(dot + 1));
    else
      relations += quote_identifier(relation);
    std::string list;
    for (LockLevel l : levels) list += (list.empty() ? "" : ",") + std::string(pg_locks_mode(l));
    modes += list;
  }
  if (relations.empty()) return {};
  // Outside a transaction this backend holds no lock, and no request can wait for it: the
  // pg_blocking_pids() test (which takes every lock-manager partition lock) is only needed in one.
  const bool holds_locks = tx_ != nullptr;
  // A prepared transaction's locks have no pid and no pg_stat_activity row: the lateral row
  // stands in for it. A role without pg_read_all_stats sees other roles' sessions with a NULL
  // xact_start: their age is unknown (age_known false), and the caller judges them by how long
  // their transaction stays.
  const std::string sql = fmt::format(
      "WITH wanted AS (SELECT to_regclass(r) AS oid, string_to_array(m, ',') AS modes "
      "FROM unnest(string_to_array($1, chr(31)), string_to_array($2, chr(31))) AS w(r, m)) "
      "SELECT {}, l.mode || ' on ' || l.relation::regclass::text || CASE WHEN l.granted THEN "
      "' (granted)' ELSE ' (waiting)' END, a.xact_start IS NOT NULL, l.virtualtransaction, "
      "l.pid IS NULL "
      "FROM wanted w JOIN pg_locks l ON l.locktype = 'relation' AND l.relation = w.oid "
      "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
      "AND l.mode = ANY (w.modes) "
      "CROSS JOIN LATERAL (SELECT coalesce(s.pid, l.pid, 0) AS pid, "
      "CASE WHEN l.pid IS NULL THEN 'prepared transaction' ELSE s.application_name END "
      "AS application_name, s.client_addr, CASE WHEN l.pid IS NULL THEN 'prepared' ELSE "
      "s.state END AS state, s.backend_start, coalesce(s.xact_start, p.prepared) AS xact_start, "
      "s.query FROM (SELECT 1) one LEFT JOIN pg_stat_activity s ON s.pid = l.pid "
      "LEFT JOIN pg_prepared_xacts p ON l.pid IS NULL AND p.transaction = "
      "(SELECT t.transactionid FROM pg_locks t WHERE t.locktype = 'transactionid' "
      "AND t.virtualtransaction = l.virtualtransaction LIMIT 1)) a "
      "WHERE w.oid IS NOT NULL AND l.pid IS DISTINCT FROM pg_backend_pid() {}"
      "ORDER BY a.xact_start NULLS LAST, 1",
      kSessionColumns,
      holds_locks ? "AND CASE WHEN l.granted THEN true "
                    "ELSE NOT (pg_backend_pid() = ANY (pg_blocking_pids(l.pid))) END "
                  : "");
  try {
    auto rows = with_transaction([&](pqxx::transaction_base& q) {
      // Nearly always nothing conflicts: a look at pg_locks alone says so at a fraction of the
      // cost of planning the full query over pg_stat_activity (every step of a run looks).
      if (!q.exec_params(kAnyConflict, relations, modes)[0][0].as<bool>()) return pqxx::result();
      // pg_stat_activity is read once per transaction and kept: a look later in the same
      // transaction would not see the sessions that started since (their age unknown).
      if (holds_locks) q.exec("SELECT pg_stat_clear_snapshot()");
      return q.exec_params(sql, relations, modes);
    });
    std::vector<LockConflict> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
      LockConflict c;
      c.session = session_from(r, r[8].as<std::string>());
      c.age_known = r[9].as<bool>();
      c.transaction = r[10].is_null() ? std::string() : r[10].as<std::string>();
      c.prepared = r[11].as<bool>();
      out.push_back(std::move(c));
    }
    return out;
  } catch (const pqxx::sql_error& e) {
    if (sqlstate::is_connection_loss(e.sqlstate())) connection_lost(e, "", {}, e.sqlstate());
    throw Failure(own_statement_error(e));
  } catch (const pqxx::broken_connection& e) {
    connection_lost(e, "");
  }
}

}  // namespace migrate
