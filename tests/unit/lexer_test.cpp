// script::lex: every token kind, comments, statement ends, multi-line groups
// and errors with source:line:col.
#include <catch2/catch.hpp>

#include "cli/script/lexer.hpp"

using namespace lagom;
using namespace lagom::script;

namespace {

std::vector<token> lex_ok(std::string_view text) {
  lex_output out;
  status s = lex(text, "t.lagom", out);
  INFO(s.to_string());
  REQUIRE(s.is_ok());
  return out.tokens;
}

// The kinds of `tokens`, as names joined by spaces; end shows as "$".
std::string kinds(const std::vector<token>& tokens) {
  std::string k;
  for (const auto& t : tokens) {
    if (!k.empty())
      k += ' ';
    k += t.kind == token_kind::end ? "$" : to_string(t.kind);
  }
  return k;
}

status lex_error(std::string_view text, bool* incomplete = nullptr) {
  lex_output out;
  status s = lex(text, "examples/bad.lagom", out);
  if (incomplete)
    *incomplete = out.incomplete;
  return s;
}

} // namespace

TEST_CASE("words may hold letters, digits and _ - . /", "[script][lexer]") {
  auto t = lex_ok("launch mnist_v2 data/x-1.csv ./run");
  REQUIRE(kinds(t) == "word word word word $");
  CHECK(t[0].text == "launch");
  CHECK(t[1].text == "mnist_v2");
  CHECK(t[2].text == "data/x-1.csv");
  CHECK(t[3].text == "./run");
  CHECK(t[2].line == 1);
  CHECK(t[2].column == 17);
}

TEST_CASE("numbers: int, float, exponent, negative", "[script][lexer]") {
  auto t = lex_ok("4 -1 0.5 .25 1e-4 2.5E+3 -3e2 7.");
  REQUIRE(kinds(t) == "number number number number number number number number $");
  CHECK(t[0].number == 4);
  CHECK(t[1].number == -1);
  CHECK(t[2].number == 0.5);
  CHECK(t[3].number == 0.25);
  CHECK(t[4].number == Approx(1e-4));
  CHECK(t[4].text == "1e-4");
  CHECK(t[5].number == 2500);
  CHECK(t[5].text == "2.5E+3");
  CHECK(t[6].number == -300);
  CHECK(t[7].number == 7);
}

TEST_CASE("a run that is not all number is a word", "[script][lexer]") {
  auto t = lex_ok("3x 1.2.3 - 1e e5 nan");
  REQUIRE(kinds(t) == "word word word word word word $");
  CHECK(t[0].text == "3x");
  CHECK(t[1].text == "1.2.3");
}

TEST_CASE("strings decode escapes", "[script][lexer]") {
  auto t = lex_ok(R"(say "a \"b\" c\\d\ne" "" "# not a comment")");
  REQUIRE(kinds(t) == "word string string string $");
  CHECK(t[1].text == "a \"b\" c\\d\ne");
  CHECK(t[1].column == 5);
  CHECK(t[2].text.empty());
  CHECK(t[3].text == "# not a comment");
  CHECK(t[1].describe() == "\"a \"b\" c\\d\ne\"");
}

TEST_CASE("key=value is word, '=', value", "[script][lexer]") {
  auto t = lex_ok("cpus=4 lr=-1e-4 opt=adam name=\"x y\"");
  REQUIRE(kinds(t) == "word '=' number word '=' number word '=' word word '=' string $");
  CHECK(t[5].number == Approx(-1e-4));
  CHECK(t[8].text == "adam");
}

TEST_CASE("every punctuation token", "[script][lexer]") {
  auto t = lex_ok("x { } [ ] ( ) , : = ;");
  CHECK(kinds(t) == "word '{' '}' '[' ']' '(' ')' ',' ':' '=' $");
  t = lex_ok("f { a: 1; b: 2 } (3, 4)");
  CHECK(kinds(t) == "word '{' word ':' number ';' word ':' number '}' '(' number ',' number ')' $");
}

