// tuning/tpe: determinism, the random start, asynchronous tells, resume,
// settings, and that it beats random search (fixed seeds, medians).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "tuning/benchmark_functions.hpp"
#include "tuning/optimizer.hpp"

using namespace lagom;
using namespace lagom::tuning;

namespace {

using objective = std::function<double(const named_values&)>;

searchspace mixed_space() {
  searchspace sp;
  REQUIRE(sp.add(dimension::real("x", -5, 5)).is_ok());
  REQUIRE(sp.add(dimension::real("lr", 1e-4, 1, true)).is_ok());
  REQUIRE(sp.add(dimension::integer("units", 1, 64)).is_ok());
  REQUIRE(sp.add(dimension::integer("width", 1, 1000, true)).is_ok());
  REQUIRE(sp.add(dimension::discrete("bs", {128, 16, 64, 32})).is_ok());
  REQUIRE(sp.add(dimension::categorical("opt", {"adam", "sgd", "rms"})).is_ok());
  return sp;
}

double mixed(const named_values& c) {
  double x = c.number("x", 0), lr = c.number("lr", 1), u = c.number("units", 0);
  double w = c.number("width", 1), bs = c.number("bs", 0);
  std::string opt = c.text("opt", "");
  return x * x + std::pow(std::log10(lr) + 2, 2) + std::pow((u - 20) / 10, 2)
         + std::pow(std::log10(w) - 1, 2) + (bs == 32 ? 0 : 0.5) + (opt == "sgd" ? 0 : 1);
}

searchspace parsed(const char* text) {
  searchspace sp;
  REQUIRE(searchspace::parse(text, sp).is_ok());
  return sp;
}

searchspace branin_space() { return parsed(branin_space_text); }
searchspace hartmann6_space() { return parsed(hartmann6_space_text); }

std::unique_ptr<optimizer> make(const searchspace& sp, uint64_t seed, named_values settings = {},
                                const std::string& name = "tpe") {
  optimizer_options o;
  o.name = name;
  o.seed = seed;
  o.settings = std::move(settings);
  std::unique_ptr<optimizer> opt;
  auto st = make_optimizer(sp, o, opt);
  INFO(st.to_string());
  REQUIRE(st.is_ok());
  return opt;
}

/// Runs `n` sequential trials; returns the configurations asked.
std::vector<named_values> run(optimizer& opt, const objective& f, uint32_t n) {
  std::vector<named_values> out;
  for (uint32_t id = 0; id < n; ++id) {
    trial t;
    t.id = id;
    REQUIRE(opt.ask(t) == ask_status::ready);
    opt.tell({t, outcome::finished, f(t.config)});
    out.push_back(t.config);
  }
  return out;
}

double best_of(const std::vector<named_values>& configs, const objective& f) {
  double best = std::numeric_limits<double>::infinity();
  for (const auto& c : configs)
    best = std::min(best, f(c));
  return best;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// Median over seeds 1..15 of the best loss after `n` trials: TPE, random.
std::pair<double, double> tpe_vs_random(const searchspace& sp, const objective& f, uint32_t n) {
  std::vector<double> t, r;
  for (uint64_t seed = 1; seed <= 15; ++seed) {
    auto opt = make(sp, seed);
    t.push_back(best_of(run(*opt, f, n), f));
    r.push_back(best_of(run(*make(sp, seed, {}, "random"), f, n), f));
  }
  return {median(t), median(r)};
}

std::string key(const named_values& c) {
  std::string s;
  for (const auto& [k, v] : c.entries())
    s += k + "=" + format_value(v) + ",";
  return s;
}

} // namespace

TEST_CASE("the same seed gives the same sequence, another seed another", "[tpe]") {
  auto sp = mixed_space();
  auto a = run(*make(sp, 42), mixed, 60);
  auto b = run(*make(sp, 42), mixed, 60);
  auto c = run(*make(sp, 43), mixed, 60);
  size_t differ = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(key(a[i]) == key(b[i]));
    differ += key(a[i]) != key(c[i]);
  }
  CHECK(differ > 50);
}

