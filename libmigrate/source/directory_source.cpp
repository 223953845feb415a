// Loads a migration directory strictly: every file must be part of a well-formed pair.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <variant>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/source/migration_file_name.hpp"
#include "libmigrate/source/sql_text.hpp"
#include "libmigrate/source/utf8.hpp"
#include "migrate/source.hpp"

namespace migrate {

const char* to_string(MigrationClass c) noexcept {
  switch (c) {
    case MigrationClass::kAdditive:
      return "additive";
    case MigrationClass::kBackwardCompatible:
      return "backward-compatible";
    case MigrationClass::kDataBackfill:
      return "data-backfill";
    case MigrationClass::kBreaking:
      return "breaking";
  }
  return "additive";
}

const char* to_string(Phase p) noexcept {
  return p == Phase::kExpand ? "expand" : "contract";
}

const char* to_string(ForeignKeyMode m) noexcept {
  return m == ForeignKeyMode::kCheck ? "check" : "enforce";
}

const Migration* MigrationSet::find(const Version& v) const {
  auto it = std::lower_bound(migrations.begin(), migrations.end(), v,
                             [](const Migration& m, const Version& x) { return m.version < x; });
  return it != migrations.end() && it->version == v ? &*it : nullptr;
}

// V<version>__<name>.up.sql, .down.sql or .verify.sql: the version is dot-separated groups of
// digits, the name letters, digits, '_' and '-'. Read by hand, not with std::regex, which costs
// more than reading the file does.
std::optional<MigrationFileName> parse_migration_file_name(std::string_view file_name) {
  if (file_name.empty() || (file_name[0] != 'V' && file_name[0] != 'v')) return std::nullopt;
  const auto underscores = file_name.find("__", 1);
  if (underscores == std::string_view::npos) return std::nullopt;
  const std::string_view version_text = file_name.substr(1, underscores - 1);
  bool group_has_digit = false;
  for (char c : version_text) {
    if (c >= '0' && c <= '9') {
      group_has_digit = true;
    } else if (c == '.' && group_has_digit) {
      group_has_digit = false;
    } else {
      return std::nullopt;
    }
  }
  if (!group_has_digit) return std::nullopt;  // empty, or ending with '.'
  std::string_view rest = file_name.substr(underscores + 2);
  const auto dot = rest.find('.');
  if (dot == 0 || dot == std::string_view::npos) return std::nullopt;
  const std::string_view name = rest.substr(0, dot);
  for (char c : name) {
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!allowed) return std::nullopt;
  }
  const std::string_view suffix = rest.substr(dot);
  std::optional<MigrationFileRole> role;
  for (auto r : {MigrationFileRole::kUp, MigrationFileRole::kDown, MigrationFileRole::kVerify})
    if (suffix == file_suffix(r)) role = r;
  if (!role) return std::nullopt;
  auto version = Version::parse(std::string(version_text));
  if (!version) return std::nullopt;
  return MigrationFileName{std::move(*version), std::string(name), *role};
}

const char* file_suffix(MigrationFileRole role) noexcept {
  switch (role) {
    case MigrationFileRole::kUp:
      return ".up.sql";
    case MigrationFileRole::kDown:
      return ".down.sql";
    case MigrationFileRole::kVerify:
      return ".verify.sql";
  }
  return ".up.sql";
}

namespace {

// open, fstat, read, close: `status` reads every file of a large directory, so the system calls
// per file are what its time is made of.
std::string read_file(const std::filesystem::path& path) {
  // O_NONBLOCK: a FIFO swapped in after the listing must not block the open forever.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  auto cannot = [&] {
    fail(ErrorCode::kSourceInvalid,
         fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)),
         "check the file's permissions", {path.string()});
  };
  if (fd < 0) cannot();
  struct stat st {};
  std::string out;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    cannot();
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(ErrorCode::kSourceInvalid,
         fmt::format("{} is not a regular file (it changed while the directory was read)",
                     path.string()),
         "replace it with a regular file", {path.string()});
  }
  // Read straight into the string, sized as fstat says, and stop there: a file that grows
  // meanwhile is read as it was when stat'ed (its checksum is of those bytes). One whose size stat
  // does not know (0) is read on to its end.
  const std::size_t expected = st.st_size > 0 ? static_cast<std::size_t>(st.st_size) : 0;
  out.resize(expected);
  std::size_t got = 0;
  while (true) {
    if (got == out.size()) {
      // The size fstat reported is read: no extra read just to see the end of the file.
      if (expected > 0 && got == expected) break;
      out.resize(out.size() + 65536);
    }
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      cannot();
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  ::close(fd);
  return out;
}

