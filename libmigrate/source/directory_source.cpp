// Loads a migration directory strictly: every file must be part of a well-formed pair.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/source/utf8.hpp"
#include "migrate/source.hpp"

namespace migrate {

const char* to_string(MigrationClass c) noexcept {
  switch (c) {
    case MigrationClass::kAdditive: return "additive";
    case MigrationClass::kBackwardCompatible: return "backward-compatible";
    case MigrationClass::kDataBackfill: return "data-backfill";
    case MigrationClass::kBreaking: return "breaking";
  }
  return "additive";
}

const char* to_string(Phase p) noexcept { return p == Phase::kExpand ? "expand" : "contract"; }

const char* to_string(ForeignKeyMode m) noexcept {
  return m == ForeignKeyMode::kCheck ? "check" : "enforce";
}

const Migration* MigrationSet::find(const Version& v) const {
  auto it = std::lower_bound(migrations.begin(), migrations.end(), v,
                             [](const Migration& m, const Version& x) { return m.version < x; });
  return it != migrations.end() && it->version == v ? &*it : nullptr;
}

namespace {

const std::regex& name_pattern() {
  static const std::regex re(R"(^[Vv]([0-9]+(?:\.[0-9]+)*)__([A-Za-z0-9_-]+)\.(up|down)\.sql$)");
  return re;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorCode::kSourceInvalid, fmt::format("cannot read {}", path.string()), "check the file's permissions", {path.string()});
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

MigrationFile load_file(const std::filesystem::path& path, const std::string& version) {
  std::string text = normalize_sql_text(read_file(path));
  if (auto bad = first_invalid_utf8(text)) {
    fail(ErrorCode::kSourceInvalid,
         fmt::format("{} is not valid UTF-8 (byte 0x{:02x} at offset {})", path.string(),
                     static_cast<unsigned char>(text[bad->offset]), bad->offset),
         "save the file as UTF-8",
         {path.string(), version, 0, bad->line, bad->column});
  }
  MigrationFile f{path, std::move(text), {}};
  f.checksum = checksum_v1(f.sql);
  return f;
}

struct PendingPair {
  std::optional<std::filesystem::path> up;
  std::optional<std::filesystem::path> down;
  std::string name;
  Version version;
};

MigrationSet load_or_throw(const std::filesystem::path& directory) {
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec)) {
    fail(ErrorCode::kSourceInvalid,
         fmt::format("migrations directory {} does not exist", directory.string()),
         "pass --dir or set dir in migrate.toml, or create it with `migrate new NAME`");
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.path().filename().string().starts_with(".")) continue;
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());

  std::vector<std::string> problems;
  std::vector<std::pair<Version, PendingPair>> pairs;
  auto pair_for = [&](const Version& v, const std::string& name) -> PendingPair& {
    for (auto& [ver, p] : pairs)
      if (ver == v) return p;
    pairs.push_back({v, PendingPair{{}, {}, name, v}});
    return pairs.back().second;
  };

  for (const auto& path : files) {
    std::string fname = path.filename().string();
    std::smatch m;
    if (!std::filesystem::is_regular_file(path) || !std::regex_match(fname, m, name_pattern())) {
      problems.push_back(fmt::format(
          "{}: not a migration file (expected V<version>__<name>.up.sql or .down.sql)", path.string()));
      continue;
    }
    auto version = *Version::parse(m[1].str());
    PendingPair& p = pair_for(version, m[2].str());
    auto& slot = m[3].str() == "up" ? p.up : p.down;
    if (slot) {
      problems.push_back(fmt::format("{} and {}: two {} files for version {}", slot->string(),
                                     path.string(), m[3].str(), version.str()));
      continue;
    }
    if (p.name != m[2].str() && (p.up || p.down)) {
      auto other = p.up ? *p.up : *p.down;
      problems.push_back(fmt::format("{} and {}: version {} has two names ('{}' and '{}')",
                                     other.string(), path.string(), version.str(), p.name, m[2].str()));
      continue;
    }
    slot = path;
  }
  for (const auto& [v, p] : pairs) {
    if (!p.up && p.down)
      problems.push_back(fmt::format("{}: down file without an up file for version {}",
                                     p.down->string(), v.str()));
  }
  if (!problems.empty()) {
    std::string msg = fmt::format("{} problem(s) in migrations directory {}:", problems.size(),
                                  directory.string());
    for (const auto& p : problems) msg += "\n  " + p;
    fail(ErrorCode::kSourceInvalid, msg,
         "rename or remove these files; a migration is V<version>__<name>.up.sql plus an optional "
         ".down.sql (without it the migration is irreversible)",
         {problems.size() == 1 ? problems[0].substr(0, problems[0].find(':')) : directory.string()});
  }

  MigrationSet set;
  set.directory = directory;
  for (auto& [v, p] : pairs) {
    if (!p.up) continue;
    Migration mig{v, p.name, load_file(*p.up, v.str()), std::nullopt, {}};
    if (p.down) mig.down = load_file(*p.down, v.str());
    auto directives = parse_directives(mig.up.sql, p.up->string());
    if (!directives) {
      Error e = directives.error();
      e.where.version = v.str();
      throw Failure(e);
    }
    mig.directives = directives.value();
    set.migrations.push_back(std::move(mig));
  }
  std::sort(set.migrations.begin(), set.migrations.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return set;
}

}  // namespace

Result<MigrationSet> load_directory(const std::filesystem::path& directory) {
  try {
    return load_or_throw(directory);
  } catch (const Failure& f) {
    return f.error();
  } catch (const std::filesystem::filesystem_error& e) {
    return Error{ErrorCode::kSourceInvalid, e.what(), "check the migrations directory", {directory.string()}, {}};
  }
}

Result<NewMigrationFiles> create_migration_files(const std::filesystem::path& directory,
                                                 const std::string& name) {
  if (!std::regex_match(name, std::regex("^[A-Za-z0-9_-]+$"))) {
    return Error{ErrorCode::kUsage, fmt::format("'{}' is not a valid migration name", name),
                 "use letters, digits, '_' and '-' only, e.g. add_user_email", {}, {}};
  }
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) {
    return Error{ErrorCode::kUsage, fmt::format("cannot create {}: {}", directory.string(), ec.message()),
                 "check the path and permissions", {directory.string()}, {}};
  }
  auto set = load_directory(directory);
  if (!set) return set.error();
  // Next integer after the highest first component, zero-padded like the existing names.
  std::string next = "001";
  if (!set->migrations.empty()) {
    const auto& last = set->migrations.back().version;
    std::string head = last.str().substr(0, last.str().find('.'));
    std::string digits = head;
    int i = static_cast<int>(digits.size()) - 1;
    while (i >= 0 && digits[static_cast<std::size_t>(i)] == '9') digits[static_cast<std::size_t>(i--)] = '0';
    if (i < 0) digits.insert(digits.begin(), '1');
    else ++digits[static_cast<std::size_t>(i)];
    std::size_t width = last.original().substr(0, last.original().find('.')).size();
    if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
    next = digits;
  }
  NewMigrationFiles files{directory / fmt::format("V{}__{}.up.sql", next, name),
                          directory / fmt::format("V{}__{}.down.sql", next, name)};
  std::ofstream(files.up) << "-- migrate:class additive\n-- Why this migration exists, in one line.\n\n";
  std::ofstream(files.down) << "-- Reverts V" << next << "__" << name << ".up.sql exactly.\n\n";
  return files;
}

}  // namespace migrate
