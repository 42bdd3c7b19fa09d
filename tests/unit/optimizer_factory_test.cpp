// make_optimizer and what the optimizer files share: names, settings, rngs.
#include <catch2/catch.hpp>

#include "tuning/optimizer.hpp"
#include "tuning/optimizer_makers.hpp"

using namespace lagom;
using namespace lagom::tuning;
using Catch::Matchers::StartsWith;

namespace {

searchspace small_space() {
  searchspace sp;
  REQUIRE(searchspace::parse("x: double [0, 1]; n: integer [1, 3]; c: categorical [a, b]", sp)
            .is_ok());
  return sp;
}

optimizer_options named(const std::string& name) {
  optimizer_options o;
  o.name = name;
  o.seed = 3;
  return o;
}

} // namespace

TEST_CASE("the factory lists random, grid and de first, and makes each listed name",
          "[optimizer]") {
  auto names = optimizer_names();
  REQUIRE(names.size() >= 3);
  CHECK(names[0] == "random");
  CHECK(names[1] == "grid");
  CHECK(names[2] == "de");
  auto sp = small_space();
  for (const auto& n : names) {
    std::unique_ptr<optimizer> opt;
    INFO(n);
    REQUIRE(make_optimizer(sp, named(n), opt).is_ok());
    REQUIRE(opt != nullptr);
    CHECK(opt->name() == n);
    // Only random and grid ask the same whatever they were told.
    CHECK(opt->learns() == (n != "random" && n != "grid"));
    trial t;
    REQUIRE(opt->ask(t) == ask_status::ready);
    CHECK(sp.check(t.config).is_ok());
  }
}

TEST_CASE("an unknown optimizer is named, with a did-you-mean", "[optimizer]") {
  std::unique_ptr<optimizer> opt;
  auto st = make_optimizer(small_space(), named("gird"), opt);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == "gird");
  CHECK_THAT(st.message(), StartsWith("unknown optimizer; did you mean 'grid'? (known: random, "
                                      "grid, de"));
  st = make_optimizer(small_space(), named("simulated_annealing"), opt);
  CHECK_THAT(st.message(), StartsWith("unknown optimizer (known: random, grid, de"));
  CHECK(opt == nullptr);
}

TEST_CASE("an empty space is refused, naming the space", "[optimizer]") {
  std::unique_ptr<optimizer> opt;
  auto st = make_optimizer(searchspace{}, named("random"), opt);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.to_string() == "space: the search space has no dimension");
}

TEST_CASE("settings are checked by name, type and range", "[optimizer]") {
  struct bad {
    const char* optimizer;
    const char* key;
    value v;
    const char* error;
  };
  auto c = GENERATE(
    bad{"de", "populaton", 8.0,
        "de: populaton: unknown setting; did you mean 'population'? (de takes: population, "
        "mutation, crossover)"},
    bad{"random", "grid_points", 3.0, "random: grid_points: unknown setting (random takes: none)"},
    bad{"de", "population", 3.0, "de: population: must be within [4, 10000], got 3"},
    bad{"de", "population", 4.5, "de: population: must be an integer, got 4.5"},
    bad{"de", "mutation", std::string("big"), "de: mutation: must be a number, got 'big'"},
    bad{"de", "crossover", 1.5, "de: crossover: must be within [0, 1], got 1.5"},
    bad{"grid", "grid_points", 0.0, "grid: grid_points: must be within [1, 1000], got 0"},
    bad{"grid", "grid_points", 2.5, "grid: grid_points: must be an integer, got 2.5"});
  auto o = named(c.optimizer);
  o.settings.set(c.key, c.v);
  std::unique_ptr<optimizer> opt;
  auto st = make_optimizer(small_space(), o, opt);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.to_string() == c.error);
}

TEST_CASE("a setting reads as its declared default when absent and its value when given",
          "[optimizer]") {
  auto o = named("de");
  const optimizer_spec* de = find_optimizer("de");
  REQUIRE(de != nullptr);
  CHECK(setting(o, *de, "mutation") == 0.5);
  o.settings.set("mutation", 0.8);
  REQUIRE(check_settings(o, *de).is_ok());
  CHECK(setting(o, *de, "mutation") == 0.8);
  o.settings.set("mutation", std::nan(""));
  CHECK_FALSE(check_settings(o, *de).is_ok());
}

TEST_CASE("every optimizer declares its settings and whether it is budgeted", "[optimizer]") {
  REQUIRE(optimizer_specs().size() == optimizer_names().size());
  for (auto* s : optimizer_specs())
    for (auto& d : s->settings) {
      CHECK(d.min <= d.fallback);
      CHECK(d.fallback <= d.max);
    }
  CHECK(optimizer_budgeted("asha"));
  CHECK(optimizer_budgeted("hyperband"));
  CHECK_FALSE(optimizer_budgeted("tpe"));
  CHECK_FALSE(optimizer_budgeted("nonesuch"));
  CHECK(find_optimizer("grid")->settings.at(0).name == std::string("grid_points"));
}

TEST_CASE("trial_rng depends on the seed and the trial id only", "[optimizer]") {
  CHECK(trial_rng(1, 5)() == trial_rng(1, 5)());
  CHECK(trial_rng(1, 5)() != trial_rng(1, 6)());
  CHECK(trial_rng(1, 5)() != trial_rng(2, 5)());
}

TEST_CASE("outcomes have stable names", "[optimizer]") {
  CHECK(std::string(to_string(outcome::finished)) == "finished");
  CHECK(std::string(to_string(outcome::failed)) == "failed");
  CHECK(std::string(to_string(outcome::stopped_early)) == "stopped_early");
}
