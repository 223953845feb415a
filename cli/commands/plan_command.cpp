// `migrate plan`: the apply plan (target resolution, steps, analysis) without executing it. One
// file so plan and apply --dry-run cannot print different things.
#include "cli/commands/plan_command.hpp"

#include <memory>

#include "cli/output_renderer.hpp"

namespace migrate::cli {

namespace {

struct PlanFlags {
  std::optional<std::string> target;
  bool dry_run = false;  // accepted for clarity; plan never executes anything
};

}  // namespace

// The plan, then what apply or rollback would refuse it with, with the exit code they would
// exit with: plan and --dry-run can gate CI.
int finish_dry_run(const Invocation& inv, const Plan& plan) {
  return finish(inv, {{"dry_run", true}, {"plan", to_json(plan)}}, plan.refusal,
                render_plan_text(plan, true) +
                    (plan.refusal ? "\nThe run would be refused before anything runs:\n" : ""));
}

int run_apply_plan(const CommandContext& ctx, const std::optional<std::string>& target) {
  auto plan = ctx.migrator.plan_apply(target);
  if (!plan) return finish(ctx.inv, nlohmann::json::object(), plan.error(), "");
  return finish_dry_run(ctx.inv, *plan);
}

Command add_plan_command(CLI::App& app, MigratorFlags& migrator_flags) {
  auto flags = std::make_shared<PlanFlags>();
  auto* cmd = app.add_subcommand("plan", "show what apply would do; executes nothing");
  cmd->add_option("--target", flags->target, "stop at this version (default: all pending)");
  cmd->add_flag("--dry-run", flags->dry_run, "accepted for clarity: plan never executes anything");
  cmd->add_option("--phase", migrator_flags.phase,
                  "two-phase gating: expand (default) stops before the first contract migration; "
                  "contract also runs contracts whose expand an earlier run applied (after the "
                  "deploy); all runs expands and contracts together (databases no deployed code "
                  "uses)");
  cmd->add_flag("--allow-out-of-order", migrator_flags.allow_out_of_order,
                "include pending versions older than applied ones");
  cmd->add_flag("--retry-failed", migrator_flags.retry_failed,
                "include versions whose last attempt failed");
  cmd->add_flag("--allow-unsafe", migrator_flags.allow_unsafe,
                "as apply --allow-unsafe: unsuppressed error-level findings do not make the plan "
                "fail");
  return {.subcommand = cmd,
          .run = [flags](const CommandContext& ctx) { return run_apply_plan(ctx, flags->target); }};
}

}  // namespace migrate::cli
