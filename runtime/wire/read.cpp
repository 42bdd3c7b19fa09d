#include "wire/read.hpp"

#include <cstdio>
#include <cstring>

namespace lagom::wire {

std::string describe_mismatch(uint64_t expected, const std::string& expected_name,
                              uint64_t got) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "wrong schema: expected %s (%016llx), got %016llx",
                expected_name.c_str(), static_cast<unsigned long long>(expected),
                static_cast<unsigned long long>(got));
  return buf;
}

std::string describe_traversal(size_t frame_words, uint64_t limit) {
  return "amplified frame: a frame of " + std::to_string(frame_words)
         + " words made its reader visit more than " + std::to_string(limit)
         + " words (its traversal limit)";
}

namespace detail {

namespace {

constexpr size_t first_scratch_words = 1024;    // 8 KiB, Cap'n Proto's own default
constexpr size_t max_scratch_words = 128 * 1024; // 1 MiB

struct scratch {
  kj::Array<capnp::word> words;
  bool leased = false;

  void reset(size_t n) {
    words = kj::heapArray<capnp::word>(n);
    std::memset(words.begin(), 0, n * sizeof(capnp::word));
  }
};

thread_local scratch this_thread;

} // namespace

scratch_lease::scratch_lease() {
  auto& s = this_thread;
  if (s.leased)
    return;
  if (s.words.size() == 0)
    s.reset(first_scratch_words);
  s.leased = true;
  segment_ = s.words.asPtr();
}

scratch_lease::~scratch_lease() {
  if (segment_.size() > 0)
    this_thread.leased = false;
}

void scratch_lease::fit(size_t words) {
  auto& s = this_thread;
  if (segment_.size() == 0 || words <= s.words.size() || words > max_scratch_words)
    return;
  size_t n = s.words.size();
  while (n < words)
    n *= 2;
  s.reset(n);
  segment_ = s.words.asPtr();
}

} // namespace detail

} // namespace lagom::wire
