#include "wire/read.hpp"

#include <cstdio>

namespace lagom::wire {

std::string describe_mismatch(uint64_t expected, const std::string& expected_name,
                              uint64_t got) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "wrong schema: expected %s (%016llx), got %016llx",
                expected_name.c_str(), static_cast<unsigned long long>(expected),
                static_cast<unsigned long long>(got));
  return buf;
}

} // namespace lagom::wire
