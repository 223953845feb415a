// The lock tracer's sessions: the one statements run on, and for a statement that cannot run in
// a transaction a blocker (holds a lock the statement waits for) and an observer (reads the
// waiting statement's pg_locks rows). pg_locks shows a lock held or asked for; the strongest mode
// per relation is what the analyzer's table is compared with.
#include "libmigrate/backend/lock_tracer.hpp"

#include <fmt/format.h>

#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "libmigrate/backend/database_url.hpp"
#include "libmigrate/backend/postgres/postgres_backend.hpp"
#include "libmigrate/error/database_condition.hpp"
#include "libmigrate/error/failure.hpp"
#include "libmigrate/error/sqlstate.hpp"
#include "libmigrate/sql/postgres_statement.hpp"

namespace migrate {

namespace {

using Clock = std::chrono::steady_clock;

LockLevel level_of_mode(const std::string& mode) {
  static const std::map<std::string, LockLevel> kModes{
      {"AccessShareLock", LockLevel::kAccessShare},
      {"RowShareLock", LockLevel::kRowShare},
      {"RowExclusiveLock", LockLevel::kRowExclusive},
      {"ShareUpdateExclusiveLock", LockLevel::kShareUpdateExclusive},
      {"ShareLock", LockLevel::kShare},
      {"ShareRowExclusiveLock", LockLevel::kShareRowExclusive},
      {"ExclusiveLock", LockLevel::kExclusive},
      {"AccessExclusiveLock", LockLevel::kAccessExclusive}};
  auto it = kModes.find(mode);
  return it == kModes.end() ? LockLevel::kNone : it->second;
}

int strength(LockLevel l) {
  return static_cast<int>(l);
}

// One pg_locks row of a relation: its oid, the name PostgreSQL prints for it now ("" once
// dropped), its relkind ('?' once dropped) and the mode held or asked for.
struct LockRow {
  std::string oid;
  std::string name;
  char relkind = '?';
  LockLevel level = LockLevel::kNone;
};

// The relation locks of backend `pid` on this database's own (non-catalog) relations.
std::string locks_query(int pid) {
  return "SELECT l.relation::oid::text, coalesce(c.oid::regclass::text, ''), "
         "coalesce(c.relkind, '?'), l.mode FROM pg_locks l "
         "LEFT JOIN pg_class c ON c.oid = l.relation "
         "WHERE l.locktype = 'relation' AND l.pid = " +
         std::to_string(pid) +
         " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
         "AND (c.oid IS NULL OR c.relnamespace NOT IN ('pg_catalog'::regnamespace, "
         "'pg_toast'::regnamespace, 'information_schema'::regnamespace))";
}

template <typename Transaction>
std::vector<LockRow> read_lock_rows(Transaction& t, int pid) {
  std::vector<LockRow> out;
  for (const auto& row : t.exec(locks_query(pid)))
    out.push_back(
        {row[0].c_str(), row[1].c_str(), row[2].c_str()[0], level_of_mode(row[3].c_str())});
  return out;
}

// The oid of each name that resolves now (to_regclass); absent names are left out.
// The name as written ("app.orders", "Team Members"), quoted part by part for to_regclass.
template <typename Transaction>
std::string regclass_text(Transaction& t, const std::string& name) {
  const auto dot = name.find('.');
  if (dot == std::string::npos) return t.quote_name(name);
  return t.quote_name(name.substr(0, dot)) + "." + t.quote_name(name.substr(dot + 1));
}

template <typename Transaction>
std::map<std::string, std::string> resolve(Transaction& t, const std::set<std::string>& names) {
  std::map<std::string, std::string> out;
  for (const auto& name : names) {
    auto r = t.exec("SELECT to_regclass(" + t.quote(regclass_text(t, name)) + ")::oid::text");
    if (!r.empty() && !r[0][0].is_null()) out[name] = r[0][0].c_str();
  }
  return out;
}

std::string oid_array(const std::map<std::string, std::string>& oids) {
  std::string out;
  for (const auto& [name, oid] : oids) out += (out.empty() ? "" : ",") + oid;
  return "'{" + out + "}'::oid[]";
}

// Relations the catalog ties to the named ones before the statement runs, and the name each is
// tied to: the table of a named index, the other table of a foreign key on or to a named table.
template <typename Transaction>
std::map<std::string, std::string> related_relations(
    Transaction& t, const std::map<std::string, std::string>& named_oids) {
  std::map<std::string, std::string> out;
  if (named_oids.empty()) return out;
  const std::string oids = oid_array(named_oids);
  auto rows = t.exec(
      "SELECT indrelid::text, indexrelid::text FROM pg_index WHERE indexrelid = ANY(" + oids +
      ") UNION ALL SELECT confrelid::text, conrelid::text FROM pg_constraint WHERE contype = 'f' "
      "AND conrelid = ANY(" +
      oids +
      ") UNION ALL SELECT conrelid::text, confrelid::text FROM pg_constraint WHERE contype = 'f' "
      "AND confrelid = ANY(" +
      oids + ")");
  std::map<std::string, std::string> name_of;
  for (const auto& [name, oid] : named_oids) name_of.emplace(oid, name);
  for (const auto& row : rows) out.emplace(row[0].c_str(), name_of[row[1].c_str()]);
  return out;
}

// Whether the statement's locks on related relations (the table of an index it names, the other
// table of a foreign key) follow from the named relation by design, as the analyzer's table
// documents them without naming them: dropping or reindexing an index, dropping a table, dropping
// a constraint. For any other statement such a lock is one the analyzer misses (an ALTER COLUMN
// TYPE of a referenced key rebuilds the foreign key and locks the referencing table).
bool relatives_locked_by_design(const std::string& sql) {
  PgStatementInfo info;
  try {
    info = describe_postgres_statement(sql);
  } catch (const Failure&) {
    return false;  // the server ran it, so this is the parser's gap: compare strictly
  }
  if (info.node_type == "DropStmt" || info.node_type == "ReindexStmt") return true;
  if (info.node_type != "AlterTableStmt") return false;
  const auto cmds = info.node.find("cmds");
  if (cmds == info.node.end() || !cmds->is_array() || cmds->empty()) return false;
  for (const auto& cmd : *cmds) {
    const auto c = cmd.find("AlterTableCmd");
    if (c == cmd.end() || c->value("subtype", "") != "AT_DropConstraint") return false;
  }
  return true;
}

// The first line of a libpq message, without its severity.
std::string first_line(const std::string& what) {
  std::string line = what.substr(0, what.find('\n'));
  for (const char* prefix : {"ERROR:  ", "FATAL:  "})
    if (line.starts_with(prefix)) line = line.substr(std::string_view(prefix).size());
  return line;
}

// The error of a migration statement that failed on the trace database.
[[noreturn]] void statement_failed(const pqxx::sql_error& e, const std::string& url,
                                   const SourceLocation& where) {
  const std::string state = sqlstate_of(e);
  const std::string message = "on the trace database: " + redact_secrets(first_line(e.what()), url);
  if (state == sqlstate::kLockNotAvailable)
    throw Failure(Error{ErrorCode::kLockTimeout, message,
                        "another session holds a lock the statement needs on the trace database; "
                        "trace again when it is gone, or trace on a temporary copy (no --trace-db)",
                        where, state});
  if (auto condition = postgres_condition(state))
    throw Failure(Error{condition->code, message, condition->fix, where, state});
  throw Failure(Error{ErrorCode::kStatementFailed, message,
                      "fix the statement; nothing changed on the target database", where, state});
}

[[noreturn]] void connection_lost(const std::exception& e, const std::string& url,
                                  const SourceLocation& where) {
  throw Failure(Error{
      ErrorCode::kConnectionLost,
      "lost the connection to the trace database: " + redact_secrets(first_line(e.what()), url),
      "check the server and trace again",
      where,
      {}});
}

// The weakest mode that conflicts with `level` (PostgreSQL's conflict table).
LockLevel weakest_conflicting(LockLevel level) {
  switch (level) {
    case LockLevel::kAccessShare:
      return LockLevel::kAccessExclusive;
    case LockLevel::kRowShare:
      return LockLevel::kExclusive;
    case LockLevel::kRowExclusive:
      return LockLevel::kShare;
    case LockLevel::kShareUpdateExclusive:
      return LockLevel::kShareUpdateExclusive;
    case LockLevel::kNone:
      return LockLevel::kNone;
    default:
      return LockLevel::kRowExclusive;  // SHARE and stronger all conflict with ROW EXCLUSIVE
  }
}

// The oids of this database's own relations now.
template <typename Transaction>
std::set<std::string> existing_relations(Transaction& t) {
  std::set<std::string> out;
  for (const auto& row : t.exec("SELECT oid::text FROM pg_class WHERE relnamespace NOT IN "
                                "('pg_catalog'::regnamespace, 'pg_toast'::regnamespace, "
                                "'information_schema'::regnamespace)"))
    out.insert(row[0].c_str());
  return out;
}

// Folds pg_locks rows into one TracedLock per relation (the strongest mode), named as the
// analyzer names it where it does, and marks the relations the catalog ties to a named one and
// those that did not exist before the statement (not in `existing`).
std::vector<TracedLock> fold(const std::vector<LockRow>& rows,
                             const std::map<std::string, std::string>& name_of_oid,
                             const std::map<std::string, std::string>& related,
                             const std::set<std::string>& existing) {
  std::map<std::string, TracedLock> by_oid;
  std::vector<std::string> order;
  for (const auto& row : rows) {
    auto [it, inserted] = by_oid.try_emplace(row.oid);
    TracedLock& lock = it->second;
    if (inserted) {
      order.push_back(row.oid);
      auto named = name_of_oid.find(row.oid);
      lock.relation = named != name_of_oid.end() ? named->second
                      : !row.name.empty()        ? row.name
                                                 : fmt::format("oid {} (dropped)", row.oid);
      lock.relkind = row.relkind;
      if (named == name_of_oid.end()) {
        auto tie = related.find(row.oid);
        if (tie != related.end()) lock.related_to = tie->second;
        lock.created = !existing.contains(row.oid);
      }
    }
    if (strength(row.level) > strength(lock.level)) lock.level = row.level;
  }
  std::vector<TracedLock> out;
  for (const auto& oid : order) out.push_back(by_oid[oid]);
  return out;
}

std::set<std::string> analyzer_names(const TracedStatement& s) {
  std::set<std::string> names;
  for (const auto& l : s.analyzer_locks) names.insert(l.relation);
  return names;
}

std::vector<std::string> unresolved(const std::set<std::string>& names,
                                    const std::map<std::string, std::string>& oids) {
  std::vector<std::string> out;
  for (const auto& name : names)
    if (!oids.contains(name)) out.push_back(name);
  return out;
}

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

}  // namespace

class PostgresLockTracer final : public LockTracer {
 public:
  PostgresLockTracer(const std::string& url, Settings settings);
  ~PostgresLockTracer() override { rollback(); }
  std::vector<std::string> trace(TracedStatement& statement, const SourceLocation& where) override;
  void rollback() noexcept override;

