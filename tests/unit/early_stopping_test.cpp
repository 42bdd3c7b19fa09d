// tuning::make_early_stopper: the rule by name, and bad settings named.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "tuning/early_stopping.hpp"

using namespace lagom;
using namespace lagom::tuning;

TEST_CASE("none gives no stopper, median and asha give theirs", "[early_stopping]") {
  std::unique_ptr<early_stopper> s;
  early_stopping_options o;
  REQUIRE(make_early_stopper(o, s).is_ok());
  CHECK(s == nullptr);
  o.name = "median";
  REQUIRE(make_early_stopper(o, s).is_ok());
  CHECK(std::string(s->name()) == "median");
  o.name = "asha";
  REQUIRE(make_early_stopper(o, s).is_ok());
  CHECK(std::string(s->name()) == "asha");
}

TEST_CASE("an unknown rule is named with a did-you-mean", "[early_stopping]") {
  std::unique_ptr<early_stopper> s;
  early_stopping_options o;
  o.name = "medain";
  auto st = make_early_stopper(o, s);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.message().find("'medain'; did you mean 'median'?") != std::string::npos);
}

TEST_CASE("bad settings are named", "[early_stopping]") {
  std::unique_ptr<early_stopper> s;
  early_stopping_options o;
  o.name = "median";
  o.interval = 0;
  CHECK(make_early_stopper(o, s).where() == "median: interval");
  o = {};
  o.name = "asha";
  o.reduction_factor = 1.5;
  CHECK(make_early_stopper(o, s).where() == "asha: reduction_factor");
  o.reduction_factor = 2;
  o.resource_min = 0;
  CHECK(make_early_stopper(o, s).where() == "asha: resource_min");
}
