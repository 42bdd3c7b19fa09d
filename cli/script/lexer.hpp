// script::lex: splits `.lagom` source text into tokens with line and column.
//
// The line language is shared by `lagom run FILE` and the interactive shell.
// Token kinds:
//   word    letters, digits and _ - . / (e.g. train, mnist-v2, data/x.csv)
//   number  -?(D+(.D*)?|.D+)([eE][+-]?D+)?  e.g. 4, -1, 0.5, 1e-4, 2.5E+3
//   string  "..." with the escapes \" \\ \n \t; text holds the decoded value
//   = { } [ ] ( ) , ; :   punctuation, one token each
//   end     the end of a statement
// A run of word characters is one token: a number when the whole run matches
// the number grammar, otherwise a word (so `3x` and `1.2.3` are words).
// `$NAME` (NAME of [A-Za-z0-9_], not starting with a digit) is a word whose
// text keeps the `$`: a script parameter (script_params.hpp).
// key=value is lexed as word, '=', value. `#` starts a comment to the end of
// the line, except inside a string.
//
// Statements: a newline ends a statement, and so does `;` outside brackets.
// Inside a { } [ ] or ( ) group newlines are ignored and `;` is a plain
// token (it separates entries), so a block may span lines:
//   search f trials=40 space { lr: double [1e-4, 1e-1] log;
//                              units: integer [32, 512] }
// Every statement, including the last, is followed by exactly one `end`
// token; empty statements produce no `end`.
//
// Errors are status values with errc::invalid_argument and where =
// "source:line:col" (see location::to_string), e.g.
//   examples/bad.lagom:3:9: unterminated string
// A group still open at the end of the text is the error
// "unterminated '{'" at the opening bracket, and sets lex_output::incomplete
// so that the shell can ask for another line instead of reporting it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lagom/status.hpp"

namespace lagom::script {

/// A position in a source: a file path, or a name such as "<shell>".
/// Lines and columns count from 1; a column counts bytes.
struct location {
  std::string source;
  uint32_t line = 1;
  uint32_t column = 1;

  /// "source:line:col".
  std::string to_string() const;
};

enum class token_kind {
  word, number, string,
  equals, lbrace, rbrace, lbracket, rbracket, lparen, rparen,
  comma, semicolon, colon,
  end,
};

/// The stable name of a token kind, e.g. "word", "'{'", "end of statement".
const char* to_string(token_kind kind) noexcept;

struct token {
  token_kind kind = token_kind::end;
  std::string text;     ///< as written; for a string, the decoded value
  double number = 0;    ///< the value of a number token, else 0
  uint32_t line = 1;
  uint32_t column = 1;

  /// For messages: the text quoted ('train', "a b") or the kind's name.
  std::string describe() const;
};

/// True when `b` starts on `a`'s line right where `a` ends (no blank
/// between them: `fs:td:2` is five touching tokens). For a string token the
/// text is the decoded value, so only words, numbers and punctuation compare.
bool touching(const token& a, const token& b);

struct lex_output {
  std::vector<token> tokens;
  /// True when the only error is a group left open at the end of the text.
  bool incomplete = false;
};

/// Lexes `text` from `source`; its first line is numbered `first_line`.
/// On error `out.tokens` holds the tokens before the error.
status lex(std::string_view text, const std::string& source, lex_output& out,
           uint32_t first_line = 1);

/// An invalid_argument status at `source:line:col`.
status error_at(const std::string& source, uint32_t line, uint32_t column,
                std::string msg);

} // namespace lagom::script
