// `migrate new NAME`: writes V<next>__NAME.up.sql / .down.sql in the migrations directory and
// prints their paths. `migrate new --recipe KIND --table ...` writes an expand and a contract
// migration instead (docs/two-phase.md). The library picks the versions and checks the names.
#include "cli/commands/new_command.hpp"

#include <fmt/format.h>

#include <memory>
#include <string>

#include "migrate/recipe.hpp"
#include "migrate/source.hpp"

namespace migrate::cli {

namespace {

struct NewFlags {
  std::string name;
  std::string recipe;
  RecipeOptions options;
  std::string default_value;
};

int run_recipe(const CommandContext& ctx, NewFlags flags) {
  if (ctx.options.database_url.starts_with("sqlite:"))
    return finish(ctx.inv, nlohmann::json::object(),
                  Error{ErrorCode::kUsage,
                        "recipes write PostgreSQL SQL (triggers, CREATE INDEX CONCURRENTLY, NOT "
                        "VALID constraints), and the configured database is SQLite",
                        "write the SQLite migrations by hand (docs/two-phase.md shows the "
                        "pattern), or point --db at the PostgreSQL database",
                        {},
                        {}},
                  "");
  flags.options.kind = flags.recipe;
  if (!flags.default_value.empty()) flags.options.default_value = flags.default_value;
  auto files = ctx.migrator.create_recipe(flags.options);
  if (!files) return finish(ctx.inv, nlohmann::json::object(), files.error(), "");
  auto down = [](const std::filesystem::path& p) {
    return p.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.string());
  };
  std::string text = fmt::format("created {}\ncreated {}\ncreated {}\n", files->expand.up.string(),
                                 files->expand.down.string(), files->contract.up.string());
  if (!files->contract.down.empty())
    text += fmt::format("created {}\n", files->contract.down.string());
  else
    text +=
        "the contract has no down file (irreversible): its down needs the old column's type "
        "(--type for drop-column, --from-type for change-column-type)\n";
  text +=
      "next: `migrate apply` runs the expand; deploy the code it describes; then `migrate "
      "apply --phase contract`\n";
  return finish(
      ctx.inv,
      {{"recipe", flags.recipe},
       {"files",
        {{"expand", {{"up", files->expand.up.string()}, {"down", files->expand.down.string()}}},
         {"contract",
          {{"up", files->contract.up.string()}, {"down", down(files->contract.down)}}}}}},
      std::nullopt, text);
}

}  // namespace

Command add_new_command(CLI::App& app) {
  auto flags = std::make_shared<NewFlags>();
  auto* cmd = app.add_subcommand(
      "new",
      "create the next V<version>__NAME.up.sql / .down.sql pair, or with --recipe an expand and "
      "a contract migration");
  cmd->add_option("name", flags->name, "migration name: letters, digits, '_' and '-'");
  cmd->add_option("--recipe", flags->recipe,
                  "write a two-phase change: rename-column, change-column-type, set-not-null, "
                  "add-foreign-key, add-unique, rename-table, drop-column, split-column");
  cmd->add_option("--table", flags->options.table, "recipe: the table, [schema.]name");
  cmd->add_option("--column", flags->options.column, "recipe: the column");
  cmd->add_option("--to", flags->options.to,
                  "recipe: the new column (rename-column, change-column-type) or table "
                  "(rename-table, split-column)");
  cmd->add_option("--type", flags->options.type,
                  "recipe: the (new) column's SQL type, e.g. bigint or 'varchar(200)'");
  cmd->add_option("--references", flags->options.references,
                  "add-foreign-key: the referenced table, or table(column)");
  cmd->add_option("--default", flags->default_value,
                  "recipe: a SQL default expression (set-not-null: the value NULL rows get)");
  cmd->add_flag("--not-null", flags->options.not_null,
                "recipe: the old column is NOT NULL (rename-column, change-column-type: carried "
                "over; drop-column: dropped in the expand)");
  cmd->add_option("--from-type", flags->options.from_type,
                  "change-column-type: the column's current type (for the contract's down file)");
  cmd->add_option(
      "--using", flags->options.using_expr,
      "change-column-type: PL/pgSQL expression converting NEW.<column> to the new type");
  cmd->add_option("--using-back", flags->options.using_back,
                  "change-column-type: PL/pgSQL expression converting NEW.<to> back");
  cmd->add_option("--key", flags->options.key, "split-column: the table's key column (default id)");
  cmd->add_option("--key-type", flags->options.key_type,
                  "split-column: the key's type (default: from the catalog, else bigint)");
  cmd->add_option("--grant", flags->options.grants,
                  "rename-table: roles that get the view's privileges (repeat or comma-separate)")
      ->delimiter(',');
  cmd->add_option("--privileges", flags->options.privileges,
                  "rename-table: what --grant gives (default SELECT, INSERT, UPDATE, DELETE)");
  return {.subcommand = cmd, .run = [flags](const CommandContext& ctx) {
            if (!flags->recipe.empty()) return run_recipe(ctx, *flags);
            if (flags->name.empty())
              return finish(ctx.inv, nlohmann::json::object(),
                            Error{ErrorCode::kUsage,
                                  "migrate new needs a NAME or --recipe",
                                  "e.g. `migrate new add_user_email`, or `migrate new --recipe "
                                  "rename-column --table users --column name --to full_name "
                                  "--type text`",
                                  {},
                                  {}},
                            "");
            auto files = create_migration_files(ctx.options.migrations_dir, flags->name);
            if (!files) return finish(ctx.inv, nlohmann::json::object(), files.error(), "");
            return finish(
                ctx.inv, {{"files", {{"up", files->up.string()}, {"down", files->down.string()}}}},
                std::nullopt,
                fmt::format("created {}\ncreated {}\n", files->up.string(), files->down.string()));
          }};
}

}  // namespace migrate::cli
