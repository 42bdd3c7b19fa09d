// tensorboard::crc32c: the byte-at-a-time table version of CRC-32C (see
// crc32c.hpp). table[b] is the CRC register after shifting byte b through the
// reflected polynomial eight times; each input byte then costs one lookup.
// Fast enough for scalar summaries (a few dozen bytes a record); slicing-by-8
// or the SSE4.2 crc32 instruction would be the next steps if it ever mattered.
#include "tensorboard/crc32c.hpp"

#include <array>

namespace lagom::tensorboard {

namespace {

constexpr uint32_t polynomial = 0x82F63B78u;  // 0x1EDC6F41 bit-reversed

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 1) ? (crc >> 1) ^ polynomial : crc >> 1;
    table[b] = crc;
  }
  return table;
}

constexpr std::array<uint32_t, 256> table = make_table();

static_assert(table[1] == 0xF26B8303u, "CRC-32C table entry 1");
static_assert(table[128] == polynomial, "CRC-32C table entry 128");

} // namespace

uint32_t crc32c_extend(uint32_t crc, const void* data, size_t n) noexcept {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t reg = ~crc;
  for (size_t i = 0; i < n; ++i)
    reg = table[(reg ^ p[i]) & 0xFF] ^ (reg >> 8);
  return ~reg;
}

uint32_t crc32c(const void* data, size_t n) noexcept {
  return crc32c_extend(0, data, n);
}

} // namespace lagom::tensorboard
