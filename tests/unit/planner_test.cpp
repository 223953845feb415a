// The planner: target resolution, apply refusals, apply and rollback plans. Files and history are
// built by hand; an in-memory SQLite backend only splits statements.
#include "libmigrate/plan/planner.hpp"
#include "libmigrate/history/progress_checksum.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/error/failure.hpp"
#include "migrate/history.hpp"
#include "migrate/source.hpp"
#include "support/migration_factory.hpp"

namespace migrate {
namespace {

using testing::make_migration;

Attempt up_attempt(std::int64_t id, const Migration& m, std::optional<bool> success = true) {
  Attempt a;
  a.id = id;
  a.version = m.version.str();
  a.name = m.name;
  a.direction = Direction::kUp;
  a.checksum = m.up.checksum;
  if (m.down) a.down_checksum = m.down->checksum;
  a.transactional = m.directives.transactional;
  a.started_at = "2024-01-01T00:00:00.000Z";
  if (success) a.finished_at = "2024-01-01T00:00:01.000Z";
  a.success = success;
  return a;
}

Attempt down_attempt(std::int64_t id, const Migration& m, std::optional<bool> success = true) {
  Attempt a = up_attempt(id, m, success);
  a.direction = Direction::kDown;
  return a;
}

::testing::AssertionResult Mentions(const std::string& haystack, const std::string& needle) {
  if (haystack.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << needle << "' not found in:\n" << haystack;
}

// Files, history and options; statuses are derived on demand.
class PlannerTest : public ::testing::Test {
 protected:
  void SetUp() override { backend_ = open_backend("sqlite::memory:", BackendOptions{}); }

  // A copy: references into set_ would dangle after the next add().
  Migration add(const std::string& version, const std::string& name, const std::string& up,
                const std::optional<std::string>& down = std::nullopt) {
    set_.migrations.push_back(make_migration(version, name, up, down));
    std::sort(set_.migrations.begin(), set_.migrations.end(),
              [](const Migration& a, const Migration& b) { return a.version < b.version; });
    return file(version);
  }
  const Migration& file(const std::string& version) const {
    return *set_.find(*Version::parse(version));
  }
  void record(Attempt a) { history_.push_back(std::move(a)); }

  PlanContext ctx() {
    statuses_ = derive_status(set_, history_);
    return PlanContext{set_, statuses_, options_, *backend_};
  }

  // The Error of the Failure `body` throws; a test failure if it throws none.
  template <typename F>
  Error failure_of(F&& body) {
    try {
      body();
    } catch (const Failure& f) {
      return f.error();
    }
    ADD_FAILURE() << "expected a Failure";
    return Error{};
  }

  Error apply_refusal() {
    return failure_of([&] { check_apply_preconditions(ctx()); });
  }

  static std::vector<std::string> versions_of(const Plan& plan) {
    std::vector<std::string> out;
    for (const auto& s : plan.steps) out.push_back(s.version);
    return out;
  }

  std::unique_ptr<Backend> backend_;
  MigrationSet set_{"migrations", {}};
  std::vector<Attempt> history_;
  std::vector<VersionStatus> statuses_;
  PlanPolicy options_;
};

// ---- resolve_target ----

TEST_F(PlannerTest, ResolveTargetAcceptsAnySpellingOfAFileVersion) {
  add("2", "b", "SELECT 2;\n");
  auto c = ctx();
  EXPECT_EQ(resolve_target(c, "V002", false).str(), "2");
  EXPECT_EQ(resolve_target(c, "2", false).str(), "2");
}

TEST_F(PlannerTest, ResolveTargetAcceptsAVersionKnownOnlyToHistory) {
  add("1", "a", "SELECT 1;\n");
  Attempt gone = up_attempt(1, make_migration("5", "gone", "SELECT 5;\n"));
  record(gone);
  EXPECT_EQ(resolve_target(ctx(), "5", false).str(), "5");
}

TEST_F(PlannerTest, ResolveTargetUnknownVersion) {
  add("1", "a", "SELECT 1;\n");
  Error e = failure_of([&] { resolve_target(ctx(), "99", false); });
  EXPECT_EQ(e.code, ErrorCode::kTargetNotFound);
  EXPECT_TRUE(Mentions(e.message, "99"));
}

TEST_F(PlannerTest, ResolveTargetNotAVersion) {
  Error e = failure_of([&] { resolve_target(ctx(), "latest", false); });
  EXPECT_EQ(e.code, ErrorCode::kTargetNotFound);
  EXPECT_TRUE(Mentions(e.message, "'latest' is not a version"));
}

TEST_F(PlannerTest, ResolveTargetZeroOnlyWhenAllowed) {
  add("1", "a", "SELECT 1;\n");
  EXPECT_EQ(resolve_target(ctx(), "0", true).str(), "0");
  EXPECT_EQ(resolve_target(ctx(), "V000", true).str(), "0");
  Error e = failure_of([&] { resolve_target(ctx(), "0", false); });
  EXPECT_EQ(e.code, ErrorCode::kTargetNotFound);
}

// ---- check_apply_preconditions ----

TEST_F(PlannerTest, CleanStateHasNoRefusal) {
  const Migration& m1 = add("1", "a", "SELECT 1;\n");
  add("2", "b", "SELECT 2;\n");
  record(up_attempt(1, m1));
  EXPECT_NO_THROW(check_apply_preconditions(ctx()));
}

TEST_F(PlannerTest, ChecksumMismatchNamesFileAndBothHashes) {
  Migration applied = make_migration("1", "a", "CREATE TABLE a(x);\n");
  record(up_attempt(1, applied));
  const Migration& now = add("1", "a", "CREATE TABLE a(x, y);\n");
  Error e = apply_refusal();
  EXPECT_EQ(e.code, ErrorCode::kChecksumMismatch);
  EXPECT_TRUE(Mentions(e.message, "migrations/V1__a.up.sql"));
  EXPECT_TRUE(Mentions(e.message, applied.up.checksum));
  EXPECT_TRUE(Mentions(e.message, now.up.checksum));
  EXPECT_TRUE(Mentions(e.message, "version 1"));
}

TEST_F(PlannerTest, ChecksumMismatchListsEveryModifiedVersion) {
  record(up_attempt(1, make_migration("1", "a", "SELECT 1;\n")));
  record(up_attempt(2, make_migration("2", "b", "SELECT 2;\n")));
  add("1", "a", "SELECT 10;\n");
  add("2", "b", "SELECT 20;\n");
  Error e = apply_refusal();
  EXPECT_EQ(e.code, ErrorCode::kChecksumMismatch);
  EXPECT_TRUE(Mentions(e.message, "2 applied migration(s)"));
  EXPECT_TRUE(Mentions(e.message, "V1__a.up.sql"));
  EXPECT_TRUE(Mentions(e.message, "V2__b.up.sql"));
}

TEST_F(PlannerTest, MissingFileIsRefused) {
  add("1", "a", "SELECT 1;\n");
  record(up_attempt(1, file("1")));
  record(up_attempt(2, make_migration("2", "vanished", "SELECT 2;\n")));
  Error e = apply_refusal();
  EXPECT_EQ(e.code, ErrorCode::kMissingFile);
  EXPECT_TRUE(Mentions(e.message, "version 2 (vanished)"));
  EXPECT_TRUE(Mentions(e.message, "2024-01-01T00:00:01.000Z"));
}

TEST_F(PlannerTest, FailedMigrationIsRefusedUnlessRetryFailed) {
  const Migration& m = add("1", "a", "SELECT 1;\nSELECT 2;\n");
  Attempt failed = up_attempt(1, m, false);
  failed.statement_index = 1;
  failed.error_statement = 2;
  failed.error_message = "no such table: nope";
  record(failed);
  Error e = apply_refusal();
  EXPECT_EQ(e.code, ErrorCode::kFailedMigration);
  EXPECT_TRUE(Mentions(e.message, "version 1"));
  EXPECT_TRUE(Mentions(e.message, "migrations/V1__a.up.sql"));
  EXPECT_TRUE(Mentions(e.message, "failed at statement 2"));
  EXPECT_TRUE(Mentions(e.message, "no such table: nope"));

  options_.retry_failed = true;
  EXPECT_NO_THROW(check_apply_preconditions(ctx()));
}

TEST_F(PlannerTest, InterruptedMigrationIsRefusedUnlessRetryFailed) {
  const Migration& m = add("1", "a", "-- migrate:transaction off\nSELECT 1;\nSELECT 2;\n");
  Attempt running = up_attempt(1, m, std::nullopt);
  running.statement_index = 1;
  record(running);
  Error e = apply_refusal();
  EXPECT_EQ(e.code, ErrorCode::kFailedMigration);
  EXPECT_TRUE(Mentions(e.message, "interrupted after statement 1 (never finished)"));
  options_.retry_failed = true;
  EXPECT_NO_THROW(check_apply_preconditions(ctx()));
}

TEST_F(PlannerTest, OutOfOrderNamesBothVersionsUnlessAllowed) {
  add("1", "early", "SELECT 1;\n");
  const Migration& m2 = add("2", "later", "SELECT 2;\n");
  record(up_attempt(1, m2));
  Error e = apply_refusal();
  EXPECT_EQ(e.code, ErrorCode::kOutOfOrder);
  EXPECT_TRUE(Mentions(e.message,
                       "version 1 (migrations/V1__early.up.sql) is pending but version "
                       "2 is already applied"));

  options_.allow_out_of_order = true;
  EXPECT_NO_THROW(check_apply_preconditions(ctx()));
}

TEST_F(PlannerTest, ChecksumMismatchComesBeforeOutOfOrder) {
  add("1", "a", "SELECT 1;\n");
  record(up_attempt(1, make_migration("2", "b", "SELECT 2;\n")));
  add("2", "b", "SELECT 22;\n");
  EXPECT_EQ(apply_refusal().code, ErrorCode::kChecksumMismatch);
}

// ---- build_apply_plan ----

TEST_F(PlannerTest, ApplyPlanListsPendingInOrderWithStatements) {
  const Migration& m1 = add("1", "a", "CREATE TABLE a(x);\n");
  add("10", "ten", "-- migrate:class additive\nCREATE TABLE t(x);\n  INSERT INTO t VALUES (1);\n");
  add("2", "two", "CREATE TABLE b(x);");
  record(up_attempt(1, m1));

  Plan plan = build_apply_plan(ctx(), std::nullopt);
  EXPECT_EQ(versions_of(plan), (std::vector<std::string>{"2", "10"}));
  EXPECT_EQ(plan.current_version, "1");
  EXPECT_EQ(plan.target_version, "10");

  const PlannedStep& ten = plan.steps[1];
  EXPECT_EQ(ten.kind, StepKind::kApply);
  EXPECT_EQ(ten.name, "ten");
  EXPECT_EQ(ten.file, std::filesystem::path("migrations/V10__ten.up.sql"));
  EXPECT_EQ(ten.checksum, file("10").up.checksum);
  EXPECT_TRUE(ten.transactional);
  EXPECT_EQ(ten.declared_class, MigrationClass::kAdditive);
  EXPECT_EQ(ten.resume_from, 0);
  ASSERT_EQ(ten.statements.size(), 2u);
  EXPECT_EQ(ten.statements[0].index, 1);
  EXPECT_EQ(ten.statements[0].line, 2);
  EXPECT_EQ(ten.statements[0].column, 1);
  EXPECT_EQ(ten.statements[0].sql, "CREATE TABLE t(x);");
  EXPECT_EQ(ten.statements[1].index, 2);
  EXPECT_EQ(ten.statements[1].line, 3);
  EXPECT_EQ(ten.statements[1].column, 3);
  EXPECT_FALSE(ten.history_writes.empty());
}

TEST_F(PlannerTest, ApplyPlanStopsAtTarget) {
  add("1", "a", "SELECT 1;\n");
  add("2", "b", "SELECT 2;\n");
  add("3", "c", "SELECT 3;\n");
  Plan plan = build_apply_plan(ctx(), std::string("V02"));
  EXPECT_EQ(versions_of(plan), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(plan.target_version, "2");
  EXPECT_FALSE(plan.current_version.has_value());
}

TEST_F(PlannerTest, ApplyPlanUnknownTargetIsRefused) {
  add("1", "a", "SELECT 1;\n");
  Error e = failure_of([&] { build_apply_plan(ctx(), std::string("7")); });
  EXPECT_EQ(e.code, ErrorCode::kTargetNotFound);
}

TEST_F(PlannerTest, ApplyPlanWithNothingPendingIsEmpty) {
  const Migration& m1 = add("1", "a", "SELECT 1;\n");
  record(up_attempt(1, m1));
  Plan plan = build_apply_plan(ctx(), std::nullopt);
  EXPECT_TRUE(plan.steps.empty());
  EXPECT_EQ(plan.current_version, "1");
  EXPECT_EQ(plan.target_version, "1");
}

TEST_F(PlannerTest, ApplyPlanMaxSteps) {
  add("1", "a", "SELECT 1;\n");
  add("2", "b", "SELECT 2;\n");
  add("3", "c", "SELECT 3;\n");
  Plan plan = build_apply_plan(ctx(), std::nullopt, 1);
  EXPECT_EQ(versions_of(plan), (std::vector<std::string>{"1"}));
}

TEST_F(PlannerTest, ApplyPlanSkipsOutOfOrderUnlessAllowed) {
  add("1", "a", "SELECT 1;\n");
  const Migration& m2 = add("2", "b", "SELECT 2;\n");
  add("3", "c", "SELECT 3;\n");
  record(up_attempt(1, m2));
  EXPECT_EQ(versions_of(build_apply_plan(ctx(), std::nullopt)), (std::vector<std::string>{"3"}));
  options_.allow_out_of_order = true;
  EXPECT_EQ(versions_of(build_apply_plan(ctx(), std::nullopt)),
            (std::vector<std::string>{"1", "3"}));
}

TEST_F(PlannerTest, ApplyPlanRetriesFailedOnlyWhenAsked) {
  const Migration& m1 = add("1", "a", "SELECT 1;\n");
  add("2", "b", "SELECT 2;\n");
  record(up_attempt(1, m1, false));
  EXPECT_EQ(versions_of(build_apply_plan(ctx(), std::nullopt)), (std::vector<std::string>{"2"}));
  options_.retry_failed = true;
  Plan plan = build_apply_plan(ctx(), std::nullopt);
  EXPECT_EQ(versions_of(plan), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(plan.steps[0].resume_from, 0);  // transactional: nothing was left behind
}

TEST_F(PlannerTest, NonTransactionalRetryResumesAfterCompletedStatements) {
  const Migration& m =
      add("1", "a", "-- migrate:transaction off\nSELECT 1;\nSELECT 2;\nSELECT 3;\n");
  Attempt interrupted = up_attempt(1, m, std::nullopt);
  interrupted.statement_index = 2;
  interrupted.progress_checksum = progress_checksum({"SELECT 1;", "SELECT 2;"});
  record(interrupted);
  options_.retry_failed = true;
  Plan plan = build_apply_plan(ctx(), std::nullopt);
  ASSERT_EQ(plan.steps.size(), 1u);
  EXPECT_FALSE(plan.steps[0].transactional);
  EXPECT_EQ(plan.steps[0].resume_from, 2);
  EXPECT_EQ(plan.steps[0].statements.size(), 3u);
  ASSERT_GE(plan.steps[0].history_writes.size(), 1u);
  EXPECT_TRUE(Mentions(plan.steps[0].history_writes[0], "before statement 3"));
}

TEST_F(PlannerTest, NonTransactionalRetryResumesWhenOnlyTheFailedStatementWasFixed) {
  Migration ran = make_migration("1", "a", "-- migrate:transaction off\nSELECT 1;\nSELECT nope;\n");
  Attempt failed = up_attempt(1, ran, false);
  failed.statement_index = 1;
  failed.error_statement = 2;
  failed.progress_checksum = progress_checksum({"SELECT 1;"});
  record(failed);
  add("1", "a", "-- migrate:transaction off\nSELECT 1;\nSELECT 22;\n");
  options_.retry_failed = true;
  Plan plan = build_apply_plan(ctx(), std::nullopt);
  ASSERT_EQ(plan.steps.size(), 1u);
  EXPECT_EQ(plan.steps[0].resume_from, 1);
}

TEST_F(PlannerTest, NonTransactionalRetryRefusesWhenStatementsThatRanChanged) {
  Migration ran = make_migration("1", "a", "-- migrate:transaction off\nSELECT 1;\nSELECT nope;\n");
  Attempt failed = up_attempt(1, ran, false);
  failed.statement_index = 1;
  failed.error_statement = 2;
  failed.progress_checksum = progress_checksum({"SELECT 1;"});
  record(failed);
  add("1", "a", "-- migrate:transaction off\nSELECT 11;\nSELECT 2;\n");
  options_.retry_failed = true;
  Error e = failure_of([&] { build_apply_plan(ctx(), std::nullopt); });
  EXPECT_EQ(e.code, ErrorCode::kFailedMigration);
  EXPECT_TRUE(Mentions(e.message, "the first 1 statement(s)"));
  EXPECT_TRUE(Mentions(e.hint, "restore those statements"));
}

TEST_F(PlannerTest, ForeignKeyModeComesFromDirectiveElseOptions) {
  add("1", "a", "SELECT 1;\n");
  add("2", "b", "-- migrate:foreign-keys enforce\nSELECT 2;\n");
  options_.sqlite_foreign_keys = ForeignKeyMode::kCheck;
  Plan plan = build_apply_plan(ctx(), std::nullopt);
  ASSERT_EQ(plan.steps.size(), 2u);
  EXPECT_EQ(plan.steps[0].foreign_keys, ForeignKeyMode::kCheck);
  EXPECT_EQ(plan.steps[1].foreign_keys, ForeignKeyMode::kEnforce);
  options_.sqlite_foreign_keys = ForeignKeyMode::kEnforce;
  EXPECT_EQ(build_apply_plan(ctx(), std::nullopt).steps[0].foreign_keys, ForeignKeyMode::kEnforce);
}

TEST_F(PlannerTest, ApplyPlanReportsUnterminatedStatement) {
  add("1", "a", "SELECT 1;\nSELECT 'oops;\n");
  Error e = failure_of([&] { build_apply_plan(ctx(), std::nullopt); });
  EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
  EXPECT_EQ(e.where.file, "migrations/V1__a.up.sql");
  EXPECT_EQ(e.where.version, "1");
  EXPECT_EQ(e.where.line, 2);
}

// ---- build_rollback_plan ----

class RollbackPlanTest : public PlannerTest {
 protected:
  // V1..V4, all reversible and applied in version order.
  void SetUp() override {
    PlannerTest::SetUp();
    for (int i = 1; i <= 4; ++i) {
      std::string v = std::to_string(i);
      add(v, "m" + v, "CREATE TABLE t" + v + "(x);\n", "DROP TABLE t" + v + ";\n");
      record(up_attempt(i, file(v)));
    }
  }
};

TEST_F(RollbackPlanTest, DefaultRevertsTheNewest) {
  Plan plan = build_rollback_plan(ctx(), RollbackTarget{});
  EXPECT_EQ(versions_of(plan), (std::vector<std::string>{"4"}));
  EXPECT_EQ(plan.current_version, "4");
  EXPECT_EQ(plan.target_version, "3");
  const PlannedStep& step = plan.steps[0];
  EXPECT_EQ(step.kind, StepKind::kRevert);
  EXPECT_EQ(step.file, std::filesystem::path("migrations/V4__m4.down.sql"));
  EXPECT_EQ(step.checksum, file("4").down->checksum);
  ASSERT_EQ(step.statements.size(), 1u);
  EXPECT_EQ(step.statements[0].sql, "DROP TABLE t4;");
}

TEST_F(RollbackPlanTest, StepsPicksTheNNewestNewestFirst) {
  Plan plan = build_rollback_plan(ctx(), RollbackTarget{std::nullopt, 3});
  EXPECT_EQ(versions_of(plan), (std::vector<std::string>{"4", "3", "2"}));
  EXPECT_EQ(plan.target_version, "1");
}

TEST_F(RollbackPlanTest, StepsBeyondTheAppliedCountRevertsAll) {
  Plan plan = build_rollback_plan(ctx(), RollbackTarget{std::nullopt, 10});
  EXPECT_EQ(versions_of(plan), (std::vector<std::string>{"4", "3", "2", "1"}));
  EXPECT_FALSE(plan.target_version.has_value());
}

TEST_F(RollbackPlanTest, StepsBelowOneIsAUsageError) {
  Error e = failure_of([&] { build_rollback_plan(ctx(), RollbackTarget{std::nullopt, 0}); });
  EXPECT_EQ(e.code, ErrorCode::kUsage);
}

TEST_F(RollbackPlanTest, TargetKeepsTheTargetApplied) {
  Plan plan = build_rollback_plan(ctx(), RollbackTarget{std::string("V02"), std::nullopt});
  EXPECT_EQ(versions_of(plan), (std::vector<std::string>{"4", "3"}));
  EXPECT_EQ(plan.target_version, "2");
}

TEST_F(RollbackPlanTest, TargetZeroRevertsEverything) {
  Plan plan = build_rollback_plan(ctx(), RollbackTarget{std::string("0"), std::nullopt});
  EXPECT_EQ(versions_of(plan), (std::vector<std::string>{"4", "3", "2", "1"}));
  EXPECT_FALSE(plan.target_version.has_value());
}

TEST_F(RollbackPlanTest, TargetAtTheTopIsEmpty) {
  Plan plan = build_rollback_plan(ctx(), RollbackTarget{std::string("4"), std::nullopt});
  EXPECT_TRUE(plan.steps.empty());
}

TEST_F(RollbackPlanTest, UnknownTargetIsRefused) {
  Error e = failure_of([&] { build_rollback_plan(ctx(), RollbackTarget{std::string("9"), {}}); });
  EXPECT_EQ(e.code, ErrorCode::kTargetNotFound);
}

TEST_F(RollbackPlanTest, RevertedVersionsAreNotRevertedAgain) {
  record(down_attempt(5, file("4")));
  Plan plan = build_rollback_plan(ctx(), RollbackTarget{std::nullopt, 2});
  EXPECT_EQ(versions_of(plan), (std::vector<std::string>{"3", "2"}));
}

TEST_F(RollbackPlanTest, IrreversibleInRangeRefusesEverything) {
  // V3 loses its down file: reverting to V1 needs it.
  set_.migrations[2].down.reset();
  Error e = failure_of([&] { build_rollback_plan(ctx(), RollbackTarget{std::string("1"), {}}); });
  EXPECT_EQ(e.code, ErrorCode::kIrreversible);
  EXPECT_TRUE(Mentions(e.message, "1 migration(s) in range are irreversible"));
  EXPECT_TRUE(Mentions(e.message, "version 3 (migrations/V3__m3.up.sql) has no down file"));
  // Out of range it does not matter.
  Plan plan = build_rollback_plan(ctx(), RollbackTarget{std::nullopt, 1});
  EXPECT_EQ(versions_of(plan), (std::vector<std::string>{"4"}));
}

TEST_F(RollbackPlanTest, ChangedDownFileRefusesWithBothHashes) {
  const std::string recorded = file("3").down->checksum;
  set_.migrations[2].down->sql = "DROP TABLE IF EXISTS t3;\n";
  set_.migrations[2].down->checksum = checksum_v1("DROP TABLE IF EXISTS t3;\n");
  Error e = failure_of([&] { build_rollback_plan(ctx(), RollbackTarget{std::nullopt, 2}); });
  EXPECT_EQ(e.code, ErrorCode::kChecksumMismatch);
  EXPECT_TRUE(Mentions(e.message, "migrations/V3__m3.down.sql"));
  EXPECT_TRUE(Mentions(e.message, recorded));
  EXPECT_TRUE(Mentions(e.message, checksum_v1("DROP TABLE IF EXISTS t3;\n")));
}

TEST_F(RollbackPlanTest, DownFileAddedAfterApplyIsAccepted) {
  // Applied while irreversible: no down checksum was recorded, so there is nothing to compare.
  history_[3].down_checksum.reset();
  Plan plan = build_rollback_plan(ctx(), RollbackTarget{});
  EXPECT_EQ(versions_of(plan), (std::vector<std::string>{"4"}));
}

TEST_F(RollbackPlanTest, MissingFileIsRefused) {
  set_.migrations.pop_back();  // V4's files are gone
  Error e = failure_of([&] { build_rollback_plan(ctx(), RollbackTarget{}); });
  EXPECT_EQ(e.code, ErrorCode::kMissingFile);
  EXPECT_TRUE(Mentions(e.message, "version 4 (m4)"));
}

TEST_F(RollbackPlanTest, InterruptedDownIsRefused) {
  record(down_attempt(5, file("4"), std::nullopt));
  Error e = failure_of([&] { build_rollback_plan(ctx(), RollbackTarget{}); });
  EXPECT_EQ(e.code, ErrorCode::kFailedMigration);
  EXPECT_TRUE(Mentions(e.message, "version 4 (m4)"));
}

// The refusal above tells the user to run `migrate apply --retry-failed`. That must lead
// somewhere: either apply --retry-failed plans something for the interrupted version, or a
// rollback with retry_failed is allowed to finish the down. Neither happens today, so the
// version stays "running" for good.
TEST_F(RollbackPlanTest, InterruptedDownCanBeResolved) {
  record(down_attempt(5, file("4"), std::nullopt));
  options_.retry_failed = true;
  Plan apply_plan = build_apply_plan(ctx(), std::nullopt);
  bool apply_resolves = !apply_plan.steps.empty() && apply_plan.steps[0].version == "4";
  bool rollback_resolves = true;
  try {
    build_rollback_plan(ctx(), RollbackTarget{});
  } catch (const Failure&) {
    rollback_resolves = false;
  }
  EXPECT_TRUE(apply_resolves || rollback_resolves)
      << "an interrupted down of version 4 is refused by rollback and ignored by apply "
         "--retry-failed";
}

TEST_F(RollbackPlanTest, FailedDownCanBeRetriedByRollback) {
  record(down_attempt(5, file("4"), false));
  Plan plan = build_rollback_plan(ctx(), RollbackTarget{});
  EXPECT_EQ(versions_of(plan), (std::vector<std::string>{"4"}));
}

TEST_F(RollbackPlanTest, DownFileDirectivesApplyToTheRevertStep) {
  set_.migrations[3].down->sql = "-- migrate:transaction off\nDROP TABLE t4;\n";
  set_.migrations[3].down->checksum = checksum_v1(set_.migrations[3].down->sql);
  set_.migrations[3].down_directives = *parse_directives(set_.migrations[3].down->sql, "down");
  history_[3].down_checksum = set_.migrations[3].down->checksum;
  Plan plan = build_rollback_plan(ctx(), RollbackTarget{});
  ASSERT_EQ(plan.steps.size(), 1u);
  EXPECT_FALSE(plan.steps[0].transactional);
  EXPECT_EQ(plan.steps[0].statements.size(), 1u);
  EXPECT_EQ(plan.steps[0].statements[0].line, 2);
}

TEST_F(RollbackPlanTest, RevertOrderIsTheReverseOfApplyOrder) {
  // V5 applied out of order after V6: applied order 1,2,3,4,6,5.
  add("5", "m5", "SELECT 5;\n", "SELECT -5;\n");
  add("6", "m6", "SELECT 6;\n", "SELECT -6;\n");
  record(up_attempt(5, file("6")));
  record(up_attempt(6, file("5")));
  Plan plan = build_rollback_plan(ctx(), RollbackTarget{std::string("4"), std::nullopt});
  EXPECT_EQ(versions_of(plan), (std::vector<std::string>{"5", "6"}));
}

TEST_F(RollbackPlanTest, StepsCountsTheMostRecentlyApplied) {
  // --steps N reverts the N migrations applied last (DESIGN: reverse applied order). V5 was
  // applied out of order after V6, so it is the one --steps 1 reverts; V6 stays the highest.
  add("5", "m5", "SELECT 5;\n", "SELECT -5;\n");
  add("6", "m6", "SELECT 6;\n", "SELECT -6;\n");
  record(up_attempt(5, file("6")));
  record(up_attempt(6, file("5")));
  Plan plan = build_rollback_plan(ctx(), RollbackTarget{std::nullopt, 1});
  EXPECT_EQ(versions_of(plan), (std::vector<std::string>{"5"}));
  EXPECT_EQ(plan.target_version, "6");
}

TEST_F(RollbackPlanTest, MaxStepsLimitsTheStepsButChecksEverything) {
  set_.migrations[0].down.reset();  // V1 irreversible
  Error e = failure_of([&] {
    build_rollback_plan(ctx(), RollbackTarget{std::string("0"), std::nullopt}, 1);
  });
  EXPECT_EQ(e.code, ErrorCode::kIrreversible);
  set_.migrations[0].down = MigrationFile{"migrations/V1__m1.down.sql", "DROP TABLE t1;\n",
                                          checksum_v1("DROP TABLE t1;\n")};
  Plan plan = build_rollback_plan(ctx(), RollbackTarget{std::string("0"), std::nullopt}, 1);
  EXPECT_EQ(versions_of(plan), (std::vector<std::string>{"4"}));
}

}  // namespace
}  // namespace migrate
