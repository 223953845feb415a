// compare_traced_locks with fixed inputs: the rules `migrate plan --trace` and the LockLevels
// test hold the analyzer's lock table to (a wrong level, a missed lock, a lock held since an
// earlier statement, a statement that was not traced, a relation that never existed).
#include <gtest/gtest.h>

#include "migrate/lock_trace.hpp"

namespace migrate {
namespace {

TracedStatement traced(std::vector<RelationLock> analyzer, std::vector<TracedLock> locks) {
  TracedStatement s;
  s.version = "3";
  s.statement = 2;
  s.line = 7;
  s.column = 1;
  s.method = TraceMethod::kTransaction;
  s.analyzer_locks = std::move(analyzer);
  s.locks = std::move(locks);
  return s;
}

TracedLock lock(const std::string& relation, LockLevel level, char relkind = 'r') {
  TracedLock l;
  l.relation = relation;
  l.level = level;
  l.relkind = relkind;
  return l;
}

TEST(LockComparison, AgreementHasNoMismatch) {
  auto s = traced({{"solo", LockLevel::kAccessExclusive}, {"parent", LockLevel::kNone}},
                  {lock("solo", LockLevel::kAccessExclusive)});
  EXPECT_TRUE(compare_traced_locks(s, {}).empty());
}

TEST(LockComparison, WrongLevelNamesBothModes) {
  auto s = traced({{"solo", LockLevel::kShare}}, {lock("solo", LockLevel::kAccessExclusive)});
  auto m = compare_traced_locks(s, {});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, LockMismatchKind::kWrong);
  EXPECT_EQ(m[0].version, "3");
  EXPECT_EQ(m[0].statement, 2);
  EXPECT_EQ(m[0].line, 7);
  EXPECT_EQ(m[0].relation, "solo");
  EXPECT_EQ(m[0].analyzer, LockLevel::kShare);
  EXPECT_EQ(m[0].traced, LockLevel::kAccessExclusive);
  EXPECT_EQ(m[0].describe(), "solo: analyzer SHARE, PostgreSQL ACCESS EXCLUSIVE");
  EXPECT_STREQ(to_string(m[0].kind), "wrong");
}

TEST(LockComparison, NamedWithoutLockButLockedIsWrong) {
  auto s = traced({{"parent", LockLevel::kNone}}, {lock("parent", LockLevel::kAccessShare)});
  auto m = compare_traced_locks(s, {});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, LockMismatchKind::kWrong);
  EXPECT_EQ(m[0].analyzer, LockLevel::kNone);
  EXPECT_EQ(m[0].traced, LockLevel::kAccessShare);
}

TEST(LockComparison, NamedLockNotTakenIsWrong) {
  auto s = traced({{"solo", LockLevel::kShareRowExclusive}}, {});
  auto m = compare_traced_locks(s, {});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].traced, LockLevel::kNone);
  EXPECT_EQ(m[0].describe(), "solo: analyzer SHARE ROW EXCLUSIVE, PostgreSQL none");
}

TEST(LockComparison, UnnamedShareOrStrongerOnATableIsMissed) {
  auto s = traced(
      {{"child", LockLevel::kAccessExclusive}},
      {lock("child", LockLevel::kAccessExclusive), lock("parent", LockLevel::kShareRowExclusive)});
  auto m = compare_traced_locks(s, {});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, LockMismatchKind::kMissed);
  EXPECT_EQ(m[0].relation, "parent");
  EXPECT_EQ(m[0].analyzer, LockLevel::kNone);
  EXPECT_EQ(m[0].traced, LockLevel::kShareRowExclusive);
  EXPECT_EQ(m[0].describe(), "parent: PostgreSQL SHARE ROW EXCLUSIVE, not named by the analyzer");
  EXPECT_STREQ(to_string(m[0].kind), "missed");
}

TEST(LockComparison, UnnamedLocksTheRulesExplainAreNotMissed) {
  TracedLock related = lock("parent", LockLevel::kAccessExclusive);
  related.related_to = "child";  // the other table of the dropped table's foreign key
  TracedLock created = lock("t_id_seq", LockLevel::kAccessExclusive, 'S');
  created.created = true;  // a serial column's new sequence
  auto s = traced({{"child", LockLevel::kAccessExclusive}},
                  {lock("child", LockLevel::kAccessExclusive), related,
                   lock("child_pkey", LockLevel::kAccessExclusive, 'i'),  // follows its table
                   lock("oid 16400 (dropped)", LockLevel::kAccessExclusive, '?'),  // transient
                   lock("other", LockLevel::kRowShare),  // below SHARE: blocks no writes
                   created});
  EXPECT_TRUE(compare_traced_locks(s, {}).empty());
}

TEST(LockComparison, LockHeldSinceAnEarlierStatementAgreesAtTheAnalyzersLevel) {
  TracedLock held = lock("solo", LockLevel::kAccessExclusive);
  held.held_since_version = "3";
  held.held_since_statement = 1;
  auto s = traced({{"solo", LockLevel::kAccessExclusive}}, {held});
  EXPECT_TRUE(compare_traced_locks(s, {}).empty());
  // Held at another mode than the analyzer's: no agreement.
  auto weaker = traced({{"solo", LockLevel::kShare}}, {held});
  auto m = compare_traced_locks(weaker, {});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, LockMismatchKind::kWrong);
}

TEST(LockComparison, NotTracedStatementClaimsNothing) {
  auto s = traced({{"solo", LockLevel::kShareUpdateExclusive}},
                  {lock("solo", LockLevel::kAccessExclusive)});
  s.method = TraceMethod::kNotTraced;
  s.not_traced_reason = "it cannot run in a transaction";
  EXPECT_FALSE(s.traced());
  EXPECT_TRUE(compare_traced_locks(s, {}).empty());
}

TEST(LockComparison, RelationThatNeverExistedIsReported) {
  auto s = traced({{"ghost", LockLevel::kAccessExclusive}}, {});
  auto m = compare_traced_locks(s, {"ghost"});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].kind, LockMismatchKind::kUnknownRelation);
  EXPECT_STREQ(to_string(m[0].kind), "unknown-relation");
  EXPECT_EQ(m[0].describe(),
            "ghost: named by the analyzer (ACCESS EXCLUSIVE), existed neither before nor after "
            "the statement");
}

TEST(LockComparison, MethodNames) {
  EXPECT_STREQ(to_string(TraceMethod::kTransaction), "transaction");
  EXPECT_STREQ(to_string(TraceMethod::kWhileWaiting), "while-waiting");
  EXPECT_STREQ(to_string(TraceMethod::kNotTraced), "not-traced");
}

}  // namespace
}  // namespace migrate
