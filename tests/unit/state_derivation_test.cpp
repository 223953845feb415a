// derive_status: per-version state from hand-built files and attempt logs.
#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "migrate/history.hpp"
#include "migrate/source.hpp"
#include "support/migration_factory.hpp"

namespace migrate {
namespace {

using testing::make_migration;

MigrationSet make_set(std::vector<Migration> migrations) {
  MigrationSet set;
  set.directory = "migrations";
  set.migrations = std::move(migrations);
  return set;
}

Attempt make_attempt(std::int64_t id, const std::string& version, Direction direction,
                     std::optional<bool> success, const std::string& checksum,
                     const std::string& name = "x") {
  Attempt a;
  a.id = id;
  a.run_id = "run-" + std::to_string(id);
  a.version = version;
  a.name = name;
  a.direction = direction;
  a.checksum = checksum;
  a.started_at = "2024-01-01T00:00:00Z";
  if (success.has_value()) a.finished_at = "2024-01-01T00:00:01Z";
  a.success = success;
  return a;
}

const VersionStatus& find_status(const std::vector<VersionStatus>& statuses,
                                 const std::string& version) {
  for (const auto& s : statuses)
    if (s.version == version) return s;
  throw std::runtime_error("no status for version " + version);
}

std::vector<std::string> versions_of(const std::vector<VersionStatus>& statuses) {
  std::vector<std::string> out;
  for (const auto& s : statuses) out.push_back(s.version);
  return out;
}

const std::string kUp1 = "CREATE TABLE a(x);\n";
const std::string kUp2 = "CREATE TABLE b(x);\n";
const std::string kUp3 = "CREATE TABLE c(x);\n";

TEST(DeriveStatus, NoFilesNoHistory) {
  EXPECT_TRUE(derive_status(make_set({}), {}).empty());
}

TEST(DeriveStatus, FileWithoutHistoryIsPending) {
  auto set = make_set({make_migration("1", "a", kUp1, "DROP TABLE a;\n")});
  auto out = derive_status(set, {});
  ASSERT_EQ(out.size(), 1u);
  const auto& s = out[0];
  EXPECT_EQ(s.version, "1");
  EXPECT_EQ(s.name, "a");
  EXPECT_EQ(s.state, State::kPending);
  EXPECT_TRUE(s.has_file);
  EXPECT_TRUE(s.reversible);
  EXPECT_EQ(s.file_checksum, checksum_v1(kUp1));
  EXPECT_EQ(s.file_down_checksum, checksum_v1("DROP TABLE a;\n"));
  EXPECT_FALSE(s.last_applied.has_value());
  EXPECT_FALSE(s.last_attempt.has_value());
}

TEST(DeriveStatus, IrreversibleFileHasNoDownChecksum) {
  auto out = derive_status(make_set({make_migration("1", "a", kUp1)}), {});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].reversible);
  EXPECT_FALSE(out[0].file_down_checksum.has_value());
}

TEST(DeriveStatus, SuccessfulUpIsApplied) {
  auto set = make_set({make_migration("1", "a", kUp1)});
  auto out = derive_status(set, {make_attempt(7, "1", Direction::kUp, true, checksum_v1(kUp1))});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].state, State::kApplied);
  ASSERT_TRUE(out[0].last_applied.has_value());
  EXPECT_EQ(out[0].last_applied->id, 7);
  ASSERT_TRUE(out[0].last_attempt.has_value());
  EXPECT_EQ(out[0].last_attempt->id, 7);
}

TEST(DeriveStatus, ChangedChecksumIsModified) {
  auto set = make_set({make_migration("1", "a", "CREATE TABLE a(x, y);\n")});
  auto out = derive_status(set, {make_attempt(1, "1", Direction::kUp, true, checksum_v1(kUp1))});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].state, State::kModified);
  EXPECT_EQ(out[0].last_applied->checksum, checksum_v1(kUp1));
  EXPECT_EQ(out[0].file_checksum, checksum_v1("CREATE TABLE a(x, y);\n"));
}

