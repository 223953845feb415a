// `migrate status`: the per-version report shared with `validate`, so both print the same fields.
#include "cli/commands/status_command.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include "cli/output_renderer.hpp"

namespace migrate::cli {

using nlohmann::json;

namespace {

using RecordsByAttempt = std::map<std::int64_t, std::vector<const StatementRecord*>>;

std::string utc_now_text() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &utc);
  return text;
}

// The attempts whose statements `status --verbose` shows: the one in force, and a newer one
// that failed or is running.
std::vector<const Attempt*> shown_attempts(const VersionStatus& s) {
  std::vector<const Attempt*> out;
  if (s.last_applied) out.push_back(&*s.last_applied);
  if (s.last_attempt && (!s.last_applied || s.last_attempt->id != s.last_applied->id))
    out.push_back(&*s.last_attempt);
  return out;
}

json record_json(const StatementRecord& r) {
  auto optional_int = [](const std::optional<std::int64_t>& v) {
    return v ? json(*v) : json(nullptr);
  };
  return {{"statement", r.statement_index},
          {"started_at", r.started_at},
          {"duration_ms", r.duration_ms},
          {"rows_affected", optional_int(r.rows_affected)},
          {"lock_wait_ms", r.lock_wait_ms},
          {"lock_retries", r.lock_retries},
          {"estimate_p50_ms", optional_int(r.estimate_p50_ms)},
          {"estimate_p90_ms", optional_int(r.estimate_p90_ms)},
          {"work", r.work},
          {"scale", r.scale ? json(*r.scale) : json(nullptr)}};
}

// "  statement 2: took 1.3 s; estimated 1.1 s (p90 1.7 s), rewrite; 1.0M rows"
std::string records_text(const std::vector<VersionStatus>& statuses,
                         const RecordsByAttempt& records) {
  std::string out;
  for (const auto& s : statuses) {
    for (const Attempt* a : shown_attempts(s)) {
      auto it = records.find(a->id);
      if (it == records.end()) continue;
      out += fmt::format("{} {} ({} attempt {}{}):\n", s.version, s.name, to_string(a->direction),
                         a->id,
                         a->success == true    ? ""
                         : a->success == false ? ", failed"
                                               : ", no outcome");
      for (const StatementRecord* r : it->second) {
        out += fmt::format("  statement {}: took {}", r->statement_index,
                           human_duration(static_cast<double>(r->duration_ms)));
        if (r->estimate_p50_ms)
          out += fmt::format(
              "; estimated {} (p90 {})", human_duration(static_cast<double>(*r->estimate_p50_ms)),
              human_duration(
                  static_cast<double>(r->estimate_p90_ms.value_or(*r->estimate_p50_ms))));
        else
          out += "; no estimate";
        if (!r->work.empty()) out += ", " + r->work;
        if (r->rows_affected)
          out += fmt::format("; {} rows", human_count(static_cast<double>(*r->rows_affected)));
        if (r->lock_retries > 0)
          out += fmt::format("; {} lock retries, {} waiting", r->lock_retries,
                             human_duration(static_cast<double>(r->lock_wait_ms)));
        out += "\n";
      }
    }
  }
  return out.empty() ? out : "\nStatements (actual beside the plan's estimate):\n" + out;
}

json waiting_json(const std::vector<WaitingExpand>& waiting) {
  json out = json::array();
  for (const auto& w : waiting)
    out.push_back({{"version", w.version},
                   {"name", w.name},
                   {"description", w.description},
                   {"applied_at", w.applied_at},
                   {"waiting_seconds", w.waiting_seconds},
                   {"contracts", w.contracts}});
  return out;
}

// "Expands waiting for their contract:" with how long each has waited and what goes on.
std::string waiting_text(const std::vector<WaitingExpand>& waiting) {
  if (waiting.empty()) return {};
  std::string out = "\nExpands waiting for their contract (docs/two-phase.md):\n";
  for (const auto& w : waiting) {
    std::string contracts;
    for (const auto& c : w.contracts) contracts += (contracts.empty() ? "" : ", ") + c;
    out += fmt::format(
        "  {} {}: applied {}, waiting {}; {}\n", w.version, w.name, w.applied_at,
        w.waiting_seconds < 60 ? fmt::format("{} s", w.waiting_seconds)
                               : human_duration(static_cast<double>(w.waiting_seconds) * 1000.0),
        w.contracts.empty()
            ? std::string("no contract migration completes it yet (write one with "
                          "`-- migrate:completes V") +
                  w.version + "`)"
            : fmt::format("contract {} not applied: once the deploy is done everywhere, `migrate "
                          "apply --phase contract`",
                          contracts));
    if (!w.description.empty()) out += "      " + w.description + "\n";
  }
  return out;
}

}  // namespace

