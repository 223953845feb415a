// Migration files: V<version>__<name>.up.sql / .down.sql pairs in one directory.
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

// Typed values of the `-- migrate:<key> <value>` lines at the top of an up file.
struct Directives {
  std::optional<MigrationClass> declared_class;  // class
  std::optional<Phase> phase;                    // phase
  // A contract names the expand it completes (`-- migrate:completes V041`): the expand must be
  // an earlier migration of the set with `phase expand`, applied in an earlier run.
  std::optional<Version> completes;                            // completes
  std::optional<std::chrono::milliseconds> lock_timeout;       // lock-timeout
  std::optional<std::chrono::milliseconds> statement_timeout;  // statement-timeout
  bool transactional = true;                                   // transaction on|off
  std::optional<ForeignKeyMode> foreign_keys;                  // foreign-keys check|enforce
  std::vector<Suppression> allows;                             // allow <rule-id> reason "..."
  std::optional<BackfillOptions> backfill;                     // backfill [key=value ...]
  std::optional<std::string> backfill_check;                   // backfill-check <query>
};

// Raw bytes of one migration file after normalization (BOM stripped, CRLF -> LF).
struct MigrationFile {
  std::filesystem::path path;
  std::string sql;
  std::string checksum;  // "sha256:v1:<64 hex>"
};

struct Migration {
  Version version;
  std::string name;  // the part after "__", e.g. "add_user_email"
  MigrationFile up;
  std::optional<MigrationFile> down;  // absent: the migration is irreversible
  Directives directives;              // of the up file
  Directives down_directives;  // of the down file (transaction, foreign-keys apply to the revert)
  // The up file's leading comment lines that are not directives, joined by spaces ("Expand step
  // of renaming users.name: deploy code that writes both columns..."): what `plan` quotes when
  // it says what must be deployed before a contract. Empty when the file has none.
  std::string description;

  bool reversible() const noexcept { return down.has_value(); }
};

// Migrations sorted by version, ascending; versions are unique.
struct MigrationSet {
  std::filesystem::path directory;
  std::vector<Migration> migrations;

  const Migration* find(const Version& v) const;
};

// Loads and validates every file of `directory`. Fails (kSourceInvalid) on a malformed name, a
// stray file, two files for one version and direction, a down without an up, non-UTF-8 bytes, a
// bad directive, or a two-phase pair that does not hold together (a contract without
// `completes`, `completes` naming no earlier expand, `completes` outside a contract); the error
// names every offending file. Dot-files are ignored.
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
// (same names, pairs, UTF-8, directives and two-phase checks, same checksums). Pure: no I/O.
// Dot-files were left out by migrate_embed; any other stray name fails (kSourceInvalid).
Result<MigrationSet> load_embedded(const EmbeddedMigrations& embedded);

// Parses the directive block of an up file (the leading comment lines). `file` only labels
// errors.
Result<Directives> parse_directives(const std::string& sql, const std::string& file);

// The longest duration accepted anywhere: 2^31-1 ms, about 24.8 days.
inline constexpr std::int64_t kMaxDurationMs = 2'147'483'647;

// "500ms", "5s", "2min", "1h" (the unit is required). nullopt if malformed or above
// kMaxDurationMs.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The leading comment lines of `sql` that are not `-- migrate:` directives, without their "--",
// joined by single spaces (Migration::description).
std::string leading_description(const std::string& sql);

// "sha256:v1:<hex>" of the bytes as given (callers pass normalized text).
std::string checksum_v1(const std::string& normalized);

// Strips a UTF-8 BOM and turns CRLF into LF: the bytes the checksum covers.
std::string normalize_sql_text(std::string raw);

// The file names `migrate new` creates for `name` after the highest version in `set`.
struct NewMigrationFiles {
  std::filesystem::path up;
  std::filesystem::path down;
};
Result<NewMigrationFiles> create_migration_files(const std::filesystem::path& directory,
                                                 const std::string& name);

}  // namespace migrate
