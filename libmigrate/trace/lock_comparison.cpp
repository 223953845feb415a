// The traced locks of a statement set against the analyzer's (lock_trace.hpp): the rules
// tests/postgres/lock_levels_test.cpp holds the analyzer's table to, for `migrate plan --trace`.
#include <fmt/format.h>

#include <algorithm>

#include "migrate/lock_trace.hpp"

namespace migrate {

namespace {

// Kinds of relation whose unnamed SHARE-or-stronger lock the analyzer should have named: tables,
// partitioned tables, views, materialized views, sequences, foreign tables. An index follows its
// table, and a relation already dropped was the statement's own transient one.
bool user_relation(char relkind) {
  return relkind == 'r' || relkind == 'p' || relkind == 'v' || relkind == 'm' || relkind == 'S' ||
         relkind == 'f';
}

}  // namespace

const char* to_string(TraceMethod m) noexcept {
  switch (m) {
    case TraceMethod::kTransaction:
      return "transaction";
    case TraceMethod::kWhileWaiting:
      return "while-waiting";
    case TraceMethod::kNotTraced:
      break;
  }
  return "not-traced";
}

const char* to_string(LockMismatchKind k) noexcept {
  switch (k) {
    case LockMismatchKind::kWrong:
      return "wrong";
    case LockMismatchKind::kMissed:
      return "missed";
    case LockMismatchKind::kUnknownRelation:
      break;
  }
  return "unknown-relation";
}

std::string LockMismatch::describe() const {
  switch (kind) {
    case LockMismatchKind::kWrong:
      return fmt::format("{}: analyzer {}, PostgreSQL {}", relation, to_string(analyzer),
                         to_string(traced));
    case LockMismatchKind::kMissed:
      return fmt::format("{}: PostgreSQL {}, not named by the analyzer", relation,
                         to_string(traced));
    case LockMismatchKind::kUnknownRelation:
      break;
  }
  return fmt::format(
      "{}: named by the analyzer ({}), existed neither before nor after the "
      "statement",
      relation, to_string(analyzer));
}

std::vector<LockMismatch> compare_traced_locks(const TracedStatement& s,
                                               const std::vector<std::string>& unknown_relations) {
  std::vector<LockMismatch> out;
  if (!s.traced()) return out;
  auto mismatch = [&](const std::string& relation, LockLevel analyzer, LockLevel traced,
                      LockMismatchKind kind) {
    out.push_back({s.version, s.statement, s.line, s.column, relation, analyzer, traced, kind});
  };
  auto is_unknown = [&](const std::string& name) {
    return std::find(unknown_relations.begin(), unknown_relations.end(), name) !=
           unknown_relations.end();
  };
  for (const auto& expected : s.analyzer_locks) {
    if (is_unknown(expected.relation)) {
      mismatch(expected.relation, expected.level, LockLevel::kNone,
               LockMismatchKind::kUnknownRelation);
      continue;
    }
    LockLevel traced = LockLevel::kNone;
    for (const auto& l : s.locks)
      if (l.relation == expected.relation && static_cast<int>(l.level) > static_cast<int>(traced))
        traced = l.level;
    if (traced != expected.level)
      mismatch(expected.relation, expected.level, traced, LockMismatchKind::kWrong);
  }
  for (const auto& l : s.locks) {
    const bool named = std::any_of(s.analyzer_locks.begin(), s.analyzer_locks.end(),
                                   [&](const RelationLock& a) { return a.relation == l.relation; });
    if (named || l.created || !l.related_to.empty() || !user_relation(l.relkind)) continue;
    if (static_cast<int>(l.level) >= static_cast<int>(LockLevel::kShare))
      mismatch(l.relation, LockLevel::kNone, l.level, LockMismatchKind::kMissed);
  }
  return out;
}

}  // namespace migrate
