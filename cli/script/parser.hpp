// script::parse: turns `.lagom` source text into statements.
//
// A statement is a verb (its first token, which must be a word) and the
// tokens after it up to the end of the statement (see lexer.hpp for where
// statements end). Statements are not validated here: commands.hpp checks a
// statement's arguments against its verb.
//
// Both front ends use the same entry points:
//  - `lagom run FILE` reads the whole file and calls parse(text, path, ...).
//  - the shell keeps the lines typed so far in a buffer. While
//    is_incomplete(buffer) (a { [ or ( group is still open) it shows a
//    continuation prompt; otherwise it parses the buffer as source "<shell>"
//    with first_line = the number of the buffer's first line, then clears it.
//
// Errors are status values with errc::invalid_argument and
// where = "source:line:col", e.g. "examples/bad.lagom:3:9: unterminated string".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/script/lexer.hpp"
#include "lagom/status.hpp"

namespace lagom::script {

struct statement {
  std::string verb;
  std::vector<token> args;  ///< the tokens after the verb; no `end` token
  location loc;             ///< where the verb is

  /// Where `t`, one of this statement's tokens, is.
  location at(const token& t) const;
  /// An invalid_argument error at token `t` / at the verb.
  status error(const token& t, std::string msg) const;
  status error(std::string msg) const;
};

/// Parses all of `text` from `source` (whose first line is `first_line`)
/// into `out`, in order. On error `out` holds the statements before it.
status parse(std::string_view text, const std::string& source,
             std::vector<statement>& out, uint32_t first_line = 1);

/// True when `text` lexes cleanly except that a group is still open at its
/// end: more lines are needed. False for complete text and for text with any
/// other error (parse() then reports it).
bool is_incomplete(std::string_view text);

} // namespace lagom::script
