// random_search: seeded uniform draws, a trial budget, resume.
#include <catch2/catch.hpp>

#include <map>

#include "tuning/optimizer.hpp"

using namespace lagom;
using namespace lagom::tuning;

namespace {

searchspace space() {
  searchspace sp;
  REQUIRE(searchspace::parse("lr: double [1e-4, 1e-1] log; units: integer [1, 4]; "
                             "opt: categorical [adam, sgd]",
                             sp)
            .is_ok());
  return sp;
}

std::unique_ptr<optimizer> make(uint64_t seed, uint32_t num_trials = 0) {
  optimizer_options o;
  o.name = "random";
  o.seed = seed;
  o.num_trials = num_trials;
  std::unique_ptr<optimizer> opt;
  REQUIRE(make_optimizer(space(), o, opt).is_ok());
  return opt;
}

std::vector<std::string> keys(optimizer& opt, uint32_t first, uint32_t n) {
  std::vector<std::string> out;
  auto sp = space();
  for (uint32_t id = first; id < first + n; ++id) {
    trial t;
    t.id = id;
    REQUIRE(opt.ask(t) == ask_status::ready);
    REQUIRE(sp.check(t.config).is_ok());
    out.push_back(config_key(sp, t.config));
  }
  return out;
}

} // namespace

TEST_CASE("the same seed gives the same configurations, another seed others", "[random]") {
  auto a = make(11), b = make(11), c = make(12);
  auto ka = keys(*a, 0, 50);
  CHECK(ka == keys(*b, 0, 50));
  CHECK(ka != keys(*c, 0, 50));
}

TEST_CASE("draws are uniform over each dimension's values", "[random]") {
  auto opt = make(5);
  std::map<double, int> units;
  std::map<std::string, int> opts;
  auto sp = space();
  for (uint32_t id = 0; id < 4000; ++id) {
    trial t;
    t.id = id;
    REQUIRE(opt->ask(t) == ask_status::ready);
    ++units[t.config.number("units", 0)];
    ++opts[t.config.text("opt", "")];
  }
  REQUIRE(units.size() == 4);
  for (auto& [v, n] : units)
    CHECK(std::abs(n - 1000) < 120);  // ~4 standard deviations
  CHECK(std::abs(opts["adam"] - 2000) < 130);
}

TEST_CASE("the budget counts adopted trials too", "[random]") {
  auto opt = make(1, 5);
  trial t;
  t.id = 0;
  opt->adopt(t);
  t.id = 1;
  opt->adopt(t);
  for (uint32_t id = 2; id < 5; ++id) {
    trial u;
    u.id = id;
    CHECK(opt->ask(u) == ask_status::ready);
  }
  trial last;
  last.id = 5;
  CHECK(opt->ask(last) == ask_status::exhausted);
}

TEST_CASE("a resumed search goes on with the uninterrupted one's configurations", "[random]") {
  auto whole = make(9);
  auto all = keys(*whole, 0, 30);
  auto resumed = make(9);
  for (uint32_t id = 0; id < 20; ++id) {
    trial t;
    t.id = id;
    resumed->adopt(t);
    resumed->tell({t, outcome::finished, 1.0});
  }
  auto rest = keys(*resumed, 20, 10);
  CHECK(rest == std::vector<std::string>(all.begin() + 20, all.end()));
}
