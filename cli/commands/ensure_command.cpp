// `migrate ensure [--mode apply|verify|wait] [--version V] [--timeout DURATION]`: what a service
// linking libmigrate does at start-up (Migrator::ensure, docs/embedding.md), for deployments that
// run the CLI beside the service instead: an init container that applies if needed, one that
// only verifies, or one that waits until another process has applied a version.
#include "cli/commands/ensure_command.hpp"

#include <fmt/format.h>

#include <memory>

#include "cli/output_renderer.hpp"

namespace migrate::cli {

namespace {

struct EnsureFlags {
  std::string mode = "apply";
  std::string version;
  std::string timeout = "10min";
};

int run_ensure(const CommandContext& ctx, const EnsureFlags& flags) {
  EnsureOptions o;
  if (flags.mode == "apply") {
    o.mode = EnsureMode::kApplyIfNeeded;
  } else if (flags.mode == "verify") {
    o.mode = EnsureMode::kVerifyOnly;
  } else if (flags.mode == "wait") {
    o.mode = EnsureMode::kWaitForVersion;
  } else {
    return fail_usage(ctx.inv, fmt::format("invalid --mode '{}'", flags.mode),
                      "use apply (apply what is pending, the default), verify (check only, "
                      "write nothing) or wait (until another process applied --version)");
  }
  if (!flags.version.empty()) o.version = flags.version;
  if (o.mode == EnsureMode::kWaitForVersion && !o.version)
    return fail_usage(ctx.inv, "`migrate ensure --mode wait` needs --version",
                      "name the version to wait for, e.g. --version V012");
  auto timeout = parse_duration(flags.timeout);
  if (!timeout)
    return fail_usage(ctx.inv, fmt::format("invalid --timeout '{}'", flags.timeout),
                      "write a duration such as 30s or 10min");
  o.timeout = *timeout;
  auto report = ctx.migrator.ensure(o, ctx.observer);
  if (!report) return finish(ctx.inv, nlohmann::json::object(), report.error(), "");
  const EnsureReport& r = *report;
  auto version_text = [](const std::optional<std::string>& v) { return v.value_or("none"); };
  std::string text =
      fmt::format("{}: schema at version {}", to_string(r.mode), version_text(r.version_after));
  if (r.version_before != r.version_after)
    text += fmt::format(" (was {})", version_text(r.version_before));
  if (!r.run.steps.empty()) text += fmt::format("; applied {} migration(s)", r.run.steps.size());
  if (r.waited.count() > 0) text += fmt::format("; waited {} ms", r.waited.count());
  text += "\n";
  if (r.run.phase_stop) text += r.run.phase_stop->reason + "\n";
  nlohmann::json body{{"mode", to_string(r.mode)},
                      {"version_before", r.version_before ? nlohmann::json(*r.version_before)
                                                          : nlohmann::json(nullptr)},
                      {"version_after", r.version_after ? nlohmann::json(*r.version_after)
                                                        : nlohmann::json(nullptr)},
                      {"waited_ms", r.waited.count()},
                      {"run", to_json(r.run)}};
  return finish(ctx.inv, {{"ensure", body}}, std::nullopt, text);
}

}  // namespace

Command add_ensure_command(CLI::App& app) {
  auto flags = std::make_shared<EnsureFlags>();
  auto* cmd = app.add_subcommand(
      "ensure",
      "bring the schema up to date if needed, check it, or wait for another process to apply a "
      "version: what a service does at start-up");
  cmd->add_option("--mode", flags->mode,
                  "apply (default: apply what is pending, waiting for another run's lock), "
                  "verify (fail unless up to date; writes nothing) or wait (until --version is "
                  "applied by another process)");
  cmd->add_option("--version", flags->version,
                  "wait: the version to wait for; apply and verify: go no further than it");
  cmd->add_option("--timeout", flags->timeout,
                  "apply: how long to wait for another run's migration lock; wait: for the "
                  "version (default: 10min)");
  return {.subcommand = cmd,
          .run = [flags](const CommandContext& ctx) { return run_ensure(ctx, *flags); }};
}

}  // namespace migrate::cli
