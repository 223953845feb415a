// What a fixture's expected.txt says the round-trip check reports (sql_fixtures/check_rollback/
// README.md), compared with a report.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "migrate/rollback_check.hpp"

namespace migrate {

// Counts the temporary scratch databases process `pid` created that still exist (their names
// carry the pid: other tests on the same server may be running checks at the same time).
inline std::string own_scratch_databases_sql(pid_t pid = getpid()) {
  return "SELECT count(*) FROM pg_database WHERE datname LIKE 'migrate\\_rollback\\_check\\_" +
         std::to_string(pid) + "\\_%'";
}

// The report as expected.txt's lines: "<v> <outcome>", "<v> after down: ...", "<v> after up
// again: ...". Errors are matched separately (their text comes from the database).
inline std::set<std::string> round_trip_lines(const RollbackCheckReport& report) {
  std::set<std::string> lines;
  for (const auto& m : report.migrations) {
    lines.insert(m.version + " " + to_string(m.outcome));
    for (const auto& d : m.down_differences)
      lines.insert(m.version + " after down: " + d.describe());
    for (const auto& d : m.up_again_differences)
      lines.insert(m.version + " after up again: " + d.describe());
  }
  return lines;
}

inline void expect_round_trips(const RollbackCheckReport& report,
                               const std::filesystem::path& expected_file) {
  std::ifstream in(expected_file);
  ASSERT_TRUE(in) << expected_file;
  std::set<std::string> expected;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    const auto error_at = line.find(" error: ");
    if (error_at == std::string::npos) {
      expected.insert(line);
      continue;
    }
    const std::string version = line.substr(0, error_at);
    const std::string text = line.substr(error_at + 8);
    bool found = false;
    for (const auto& m : report.migrations)
      if (m.version == version) {
        ASSERT_TRUE(m.error) << "version " << version << " has no error; expected " << text;
        EXPECT_NE(m.error->message.find(text), std::string::npos) << m.error->describe();
        found = true;
      }
    EXPECT_TRUE(found) << "version " << version << " was not checked";
  }
  const auto actual = round_trip_lines(report);
  std::string diff;
  for (const auto& l : expected)
    if (!actual.contains(l)) diff += "  expected, not reported: " + l + "\n";
  for (const auto& l : actual)
    if (!expected.contains(l)) diff += "  reported, not expected: " + l + "\n";
  EXPECT_TRUE(diff.empty()) << expected_file.string() << ":\n" << diff;
  for (const auto& m : report.migrations)
    if (m.passed()) {
      EXPECT_FALSE(m.error) << m.version << ": " << m.error->describe();
    }
  bool passed = true;
  for (const auto& m : report.migrations) passed = passed && m.passed();
  EXPECT_EQ(report.error.has_value(), !passed);
  if (report.error) {
    EXPECT_EQ(report.error->code, ErrorCode::kRollbackMismatch);
  }
}

}  // namespace migrate
