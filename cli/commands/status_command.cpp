// `migrate status`: the per-version report shared with `validate`, so both print the same fields.
#include "cli/commands/status_command.hpp"

#include <fmt/format.h>

#include <map>
#include <memory>

#include "cli/output_renderer.hpp"

namespace migrate::cli {

using nlohmann::json;

namespace {

using RecordsByAttempt = std::map<std::int64_t, std::vector<const StatementRecord*>>;

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
  // Only the form asked for is built: with thousands of versions either one costs.
  if (!ctx.inv.json_output)
    return finish(
        ctx.inv, json::object(), std::nullopt,
        render_status_text(*statuses, *holders) + records_text(*statuses, records) + footer);
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
  return finish(ctx.inv, {{"migrations", list}, {"lock_holders", holder_list}}, std::nullopt, "");
}

Command add_status_command(CLI::App& app) {
  auto verbose = std::make_shared<bool>(false);
  auto* cmd =
      app.add_subcommand("status", "show every version's state from the files and the history");
  cmd->add_flag("--verbose,-v", *verbose,
                "also each statement's duration beside the plan's estimate, rows and lock waits");
  return {.subcommand = cmd, .run = [verbose](const CommandContext& ctx) {
            return finish_status_report(ctx, ctx.migrator.status(), "", *verbose);
          }};
}

}  // namespace migrate::cli
