// Per-version state from the attempt log and the files. The newest attempt decides; a
// successful up makes a version applied, a successful down makes it pending again.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "migrate/history.hpp"

namespace migrate {

const char* to_string(Direction d) noexcept {
  switch (d) {
    case Direction::kUp:
      return "up";
    case Direction::kDown:
      return "down";
    case Direction::kInit:
      return "init";
  }
  return "up";
}

const char* to_string(State s) noexcept {
  switch (s) {
    case State::kPending:
      return "pending";
    case State::kApplied:
      return "applied";
    case State::kFailed:
      return "failed";
    case State::kRunning:
      return "running";
    case State::kMissing:
      return "missing";
    case State::kModified:
      return "modified";
    case State::kOutOfOrder:
      return "out-of-order";
  }
  return "pending";
}

std::string describe_stop(const Attempt& a) {
  if (a.success.value_or(false)) return {};
  std::string first_line = a.error_message.substr(0, a.error_message.find('\n'));
  if (!a.success)
    return fmt::format("interrupted after statement {} (never finished)", a.statement_index);
  if (a.error_code == "RESOLVED")
    return fmt::format("resolved by an operator: resumes after statement {}: {}", a.statement_index,
                       first_line);
  if (a.error_code == "CANCELLED")
    return fmt::format("cancelled after statement {}: {}", a.statement_index, first_line);
  if (a.error_code == "INTERRUPTED" || a.error_code == "CONNECTION_LOST")
    return fmt::format("interrupted after statement {}: {}", a.statement_index, first_line);
  if (a.error_code == "VERIFICATION_FAILED")
    return fmt::format("failed verification after statement {}: {}", a.statement_index, first_line);
  if (a.error_statement > 0)
    return fmt::format("failed at statement {}: {}", a.error_statement, first_line);
  return fmt::format("failed at commit, after statement {}: {}", a.statement_index, first_line);
}

std::vector<VersionStatus> derive_status(const MigrationSet& source,
                                         const std::vector<Attempt>& history) {
  struct Entry {
    Version version;
    VersionStatus status;
    bool applied = false;
    // Into `history`; copied into `status` once at the end, not at every attempt.
    const Attempt* last_attempt = nullptr;
    const Attempt* last_applied = nullptr;
  };
  std::map<std::string, Entry> by_version;  // keyed by canonical string; sorted below
  auto entry = [&](const Version& v) -> Entry& {
    auto [it, inserted] = by_version.try_emplace(v.str(), Entry{v, {}, false, nullptr, nullptr});
    if (inserted) it->second.status.version = v.str();
    return it->second;
  };

  for (const auto& m : source.migrations) {
    Entry& e = entry(m.version);
    e.status.name = m.name;
    e.status.has_file = true;
    e.status.reversible = m.reversible();
    e.status.file_checksum = m.up.checksum;
    if (m.down) e.status.file_down_checksum = m.down->checksum;
  }

  std::vector<const Attempt*> ordered;
  ordered.reserve(history.size());
  for (const auto& a : history)
    if (a.direction != Direction::kInit) ordered.push_back(&a);
  std::sort(ordered.begin(), ordered.end(),
            [](const Attempt* a, const Attempt* b) { return a->id < b->id; });
  for (const Attempt* a : ordered) {
    auto v = Version::parse(a->version);
    if (!v) continue;  // written by hand; nothing sensible to derive
    Entry& e = entry(*v);
    if (!e.status.has_file && e.status.name.empty()) e.status.name = a->name;
    e.last_attempt = a;
    if (a->success.value_or(false)) {
      e.applied = a->direction == Direction::kUp;
      e.last_applied = e.applied ? a : nullptr;
    }
  }
  for (auto& [key, e] : by_version) {
    if (e.last_attempt) e.status.last_attempt = *e.last_attempt;
    if (e.last_applied) e.status.last_applied = *e.last_applied;
  }

  std::vector<Entry*> entries;
  for (auto& [key, e] : by_version) entries.push_back(&e);
  std::sort(entries.begin(), entries.end(),
            [](const Entry* a, const Entry* b) { return a->version < b->version; });

  const Version* highest_applied = nullptr;
  for (Entry* e : entries)
    if (e->applied) highest_applied = &e->version;

  std::vector<VersionStatus> out;
  out.reserve(entries.size());
  for (Entry* e : entries) {
    VersionStatus& s = e->status;
    const auto& last = s.last_attempt;
    if (!s.has_file && !e->applied && last && last->transactional && last->success == false) {
      continue;  // a failed transactional attempt left nothing; its file was withdrawn
    } else if (last && !last->success.has_value()) {
      s.state = State::kRunning;
    } else if (last && last->direction == Direction::kUp && !*last->success) {
      s.state = State::kFailed;
    } else if (e->applied) {
      if (!s.has_file)
        s.state = State::kMissing;
      else if (s.last_applied && s.last_applied->checksum != s.file_checksum)
        s.state = State::kModified;
      else
        s.state = State::kApplied;
    } else if (!s.has_file) {
      continue;  // reverted and then deleted: nothing left to report
    } else {
      s.state =
          highest_applied && e->version < *highest_applied ? State::kOutOfOrder : State::kPending;
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace migrate
