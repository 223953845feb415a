// `migrate apply`: the one command that runs up migrations. Its flags that change how the run
// behaves (out of order, retry, unsafe, pre-flight wait) become Options in main.cpp.
#include "cli/commands/apply_command.hpp"

#include <memory>
#include <optional>
#include <string>

#include "cli/commands/plan_command.hpp"
#include "cli/output_renderer.hpp"

namespace migrate::cli {

namespace {

struct ApplyFlags {
  std::optional<std::string> target;
  bool dry_run = false;
};

int run_apply(const CommandContext& ctx, const ApplyFlags& flags) {
  if (flags.dry_run) return run_apply_plan(ctx, flags.target);
  RunReport report = ctx.migrator.apply(flags.target, ctx.observer);
  return finish(ctx.inv, to_json(report), report.error, render_report_text(report, "applied"));
}

}  // namespace

Command add_apply_command(CLI::App& app, MigratorFlags& migrator_flags) {
  auto flags = std::make_shared<ApplyFlags>();
  auto* cmd = app.add_subcommand("apply", "apply pending migrations in version order");
  cmd->add_option("--target", flags->target, "stop after this version (V012 and 12 are the same)");
  cmd->add_flag("--dry-run", flags->dry_run, "print the plan instead of executing it");
  cmd->add_option("--phase", migrator_flags.phase,
                  "two-phase gating: expand (default) stops before the first contract migration; "
                  "contract also runs contracts whose expand an earlier run applied (after the "
                  "deploy); all runs expands and contracts together (databases no deployed code "
                  "uses)");
  cmd->add_flag("--allow-out-of-order", migrator_flags.allow_out_of_order,
                "apply pending versions older than applied ones");
  cmd->add_option("--wait-for-quiet", migrator_flags.wait_for_quiet,
                  "PostgreSQL pre-flight: wait up to this long for long transactions that hold "
                  "locks on the plan's tables, then refuse (default: only report them)");
  cmd->add_flag("--retry-failed", migrator_flags.retry_failed,
                "retry versions whose last attempt failed or was interrupted");
  cmd->add_option("--reconnect", migrator_flags.reconnect,
                  "when the connection is lost (server restart, terminated backend), reconnect "
                  "and resume for up to this long, e.g. 30s (default: exit with CONNECTION_LOST)");
  cmd->add_flag("--allow-unsafe", migrator_flags.allow_unsafe,
                "apply even with unsuppressed error-level findings (they are logged)");
  cmd->add_option("--max-replica-lag", migrator_flags.max_replica_lag,
                  "PostgreSQL backfills: before each batch, wait while a streaming replica's "
                  "replay lag exceeds this, e.g. 5s (default: off; with the directive's "
                  "max-replica-lag, the smaller applies)");
  cmd->add_flag("--new-history", migrator_flags.new_history,
                "start a new history table although the database has another libmigrate history "
                "table (default: refuse, it is most likely a mistyped --history-table)");
  add_backup_flags(*cmd, migrator_flags);
  return {.subcommand = cmd,
          .run = [flags](const CommandContext& ctx) { return run_apply(ctx, *flags); }};
}

}  // namespace migrate::cli
