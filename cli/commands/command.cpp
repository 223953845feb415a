// The result envelope every command prints: text on stdout (errors on stderr), or one JSON
// object with the schema, command, ok, exit_code and error fields (docs/cli.md, "JSON output").
#include "cli/commands/command.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <iostream>
#include <vector>

#include "cli/exit_codes.hpp"
#include "cli/output_renderer.hpp"

namespace migrate::cli {

using nlohmann::json;

namespace {

// The library reads no environment; the CLI says which of libpq's PG* variables are set to
// whoever set them and expected them to name the database.
std::optional<Error> with_environment(const std::optional<Error>& error) {
  if (!error || error->code != ErrorCode::kUsage || error->message != "no database URL given")
    return error;
  std::vector<std::string> set;
  for (const char* name : {"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD",
                           "PGPASSFILE", "PGSERVICE", "PGSSLMODE"}) {
    const char* v = std::getenv(name);
    if (v && *v) set.emplace_back(name);
  }
  if (set.empty()) return error;
  Error e = *error;
  e.hint = fmt::format(
      "{} {} set, but libpq's PG* variables alone name no database: pass --db postgresql:// to "
      "connect with them (libpq takes every part the URL leaves out from PGHOST, PGPORT, PGUSER, "
      "PGPASSWORD, PGDATABASE, ...), or postgresql:///DBNAME for another database on that server "
      "(or set MIGRATE_DATABASE_URL, DATABASE_URL, or database_url in migrate.toml); for SQLite "
      "pass --db sqlite:app.db",
      fmt::join(set, ", "), set.size() == 1 ? "is" : "are");
  return e;
}

}  // namespace

int finish(const Invocation& inv, json body, const std::optional<Error>& reported,
           const std::string& text) {
  const std::optional<Error> error = with_environment(reported);
  int code = error ? exit_code_for(error->code) : kExitOk;
  if (inv.reported) *inv.reported = error;
  if (inv.json_output) {
    json out{{"schema", kJsonSchema},
             {"command", inv.command},
             {"ok", !error},
             {"exit_code", code},
             {"error", error ? to_json(*error) : json(nullptr)}};
    // Moved, not copied: the body of `lint` or `status` over many migrations is large.
    for (auto& [k, v] : body.items()) out[k] = std::move(v);
    std::string document = out.dump(2);
    document += '\n';
    inv.out->write(document.data(), static_cast<std::streamsize>(document.size()));
  } else {
    *inv.out << text;
    if (error) *inv.err << render_error_text(*error);
  }
  return code;
}

void add_backup_flags(CLI::App& cmd, MigratorFlags& migrator_flags) {
  cmd.add_option("--backup", migrator_flags.backup,
                 "back up the database into this directory before the first change: pg_dump "
                 "custom format (PostgreSQL) or a copy of the file (SQLite); a failed backup "
                 "refuses the run (BACKUP_FAILED). migrate.toml: backup.dir");
  cmd.add_option("--pg-dump", migrator_flags.pg_dump,
                 "the pg_dump program --backup runs (default: pg_dump in PATH). migrate.toml: "
                 "backup.pg_dump");
}

int fail_usage(const Invocation& inv, const std::string& message, const std::string& hint) {
  return finish(inv, json::object(), Error{ErrorCode::kUsage, message, hint, {}, {}}, "");
}

}  // namespace migrate::cli
