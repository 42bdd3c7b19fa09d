// searchspace::parse and to_string: the script's text form of a search space.
#include <catch2/catch.hpp>

#include "tuning/searchspace.hpp"

using namespace lagom;
using namespace lagom::tuning;

namespace {

void require_equal(const searchspace& a, const searchspace& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const dimension &x = a.dims()[i], &y = b.dims()[i];
    CHECK(x.name == y.name);
    CHECK(x.kind == y.kind);
    CHECK(x.low == y.low);
    CHECK(x.high == y.high);
    CHECK(x.log == y.log);
    CHECK(x.values == y.values);
    CHECK(x.choices == y.choices);
  }
}

} // namespace

TEST_CASE("the header's example parses into four dimensions", "[searchspace]") {
  searchspace sp;
  auto st = searchspace::parse("lr: double [1e-4, 1e-1] log; units: integer [32, 512]; "
                               "bs: discrete [32, 64, 128]; opt: categorical [adam, sgd]",
                               sp);
  REQUIRE(st.to_string() == "ok");
  REQUIRE(sp.size() == 4);
  auto& d = sp.dims();
  CHECK(d[0].name == "lr");
  CHECK(d[0].kind == dim_kind::real);
  CHECK(d[0].low == 1e-4);
  CHECK(d[0].high == 1e-1);
  CHECK(d[0].log);
  CHECK(d[1].kind == dim_kind::integer);
  CHECK(d[1].low == 32);
  CHECK(d[1].high == 512);
  CHECK_FALSE(d[1].log);
  CHECK(d[2].kind == dim_kind::discrete);
  CHECK(d[2].values == std::vector<double>{32, 64, 128});
  CHECK(d[3].kind == dim_kind::categorical);
  CHECK(d[3].choices == std::vector<std::string>{"adam", "sgd"});
  CHECK(sp.index_of("bs") == 2);
  CHECK(sp.index_of("nope") == 4);
}

TEST_CASE("kinds and scales in any case, newlines, comments and quoted values", "[searchspace]") {
  searchspace sp;
  auto st = searchspace::parse("\n  # a comment line\n"
                               "lr : DOUBLE [ 0.001 , 0.1 ] Linear  # trailing\r\n"
                               "depth: Integer [1, 1000] LOG\n"
                               ";;\n"
                               "act: Categorical [\"leaky relu\", relu, \"say \\\"hi\\\"\", "
                               "\"a\\\\b\"]\n",
                               sp);
  REQUIRE(st.to_string() == "ok");
  REQUIRE(sp.size() == 3);
  CHECK_FALSE(sp.dims()[0].log);
  CHECK(sp.dims()[1].log);
  CHECK(sp.dims()[2].choices
        == std::vector<std::string>{"leaky relu", "relu", "say \"hi\"", "a\\b"});
}

TEST_CASE("an empty text is an empty space", "[searchspace]") {
  searchspace sp;
  REQUIRE(searchspace::parse(" \n; # nothing\n", sp).is_ok());
  CHECK(sp.empty());
}

TEST_CASE("to_string is canonical and parse reads it back to an equal space", "[searchspace]") {
  searchspace sp;
  REQUIRE(sp.add(dimension::real("lr", 1e-4, 0.1, true)).is_ok());
  REQUIRE(sp.add(dimension::real("third", -1.0 / 3, 2.0 / 3)).is_ok());
  REQUIRE(sp.add(dimension::integer("units", 32, 512)).is_ok());
  REQUIRE(sp.add(dimension::integer("depth", 1, 64, true)).is_ok());
  REQUIRE(sp.add(dimension::discrete("bs", {32, 64, 0.125, -1e-300})).is_ok());
  REQUIRE(sp.add(dimension::categorical("opt", {"adam", "sgd", "two words", "q\"uo\\te", "3x3"}))
            .is_ok());
  std::string text = sp.to_string();
  CHECK(text
        == "lr: double [0.0001, 0.1] log; third: double [-0.3333333333333333, "
           "0.6666666666666666]; units: integer [32, 512]; depth: integer [1, 64] log; "
           "bs: discrete [32, 64, 0.125, -1e-300]; "
           "opt: categorical [adam, sgd, \"two words\", \"q\\\"uo\\\\te\", \"3x3\"]");
  searchspace back;
  REQUIRE(searchspace::parse(text, back).is_ok());
  require_equal(sp, back);
  CHECK(back.to_string() == text);
}

