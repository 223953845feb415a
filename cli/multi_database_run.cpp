#include "cli/multi_database_run.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/exit_codes.hpp"
#include "cli/output_renderer.hpp"
#include "migrate/database_url.hpp"

namespace migrate::cli {

using nlohmann::json;

namespace {

struct DatabaseOutcome {
  std::string out;  // what the command printed on stdout
  std::string err;  // ... and on stderr
  int exit_code = 0;
  std::optional<Error> error;
  std::optional<std::string> from;  // highest applied version before and after
  std::optional<std::string> to;
  bool versions_known = false;
  std::chrono::milliseconds duration{0};
};

// The highest version the history has applied; nullopt for none. Read without logging.
std::optional<std::string> highest_applied(const std::vector<VersionStatus>& statuses) {
  std::optional<Version> best;
  for (const auto& s : statuses) {
    if (!s.last_applied) continue;
    auto v = Version::parse(s.version);
    if (v && (!best || *best < *v)) best = v;
  }
  return best ? std::optional<std::string>(best->str()) : std::nullopt;
}

std::string version_text(const std::optional<std::string>& v, bool known) {
  if (!known) return "?";
  return v ? *v : std::string("-");
}

std::string prefixed(const std::string& text, const std::string& prefix) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    out += prefix + text.substr(at, end - at) + "\n";
    at = end + 1;
  }
  return out;
}

DatabaseOutcome run_one_database(
    const Invocation& inv, const NamedDatabase& db, const Options& base,
    const std::function<int(const Invocation&, const Options&)>& run_one) {
  DatabaseOutcome outcome;
  Options options = base;
  options.database_url = db.url;
  const std::string name = db.name;
  options.log = [name](LogLevel severity, const std::string& message) {
    spdlog::log(severity == LogLevel::kDebug  ? spdlog::level::debug
                : severity == LogLevel::kInfo ? spdlog::level::info
                                              : spdlog::level::warn,
                "[{}] {}", name, message);
  };
  Options quiet = options;
  quiet.log = {};
  if (auto before = Migrator(quiet).status()) {
    outcome.from = highest_applied(*before);
    outcome.versions_known = true;
  }
  std::ostringstream out, err;
  Invocation sub = inv;
  sub.out = &out;
  sub.err = &err;
  sub.reported = &outcome.error;
  const auto started = std::chrono::steady_clock::now();
  outcome.exit_code = run_one(sub, options);
  outcome.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  if (auto after = Migrator(quiet).status()) {
    outcome.to = highest_applied(*after);
  } else {
    outcome.versions_known = false;
  }
  outcome.out = out.str();
  outcome.err = err.str();
  return outcome;
}

std::string result_text(const DatabaseOutcome& o) {
  if (o.exit_code == kExitOk) return "ok";
  return o.error ? std::string(to_string(o.error->code)) : fmt::format("exit {}", o.exit_code);
}

}  // namespace

bool runs_on_many_databases(const std::string& command) {
  for (const char* c : {"plan", "apply", "status", "rollback", "validate", "ensure", "verify"})
    if (command == c) return true;
  return false;
}

int run_on_databases(const Invocation& inv, const std::vector<NamedDatabase>& databases,
                     int parallel, const Options& base,
                     const std::function<int(const Invocation&, const Options&)>& run_one) {
  std::vector<DatabaseOutcome> outcomes(databases.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < databases.size(); i = next++) {
      try {
        outcomes[i] = run_one_database(inv, databases[i], base, run_one);
      } catch (const std::exception& e) {
        outcomes[i].exit_code = exit_code_for(ErrorCode::kInternal);
        outcomes[i].error = Error{
            ErrorCode::kInternal, e.what(), "this is a bug in migrate; please report it", {}, {}};
        outcomes[i].err = fmt::format("error[INTERNAL]: {}\n", e.what());
      }
    }
  };
  const std::size_t threads =
      std::min(databases.size(), static_cast<std::size_t>(std::max(parallel, 1)));
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::jthread> pool;
    for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
  }

  int exit_code = kExitOk;
  const DatabaseOutcome* first_failure = nullptr;
  for (const auto& o : outcomes)
    if (o.exit_code != kExitOk && !first_failure) {
      first_failure = &o;
      exit_code = o.exit_code;
    }
  std::size_t failed = 0;
  for (const auto& o : outcomes) failed += o.exit_code != kExitOk ? 1 : 0;

  if (inv.json_output) {
    json list = json::array();
    json summary = json::array();
    for (std::size_t i = 0; i < databases.size(); ++i) {
      const auto& o = outcomes[i];
      json result;
      try {
        result = json::parse(o.out);
      } catch (const std::exception&) {
        result = nullptr;
      }
      list.push_back({{"name", databases[i].name},
                      {"url", redact_url(databases[i].url)},
                      {"exit_code", o.exit_code},
                      {"result", result}});
      auto version = [&](const std::optional<std::string>& v) {
        return o.versions_known && v ? json(*v) : json(nullptr);
      };
      summary.push_back({{"name", databases[i].name},
                         {"from_version", version(o.from)},
                         {"to_version", version(o.to)},
                         {"result", result_text(o)},
                         {"exit_code", o.exit_code},
                         {"duration_ms", o.duration.count()}});
    }
    json envelope{{"schema", kJsonSchema},
                  {"command", inv.command},
                  {"ok", exit_code == kExitOk},
                  {"exit_code", exit_code},
                  {"error", first_failure && first_failure->error ? to_json(*first_failure->error)
                                                                  : json(nullptr)},
                  {"databases", list},
                  {"summary", summary}};
    std::string document = envelope.dump(2) + "\n";
    inv.out->write(document.data(), static_cast<std::streamsize>(document.size()));
    return exit_code;
  }

  std::size_t nw = 8;
  for (const auto& db : databases) nw = std::max(nw, db.name.size());
  std::size_t vw = 4;
  std::size_t rw = 6;
  for (const auto& o : outcomes) {
    vw = std::max({vw, version_text(o.from, o.versions_known).size(),
                   version_text(o.to, o.versions_known).size()});
    rw = std::max(rw, result_text(o).size());
  }
  for (std::size_t i = 0; i < databases.size(); ++i) {
    const auto& o = outcomes[i];
    *inv.out << fmt::format("== {} ({}) ==\n", databases[i].name, redact_url(databases[i].url))
             << o.out;
    if (!o.out.empty() && o.out.back() != '\n') *inv.out << "\n";
    *inv.out << "\n";
    *inv.out << std::flush;
    *inv.err << prefixed(o.err, "[" + databases[i].name + "] ") << std::flush;
  }
  std::string table = fmt::format("Summary: {} database(s), {} succeeded, {} failed\n",
                                  databases.size(), databases.size() - failed, failed);
  table += fmt::format("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", "DATABASE", nw, "FROM", vw, "TO", vw,
                       "RESULT", rw, "DURATION");
  for (std::size_t i = 0; i < databases.size(); ++i) {
    const auto& o = outcomes[i];
    table += fmt::format("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {} ms\n", databases[i].name, nw,
                         version_text(o.from, o.versions_known), vw,
                         version_text(o.to, o.versions_known), vw, result_text(o), rw,
                         o.duration.count());
  }
  *inv.out << table;
  return exit_code;
}

}  // namespace migrate::cli
