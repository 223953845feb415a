// The messages a run logs (Options::log), kept for a test to look through. The sink may be called
// from the run's lock-watch thread while the test reads: every access takes the mutex.
#pragma once

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "migrate/log.hpp"

namespace migrate::testing {

class LogCapture {
 public:
  // A sink that appends to this capture, which must outlive every run it is given to.
  LogSink sink() {
    return [this](LogLevel level, const std::string& message) {
      std::lock_guard<std::mutex> g(mu_);
      lines_.emplace_back(level, message);
    };
  }
  // Every message so far, one per line.
  std::string all() {
    std::lock_guard<std::mutex> g(mu_);
    std::string out;
    for (const auto& [level, m] : lines_) out += m + "\n";
    return out;
  }
  // The messages that contain `needle`, in order.
  std::vector<std::string> containing(const std::string& needle) {
    std::lock_guard<std::mutex> g(mu_);
    std::vector<std::string> out;
    for (const auto& [level, m] : lines_)
      if (m.find(needle) != std::string::npos) out.push_back(m);
    return out;
  }
  bool has(const std::string& needle) { return !containing(needle).empty(); }

 private:
  std::mutex mu_;
  std::vector<std::pair<LogLevel, std::string>> lines_;
};

}  // namespace migrate::testing
