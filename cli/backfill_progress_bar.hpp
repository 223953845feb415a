// The progress bar `migrate apply` draws on a terminal while a backfill runs: one line on stderr,
// redrawn in place after every batch (rows, percentage, rate, ETA). Not used when stderr is not a
// terminal: the engine then logs a progress line every few seconds instead.
#pragma once

#include <cstdio>

#include "migrate/run.hpp"

namespace migrate::cli {

class BackfillProgressBar {
 public:
  // `colour`: highlight the bar (off with NO_COLOR, https://no-color.org).
  BackfillProgressBar(std::FILE* out, bool colour) : out_(out), colour_(colour) {}

  void draw(const BackfillProgress& p);

  // Whether stderr is a terminal that can redraw a line in place.
  static bool wanted_on_stderr();
  static bool colour_on_stderr();

 private:
  std::FILE* out_;
  bool colour_;
};

}  // namespace migrate::cli
