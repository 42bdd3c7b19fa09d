// script::expand_params: `param` lines, `$NAME` references and NAME=VALUE
// overrides, checked through the commands they produce.
#include <catch2/catch.hpp>

#include "cli/script/commands.hpp"
#include "cli/script/script_params.hpp"

using namespace lagom;
using namespace lagom::script;

namespace {

// Parses `text` as run.lagom, expands it with `overrides`, then checks every
// statement into a command; the first error, if any.
status expand(const std::string& text, const std::vector<std::string>& overrides,
              std::vector<command>& out, std::vector<script_param>* params = nullptr) {
  std::vector<statement> st;
  if (auto s = parse(text, "run.lagom", st); !s)
    return s;
  if (auto s = expand_params(st, overrides, params); !s)
    return s;
  out.clear();
  for (auto& x : st) {
    command c;
    if (auto s = to_command(x, c); !s)
      return s;
    out.push_back(std::move(c));
  }
  return status::ok();
}

std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
  std::vector<command> out;
  auto s = expand(text, overrides, out);
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.code() == errc::invalid_argument);
  return s.to_string();
}

} // namespace

TEST_CASE("a parameter's default reaches every reference and param lines vanish", "[params]") {
  std::vector<command> out;
  std::vector<script_param> params;
  REQUIRE(expand("param epochs=5 lr=0.001 tag=\"a b\"\n"
                 "launch echo epochs=$epochs lr=$lr label=$tag\n"
                 "all_reduce fashion_mnist_cnn workers=2 epochs=$epochs\n",
                 {}, out, &params));
  REQUIRE(out.size() == 2);
  auto& l = std::get<launch_cmd>(out[0]);
  REQUIRE(l.params.size() == 3);
  CHECK(std::get<double>(l.params[0].second) == 5);
  CHECK(std::get<double>(l.params[1].second) == Approx(0.001));
  CHECK(std::get<std::string>(l.params[2].second) == "a b");
  REQUIRE(params.size() == 3);
  CHECK(params[0].name == "epochs");
  CHECK(params[0].value == "5");
  CHECK_FALSE(params[0].overridden);
  CHECK(params[2].value == "\"a b\"");
  CHECK(params[1].loc.to_string() == "run.lagom:1:16");
}

TEST_CASE("an override replaces the default, glued values stay one value", "[params]") {
  std::vector<command> out;
  std::vector<script_param> params;
  const std::string text =
    "param images=idx:/data/fm n=3\n"
    "create_featuregroup fashion from=$images key=id\n"
    "get_featuregroup fashion show $n\n";
  REQUIRE(expand(text, {}, out));
  CHECK(std::get<create_featuregroup_cmd>(out[0]).source == "idx:/data/fm");
  // Longer than `$images`: key=id must not be glued onto it.
  REQUIRE(expand(text, {"images=idx:/usr/share/datasets/fashion-mnist:t10k", "n=5"}, out, &params));
  auto& c = std::get<create_featuregroup_cmd>(out[0]);
  CHECK(c.source == "idx:/usr/share/datasets/fashion-mnist:t10k");
  CHECK(c.key == std::vector<std::string>{"id"});
  CHECK(std::get<get_featuregroup_cmd>(out[1]).show == 5);
  CHECK(params[0].overridden);
  // Shorter than `$images`, and a reference glued to what follows it.
  REQUIRE(expand("param d=/x\ncreate_featuregroup f from=idx:$d:t10k seed=1\n", {}, out));
  CHECK(std::get<create_featuregroup_cmd>(out[0]).source == "idx:/x:t10k");
  CHECK(std::get<create_featuregroup_cmd>(out[0]).seed == 1);
}

TEST_CASE("a substituted value is checked by its command, at the reference", "[params]") {
  CHECK(error_of("param n=x\nget_featuregroup g show $n\n") ==
        "run.lagom:2:25: show must be an integer from 0 to 1000000, got 'x'");
  CHECK(error_of("param n=5\nget_featuregroup g show $n\n", {"n=-1"}).find("run.lagom:2:25:") == 0);
}

TEST_CASE("bad parameters are refused naming what and where", "[params]") {
  CHECK(error_of("param epochs=5\nlaunch echo e=$epoch\n") ==
        "run.lagom:2:15: unknown parameter '$epoch'; did you mean '$epochs'?");
  CHECK(error_of("launch echo e=$zzz\n") ==
        "run.lagom:1:15: unknown parameter '$zzz'; declare it with `param zzz=VALUE`");
  CHECK(error_of("param a=1\nparam a=2\n") ==
        "run.lagom:2:7: parameter 'a' declared twice (first at run.lagom:1:7)");
  CHECK(error_of("param\n") == "run.lagom:1:1: param needs NAME=VALUE, e.g. param epochs=5");
  CHECK(error_of("param 1x=2\n").find("run.lagom:1:7: expected NAME=VALUE") == 0);
  CHECK(error_of("param a=\n") == "run.lagom:1:8: a parameter needs a value after '='");
  CHECK(error_of("param a=1 b=$a\n") ==
        "run.lagom:1:13: a parameter's default cannot use another parameter ($a)");
  CHECK(error_of("param epochs=5\n", {"epoch=1"}) ==
        "argument 'epoch=1': the script has no parameter 'epoch'; did you mean 'epochs'? "
        "(it has: epochs)");
  CHECK(error_of("launch echo\n", {"a=1"}) ==
        "argument 'a=1': the script has no parameter 'a' (it declares none)");
  CHECK(error_of("param a=1\n", {"a"}) == "argument 'a': expected NAME=VALUE");
  CHECK(error_of("param a=1\n", {"a="}) == "argument 'a=': empty value");
  CHECK(error_of("param a=1\n", {"a=1 2"}).find("argument 'a=1 2': '1 2' is not one value") == 0);
  CHECK(error_of("param a=1\n", {"a= "}).find("' ' is not one value") != std::string::npos);
  CHECK(error_of("param a=1\n", {"a=#1"}).find("'#1' is not one value") != std::string::npos);
  CHECK(error_of("param a=1\n", {"a=1;2"}).find("'1;2' is not one value") != std::string::npos);
  CHECK(error_of("param a=1\n", {"a=$b"}).find("is not one value") != std::string::npos);
  CHECK(error_of("param a=1\n", {"a=\"x"}).find("unterminated string") != std::string::npos);
}

TEST_CASE("a lone dollar is not a reference", "[params]") {
  std::vector<statement> st;
  CHECK(parse("launch echo a=$\n", "run.lagom", st).to_string() ==
        "run.lagom:1:15: unexpected character '$'");
  CHECK(parse("launch echo a=$1\n", "run.lagom", st).to_string() ==
        "run.lagom:1:15: unexpected character '$'");
}
