#include "cli/output_renderer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "cli/commands/lint_command.hpp"
#include "migrate/database_url.hpp"
#include "migrate/estimate.hpp"

namespace migrate::cli {

using nlohmann::json;

namespace {

json optional_string(const std::optional<std::string>& v) {
  return v ? json(*v) : json(nullptr);
}

json backfill_json(const Attempt& a) {
  auto b = backfill_status(a);
  if (!b) return nullptr;
  return json{{"statement", b->statement},
              {"table", b->table},
              {"after", b->after},
              {"rows_done", b->rows_done},
              {"rows_estimated", b->rows_estimated ? json(*b->rows_estimated) : json(nullptr)},
              {"batches", b->batches},
              {"elapsed_ms", b->elapsed_ms},
              {"rows_per_second", b->rows_per_second},
              {"eta_seconds", b->eta_seconds ? json(*b->eta_seconds) : json(nullptr)},
              {"finished", b->finished}};
}

// "backfill of orders (statement 2): 120000 of ~500000 rows (24%), 8000 rows/s, ETA 48 s".
std::string backfill_note(const Attempt& a) {
  auto b = backfill_status(a);
  if (!b) return {};
  std::string rows =
      b->rows_estimated && *b->rows_estimated > 0
          ? fmt::format(
                "{} of ~{:.0f} rows ({:.0f}%)", b->rows_done, *b->rows_estimated,
                std::min(100.0, 100.0 * static_cast<double>(b->rows_done) / *b->rows_estimated))
          : fmt::format("{} rows", b->rows_done);
  return fmt::format("; backfill of {} (statement {}): {} in {} batches, {:.0f} rows/s{}", b->table,
                     b->statement, rows, b->batches, b->rows_per_second,
                     b->finished      ? ", last batch done"
                     : b->eta_seconds ? fmt::format(", ETA {:.0f} s", *b->eta_seconds)
                                      : std::string());
}

json attempt_json(const Attempt& a) {
  return json{{"id", a.id},
              {"run_id", a.run_id},
              {"direction", to_string(a.direction)},
              {"success", a.success ? json(*a.success) : json(nullptr)},
              {"started_at", a.started_at},
              {"finished_at", optional_string(a.finished_at)},
              {"execution_ms", a.execution_ms},
              {"statement_index", a.statement_index},
              {"error_statement", a.error_statement},
              {"transactional", a.transactional},
              {"error_message", a.error_message},
              {"error_code", a.error_code},
              {"checksum", a.checksum},
              {"down_checksum", optional_string(a.down_checksum)},
              {"installed_by", a.installed_by},
              {"client", a.client},
              {"tool_version", a.tool_version},
              {"baselined", a.baselined()},
              {"backup", optional_string(a.backup)},
              {"backfill", backfill_json(a)}};
}

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

// A step's checks (its verify file): where each starts and its text.
json verify_json(const std::vector<PlannedStatement>& checks) {
  json out = json::array();
  for (const auto& c : checks)
    out.push_back({{"index", c.index}, {"line", c.line}, {"column", c.column}, {"sql", c.sql}});
  return out;
}

}  // namespace

std::string printable_value(const Setting& s) {
  return s.secret_in_value ? redact_url(s.value) : s.value;
}

json to_json(const Error& e) {
  return json{
      {"code", to_string(e.code)}, {"message", e.message},       {"hint", e.hint},
      {"file", e.where.file},      {"version", e.where.version}, {"statement", e.where.statement},
      {"line", e.where.line},      {"column", e.where.column},   {"database_code", e.sqlstate}};
}

json to_json(const VersionStatus& s) {
  return json{{"version", s.version},
              {"name", s.name},
              {"state", to_string(s.state)},
              {"has_file", s.has_file},
              {"reversible", s.reversible},
              {"file_checksum", s.file_checksum},
              {"file_down_checksum", optional_string(s.file_down_checksum)},
              {"applied", s.last_applied ? attempt_json(*s.last_applied) : json(nullptr)},
              {"last_attempt", s.last_attempt ? attempt_json(*s.last_attempt) : json(nullptr)}};
}

json to_json(const PlannedBackfill& b) {
  auto ms = [](const std::optional<std::chrono::milliseconds>& d) {
    return d ? json(d->count()) : json(nullptr);
  };
  return json{
      {"form", to_string(b.form)},
      {"table", b.table.empty() ? json(nullptr) : json(b.table)},
      {"key", b.key},
      {"key_types", b.key_types},
      {"batch_sql", b.batch_sql.empty() ? json(nullptr) : json(b.batch_sql)},
      {"first_batch_sql", b.first_batch_sql.empty() ? json(nullptr) : json(b.first_batch_sql)},
      {"last_batch_sql", b.last_batch_sql.empty() ? json(nullptr) : json(b.last_batch_sql)},
      {"rows_estimated", b.rows_estimated ? json(*b.rows_estimated) : json(nullptr)},
      {"batch_size", b.batch_size},
      {"adaptive", b.adaptive},
      {"target_batch_time_ms", b.target_batch_time.count()},
      {"pause_ms", ms(b.pause)},
      {"max_replica_lag_ms", b.max_replica_lag.count()},
      {"expected_batches", b.expected_batches ? json(*b.expected_batches) : json(nullptr)},
      {"resume_after", b.resume_after},
      {"rows_done", b.rows_done},
      {"batches_done", b.batches_done}};
}

// One indented paragraph about a backfill statement: what `plan` promises the walk will be.
std::string render_backfill_text(const PlannedBackfill& b) {
  std::string out;
  if (b.table.empty()) {
    out +=
        "       backfill: table and key resolved when the step runs (the table does not exist "
        "yet)\n";
  } else {
    out += fmt::format("       backfill ({} form): table {}, key ({}){}\n", to_string(b.form),
                       b.table, fmt::join(b.key, ", "),
                       b.key_types.empty() ? "" : fmt::format(" {}", fmt::join(b.key_types, ", ")));
    out += fmt::format(
        "       rows estimated: {}; batch size {}{}; expected batches: {}\n",
        b.rows_estimated ? fmt::format("{:.0f}", *b.rows_estimated)
                         : std::string("unknown (the table was never analyzed: ANALYZE it)"),
        b.batch_size,
        b.adaptive ? fmt::format(", adapting toward {} ms per batch", b.target_batch_time.count())
                   : std::string(" (fixed)"),
        b.expected_batches ? std::to_string(*b.expected_batches) : std::string("unknown"));
  }
  out += fmt::format(
      "       pause between batches: {}{}\n",
      b.pause ? fmt::format("{} ms", b.pause->count())
              : std::string("a fiftieth of each batch's time"),
      b.max_replica_lag.count() > 0
          ? fmt::format("; waits while a replica lags over {} ms", b.max_replica_lag.count())
          : std::string());
  if (!b.batch_sql.empty()) out += fmt::format("       each batch runs: {}\n", b.batch_sql);
  if (!b.resume_after.empty() || b.rows_done > 0)
    out += fmt::format("       resumes after key ({}): {} rows in {} batches already done\n",
                       fmt::join(b.resume_after, ", "), b.rows_done, b.batches_done);
  if (b.finished) out += "       its last batch already committed\n";
  return out;
}

json to_json(const Estimate& e) {
  auto number = [](const std::optional<double>& v) {
    return v ? json(std::round(*v * 10) / 10) : json(nullptr);
  };
  return {{"p50_ms", number(e.p50_ms)},   {"p90_ms", number(e.p90_ms)}, {"lock", to_string(e.lock)},
          {"lock_ms", number(e.lock_ms)}, {"rows", number(e.rows)},     {"basis", e.basis}};
}

// "1.2 s (p90 1.8 s), ACCESS EXCLUSIVE held 1.2 s, 1.2M rows": unknown parts are left out.
std::string render_estimate_text(const Estimate& e) {
  std::string out =
      e.p50_ms ? fmt::format("{} (p90 {})", human_duration(*e.p50_ms), human_duration(*e.p90_ms))
               : "unknown";
  if (e.lock != LockLevel::kNone)
    out += fmt::format(", {} held {}", to_string(e.lock),
                       e.lock_ms ? human_duration(*e.lock_ms) : "for an unknown time");
  if (e.rows) out += fmt::format(", {} rows", human_count(*e.rows));
  return out;
}

json to_json(const PhaseStop& s) {
  return json{{"version", s.version},
              {"name", s.name},
              {"file", s.file},
              {"completes", s.expand_version},
              {"expand_name", s.expand_name},
              {"expand_description", s.expand_description},
              {"expand_applied", s.expand_applied},
              {"waiting", s.waiting},
              {"reason", s.reason}};
}

json to_json(const Plan& p) {
  json steps = json::array();
  for (const auto& s : p.steps) {
    json statements = json::array();
    for (const auto& st : s.statements)
      statements.push_back({{"index", st.index},
                            {"line", st.line},
                            {"column", st.column},
                            {"sql", st.sql},
                            {"standalone", st.standalone},
                            {"standalone_reason", st.standalone_reason},
                            {"autocommit", st.autocommit},
                            {"takes_relation_lock", st.takes_relation_lock},
                            {"relations", st.relations},
                            {"backfill", st.backfill ? to_json(*st.backfill) : json(nullptr)},
                            {"estimate", to_json(st.estimate)}});
    steps.push_back(
        {{"kind", s.kind == StepKind::kApply ? "apply" : "revert"},
         {"version", s.version},
         {"name", s.name},
         {"file", s.file.string()},
         {"checksum", s.checksum},
         {"transactional", s.transactional},
         {"declared_class", s.declared_class ? json(to_string(*s.declared_class)) : json(nullptr)},
         {"phase", s.phase ? json(to_string(*s.phase)) : json(nullptr)},
         {"completes", optional_string(s.completes)},
         {"foreign_keys", to_string(s.foreign_keys)},
         {"resume_from", s.resume_from},
         {"uncertain_statement", s.uncertain_statement},
         {"statements", statements},
         {"backfill_check", s.backfill_check ? json(*s.backfill_check) : json(nullptr)},
         {"verify_file", s.verify.empty() ? json(nullptr) : json(s.verify_file.string())},
         {"verify", verify_json(s.verify)},
         {"history_writes", s.history_writes},
         {"analysis", s.analysis ? to_json(*s.analysis) : json(nullptr)},
         {"estimate", to_json(s.estimate)}});
  }
  return json{{"dialect", to_string(p.dialect)},
              {"current_version", optional_string(p.current_version)},
              {"target_version", optional_string(p.target_version)},
              {"steps", steps},
              {"estimate", to_json(p.estimate)},
              {"phase_stop", p.phase_stop ? to_json(*p.phase_stop) : json(nullptr)}};
}

json to_json(const RunReport& r) {
  json steps = json::array();
  for (const auto& s : r.steps) {
    steps.push_back({{"version", s.version},
                     {"name", s.name},
                     {"direction", s.kind == StepKind::kApply ? "up" : "down"},
                     {"success", s.success},
                     {"execution_ms", s.execution_ms},
                     {"statements_run", s.statements_run}});
  }
  return json{{"run_id", r.run_id},
              {"steps", steps},
              {"phase_stop", r.phase_stop ? to_json(*r.phase_stop) : json(nullptr)},
              {"backup", optional_string(r.backup)}};
}

json to_json(const Attempt& a) {
  return attempt_json(a);
}

json to_json(const DatabaseSession& s) {
  return json{{"pid", s.pid},
              {"application_name", s.application_name},
              {"client_addr", s.client_addr},
              {"state", s.state},
              {"backend_start", s.backend_start},
              {"xact_start", s.xact_start},
              {"transaction_age_s", s.transaction_age_s},
              {"query", s.query},
              {"role", s.role},
              {"query_age_s", s.query_age_s},
              {"wait_event", s.wait_event},
              {"blocked_by", s.blocked_by},
              {"running_step", s.running_step.empty() ? json(nullptr) : json(s.running_step)}};
}

std::string render_status_text(const std::vector<VersionStatus>& statuses,
                               const std::vector<DatabaseSession>& lock_holders) {
  if (statuses.empty()) return "No migrations.\n";
  std::size_t vw = 7, nw = 4;
  for (const auto& s : statuses) {
    vw = std::max(vw, s.version.size());
    nw = std::max(nw, s.name.size());
  }
  std::string out = fmt::format("{:<{}}  {:<{}}  {:<12}  {:<24}  {}\n", "VERSION", vw, "NAME", nw,
                                "STATE", "APPLIED AT", "NOTE");
  int applied = 0, pending = 0, problems = 0;
  // The step the run holding the lock is on ("apply 12 (name)..."): a transactional step has no
  // visible history row before it commits, so its version would otherwise look merely pending.
  std::string running_step, running_version;
  for (const auto& h : lock_holders)
    if (!h.running_step.empty()) {
      running_step = h.running_step;
      const auto first = running_step.find(' ');
      running_version = running_step.substr(
          first + 1, running_step.find(' ', first + 1) - std::min(first + 1, running_step.size()));
    }
  for (const auto& s : statuses) {
    std::string note;
    switch (s.state) {
      case State::kApplied:
        ++applied;
        if (!s.reversible) note = "irreversible";
        if (s.version == running_version && running_step.starts_with("revert"))
          note = "being reverted now";
        if (s.last_applied && s.last_applied->backup)
          note += (note.empty() ? "" : "; ") + ("backup " + *s.last_applied->backup);
        break;
      case State::kPending:
        ++pending;
        if (s.version == running_version) note = "running now";
        break;
      case State::kModified:
        ++problems;
        note = "up file changed since apply";
        break;
      case State::kMissing:
        ++problems;
        note = "file missing";
        break;
      case State::kOutOfOrder:
        ++problems;
        note = "older than an applied version";
        break;
      case State::kFailed:
      case State::kRunning:
        ++problems;
        // A live lock holder means the attempt without an outcome is running now, not dead.
        note = s.state == State::kRunning && !lock_holders.empty()
                   ? fmt::format("{}: running now, {} statement(s) done (run by {})",
                                 to_string(s.last_attempt->direction),
                                 s.last_attempt->statement_index, s.last_attempt->client)
                   : fmt::format("{}: {}", to_string(s.last_attempt->direction),
                                 describe_stop(*s.last_attempt));
        note += backfill_note(*s.last_attempt);
        break;
    }
    if (s.state == State::kApplied && s.last_attempt &&
        s.last_attempt->direction == Direction::kDown && s.last_attempt->success == false) {
      note = "last rollback failed: " + first_line(s.last_attempt->error_message);
    }
    // A retry of a failed version, an out-of-order apply: running now too (a step with a
    // visible attempt, state running, says so above).
    if (s.version == running_version &&
        (s.state == State::kFailed || s.state == State::kOutOfOrder) &&
        running_step.starts_with("apply"))
      note = "running now (" + running_step + ")";
    if (s.state == State::kApplied && note.empty() && s.last_applied->baselined())
      note = "baselined (recorded as applied without running)";
    std::string at = s.last_applied ? s.last_applied->finished_at.value_or("") : "";
    out += fmt::format("{:<{}}  {:<{}}  {:<12}  {:<24}  {}\n", s.version, vw, s.name, nw,
                       to_string(s.state), at, note);
  }
  out += fmt::format("\n{} applied, {} pending, {} need attention\n", applied, pending, problems);
  // Only the first session of a run holds the migration lock; the others are its statement session
  // and blocker monitor, labelled so that nobody ends the wrong one.
  if (!running_step.empty()) out += fmt::format("run in progress: {}\n", running_step);
  for (const auto& h : lock_holders) {
    if (h.role == "blocks the run") continue;  // listed under the session it blocks
    const bool holder = h.role == "run lock holder";
    out += fmt::format("{} pid {} ({}, from {}, connected since {}, {})",
                       holder ? std::string("migration lock held by") : h.role + " of that run:",
                       h.pid, h.application_name, h.client_addr, h.backend_start, h.state);
    if (holder && !h.running_step.empty()) {
      out += fmt::format(": on this step for {}\n", human_duration(h.query_age_s * 1000.0));
    } else if (h.state == "active") {
      out += fmt::format(": running for {}{}: {}\n", human_duration(h.query_age_s * 1000.0),
                         h.wait_event.empty() ? "" : ", waiting (" + h.wait_event + ")", h.query);
    } else {
      out += fmt::format(": {}\n", h.query);
    }
    for (int pid : h.blocked_by) {
      auto b = std::find_if(lock_holders.begin(), lock_holders.end(), [&](const auto& x) {
        return x.pid == pid && x.role == "blocks the run";
      });
      if (b == lock_holders.end()) {
        // pid 0: a prepared transaction (PREPARE TRANSACTION) holds the lock, with no session.
        out += pid == 0 ? std::string("  blocked by a prepared transaction (pg_prepared_xacts)\n")
                        : fmt::format("  blocked by pid {}\n", pid);
        continue;
      }
      out +=
          fmt::format("  blocked by pid {} ({}, from {}), {}, transaction age {}{}: {}\n", b->pid,
                      b->application_name.empty() ? "no application_name" : b->application_name,
                      b->client_addr, b->state, human_duration(b->transaction_age_s * 1000.0),
                      b->lock.empty() ? "" : ", " + b->lock, b->query);
    }
  }
  return out;
}

std::string render_plan_text(const Plan& plan, bool dry_run_banner) {
  std::string out;
  if (dry_run_banner) out += "Dry run: nothing is executed and nothing is written.\n";
  out += fmt::format("Database at version {}; plan ends at version {} ({} step(s)).\n",
                     plan.current_version.value_or("none"), plan.target_version.value_or("none"),
                     plan.steps.size());
  for (const auto& s : plan.steps) {
    out += fmt::format(
        "\n{} {} {}  [{}{}{}]\n", s.kind == StepKind::kApply ? "apply " : "revert", s.version,
        s.name,
        s.transactional ? "one transaction" : "transactional groups and standalone statements",
        s.declared_class ? fmt::format(", class {}", to_string(*s.declared_class)) : "",
        s.phase ? fmt::format(", phase {}", to_string(*s.phase)) : "");
    out += fmt::format("  file {}\n  {}\n", s.file.string(), s.checksum);
    if (s.completes) out += fmt::format("  completes expand {}\n", *s.completes);
    if (plan.dialect == Dialect::kSqlite)
      out += fmt::format("  foreign keys: {}\n", to_string(s.foreign_keys));
    if (s.resume_from > 0) out += fmt::format("  resumes after statement {}\n", s.resume_from);
    if (s.uncertain_statement > 0)
      out += fmt::format(
          "  statement {} was sent by a run that died: its outcome is read back "
          "first ({})\n",
          s.uncertain_statement, to_string(s.statements.at(s.uncertain_statement - 1).recovery));
    int group = 0;
    bool in_group = false;
    for (const auto& st : s.statements) {
      if (!s.transactional) {
        if (st.standalone) {
          in_group = false;
          out +=
              fmt::format("  -- standalone, {} ({})\n",
                          st.autocommit ? "autocommit" : "own transaction", st.standalone_reason);
        } else if (!in_group) {
          in_group = true;
          out += fmt::format("  -- transaction {}\n", ++group);
        }
      }
      std::string sql = first_line(st.sql);
      if (sql.size() > 90)
        sql = sql.substr(0, 87) + "...";
      else if (sql.size() < st.sql.size())
        sql += " ...";
      out += fmt::format("  {:>3}. line {:<4} {}\n", st.index, st.line, sql);
      if (st.backfill) out += render_backfill_text(*st.backfill);
      out += fmt::format("       estimate: {}\n         basis: {}\n",
                         render_estimate_text(st.estimate), st.estimate.basis);
    }
    if (s.backfill_check)
      out += fmt::format("  backfill check (must return no rows): {}\n", *s.backfill_check);
    if (!s.verify.empty()) {
      out += fmt::format("  checks of {} (each must return no rows, or one row that is true):\n",
                         s.verify_file.filename().string());
      for (const auto& c : s.verify)
        out += fmt::format("  {:>3}. line {:<4} {}\n", c.index, c.line, first_line(c.sql));
    }
    if (s.statements.empty()) out += "  (no statements: recorded as done)\n";
    if (!s.statements.empty())
      out += fmt::format("  estimate for version {}: {}{}\n", s.version,
                         render_estimate_text(s.estimate),
                         s.estimate.p50_ms ? "" : " (" + s.estimate.basis + ")");
    if (s.analysis) out += render_analysis_text(*s.analysis, "  ");
    for (const auto& w : s.history_writes) out += "  history: " + w + "\n";
  }
  if (!plan.steps.empty())
    out += fmt::format("\nEstimate for the plan: {}{}\n", render_estimate_text(plan.estimate),
                       plan.estimate.p50_ms ? "" : " (" + plan.estimate.basis + ")");
  if (plan.phase_stop) out += "\nThe plan " + plan.phase_stop->reason + "\n";
  return out;
}

std::string render_report_text(const RunReport& report, const char* verb) {
  std::string out;
  if (report.backup) out += fmt::format("backup {}\n", *report.backup);
  int ok = 0;
  for (const auto& s : report.steps) {
    if (!s.success) continue;
    ++ok;
    out += fmt::format("{} {} {} ({} statement(s), {} ms)\n", verb, s.version, s.name,
                       s.statements_run, s.execution_ms);
  }
  if (ok == 0 && !report.error && !report.phase_stop)
    out += "Nothing to do: the database is up to date with the plan.\n";
  if (report.phase_stop && !report.error) out += "The run " + report.phase_stop->reason + "\n";
  return out;
}

std::string render_error_text(const Error& e) {
  std::string out = fmt::format("error[{}]: {}\n", to_string(e.code), e.describe());
  if (!e.sqlstate.empty()) out += fmt::format("  database code: {}\n", e.sqlstate);
  return out;
}

std::string render_settings_text(const std::vector<Setting>& settings) {
  std::string out;
  for (const auto& s : settings)
    out += fmt::format("{:<20} = {:<30} ({})\n", s.name,
                       printable_value(s).empty() ? "\"\"" : printable_value(s), s.source);
  return out;
}

namespace {

json to_json(const SchemaDifference& d) {
  return json{
      {"change", to_string(d.change)},      {"kind", d.kind},        {"name", d.name},
      {"expected", d.reference_definition}, {"found", d.definition}, {"description", d.describe()}};
}

json to_json(const std::vector<SchemaDifference>& ds) {
  json out = json::array();
  for (const auto& d : ds) out.push_back(to_json(d));
  return out;
}

}  // namespace

json to_json(const RollbackCheckReport& r) {
  json migrations = json::array();
  for (const auto& m : r.migrations)
    migrations.push_back(json{{"version", m.version},
                              {"name", m.name},
                              {"outcome", to_string(m.outcome)},
                              {"passed", m.passed()},
                              {"down_differences", to_json(m.down_differences)},
                              {"up_again_differences", to_json(m.up_again_differences)},
                              {"error", m.error ? to_json(*m.error) : json(nullptr)}});
  return json{{"dialect", to_string(r.dialect)},
              {"all", r.all},
              {"scratch_database", r.scratch_database},
              {"scratch_removed", r.scratch_removed},
              {"baseline_version", r.baseline_version ? json(*r.baseline_version) : json(nullptr)},
              {"migrations", std::move(migrations)}};
}

std::string render_rollback_check_text(const RollbackCheckReport& r) {
  std::string text =
      r.all
          ? fmt::format(
                "Round trip (up, down, up) of every migration from an empty database in "
                "{}:\n",
                r.scratch_database)
          : fmt::format("Round trip (up, down, up) of the pending migrations in {}{}:\n",
                        r.scratch_database,
                        r.baseline_version ? fmt::format(", from the target's schema at version {}",
                                                         *r.baseline_version)
                                           : std::string(", from the target's schema"));
  if (r.migrations.empty()) text += "  nothing pending\n";
  int failing = 0;
  for (const auto& m : r.migrations) {
    if (!m.passed()) ++failing;
    text += fmt::format("  {} {}  {}\n", m.version, m.name,
                        m.outcome == RoundTripOutcome::kExact          ? "ok"
                        : m.outcome == RoundTripOutcome::kIrreversible ? "irreversible, skipped"
                                                                       : to_string(m.outcome));
    for (const auto& d : m.down_differences) text += "      after down: " + d.describe() + "\n";
    for (const auto& d : m.up_again_differences)
      text += "      after up again: " + d.describe() + "\n";
    if (m.error) {
      const char* step = m.outcome == RoundTripOutcome::kUpFailed     ? "up failed: "
                         : m.outcome == RoundTripOutcome::kDownFailed ? "down failed: "
                         : m.outcome == RoundTripOutcome::kNotChecked ? ""
                                                                      : "up again failed: ";
      text += "      " + std::string(step) + m.error->message + "\n";
    }
  }
  if (failing == 0)
    text += fmt::format("{} migration(s) checked: every down restores the schema exactly.\n",
                        r.migrations.size());
  if (r.scratch_removed) text += "The scratch database was removed.\n";
  return text;
}

namespace {

nlohmann::json locks_json(const std::vector<RelationLock>& locks) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& l : locks)
    out.push_back({{"relation", l.relation}, {"mode", to_string(l.level)}});
  return out;
}

