#include "libmigrate/history/timestamp.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>

namespace migrate {

std::string utc_timestamp() {
  auto now = std::chrono::system_clock::now();
  auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - seconds).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", seconds, ms);
}

}  // namespace migrate