TEST_CASE("the first n_startup_trials trials are random search's", "[tpe]") {
  auto sp = mixed_space();
  named_values s;
  s.set("n_startup_trials", 7.0);
  auto opt = make(sp, 5, s);
  auto got = run(*opt, mixed, 7);
  auto random = run(*make(sp, 5, {}, "random"), mixed, 8);
  for (size_t i = 0; i < got.size(); ++i)
    CHECK(key(got[i]) == key(random[i]));
  // The 8th is the model's.
  trial t;
  t.id = 7;
  REQUIRE(opt->ask(t) == ask_status::ready);
  CHECK(key(t.config) != key(random[7]));
}

TEST_CASE("trials asked but not told count for nothing: the start stays random", "[tpe]") {
  auto sp = mixed_space();
  auto opt = make(sp, 9);
  auto random = run(*make(sp, 9, {}, "random"), mixed, 25);
  std::vector<trial> running;
  for (uint32_t id = 0; id < 25; ++id) {
    trial t;
    t.id = id;
    REQUIRE(opt->ask(t) == ask_status::ready);
    CHECK(key(t.config) == key(random[id]));
    running.push_back(t);
  }
  // Told in reverse order; then the model takes over with valid configurations.
  for (auto it = running.rbegin(); it != running.rend(); ++it)
    opt->tell({*it, outcome::finished, mixed(it->config)});
  for (uint32_t id = 25; id < 60; ++id) {
    trial t;
    t.id = id;
    REQUIRE(opt->ask(t) == ask_status::ready);
    CHECK(sp.check(t.config).is_ok());
    opt->tell({t, outcome::finished, mixed(t.config)});
  }
}

TEST_CASE("a resumed search (adopt, tell) asks what the uninterrupted one would", "[tpe]") {
  auto sp = mixed_space();
  auto whole = run(*make(sp, 21), mixed, 40);
  auto resumed = make(sp, 21);
  for (uint32_t id = 0; id < 30; ++id) {
    trial t;
    t.id = id;
    t.config = whole[id];
    resumed->adopt(t);
  }
  for (uint32_t id = 0; id < 30; ++id) {
    trial t;
    t.id = id;
    t.config = whole[id];
    resumed->tell({t, outcome::finished, mixed(t.config)});
  }
  for (uint32_t id = 30; id < 40; ++id) {
    trial t;
    t.id = id;
    REQUIRE(resumed->ask(t) == ask_status::ready);
    CHECK(key(t.config) == key(whole[id]));
    resumed->tell({t, outcome::finished, mixed(t.config)});
  }
}

TEST_CASE("every value is in range and of its kind", "[tpe]") {
  auto sp = mixed_space();
  for (const auto& c : run(*make(sp, 3), mixed, 120)) {
    INFO(key(c));
    CHECK(sp.check(c).is_ok());
    double x = c.number("x", 99), lr = c.number("lr", -1), u = c.number("units", 0);
    double w = c.number("width", 0), bs = c.number("bs", 0);
    CHECK((x >= -5 && x <= 5));
    CHECK((lr >= 1e-4 && lr <= 1));
    CHECK((u >= 1 && u <= 64 && u == std::round(u)));
    CHECK((w >= 1 && w <= 1000 && w == std::round(w)));
    CHECK((bs == 16 || bs == 32 || bs == 64 || bs == 128));
    auto opt = c.text("opt", "");
    CHECK((opt == "adam" || opt == "sgd" || opt == "rms"));
  }
}

TEST_CASE("failed trials, NaN losses and foreign configurations leave the model alone", "[tpe]") {
  auto sp = mixed_space();
  auto plain = run(*make(sp, 11), mixed, 40);
  auto opt = make(sp, 11);
  std::vector<named_values> noisy;
  for (uint32_t id = 0; id < 40; ++id) {
    trial t;
    t.id = id;
    REQUIRE(opt->ask(t) == ask_status::ready);
    opt->tell({t, outcome::finished, mixed(t.config)});
    noisy.push_back(t.config);
    trial other = t;
    other.id = 1000 + id;  // never asked
    opt->tell({other, outcome::failed, -1e9});
    opt->tell({other, outcome::finished, std::nan("")});
    named_values foreign;
    foreign.set("x", 1e6);
    other.config = foreign;
    opt->tell({other, outcome::finished, -1e9});
    opt->tell({t, outcome::finished, -1e9});  // told twice: the first stands
  }
  for (size_t i = 0; i < plain.size(); ++i)
    CHECK(key(plain[i]) == key(noisy[i]));
}