TEST(DeriveStatus, AppliedWithoutFileIsMissing) {
  auto set = make_set({make_migration("1", "a", kUp1)});
  auto out = derive_status(
      set, {make_attempt(1, "1", Direction::kUp, true, checksum_v1(kUp1), "a"),
            make_attempt(2, "2", Direction::kUp, true, "sha256:v1:00", "gone_table")});
  ASSERT_EQ(out.size(), 2u);
  const auto& s = find_status(out, "2");
  EXPECT_EQ(s.state, State::kMissing);
  EXPECT_FALSE(s.has_file);
  EXPECT_EQ(s.name, "gone_table");
  EXPECT_TRUE(s.file_checksum.empty());
  ASSERT_TRUE(s.last_applied.has_value());
  EXPECT_EQ(s.last_applied->id, 2);
  EXPECT_EQ(find_status(out, "1").state, State::kApplied);
}

TEST(DeriveStatus, NewestUpFailedIsFailed) {
  auto set = make_set({make_migration("1", "a", kUp1)});
  auto out = derive_status(set, {make_attempt(1, "1", Direction::kUp, false, checksum_v1(kUp1))});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].state, State::kFailed);
  EXPECT_FALSE(out[0].last_applied.has_value());
  ASSERT_TRUE(out[0].last_attempt.has_value());
  EXPECT_EQ(out[0].last_attempt->success, false);
}

TEST(DeriveStatus, SuccessAfterFailureIsApplied) {
  auto set = make_set({make_migration("1", "a", kUp1)});
  auto out = derive_status(set, {make_attempt(1, "1", Direction::kUp, false, checksum_v1(kUp1)),
                                 make_attempt(2, "1", Direction::kUp, true, checksum_v1(kUp1))});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].state, State::kApplied);
  EXPECT_EQ(out[0].last_applied->id, 2);
}

TEST(DeriveStatus, NoOutcomeIsRunning) {
  auto set = make_set({make_migration("1", "a", kUp1)});
  auto out =
      derive_status(set, {make_attempt(1, "1", Direction::kUp, std::nullopt, checksum_v1(kUp1))});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].state, State::kRunning);
  EXPECT_FALSE(out[0].last_applied.has_value());
}

TEST(DeriveStatus, UnfinishedDownIsRunning) {
  auto set = make_set({make_migration("1", "a", kUp1, "DROP TABLE a;\n")});
  auto out =
      derive_status(set, {make_attempt(1, "1", Direction::kUp, true, checksum_v1(kUp1)),
                          make_attempt(2, "1", Direction::kDown, std::nullopt, checksum_v1(kUp1))});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].state, State::kRunning);
  EXPECT_EQ(out[0].last_attempt->direction, Direction::kDown);
  // The up attempt is still the one in force.
  ASSERT_TRUE(out[0].last_applied.has_value());
  EXPECT_EQ(out[0].last_applied->id, 1);
}

TEST(DeriveStatus, PendingBelowAppliedIsOutOfOrder) {
  auto set = make_set({make_migration("1", "a", kUp1), make_migration("2", "b", kUp2),
                       make_migration("3", "c", kUp3)});
  auto out = derive_status(set, {make_attempt(1, "2", Direction::kUp, true, checksum_v1(kUp2))});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(find_status(out, "1").state, State::kOutOfOrder);
  EXPECT_EQ(find_status(out, "2").state, State::kApplied);
  EXPECT_EQ(find_status(out, "3").state, State::kPending);
}

TEST(DeriveStatus, OutOfOrderComparesNumerically) {
  // "9" < "10" numerically (but not as strings).
  auto set = make_set({make_migration("9", "nine", kUp1), make_migration("10", "ten", kUp2)});
  auto out = derive_status(set, {make_attempt(1, "10", Direction::kUp, true, checksum_v1(kUp2))});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(find_status(out, "9").state, State::kOutOfOrder);
  EXPECT_EQ(find_status(out, "10").state, State::kApplied);
}

TEST(DeriveStatus, PendingBelowMissingIsOutOfOrder) {
  auto set = make_set({make_migration("1", "a", kUp1)});
  auto out = derive_status(set, {make_attempt(1, "5", Direction::kUp, true, "sha256:v1:ab")});
  EXPECT_EQ(find_status(out, "1").state, State::kOutOfOrder);
  EXPECT_EQ(find_status(out, "5").state, State::kMissing);
}

