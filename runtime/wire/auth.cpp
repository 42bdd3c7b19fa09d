#include "wire/auth.hpp"

#include <atomic>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace lagom::wire {

namespace {

// Read on every deserialized frame, on CAF's threads: an immutable string
// swapped atomically.
std::shared_ptr<const std::string>& token_slot() {
  static std::shared_ptr<const std::string> slot = std::make_shared<const std::string>();
  return slot;
}

std::shared_ptr<const std::string> current() {
  return std::atomic_load(&token_slot());
}

} // namespace

void set_cluster_token(std::string token) {
  std::atomic_store(&token_slot(), std::make_shared<const std::string>(std::move(token)));
}

std::string cluster_token() {
  return *current();
}

proof judge_token(std::string_view carried) {
  auto mine = current();
  if (carried.empty() || mine->empty())
    return proof::missing;
  return token_equal(carried, *mine) ? proof::proven : proof::wrong;
}

bool token_equal(std::string_view a, std::string_view b) noexcept {
  // Every byte of the longer one is visited; differences are OR-ed, never
  // branched on.
  const size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned diff = a.size() != b.size() ? 1u : 0u;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0 && n > 0;
}

std::string random_token() {
  unsigned char raw[16];
  std::FILE* f = std::fopen("/dev/urandom", "rb");
  if (f == nullptr)
    throw std::runtime_error("cannot open /dev/urandom for a cluster token");
  size_t got = std::fread(raw, 1, sizeof(raw), f);
  std::fclose(f);
  if (got != sizeof(raw))
    throw std::runtime_error("short read from /dev/urandom for a cluster token");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

const char* to_string(proof p) noexcept {
  switch (p) {
    case proof::missing:
      return "missing cluster token";
    case proof::wrong:
      return "wrong cluster token";
    default:
      return "";
  }
}

} // namespace lagom::wire
