// tuning::asha: rung budgets, promotion of the top 1/rf, asynchrony, resume,
// and a toy learning-curve search against random search.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "asha_checks.hpp"
#include "tuning/asha.hpp"
#include "tuning/optimizer_makers.hpp"

using namespace lagom;
using namespace lagom::tuning;

namespace {

searchspace xy_space() {
  searchspace sp;
  REQUIRE(sp.add(dimension::real("x", 0, 1)).is_ok());
  REQUIRE(sp.add(dimension::integer("y", 1, 1000)).is_ok());
  return sp;
}

std::unique_ptr<optimizer> asha(const searchspace& sp, uint64_t seed = 1, uint32_t num_trials = 0,
                                double rf = 2, double r_min = 1, double r_max = 4) {
  optimizer_options o;
  o.name = "asha";
  o.seed = seed;
  o.num_trials = num_trials;
  o.settings.set("reduction_factor", rf);
  o.settings.set("resource_min", r_min);
  o.settings.set("resource_max", r_max);
  std::unique_ptr<optimizer> out;
  auto st = make_asha(sp, o, out);
  INFO(st.to_string());
  REQUIRE(st.is_ok());
  return out;
}

void tell(optimizer& opt, const trial& t, double loss, outcome how = outcome::finished) {
  opt.tell({t, how, loss});
}

} // namespace

TEST_CASE("the default rungs have budgets 1, 2 and 4", "[asha]") {
  asha_ladder l(2, 1, 4);
  REQUIRE(l.rungs() == 3);
  CHECK(l.budget(0) == 1);
  CHECK(l.budget(1) == 2);
  CHECK(l.budget(2) == 4);
  CHECK(l.rung_of(2) == 1);
  CHECK(l.rung_of(3) == l.rungs());
}

TEST_CASE("rungs stop at the last budget within resource_max", "[asha]") {
  asha_ladder l(3, 1, 10);
  REQUIRE(l.rungs() == 3);
  CHECK(l.budget(2) == 9);
}

TEST_CASE("the optimizer hands out budgets 1, then 2, then 4 as rungs fill, each promotion "
          "naming the trial it continues", "[asha]") {
  auto sp = xy_space();
  auto opt = asha(sp);
  uint32_t id = 0;
  auto a = ask_one(*opt, id);
  auto b = ask_one(*opt, id);
  CHECK(a.budget == 1);
  CHECK(b.budget == 1);
  CHECK_FALSE(a.parent.has_value());  // new configurations continue nothing
  tell(*opt, a, 0.5);
  tell(*opt, b, 0.7);
  auto c = ask_one(*opt, id);  // a is the top 1/2 of rung 0
  CHECK(c.budget == 2);
  CHECK(config_key(sp, c.config) == config_key(sp, a.config));
  CHECK(c.parent == a.id);
  auto d = ask_one(*opt, id);  // rung 1 holds no finished trial: a new config
  CHECK(d.budget == 1);
  CHECK_FALSE(d.parent.has_value());
  tell(*opt, d, 0.1);
  auto e = ask_one(*opt, id);  // d is now among the top 1 of rung 0's 3
  CHECK(e.budget == 2);
  CHECK(config_key(sp, e.config) == config_key(sp, d.config));
  CHECK(e.parent == d.id);
  tell(*opt, c, 0.4);
  tell(*opt, e, 0.05);
  auto f = ask_one(*opt, id);  // rung 1: e is the top 1 of 2, promoted to 4
  CHECK(f.budget == 4);
  CHECK(config_key(sp, f.config) == config_key(sp, d.config));
  CHECK(f.parent == e.id);  // the rung-1 trial, not d
}

TEST_CASE("of eight finished trials the best four are promoted, best first, once each",
          "[asha]") {
  auto sp = xy_space();
  auto opt = asha(sp);
  uint32_t id = 0;
  std::vector<trial> rung0;
  for (int i = 0; i < 8; ++i)
    rung0.push_back(ask_one(*opt, id));
  const double losses[8] = {5, 3, 8, 1, 7, 2, 6, 4};
  for (int i = 0; i < 8; ++i)
    tell(*opt, rung0[i], losses[i]);
  for (int expected : {3, 5, 1, 7}) {
    auto t = ask_one(*opt, id);
    CHECK(t.budget == 2);
    CHECK(config_key(sp, t.config) == config_key(sp, rung0[expected].config));
  }
  // The worse half is never promoted; only new configurations follow.
  for (int i = 0; i < 6; ++i) {
    auto t = ask_one(*opt, id);
    CHECK(t.budget == 1);
  }
}

