#include "cli/backfill_progress_bar.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace migrate::cli {
namespace {

std::string duration_text(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

}  // namespace

bool BackfillProgressBar::wanted_on_stderr() {
  const char* term = std::getenv("TERM");
  return isatty(STDERR_FILENO) == 1 && !(term != nullptr && std::string(term) == "dumb");
}

bool BackfillProgressBar::colour_on_stderr() {
  const char* no_colour = std::getenv("NO_COLOR");
  return wanted_on_stderr() && (no_colour == nullptr || *no_colour == '\0');
}

void BackfillProgressBar::draw(const BackfillProgress& p) {
  constexpr int kWidth = 24;
  std::string bar;
  std::string percent;
  if (p.rows_estimated && *p.rows_estimated > 0) {
    const double fraction =
        p.finished ? 1.0
                   : std::clamp(static_cast<double>(p.rows_done) / *p.rows_estimated, 0.0, 0.99);
    const int filled = static_cast<int>(fraction * kWidth);
    bar = "[" + std::string(static_cast<std::size_t>(filled), '#') +
          std::string(static_cast<std::size_t>(kWidth - filled), '.') + "] ";
    percent = fmt::format("{:3.0f}% ", fraction * 100);
  }
  if (colour_ && !bar.empty()) bar = "\x1b[32m" + bar + "\x1b[0m";
  std::string line = fmt::format(
      "backfill V{} {} {}{}{} rows, {} batches, {:.0f} rows/s{}", p.version, p.table, bar, percent,
      p.rows_done, p.batches, p.rows_per_second,
      p.finished ? std::string(", done")
                 : (p.eta_seconds ? ", ETA " + duration_text(*p.eta_seconds) : std::string()));
  // \r and erase-line: the next draw replaces this one; the last one ends the line.
  std::fputs(("\r\x1b[2K" + line + (p.finished ? "\n" : "")).c_str(), out_);
  std::fflush(out_);
}

}  // namespace migrate::cli
