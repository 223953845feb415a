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
  bool trace = false;    // run the statements on a trace database and compare their locks
  std::string trace_database_url;
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

// `plan --trace`: the plan, then the lock trace of its statements. A statement that failed on
// the trace database is the command's error (the target is unchanged); lock mismatches are not.
int run_traced_plan(const CommandContext& ctx, const PlanFlags& flags) {
  auto plan = ctx.migrator.plan_apply(flags.target);
  if (!plan) return finish(ctx.inv, nlohmann::json::object(), plan.error(), "");
  LockTraceOptions trace_options;
  trace_options.target = flags.target;
  trace_options.trace_database_url = flags.trace_database_url;
  auto trace = ctx.migrator.trace_locks(trace_options);
  if (!trace) return finish(ctx.inv, nlohmann::json::object(), trace.error(), "");
  const std::optional<Error>& error = trace->error ? trace->error : plan->refusal;
  return finish(
      ctx.inv, {{"dry_run", true}, {"plan", to_json(*plan)}, {"trace", to_json(*trace)}}, error,
      render_plan_text(*plan, true) + render_lock_trace_text(*trace) +
          (!trace->error && plan->refusal ? "\nThe run would be refused before anything runs:\n"
                                          : ""));
}

Command add_plan_command(CLI::App& app, MigratorFlags& migrator_flags) {
  auto flags = std::make_shared<PlanFlags>();
  auto* cmd = app.add_subcommand("plan", "show what apply would do; executes nothing");
  cmd->add_option("--target", flags->target, "stop at this version (default: all pending)");
  cmd->add_flag("--dry-run", flags->dry_run, "accepted for clarity: plan never executes anything");
  cmd->add_flag("--trace", flags->trace,
                "run each pending statement on a trace database (a temporary copy of the "
                "target's schema, or --trace-db), record the locks PostgreSQL takes and how long "
                "each ran, and set them beside the analyzer's; nothing on the target changes");
  cmd->add_option("--trace-db", flags->trace_database_url,
                  "with --trace: trace on this PostgreSQL database as it is (even the target), "
                  "in one transaction that is rolled back; statements that cannot run in a "
                  "transaction are not run there");
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
  return {.subcommand = cmd, .run = [flags](const CommandContext& ctx) {
            if (!flags->trace_database_url.empty() && !flags->trace)
              return fail_usage(ctx.inv, "--trace-db is given without --trace",
                                "add --trace to trace the plan's locks on that database");
            if (flags->trace) return run_traced_plan(ctx, *flags);
            return run_apply_plan(ctx, flags->target);
          }};
}

}  // namespace migrate::cli