TEST(DeriveStatus, SuccessfulDownMakesItPendingAgain) {
  auto set = make_set({make_migration("1", "a", kUp1, "DROP TABLE a;\n")});
  auto out = derive_status(set, {make_attempt(1, "1", Direction::kUp, true, checksum_v1(kUp1)),
                                 make_attempt(2, "1", Direction::kDown, true, checksum_v1(kUp1))});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].state, State::kPending);
  EXPECT_FALSE(out[0].last_applied.has_value());
  ASSERT_TRUE(out[0].last_attempt.has_value());
  EXPECT_EQ(out[0].last_attempt->direction, Direction::kDown);
}

TEST(DeriveStatus, RevertedLowerVersionIsPendingNotOutOfOrderWhenNothingAboveIsApplied) {
  auto set = make_set({make_migration("1", "a", kUp1, "x"), make_migration("2", "b", kUp2, "y")});
  auto out = derive_status(set, {make_attempt(1, "1", Direction::kUp, true, checksum_v1(kUp1)),
                                 make_attempt(2, "2", Direction::kUp, true, checksum_v1(kUp2)),
                                 make_attempt(3, "2", Direction::kDown, true, checksum_v1(kUp2))});
  EXPECT_EQ(find_status(out, "1").state, State::kApplied);
  EXPECT_EQ(find_status(out, "2").state, State::kPending);
}

TEST(DeriveStatus, FailedDownLeavesItApplied) {
  auto set = make_set({make_migration("1", "a", kUp1, "DROP TABLE a;\n")});
  auto out = derive_status(set, {make_attempt(1, "1", Direction::kUp, true, checksum_v1(kUp1)),
                                 make_attempt(2, "1", Direction::kDown, false, checksum_v1(kUp1))});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].state, State::kApplied);
  ASSERT_TRUE(out[0].last_applied.has_value());
  EXPECT_EQ(out[0].last_applied->id, 1);
  EXPECT_EQ(out[0].last_attempt->id, 2);
  EXPECT_EQ(out[0].last_attempt->direction, Direction::kDown);
}

TEST(DeriveStatus, ReapplyAfterDown) {
  auto set = make_set({make_migration("1", "a", kUp1, "DROP TABLE a;\n")});
  auto out = derive_status(set, {make_attempt(1, "1", Direction::kUp, true, checksum_v1(kUp1)),
                                 make_attempt(2, "1", Direction::kDown, true, checksum_v1(kUp1)),
                                 make_attempt(3, "1", Direction::kUp, true, checksum_v1(kUp1))});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].state, State::kApplied);
  EXPECT_EQ(out[0].last_applied->id, 3);
}

TEST(DeriveStatus, NewestAttemptByIdDecidesNotVectorOrder) {
  auto set = make_set({make_migration("1", "a", kUp1, "DROP TABLE a;\n")});
  // Given newest first: the down (id 2) is still the newest.
  auto out = derive_status(set, {make_attempt(2, "1", Direction::kDown, true, checksum_v1(kUp1)),
                                 make_attempt(1, "1", Direction::kUp, true, checksum_v1(kUp1))});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].state, State::kPending);
  EXPECT_EQ(out[0].last_attempt->id, 2);
}

TEST(DeriveStatus, ModifiedUsesTheChecksumOfTheUpInForce) {
  // Applied with an old checksum, reverted, then re-applied with the current file: unchanged.
  auto set = make_set({make_migration("1", "a", kUp1, "DROP TABLE a;\n")});
  auto out = derive_status(set, {make_attempt(1, "1", Direction::kUp, true, "sha256:v1:old"),
                                 make_attempt(2, "1", Direction::kDown, true, "sha256:v1:old"),
                                 make_attempt(3, "1", Direction::kUp, true, checksum_v1(kUp1))});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].state, State::kApplied);
}