std::string traced_lock_text(const TracedLock& l) {
  std::string text = l.relation + " " + to_string(l.level);
  if (l.held_since_statement > 0)
    text +=
        fmt::format(" (held since {} statement {})", l.held_since_version, l.held_since_statement);
  if (!l.related_to.empty()) text += " (through " + l.related_to + ")";
  if (l.created) text += " (created)";
  return text;
}

}  // namespace

nlohmann::json to_json(const LockTraceReport& r) {
  nlohmann::json statements = nlohmann::json::array();
  for (const auto& s : r.statements) {
    nlohmann::json locks = nlohmann::json::array();
    for (const auto& l : s.locks) {
      nlohmann::json lock{{"relation", l.relation}, {"mode", to_string(l.level)}};
      if (l.held_since_statement > 0)
        lock["held_since"] = {{"version", l.held_since_version},
                              {"statement", l.held_since_statement}};
      if (!l.related_to.empty()) lock["related_to"] = l.related_to;
      if (l.created) lock["created"] = true;
      locks.push_back(std::move(lock));
    }
    statements.push_back({{"version", s.version},
                          {"file", s.file},
                          {"statement", s.statement},
                          {"line", s.line},
                          {"column", s.column},
                          {"standalone", s.standalone},
                          {"traced", s.traced()},
                          {"method", to_string(s.method)},
                          {"not_traced_reason", s.traced() ? nlohmann::json(nullptr)
                                                           : nlohmann::json(s.not_traced_reason)},
                          {"duration_ms", s.duration_ms},
                          {"locks", std::move(locks)},
                          {"analyzer_locks", locks_json(s.analyzer_locks)}});
  }
  nlohmann::json mismatches = nlohmann::json::array();
  for (const auto& m : r.mismatches)
    mismatches.push_back(
        {{"version", m.version},
         {"statement", m.statement},
         {"line", m.line},
         {"column", m.column},
         {"relation", m.relation},
         {"analyzer", m.analyzer == LockLevel::kNone ? nlohmann::json(nullptr)
                                                     : nlohmann::json(to_string(m.analyzer))},
         {"traced", m.kind == LockMismatchKind::kUnknownRelation
                        ? nlohmann::json(nullptr)
                        : nlohmann::json(to_string(m.traced))},
         {"kind", to_string(m.kind)}});
  return {{"trace_database", r.trace_database},
          {"temporary", r.temporary},
          {"removed", r.removed},
          {"statements", std::move(statements)},
          {"mismatches", std::move(mismatches)},
          {"error", r.error ? to_json(*r.error) : nlohmann::json(nullptr)}};
}

