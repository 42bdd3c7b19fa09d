// storage/feature_chunk: the stored bytes of one column of a run of rows (a
// column chunk), as feature_store and training datasets keep them.
//
// Layout 1 (fixed-width numbers little-endian, the host order of x86-64 and
// aarch64, so a chunk is read by memcpy and one row by an offset):
//
//   u8  1 (layout)
//   u8  type (feature_type)            u8 flags: bit 0 = has validity bytes
//   u32 rows (big-endian)              u32 width (big-endian)
//   [rows bytes: 1 valid, 0 null]      when flags bit 0
//   data: int64/float64 8 bytes, float32 4, vectors width x 4 or width x 1 per
//         row; strings: (rows + 1) u32 offsets into the bytes that follow,
//         then the bytes.
//
// A chunk that does not parse is io_error with an empty where: the caller,
// who knows which chunk it read, names it (building that name only on error
// keeps a row lookup to a few microseconds).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "lagom/status.hpp"
#include "storage/feature_frame.hpp"

namespace lagom::storage {

/// Rows `begin`..`end` of `col` as one chunk.
std::string encode_chunk(const feature_column& col, size_t begin, size_t end);

/// The size of encode_chunk(col, begin, end), and the same bytes written to
/// `out` (which must hold that many): for writing a chunk in place (an LMDB
/// reserved value) without a copy.
size_t encoded_chunk_size(const feature_column& col, size_t begin, size_t end);
void encode_chunk_into(const feature_column& col, size_t begin, size_t end, char* out);

/// Appends every row of `chunk` to `col` (whose spec it must match).
status decode_chunk(std::string_view chunk, feature_column* col);

/// Appends row `row` of `chunk` to `col` without decoding the rest.
status decode_chunk_row(std::string_view chunk, size_t row, feature_column* col);

/// Rows per chunk for a schema: about 1 MiB of the widest rows, 1 to 65536.
size_t rows_per_chunk(const std::vector<feature_spec>& columns);

} // namespace lagom::storage
