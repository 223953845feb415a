// The migration file name parser and version ordering: a name that parses is rebuilt exactly from
// its parts, and versions compare as a total order.
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/property.hpp"
#include "libmigrate/source/migration_file_name.hpp"
#include "migrate/version.hpp"

namespace {

using migrate::Version;
using migrate::fuzz::require;

std::strong_ordering reversed(std::strong_ordering o) {
  return o == std::strong_ordering::less
             ? std::strong_ordering::greater
             : (o == std::strong_ordering::greater ? std::strong_ordering::less : o);
}

void check_file_name(std::string_view input) {
  auto parsed = migrate::parse_migration_file_name(input);
  if (!parsed) return;
  require(!input.empty() && (input.front() == 'V' || input.front() == 'v'),
          "a migration file name starts with V");
  std::string rebuilt = std::string(1, input.front()) + parsed->version.original() + "__" +
                        parsed->name + migrate::file_suffix(parsed->role);
  require(rebuilt == input, "a parsed file name is its version, name and role");
  require(!parsed->name.empty(), "a migration name is not empty");
  auto again = Version::parse(parsed->version.str());
  require(again && *again == parsed->version && again->str() == parsed->version.str(),
          "a canonical version parses to itself");
}

void check_ordering(const std::vector<Version>& versions) {
  for (const auto& a : versions) {
    require((a <=> a) == std::strong_ordering::equal, "a version equals itself");
    for (const auto& b : versions) {
      const auto ab = a <=> b;
      require(ab == reversed(b <=> a), "version comparison is antisymmetric");
      require((ab == std::strong_ordering::equal) == (a == b), "<=> and == agree");
      for (const auto& c : versions) {
        if (ab == std::strong_ordering::less && (b <=> c) == std::strong_ordering::less)
          require((a <=> c) == std::strong_ordering::less, "version comparison is transitive");
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_file_name(input);
  // The same bytes as up to three versions, one a line, to compare with each other.
  std::vector<Version> versions;
  std::string_view rest = input;
  for (int i = 0; i < 3 && !rest.empty(); ++i) {
    auto nl = rest.find('\n');
    if (auto v = Version::parse(rest.substr(0, nl))) versions.push_back(*v);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  }
  check_ordering(versions);
  return 0;
}