int finish_status_report(const CommandContext& ctx,
                         const Result<std::vector<VersionStatus>>& statuses,
                         const std::string& footer, bool verbose) {
  if (!statuses) return finish(ctx.inv, json::object(), statuses.error(), "");
  // Who holds the migration lock right now: a running apply/rollback and where it is.
  auto holders = ctx.migrator.lock_holders();
  if (!holders) return finish(ctx.inv, json::object(), holders.error(), "");
  std::vector<StatementRecord> all_records;
  RecordsByAttempt records;
  if (verbose) {
    auto read = ctx.migrator.statement_records();
    if (!read) return finish(ctx.inv, json::object(), read.error(), "");
    all_records = std::move(*read);
    for (const auto& r : all_records) records[r.attempt_id].push_back(&r);
  }
  // Two-phase: expands applied whose contract is not (the files tell which pairs exist).
  std::vector<WaitingExpand> waiting;
  if (auto source = ctx.migrator.load_source())
    waiting = waiting_expands(*source, *statuses,
                              std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
  // Only the form asked for is built: with thousands of versions either one costs.
  if (!ctx.inv.json_output)
    return finish(ctx.inv, json::object(), std::nullopt,
                  render_status_text(*statuses, *holders) + waiting_text(waiting) +
                      records_text(*statuses, records) + footer);
  json list = json::array();
  for (const auto& s : *statuses) {
    json entry = to_json(s);
    if (verbose) {
      json attempts = json::array();
      for (const Attempt* a : shown_attempts(s)) {
        json statement_list = json::array();
        if (auto it = records.find(a->id); it != records.end())
          for (const StatementRecord* r : it->second) statement_list.push_back(record_json(*r));
        attempts.push_back({{"attempt_id", a->id},
                            {"direction", to_string(a->direction)},
                            {"statements", statement_list}});
      }
      entry["statements"] = attempts;
    }
    list.push_back(std::move(entry));
  }
  json holder_list = json::array();
  for (const auto& h : *holders) holder_list.push_back(to_json(h));
  return finish(ctx.inv,
                {{"migrations", list},
                 {"lock_holders", holder_list},
                 {"waiting_expands", waiting_json(waiting)}},
                std::nullopt, "");
}

namespace {

struct StatusFlags {
  bool verbose = false;
  bool watch = false;
  std::string interval = "2s";
};

// `status --watch`: the report again every interval until interrupted (Ctrl-C), the screen
// cleared first on a terminal; a failed read is shown and the watch goes on (the server may be
// restarting). With --output json, one document per refresh.
int watch_status(const CommandContext& ctx, const StatusFlags& flags) {
  const auto every = parse_duration(flags.interval);
  if (!every || every->count() < 100)
    return fail_usage(ctx.inv, fmt::format("invalid --interval '{}'", flags.interval),
                      "write a duration of at least 100ms, such as 2s");
  const bool terminal = !ctx.inv.json_output && isatty(STDOUT_FILENO);
  while (true) {
    if (terminal) std::cout << "\x1b[H\x1b[2J";
    const std::string footer = ctx.inv.json_output
                                   ? std::string()
                                   : fmt::format("\n{} UTC; refreshed every {}; Ctrl-C stops\n",
                                                 utc_now_text(), flags.interval);
    finish_status_report(ctx, ctx.migrator.status(), footer, flags.verbose);
    std::cout.flush();
    std::this_thread::sleep_for(*every);
  }
}

}  // namespace

Command add_status_command(CLI::App& app) {
  auto flags = std::make_shared<StatusFlags>();
  auto* cmd =
      app.add_subcommand("status", "show every version's state from the files and the history");
  cmd->add_flag("--verbose,-v", flags->verbose,
                "also each statement's duration beside the plan's estimate, rows and lock waits");
  cmd->add_flag("--watch,-w", flags->watch,
                "refresh the report every --interval until interrupted: a running step, its "
                "statement and who blocks it");
  cmd->add_option("--interval", flags->interval, "with --watch: how often (default 2s)");
  return {.subcommand = cmd, .run = [flags](const CommandContext& ctx) {
            if (flags->watch) return watch_status(ctx, *flags);
            return finish_status_report(ctx, ctx.migrator.status(), "", flags->verbose);
          }};
}

}  // namespace migrate::cli
