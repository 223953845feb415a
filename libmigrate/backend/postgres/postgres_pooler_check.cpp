// Refusing connection poolers that pool per transaction or per statement (pgbouncer's
// pool_mode = transaction / statement). The run lock is a session advisory lock and the
// timeouts of standalone statements are session settings: both belong to a server session, and
// such a pooler hands each transaction to whichever server session is free. The lock would stay
// behind in a pooled server session (held for nobody, or for whichever client gets it next) and
// a timeout would apply to another client's statements.
//
// Nothing in the protocol says "pooled", so the probe watches what pooling does (verified
// against pgbouncer 1.18 with server_round_robin on and off and pools of 1 to 5 servers):
// - pgbouncer's default (LIFO) hands a free client the server session used last, so the lock
//   connection lands in the session the work connection has just used and sees its setting;
// - with server_round_robin (FIFO) and more than one server session, the work connection's
//   second statement lands in another session: its pid changes and its setting is gone;
// - with a single server session, every client shares it.
// All of this runs before the lock is taken, so a refused run leaves no lock behind in a pooled
// session; once the lock is held, the work connection checks that the holder is another session.
#include <unistd.h>

#include <fmt/format.h>

#include <random>

#include "libmigrate/backend/postgres/postgres_backend.hpp"
#include "libmigrate/error/failure.hpp"

namespace migrate {
namespace {

constexpr const char* kPoolerHint =
    "connect migrations to the PostgreSQL server directly, or to a pgbouncer database or port "
    "with pool_mode = session; the application can keep using the transaction pooler. Nothing "
    "was applied";

struct SessionProbe {
  int pid = 0;
  std::string token;  // the value of migrate.session_probe in that session, "" when unset
};

SessionProbe read_probe(pqxx::connection& c) {
  pqxx::nontransaction q(c);
  auto r = q.exec(
      "SELECT pg_backend_pid(), coalesce(current_setting('migrate.session_probe', true), '')");
  return SessionProbe{r[0][0].as<int>(), r[0][1].as<std::string>()};
}

std::string new_token() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::random_device random;
  return fmt::format("{}:{}:{:08x}{:08x}", host, getpid(), random(), random());
}

}  // namespace

bool is_pooler_refusal(const std::string& what) {
  // pgbouncer's own texts, e.g. "transaction blocks not allowed in statement pooling mode"
  // (FATAL, SQLSTATE 08P01, then it closes the connection): libpq reports them as a lost
  // connection with the text ahead of "server closed the connection unexpectedly".
  return what.find("pooling mode") != std::string::npos;
}

void refuse_if_pooler_refusal(const std::string& what, const SourceLocation& where) {
  if (!is_pooler_refusal(what)) return;
  throw Failure(Error{ErrorCode::kPoolerUnsupported,
                      fmt::format("the connection to PostgreSQL goes through a pooler in "
                                  "statement or transaction pooling mode (pgbouncer), which "
                                  "refused: {}",
                                  first_message_line(what)),
                      kPoolerHint, where, "08P01"});
}

void PostgresBackend::refuse_pooler(const std::string& evidence) {
  throw Failure(Error{ErrorCode::kPoolerUnsupported,
                      fmt::format("the connection to PostgreSQL goes through a pooler in "
                                  "transaction or statement pooling mode (pgbouncer): {}; the "
                                  "migration lock and the statement timeouts would not hold",
                                  evidence),
                      kPoolerHint,
                      {},
                      {}});
}

void PostgresBackend::check_sessions_are_pinned() {
  const std::string token = new_token();
  SessionProbe set, again, lock;
  try {
    {
      pqxx::nontransaction q(*work_);
      auto r = q.exec_params(
          "SELECT pg_backend_pid(), set_config('migrate.session_probe', $1, false)", token);
      set = SessionProbe{r[0][0].as<int>(), r[0][1].as<std::string>()};
    }
    again = read_probe(*work_);
    lock = read_probe(*lock_conn_);
  } catch (const pqxx::failure& e) {
    refuse_if_pooler_refusal(e.what());
    throw;
  }
  if (again.pid != set.pid || again.token != token) {
    refuse_pooler(fmt::format(
        "two consecutive statements of one connection ran in different server sessions (pid {} "
        "then pid {}{})",
        set.pid, again.pid,
        again.token == token ? "" : ", and the setting made by the first was gone"));
  }
  if (lock.pid == set.pid || lock.token == token) {
    refuse_pooler(fmt::format(
        "two separate connections were served by the same server session (pid {}), which kept "
        "the settings of the other",
        lock.pid));
  }
  work_pid_ = set.pid;
  lock_pid_ = lock.pid;
  probe_token_ = token;
}

void PostgresBackend::check_lock_is_pinned(int holder_pid) {
  // The granted holder of this history's lock in this database, as the work connection sees it.
  const std::string holder_sql =
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = ($1::int)::oid AND "
      "objid = ($2::int)::oid AND objsubid = 2 AND granted AND database = (SELECT oid FROM "
      "pg_database WHERE datname = current_database())";
  std::string evidence;
  if (holder_pid != lock_pid_) {
    evidence = fmt::format(
        "the connection that took the migration lock moved from server session pid {} to pid {}",
        lock_pid_, holder_pid);
  } else {
    pqxx::nontransaction q(*work_);
    auto r = q.exec_params(
        fmt::format("SELECT pg_backend_pid(), coalesce(current_setting('migrate.session_probe', "
                    "true), ''), coalesce(({}), 0)",
                    holder_sql),
        keys_.first, keys_.second);
    const int work_pid = r[0][0].as<int>();
    const int seen_holder = r[0][2].as<int>();
    if (work_pid == seen_holder || work_pid == holder_pid) {
      evidence = fmt::format(
          "the statement connection ran in the server session that holds the migration lock "
          "(pid {})",
          work_pid);
    } else if (work_pid != work_pid_ || r[0][1].as<std::string>() != probe_token_) {
      evidence = fmt::format("the statement connection moved from server session pid {} to pid {}",
                             work_pid_, work_pid);
    } else if (seen_holder != holder_pid) {
      evidence =
          fmt::format("the migration lock taken in server session pid {} is held by pid {} instead",
                      holder_pid, seen_holder);
    }
  }
  if (evidence.empty()) return;
  release_run_lock();
  bool left_behind = false;
  try {
    pqxx::nontransaction q(*work_);
    for (const auto& row : q.exec_params(holder_sql, keys_.first, keys_.second))
      left_behind = left_behind || row[0].as<int>() == holder_pid;
  } catch (const std::exception&) {
    // The refusal below matters more than this detail.
  }
  if (left_behind) {
    evidence += fmt::format(
        "; the pooler sent the unlock to another server session, so pid {} still holds the "
        "migration lock: end it with SELECT pg_terminate_backend({}) on a direct connection, or "
        "it blocks the next run until the pooler closes that session",
        holder_pid, holder_pid);
  }
  refuse_pooler(evidence);
}

}  // namespace migrate
