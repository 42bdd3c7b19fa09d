// script::parse: groups the lexer's tokens into statements.
#include "cli/script/parser.hpp"

namespace lagom::script {

location statement::at(const token& t) const {
  return location{loc.source, t.line, t.column};
}

status statement::error(const token& t, std::string msg) const {
  return error_at(loc.source, t.line, t.column, std::move(msg));
}

status statement::error(std::string msg) const {
  return error_at(loc.source, loc.line, loc.column, std::move(msg));
}

status parse(std::string_view text, const std::string& source,
             std::vector<statement>& out, uint32_t first_line) {
  out.clear();
  lex_output lexed;
  status s = lex(text, source, lexed, first_line);
  if (!s.is_ok())
    return s;
  const auto& tokens = lexed.tokens;
  size_t i = 0;
  while (i < tokens.size()) {
    // The lexer never emits an empty statement: tokens[i] is not `end`.
    const token& first = tokens[i];
    if (first.kind != token_kind::word)
      return error_at(source, first.line, first.column,
                      "expected a command name, got " + first.describe());
    statement st;
    st.verb = first.text;
    st.loc = location{source, first.line, first.column};
    for (++i; i < tokens.size() && tokens[i].kind != token_kind::end; ++i) {
      st.args.push_back(tokens[i]);
      // A value written without blanks after `key=` as word:word[:...]
      // (data=fs:fashion_td:2, from=idx:DIR:t10k) is one word. word:number
      // (splits=train:0.8,...) stays three tokens for the commands that
      // read pairs; so does a script parameter's `$NAME`, which is
      // substituted after parsing (script_params.hpp).
      token& v = st.args.back();
      auto reference = [](const token& t) { return !t.text.empty() && t.text[0] == '$'; };
      if (v.kind != token_kind::word || reference(v) || st.args.size() < 2 ||
          st.args[st.args.size() - 2].kind != token_kind::equals)
        continue;
      while (i + 2 < tokens.size() && tokens[i + 1].kind == token_kind::colon &&
             touching(tokens[i], tokens[i + 1]) && !reference(tokens[i + 2]) &&
             (tokens[i + 2].kind == token_kind::word ||
              (tokens[i + 2].kind == token_kind::number && v.text.find(':') != std::string::npos)) &&
             touching(tokens[i + 1], tokens[i + 2])) {
        v.text += tokens[i + 1].text + tokens[i + 2].text;
        i += 2;
      }
    }
    ++i;  // past `end`
    out.push_back(std::move(st));
  }
  return status::ok();
}

bool is_incomplete(std::string_view text) {
  lex_output lexed;
  status s = lex(text, "", lexed);
  return !s.is_ok() && lexed.incomplete;
}

} // namespace lagom::script
