#pragma once

#include <string>

namespace migrate {

// ISO-8601 UTC with milliseconds, e.g. 2026-11-23T07:15:14.123Z: the history's time format,
// which sorts as text.
std::string utc_timestamp();

}  // namespace migrate
