// searchspace: checking dimensions, the unit mapping, sampling, config checks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>

#include "tuning/searchspace.hpp"

using namespace lagom;
using namespace lagom::tuning;

namespace {

searchspace example() {
  searchspace sp;
  REQUIRE(sp.add(dimension::real("lr", 1e-4, 1e-1, true)).is_ok());
  REQUIRE(sp.add(dimension::integer("units", 32, 512)).is_ok());
  REQUIRE(sp.add(dimension::discrete("bs", {32, 64, 128})).is_ok());
  REQUIRE(sp.add(dimension::categorical("opt", {"adam", "sgd"})).is_ok());
  return sp;
}

} // namespace

TEST_CASE("add refuses bad dimensions, naming them", "[searchspace]") {
  struct bad {
    dimension d;
    const char* error;
  };
  auto c = GENERATE(
    bad{dimension::real("lr", 0.1, 0.1), "lr: empty range [0.1, 0.1]"},
    bad{dimension::integer("n", 5, 5), "n: empty range [5, 5]"},
    bad{dimension::real("lr", 0, 1, true), "lr: log scale over non-positive values [0, 1]"},
    bad{dimension::real("lr", 0, INFINITY), "lr: bounds must be finite, got [0, inf]"},
    bad{dimension::real("", 0, 1), "searchspace: empty dimension name"},
    bad{dimension::real("a-b", 0, 1), "a-b: name must be an identifier (letters, digits, '_')"},
    bad{dimension::real("x", 0, 1), "x: duplicate dimension"},
    bad{dimension::discrete("bs", {}), "bs: empty list of values"},
    bad{dimension::discrete("bs", {1, 2, 1}), "bs: duplicate value 1"},
    bad{dimension::discrete("bs", {1, NAN}), "bs: values must be finite"},
    bad{dimension::categorical("o", {"a", ""}), "o: empty value"},
    bad{dimension::categorical("o", {"a\nb"}), "o: value contains a control character"});
  searchspace sp;
  REQUIRE(sp.add(dimension::real("x", 0, 1)).is_ok());
  auto st = sp.add(c.d);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.to_string() == c.error);
  CHECK(sp.size() == 1);
}

TEST_CASE("integer bounds must be integers, lists are bounded", "[searchspace]") {
  searchspace sp;
  dimension d = dimension::integer("n", 1, 4);
  d.high = 4.5;
  CHECK(sp.add(d).message() == "bounds must be integers, got [1, 4.5]");
  std::vector<std::string> many;
  for (size_t i = 0; i <= searchspace_limits::max_choices; ++i)
    many.push_back("c" + std::to_string(i));
  CHECK(sp.add(dimension::categorical("c", many)).message() == "more than 1024 values");
  for (size_t i = 0; i < searchspace_limits::max_dimensions; ++i)
    REQUIRE(sp.add(dimension::real("d" + std::to_string(i), 0, 1)).is_ok());
  CHECK(sp.add(dimension::real("one_more", 0, 1)).to_string()
        == "one_more: too many dimensions (at most 64)");
}

TEST_CASE("cardinality counts distinct values", "[searchspace]") {
  CHECK(dimension::real("a", 0, 1).cardinality() == 0);
  CHECK(dimension::integer("a", -2, 2).cardinality() == 5);
  CHECK(dimension::discrete("a", {1, 2}).cardinality() == 2);
  CHECK(dimension::categorical("a", {"x", "y", "z"}).cardinality() == 3);
}

TEST_CASE("decode maps the unit interval onto each kind", "[searchspace]") {
  auto sp = example();
  CHECK(std::get<double>(sp.decode(0, 0.0)) == 1e-4);
  CHECK(std::get<double>(sp.decode(0, 1.0)) == 1e-1);
  CHECK(std::get<double>(sp.decode(0, 0.5)) == Approx(std::sqrt(1e-4 * 1e-1)));
  CHECK(std::get<double>(sp.decode(0, -3.0)) == 1e-4);  // clamped
  CHECK(std::get<double>(sp.decode(1, 0.0)) == 32);
  CHECK(std::get<double>(sp.decode(1, 1.0)) == 512);
  CHECK(std::get<double>(sp.decode(2, 0.0)) == 32);
  CHECK(std::get<double>(sp.decode(2, 0.34)) == 64);
  CHECK(std::get<double>(sp.decode(2, 1.0)) == 128);
  CHECK(std::get<std::string>(sp.decode(3, 0.49)) == "adam");
  CHECK(std::get<std::string>(sp.decode(3, 0.51)) == "sgd");
}

TEST_CASE("each integer gets an equal cell, linear or log", "[searchspace]") {
  searchspace sp;
  REQUIRE(sp.add(dimension::integer("lin", -2, 2)).is_ok());
  REQUIRE(sp.add(dimension::integer("lg", 1, 1000, true)).is_ok());
  std::map<double, int> hits;
  const int n = 100000;
  for (int k = 0; k < n; ++k)
    ++hits[std::get<double>(sp.decode(0, (k + 0.5) / n))];
  REQUIRE(hits.size() == 5);
  for (auto& [v, count] : hits)
    CHECK(count == n / 5);
  // log: every integer decodes back from its cell's centre, and a decade holds
  // about as much of the unit interval as any other.
  for (double v = 1; v <= 1000; ++v) {
    double u = sp.encode(1, v);
    REQUIRE(std::get<double>(sp.decode(1, u)) == v);
  }
  double d1 = sp.encode(1, 100.0) - sp.encode(1, 10.0);
  double d2 = sp.encode(1, 1000.0) - sp.encode(1, 100.0);
  CHECK(d2 == Approx(d1).epsilon(0.05));
  CHECK(std::get<double>(sp.decode(1, 0.0)) == 1);
  CHECK(std::get<double>(sp.decode(1, 1.0)) == 1000);
}