// Reads one file; a content problem (not UTF-8) comes back as an Error instead of the file.
std::variant<MigrationFile, Error> load_file(const std::filesystem::path& path,
                                             const std::string& version, std::string raw) {
  // Checked before normalization, so the offset, line and column are those of the file on disk.
  if (auto bad = first_invalid_utf8(raw)) {
    return Error{ErrorCode::kSourceInvalid,
                 fmt::format("not valid UTF-8 (byte 0x{:02x} at offset {})",
                             static_cast<unsigned char>(raw[bad->offset]), bad->offset),
                 "save the file as UTF-8",
                 {path.string(), version, 0, bad->line, bad->column},
                 {}};
  }
  // PostgreSQL cannot take a NUL in a statement's text and SQLite stops reading at it: the file
  // is not SQL text (a binary file, or a UTF-16 file without its byte order mark).
  if (auto nul = raw.find('\0'); nul != std::string::npos) {
    auto [line, column] = line_and_column(raw, nul);
    return Error{ErrorCode::kSourceInvalid,
                 fmt::format("contains a NUL byte (offset {}): not SQL text", nul),
                 "remove the NUL byte; save the file as UTF-8 text",
                 {path.string(), version, 0, line, column},
                 {}};
  }
  MigrationFile f{path, normalize_sql_text(std::move(raw)), {}};
  f.checksum = checksum_v1(f.sql);
  return f;
}

struct PendingPair {
  std::optional<std::filesystem::path> up;
  std::optional<std::filesystem::path> down;
  std::optional<std::filesystem::path> verify;
  std::string name;
  Version version;
};

// Every problem found in the directory; all of them are reported together.
class ProblemList {
 public:
  void add(Error e) { problems_.push_back(std::move(e)); }
  void add(const std::filesystem::path& file, std::string message) {
    problems_.push_back(
        Error{ErrorCode::kSourceInvalid, std::move(message), {}, {file.string()}, {}});
  }
  bool empty() const { return problems_.empty(); }

  // One problem keeps its own location and fix; several are listed, each with its file.
  [[noreturn]] void raise(const std::filesystem::path& directory) const {
    if (problems_.size() == 1 && !problems_[0].hint.empty()) throw Failure(problems_[0]);
    std::string msg = fmt::format("{} problem(s) in migrations directory {}:", problems_.size(),
                                  directory.string());
    for (const auto& p : problems_) {
      std::string where = p.where.file;
      if (p.where.line > 0) where += fmt::format(":{}:{}", p.where.line, p.where.column);
      msg += fmt::format("\n  {}: {}", where, p.message);
    }
    Error e{ErrorCode::kSourceInvalid,
            msg,
            "rename, fix or remove these files; a migration is V<version>__<name>.up.sql plus an "
            "optional "
            ".down.sql (without it the migration is irreversible); see docs/file-format.md",
            problems_[0].where,
            {}};
    if (problems_.size() > 1) e.where = SourceLocation{directory.string()};
    throw Failure(e);
  }

 private:
  std::vector<Error> problems_;
};

const char* kind_of(std::filesystem::file_type type) {
  switch (type) {
    case std::filesystem::file_type::regular:
      return "a regular file";
    case std::filesystem::file_type::directory:
      return "a directory";
    case std::filesystem::file_type::fifo:
      return "a FIFO (named pipe)";
    case std::filesystem::file_type::socket:
      return "a socket";
    case std::filesystem::file_type::block:
    case std::filesystem::file_type::character:
      return "a device";
    case std::filesystem::file_type::symlink:
      return "a symbolic link";
    default:
      return "a file of unknown type";
  }
}

// Why a directory entry cannot be a migration file; never opened, so a FIFO cannot block.
std::string describe_non_regular(const std::filesystem::directory_entry& entry) {
  std::error_code ec;
  const auto st = std::filesystem::status(entry.path(), ec);
  if (st.type() == std::filesystem::file_type::not_found) {
    std::error_code link_ec;
    auto target = std::filesystem::read_symlink(entry.path(), link_ec);
    return link_ec ? std::string("it does not exist any more")
                   : fmt::format("a symbolic link to {}, which does not exist", target.string());
  }
  if (ec) return fmt::format("it cannot be followed: {} (a symbolic link loop?)", ec.message());
  return fmt::format("it is {}, not a regular file", kind_of(st.type()));
}

