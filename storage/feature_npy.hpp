// storage/feature_npy: NumPy .npy files (format versions 1.0, 2.0, 3.0) of a
// 2-D numeric array as a frame, and 2-D arrays back to .npy.
//
// Format: the magic "\x93NUMPY", major and minor version bytes, a header
// length (u16 little-endian for 1.x, u32 for 2.x and 3.x), then the header: a
// Python dict literal {'descr': '<f8', 'fortran_order': False, 'shape': (R, C), }
// padded with spaces and a newline, then R x C elements in C (row-major) or
// Fortran (column-major) order.
//
// Reading gives columns col_0 .. col_{C-1} (as numpy.savetxt and hops name an
// array's columns): dtypes '<f8' -> float64, '<f4' -> float32, and the
// integers '|i1' '<i2' '<i4' '<i8' '|u1' '<u2' '<u4' -> int64. Refused, as
// invalid_argument whose where is "<path>: header field '<field>'" or the path:
// a bad magic, an unknown version, a header that does not parse or lacks a
// field, another dtype (big-endian, '<u8', complex, object, strings), a shape
// that is not 2-D, more than max_feature_columns columns, R x C x itemsize past
// max_bytes (absurd dimensions), a file shorter (truncated) or longer than
// the header says.
//
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lagom/status.hpp"
#include "storage/feature_frame.hpp"

namespace lagom::storage {

struct npy_options {
  /// The largest data section read: a header claiming more is refused before
  /// anything is allocated.
  uint64_t max_bytes = uint64_t{8} << 30;
};

status read_npy(const std::string& path, const npy_options& options, feature_frame* out);

/// Parses .npy bytes as read_npy would a file named `path`.
status parse_npy(std::string_view bytes, const std::string& path, const npy_options& options,
                 feature_frame* out);

/// Writes a 2-D C-order array `rows` x `cols` of dtype `descr` ('<f4', '<f8',
/// '<i8', '|u1') whose elements are `data` (rows*cols*itemsize bytes), as
/// format version 1.0.
status write_npy(const std::string& path, std::string_view descr, uint64_t rows, uint64_t cols,
                 std::string_view data);

} // namespace lagom::storage
