// tuning::hyperband: brackets, their budgets, round robin of new
// configurations, promotions inside a bracket, resume, settings.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "asha_checks.hpp"
#include "tuning/asha.hpp"
#include "tuning/optimizer_makers.hpp"

using namespace lagom;
using namespace lagom::tuning;

namespace {

searchspace x_space() {
  searchspace sp;
  REQUIRE(sp.add(dimension::real("x", 0, 1)).is_ok());
  return sp;
}

optimizer_options options(double r_max = 4) {
  optimizer_options o;
  o.name = "hyperband";
  o.seed = 3;
  o.settings.set("resource_max", r_max);
  return o;
}

std::unique_ptr<optimizer> hyperband(const searchspace& sp, double r_max = 4) {
  std::unique_ptr<optimizer> out;
  auto st = make_hyperband(sp, options(r_max), out);
  INFO(st.to_string());
  REQUIRE(st.is_ok());
  return out;
}

} // namespace

TEST_CASE("budgets 1..8 give four brackets starting at 1, 2, 4 and 8", "[hyperband]") {
  auto sp = x_space();
  auto opt = hyperband(sp, 8);
  auto& hb = dynamic_cast<asha_optimizer&>(*opt);
  REQUIRE(hb.brackets() == 4);
  for (size_t s = 0; s < 4; ++s) {
    INFO("bracket " << s);
    REQUIRE(hb.ladder(s).rungs() == 4 - s);
    double b = static_cast<double>(1u << s);
    for (size_t k = 0; k < hb.ladder(s).rungs(); ++k, b *= 2)
      CHECK(hb.ladder(s).budget(k) == b);
  }
}

TEST_CASE("new configurations go to the brackets in turn, at each one's lowest budget",
          "[hyperband]") {
  auto sp = x_space();
  auto opt = hyperband(sp);  // brackets start at 1, 2, 4
  uint32_t id = 0;
  const double budgets[3] = {1, 2, 4};
  for (uint32_t i = 0; i < 9; ++i) {
    auto t = ask_one(*opt, id);
    CHECK(t.bracket == i % 3);
    CHECK(t.budget == budgets[i % 3]);
  }
}

TEST_CASE("a promotion stays in its bracket and does not move the round robin",
          "[hyperband]") {
  auto sp = x_space();
  auto opt = hyperband(sp);
  uint32_t id = 0;
  std::vector<trial> t;
  for (int i = 0; i < 6; ++i)
    t.push_back(ask_one(*opt, id));  // brackets 0 1 2 0 1 2
  opt->tell({t[0], outcome::finished, 0.2});
  opt->tell({t[3], outcome::finished, 0.1});
  opt->tell({t[1], outcome::finished, 0.9});
  opt->tell({t[4], outcome::finished, 0.8});
  auto p = ask_one(*opt, id);
  CHECK(p.bracket == 0);
  CHECK(p.budget == 2);
  CHECK(config_key(sp, p.config) == config_key(sp, t[3].config));
  CHECK(p.parent == t[3].id);
  auto q = ask_one(*opt, id);
  CHECK(q.bracket == 1);
  CHECK(q.budget == 4);
  CHECK(config_key(sp, q.config) == config_key(sp, t[4].config));
  CHECK(q.parent == t[4].id);
  auto n = ask_one(*opt, id);  // the seventh new configuration: bracket 6 mod 3
  CHECK(n.bracket == 0);
  CHECK(n.budget == 1);
}

TEST_CASE("a resumed Hyperband asks what the uninterrupted one asks", "[hyperband]") {
  auto sp = x_space();
  auto original = hyperband(sp, 8);
  std::vector<trial> table;
  std::vector<trial_result> told;
  uint32_t id = 0;
  for (int i = 0; i < 30; ++i) {
    auto t = ask_one(*original, id);
    table.push_back(t);
    if (i % 4 == 3)
      continue;  // left running
    trial_result r{t, outcome::finished, (t.config.number("x", 0) - 0.6) / t.budget};
    original->tell(r);
    told.push_back(r);
  }
  auto resumed = hyperband(sp, 8);
  for (auto& t : table)
    adopt_as_stored(*resumed, t);
  for (auto& r : told)
    resumed->tell(r);
  uint32_t id_a = id, id_b = id;
  for (int i = 0; i < 12; ++i) {
    auto a = ask_one(*original, id_a);
    auto b = ask_one(*resumed, id_b);
    INFO("ask " << i);
    CHECK(a.bracket == b.bracket);
    CHECK(a.budget == b.budget);
    CHECK(config_key(sp, a.config) == config_key(sp, b.config));
    CHECK(a.parent == b.parent);
    trial_result r{a, outcome::finished, a.config.number("x", 0)};
    original->tell(r);
    r.t = b;
    resumed->tell(r);
  }
}

TEST_CASE("resource_max below resource_min is named", "[hyperband]") {
  auto sp = x_space();
  auto o = options(4);
  o.settings.set("resource_min", 8.0);
  std::unique_ptr<optimizer> out;
  auto st = make_hyperband(sp, o, out);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == "hyperband: resource_max");
}

TEST_CASE("a reduction factor below 2 is named", "[hyperband]") {
  auto sp = x_space();
  auto o = options(4);
  o.settings.set("reduction_factor", 1.5);
  std::unique_ptr<optimizer> out;
  auto st = make_hyperband(sp, o, out);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == "hyperband: reduction_factor");
}
