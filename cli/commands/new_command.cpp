// `migrate new NAME`: writes V<next>__NAME.up.sql / .down.sql in the migrations directory and
// prints their paths. The library picks the version and checks the name.
#include "cli/commands/new_command.hpp"

#include <fmt/format.h>

#include <memory>
#include <string>

#include "migrate/source.hpp"

namespace migrate::cli {

Command add_new_command(CLI::App& app) {
  auto name = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("new", "create the next V<version>__NAME.up.sql / .down.sql pair");
  cmd->add_option("name", *name, "migration name: letters, digits, '_' and '-'")->required();
  return {.subcommand = cmd, .run = [name](const CommandContext& ctx) {
            auto files = create_migration_files(ctx.options.migrations_dir, *name);
            if (!files) return finish(ctx.inv, nlohmann::json::object(), files.error(), "");
            return finish(
                ctx.inv, {{"files", {{"up", files->up.string()}, {"down", files->down.string()}}}},
                std::nullopt,
                fmt::format("created {}\ncreated {}\n", files->up.string(), files->down.string()));
          }};
}

}  // namespace migrate::cli
