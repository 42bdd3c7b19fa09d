#include "wire/frame.hpp"

#include <cstdio>
#include <cstring>

namespace lagom::wire {

frame::frame(uint64_t schema, kj::Array<capnp::word> words)
  : schema_(schema),
    words_(std::make_shared<const kj::Array<capnp::word>>(std::move(words))) {}

bool frame::from_bytes(uint64_t schema, const void* data, size_t n, frame& out) {
  out = frame{};
  if (n % sizeof(capnp::word) != 0)
    return false;
  auto words = kj::heapArray<capnp::word>(n / sizeof(capnp::word));
  if (n > 0)
    std::memcpy(words.begin(), data, n);
  out = frame{schema, std::move(words)};
  return true;
}

kj::ArrayPtr<const capnp::word> frame::words() const noexcept {
  if (!words_)
    return nullptr;
  return words_->asPtr();
}

const unsigned char* frame::bytes() const noexcept {
  if (!words_ || words_->size() == 0)
    return nullptr;
  return reinterpret_cast<const unsigned char*>(words_->begin());
}

std::string to_string(const frame& x) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "frame(%016llx, %zu bytes)",
                static_cast<unsigned long long>(x.schema()), x.size_bytes());
  return buf;
}

} // namespace lagom::wire
