// `migrate rollback`: the only command that asks before it changes anything, so the target
// checks, the prompt and the refusal without --yes live together here.
#include "cli/commands/rollback_command.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands/plan_command.hpp"
#include "cli/output_renderer.hpp"

namespace migrate::cli {

namespace {

using nlohmann::json;

struct RollbackFlags {
  std::optional<std::string> target;
  std::optional<int> steps;
  std::optional<std::string> only;
  bool yes = false;
  bool dry_run = false;
};

bool confirm_rollback(const Plan& plan) {
  if (!isatty(STDIN_FILENO)) return false;
  std::cerr << render_plan_text(plan, false)
            << fmt::format("\nRevert {} migration(s)? Type 'yes' to continue: ", plan.steps.size());
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "yes" || answer == "y";
}

int run_rollback(const CommandContext& ctx, const RollbackFlags& flags) {
  const Invocation& inv = ctx.inv;
  // Bare `rollback` reverts the most recently applied migration, as `rails db:rollback`,
  // `dbmate rollback` and `knex migrate:rollback` do; it still asks (or needs --yes).
  RollbackTarget rb{flags.target, flags.steps, flags.only};
  if (!rb.version && !rb.steps && !rb.only) rb.steps = 1;
  auto plan = ctx.migrator.plan_rollback(rb);
  if (!plan) return finish(inv, json::object(), plan.error(), "");
  // A refusal ends it before the prompt: rollback would refuse after the answer anyway.
  if (flags.dry_run || plan->refusal) return finish_dry_run(inv, *plan);
  if (plan->steps.empty())
    return finish(inv, {{"run_id", nullptr}, {"steps", json::array()}}, std::nullopt,
                  "Nothing to roll back.\n");
  if (!flags.yes && (inv.json_output || !confirm_rollback(*plan))) {
    return finish(
        inv, {{"plan", to_json(*plan)}},
        Error{ErrorCode::kNotConfirmed,
              fmt::format("rollback of {} migration(s) was not confirmed", plan->steps.size()),
              "pass --yes to roll back without a prompt (required when stdin is not a terminal)",
              {},
              {}},
        "");
  }
  RunReport report = ctx.migrator.rollback(rb, ctx.observer);
  return finish(inv, to_json(report), report.error, render_report_text(report, "reverted"));
}

}  // namespace

Command add_rollback_command(CLI::App& app, MigratorFlags& migrator_flags) {
  auto flags = std::make_shared<RollbackFlags>();
  auto* cmd = app.add_subcommand("rollback",
                                 "revert applied migrations newest first. Without options "
                                 "it reverts the most recently applied one; --target V "
                                 "keeps V applied and reverts everything above it "
                                 "(--target 0 reverts all); --steps N reverts the N "
                                 "newest; --only V reverts V alone. Refuses before doing "
                                 "anything if one of them is irreversible or its down "
                                 "file changed.");
  auto* target =
      cmd->add_option("--target", flags->target, "keep this version applied; revert all above it");
  auto* steps = cmd->add_option(
      "--steps", flags->steps,
      "revert this many of the most recently applied migrations (without --target, --steps or "
      "--only: 1)");
  auto* only = cmd->add_option(
      "--only", flags->only,
      "revert this one applied version; refused when newer versions are applied, unless "
      "--allow-out-of-order (they stay applied and it becomes pending below them)");
  target->excludes(steps);
  target->excludes(only);
  steps->excludes(only);
  cmd->add_flag("--allow-out-of-order", migrator_flags.allow_out_of_order,
                "with --only: revert the version although newer ones are applied");
  cmd->add_flag("--yes,-y", flags->yes, "do not ask for confirmation");
  cmd->add_flag("--dry-run", flags->dry_run, "print the plan instead of executing it");
  cmd->add_option("--phase", migrator_flags.phase,
                  "all: also revert an expand migration whose contract is applied (a database no "
                  "deployed code uses); the default refuses that rollback");
  cmd->add_option("--reconnect", migrator_flags.reconnect,
                  "when the connection is lost (server restart, terminated backend), reconnect "
                  "and resume for up to this long, e.g. 30s (default: exit with CONNECTION_LOST)");
  cmd->add_flag("--retry-failed", migrator_flags.retry_failed,
                "run an interrupted rollback step again");
  cmd->add_flag("--allow-unsafe", migrator_flags.allow_unsafe,
                "roll back even with unsuppressed error-level findings in the down files (they "
                "are logged)");
  add_backup_flags(*cmd, migrator_flags);
  return {.subcommand = cmd,
          .run = [flags](const CommandContext& ctx) { return run_rollback(ctx, *flags); }};
}

}  // namespace migrate::cli
