// Fuzz target: the `.lagom` line language (cli/script): lex, parse,
// is_incomplete, expand_params (`param` lines and `$NAME`) and to_command
// (every verb's argument checks, the search command's space included) over
// arbitrary text.
//
// Invariants checked: every error is invalid_argument with a
// "source:line:col" where; parse() and is_incomplete() agree (text that is
// incomplete does not parse); every token's line/column lies inside the text.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "cli/script/commands.hpp"
#include "cli/script/lexer.hpp"
#include "cli/script/parser.hpp"
#include "cli/script/script_params.hpp"
#include "fuzz_target.hpp"

using namespace lagom;

namespace {

void check_error(const status& st) {
  if (st.is_ok())
    return;
  fuzz::fuzz_check(st.code() == errc::invalid_argument, "a script error that is not invalid_argument");
  fuzz::fuzz_check(st.where().rfind("fuzz.lagom:", 0) == 0, "a script error whose where is not source:line:col");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto lines = static_cast<uint32_t>(std::count(text.begin(), text.end(), '\n') + 1);

  script::lex_output lexed;
  status lex_st = script::lex(text, "fuzz.lagom", lexed);
  check_error(lex_st);
  for (const auto& t : lexed.tokens) {
    fuzz::fuzz_check(t.line >= 1 && t.line <= lines, "a token's line lies outside the text");
    fuzz::fuzz_check(t.column >= 1 && t.column <= size + 1, "a token's column lies outside the text");
    (void)t.describe();
  }

  std::vector<script::statement> statements;
  status parse_st = script::parse(text, "fuzz.lagom", statements, 7);
  check_error(parse_st);
  if (script::is_incomplete(text))
    fuzz::fuzz_check(!parse_st.is_ok(), "is_incomplete() text parsed cleanly");

  for (const auto& st : statements) {
    script::command cmd;
    check_error(script::to_command(st, cmd));
    (void)script::help_text(st.verb);
    (void)script::complete_command(st.verb);
  }

  // The same statements with their parameters expanded, as `lagom run` does.
  std::vector<script::script_param> params;
  status expand_st = script::expand_params(statements, {}, &params);
  check_error(expand_st);
  if (expand_st.is_ok())
    for (const auto& st : statements) {
      fuzz::fuzz_check(st.verb != "param", "a param statement left after expand_params");
      script::command cmd;
      check_error(script::to_command(st, cmd));
    }
  return 0;
}
