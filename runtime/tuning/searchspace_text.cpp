// The text form of a search space: a hand-written scanner for parse() and the
// canonical to_string() it reads back.
//
//   space     := sep* (dimension (sep+ dimension)*)? sep*
//   dimension := NAME ':' KIND '[' item (',' item)* ']' SCALE?
//   sep       := ';' | newline          blanks: space, tab, CR; '#' to end of line
//   KIND      := double | integer | discrete | categorical     (any case)
//   SCALE     := log | linear   (double and integer only; linear by default)
//   item      := NUMBER                          (double: 2, integer: 2 integers, discrete: 1+)
//              | NAME | "text with \" and \\"    (categorical: 1+)
//
// Errors are invalid_argument with where = "space:LINE:COL: NAME" (1-based,
// columns in bytes). The column is that of the offending token: the name
// (bad or duplicate name), the kind word, the '[' (empty range, wrong count,
// empty list), the item (bad number, duplicate value), the scale word.
#include "tuning/searchspace.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "core/suggest.hpp"
#include "tuning/searchspace_internal.hpp"

namespace lagom::tuning {

namespace {

struct position {
  size_t line = 1, col = 1;
};

class scanner {
public:
  explicit scanner(const std::string& text) : text_(text) {}

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool at_end() const { return pos_ >= text_.size(); }
  position where() const { return at_; }

  void advance() {
    if (peek() == '\n') {
      ++at_.line;
      at_.col = 1;
    } else {
      ++at_.col;
    }
    ++pos_;
  }

  /// Skips spaces, tabs, CRs and comments; not newlines (they separate).
  void skip_blanks() {
    for (;;) {
      char c = peek();
      if (c == ' ' || c == '\t' || c == '\r')
        advance();
      else if (c == '#')
        while (!at_end() && peek() != '\n')
          advance();
      else
        return;
    }
  }

  bool at_word() const {
    char c = peek();
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
  }

  /// [A-Za-z0-9_]*
  std::string word() {
    size_t from = pos_;
    while (!at_end() && (std::isalnum(static_cast<unsigned char>(peek())) || peek() == '_'))
      advance();
    return text_.substr(from, pos_ - from);
  }

  /// Up to the next blank, ',', ']', ';', '#' or newline.
  std::string number_token() {
    size_t from = pos_;
    while (!at_end() && std::string_view(" \t\r\n,];#").find(peek()) == std::string_view::npos)
      advance();
    return text_.substr(from, pos_ - from);
  }

