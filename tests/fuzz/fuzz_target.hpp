// The contract every fuzz target in tests/fuzz implements, shared by the two
// drivers that call it:
//  - libFuzzer (clang, scripts/fuzz, build-fuzz/): coverage-guided;
//  - mutator_main.cpp (any compiler, every ctest run): a deterministic seeded
//    mutator over the target's corpus (tests/fuzz/corpus/<target>/).
//
// LLVMFuzzerTestOneInput(data, size) feeds one input to the code under test
// and returns 0. Bad input must come back as an error status: a crash, an
// abort, a sanitizer report or a failed fuzz_check is a finding. The target
// must not keep state between calls (each call is independent), must not
// print on the normal path, and must be deterministic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace lagom::fuzz {

/// An invariant of the code under test (a round trip, a promise of its
/// header): prints `what` and aborts when `ok` is false, so that both drivers
/// record the input that broke it.
inline void fuzz_check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_check failed: %s\n", what);
    std::abort();
  }
}

} // namespace lagom::fuzz
