// `migrate plan --trace` (Migrator::trace_locks, docs/analysis.md#checking-the-lock-table-against-
// the-server): each pending migration runs, statement by statement, on a trace database, and the
// relation locks PostgreSQL itself records for each statement (pg_locks of its backend) are set
// beside the analyzer's. What it is asked to do, and what it found.
// Everything here is a plain value type: safe to use from several threads as long as none modifies
// an object another reads, as for std::string. compare_traced_locks is pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "migrate/analysis.hpp"
#include "migrate/error.hpp"

namespace migrate {

// What Migrator::trace_locks is asked to do, filled by the caller.
struct LockTraceOptions {
  // Trace the plan up to this version (all pending if absent), as plan_apply plans it.
  std::optional<std::string> target;
  // A PostgreSQL database to trace on, used as it is (it may even be the target, when the caller
  // names it): every statement runs in one transaction that is rolled back at the end, and
  // statements that cannot run in a transaction are not run there. Empty: a temporary database
  // on the target's server (CREATE DATABASE, which needs the CREATEDB privilege) holding a copy
  // of the target's schema (pg_dump --schema-only, history tables left out), always dropped at
  // the end; there every statement's work is committed and statements that cannot run in a
  // transaction are traced too.
  std::string trace_database_url;
  // The programs that copy the target's schema, run without a shell, found on PATH unless given
  // with a directory; their major version must be at least the server's.
  std::string pg_dump = "pg_dump";
  std::string pg_restore = "pg_restore";
};

// How the locks of one statement were seen.
enum class TraceMethod {
  // It ran in a transaction, and pg_locks of its own session was read before the transaction
  // ended: every relation lock it took, at the strongest mode.
  kTransaction,
  // It cannot run in a transaction: it ran alone while another session held a lock it waits
  // for, and a third session read its pg_locks while it waited: the locks it held and the one it
  // asked for at that point.
  kWhileWaiting,
  kNotTraced,  // not run, or its locks could not be observed (TracedStatement::not_traced_reason)
};
const char* to_string(TraceMethod m) noexcept;  // "transaction", "while-waiting", "not-traced"

// One relation a statement locked, at the strongest mode pg_locks showed for it. Relations of the
// system catalogs (pg_catalog, pg_toast, information_schema) are left out.
struct TracedLock {
  // The name the analyzer gave it when it names it ("orders", "app.orders"), else as PostgreSQL
  // prints the relation's oid in the trace session (regclass); a relation dropped by the
  // statement and not named by the analyzer is "oid 16384 (dropped)".
  std::string relation;
  LockLevel level = LockLevel::kNone;
  // pg_class.relkind ('r' table, 'i' index, 'p' partitioned table, 'm' materialized view...);
  // '?' when the relation was dropped before pg_locks was read.
  char relkind = '?';
  // With --trace-db, where the statements share one transaction: the lock was taken by an earlier
  // statement (version held_since_version, statement held_since_statement) and is invisible in
  // this one's pg_locks rows. Only listed for a relation the analyzer names at that mode.
  std::string held_since_version;
  int held_since_statement = 0;  // 0: taken by this statement
  // A relation the analyzer does not name, but that the catalog ties to one it names before the
  // statement ran: the table of a named index, or the other table of a foreign key of a named
  // table. Its lock follows from the named relation's ("related", never "missed").
  std::string related_to;
  // A relation the analyzer does not name that did not exist before the statement: created by it
  // (a serial column's sequence, a rewrite's new heap). No other session can wait for it.
  bool created = false;
};

// One statement of the plan, traced or not.
struct TracedStatement {
  std::string version;  // canonical
  std::string name;
  std::string file;   // the up file
  int statement = 0;  // 1-based within the file; line and column of its first character
  int line = 0;
  int column = 0;
  std::string sql;
  bool standalone = false;  // as PlannedStatement::standalone
  bool autocommit = false;  // cannot run in a transaction
  TraceMethod method = TraceMethod::kNotTraced;
  bool traced() const noexcept { return method != TraceMethod::kNotTraced; }
  // Why it was not traced, in words, with what would trace it. Empty when traced.
  std::string not_traced_reason;
  double duration_ms = 0;  // how long it ran on the trace database (0 when not run)
  // What pg_locks showed, by relation name; locks below SHARE on relations the analyzer does not
  // name are listed too (a foreign key check's ROW SHARE), but never compared.
  std::vector<TracedLock> locks;
  // What the analyzer reports for it: each relation the statement names, with kNone for one it
  // names without a lock.
  std::vector<RelationLock> analyzer_locks;
};

enum class LockMismatchKind {
  // The analyzer names the relation at one mode, PostgreSQL took another.
  kWrong,
  // PostgreSQL took SHARE or stronger on a table, view or sequence that existed before the
  // statement and still exists, that the analyzer does not name and that is not related to one
  // it names (TracedLock::related_to).
  kMissed,
  // The analyzer names a relation that existed neither before nor after the statement.
  kUnknownRelation,
};
const char* to_string(LockMismatchKind k) noexcept;  // "wrong", "missed", "unknown-relation"

// One disagreement between the analyzer's lock table and the server: the table
// (libmigrate/analysis/pg_statement_effects.cpp) needs a fix, or a test case.
struct LockMismatch {
  std::string version;
  int statement = 0;
  int line = 0;
  int column = 0;
  std::string relation;
  LockLevel analyzer = LockLevel::kNone;  // kNone for kMissed
  LockLevel traced = LockLevel::kNone;    // kNone for kUnknownRelation
  LockMismatchKind kind = LockMismatchKind::kWrong;

  // "orders: analyzer SHARE, PostgreSQL ACCESS EXCLUSIVE", "parent: PostgreSQL SHARE ROW
  // EXCLUSIVE, not named by the analyzer", "fresh: named by the analyzer, never existed".
  std::string describe() const;
};

// The disagreements of one traced statement: for each relation in analyzer_locks, the traced
// lock of that name must have the analyzer's level (a lock held since an earlier statement counts
// only at exactly that level); any other traced lock at SHARE or stronger on a relation of kind
// table, partitioned table, view, materialized view, sequence or foreign table, that existed
// before the statement (not `created`), still exists and has no related_to, is missed.
// `unknown_relations` are analyzer names that resolved neither before nor after the statement. An
// untraced statement has none. Pure.
std::vector<LockMismatch> compare_traced_locks(const TracedStatement& statement,
                                               const std::vector<std::string>& unknown_relations);

// What Migrator::trace_locks found.
struct LockTraceReport {
  std::string trace_database;  // printable: the URL without its password
  bool temporary = false;      // a temporary copy, dropped at the end
  bool removed = false;        // the temporary copy is gone (false also when not temporary)
  // Every statement of the plan's steps, in order, up to the one that failed.
  std::vector<TracedStatement> statements;
  std::vector<LockMismatch> mismatches;  // of every traced statement, in statement order
  // A statement that failed on the trace database (kStatementFailed, kLockTimeout... with its
  // file, version, line and column and the database's message): the trace stopped there, and
  // nothing of the target changed. Mismatches are no error.
  std::optional<Error> error;
};

}  // namespace migrate
