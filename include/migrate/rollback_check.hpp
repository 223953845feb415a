// `migrate check-rollback` (Migrator::check_rollback, docs/operations.md#the-round-trip-check):
// each pending migration applied up, down and up again on a scratch database, and the catalog
// compared after each step. What it is asked to do, and what it found.
// Everything here is a plain value type: safe to use from several threads as long as none modifies
// an object another reads, as for std::string.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "migrate/dialect.hpp"
#include "migrate/error.hpp"

namespace migrate {

// What Migrator::check_rollback is asked to do, filled by the caller.
struct RollbackCheckOptions {
  // Check every migration of the set, from an empty scratch database, instead of the pending
  // ones from a copy of the target's schema. The target's schema is then not copied; on
  // PostgreSQL its server still hosts the temporary scratch database.
  bool all = false;
  // A database to work in instead of a temporary one (PostgreSQL: a URL on any server; SQLite:
  // a sqlite: URL). It must be empty of user objects for --all and must not be the target; it is
  // used as found and never dropped. Empty: a temporary database (PostgreSQL: CREATE DATABASE on
  // the target's server, which needs the CREATEDB privilege; SQLite: a file in the system
  // temporary directory), always removed at the end.
  std::string scratch_database_url;
  // PostgreSQL: the programs that copy the target's schema (pg_dump --schema-only, pg_restore),
  // run without a shell and found on PATH unless given with a directory. Their major version
  // must be at least the server's.
  std::string pg_dump = "pg_dump";
  std::string pg_restore = "pg_restore";
};

// How a schema object differs between two snapshots of the catalog.
enum class SchemaChangeKind {
  kLeftBehind,  // present now, absent from the reference
  kMissing,     // in the reference, absent now
  kChanged,     // in both, with another definition
};
const char* to_string(SchemaChangeKind k) noexcept;  // "left behind", "missing", "changed"

// One schema object that differs. Objects are compared by kind and name, and then by their
// definition as the catalog prints it.
struct SchemaDifference {
  SchemaChangeKind change = SchemaChangeKind::kLeftBehind;
  // "table", "column", "index", "primary key", "foreign key", "unique constraint", "check
  // constraint", "exclusion constraint", "trigger", "view", "materialized view", "function",
  // "procedure", "aggregate", "sequence", "extension", "enum type", "domain", "schema".
  std::string kind;
  // Qualified as the catalog names it: "public.orders" (PostgreSQL), "orders" (SQLite); a column
  // "public.orders.user_id"; a constraint or trigger "fk_orders_user on public.orders"; a function
  // with its argument types "public.touch(integer)".
  std::string name;
  std::string reference_definition;  // empty when kLeftBehind
  std::string definition;            // empty when kMissing

  // "table public.user_profiles left behind", "foreign key fk_orders_user on public.orders
  // missing", "column public.orders.total changed: numeric(10,2) -> numeric".
  std::string describe() const;
};

// What the round trip of one migration found.
enum class RoundTripOutcome {
  kExact,           // down restored the schema before up, and up again rebuilt the same schema
  kIrreversible,    // no down file: applied (the next ones need it), not checked
  kUpFailed,        // the up failed; the check stopped there
  kDownFailed,      // the down failed (its error is in `error`)
  kDownInexact,     // the down left objects behind, missed some or changed them
  kUpAgainFailed,   // after the down, the up failed; the check stopped there
  kUpAgainInexact,  // the up after the down built a different schema than the first up
  kNotChecked,      // an earlier migration stopped the check (`error` says which)
};
// "exact", "irreversible", "up-failed", "down-failed", "down-inexact", "up-again-failed",
// "up-again-inexact", "not-checked".
const char* to_string(RoundTripOutcome o) noexcept;

struct MigrationRoundTrip {
  std::string version;  // canonical
  std::string name;
  RoundTripOutcome outcome = RoundTripOutcome::kExact;
  // The schema after the down compared with the schema before the up (the reference).
  std::vector<SchemaDifference> down_differences;
  // The schema after the second up compared with the schema after the first up.
  std::vector<SchemaDifference> up_again_differences;
  // The failure of the step that failed (kUpFailed, kDownFailed, kUpAgainFailed, and a
  // kDownInexact whose up again failed too), or why it was not checked.
  std::optional<Error> error;

  // kExact or kIrreversible: nothing to report against the migration.
  bool passed() const noexcept {
    return outcome == RoundTripOutcome::kExact || outcome == RoundTripOutcome::kIrreversible;
  }
};

// What Migrator::check_rollback did, on success.
struct RollbackCheckReport {
  Dialect dialect = Dialect::kSqlite;
  // The scratch database, as printable text (a URL without its password, or a file path), and
  // whether it was a temporary one, dropped (or deleted) at the end.
  std::string scratch_database;
  bool scratch_removed = false;
  bool all = false;  // RollbackCheckOptions::all
  // Not --all: the target's highest applied version, recorded in the scratch history as
  // baselined (nullopt: the target had none applied, and every migration was pending).
  std::optional<std::string> baseline_version;
  // The migrations checked, in version order (the pending ones, or every one with --all).
  std::vector<MigrationRoundTrip> migrations;
  // kRollbackMismatch when any migration did not pass, naming them (the same text the CLI
  // prints); unset when every one passed, or none was pending.
  std::optional<Error> error;
};

}  // namespace migrate
