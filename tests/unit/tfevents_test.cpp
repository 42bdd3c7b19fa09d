// tensorboard::crc32c against the standard test vectors and an independent,
// bitwise CRC-32C written here.
#include <catch2/catch.hpp>

#include <string>

#include "tensorboard/crc32c.hpp"

using namespace lagom;
using namespace lagom::tensorboard;

namespace {

// CRC-32C one bit at a time, straight from the definition.
uint32_t bitwise_crc32c(const std::string& s) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : s) {
    crc ^= c;
    for (int k = 0; k < 8; ++k)
      crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

uint32_t masked(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u; }

} // namespace

TEST_CASE("crc32c matches the standard vectors and a bitwise CRC", "[crc32c]") {
  const std::string digits = "123456789";
  CHECK(crc32c(digits.data(), digits.size()) == 0xE3069283u);
  CHECK(bitwise_crc32c(digits) == 0xE3069283u);
  const std::string zeros(32, '\0'), ones(32, '\xFF');
  std::string ascending;
  for (int i = 0; i < 32; ++i)
    ascending.push_back(static_cast<char>(i));
  CHECK(crc32c(zeros.data(), 32) == 0x8A9136AAu);  // RFC 3720, B.4
  CHECK(crc32c(ones.data(), 32) == 0x62A8AB43u);
  CHECK(crc32c(ascending.data(), 32) == 0x46DD794Eu);
  CHECK(crc32c("", 0) == 0u);

  std::string text;
  for (int i = 0; i < 300; ++i)
    text.push_back(static_cast<char>((i * 131 + 7) % 256));
  for (size_t n : {1, 7, 8, 63, 300}) {
    const std::string part = text.substr(0, n);
    CHECK(crc32c(part.data(), n) == bitwise_crc32c(part));
    CHECK(crc32c_extend(crc32c(part.data(), n / 2), part.data() + n / 2, n - n / 2) ==
          bitwise_crc32c(part));
  }
  CHECK(mask_crc(0xE3069283u) == masked(0xE3069283u));
  CHECK(unmask_crc(mask_crc(0x12345678u)) == 0x12345678u);
}
