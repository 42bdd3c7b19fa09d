// tensorboard::crc32c: CRC-32C (Castagnoli), the checksum of TFRecord framing.
//
// Reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF:
//   crc32c("123456789") == 0xE3069283, crc32c(32 zero bytes) == 0x8A9136AA.
// Table-driven, one byte at a time (256 entries built once, at compile time).
//
// TFRecord stores checksums masked, so that a CRC of data that itself holds
// CRCs is less likely to be degenerate:
//   masked = ((crc >> 15) | (crc << 17)) + 0xA282EAD8   (mod 2^32)
#pragma once

#include <cstddef>
#include <cstdint>

namespace lagom::tensorboard {

/// The CRC-32C of `n` bytes at `data`.
uint32_t crc32c(const void* data, size_t n) noexcept;

/// Continues `crc` (a finished crc32c of some prefix) over `n` more bytes:
/// crc32c_extend(crc32c(a), b) == crc32c(a followed by b).
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t n) noexcept;

/// TFRecord's mask and its inverse.
constexpr uint32_t mask_crc(uint32_t crc) noexcept {
  return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}
constexpr uint32_t unmask_crc(uint32_t masked) noexcept {
  uint32_t rot = masked - 0xA282EAD8u;
  return (rot >> 17) | (rot << 15);
}

} // namespace lagom::tensorboard