// Two-phase pairs (docs/two-phase.md): a contract names an earlier expand of the set. Checked at
// load, so `lint`, `plan` and `apply` all refuse a broken pair before anything runs.
void check_phase_pairs(const MigrationSet& set, ProblemList& problems) {
  for (const auto& m : set.migrations) {
    const std::string file = m.up.path.string();
    auto problem = [&](std::string message, std::string fix) {
      problems.add(Error{ErrorCode::kSourceInvalid,
                         std::move(message),
                         std::move(fix),
                         SourceLocation{file, m.version.str(), 0, 1, 1},
                         {}});
    };
    if (m.down && (m.down_directives.phase || m.down_directives.completes))
      problems.add(
          Error{ErrorCode::kSourceInvalid,
                fmt::format("version {}: `phase` and `completes` in a down file", m.version.str()),
                "put them in the up file: the phase is the migration's, and its down "
                "file reverts it",
                SourceLocation{m.down->path.string(), m.version.str(), 0, 1, 1},
                {}});
    const bool contract = m.directives.phase == Phase::kContract;
    if (!contract) {
      if (m.directives.completes)
        problem(fmt::format("version {}: `completes V{}` in a migration that is not a contract",
                            m.version.str(), m.directives.completes->original()),
                "add `-- migrate:phase contract` (the file removes what the expand replaced), or "
                "remove the `completes` line");
      continue;
    }
    // A contract without `completes` loads (one applied before the directive existed must keep
    // working); the analyzer refuses it before it runs (contract-without-expand).
    if (!m.directives.completes) continue;
    const Version& expand = *m.directives.completes;
    const Migration* e = set.find(expand);
    if (!e) {
      problem(fmt::format("version {}: `completes V{}` names no migration of the directory",
                          m.version.str(), expand.original()),
              "name the version of the expand migration this contract completes");
    } else if (!(expand < m.version)) {
      problem(fmt::format("version {}: `completes V{}` names a version that is not earlier",
                          m.version.str(), expand.original()),
              "the expand runs first: give the contract a higher version than its expand");
    } else if (e->directives.phase != Phase::kExpand) {
      problem(fmt::format("version {}: `completes V{}`, but {} has no `-- migrate:phase expand`",
                          m.version.str(), expand.original(), e->up.path.filename().string()),
              fmt::format("add `-- migrate:phase expand` to {} (it adds what the new code needs "
                          "before the deploy), or name the right expand",
                          e->up.path.filename().string()));
    }
  }
}

MigrationSet assemble(const std::filesystem::path& directory,
                      const std::vector<std::filesystem::path>& files,
                      const std::map<std::filesystem::path, std::string>& not_regular,
                      const std::function<std::string(const std::filesystem::path&)>& read);

MigrationSet load_or_throw(const std::filesystem::path& directory) {
  std::error_code ec;
  const auto dir_status = std::filesystem::status(directory, ec);
  if (dir_status.type() == std::filesystem::file_type::not_found) {
    fail(ErrorCode::kSourceInvalid,
         fmt::format("migrations directory {} does not exist", directory.string()),
         "pass --dir or set dir in migrate.toml, or create it with `migrate new NAME`");
  }
  if (ec) {
    fail(ErrorCode::kSourceInvalid,
         fmt::format("cannot open migrations directory {}: {}", directory.string(), ec.message()),
         "pass --dir the directory holding the migration files (a symbolic link loop or a missing "
         "permission is in the way)",
         {directory.string()});
  }
  if (dir_status.type() != std::filesystem::file_type::directory) {
    fail(ErrorCode::kSourceInvalid,
         fmt::format("migrations directory {} is {}, not a directory", directory.string(),
                     kind_of(dir_status.type())),
         "pass --dir the directory holding the V<version>__<name>.up.sql files (or set dir in "
         "migrate.toml)",
         {directory.string()});
  }
  std::vector<std::filesystem::path> files;
  std::map<std::filesystem::path, std::string> not_regular;  // why each is not a regular file
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.path().filename().string().starts_with(".")) continue;
    files.push_back(entry.path());
    // The directory entry's type comes with the listing: no stat per file but symbolic links.
    std::error_code entry_ec;
    if (entry.is_regular_file(entry_ec)) continue;
    not_regular.emplace(entry.path(), describe_non_regular(entry));
  }
  std::sort(files.begin(), files.end());
  return assemble(directory, files, not_regular, read_file);
}

