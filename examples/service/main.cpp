// A service's start-up, reduced to the schema step: the migrations are compiled into the binary
// (migrate_embed in CMakeLists.txt), and the process brings the database up to date, or checks
// or waits for it, before it would start serving. Prints one line describing what happened.
//
//   example-service --db URL [--mode apply|verify|wait] [--version V] [--timeout-ms N]
#include <migrate/migrator.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "example_service_migrations.hpp"

namespace {

constexpr int kExitUsage = 2;

void print_usage(std::ostream& out) {
  out << "usage: example-service --db URL [--mode apply|verify|wait] [--version V] "
         "[--timeout-ms N]\n"
         "  apply   apply pending migrations, waiting for another replica's run (default)\n"
         "  verify  fail unless the schema is up to date; never writes\n"
         "  wait    wait until another process has applied --version\n";
}

struct Arguments {
  std::string database_url;
  migrate::EnsureMode mode = migrate::EnsureMode::kApplyIfNeeded;
  std::optional<std::string> version;
  std::optional<std::chrono::milliseconds> timeout;
};

std::optional<migrate::EnsureMode> parse_mode(std::string_view text) {
  if (text == "apply") return migrate::EnsureMode::kApplyIfNeeded;
  if (text == "verify") return migrate::EnsureMode::kVerifyOnly;
  if (text == "wait") return migrate::EnsureMode::kWaitForVersion;
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> parse_timeout(std::string_view text) {
  std::int64_t ms = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
  // The library's own bound, so an out-of-range value is a usage error here rather than an
  // error from deep inside the wait.
  if (ec != std::errc() || end != text.data() + text.size() || ms < 0 ||
      ms > migrate::kMaxDurationMs) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(ms);
}

// nullopt after printing why; the caller exits with kExitUsage.
std::optional<Arguments> parse_arguments(int argc, char** argv) {
  Arguments args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "example-service: " << flag << " needs a value\n";
      return std::nullopt;
    }
    const std::string_view value = argv[++i];
    if (flag == "--db") {
      args.database_url = value;
    } else if (flag == "--mode") {
      const auto mode = parse_mode(value);
      if (!mode) {
        std::cerr << "example-service: --mode must be apply, verify or wait, not '" << value
                  << "'\n";
        return std::nullopt;
      }
      args.mode = *mode;
    } else if (flag == "--version") {
      args.version = std::string(value);
    } else if (flag == "--timeout-ms") {
      args.timeout = parse_timeout(value);
      if (!args.timeout) {
        std::cerr << "example-service: --timeout-ms must be a whole number of milliseconds from "
                     "0 to "
                  << migrate::kMaxDurationMs << ", not '" << value << "'\n";
        return std::nullopt;
      }
    } else {
      std::cerr << "example-service: unknown argument '" << flag << "'\n";
      return std::nullopt;
    }
  }
  if (args.database_url.empty()) {
    std::cerr << "example-service: --db is required\n";
    return std::nullopt;
  }
  // The library would refuse it too, but only after connecting; a missing flag is the
  // operator's mistake and deserves the usage exit code.
  if (args.mode == migrate::EnsureMode::kWaitForVersion && !args.version) {
    std::cerr << "example-service: --mode wait needs --version\n";
    return std::nullopt;
  }
  return args;
}

const char* level_prefix(migrate::LogLevel level) {
  switch (level) {
    case migrate::LogLevel::kDebug:
      return "debug";
    case migrate::LogLevel::kInfo:
      return "info";
    case migrate::LogLevel::kWarn:
      return "warn";
  }
  return "log";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    print_usage(std::cout);
    return 0;
  }
  const auto args = parse_arguments(argc, argv);
  if (!args) {
    print_usage(std::cerr);
    return kExitUsage;
  }

  migrate::Options options;
  options.database_url = args->database_url;
  options.embedded_migrations = example_service_migrations();
  // A fresh demo service: no older release runs against this database, so there is no deploy
  // to wait for between an expand and its contract. A real service keeps the default (kExpand)
  // and lets a later release apply contracts once the old code is gone.
  options.phase = migrate::PhaseScope::kAll;
  // Shows up in pg_stat_activity and in the history's `client`, so an operator can tell the
  // service's runs from the CLI's.
  options.application_name = "example-service";
  // stdout carries the one result line a script can parse; progress goes to stderr.
  options.log = [](migrate::LogLevel level, const std::string& message) {
    std::cerr << "[" << level_prefix(level) << "] " << message << "\n";
  };

  migrate::EnsureOptions ensure_options;
  ensure_options.mode = args->mode;
  ensure_options.version = args->version;
  if (args->timeout) ensure_options.timeout = *args->timeout;

  migrate::Migrator migrator(options);
  const auto report = migrator.ensure(ensure_options);
  if (!report) {
    // The code first: a supervisor or a script can tell "behind" from "broken".
    std::cerr << "error[" << migrate::to_string(report.error().code)
              << "]: " << report.error().describe() << "\n";
    return 1;
  }
  // Read back rather than trusting the report alone: what a health endpoint would show.
  const auto statuses = migrator.status();
  if (!statuses) {
    std::cerr << statuses.error().describe() << "\n";
    return 1;
  }
  std::string applied_versions;
  for (const auto& status : *statuses) {
    if (status.state != migrate::State::kApplied) continue;
    if (!applied_versions.empty()) applied_versions += ',';
    applied_versions += status.version;
  }
  std::cout << "started mode=" << migrate::to_string(report->mode)
            << " before=" << report->version_before.value_or("none")
            << " after=" << report->version_after.value_or("none")
            << " applied=" << report->run.steps.size() << " waited_ms=" << report->waited.count()
            << " versions=" << applied_versions << "\n";
  return 0;
}