TEST_CASE("with reduction factor 3, nine finished trials promote exactly three", "[asha]") {
  auto sp = xy_space();
  auto opt = asha(sp, 1, 0, 3, 1, 9);
  uint32_t id = 0;
  std::vector<trial> rung0;
  for (int i = 0; i < 9; ++i)
    rung0.push_back(ask_one(*opt, id));
  for (int i = 0; i < 9; ++i)
    tell(*opt, rung0[i], 9.0 - i);  // trial 8 best, then 7, then 6
  for (int expected : {8, 7, 6}) {
    auto t = ask_one(*opt, id);
    CHECK(t.budget == 3);
    CHECK(config_key(sp, t.config) == config_key(sp, rung0[expected].config));
  }
  CHECK(ask_one(*opt, id).budget == 1);
}

TEST_CASE("a promoted configuration is not promoted again when more trials finish", "[asha]") {
  auto sp = xy_space();
  auto opt = asha(sp);
  uint32_t id = 0;
  auto a = ask_one(*opt, id);
  auto b = ask_one(*opt, id);
  tell(*opt, a, 1);
  tell(*opt, b, 2);
  auto p = ask_one(*opt, id);
  REQUIRE(p.budget == 2);
  // Two more finish, worse than a: top 2 of 4 are a and b, and a is taken.
  auto c = ask_one(*opt, id);
  auto d = ask_one(*opt, id);
  tell(*opt, c, 3);
  tell(*opt, d, 4);
  auto q = ask_one(*opt, id);
  CHECK(q.budget == 2);
  CHECK(config_key(sp, q.config) == config_key(sp, b.config));
  CHECK(ask_one(*opt, id).budget == 1);
}

TEST_CASE("a failed trial ranks below every loss", "[asha]") {
  auto sp = xy_space();
  auto opt = asha(sp);
  uint32_t id = 0;
  auto a = ask_one(*opt, id);
  auto b = ask_one(*opt, id);
  tell(*opt, a, std::numeric_limits<double>::quiet_NaN(), outcome::failed);
  tell(*opt, b, 1e9);
  auto p = ask_one(*opt, id);
  CHECK(p.budget == 2);
  CHECK(config_key(sp, p.config) == config_key(sp, b.config));
}

TEST_CASE("asks never wait for running trials, and stop at num_trials", "[asha]") {
  auto sp = xy_space();
  auto opt = asha(sp, 1, 20);
  for (uint32_t id = 0; id < 20; ++id) {
    trial t;
    t.id = id;
    REQUIRE(opt->ask(t) == ask_status::ready);
    CHECK(t.budget == 1);
  }
  trial t;
  t.id = 20;
  CHECK(opt->ask(t) == ask_status::exhausted);
}

TEST_CASE("promotions count as trials against num_trials", "[asha]") {
  auto sp = xy_space();
  auto opt = asha(sp, 1, 3);
  uint32_t id = 0;
  auto a = ask_one(*opt, id);
  auto b = ask_one(*opt, id);
  tell(*opt, a, 1);
  tell(*opt, b, 2);
  CHECK(ask_one(*opt, id).budget == 2);
  trial t;
  t.id = id;
  CHECK(opt->ask(t) == ask_status::exhausted);
}

namespace {

// A toy learning curve: the final loss true_loss(x, y), plus a term that
// shrinks with the budget and shuffles the ranks at small budgets.
searchspace toy_space() {
  searchspace sp;
  REQUIRE(sp.add(dimension::real("x", 0, 1)).is_ok());
  REQUIRE(sp.add(dimension::real("y", 0, 1)).is_ok());
  return sp;
}
double true_loss(const named_values& c) {
  double x = c.number("x", 0), y = c.number("y", 0);
  return (x - 0.3) * (x - 0.3) + (y - 0.7) * (y - 0.7);
}
double curve(const named_values& c, double budget) {
  double x = c.number("x", 0), y = c.number("y", 0);
  return true_loss(c) + 0.1 * (1 + std::sin(23 * x + 17 * y)) / budget;
}

} // namespace

