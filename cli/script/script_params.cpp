// script::expand_params: `param` statements, `$NAME` references and the
// command line's NAME=VALUE overrides (see script_params.hpp).
#include "cli/script/script_params.hpp"

#include <algorithm>

#include "core/suggest.hpp"

namespace lagom::script {

namespace {

constexpr const char* param_verb = "param";

bool is_reference(const token& t) {
  return t.kind == token_kind::word && t.text.size() > 1 && t.text[0] == '$';
}

bool value_part(const token& t) {
  return t.kind == token_kind::word || t.kind == token_kind::number ||
         t.kind == token_kind::colon;
}

bool name_ok(const std::string& s) {
  return !s.empty() && s.size() <= 63 && !(s[0] >= '0' && s[0] <= '9') &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '_';
         });
}

// The text a value reads as: its tokens joined, a string quoted.
std::string text_of(const std::vector<token>& value) {
  std::string out;
  for (auto& t : value)
    out += t.kind == token_kind::string ? "\"" + t.text + "\"" : t.text;
  return out;
}

struct declared {
  script_param param;
  std::vector<token> value;
};

// The value that starts at args[i]: a string, or a run of touching words,
// numbers and colons. i is left after it.
status value_at(const statement& st, size_t& i, std::vector<token>& out) {
  const auto& a = st.args;
  out.clear();
  if (i >= a.size())
    return st.error(a[i - 1], "a parameter needs a value after '='");
  if (a[i].kind == token_kind::string) {
    out.push_back(a[i++]);
    return status::ok();
  }
  if (!value_part(a[i]))
    return st.error(a[i], "expected a value, got " + a[i].describe());
  out.push_back(a[i]);
  for (++i; i < a.size() && value_part(a[i]) && touching(a[i - 1], a[i]); ++i)
    out.push_back(a[i]);
  for (auto& t : out)
    if (is_reference(t))
      return st.error(t, "a parameter's default cannot use another parameter (" + t.text + ")");
  return status::ok();
}

// param NAME=VALUE [NAME=VALUE ...]
status declare(const statement& st, std::vector<declared>& out) {
  const auto& a = st.args;
  if (a.empty())
    return st.error("param needs NAME=VALUE, e.g. param epochs=5");
  for (size_t i = 0; i < a.size();) {
    const token& name = a[i];
    if (name.kind != token_kind::word || !name_ok(name.text) || i + 1 >= a.size() ||
        a[i + 1].kind != token_kind::equals)
      return st.error(name, "expected NAME=VALUE (NAME of [A-Za-z0-9_], not starting with a "
                            "digit), got " + name.describe());
    for (auto& d : out)
      if (d.param.name == name.text)
        return st.error(name, "parameter '" + name.text + "' declared twice (first at " +
                                d.param.loc.to_string() + ")");
    declared d;
    d.param.name = name.text;
    d.param.loc = st.at(name);
    i += 2;
    if (auto s = value_at(st, i, d.value); !s)
      return s;
    d.param.value = text_of(d.value);
    out.push_back(std::move(d));
  }
  return status::ok();
}

status bad_override(const std::string& arg, const std::string& msg) {
  return status::error(errc::invalid_argument, msg, "argument '" + arg + "'");
}

// NAME=VALUE from the command line, applied to the declared parameters.
status apply_override(const std::string& arg, std::vector<declared>& params) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    return bad_override(arg, "expected NAME=VALUE");
  std::string name = arg.substr(0, eq), text = arg.substr(eq + 1);
  auto it = std::find_if(params.begin(), params.end(),
                         [&](const declared& d) { return d.param.name == name; });
  if (it == params.end()) {
    std::vector<std::string> names;
    for (auto& d : params)
      names.push_back(d.param.name);
    std::string close = suggest(name, names);
    std::string list;
    for (auto& n : names)
      list += (list.empty() ? "" : ", ") + n;
    return bad_override(arg, "the script has no parameter '" + name + "'" +
                               (close.empty() ? "" : "; did you mean '" + close + "'?") +
                               (list.empty() ? " (it declares none)" : " (it has: " + list + ")"));
  }
  if (text.empty())
    return bad_override(arg, "empty value");
  lex_output lexed;
  if (auto s = lex(text, "argument '" + arg + "'", lexed); !s)
    return s;
  std::vector<token> value;
  if (!lexed.tokens.empty()) // drop the final `end`
    value.assign(lexed.tokens.begin(), lexed.tokens.end() - 1);
  bool single = !value.empty();
  for (size_t i = 0; single && i < value.size(); ++i) {
    if (value[i].kind == token_kind::end || is_reference(value[i]))
      single = false;
    else if (value.size() > 1 && (!value_part(value[i]) || (i > 0 && !touching(value[i - 1], value[i]))))
      single = false;
  }
  if (!single)
    return bad_override(arg, "'" + text + "' is not one value (a word, a number, a \"string\" "
                              "or parts written without spaces such as idx:DIR:t10k)");
  it->value = std::move(value);
  it->param.value = text_of(it->value);
  it->param.overridden = true;
  return status::ok();
}

} // namespace

status expand_params(std::vector<statement>& statements, const std::vector<std::string>& overrides,
                     std::vector<script_param>* params) {
  std::vector<declared> decl;
  std::vector<statement> rest;
  for (auto& st : statements) {
    if (st.verb == param_verb) {
      if (auto s = declare(st, decl); !s)
        return s;
    } else {
      rest.push_back(std::move(st));
    }
  }
  for (auto& arg : overrides)
    if (auto s = apply_override(arg, decl); !s)
      return s;
  std::vector<std::string> names;
  for (auto& d : decl)
    names.push_back(d.param.name);
  for (auto& st : rest) {
    std::vector<token> args;
    // A value longer or shorter than its `$NAME` moves the tokens after it on
    // its line by the difference, so what touched stays touching and what
    // was apart stays apart.
    uint32_t shift_line = 0;
    int64_t shift = 0;
    for (auto t : st.args) {
      if (t.line == shift_line)
        t.column = static_cast<uint32_t>(int64_t(t.column) + shift);
      if (!is_reference(t)) {
        args.push_back(std::move(t));
        continue;
      }
      std::string name = t.text.substr(1);
      auto it = std::find_if(decl.begin(), decl.end(),
                             [&](const declared& d) { return d.param.name == name; });
      if (it == decl.end()) {
        std::string close = suggest(name, names);
        return st.error(t, "unknown parameter '" + t.text + "'" +
                             (close.empty() ? "; declare it with `param " + name + "=VALUE`"
                                            : "; did you mean '$" + close + "'?"));
      }
      const auto& value = it->value;
      const int64_t first = value.front().column;
      const int64_t span = int64_t(value.back().column + value.back().text.size()) - first;
      for (auto v : value) {
        v.column = static_cast<uint32_t>(int64_t(t.column) + (int64_t(v.column) - first));
        v.line = t.line;
        args.push_back(std::move(v));
      }
      if (shift_line != t.line) {
        shift_line = t.line;
        shift = 0;
      }
      shift += span - int64_t(t.text.size());
    }
    st.args = std::move(args);
  }
  statements = std::move(rest);
  if (params) {
    params->clear();
    for (auto& d : decl)
      params->push_back(d.param);
  }
  return status::ok();
}

} // namespace lagom::script
