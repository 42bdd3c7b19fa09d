// script::parse: statements with their locations, errors as file:line:col,
// and is_incomplete for the shell's continuation prompt.
#include <catch2/catch.hpp>

#include "cli/script/parser.hpp"

using namespace lagom;
using namespace lagom::script;

namespace {

std::vector<statement> parse_ok(std::string_view text, const std::string& source = "run.lagom") {
  std::vector<statement> out;
  status s = parse(text, source, out);
  INFO(s.to_string());
  REQUIRE(s.is_ok());
  return out;
}

} // namespace

TEST_CASE("a script parses into statements with verb, args and location",
          "[script][parser]") {
  auto st = parse_ok("# train\n"
                     "launch train on 4 cpus=2 lr=1e-3\n"
                     "\n"
                     "  status\n"
                     "help launch; quit\n");
  REQUIRE(st.size() == 4);
  CHECK(st[0].verb == "launch");
  REQUIRE(st[0].args.size() == 9);
  CHECK(st[0].args[0].text == "train");
  CHECK(st[0].args[8].number == Approx(1e-3));
  CHECK(st[0].loc.to_string() == "run.lagom:2:1");
  CHECK(st[1].verb == "status");
  CHECK(st[1].args.empty());
  CHECK(st[1].loc.to_string() == "run.lagom:4:3");
  CHECK(st[2].verb == "help");
  CHECK(st[2].args.size() == 1);
  CHECK(st[3].verb == "quit");
  CHECK(st[3].loc.to_string() == "run.lagom:5:14");
}

TEST_CASE("a multi-line block stays in one statement", "[script][parser]") {
  auto st = parse_ok("search f trials=40 space { lr: double [1e-4, 1e-1] log;\n"
                     "                           units: integer [32, 512] }\n"
                     "status");
  REQUIRE(st.size() == 2);
  CHECK(st[0].verb == "search");
  CHECK(st[0].args.size() == 25);
  CHECK(st[0].args.back().kind == token_kind::rbrace);
  CHECK(st[0].args.back().line == 2);
  CHECK(st[1].loc.line == 3);
}

TEST_CASE("empty text and comments give no statements", "[script][parser]") {
  CHECK(parse_ok("").empty());
  CHECK(parse_ok("# nothing\n\n   \n").empty());
}

TEST_CASE("statement::at and error locate a token in the statement's source",
          "[script][parser]") {
  auto st = parse_ok("\n  launch f cpus=x", "jobs/a.lagom");
  REQUIRE(st.size() == 1);
  const token& x = st[0].args[3];
  CHECK(st[0].at(x).to_string() == "jobs/a.lagom:2:17");
  status e = st[0].error(x, "bad");
  CHECK(e.code() == errc::invalid_argument);
  CHECK(e.where() == "jobs/a.lagom:2:17");
  CHECK(st[0].error("verb").to_string() == "jobs/a.lagom:2:3: verb");
}

TEST_CASE("a statement must start with a word", "[script][parser]") {
  std::vector<statement> out;
  status s = parse("status\n42 launch\n", "run.lagom", out);
  CHECK(s.to_string() == "run.lagom:2:1: expected a command name, got '42'");
  REQUIRE(out.size() == 1);  // the statements before the error
  s = parse("  \"launch\"", "run.lagom", out);
  CHECK(s.to_string() == "run.lagom:1:3: expected a command name, got \"launch\"");
  s = parse("{ }", "run.lagom", out);
  CHECK(s.to_string() == "run.lagom:1:1: expected a command name, got '{'");
}

TEST_CASE("lexer errors come back with file:line:col", "[script][parser]") {
  std::vector<statement> out;
  status s = parse("status\n\nlaunch f name=\"abc\n", "examples/bad.lagom", out);
  CHECK(s.code() == errc::invalid_argument);
  CHECK(s.where() == "examples/bad.lagom:3:15");
  CHECK(s.to_string() == "examples/bad.lagom:3:15: unterminated string");
  CHECK(out.empty());

  s = parse("status\nsearch f space { lr: double [1e-4, 1e-1]\n", "examples/bad.lagom", out);
  CHECK(s.to_string() == "examples/bad.lagom:2:16: unterminated '{'");
}

TEST_CASE("the shell numbers lines from where its buffer starts", "[script][parser]") {
  std::vector<statement> out;
  status s = parse("launch f name=\"x", "<shell>", out, 7);
  CHECK(s.to_string() == "<shell>:7:15: unterminated string");
  REQUIRE(parse("status", "<shell>", out, 7).is_ok());
  CHECK(out[0].loc.to_string() == "<shell>:7:1");
}

TEST_CASE("is_incomplete: true only while a group is open", "[script][parser]") {
  CHECK_FALSE(is_incomplete(""));
  CHECK_FALSE(is_incomplete("launch f on 2"));
  CHECK(is_incomplete("search f space {"));
  CHECK(is_incomplete("search f space {\n  lr: double [1e-4,"));
  CHECK(is_incomplete("search f space {\n  lr: double [1e-4, 1e-1]"));
  CHECK_FALSE(is_incomplete("search f space {\n  lr: double [1e-4, 1e-1] }"));
  CHECK(is_incomplete("f { # a } in a comment"));
  CHECK_FALSE(is_incomplete("f \"{\""));
  // Other errors are not incomplete: parse() reports them.
  CHECK_FALSE(is_incomplete("f { \"abc"));
  CHECK_FALSE(is_incomplete("f }"));
  CHECK_FALSE(is_incomplete("f { ] "));
}

TEST_CASE("a value glued with colons after key= is one word", "[script][parser]") {
  std::vector<statement> out;
  REQUIRE(parse("launch f data=fs:fashion_td:2 x=a : b", "run.lagom", out).is_ok());
  REQUIRE(out.size() == 1);
  const auto& a = out[0].args;
  REQUIRE(a.size() == 9);  // f data = fs:fashion_td:2 x = a : b
  CHECK(a[3].kind == token_kind::word);
  CHECK(a[3].text == "fs:fashion_td:2");
  CHECK(a[3].column == 15);
  CHECK(a[6].text == "a");  // blanks around ':' keep it a token of its own
  CHECK(a[7].kind == token_kind::colon);
  // word:number is a pair, three tokens (splits=train:0.8,test:0.2).
  REQUIRE(parse("create_training_dataset t splits=train:0.8,test:0.2", "run.lagom", out).is_ok());
  CHECK(out[0].args[3].text == "train");
  CHECK(out[0].args[4].kind == token_kind::colon);
  // A colon that is not in a key's value is left alone (search spaces).
  REQUIRE(parse("search f space { lr: double [1e-4, 1e-1] }", "run.lagom", out).is_ok());
  CHECK(out[0].args[3].text == "lr");
  CHECK(out[0].args[4].kind == token_kind::colon);
}