TEST_CASE("parse errors name the line, column and dimension", "[searchspace]") {
  struct bad {
    const char* text;
    const char* error;  // status::to_string(): "where: message"
  };
  auto c = GENERATE(
    bad{"lr: double [0.1, 0.01]", "space:1:12: lr: empty range [0.1, 0.01]"},
    bad{"lr: double [-1, 1] log", "space:1:20: lr: log scale over non-positive values [-1, 1]"},
    bad{"lr: dobule [1, 2]", "space:1:5: lr: unknown kind 'dobule'; did you mean 'double'?"},
    bad{"lr: Categorial [a]", "space:1:5: lr: unknown kind 'Categorial'; did you mean 'categorical'?"},
    bad{"lr: 7 [1, 2]",
        "space:1:5: lr: expected a kind (double, integer, discrete, categorical), got '7'"},
    bad{"lr: double 1, 2]", "space:1:12: lr: missing '[' after double, got '1'"},
    bad{"lr: double [1, 2", "space:1:17: lr: missing ']', got end of text"},
    bad{"lr: double [1, 2; x: integer [1, 2]", "space:1:17: lr: missing ']', got ';'"},
    bad{"lr: double [1 2]", "space:1:15: lr: expected ',' or ']', got '2'"},
    bad{"a: integer [1, 4]\nb: double [0, 1]\na: discrete [1, 2]",
        "space:3:1: a: duplicate dimension"},
    bad{"lr: double [1e-4, 1x]", "space:1:19: lr: bad number '1x'"},
    bad{"lr: double [nan, 1]", "space:1:13: lr: bad number 'nan'"},
    bad{"lr: double [, 1]", "space:1:13: lr: expected a number, got ','"},
    bad{"units: integer [1, 2.5]", "space:1:20: units: not an integer '2.5'"},
    bad{"lr: double [1, 2, 3]", "space:1:12: lr: a range takes two bounds [low, high], got 3"},
    bad{"opt: categorical [adam, adam]", "space:1:25: opt: duplicate value 'adam'"},
    bad{"opt: categorical [adam, 3]", "space:1:25: opt: expected a name or quoted text, got '3'"},
    bad{"opt: categorical [\"a b]", "space:1:19: opt: unterminated quoted text"},
    bad{"bs: discrete []", "space:1:14: bs: empty list of values"},
    bad{"bs: discrete [1, 2] log", "space:1:21: bs: a scale applies only to double and integer"},
    bad{"lr: double [0, 1] lgo", "space:1:19: lr: unknown scale 'lgo'; did you mean 'log'?"},
    bad{"lr double [0, 1]", "space:1:4: lr: expected ':' after the name, got 'd'"},
    bad{"lr: double [1, 2] log extra", "space:1:23: lr: expected ';' or a new line, got 'e'"},
    bad{"x: double [0, 1]\n  9lives: double [0, 1]",
        "space:2:3: expected a dimension name, got '9'"});
  searchspace sp;
  REQUIRE(sp.add(dimension::real("keep", 0, 1)).is_ok());
  auto st = searchspace::parse(c.text, sp);
  INFO(c.text);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.to_string() == c.error);
  CHECK(sp.size() == 1);  // `out` unchanged on error
  CHECK(sp.dims()[0].name == "keep");
}

TEST_CASE("parse enforces the search-space limits", "[searchspace]") {
  searchspace sp;
  std::string text;
  for (size_t i = 0; i <= searchspace_limits::max_dimensions; ++i)
    text += "d" + std::to_string(i) + ": double [0, 1]\n";
  auto st = searchspace::parse(text, sp);
  CHECK(st.to_string() == "space:65:1: d64: too many dimensions (at most 64)");

  std::string list = "bs: discrete [";
  for (size_t i = 0; i <= searchspace_limits::max_choices; ++i)
    list += std::to_string(i) + (i < searchspace_limits::max_choices ? ", " : "]");
  st = searchspace::parse(list, sp);
  CHECK(st.message() == "more than 1024 values");
  CHECK(st.where() == "space:1:" + std::to_string(list.size() - 4) + ": bs");

  st = searchspace::parse(std::string(65, 'n') + ": double [0, 1]", sp);
  CHECK(st.to_string() == "space:1:1: " + std::string(65, 'n') + ": name longer than 64 characters");
  CHECK(sp.empty());
}