// The checks shared by a directory and an embedded set: names, pairs, contents, directives,
// two-phase pairs. `files` are sorted; `read` gives a file's raw bytes, and is called only for
// the up and down files of well-formed pairs.
MigrationSet assemble(const std::filesystem::path& directory,
                      const std::vector<std::filesystem::path>& files,
                      const std::map<std::filesystem::path, std::string>& not_regular,
                      const std::function<std::string(const std::filesystem::path&)>& read) {
  ProblemList problems;
  std::vector<std::pair<Version, PendingPair>> pairs;
  std::map<Version, std::size_t> pair_index;
  auto pair_for = [&](const Version& v, const std::string& name) -> PendingPair& {
    auto [it, inserted] = pair_index.try_emplace(v, pairs.size());
    if (inserted) pairs.push_back({v, PendingPair{{}, {}, {}, name, v}});
    return pairs[it->second].second;
  };

  for (const auto& path : files) {
    if (auto it = not_regular.find(path); it != not_regular.end()) {
      problems.add(path, fmt::format("not a migration file: {}", it->second));
      continue;
    }
    auto parsed = parse_migration_file_name(path.filename().string());
    if (!parsed) {
      problems.add(path,
                   "not a migration file (expected V<version>__<name>.up.sql, .down.sql or "
                   ".verify.sql)");
      continue;
    }
    const Version& version = parsed->version;
    PendingPair& p = pair_for(version, parsed->name);
    auto& slot = parsed->role == MigrationFileRole::kUp     ? p.up
                 : parsed->role == MigrationFileRole::kDown ? p.down
                                                            : p.verify;
    if (slot) {
      problems.add(path, fmt::format("two {} files for version {}: this one and {}",
                                     parsed->role == MigrationFileRole::kUp     ? "up"
                                     : parsed->role == MigrationFileRole::kDown ? "down"
                                                                                : "verify",
                                     version.str(), slot->string()));
      continue;
    }
    if (p.name != parsed->name && (p.up || p.down || p.verify)) {
      auto other = p.up ? *p.up : p.down ? *p.down : *p.verify;
      problems.add(path, fmt::format("version {} has two names: '{}' here and '{}' in {}",
                                     version.str(), parsed->name, p.name, other.string()));
      continue;
    }
    slot = path;
  }
  for (const auto& [v, p] : pairs) {
    if (!p.up && p.down)
      problems.add(*p.down, fmt::format("down file without an up file for version {}", v.str()));
    if (!p.up && p.verify)
      problems.add(*p.verify,
                   fmt::format("verify file without an up file for version {}", v.str()));
  }

  MigrationSet set;
  set.directory = directory;
  set.migrations.reserve(pairs.size());
  for (auto& [v, p] : pairs) {
    if (!p.up) continue;
    auto up = load_file(*p.up, v.str(), read(*p.up));
    std::optional<std::variant<MigrationFile, Error>> down;
    if (p.down) down = load_file(*p.down, v.str(), read(*p.down));
    std::optional<std::variant<MigrationFile, Error>> verify;
    if (p.verify) verify = load_file(*p.verify, v.str(), read(*p.verify));
    bool ok = true;
    if (auto* e = std::get_if<Error>(&up)) problems.add(*e), ok = false;
    for (auto* other : {&down, &verify})
      if (*other)
        if (auto* e = std::get_if<Error>(&**other)) problems.add(*e), ok = false;
    if (!ok) continue;
    Migration mig{v, p.name, std::get<MigrationFile>(std::move(up)), std::nullopt, {}};
    if (down) mig.down = std::get<MigrationFile>(std::move(*down));
    if (verify) {
      mig.verify = std::get<MigrationFile>(std::move(*verify));
      // The checks are part of what was applied: the up checksum covers them, so a changed
      // verify file shows as a modified migration. A NUL separates the two (no file holds one),
      // and a migration without a verify file keeps the checksum of its up file alone.
      mig.up.checksum = checksum_v1(mig.up.sql + std::string(1, '\0') + mig.verify->sql);
    }
    // Both files' directive blocks, so a bad one in a down file is found now, not mid-rollback.
    auto read_directives = [&](const MigrationFile& f, Directives& into) {
      auto parsed = parse_directives(f.sql, f.path.string());
      if (parsed) {
        into = parsed.value();
        return true;
      }
      Error e = parsed.error();
      e.where.version = v.str();
      problems.add(e);
      return false;
    };
    if (!read_directives(mig.up, mig.directives)) continue;
    if (mig.down && !read_directives(*mig.down, mig.down_directives)) continue;
    mig.description = leading_description(mig.up.sql);
    set.migrations.push_back(std::move(mig));
  }
  std::sort(set.migrations.begin(), set.migrations.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  check_phase_pairs(set, problems);
  if (!problems.empty()) problems.raise(directory);
  return set;
}

}  // namespace