TEST_CASE("encode and decode are inverse on every value", "[searchspace]") {
  auto sp = example();
  for (double lr : {1e-4, 3e-3, 0.05, 0.1})
    CHECK(std::get<double>(sp.decode(0, sp.encode(0, lr))) == Approx(lr).epsilon(1e-12));
  for (double bs : {32.0, 64.0, 128.0})
    CHECK(std::get<double>(sp.decode(2, sp.encode(2, bs))) == bs);
  CHECK(sp.encode(2, 64.0) == Approx(0.5));
  CHECK(sp.encode(3, std::string("sgd")) == Approx(0.75));
  CHECK(std::isnan(sp.encode(3, std::string("rmsprop"))));
  CHECK(std::isnan(sp.encode(0, std::string("fast"))));

  named_values c;
  c.set("lr", 0.01);
  c.set("units", 100.0);
  c.set("bs", 128.0);
  c.set("opt", std::string("sgd"));
  auto back = sp.from_unit(sp.to_unit(c));
  CHECK(back.number("lr", 0) == Approx(0.01));
  CHECK(back.number("units", 0) == 100);
  CHECK(back.number("bs", 0) == 128);
  CHECK(back.text("opt", "") == "sgd");
}

TEST_CASE("a log-uniform sample's median is the geometric mean", "[searchspace]") {
  auto sp = example();
  rng gen(42);
  std::vector<double> lr, units;
  for (int k = 0; k < 10000; ++k) {
    auto c = sp.sample(gen);
    REQUIRE(sp.check(c).is_ok());
    lr.push_back(c.number("lr", 0));
    units.push_back(c.number("units", 0));
  }
  std::nth_element(lr.begin(), lr.begin() + 5000, lr.end());
  // Within 0.02 of the middle in unit (log) space: ~4 standard errors.
  CHECK(std::fabs(std::log(lr[5000] / std::sqrt(1e-4 * 1e-1)) / std::log(1e3)) < 0.02);
  std::nth_element(units.begin(), units.begin() + 5000, units.end());
  CHECK(std::fabs(units[5000] - 272) < 10);  // linear: the arithmetic middle
}

TEST_CASE("the same seed samples the same configurations", "[searchspace]") {
  auto sp = example();
  rng a(7), b(7), c(8);
  bool differs = false;
  for (int k = 0; k < 20; ++k) {
    auto x = sp.sample(a), y = sp.sample(b), z = sp.sample(c);
    CHECK(config_key(sp, x) == config_key(sp, y));
    differs |= config_key(sp, x) != config_key(sp, z);
  }
  CHECK(differs);
}

TEST_CASE("check names the dimension and what is wrong", "[searchspace]") {
  auto sp = example();
  named_values ok;
  ok.set("lr", 0.01);
  ok.set("units", 64.0);
  ok.set("bs", 64.0);
  ok.set("opt", std::string("adam"));
  ok.set("epochs", 3.0);  // a fixed hyperparameter: allowed
  REQUIRE(sp.check(ok).is_ok());
  struct bad {
    const char* key;
    value v;
    const char* error;
  };
  auto c = GENERATE(bad{"lr", 0.5, "lr: must be within [0.0001, 0.1], got 0.5"},
                    bad{"lr", std::string("fast"), "lr: must be a number, got 'fast'"},
                    bad{"units", 64.5, "units: must be an integer, got 64.5"},
                    bad{"units", 16.0, "units: must be within [32, 512], got 16"},
                    bad{"bs", 48.0, "bs: must be one of 32, 64, 128, got 48"},
                    bad{"opt", std::string("rmsprop"), "opt: must be one of adam, sgd, got 'rmsprop'"},
                    bad{"opt", 1.0, "opt: must be one of adam, sgd, got 1"});
  named_values cfg = ok;
  cfg.set(c.key, c.v);
  CHECK(sp.check(cfg).to_string() == c.error);
  named_values missing;
  missing.set("lr", 0.01);
  CHECK(sp.check(missing).to_string() == "units: missing from the configuration");
}

TEST_CASE("config_key is exact and in the space's order", "[searchspace]") {
  auto sp = example();
  named_values c;
  c.set("opt", std::string("adam"));
  c.set("lr", 0.001);
  c.set("bs", 32.0);
  c.set("units", 64.0);
  CHECK(config_key(sp, c) == "lr=0.001,units=64,bs=32,opt=adam");
  c.set("units", 100.0);
  c.set("lr", 1e-5);
  CHECK(config_key(sp, c) == "lr=1e-05,units=100,bs=32,opt=adam");
  named_values d = c;
  d.set("lr", 0.0010000000000000002);
  CHECK(config_key(sp, d) != config_key(sp, c));
}
