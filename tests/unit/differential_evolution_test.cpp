// differential_evolution: better than random on a sphere, waiting for a
// population, replacement rules, determinism and resume.
#include <catch2/catch.hpp>

#include <cmath>
#include <deque>

#include "tuning/optimizer.hpp"

using namespace lagom;
using namespace lagom::tuning;

namespace {

searchspace unit_square(size_t dims) {
  searchspace sp;
  for (size_t i = 0; i < dims; ++i)
    REQUIRE(sp.add(dimension::real("x" + std::to_string(i), 0, 1)).is_ok());
  return sp;
}

searchspace sphere_space() {
  searchspace sp;
  REQUIRE(searchspace::parse("x0: double [-5, 5]; x1: double [-5, 5]; x2: double [-5, 5]; "
                             "x3: double [-5, 5]",
                             sp)
            .is_ok());
  return sp;
}

double sphere(const named_values& c) {
  double s = 0;
  for (auto& [k, v] : c.entries())
    s += std::get<double>(v) * std::get<double>(v);
  return s;
}

std::unique_ptr<optimizer> make(const searchspace& sp, const std::string& name, uint64_t seed,
                                named_values settings = {}, uint32_t num_trials = 0) {
  optimizer_options o;
  o.name = name;
  o.seed = seed;
  o.num_trials = num_trials;
  o.settings = std::move(settings);
  std::unique_ptr<optimizer> opt;
  auto st = make_optimizer(sp, o, opt);
  REQUIRE(st.to_string() == "ok");
  return opt;
}

trial ask(optimizer& opt, uint32_t id, ask_status expect = ask_status::ready) {
  trial t;
  t.id = id;
  REQUIRE(opt.ask(t) == expect);
  return t;
}

// Best loss over `n` trials, each told as soon as it is asked.
double best_of(optimizer& opt, uint32_t n) {
  double best = INFINITY;
  for (uint32_t id = 0; id < n; ++id) {
    trial t = ask(opt, id);
    double loss = sphere(t.config);
    best = std::min(best, loss);
    opt.tell({t, outcome::finished, loss});
  }
  return best;
}

named_values settings(double population, double mutation, double crossover) {
  named_values s;
  s.set("population", population);
  s.set("mutation", mutation);
  s.set("crossover", crossover);
  return s;
}

} // namespace

TEST_CASE("DE minimizes a 4-d sphere markedly better than random search", "[de]") {
  // Same budget (300 trials, told at once) and seeds. Random's best is ~2;
  // DE's is typically 100 times lower.
  auto sp = sphere_space();
  double log_ratio = 0;
  for (uint64_t seed : {1, 2, 3, 4, 5}) {
    double de = best_of(*make(sp, "de", seed), 300);
    double random = best_of(*make(sp, "random", seed), 300);
    INFO("seed " << seed << ": de " << de << ", random " << random);
    CHECK(de < random / 4);
    log_ratio += std::log10(random / de) / 5;
  }
  CHECK(log_ratio > 1.5);
}

TEST_CASE("the same seed asks the same trials", "[de]") {
  auto sp = sphere_space();
  auto a = make(sp, "de", 4), b = make(sp, "de", 4), c = make(sp, "de", 5);
  bool differs = false;
  for (uint32_t id = 0; id < 60; ++id) {
    trial x = ask(*a, id), y = ask(*b, id), z = ask(*c, id);
    CHECK(config_key(sp, x.config) == config_key(sp, y.config));
    differs |= config_key(sp, x.config) != config_key(sp, z.config);
    a->tell({x, outcome::finished, sphere(x.config)});
    b->tell({y, outcome::finished, sphere(y.config)});
    c->tell({z, outcome::finished, sphere(z.config)});
  }
  CHECK(differs);
}

TEST_CASE("DE waits until four slots are filled, a failed initial member counting", "[de]") {
  auto sp = unit_square(2);
  auto opt = make(sp, "de", 1, settings(5, 0.5, 0.7));
  std::vector<trial> initial;
  for (uint32_t id = 0; id < 5; ++id)
    initial.push_back(ask(*opt, id));
  ask(*opt, 5, ask_status::wait);
  opt->tell({initial[0], outcome::failed, NAN});
  opt->tell({initial[1], outcome::finished, 1.0});
  opt->tell({initial[2], outcome::finished, 2.0});
  ask(*opt, 5, ask_status::wait);
  opt->tell({initial[4], outcome::finished, 3.0});
  trial t = ask(*opt, 5);
  CHECK(sp.check(t.config).is_ok());
}

