// cli::table: an aligned text table for the shell and `lagom run` output,
// plus format_bytes, format_duration and format_timestamp for its cells.
//
//   table t({"NODE", "CPUS", "STATE"});
//   t.add_row({"n1", "16", "up"});
//   t.add_row({"n2", "4", "draining"});
//   std::cout << t;
// prints
//   NODE  CPUS  STATE
//   ----  ----  --------
//   n1      16  up
//   n2       4  draining
//
// Contract of render():
//  - An optional title comes first, on its own line.
//  - Columns are separated by two spaces; each is as wide as its widest cell
//    or header, counting UTF-8 code points. The underline is one '-' per
//    column width.
//  - A column is numeric when it has at least one non-empty cell and every
//    non-empty cell is a number, -?(D+(.D*)?|.D+)([eE][+-]?D+)? as in the
//    script lexer; numeric columns, header included, are right-aligned,
//    others left-aligned.
//  - A row shorter than the widest row or the headers is padded with empty
//    cells; the table has as many columns as the longest of them.
//  - Every line ends with '\n' and carries no trailing spaces.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "lagom/status.hpp"

namespace lagom::cli {

class table {
public:
  explicit table(std::vector<std::string> headers);

  void set_title(std::string title) { title_ = std::move(title); }
  void add_row(std::vector<std::string> cells);
  size_t row_count() const { return rows_.size(); }

  std::string render() const;
  void print(std::ostream& os) const { os << render(); }

private:
  std::string title_;
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

inline std::ostream& operator<<(std::ostream& os, const table& t) {
  t.print(os);
  return os;
}

/// True when `cell` is a plain decimal number (see table's contract).
bool is_numeric_cell(const std::string& cell);

/// Bytes in binary units with one decimal above 1 KiB: "512 B", "1.5 KiB",
/// "3.0 GiB" (up to PiB).
std::string format_bytes(uint64_t bytes);

/// A duration: "0 ms".."999 ms", "1.0 s".."59.9 s", "1m 05s", "2h 03m",
/// "3d 04h". Negative durations get a leading '-'.
std::string format_duration(double seconds);

/// The RESULT cell of a run that did not succeed: "CANCELLED: why" for a
/// run its driver was told to stop, else "FAILED: status".
std::string failure_cell(const status& result);
/// Whether `result` is a run cut short because its driver was told to stop
/// (SIGTERM, SIGINT, scancel): errc::unavailable, "cancelled: why".
bool cancelled(const status& result);

/// A moment in UTC, ISO 8601 with milliseconds: "2024-05-01T12:00:01.234Z"
/// (milliseconds since the Unix epoch; negative ones read as 0).
std::string format_timestamp(int64_t wall_ms);

} // namespace lagom::cli