TEST_CASE("comments run to the end of the line", "[script][lexer]") {
  auto t = lex_ok("# header\nstatus # trailing\n  # alone\nquit#x");
  REQUIRE(kinds(t) == "word $ word $");
  CHECK(t[0].line == 2);
  CHECK(t[2].line == 4);
  CHECK(t[2].column == 1);
}

TEST_CASE("newlines and top-level semicolons end statements, empty ones vanish", "[script][lexer]") {
  auto t = lex_ok("\n\nstatus\n\n;;help; quit\n");
  CHECK(kinds(t) == "word $ word $ word $");
  CHECK(lex_ok("").empty());
  CHECK(lex_ok("  # only a comment\n\n").empty());
  CHECK(kinds(lex_ok("a\r\nb")) == "word $ word $");
}

TEST_CASE("a brace or bracket block spans lines, semicolon inside separates entries",
          "[script][lexer]") {
  auto t = lex_ok("search f trials=40 space {\n"
                  "  lr: double [1e-4,\n"
                  "              1e-1] log;\n"
                  "  units: integer [32, 512]\n"
                  "}\n"
                  "status\n");
  CHECK(kinds(t) == "word word word '=' number word '{' "
                    "word ':' word '[' number ',' number ']' word ';' "
                    "word ':' word '[' number ',' number ']' '}' $ word $");
  CHECK(t.back().kind == token_kind::end);
  const token& status_tok = t[t.size() - 2];
  CHECK(status_tok.text == "status");
  CHECK(status_tok.line == 6);
  CHECK(t[13].text == "1e-1");
  CHECK(t[13].line == 3);
  CHECK(t[13].column == 15);
}

TEST_CASE("the first line can be numbered by the caller", "[script][lexer]") {
  lex_output out;
  REQUIRE(lex("status", "<shell>", out, 12).is_ok());
  CHECK(out.tokens[0].line == 12);
}

TEST_CASE("an unterminated string is an error at its opening quote", "[script][lexer]") {
  status s = lex_error("status\nhelp\nlaunch \"abc\n");
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.code() == errc::invalid_argument);
  CHECK(s.to_string() == "examples/bad.lagom:3:8: unterminated string");
  CHECK(lex_error("x \"abc").to_string() == "examples/bad.lagom:1:3: unterminated string");
  CHECK(lex_error("x \"abc\\").to_string() == "examples/bad.lagom:1:3: unterminated string");
  bool incomplete = true;
  lex_error("{ \"abc\n }", &incomplete);
  CHECK_FALSE(incomplete);
}

TEST_CASE("an unknown escape is an error at the backslash", "[script][lexer]") {
  CHECK(lex_error("x \"a\\qb\"").to_string() ==
        "examples/bad.lagom:1:5: unknown escape '\\q' in string");
}

TEST_CASE("an unterminated block is an error at its opening bracket, and incomplete",
          "[script][lexer]") {
  bool incomplete = false;
  status s = lex_error("status\nsearch f space {\n  lr: double [1e-4, 1e-1]\n", &incomplete);
  CHECK(s.to_string() == "examples/bad.lagom:2:16: unterminated '{'");
  CHECK(incomplete);
  s = lex_error("f { a [1,\n", &incomplete);
  CHECK(s.to_string() == "examples/bad.lagom:1:7: unterminated '['");
  CHECK(incomplete);
}

TEST_CASE("unmatched and mismatched closers are errors", "[script][lexer]") {
  bool incomplete = true;
  CHECK(lex_error("f }", &incomplete).to_string() == "examples/bad.lagom:1:3: unmatched '}'");
  CHECK_FALSE(incomplete);
  CHECK(lex_error("f {\n [ }").to_string() ==
        "examples/bad.lagom:2:4: '}' does not close '[' opened at 2:2");
}

TEST_CASE("an unexpected character is an error", "[script][lexer]") {
  CHECK(lex_error("launch f @").to_string() ==
        "examples/bad.lagom:1:10: unexpected character '@'");
  CHECK(lex_error("a \x01").to_string() ==
        "examples/bad.lagom:1:3: unexpected character byte 0x01");
}
