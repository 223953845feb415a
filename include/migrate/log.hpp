#pragma once

#include <functional>
#include <string>

namespace migrate {

enum class LogLevel { kDebug, kInfo, kWarn };

// Where the library's progress messages go. The library has no logger of its own (no global
// state): a service passes its own sink; without one, nothing is logged.
using LogSink = std::function<void(LogLevel, const std::string& message)>;

}  // namespace migrate
