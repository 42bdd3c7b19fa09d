// storage/log_file: the log files of runs, DATA/logs/<experiment>/<run>.log,
// one record per line:
//
//   <time> <level> <node> <message>
//   2024-05-01T12:00:01.234Z info node-1 epoch 3: loss 0.412
//
// time     UTC, ISO 8601 with milliseconds and 'Z' (always 24 characters)
// level    trace, debug, info, warn or error
// node     the node's name, "-" when none was given; never holds a space
// message  the rest of the line, spaces and all; '\' is written "\\", a
//          newline "\n", a carriage return "\r" and any other control
//          character but tab "\xNN", so a record is always one line.
//
// A message longer than max_text_bytes is cut there (a record is never
// refused for its length). Fields are separated by one space. Reading back
// passes over a line that does not parse (a hand edit, or the last line of a
// crash mid-write) and counts it.
//
// Plain C++, no CAF: the log_aggregator actor owns the files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lagom/status.hpp"

namespace lagom::storage {

struct log_record {
  std::string level;
  int64_t wall_ms = 0;  ///< milliseconds since the Unix epoch
  std::string node;     ///< empty when unknown
  std::string message;
};

/// Checks what a writer gives: level one of the five, node a name without
/// spaces or control characters (or empty). where = "level" or "node".
status check(const log_record& r);

/// The line of `r` with its '\n' (r must pass check; wall_ms is clamped to
/// years 1970..9999).
std::string format_line(const log_record& r);

/// Parses one line (without its '\n'); false when it is not a record line.
bool parse_line(std::string_view line, log_record* out);

/// "2024-05-01T12:00:01.234Z".
std::string format_time(int64_t wall_ms);
/// The inverse of format_time; false for anything else.
bool parse_time(std::string_view text, int64_t* wall_ms);

/// Reads every record of the file at `path`, oldest first, appending them to
/// *out; *bad (if given) counts the lines passed over. A missing file is
/// not_found, other failures io_error, each naming the path.
status read_log_file(const std::string& path, std::vector<log_record>* out,
                     size_t* bad = nullptr);

} // namespace lagom::storage