std::string render_lock_trace_text(const LockTraceReport& r) {
  std::string text = fmt::format(
      "\nLock trace on {}{}:\n", r.trace_database,
      r.temporary ? " (a temporary copy of the target's schema)" : " (everything rolled back)");
  if (r.statements.empty()) text += "  nothing pending\n";
  std::string version;
  int traced = 0;
  int not_traced = 0;
  for (const auto& s : r.statements) {
    if (s.version != version) {
      version = s.version;
      text += fmt::format("  {} {} ({})\n", s.version, s.name, s.file);
    }
    text += fmt::format("    statement {} (line {}:{}){}", s.statement, s.line, s.column,
                        s.standalone ? ", standalone" : "");
    if (!s.traced()) {
      ++not_traced;
      text += ": not traced: " + s.not_traced_reason + "\n";
      continue;
    }
    ++traced;
    text += fmt::format(", {:.1f} ms{}\n", s.duration_ms,
                        s.method == TraceMethod::kWhileWaiting ? ", seen while it waited" : "");
    std::string analyzer;
    for (const auto& l : s.analyzer_locks)
      analyzer += (analyzer.empty() ? "" : ", ") + l.relation + " " + to_string(l.level);
    std::string server;
    for (const auto& l : s.locks)
      if (static_cast<int>(l.level) >= static_cast<int>(LockLevel::kAccessShare))
        server += (server.empty() ? "" : ", ") + traced_lock_text(l);
    text += "      analyzer:   " + (analyzer.empty() ? std::string("no locks") : analyzer) + "\n";
    text += "      PostgreSQL: " + (server.empty() ? std::string("no locks") : server) + "\n";
    for (const auto& m : r.mismatches)
      if (m.version == s.version && m.statement == s.statement)
        text += "      MISMATCH (" + std::string(to_string(m.kind)) + ") " + m.describe() + "\n";
  }
  if (r.mismatches.empty())
    text += fmt::format(
        "{} statement(s) traced: the analyzer's locks agree with PostgreSQL's{}.\n", traced,
        not_traced > 0 ? fmt::format("; {} not traced", not_traced) : std::string());
  else
    text += fmt::format(
        "{} statement(s) traced, {} not traced: {} lock(s) the analyzer missed or got wrong (a "
        "bug of libmigrate's lock table; please report it with these lines).\n",
        traced, not_traced, r.mismatches.size());
  if (r.removed)
    text += "The temporary trace database was removed.\n";
  else if (r.temporary)
    text +=
        fmt::format("The temporary trace database could not be removed: drop it by hand ({}).\n",
                    r.trace_database);
  return text;
}

}  // namespace migrate::cli
