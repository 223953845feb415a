// `migrate new --recipe <kind>`: a breaking change written as a pair of migrations, an expand (run
// before the application deploy; old and new code both work) and a contract (run after it;
// removes the old), following the safe procedures of docs/two-phase.md. The generated SQL is
// PostgreSQL's.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "migrate/error.hpp"
#include "migrate/source.hpp"

namespace migrate {

// What a recipe needs; which fields each kind requires is in docs/two-phase.md (a missing one is
// a kUsage error naming the option). Names are written as in SQL without quotes ("users",
// "app.users", "Full Name"); the generator quotes them where PostgreSQL needs it.
struct RecipeOptions {
  // rename-column, change-column-type, set-not-null, add-foreign-key, add-unique, rename-table,
  // drop-column, split-column
  std::string kind;
  std::string table;       // --table: [schema.]table
  std::string column;      // --column
  std::string to;          // --to: the new column (rename-column, change-column-type) or table
  std::string type;        // --type: the (new) column's SQL type, e.g. "bigint", "varchar(200)"
  std::string references;  // --references: "orders" (its primary key) or "orders(id)"
  // --default: a SQL expression. set-not-null: the value NULL rows get and new rows default to;
  // rename-column/change-column-type: the old column's default, moved to the new one; drop-column:
  // a default for the column while old code still reads it.
  std::optional<std::string> default_value;
  bool not_null = false;   // --not-null: the old column is NOT NULL (carried over, or relaxed)
  std::string from_type;   // --from-type: change-column-type's old type (for the contract's down)
  std::string using_expr;  // --using: plpgsql expression old -> new (default: assignment)
  std::string using_back;  // --using-back: new -> old
  std::string key = "id";  // --key: split-column's key column of --table
  std::string key_type;    // --key-type: empty: the key's type from the catalog, else bigint
  std::vector<std::string> grants;                            // --grant: rename-table's roles
  std::string privileges = "SELECT, INSERT, UPDATE, DELETE";  // --privileges
};

// The four files a recipe wrote (three when the contract has no down), as full paths.
struct RecipeFiles {
  NewMigrationFiles expand;
  // The contract's down is empty (no file: the contract is irreversible) when what it needs was
  // not given: drop-column without --type, change-column-type without --from-type.
  NewMigrationFiles contract;
};

// Every recipe kind, in documentation order: the values RecipeOptions::kind accepts. The
// reference lives for the whole program; safe to call from any thread.
const std::vector<std::string>& recipe_kinds();

// Writes the expand (next version of `directory`) and the contract (the one after), up and down
// files each, from `options` as given (Migrator::create_recipe first completes them from the
// PostgreSQL catalog). Creates `directory` if missing and loads it as load_directory does, to find
// the next version. Returns the paths written. Fails with kUsage for an unknown kind, a missing or
// malformed option (naming it), a directory that cannot be created or a file that cannot be
// written, and with kSourceInvalid when the directory itself does not load. Every option is checked
// before the first file is written, and the files already written are removed when a later one
// fails: no migration file is left behind on failure (a directory it created stays). Reads and
// writes files; not safe to run concurrently with anything else that adds files to `directory`.
Result<RecipeFiles> create_recipe_files(const std::filesystem::path& directory,
                                        const RecipeOptions& options);

}  // namespace migrate
