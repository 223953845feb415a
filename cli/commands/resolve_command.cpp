// `migrate resolve V --statement N --done|--not-done`: a run died after sending a statement that
// runs outside a transaction, and nothing in the database tells whether it took effect
// (OUTCOME_UNKNOWN). The operator checks and answers; the history records the answer and who
// gave it, and the next apply or rollback goes on from there.
#include "cli/commands/resolve_command.hpp"

#include <fmt/format.h>

#include <memory>

#include "cli/output_renderer.hpp"

namespace migrate::cli {

namespace {

struct ResolveFlags {
  std::string version;
  int statement = 0;
  bool done = false;
  bool not_done = false;
};

int run_resolve(const CommandContext& ctx, const ResolveFlags& flags) {
  auto written = ctx.migrator.resolve(flags.version, flags.statement, flags.done);
  if (!written) return finish(ctx.inv, nlohmann::json::object(), written.error(), "");
  const Attempt& a = *written;
  std::string text = fmt::format(
      "version {}: statement {} recorded as {} (attempt {}); the next `migrate {}` goes on after "
      "statement {}.\n",
      a.version, flags.statement, flags.done ? "done" : "not done", a.id,
      a.direction == Direction::kDown ? "rollback" : "apply", a.statement_index);
  return finish(ctx.inv, {{"resolved", to_json(a)}}, std::nullopt, text);
}

}  // namespace

Command add_resolve_command(CLI::App& app) {
  auto flags = std::make_shared<ResolveFlags>();
  auto* cmd = app.add_subcommand(
      "resolve",
      "record whether a statement of unknown outcome (OUTCOME_UNKNOWN) took effect, after "
      "checking the database: --done or --not-done");
  cmd->add_option("version", flags->version, "the version named by the error")->required();
  cmd->add_option("--statement", flags->statement, "the statement named by the error")
      ->required()
      ->check(CLI::PositiveNumber);
  auto* done = cmd->add_flag("--done", flags->done, "it took effect: go on after it");
  auto* not_done =
      cmd->add_flag("--not-done", flags->not_done, "it did not take effect: run it again");
  done->excludes(not_done);
  cmd->callback([flags] {
    if (!flags->done && !flags->not_done) throw CLI::RequiredError("--done or --not-done");
  });
  return {.subcommand = cmd,
          .run = [flags](const CommandContext& ctx) { return run_resolve(ctx, *flags); }};
}

}  // namespace migrate::cli