 private:
  struct Sessions {
    explicit Sessions(const std::string& url) : conn(url) {}
    pqxx::connection conn;
    std::unique_ptr<pqxx::work> shared;  // kOneTransaction
    // kOneTransaction: every (oid, mode) the transaction holds, and the statement that took it.
    struct Taken {
      std::string version;
      int statement = 0;
    };
    std::map<std::pair<std::string, LockLevel>, Taken> held;
  };
  std::string url_;
  Settings settings_;
  std::unique_ptr<Sessions> sessions_;
};

PostgresLockTracer::PostgresLockTracer(const std::string& url, Settings settings)
    : url_(url), settings_(std::move(settings)) {
  try {
    sessions_ = std::make_unique<Sessions>(url_);
    pqxx::nontransaction q(sessions_->conn);
    q.exec("SET application_name = " + q.quote(settings_.application_name));
    q.exec(fmt::format("SET lock_timeout = {}", settings_.lock_timeout.count()));
    q.exec(fmt::format("SET statement_timeout = {}", settings_.statement_timeout.count()));
  } catch (const std::exception& e) {
    fail(ErrorCode::kConnectionFailed,
         fmt::format("cannot connect to the trace database {}: {}", redact_url(url_),
                     redact_secrets(first_line(e.what()), url_)),
         "check the URL, the server and the role's privileges");
  }
}

void PostgresLockTracer::rollback() noexcept {
  if (!sessions_ || !sessions_->shared) return;
  try {
    sessions_->shared->abort();
  } catch (...) {
    // A lost connection rolls back by itself.
  }
  sessions_->shared.reset();
  sessions_->held.clear();
}

std::vector<std::string> PostgresLockTracer::trace(TracedStatement& s,
                                                   const SourceLocation& where) {
  const std::set<std::string> names = analyzer_names(s);
  s.locks.clear();
  s.duration_ms = 0;
  s.not_traced_reason.clear();
  s.method = TraceMethod::kNotTraced;
  if (s.autocommit && settings_.mode == Mode::kOneTransaction) {
    s.not_traced_reason =
        "it cannot run in a transaction, so it is not run on a database named with --trace-db "
        "(it could not be undone); a trace without --trace-db, on a temporary copy, traces it";
    return {};
  }
  pqxx::connection& conn = sessions_->conn;
  if (!s.autocommit) {
    std::unique_ptr<pqxx::work> own;
    try {
      if (settings_.mode == Mode::kOneTransaction && !sessions_->shared)
        sessions_->shared = std::make_unique<pqxx::work>(conn);
      pqxx::work& t = settings_.mode == Mode::kOneTransaction
                          ? *sessions_->shared
                          : *(own = std::make_unique<pqxx::work>(conn));
      std::map<std::string, std::string> oids = resolve(t, names);
      const auto related = relatives_locked_by_design(s.sql) ? related_relations(t, oids)
                                                             : std::map<std::string, std::string>{};
      const auto existing = existing_relations(t);
      std::set<std::pair<std::string, LockLevel>> before;
      if (settings_.mode == Mode::kOneTransaction)
        for (const auto& row : read_lock_rows(t, conn.backendpid()))
          before.insert({row.oid, row.level});
      const auto start = Clock::now();
      t.exec(s.sql);
      s.duration_ms = elapsed_ms(start);
      for (const auto& [name, oid] : resolve(t, names)) oids.emplace(name, oid);  // new ones
      std::vector<LockRow> rows = read_lock_rows(t, conn.backendpid());
      std::map<std::string, std::string> name_of_oid;
      for (const auto& [name, oid] : oids) name_of_oid.emplace(oid, name);
      if (settings_.mode == Mode::kOneTransaction) {
        std::vector<LockRow> fresh;
        for (const auto& row : rows)
          if (!before.contains({row.oid, row.level})) {
            fresh.push_back(row);
            sessions_->held.emplace(std::pair{row.oid, row.level},
                                    Sessions::Taken{s.version, s.statement});
          }
        s.locks = fold(fresh, name_of_oid, related, existing);
        // A named relation whose lock, at exactly the analyzer's mode, an earlier statement
        // took: a request for a mode already held adds no pg_locks row, so it cannot be seen and
        // is reported as held since then. Any other mode held earlier says nothing about this
        // statement: what its own new rows show stands.
        for (const auto& expected : s.analyzer_locks) {
          auto oid = oids.find(expected.relation);
          if (oid == oids.end()) continue;
          auto current = std::find_if(s.locks.begin(), s.locks.end(), [&](const TracedLock& l) {
            return l.relation == expected.relation;
          });
          const LockLevel now = current == s.locks.end() ? LockLevel::kNone : current->level;
          if (strength(now) >= strength(expected.level)) continue;
          auto exact = sessions_->held.find({oid->second, expected.level});
          if (exact == sessions_->held.end() || !before.contains(exact->first)) continue;
          const Sessions::Taken* taken = &exact->second;
          const LockLevel held_level = expected.level;
          TracedLock lock;
          lock.relation = expected.relation;
          lock.level = held_level;
          lock.relkind = current == s.locks.end() ? '?' : current->relkind;
          lock.held_since_version = taken->version;
          lock.held_since_statement = taken->statement;
          if (current == s.locks.end()) {
            for (const auto& row : rows)
              if (row.oid == oid->second) lock.relkind = row.relkind;
            s.locks.push_back(lock);
          } else {
            *current = lock;
          }
        }
      } else {
        s.locks = fold(rows, name_of_oid, related, existing);
        t.commit();
      }
      s.method = TraceMethod::kTransaction;
      return unresolved(names, oids);
    } catch (const pqxx::broken_connection& e) {
      sessions_->shared.reset();
      connection_lost(e, url_, where);
    } catch (const pqxx::sql_error& e) {
      own.reset();
      rollback();
      statement_failed(e, url_, where);
    }
  }

  // Cannot run in a transaction (kCommitEach only): it runs alone on the tracer's session while
  // a blocker holds a lock it must wait for, and an observer reads its pg_locks during the wait.
  std::map<std::string, std::string> oids;
  std::map<std::string, std::string> related;
  std::set<std::string> existing;
  std::string blocker_sql;
  std::string blocked;
  try {
    pqxx::nontransaction q(conn);
    oids = resolve(q, names);
    if (relatives_locked_by_design(s.sql)) related = related_relations(q, oids);
    existing = existing_relations(q);
    // The blocker: on the relation the analyzer gives the strongest lock, a lock that conflicts
    // with that one. On an index, ROW EXCLUSIVE on its table, which the concurrent protocols wait
    // out after taking their own locks on both.
    const RelationLock* strongest = nullptr;
    for (const auto& l : s.analyzer_locks)
      if (oids.contains(l.relation) && l.level != LockLevel::kNone &&
          (!strongest || strength(l.level) > strength(strongest->level)))
        strongest = &l;
    if (strongest) {
      auto r = q.exec(
          "SELECT c.relkind::text, coalesce(i.indrelid::regclass::text, '') FROM "
          "pg_class c LEFT JOIN pg_index i ON i.indexrelid = c.oid WHERE c.oid = " +
          oids[strongest->relation]);
      const std::string relkind = r.empty() ? "" : r[0][0].c_str();
      const std::string table = r.empty() ? "" : r[0][1].c_str();
      if (relkind == "i" || relkind == "I") {
        blocked = table;
        blocker_sql = fmt::format("LOCK TABLE {} IN ROW EXCLUSIVE MODE", table);
      } else if (relkind == "r" || relkind == "p" || relkind == "m" || relkind == "v" ||
                 relkind == "f") {
        blocked = strongest->relation;
        blocker_sql = fmt::format(
            "LOCK TABLE {} IN {} MODE",
            q.exec("SELECT " + oids[strongest->relation] + "::oid::regclass::text")[0][0].c_str(),
            to_string(weakest_conflicting(strongest->level)));
      }
    }
    q.exec("SET lock_timeout = 0");
  } catch (const pqxx::broken_connection& e) {
    connection_lost(e, url_, where);
  } catch (const pqxx::sql_error& e) {
    statement_failed(e, url_, where);
  }

  std::optional<pqxx::connection> blocker;
  std::unique_ptr<pqxx::work> blocker_tx;
  if (!blocker_sql.empty()) {
    try {
      blocker.emplace(url_);
      blocker_tx = std::make_unique<pqxx::work>(*blocker);
      blocker_tx->exec(blocker_sql);
    } catch (const std::exception&) {
      // A relation LOCK TABLE refuses: the statement runs unblocked and is only sampled.
      blocker_tx.reset();
      blocked.clear();
    }
  }
  pqxx::connection observer(url_);
  const int pid = conn.backendpid();
  std::atomic<bool> done{false};
  std::optional<pqxx::sql_error> sql_failure;
  std::string lost;
  auto start = Clock::now();
  std::thread run([&] {
    try {
      pqxx::nontransaction q(conn);
      q.exec(s.sql);
    } catch (const pqxx::sql_error& e) {
      sql_failure.emplace(e);
    } catch (const std::exception& e) {
      lost = e.what();
    }
    done = true;
  });
  std::vector<LockRow> sampled;
  bool waited = false;
  std::string observe_error;
  try {
    const auto deadline = Clock::now() + settings_.observe_wait;
    while (!done && Clock::now() < deadline) {
      pqxx::nontransaction q(observer);
      auto waiting = q.exec("SELECT count(*) FROM pg_locks WHERE NOT granted AND pid = " +
                            std::to_string(pid));
      auto rows = read_lock_rows(q, pid);
      if (waiting[0][0].as<int>() > 0 && blocker_tx) {
        sampled = std::move(rows);
        waited = true;
        break;
      }
      sampled.insert(sampled.end(), rows.begin(), rows.end());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  } catch (const std::exception& e) {
    observe_error = redact_secrets(first_line(e.what()), url_);
  }
  if (waited) start = Clock::now();  // from the end of the wait the tracer caused
  if (blocker_tx) {
    try {
      blocker_tx->abort();
    } catch (...) {
      // Closing the connection below releases the lock as well.
    }
    blocker_tx.reset();
    blocker.reset();
  }
  run.join();
  s.duration_ms = elapsed_ms(start);
  try {
    pqxx::nontransaction q(conn);
    q.exec(fmt::format("SET lock_timeout = {}", settings_.lock_timeout.count()));
  } catch (const std::exception&) {
    // Reported below when the statement itself lost the connection.
  }
  if (sql_failure) statement_failed(*sql_failure, url_, where);
  if (!lost.empty()) connection_lost(std::runtime_error(lost), url_, where);
  for (const auto& [name, oid] : [&] {
         pqxx::nontransaction q(observer);
         return resolve(q, names);
       }())
    oids.emplace(name, oid);
  std::map<std::string, std::string> name_of_oid;
  for (const auto& [name, oid] : oids) name_of_oid.emplace(oid, name);
  s.locks = fold(sampled, name_of_oid, related, existing);
  if (waited) {
    s.method = TraceMethod::kWhileWaiting;
  } else {
    std::string seen;
    for (const auto& l : s.locks)
      seen += (seen.empty() ? "" : ", ") + l.relation + " " + to_string(l.level);
    s.not_traced_reason =
        !observe_error.empty() ? "its locks could not be read: " + observe_error
        : blocked.empty()
            ? "it cannot run in a transaction and names no table a lock could make it wait "
              "for, so its locks could not be observed"
            : fmt::format(
                  "it never waited behind the lock held on {}, so its locks could not be "
                  "observed",
                  blocked);
    if (!seen.empty()) s.not_traced_reason += " (sampled while it ran: " + seen + ")";
  }
  return unresolved(names, oids);
}

std::unique_ptr<LockTracer> open_postgres_lock_tracer(const std::string& url,
                                                      const LockTracer::Settings& settings) {
  return std::make_unique<PostgresLockTracer>(url, settings);
}

}  // namespace migrate
