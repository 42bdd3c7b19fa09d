// data::read_idx: a reader for IDX files, the format of MNIST and Fashion-MNIST.
//
// Format (all integers big-endian):
//
//   offset  size        field
//   0       2           0x00 0x00
//   2       1           type code: 0x08 ubyte, 0x09 sbyte, 0x0B int16,
//                       0x0C int32, 0x0D float32, 0x0E float64
//   3       1           ndims (>= 1)
//   4       4 * ndims   sizes, uint32 each, outermost first
//   4+4*nd  prod(sizes) * element size bytes of data, row-major
//
// E.g. t10k-images-idx3-ubyte starts 0x00000803 (ubyte, 3 dims), then 10000,
// 28, 28; t10k-labels-idx1-ubyte starts 0x00000801, then 10000.
//
// The file may be gzip-compressed (read through zlib, as shipped) or plain; a
// name ending in ".gz" must hold gzip data. Nothing may follow the data.
//
// Errors are values; `where` is always the path, the message says what was
// wrong and at which byte (uncompressed offset).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lagom/status.hpp"

namespace lagom::data {

enum class idx_type : uint8_t {
  u8 = 0x08,
  i8 = 0x09,
  i16 = 0x0B,
  i32 = 0x0C,
  f32 = 0x0D,
  f64 = 0x0E,
};

/// Bytes per element: 1, 1, 2, 4, 4, 8; 0 for a code that is not an idx_type.
size_t element_size(idx_type t) noexcept;

/// "ubyte", "sbyte", "short", "int", "float", "double" (the IDX names).
const char* to_string(idx_type t) noexcept;

/// What a header may claim before anything is allocated. The sizes are read
/// before the data, so without a cap a 16-byte file claiming 2^32 x 2^32 x ...
/// elements would make the reader try to allocate that much.
struct idx_limits {
  uint64_t max_bytes = uint64_t{1} << 31;  ///< cap on prod(sizes) * element size
  uint32_t max_dims = 8;                   ///< cap on ndims (the byte allows 255)
};

/// A whole IDX file in memory. `bytes` holds the elements in host byte order,
/// element_size(type) bytes each, so `u8()` is the data itself and the typed
/// accessors copy nothing but one element.
struct idx_array {
  idx_type type = idx_type::u8;
  std::vector<uint32_t> dims;
  std::vector<uint8_t> bytes;

  /// prod(dims): the number of elements.
  uint64_t count() const noexcept;
  /// Element i converted to double (exact for every IDX type).
  double value(uint64_t i) const noexcept;
  /// The raw data when type is u8; nullptr otherwise.
  const uint8_t* u8() const noexcept {
    return type == idx_type::u8 ? bytes.data() : nullptr;
  }
};

/// Reads `path` (gzip or plain) into `out`. On success `out` holds the array;
/// on failure `out` is left empty and the status is one of:
///   not_found         the file does not exist;
///   io_error          it cannot be opened or read, or its gzip stream is corrupt;
///   invalid_argument  not IDX: bad magic, unsupported type code, no/too many
///                     dims, truncated ("ends after N of M bytes"), trailing
///                     bytes, over `limits`, or named .gz but not gzip.
status read_idx(const std::string& path, idx_array& out, const idx_limits& limits = {});

/// The four magic bytes as one number, e.g. 0x00000803 (for messages).
std::string magic_hex(uint32_t magic);

} // namespace lagom::data