TEST_CASE("a resumed ASHA asks what the uninterrupted one asks", "[asha]") {
  auto sp = toy_space();
  auto original = asha(sp, 42, 0, 2, 1, 8);
  // Asks in batches of three, tells in reverse; trial 22 is left running at
  // the cut and trial 7 fails.
  std::vector<trial> table;
  std::vector<trial_result> told;
  uint32_t id = 0;
  for (int batch = 0; batch < 8; ++batch) {
    std::vector<trial> running;
    for (int i = 0; i < 3; ++i)
      running.push_back(ask_one(*original, id));
    table.insert(table.end(), running.begin(), running.end());
    for (auto it = running.rbegin(); it != running.rend(); ++it) {
      if (it->id == 22)
        continue;  // still running at the cut
      trial_result r{*it, outcome::finished, curve(it->config, it->budget)};
      if (it->id == 7) {
        r.how = outcome::failed;
        r.loss = std::numeric_limits<double>::quiet_NaN();
      }
      original->tell(r);
      told.push_back(r);
    }
  }
  REQUIRE(told.size() == table.size() - 1);

  auto resumed = asha(sp, 42, 0, 2, 1, 8);
  for (auto& t : table)
    adopt_as_stored(*resumed, t);
  std::sort(told.begin(), told.end(),
            [](const trial_result& a, const trial_result& b) { return a.t.id < b.t.id; });
  for (auto& r : told)
    resumed->tell(r);

  uint32_t id_a = id, id_b = id;
  bool promoted = false, sampled = false;
  for (int i = 0; i < 12; ++i) {
    auto a = ask_one(*original, id_a);
    auto b = ask_one(*resumed, id_b);
    INFO("ask " << i);
    CHECK(a.budget == b.budget);
    CHECK(config_key(sp, a.config) == config_key(sp, b.config));
    CHECK(a.parent == b.parent);
    (a.budget > 1 ? promoted : sampled) = true;
    double loss = curve(a.config, a.budget);
    original->tell({a, outcome::finished, loss});
    resumed->tell({b, outcome::finished, loss});
  }
  CHECK(promoted);  // both kinds of ask were compared
  CHECK(sampled);
}

TEST_CASE("a resume that tells each trial right after adopting it derives the same parents",
          "[asha]") {
  // The trial_scheduler's order: adopt t, then tell t if it ended. Trial 9
  // is left running at the cut.
  auto sp = toy_space();
  auto original = asha(sp, 7, 0, 2, 1, 8);
  std::vector<trial_result> table;
  uint32_t id = 0;
  for (int i = 0; i < 20; ++i) {
    auto t = ask_one(*original, id);
    trial_result r{t, outcome::finished, curve(t.config, t.budget)};
    if (t.id != 9)
      original->tell(r);
    table.push_back(r);
  }
  auto resumed = asha(sp, 7, 0, 2, 1, 8);
  size_t with_parent = 0;
  for (auto& r : table) {
    adopt_as_stored(*resumed, r.t);
    with_parent += r.t.parent ? 1 : 0;
    if (r.t.id != 9)
      resumed->tell(r);
  }
  CHECK(with_parent >= 3);  // the case is about promotions
  auto a = ask_one(*original, id);
  uint32_t id_b = a.id;
  auto b = ask_one(*resumed, id_b);
  CHECK(config_key(sp, a.config) == config_key(sp, b.config));
  CHECK(a.parent == b.parent);
}

TEST_CASE("on a toy learning curve, ASHA beats random search for the same total resource",
          "[asha]") {
  // Budgets 1, 4, 16, 64; the resource of 8 full runs; four workers, so
  // asks come in batches of four before their tells. Over 20 seeds.
  auto sp = toy_space();
  const double r_max = 64, total = 8 * r_max;
  int asha_wins = 0;
  double asha_sum = 0, random_sum = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    rng gen(seed);
    double random_best = std::numeric_limits<double>::infinity();
    for (int i = 0; i < 8; ++i)
      random_best = std::min(random_best, true_loss(sp.sample(gen)));
    // ASHA's answer: the lowest loss at the highest budget reached.
    auto opt = asha(sp, seed, 0, 4, 1, r_max);
    double spent = 0, top_budget = 0, top_loss = 0, asha_best = 0;
    uint32_t id = 0;
    for (;;) {
      std::vector<trial> running;
      while (running.size() < 4 && spent + r_max <= total) {
        running.push_back(ask_one(*opt, id));
        spent += running.back().budget;
      }
      if (running.empty())
        break;
      for (auto& t : running) {
        double loss = curve(t.config, t.budget);
        opt->tell({t, outcome::finished, loss});
        if (t.budget > top_budget || (t.budget == top_budget && loss < top_loss)) {
          top_budget = t.budget;
          top_loss = loss;
          asha_best = true_loss(t.config);
        }
      }
    }
    CHECK(top_budget == r_max);
    asha_sum += asha_best;
    random_sum += random_best;
    if (asha_best < random_best)
      ++asha_wins;
  }
  INFO("asha mean " << asha_sum / 20 << ", random mean " << random_sum / 20 << ", asha wins "
                    << asha_wins);
  CHECK(asha_sum < 0.5 * random_sum);
  CHECK(asha_wins >= 15);
}

TEST_CASE("make_optimizer builds asha by name and names a misspelt setting", "[asha]") {
  auto sp = toy_space();
  optimizer_options o;
  o.name = "asha";
  std::unique_ptr<optimizer> opt;
  REQUIRE(make_optimizer(sp, o, opt).is_ok());
  CHECK(std::string(opt->name()) == "asha");
  o.settings.set("reduction_factr", 3.0);
  auto st = make_optimizer(sp, o, opt);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == "asha: reduction_factr");
}