TEST(DeriveStatus, InitRowsAreIgnored) {
  auto set = make_set({make_migration("1", "a", kUp1)});
  auto out = derive_status(set, {make_attempt(1, "1", Direction::kInit, true, ""),
                                 make_attempt(2, "5", Direction::kInit, true, "")});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].version, "1");
  EXPECT_EQ(out[0].state, State::kPending);
  EXPECT_FALSE(out[0].last_attempt.has_value());
}

TEST(DeriveStatus, InitRowAfterApplyDoesNotChangeState) {
  auto set = make_set({make_migration("1", "a", kUp1)});
  auto out = derive_status(set, {make_attempt(1, "1", Direction::kUp, true, checksum_v1(kUp1)),
                                 make_attempt(2, "1", Direction::kInit, false, "")});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].state, State::kApplied);
  EXPECT_EQ(out[0].last_attempt->id, 1);
}

TEST(DeriveStatus, RevertedVersionWithoutFileIsOmitted) {
  auto set = make_set({make_migration("1", "a", kUp1)});
  auto out = derive_status(set, {make_attempt(1, "2", Direction::kUp, true, "sha256:v1:aa"),
                                 make_attempt(2, "2", Direction::kDown, true, "sha256:v1:aa")});
  EXPECT_EQ(versions_of(out), (std::vector<std::string>{"1"}));
  EXPECT_EQ(out[0].state, State::kPending);
}

TEST(DeriveStatus, HistoryVersionSpellingIsCanonicalized) {
  auto set = make_set({make_migration("012", "a", kUp1)});
  auto out =
      derive_status(set, {make_attempt(1, "V0012", Direction::kUp, true, checksum_v1(kUp1))});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].version, "12");
  EXPECT_EQ(out[0].state, State::kApplied);
}

TEST(DeriveStatus, UnparsableHistoryVersionsAreSkipped) {
  auto set = make_set({make_migration("1", "a", kUp1)});
  auto out = derive_status(set, {make_attempt(1, "not-a-version", Direction::kUp, true, "x"),
                                 make_attempt(2, "", Direction::kUp, true, "x")});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].version, "1");
  EXPECT_EQ(out[0].state, State::kPending);
}

TEST(DeriveStatus, SortedByVersionNumerically) {
  auto set = make_set({make_migration("1", "a", kUp1), make_migration("2", "b", kUp2),
                       make_migration("10", "j", kUp3), make_migration("1.2.10", "d", kUp1),
                       make_migration("1.2.9", "c", kUp1)});
  auto out = derive_status(
      set, {make_attempt(1, "20150100000001000000", Direction::kUp, true, "sha256:v1:aa"),
            make_attempt(2, "9", Direction::kUp, true, "sha256:v1:bb")});
  EXPECT_EQ(versions_of(out), (std::vector<std::string>{"1", "1.2.9", "1.2.10", "2", "9", "10",
                                                        "20150100000001000000"}));
  EXPECT_EQ(find_status(out, "9").state, State::kMissing);
  EXPECT_EQ(find_status(out, "20150100000001000000").state, State::kMissing);
  // Everything with a file is below the highest applied version.
  EXPECT_EQ(find_status(out, "10").state, State::kOutOfOrder);
}

TEST(DeriveStatus, FileNameWinsOverHistoryName) {
  auto set = make_set({make_migration("1", "file_name", kUp1)});
  auto out = derive_status(
      set, {make_attempt(1, "1", Direction::kUp, true, checksum_v1(kUp1), "history_name")});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "file_name");
}

TEST(StateNames, TextForms) {
  EXPECT_STREQ(to_string(State::kPending), "pending");
  EXPECT_STREQ(to_string(State::kApplied), "applied");
  EXPECT_STREQ(to_string(State::kFailed), "failed");
  EXPECT_STREQ(to_string(State::kRunning), "running");
  EXPECT_STREQ(to_string(State::kMissing), "missing");
  EXPECT_STREQ(to_string(State::kModified), "modified");
  EXPECT_STREQ(to_string(State::kOutOfOrder), "out-of-order");
  EXPECT_STREQ(to_string(Direction::kUp), "up");
  EXPECT_STREQ(to_string(Direction::kDown), "down");
  EXPECT_STREQ(to_string(Direction::kInit), "init");
}

}  // namespace
}  // namespace migrate
