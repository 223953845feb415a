// Two-phase migrations without a database (docs/two-phase.md): the `completes` directive, the
// pair checks load_directory makes, a migration's description, and the analyzer relaxing the
// breaking rules inside a contract whose expand is applied.
#include <gtest/gtest.h>

#include "migrate/analysis.hpp"
#include "migrate/source.hpp"
#include "support/migration_factory.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::TestWorkspace;

TEST(TwoPhaseDirectives, CompletesNamesAVersionWithOrWithoutV) {
  auto d = parse_directives("-- migrate:phase contract\n-- migrate:completes V041\n", "f.sql");
  ASSERT_TRUE(d) << d.error().describe();
  ASSERT_TRUE(d->completes);
  EXPECT_EQ(d->completes->str(), "41");
  auto plain = parse_directives("-- migrate:completes 7\n", "f.sql");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->completes->str(), "7");
  auto bad = parse_directives("-- migrate:completes the-expand\n", "f.sql");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kSourceInvalid);
  EXPECT_NE(bad.error().hint.find("migrate:completes V<version"), std::string::npos)
      << bad.error().hint;
}

TEST(TwoPhaseDirectives, TheDescriptionIsTheLeadingCommentWithoutDirectives) {
  EXPECT_EQ(leading_description("-- migrate:phase expand\n-- Rename users.name:\n--   deploy code "
                                "that writes both.\n\n-- not this\nALTER TABLE t ADD c int;\n"),
            "Rename users.name: deploy code that writes both.");
  EXPECT_EQ(leading_description("ALTER TABLE t ADD c int; -- trailing\n"), "");
}

// The error load_directory returns for a directory holding `files` (name, content).
Error load_error(const std::vector<std::pair<std::string, std::string>>& files) {
  TestWorkspace ws;
  for (const auto& [name, content] : files) ws.write_migration(name, content);
  auto set = load_directory(ws.migrations());
  EXPECT_FALSE(set) << "the directory should be refused";
  return set ? Error{} : set.error();
}

TEST(TwoPhasePairs, BrokenPairsAreRefusedWhenTheDirectoryLoads) {
  const std::string expand = "-- migrate:phase expand\nALTER TABLE t ADD b int;\n";
  const std::string plain = "CREATE TABLE t (a int);\n";
  struct Case {
    std::vector<std::pair<std::string, std::string>> files;
    std::string message;
  };
  const std::vector<Case> cases{
      {{{"V1__b.up.sql", expand},
        {"V2__drop.up.sql", "-- migrate:phase contract\n-- migrate:completes V1\nSELECT 1;\n"},
        {"V2__drop.down.sql", "-- migrate:phase expand\nSELECT 1;\n"}},
       "`phase` and `completes` in a down file"},
      {{{"V1__t.up.sql", plain},
        {"V2__drop.up.sql", "-- migrate:phase contract\n-- migrate:completes V9\nSELECT 1;\n"}},
       "`completes V9` names no migration"},
      {{{"V1__t.up.sql", plain},
        {"V2__drop.up.sql", "-- migrate:phase contract\n-- migrate:completes V1\nSELECT 1;\n"}},
       "has no `-- migrate:phase expand`"},
      {{{"V1__t.up.sql", plain},
        {"V2__drop.up.sql", "-- migrate:phase contract\n-- migrate:completes V3\nSELECT 1;\n"},
        {"V3__b.up.sql", expand}},
       "not earlier"},
      {{{"V1__b.up.sql", expand}, {"V2__x.up.sql", "-- migrate:completes V1\nSELECT 1;\n"}},
       "not a contract"},
  };
  for (const auto& c : cases) {
    Error e = load_error(c.files);
    EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
    EXPECT_NE(e.message.find(c.message), std::string::npos) << e.message;
    EXPECT_NE(e.where.file.find("V2__"), std::string::npos) << e.where.file;
    EXPECT_FALSE(e.hint.empty());
  }
  // A contract without `completes` (written before the directive existed) still loads: the
  // analyzer refuses it before it runs (contract-without-expand), never an applied one.
  TestWorkspace old_contract;
  old_contract.write_migration("V1__t.up.sql", plain);
  old_contract.write_migration("V2__drop.up.sql", "-- migrate:phase contract\nSELECT 1;\n");
  EXPECT_TRUE(load_directory(old_contract.migrations()));
  TestWorkspace ok;
  ok.write_migration("V1__b.up.sql", expand);
  ok.write_migration("V2__drop.up.sql",
                     "-- migrate:phase contract\n-- migrate:completes V1\nSELECT 1;\n");
  EXPECT_TRUE(load_directory(ok.migrations()));
}

std::vector<Finding> drop_column_findings(const std::set<std::string>& completed) {
  std::vector<Migration> ms{
      testing::make_migration("1", "expand",
                              "-- migrate:phase expand\nALTER TABLE users ADD "
                              "COLUMN full_name text;\n"),
      testing::make_migration("2", "contract",
                              "-- migrate:phase contract\n-- migrate:completes V1\nALTER TABLE "
                              "users DROP COLUMN name;\n")};
  AnalysisOptions o;
  o.completed_expands = completed;
  auto a = analyze_migrations({&ms[0], &ms[1]}, o);
  EXPECT_TRUE(a) << a.error().describe();
  std::vector<Finding> out;
  for (const auto& f : a->back().findings)
    if (f.rule_id == "drop-column" || f.rule_id == "breaking-outside-contract") out.push_back(f);
  return out;
}

TEST(TwoPhaseAnalysis, BreakingWarningsRelaxInAContractWhoseExpandIsApplied) {
  auto lint = drop_column_findings({});
  ASSERT_EQ(lint.size(), 1u);  // a contract is never breaking-outside-contract
  EXPECT_EQ(lint[0].rule_id, "drop-column");
  EXPECT_EQ(lint[0].severity, Severity::kWarning);
  auto applied = drop_column_findings({"1"});
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].severity, Severity::kInfo);
  EXPECT_NE(applied[0].message.find("completes expand 1"), std::string::npos) << applied[0].message;
}

}  // namespace
}  // namespace migrate
