// Migration files: V<version>__<name>.up.sql / .down.sql pairs in one directory (or compiled into
// the program), loaded and checked into a MigrationSet, with their directives and checksums
// (docs/file-format.md). Only load_directory and create_migration_files touch the file system;
// every other function here is pure and safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "migrate/error.hpp"
#include "migrate/version.hpp"

namespace migrate {

// The four classes of DESIGN.md, mildest first; a migration takes its most severe statement's.
enum class MigrationClass { kAdditive, kBackwardCompatible, kDataBackfill, kBreaking };
const char* to_string(MigrationClass c) noexcept;  // "additive", "backward-compatible", ...

enum class Phase { kExpand, kContract };
const char* to_string(Phase p) noexcept;  // "expand", "contract"

// How SQLite foreign keys are treated while a migration runs (docs/file-format.md).
enum class ForeignKeyMode {
  kCheck,    // enforcement off during the migration, PRAGMA foreign_key_check before commit
  kEnforce,  // enforcement on: ON DELETE actions fire, violations fail the statement
};
const char* to_string(ForeignKeyMode m) noexcept;  // "check", "enforce"

// `-- migrate:allow <rule-id> reason "..."`: silences one analyzer rule for this migration.
struct Suppression {
  std::string rule_id;
  std::string reason;  // empty when the directive gave none (itself a finding)
  int line = 0;        // of the directive, in the up file
};

// `-- migrate:backfill [key=value ...]`: the migration's data statements run in batches
// (docs/backfills.md). Unset options take the engine's defaults.
struct BackfillOptions {
  // Rows per batch. Given without target-batch-time: every batch has this size. Otherwise the
  // first batch's size, adapted toward the target (default 1000).
  std::optional<std::int64_t> batch_size;
  // Batch duration the size adapts toward (default 200ms on PostgreSQL, 50ms on SQLite).
  std::optional<std::chrono::milliseconds> target_batch_time;
  // Sleep between batches (default: a tenth of the batch's duration).
  std::optional<std::chrono::milliseconds> pause;
  // The key column to walk: `column`, or `table.column` for the explicit form. Default: the
  // table's primary key.
  std::optional<std::string> key;
  // PostgreSQL: wait before each batch while a streaming replica's replay lag exceeds this.
  std::optional<std::chrono::milliseconds> max_replica_lag;
};

// Typed values of the `-- migrate:<key> <value>` lines at the top of a file (parse_directives).
// A down file's directives apply to the revert; `phase` and `completes` belong in the up file.
struct Directives {
  std::optional<MigrationClass> declared_class;  // class
  std::optional<Phase> phase;                    // phase
  // A contract names the expand it completes (`-- migrate:completes V041`): the expand must be
  // an earlier migration of the set with `phase expand` (load_directory checks), applied in an
  // earlier run (apply checks, per Options::phase). A contract without it loads; the analyzer
  // refuses it (contract-without-expand).
  std::optional<Version> completes;                            // completes
  std::optional<std::chrono::milliseconds> lock_timeout;       // lock-timeout
  std::optional<std::chrono::milliseconds> statement_timeout;  // statement-timeout
  bool transactional = true;                                   // transaction on|off
  std::optional<ForeignKeyMode> foreign_keys;                  // foreign-keys check|enforce
  std::vector<Suppression> allows;                             // allow <rule-id> reason "..."
  std::optional<BackfillOptions> backfill;                     // backfill [key=value ...]
  std::optional<std::string> backfill_check;                   // backfill-check <query>
};

// One migration file's text, normalized (BOM stripped, CRLF -> LF): what runs and what the
// checksum covers.
struct MigrationFile {
  std::filesystem::path path;
  std::string sql;
  std::string checksum;  // "sha256:v1:<64 hex>"
};

// One version: its up file, its optional down file and their directives, as the loader filled
// them.
struct Migration {
  Version version;
  std::string name;  // the part after "__", e.g. "add_user_email"
  // When the migration has a verify file, up.checksum covers both: sha256:v1 over the up file's
  // text, a NUL byte, then the verify file's text (a changed check is a changed migration).
  MigrationFile up;
  std::optional<MigrationFile> down;  // absent: the migration is irreversible
  // V<version>__<name>.verify.sql: queries run after the up (in its transaction when it has
  // one), each of which must return no rows or one row whose first column is true; absent when
  // the migration has none. `migrate verify` runs them again later.
  std::optional<MigrationFile> verify;
  Directives directives;       // of the up file
  Directives down_directives;  // of the down file (transaction, foreign-keys apply to the revert)
  // The up file's leading comment lines that are not directives, joined by spaces ("Expand step
  // of renaming users.name: deploy code that writes both columns..."): what `plan` quotes when
  // it says what must be deployed before a contract. Empty when the file has none.
  std::string description;