TEST_CASE("a slot's member is replaced only by a lower loss, NaN never wins", "[de]") {
  // F = 0 and CR = 0: trial i copies its target's member in every coordinate
  // but one, so the target member shows in what trial i + P asks.
  auto sp = unit_square(2);
  auto shares_coordinate = [&](const trial& t, const trial& member) {
    return t.config.number("x0", -1) == member.config.number("x0", -2)
           || t.config.number("x1", -1) == member.config.number("x1", -2);
  };
  struct told {
    outcome how;
    double loss;
    bool replaces;
  };
  auto c = GENERATE(told{outcome::finished, 0.5, true}, told{outcome::stopped_early, 0.5, true},
                    told{outcome::finished, 2.0, false}, told{outcome::finished, NAN, false},
                    told{outcome::failed, 0.1, false});
  auto opt = make(sp, "de", 8, settings(4, 0, 0));
  std::vector<trial> initial;
  for (uint32_t id = 0; id < 4; ++id) {
    initial.push_back(ask(*opt, id));
    opt->tell({initial.back(), outcome::finished, 1.0});
  }
  trial challenger;  // trial 4 targets slot 0; told as if asked
  challenger.id = 4;
  challenger.config.set("x0", 0.125);
  challenger.config.set("x1", 0.375);
  opt->tell({challenger, c.how, c.loss});
  trial next = ask(*opt, 8);  // targets slot 0 again
  CHECK(shares_coordinate(next, c.replaces ? challenger : initial[0]));
  CHECK_FALSE(shares_coordinate(next, c.replaces ? initial[0] : challenger));
}

TEST_CASE("a failed initial member loses to any later finite loss", "[de]") {
  auto sp = unit_square(2);
  auto opt = make(sp, "de", 8, settings(4, 0, 0));
  std::vector<trial> initial;
  for (uint32_t id = 0; id < 4; ++id) {
    initial.push_back(ask(*opt, id));
    opt->tell({initial.back(), id == 0 ? outcome::failed : outcome::finished, id == 0 ? NAN : 1.0});
  }
  trial next = ask(*opt, 8);  // slot 0 still holds the failed member
  CHECK((next.config.number("x0", -1) == initial[0].config.number("x0", -2)
         || next.config.number("x1", -1) == initial[0].config.number("x1", -2)));
  trial challenger;
  challenger.id = 4;
  challenger.config.set("x0", 0.125);
  challenger.config.set("x1", 0.375);
  opt->tell({challenger, outcome::finished, 1e300});
  next = ask(*opt, 8);
  CHECK((next.config.number("x0", -1) == 0.125 || next.config.number("x1", -1) == 0.375));
}

TEST_CASE("a resumed DE asks what the uninterrupted one asks", "[de]") {
  // The first run keeps up to 5 trials running and tells them out of order;
  // at trial 150 it is cut off with some still running.
  auto sp = sphere_space();
  auto whole = make(sp, "de", 21, settings(12, 0.6, 0.8));
  std::vector<trial> asked;
  std::vector<trial_result> ended;
  std::deque<trial> running;
  rng order(99);
  auto finish_one = [&](optimizer& opt) {
    size_t k = std::uniform_int_distribution<size_t>(0, running.size() - 1)(order);
    trial t = running[k];
    running.erase(running.begin() + static_cast<long>(k));
    trial_result r{t, t.id % 7 == 3 ? outcome::failed : outcome::finished, sphere(t.config)};
    if (r.how == outcome::failed)
      r.loss = NAN;
    opt.tell(r);
    ended.push_back(r);
  };
  for (uint32_t id = 0; id < 150;) {
    trial t;
    t.id = id;
    auto s = whole->ask(t);
    if (s == ask_status::wait || running.size() == 5) {
      finish_one(*whole);
      continue;
    }
    REQUIRE(s == ask_status::ready);
    asked.push_back(t);
    running.push_back(t);
    ++id;
  }
  REQUIRE(running.size() > 0);

  auto resumed = make(sp, "de", 21, settings(12, 0.6, 0.8));
  for (auto& t : asked)
    resumed->adopt(t);
  std::sort(ended.begin(), ended.end(),
            [](const trial_result& a, const trial_result& b) { return a.t.id < b.t.id; });
  for (auto& r : ended)
    resumed->tell(r);

  for (uint32_t id = 150; id < 170; ++id) {
    trial a = ask(*whole, id), b = ask(*resumed, id);
    REQUIRE(config_key(sp, a.config) == config_key(sp, b.config));
    whole->tell({a, outcome::finished, sphere(a.config)});
    resumed->tell({b, outcome::finished, sphere(b.config)});
  }
}

TEST_CASE("DE is exhausted after num_trials", "[de]") {
  auto sp = unit_square(2);
  auto opt = make(sp, "de", 1, {}, 12);
  for (uint32_t id = 0; id < 12; ++id) {
    trial t = ask(*opt, id);
    opt->tell({t, outcome::finished, 1.0});
  }
  ask(*opt, 12, ask_status::exhausted);
}
