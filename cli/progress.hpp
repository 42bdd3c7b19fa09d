// cli::progress_printer: shows a launch's progress_events as they come.
//   On a terminal: one live line per run, redrawn in place,
//     run 0 epoch 1/2 [##########..........]  52%  loss 0.5123  acc 0.8120  2345 samples/s
//   and a full line at the end of every epoch. Elsewhere (a pipe, a log):
//   only the end-of-epoch lines. Restarts and failures always get a line.
// Called from the launch's driver thread, one event at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "lagom/cluster.hpp"

namespace lagom::cli {

class progress_printer {
public:
  progress_printer(std::ostream& out, bool tty) : out_(out), tty_(tty) {}
  void operator()(const progress_event& ev);

private:
  void end_live_line();

  std::ostream& out_;
  bool tty_;
  bool live_ = false; // a redrawn line is on screen
};

/// "[##########..........]" for `fraction` in [0, 1].
std::string progress_bar(double fraction, int width = 20);

/// A chunked write's progress (lagom::feature_store::on_upload) for group
/// `group`:
///   upload fm [##########..........]  50%  23.5 of 47.1 MB
/// on a terminal one line redrawn in place (ended at 100%); elsewhere a line
/// at the start and at each further quarter.
std::function<void(uint64_t, uint64_t)> upload_progress(std::ostream& out, bool tty,
                                                        std::string group);

} // namespace lagom::cli
