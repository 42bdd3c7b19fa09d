// storage/feature_csv: a CSV file as a feature_frame (RFC 4180), and a
// frame back to CSV.
//
// Reading:
//  - The first record is the header: each field a feature name
//    (check_feature_name), none twice.
//  - Fields are separated by `delimiter`, records by LF or CRLF; a field in
//    double quotes may hold delimiters, line breaks and "" (one quote). A UTF-8
//    byte order mark at the start is skipped. Blank lines are skipped (so in a
//    one-column file an empty value needs quotes: "").
//  - Types: a column named in csv_options::types has that type (int64,
//    float32, float64 or string); every other column is int64 when all its
//    non-empty fields are integers, else float64 when all are numbers, else
//    string. An empty field is a null in a number column and the empty
//    string in a string column. Numbers may carry
//    surrounding spaces; "nan" and "inf" are numbers.
//  - Refused, as invalid_argument whose where is "<path>:<line>:<column>"
//    (1-based; the column counts bytes of the physical line) or
//    "<path>: header field '<name>'": a NUL byte, a quote inside an unquoted
//    field, text after a closing quote, an unterminated quote (pointing at
//    it), a record with more or fewer fields than the header (ragged), a
//    field over max_field_bytes, more than max_columns columns, a value that
//    does not parse as its declared type, a bad or duplicate header name, a
//    declared type for a column the header lacks, an empty file, a header
//    with no data rows. A missing file is not_found, an unreadable one
//    io_error, where = the path.
//
// Writing: a header of the column names, then a record per row; strings
// quoted when they hold the delimiter, a quote or a line break; vectors
// expand to "<name>_<i>" columns; nulls as empty fields; floats with
// enough digits to read back the same value.
//
// Threading: pure functions.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "lagom/status.hpp"
#include "storage/feature_frame.hpp"

namespace lagom::storage {

struct csv_options {
  char delimiter = ',';
  /// Declared column types by name (the others are inferred).
  std::map<std::string, feature_type> types;
  /// The longest field: a runaway quote or a garbage file stops here.
  size_t max_field_bytes = max_string_bytes;
  size_t max_columns = max_feature_columns;
  /// The largest file read (bytes).
  size_t max_file_bytes = size_t{4} << 30;
};

/// Reads `path` into `out` (columns in header order). On error `out` is unchanged.
status read_csv(const std::string& path, const csv_options& options, feature_frame* out);

/// Parses `text` as read_csv would a file named `path` (for tests and for
/// text that arrives from elsewhere).
status parse_csv(std::string_view text, const std::string& path, const csv_options& options,
                 feature_frame* out);

/// Writes `frame` to `path` (replacing it).
status write_csv(const std::string& path, const feature_frame& frame, char delimiter = ',');

} // namespace lagom::storage
