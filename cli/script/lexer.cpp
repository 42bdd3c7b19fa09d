// script::lex: a single pass over the text with a stack of open groups.
#include "cli/script/lexer.hpp"

#include <cstdio>
#include <cstdlib>

namespace lagom::script {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
         c == '_' || c == '-' || c == '.' || c == '/';
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}

// Matches the mantissa -?(D+(.D*)?|.D+) at the start of s; returns its length
// or 0.
size_t mantissa_length(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-')
    ++i;
  size_t digits = 0;
  while (i < s.size() && is_digit(s[i])) { ++i; ++digits; }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) { ++i; ++digits; }
  }
  return digits == 0 ? 0 : i;
}

// True when all of s matches the number grammar in lexer.hpp.
bool is_number(std::string_view s) {
  size_t i = mantissa_length(s);
  if (i == 0)
    return false;
  if (i == s.size())
    return true;
  if (s[i] != 'e' && s[i] != 'E')
    return false;
  ++i;
  if (i < s.size() && (s[i] == '+' || s[i] == '-'))
    ++i;
  size_t digits = 0;
  while (i < s.size() && is_digit(s[i])) { ++i; ++digits; }
  return digits > 0 && i == s.size();
}

struct opener {
  char c;
  uint32_t line, column;
};

char closer_of(char open) { return open == '{' ? '}' : open == '[' ? ']' : ')'; }

token_kind punct_kind(char c) {
  switch (c) {
    case '=': return token_kind::equals;
    case '{': return token_kind::lbrace;
    case '}': return token_kind::rbrace;
    case '[': return token_kind::lbracket;
    case ']': return token_kind::rbracket;
    case '(': return token_kind::lparen;
    case ')': return token_kind::rparen;
    case ',': return token_kind::comma;
    case ';': return token_kind::semicolon;
    default: return token_kind::colon;
  }
}

} // namespace

std::string location::to_string() const {
  return source + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const char* to_string(token_kind kind) noexcept {
  switch (kind) {
    case token_kind::word: return "word";
    case token_kind::number: return "number";
    case token_kind::string: return "string";
    case token_kind::equals: return "'='";
    case token_kind::lbrace: return "'{'";
    case token_kind::rbrace: return "'}'";
    case token_kind::lbracket: return "'['";
    case token_kind::rbracket: return "']'";
    case token_kind::lparen: return "'('";
    case token_kind::rparen: return "')'";
    case token_kind::comma: return "','";
    case token_kind::semicolon: return "';'";
    case token_kind::colon: return "':'";
    case token_kind::end: return "end of statement";
  }
  return "token";
}

bool touching(const token& a, const token& b) {
  return a.line == b.line && b.column == a.column + a.text.size();
}

std::string token::describe() const {
  switch (kind) {
    case token_kind::word:
    case token_kind::number: return "'" + text + "'";
    case token_kind::string: return "\"" + text + "\"";
    default: return to_string(kind);
  }
}

status error_at(const std::string& source, uint32_t line, uint32_t column,
                std::string msg) {
  return status::error(errc::invalid_argument, std::move(msg),
                       location{source, line, column}.to_string());
}

status lex(std::string_view text, const std::string& source, lex_output& out,
           uint32_t first_line) {
  out.tokens.clear();
  out.incomplete = false;
  std::vector<opener> open;
  uint32_t line = first_line;
  size_t line_start = 0;  // offset of the current line's first byte
  size_t i = 0;
  auto column = [&](size_t at) { return static_cast<uint32_t>(at - line_start + 1); };
  auto push = [&](token_kind kind, std::string t, size_t at) {
    token tok;
    tok.kind = kind;
    tok.text = std::move(t);
    tok.line = line;
    tok.column = column(at);
    out.tokens.push_back(std::move(tok));
  };
  // Ends the current statement, unless it is empty.
  auto end_statement = [&](size_t at) {
    if (!out.tokens.empty() && out.tokens.back().kind != token_kind::end)
      push(token_kind::end, "", at);
  };

  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      if (open.empty())
        end_statement(i);
      ++i;
      ++line;
      line_start = i;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n')
        ++i;
    } else if (c == '"') {
      size_t start = i++;
      std::string value;
      for (;;) {
        if (i >= text.size() || text[i] == '\n')
          return error_at(source, line, column(start), "unterminated string");
        char d = text[i];
        if (d == '"') {
          ++i;
          break;
        }
        if (d == '\\') {
          char e = i + 1 < text.size() ? text[i + 1] : '\0';
          if (e == '"' || e == '\\') value += e;
          else if (e == 'n') value += '\n';
          else if (e == 't') value += '\t';
          else if (e == '\n' || e == '\0')
            return error_at(source, line, column(start), "unterminated string");
          else
            return error_at(source, line, column(i),
                            std::string("unknown escape '\\") + e + "' in string");
          i += 2;
        } else {
          value += d;
          ++i;
        }
      }
      push(token_kind::string, std::move(value), start);
    } else if (is_word_char(c)) {
      size_t start = i;
      for (;;) {
        while (i < text.size() && is_word_char(text[i]))
          ++i;
        // The '+' of an exponent (1e+4) continues a number.
        std::string_view run = text.substr(start, i - start);
        size_t m = mantissa_length(run);
        if (i + 1 < text.size() && text[i] == '+' && is_digit(text[i + 1]) &&
            m > 0 && m + 1 == run.size() && (run[m] == 'e' || run[m] == 'E')) {
          ++i;
          continue;
        }
        break;
      }
      std::string run(text.substr(start, i - start));
      if (is_number(run)) {
        push(token_kind::number, run, start);
        out.tokens.back().number = std::strtod(run.c_str(), nullptr);
      } else {
        push(token_kind::word, std::move(run), start);
      }
    } else if (c == '$' && i + 1 < text.size() && is_name_char(text[i + 1]) &&
               !is_digit(text[i + 1])) {
      // $NAME: a script parameter's reference (script_params.hpp), a word.
      size_t start = i++;
      while (i < text.size() && is_name_char(text[i]))
        ++i;
      push(token_kind::word, std::string(text.substr(start, i - start)), start);
    } else if (c == ';' && open.empty()) {
      end_statement(i);
      ++i;
    } else if (c == '{' || c == '[' || c == '(') {
      open.push_back({c, line, column(i)});
      push(punct_kind(c), std::string(1, c), i);
      ++i;
    } else if (c == '}' || c == ']' || c == ')') {
      if (open.empty())
        return error_at(source, line, column(i), std::string("unmatched '") + c + "'");
      if (closer_of(open.back().c) != c)
        return error_at(source, line, column(i),
                        std::string("'") + c + "' does not close '" + open.back().c +
                          "' opened at " + std::to_string(open.back().line) + ":" +
                          std::to_string(open.back().column));
      open.pop_back();
      push(punct_kind(c), std::string(1, c), i);
      ++i;
    } else if (c == '=' || c == ',' || c == ';' || c == ':') {
      push(punct_kind(c), std::string(1, c), i);
      ++i;
    } else {
      auto byte = static_cast<unsigned char>(c);
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", byte);
      std::string what = byte >= 0x20 && byte < 0x7f
                           ? std::string("'") + c + "'" : std::string("byte ") + hex;
      return error_at(source, line, column(i), "unexpected character " + what);
    }
  }
  if (!open.empty()) {
    out.incomplete = true;
    return error_at(source, open.back().line, open.back().column,
                    std::string("unterminated '") + open.back().c + "'");
  }
  end_statement(i);
  return status::ok();
}

} // namespace lagom::script