  bool reversible() const noexcept { return down.has_value(); }  // it has a down file
};

// A loaded migration directory (load_directory, load_embedded). Invariant, which find relies on:
// migrations sorted by version, ascending; versions are unique.
struct MigrationSet {
  std::filesystem::path directory;  // as given (for an embedded set: EmbeddedMigrations::origin)
  std::vector<Migration> migrations;

  // The migration of version `v` (any spelling: "V012" finds 12); nullptr when there is none.
  // The pointer points into `migrations`.
  const Migration* find(const Version& v) const;
};

// Loads and validates every file of `directory`, reading each of them (symbolic links to regular
// files are followed; dot-files are ignored). Returns the set on success. Fails with
// kSourceInvalid, naming every offending file (with line and column where one applies), when the
// directory does not exist or is not a directory, or on: a malformed name, a stray file or one
// that is not a regular file, a file that cannot be read, two files for one version and
// direction, two names for one version, a down without an up, non-UTF-8 or NUL bytes, a bad
// directive in an up or down file, or a two-phase pair that does not hold together (`completes`
// naming no migration, a later one, or one without `phase expand`; `completes` outside a
// contract; `phase` or `completes` in a down file). A contract without `completes` loads: the
// analyzer refuses it before it runs. Reads files only, writes nothing; safe to call from any
// thread.
Result<MigrationSet> load_directory(const std::filesystem::path& directory);

// One file of a migration directory compiled into the program by the CMake function
// `migrate_embed` (docs/embedding.md): its name in the directory and its bytes exactly as on
// disk, so its checksum is the file's and a service and the CLI agree on one history.
struct EmbeddedFile {
  std::string_view name;      // "V001__create_users.up.sql"
  std::string_view contents;  // the raw bytes, BOM and CRLF included
};

// A migration directory compiled into the program. The views point into static storage of the
// generated source; the struct itself is cheap to copy.
struct EmbeddedMigrations {
  // The directory the files came from, as given to migrate_embed ("migrations"): file paths in
  // plans, errors and the history's messages are <origin>/<name>, as the CLI shows them.
  std::string_view origin;
  std::span<const EmbeddedFile> files;
};

// Loads and validates an embedded set exactly as load_directory does the directory it came from
// (same names, pairs, UTF-8, directives and two-phase checks, same checksums, same errors). Pure:
// no I/O; safe to call from any thread. Dot-files were left out by migrate_embed; any other stray
// name fails (kSourceInvalid).
Result<MigrationSet> load_embedded(const EmbeddedMigrations& embedded);

// Parses the directive block of a migration file's text (the `-- migrate:` lines among the
// leading comments and blank lines). `file` only labels errors. Fails with kSourceInvalid, at the
// directive's line and column, for an unknown key, a key given twice (`allow` may repeat), a value
// the key does not accept, or a directive after the first SQL statement. Pure; safe to call from
// any thread.
Result<Directives> parse_directives(const std::string& sql, const std::string& file);

// The longest duration accepted anywhere: 2^31-1 ms, about 24.8 days.
inline constexpr std::int64_t kMaxDurationMs = 2'147'483'647;

// "500ms", "5s", "2min", "1h": a non-negative integer and its unit, nothing else (the unit is
// required). nullopt if malformed or above kMaxDurationMs. Pure; safe to call from any thread.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The leading comment lines of `sql` that are not `-- migrate:` directives, without their "--",
// joined by single spaces, up to the first blank line after some text or the first line that is
// not a comment (Migration::description); empty when there are none. Pure; safe to call from any
// thread.
std::string leading_description(const std::string& sql);

// "sha256:v1:<64 hex>" of the bytes as given (callers pass normalized text): the checksum the
// history records. Pure; safe to call from any thread.
std::string checksum_v1(const std::string& normalized);

// Strips a leading UTF-8 BOM and turns CRLF into LF (a lone CR stays): the bytes the checksum
// covers. Pure; safe to call from any thread.
std::string normalize_sql_text(std::string raw);

// The paths of the up and down files `migrate new` (or a recipe) created.
struct NewMigrationFiles {
  std::filesystem::path up;
  std::filesystem::path down;  // empty when no down file was written (an irreversible contract)
};
// `migrate new NAME`: creates `directory` if missing, loads it, and writes an up file (a
// `class additive` directive and a comment to replace) and a down file for `name` at the next
// version: the highest version's first component plus one, zero-padded to its width ("001" in an
// empty directory). Returns their paths. Fails with kUsage when `name` is not letters, digits,
// '_' and '-' or the directory cannot be created, and with kSourceInvalid when it does not load
// (as load_directory). Writes files; not safe to run concurrently with anything else that adds
// files to `directory`.
Result<NewMigrationFiles> create_migration_files(const std::filesystem::path& directory,
                                                 const std::string& name);

}  // namespace migrate
