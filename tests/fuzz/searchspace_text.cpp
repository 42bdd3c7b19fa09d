// Fuzz target: the search-space text (runtime/tuning/searchspace_text.cpp).
//
// Invariants checked: an error is invalid_argument; a space that parses
// prints (to_string) as canonical text that parses back to the same text;
// a configuration sampled with a fixed seed passes check(), and its unit
// coordinates decode back to values inside the space.
#include <cstdio>
#include <string>

#include "fuzz_target.hpp"
#include "tuning/searchspace.hpp"

using namespace lagom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  tuning::searchspace space;
  status st = tuning::searchspace::parse(text, space);
  if (!st.is_ok()) {
    fuzz::fuzz_check(st.code() == errc::invalid_argument, "a space error that is not invalid_argument");
    fuzz::fuzz_check(space.empty(), "parse() changed its output on error");
    return 0;
  }
  const std::string canonical = space.to_string();
  tuning::searchspace again;
  status st2 = tuning::searchspace::parse(canonical, again);
  if (!st2.is_ok())
    std::fprintf(stderr, "canonical text:\n%s\nerror: %s\n", canonical.c_str(), st2.to_string().c_str());
  fuzz::fuzz_check(st2.is_ok(), "the canonical text of a parsed space does not parse");
  fuzz::fuzz_check(again.to_string() == canonical, "the canonical text does not read back to itself");

  if (!space.empty()) {
    tuning::rng gen(12345);
    named_values config = space.sample(gen);
    fuzz::fuzz_check(space.check(config).is_ok(), "a sampled configuration fails check()");
    auto unit = space.to_unit(config);
    fuzz::fuzz_check(unit.size() == space.size(), "to_unit() gave the wrong count");
    named_values back = space.from_unit(unit);
    fuzz::fuzz_check(space.check(back).is_ok(), "from_unit(to_unit(x)) fails check()");
  }
  return 0;
}