Result<MigrationSet> load_embedded(const EmbeddedMigrations& embedded) {
  const std::filesystem::path origin(embedded.origin);
  std::vector<std::filesystem::path> files;
  std::map<std::filesystem::path, std::string_view> contents;
  for (const auto& f : embedded.files) {
    const std::filesystem::path path = origin / std::string(f.name);
    if (contents.emplace(path, f.contents).second) files.push_back(path);
  }
  std::sort(files.begin(), files.end());
  try {
    return assemble(origin, files, {}, [&](const std::filesystem::path& path) {
      return std::string(contents.at(path));
    });
  } catch (const Failure& f) {
    return f.error();
  }
}

Result<MigrationSet> load_directory(const std::filesystem::path& directory) {
  try {
    return load_or_throw(directory);
  } catch (const Failure& f) {
    return f.error();
  } catch (const std::filesystem::filesystem_error& e) {
    return Error{ErrorCode::kSourceInvalid,
                 e.what(),
                 "check the migrations directory",
                 {directory.string()},
                 {}};
  }
}

std::string next_version_digits(std::string digits) {
  const std::size_t width = digits.size();
  int i = static_cast<int>(digits.size()) - 1;
  while (i >= 0 && digits[static_cast<std::size_t>(i)] == '9')
    digits[static_cast<std::size_t>(i--)] = '0';
  if (i < 0)
    digits.insert(digits.begin(), '1');
  else
    ++digits[static_cast<std::size_t>(i)];
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return digits;
}

std::string next_version_after(const std::optional<Version>& highest) {
  if (!highest) return "001";
  // The canonical head has no leading zeros; the original's width keeps the padding.
  const std::string head = highest->str().substr(0, highest->str().find('.'));
  std::string next = next_version_digits(head);
  const std::size_t width = highest->original().substr(0, highest->original().find('.')).size();
  if (next.size() < width) next.insert(0, width - next.size(), '0');
  return next;
}

Result<NewMigrationFiles> create_migration_files(const std::filesystem::path& directory,
                                                 const std::string& name) {
  if (!std::regex_match(name, std::regex("^[A-Za-z0-9_-]+$"))) {
    return Error{ErrorCode::kUsage,
                 fmt::format("'{}' is not a valid migration name", name),
                 "use letters, digits, '_' and '-' only, e.g. add_user_email",
                 {},
                 {}};
  }
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) {
    return Error{ErrorCode::kUsage,
                 fmt::format("cannot create {}: {}", directory.string(), ec.message()),
                 "check the path and permissions",
                 {directory.string()},
                 {}};
  }
  auto set = load_directory(directory);
  if (!set) return set.error();
  const std::string next = next_version_after(
      set->migrations.empty() ? std::nullopt : std::optional(set->migrations.back().version));
  NewMigrationFiles files{directory / fmt::format("V{}__{}.up.sql", next, name),
                          directory / fmt::format("V{}__{}.down.sql", next, name)};
  // A full disk or a read-only directory must not pass for success: check each write, and
  // leave no half of the pair behind.
  auto write = [](const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    out.close();
    return static_cast<bool>(out);
  };
  if (!write(files.up,
             "-- migrate:class additive\n-- Why this migration exists, in one line.\n\n") ||
      !write(files.down, fmt::format("-- Reverts V{}__{}.up.sql exactly.\n\n", next, name))) {
    const int why = errno;  // before the removals below overwrite it
    std::error_code ignored;
    std::filesystem::remove(files.up, ignored);
    std::filesystem::remove(files.down, ignored);
    return Error{ErrorCode::kUsage,
                 fmt::format("cannot write {} and {}: {}", files.up.string(), files.down.string(),
                             std::strerror(why)),
                 "check the directory's permissions and free space",
                 {directory.string()},
                 {}};
  }
  return files;
}

}  // namespace migrate
