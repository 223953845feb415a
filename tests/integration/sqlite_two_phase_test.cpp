// Two-phase gating on SQLite (docs/two-phase.md), on the demo's two expand/contract pairs
// (V010/V018, V017/V019) and on small directories: apply stops before a contract, --phase contract
// refuses a contract whose expand this run would apply, rollback refuses to cross back over an
// expand whose contract is applied, and status lists the waiting expands. Nothing is applied by a
// refused run.
#include <gtest/gtest.h>

#include "migrate/migrator.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::TestWorkspace;

const std::filesystem::path kDemo =
    std::filesystem::path(MIGRATE_SOURCE_DIR) / "sql_fixtures/demo/sqlite";

Options with_phase(const TestWorkspace& ws, PhaseScope phase) {
  Options o = ws.options();
  o.phase = phase;
  return o;
}

std::vector<std::string> applied(Migrator& m) {
  std::vector<std::string> out;
  for (const auto& s : *m.status())
    if (s.last_applied) out.push_back(s.version);
  return out;
}

TEST(SqliteTwoPhase, ApplyStopsBeforeTheFirstContractAndSaysWhatWaitsBehindIt) {
  TestWorkspace ws;
  ws.copy_migrations_from(kDemo);
  Migrator m(ws.options());
  auto plan = m.plan_apply(std::nullopt);
  ASSERT_TRUE(plan) << plan.error().describe();
  ASSERT_TRUE(plan->phase_stop);
  EXPECT_EQ(plan->phase_stop->version, "18");
  EXPECT_EQ(plan->phase_stop->expand_version, "10");
  EXPECT_EQ(plan->phase_stop->waiting, std::vector<std::string>{"19"});
  EXPECT_NE(plan->phase_stop->reason.find("stops before version 18"), std::string::npos);
  EXPECT_NE(plan->phase_stop->reason.find("1 later migration(s) wait behind it (19)"),
            std::string::npos)
      << plan->phase_stop->reason;
  EXPECT_EQ(plan->steps.back().version, "17");

  RunReport r = m.apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_EQ(r.steps.size(), 17u);
  ASSERT_TRUE(r.phase_stop);
  EXPECT_EQ(applied(m).back(), "17");

  // Both expands are applied and wait for their contracts.
  auto source = m.load_source();
  ASSERT_TRUE(source);
  auto waiting = waiting_expands(*source, *m.status(), 4'102'444'800);  // 2100-01-01
  ASSERT_EQ(waiting.size(), 2u);
  EXPECT_EQ(waiting[0].version, "10");
  EXPECT_EQ(waiting[0].contracts, std::vector<std::string>{"18"});
  EXPECT_EQ(waiting[1].version, "17");
  EXPECT_GT(waiting[0].waiting_seconds, 0);
  EXPECT_NE(waiting[0].description.find("Expand step"), std::string::npos)
      << waiting[0].description;

  // After the deploy: the contracts run, and nothing waits any more.
  Migrator contract(with_phase(ws, PhaseScope::kContract));
  RunReport c = contract.apply(std::nullopt);
  ASSERT_FALSE(c.error) << c.error->describe();
  EXPECT_EQ(c.steps.size(), 2u);
  EXPECT_FALSE(c.phase_stop);
  EXPECT_TRUE(waiting_expands(*source, *m.status(), 4'102'444'800).empty());

  // Rolling back below V017 would revert an expand whose contract (V019) is applied.
  RunReport across = m.rollback(RollbackTarget{std::string("12"), std::nullopt});
  ASSERT_TRUE(across.error);
  EXPECT_EQ(across.error->code, ErrorCode::kPhaseOrder);
  EXPECT_NE(across.error->message.find("expand 17"), std::string::npos) << across.error->message;
  EXPECT_NE(across.error->hint.find("rollback --target 17"), std::string::npos)
      << across.error->hint;
  EXPECT_EQ(applied(m).size(), 19u);
  // In two steps it is allowed: the contracts first, then (after a deploy) the rest.
  ASSERT_FALSE(m.rollback(RollbackTarget{std::string("17"), std::nullopt}).error);
  RunReport rest = m.rollback(RollbackTarget{std::string("12"), std::nullopt});
  ASSERT_FALSE(rest.error) << rest.error->describe();
  EXPECT_EQ(applied(m).back(), "12");
}

TEST(SqliteTwoPhase, AContractNeverRunsInTheRunThatAppliesItsExpandUnlessPhaseAll) {
  TestWorkspace ws;
  ws.write_migration("V1__t.up.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);\n");
  ws.write_migration("V2__add_b.up.sql",
                     "-- migrate:phase expand\n-- Deploy code that writes b.\nALTER TABLE t ADD "
                     "COLUMN b TEXT;\n");
  ws.write_migration("V3__drop_a.up.sql",
                     "-- migrate:phase contract\n-- migrate:completes V2\nALTER TABLE t DROP "
                     "COLUMN a;\n");
  ws.write_migration("V2__add_b.down.sql", "ALTER TABLE t DROP COLUMN b;\n");
  ws.write_migration("V3__drop_a.down.sql", "ALTER TABLE t ADD COLUMN a TEXT;\n");
  // Asked for explicitly, the contract is refused before anything runs, with or without
  // --phase contract: its expand is not applied by an earlier run.
  for (PhaseScope phase : {PhaseScope::kExpand, PhaseScope::kContract}) {
    RunReport beyond = Migrator(with_phase(ws, phase)).apply(std::string("3"));
    ASSERT_TRUE(beyond.error);
    EXPECT_EQ(beyond.error->code, ErrorCode::kPhaseOrder);
    EXPECT_TRUE(beyond.steps.empty());
  }
  Migrator m(ws.options());
  EXPECT_TRUE(applied(m).empty());

  // --phase contract applies the expand and stops before its contract: the deploy comes between.
  RunReport first = Migrator(with_phase(ws, PhaseScope::kContract)).apply(std::nullopt);
  ASSERT_FALSE(first.error) << first.error->describe();
  EXPECT_EQ(first.steps.size(), 2u);
  ASSERT_TRUE(first.phase_stop);
  EXPECT_NE(first.phase_stop->reason.find("This run applies expand 2 first"), std::string::npos)
      << first.phase_stop->reason;
  ASSERT_FALSE(m.rollback(RollbackTarget{std::string("1"), std::nullopt}).error);

  Migrator all(with_phase(ws, PhaseScope::kAll));
  RunReport r = all.apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  EXPECT_EQ(r.steps.size(), 2u);
  // Reverting the expand with its contract is allowed under --phase all, and refused otherwise.
  RunReport refused_back = m.rollback(RollbackTarget{std::string("1"), std::nullopt});
  ASSERT_TRUE(refused_back.error);
  EXPECT_EQ(refused_back.error->code, ErrorCode::kPhaseOrder);
  RunReport back = all.rollback(RollbackTarget{std::string("1"), std::nullopt});
  ASSERT_FALSE(back.error) << back.error->describe();
  EXPECT_EQ(applied(m), std::vector<std::string>{"1"});
}

TEST(SqliteTwoPhase, ABreakingStatementWithoutAPhaseIsRefusedWithTheRecipe) {
  TestWorkspace ws;
  ws.write_migration("V1__t.up.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);\n");
  ASSERT_FALSE(Migrator(ws.options()).apply(std::nullopt).error);
  ws.write_migration("V2__drop_b.up.sql", "ALTER TABLE t DROP COLUMN b;\n");
  RunReport r = Migrator(ws.options()).apply(std::nullopt);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ErrorCode::kUnsafeMigration);
  EXPECT_NE(r.error->message.find("[breaking-outside-contract]"), std::string::npos)
      << r.error->message;
  // Recipes write PostgreSQL SQL: on SQLite the fix says to write the pair by hand.
  EXPECT_EQ(r.error->message.find("migrate new --recipe"), std::string::npos) << r.error->message;
  EXPECT_NE(r.error->message.find("written by hand on SQLite"), std::string::npos)
      << r.error->message;
  EXPECT_EQ(applied(*std::make_unique<Migrator>(ws.options())), std::vector<std::string>{"1"});
}

TEST(SqliteTwoPhase, WithSeveralPairsTheRollbackHintKeepsEveryCrossedExpand) {
  TestWorkspace ws;
  ws.write_migration("V1__t.up.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, c TEXT);\n");
  auto pair = [&](int expand, const std::string& added, const std::string& dropped) {
    const std::string e = "V" + std::to_string(expand);
    const std::string c = "V" + std::to_string(expand + 1);
    ws.write_migration(e + "__add_" + added + ".up.sql",
                       "-- migrate:phase expand\nALTER TABLE t ADD COLUMN " + added + " TEXT;\n");
    ws.write_migration(e + "__add_" + added + ".down.sql",
                       "ALTER TABLE t DROP COLUMN " + added + ";\n");
    ws.write_migration(c + "__drop_" + dropped + ".up.sql",
                       "-- migrate:phase contract\n-- migrate:completes " + e +
                           "\nALTER TABLE t DROP COLUMN " + dropped + ";\n");
    ws.write_migration(c + "__drop_" + dropped + ".down.sql",
                       "ALTER TABLE t ADD COLUMN " + dropped + " TEXT;\n");
  };
  pair(2, "b", "a");
  pair(4, "d", "c");
  ASSERT_FALSE(Migrator(with_phase(ws, PhaseScope::kAll)).apply(std::nullopt).error);
  Migrator m(ws.options());
  RunReport first = m.rollback(RollbackTarget{std::string("1"), std::nullopt});
  ASSERT_TRUE(first.error);
  EXPECT_EQ(first.error->code, ErrorCode::kPhaseOrder);
  EXPECT_NE(first.error->hint.find("rollback --target 4"), std::string::npos) << first.error->hint;
  // Following the hint reverts V5 only; the next step is refused again for V2, with its own hint.
  ASSERT_FALSE(m.rollback(RollbackTarget{std::string("4"), std::nullopt}).error);
  RunReport second = m.rollback(RollbackTarget{std::string("1"), std::nullopt});
  ASSERT_TRUE(second.error);
  EXPECT_NE(second.error->hint.find("rollback --target 2"), std::string::npos)
      << second.error->hint;
  ASSERT_FALSE(m.rollback(RollbackTarget{std::string("2"), std::nullopt}).error);
  ASSERT_FALSE(m.rollback(RollbackTarget{std::string("1"), std::nullopt}).error);
  EXPECT_EQ(applied(m), std::vector<std::string>{"1"});
}

TEST(SqliteTwoPhase, AContractWithoutCompletesLoadsIsGatedAndRefusedBeforeItRuns) {
  TestWorkspace ws;
  ws.write_migration("V1__t.up.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);\n");
  ws.write_migration("V2__drop_a.up.sql",
                     "-- migrate:phase contract\nALTER TABLE t DROP COLUMN a;\n");
  RunReport r = Migrator(ws.options()).apply(std::nullopt);
  ASSERT_FALSE(r.error) << r.error->describe();
  ASSERT_TRUE(r.phase_stop);
  EXPECT_NE(r.phase_stop->reason.find("names no expand"), std::string::npos)
      << r.phase_stop->reason;
  RunReport contract = Migrator(with_phase(ws, PhaseScope::kContract)).apply(std::nullopt);
  ASSERT_TRUE(contract.error);
  EXPECT_EQ(contract.error->code, ErrorCode::kUnsafeMigration);
  EXPECT_NE(contract.error->message.find("[contract-without-expand]"), std::string::npos)
      << contract.error->message;
}

}  // namespace
}  // namespace migrate