  /// After the opening '"': up to the closing one. False when unterminated.
  bool quoted(std::string& out) {
    for (;;) {
      char c = peek();
      if (at_end() || c == '\n')
        return false;
      advance();
      if (c == '"')
        return true;
      if (c == '\\' && (peek() == '"' || peek() == '\\')) {
        c = peek();
        advance();
      }
      out += c;
    }
  }

private:
  const std::string& text_;
  size_t pos_ = 0;
  position at_;
};

std::string describe(char c) {
  if (c == '\0')
    return "end of text";
  if (c == '\n')
    return "end of line";
  if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
    return "a control or non-ASCII byte";
  return std::string("'") + c + "'";
}

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

status fail(position p, const std::string& name, std::string msg) {
  std::string where = "space:" + std::to_string(p.line) + ":" + std::to_string(p.col);
  if (!name.empty())
    where += ": " + name;
  return status::error(errc::invalid_argument, std::move(msg), std::move(where));
}

std::string with_suggestion(std::string msg, const std::string& word,
                            const std::vector<std::string>& known) {
  auto close = suggest(word, known);
  return close.empty() ? msg : msg + "; did you mean '" + close + "'?";
}

// Reads the items between '[' (already consumed) and ']' into `d`, keeping
// each item's position.
status read_items(scanner& s, dimension& d, std::vector<position>& at) {
  bool text_items = d.kind == dim_kind::categorical;
  s.skip_blanks();
  if (s.peek() == ']') {
    s.advance();
    return status::ok();  // an empty list: find_problem names it
  }
  for (;;) {
    s.skip_blanks();
    position p = s.where();
    if (at.size() >= searchspace_limits::max_choices)
      return fail(p, d.name,
                  "more than " + std::to_string(searchspace_limits::max_choices) + " values");
    if (text_items) {
      std::string text;
      if (s.peek() == '"') {
        s.advance();
        if (!s.quoted(text))
          return fail(p, d.name, "unterminated quoted text");
      } else if (s.at_word()) {
        text = s.word();
      } else {
        return fail(p, d.name, "expected a name or quoted text, got " + describe(s.peek()));
      }
      d.choices.push_back(std::move(text));
    } else {
      std::string tok = s.number_token();
      if (tok.empty())
        return fail(p, d.name, "expected a number, got " + describe(s.peek()));
      char* end = nullptr;
      double x = std::strtod(tok.c_str(), &end);
      if (end != tok.c_str() + tok.size() || !std::isfinite(x))
        return fail(p, d.name, "bad number '" + tok + "'");
      if (d.kind == dim_kind::integer && (x != std::floor(x) || std::fabs(x) > 0x1p53))
        return fail(p, d.name, "not an integer '" + tok + "'");
      d.values.push_back(x);
    }
    at.push_back(p);
    s.skip_blanks();
    char c = s.peek();
    if (c == ';' || c == '\n' || c == '\0')
      return fail(s.where(), d.name, "missing ']', got " + describe(c));
    if (c != ',' && c != ']')
      return fail(s.where(), d.name, "expected ',' or ']', got " + describe(c));
    s.advance();
    if (c == ']')
      return status::ok();
  }
}

// One dimension, from its name to the separator after it.
status parse_dimension(scanner& s, const std::vector<dimension>& taken, dimension& d) {
  static const std::vector<std::string> kinds = {"double", "integer", "discrete", "categorical"};
  position name_at = s.where();
  if (!s.at_word())
    return fail(name_at, "", "expected a dimension name, got " + describe(s.peek()));
  d.name = s.word();
  s.skip_blanks();
  if (s.peek() != ':')
    return fail(s.where(), d.name, "expected ':' after the name, got " + describe(s.peek()));
  s.advance();
  s.skip_blanks();
  position kind_at = s.where();
  std::string typed = s.at_word() ? s.word() : "", kw = lower(typed);
  if (kw.empty())
    return fail(kind_at, d.name, "expected a kind (double, integer, discrete, categorical), got "
                                   + describe(s.peek()));
  size_t k = 0;
  while (k < kinds.size() && kinds[k] != kw)
    ++k;
  if (k == kinds.size())
    return fail(kind_at, d.name, with_suggestion("unknown kind '" + typed + "'", kw, kinds));
  d.kind = static_cast<dim_kind>(k);  // kinds[] is in dim_kind's order
  s.skip_blanks();
  position open_at = s.where();
  if (s.peek() != '[')
    return fail(open_at, d.name, "missing '[' after " + kw + ", got " + describe(s.peek()));
  s.advance();
  std::vector<position> item_at;
  if (auto st = read_items(s, d, item_at); !st)
    return st;
  bool range = d.kind == dim_kind::real || d.kind == dim_kind::integer;
  if (range) {
    if (d.values.size() != 2)
      return fail(open_at, d.name,
                  "a range takes two bounds [low, high], got " + std::to_string(d.values.size()));
    d.low = d.values[0];
    d.high = d.values[1];
    d.values.clear();
  }
  s.skip_blanks();
  position scale_at = s.where();
  if (s.at_word()) {
    std::string typed_scale = s.word(), scale = lower(typed_scale);
    if (scale != "log" && scale != "linear")
      return fail(scale_at, d.name, with_suggestion("unknown scale '" + typed_scale + "'", scale,
                                                    {"log", "linear"}));
    if (!range)
      return fail(scale_at, d.name, "a scale applies only to double and integer");
    d.log = scale == "log";
  }
  auto p = find_problem(d, taken);
  if (!p.msg.empty()) {
    position at = p.part == dim_part::name  ? name_at
                  : p.part == dim_part::scale ? scale_at
                  : p.part == dim_part::item  ? item_at[p.item]
                                              : open_at;
    return fail(at, d.name, p.msg);
  }
  s.skip_blanks();
  char c = s.peek();
  if (c != ';' && c != '\n' && c != '\0')
    return fail(s.where(), d.name, "expected ';' or a new line, got " + describe(c));
  return status::ok();
}

} // namespace

status searchspace::parse(const std::string& text, searchspace& out) {
  searchspace result;
  scanner s(text);
  for (;;) {
    s.skip_blanks();
    if (s.peek() == ';' || s.peek() == '\n') {
      s.advance();
      continue;
    }
    if (s.at_end())
      break;
    dimension d;
    if (auto st = parse_dimension(s, result.dims_, d); !st)
      return st;
    result.dims_.push_back(std::move(d));
  }
  out = std::move(result);
  return status::ok();
}

std::string searchspace::to_string() const {
  std::string out;
  for (const dimension& d : dims_) {
    out += (out.empty() ? "" : "; ") + d.name + ": " + tuning::to_string(d.kind) + " [";
    if (d.kind == dim_kind::real || d.kind == dim_kind::integer)
      out += exact_number(d.low) + ", " + exact_number(d.high) + "]" + (d.log ? " log" : "");
    else
      out += list_text(d) + "]";
  }
  return out;
}

} // namespace lagom::tuning
