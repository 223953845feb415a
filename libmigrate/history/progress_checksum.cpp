#include "libmigrate/history/progress_checksum.hpp"

#include "migrate/source.hpp"

namespace migrate {

std::string progress_checksum(const std::vector<std::string_view>& completed_statements) {
  std::string joined;
  for (auto s : completed_statements) {
    joined += s;
    joined += '\0';
  }
  return checksum_v1(joined);
}

}  // namespace migrate
