// grid_search: the axes, row-major order, exhaustion, resume, the size limit.
#include <catch2/catch.hpp>

#include <set>

#include "tuning/optimizer.hpp"

using namespace lagom;
using namespace lagom::tuning;

namespace {

searchspace parsed(const std::string& text) {
  searchspace sp;
  REQUIRE(searchspace::parse(text, sp).is_ok());
  return sp;
}

std::unique_ptr<optimizer> make(const searchspace& sp, double grid_points = 5,
                                uint32_t num_trials = 0) {
  optimizer_options o;
  o.name = "grid";
  o.num_trials = num_trials;
  o.settings.set("grid_points", grid_points);
  std::unique_ptr<optimizer> opt;
  auto st = make_optimizer(sp, o, opt);
  REQUIRE(st.to_string() == "ok");
  return opt;
}

// Asks from `first` until not ready; the config keys in ask order.
std::vector<std::string> drain(const searchspace& sp, optimizer& opt, uint32_t first = 0) {
  std::vector<std::string> out;
  for (uint32_t id = first;; ++id) {
    trial t;
    t.id = id;
    auto s = opt.ask(t);
    if (s != ask_status::ready) {
      CHECK(s == ask_status::exhausted);
      return out;
    }
    REQUIRE(sp.check(t.config).is_ok());
    out.push_back(config_key(sp, t.config));
  }
}

} // namespace

TEST_CASE("the grid is row-major, first dimension slowest", "[grid]") {
  auto sp = parsed("a: double [0, 1]; b: categorical [x, y]; c: discrete [10, 20]");
  auto keys = drain(sp, *make(sp, 3));
  CHECK(keys
        == std::vector<std::string>{
          "a=0,b=x,c=10",   "a=0,b=x,c=20",   "a=0,b=y,c=10",   "a=0,b=y,c=20",
          "a=0.5,b=x,c=10", "a=0.5,b=x,c=20", "a=0.5,b=y,c=10", "a=0.5,b=y,c=20",
          "a=1,b=x,c=10",   "a=1,b=x,c=20",   "a=1,b=y,c=10",   "a=1,b=y,c=20"});
}

TEST_CASE("each axis: log reals, small and large integer ranges", "[grid]") {
  auto sp = parsed("lr: double [1e-4, 1] log; n: integer [1, 3]; big: integer [0, 100]; "
                   "lg: integer [1, 6] log");
  auto keys = drain(sp, *make(sp, 5));
  REQUIRE(keys.size() == 5 * 3 * 5 * 4);
  std::set<std::string> lr, n, big, lg;
  for (auto& k : keys) {
    // "lr=..,n=..,big=..,lg=.."
    size_t p1 = k.find(','), p2 = k.find(',', p1 + 1), p3 = k.find(',', p2 + 1);
    lr.insert(k.substr(0, p1));
    n.insert(k.substr(p1 + 1, p2 - p1 - 1));
    big.insert(k.substr(p2 + 1, p3 - p2 - 1));
    lg.insert(k.substr(p3 + 1));
  }
  CHECK(lr == std::set<std::string>{"lr=0.0001", "lr=0.001", "lr=0.01", "lr=0.1", "lr=1"});
  CHECK(n == std::set<std::string>{"n=1", "n=2", "n=3"});
  CHECK(big == std::set<std::string>{"big=0", "big=25", "big=50", "big=75", "big=100"});
  CHECK(lg == std::set<std::string>{"lg=1", "lg=2", "lg=4", "lg=6"});  // 1, 1.6, 2.4, 3.8, 6
}

TEST_CASE("the grid covers every point exactly once", "[grid]") {
  auto sp = parsed("a: double [-1, 1]; b: integer [1, 4]; c: categorical [p, q, r]");
  auto keys = drain(sp, *make(sp, 4));
  CHECK(keys.size() == 4 * 4 * 3);
  CHECK(std::set<std::string>(keys.begin(), keys.end()).size() == keys.size());
}

TEST_CASE("num_trials ends the grid early", "[grid]") {
  auto sp = parsed("a: double [0, 1]");
  CHECK(drain(sp, *make(sp, 10, 4)).size() == 4);
}

TEST_CASE("resume: adopted points are skipped and the rest come once", "[grid]") {
  auto sp = parsed("a: double [0, 1]; b: categorical [x, y, z]");
  auto whole = drain(sp, *make(sp, 5));
  REQUIRE(whole.size() == 15);

  // The first run asked 0..6; trials 2 and 5 never ended.
  auto first = make(sp, 5);
  std::vector<trial> asked;
  for (uint32_t id = 0; id < 7; ++id) {
    trial t;
    t.id = id;
    REQUIRE(first->ask(t) == ask_status::ready);
    asked.push_back(t);
  }
  auto resumed = make(sp, 5);
  for (auto& t : asked)
    resumed->adopt(t);
  for (auto& t : asked)
    if (t.id != 2 && t.id != 5)
      resumed->tell({t, outcome::finished, 0.5});
  auto rest = drain(sp, *resumed, 7);
  CHECK(rest == std::vector<std::string>(whole.begin() + 7, whole.end()));
}

TEST_CASE("adopt matches a recorded value that lost its last bits", "[grid]") {
  auto sp = parsed("a: double [0, 0.3]");
  auto opt = make(sp, 4);  // 0, 0.1, 0.2, 0.3 (in unit space)
  trial t;
  t.config.set("a", 0.1 + 1e-15);
  opt->adopt(t);
  CHECK(drain(sp, *opt, 1) == std::vector<std::string>{"a=0", "a=0.2", "a=0.3"});
}

TEST_CASE("a grid too large to enumerate is refused, naming the space", "[grid]") {
  searchspace sp;
  for (int i = 0; i < 9; ++i)
    REQUIRE(sp.add(dimension::real("d" + std::to_string(i), 0, 1)).is_ok());
  optimizer_options o;
  o.name = "grid";
  std::unique_ptr<optimizer> opt;
  auto st = make_optimizer(sp, o, opt);  // 5^9 = 1953125
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == "space");
  CHECK_THAT(st.message(), Catch::Matchers::StartsWith(
                             "a grid of d0 5 x d1 5 x d2 5 x d3 5 x d4 5 x d5 5 x d6 5 x d7 5 x "
                             "d8 5 = 1953125 points is too large"));
  o.settings.set("grid_points", 4.0);  // 4^9 = 262144: fine
  CHECK(make_optimizer(sp, o, opt).is_ok());
}
