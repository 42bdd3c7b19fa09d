// run_steps: set-up commands of an integration test (`lagom cert init`,
// `lagom cert issue`, ...), each run to its end in turn and required to
// exit 0, its output shown when it does not.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace lagom::test {

inline void run_steps(const std::string& binary,
                      const std::vector<std::vector<std::string>>& steps) {
  for (auto args : steps) {
    args.insert(args.begin(), binary);
    auto r = run(args, "", std::chrono::seconds(30));
    INFO(r.output);
    REQUIRE(r.code == 0);
  }
}

} // namespace lagom::test