TEST_CASE("adopted trials count against the budget", "[tpe]") {
  auto sp = branin_space();
  optimizer_options o;
  o.name = "tpe";
  o.num_trials = 5;
  std::unique_ptr<optimizer> opt;
  REQUIRE(make_optimizer(sp, o, opt).is_ok());
  rng gen(0);
  for (uint32_t id = 0; id < 3; ++id) {
    trial t;
    t.id = id;
    t.config = sp.sample(gen);
    opt->adopt(t);
    if (id < 2)
      opt->tell({t, outcome::finished, branin(t.config)});
  }
  for (uint32_t id = 3; id < 5; ++id) {
    trial t;
    t.id = id;
    CHECK(opt->ask(t) == ask_status::ready);
  }
  trial t;
  t.id = 5;
  CHECK(opt->ask(t) == ask_status::exhausted);
}

TEST_CASE("TPE beats random search on Branin (median of 15 seeds, 100 trials)", "[tpe]") {
  auto [tpe, random] = tpe_vs_random(branin_space(), branin, 100);
  INFO("tpe " << tpe << " random " << random);
  CHECK(tpe < random);
  CHECK(tpe < branin_minimum + 0.25);
}

TEST_CASE("TPE beats random search on Hartmann-6 (median of 15 seeds, 150 trials)", "[tpe]") {
  auto [tpe, random] = tpe_vs_random(hartmann6_space(), hartmann6, 150);
  INFO("tpe " << tpe << " random " << random);
  CHECK(tpe < random);
}

TEST_CASE("TPE beats random search on a mixed 6-d space (median of 15 seeds)", "[tpe]") {
  auto [tpe, random] = tpe_vs_random(mixed_space(), mixed, 100);
  INFO("tpe " << tpe << " random " << random);
  CHECK(tpe < random);
}

TEST_CASE("a categorical dimension converges to the good choice", "[tpe]") {
  searchspace sp;
  REQUIRE(sp.add(dimension::real("x", 0, 1)).is_ok());
  REQUIRE(sp.add(dimension::categorical("opt", {"a", "b", "c", "d", "e"})).is_ok());
  auto f = [](const named_values& c) {
    std::string o = c.text("opt", "");
    return std::pow(c.number("x", 0) - 0.3, 2) + (o == "d" ? 0.0 : o == "b" ? 0.3 : 1.0);
  };
  // Of the last 30 of 80 trials, how many chose "d" (random search: 6)?
  std::vector<double> good;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    auto got = run(*make(sp, seed), f, 80);
    good.push_back(0);
    for (size_t i = 50; i < got.size(); ++i)
      good.back() += got[i].text("opt", "") == "d";
    UNSCOPED_INFO("seed " << seed << ": " << good.back() << " of 30");
  }
  CHECK(median(good) >= 20);
  CHECK(*std::min_element(good.begin(), good.end()) >= 12);
}

TEST_CASE("bad settings are errors naming the setting", "[tpe]") {
  auto sp = branin_space();
  auto fails = [&](const std::string& k, value v) {
    optimizer_options o;
    o.name = "tpe";
    o.settings.set(k, v);
    std::unique_ptr<optimizer> opt;
    auto st = make_optimizer(sp, o, opt);
    INFO(k << ": " << st.to_string());
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.to_string().find(k) != std::string::npos);
    CHECK(opt == nullptr);
  };
  fails("n_startup", 5.0);  // unknown
  fails("n_startup_trials", -1.0);
  fails("n_startup_trials", 2.5);
  fails("n_startup_trials", std::string("ten"));
  fails("n_ei_candidates", 0.0);
  fails("n_ei_candidates", 1e9);
  fails("prior_weight", 0.0);
  fails("prior_weight", -1.0);

  optimizer_options ok;
  ok.name = "tpe";
  ok.settings.set("n_startup_trials", 0.0);
  ok.settings.set("n_ei_candidates", 1.0);
  ok.settings.set("prior_weight", 0.5);
  std::unique_ptr<optimizer> opt;
  REQUIRE(make_optimizer(sp, ok, opt).is_ok());
  CHECK(std::string(opt->name()) == "tpe");
  run(*opt, branin, 20);  // n_startup_trials 0: the model from the first ask
}
