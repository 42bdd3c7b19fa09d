// The script's `search` and `resume` commands:
//
//   search FN [key=value ...] space { NAME: KIND [A, B] [log|linear]; ... }
//   resume EXPERIMENT
//
// search's keys (any order, each at most once; the rest are hyperparameters
// every trial gets):
//   optimizer  random|grid|de|asha|hyperband|tpe     trials  N
//   metric     KEY          direction max|min         name    EXPERIMENT
//   seed       N            containers N  cpus N  gpus N  workers N (ranks per trial)
//   resource   KEY (ASHA/Hyperband's budget goes there)
//   early_stopping none|median|asha  es_min N  es_interval N  es_warmup N
//   es_reduction_factor X  es_resource_min N
//   max_retries N  heartbeat_timeout SECONDS  time_budget SECONDS
//   the optimizer's settings, as each optimizer declares them
//     (tuning::optimizer_specs(): name, type, default, range)
// The space block is the search-space grammar of runtime/tuning
// (searchspace::parse, searchspace_text.cpp): its tokens are laid out as
// that grammar's text and its errors are moved back to the script's line
// and column: "run.lagom:3:20: lr: empty range [0.1, 0.01]".
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "cli/script/commands.hpp"
#include "tuning/optimizer.hpp"

namespace lagom::script {

namespace {

// A setting some optimizer declares (make_optimizer checks it against the
// chosen one's declaration).
bool is_setting(const std::string& key) {
  for (auto* spec : tuning::optimizer_specs())
    for (auto& d : spec->settings)
      if (key == d.name)
        return true;
  return false;
}

// A non-negative whole number.
status whole(const statement& st, const token& t, const std::string& key, double max,
             double& out) {
  if (t.kind != token_kind::number || t.number < 0 || t.number > max ||
      std::floor(t.number) != t.number)
    return st.error(t, key + " must be a whole number from 0 to " +
                         std::to_string(static_cast<uint64_t>(max)) + ", got " + t.describe());
  out = t.number;
  return status::ok();
}

status positive(const statement& st, const token& t, const std::string& key, double& out) {
  if (t.kind != token_kind::number || !(t.number > 0))
    return st.error(t, key + " must be a positive number, got " + t.describe());
  out = t.number;
  return status::ok();
}

status word_value(const statement& st, const token& t, const std::string& key,
                  std::string& out) {
  if (t.kind != token_kind::word && t.kind != token_kind::string)
    return st.error(t, key + " must be a word, got " + t.describe());
  out = t.text;
  return status::ok();
}

status set_key(const statement& st, const token& k, const token& v, search_cmd& cmd) {
  const std::string& key = k.text;
  auto& o = cmd.opts;
  double n = 0;
  std::string w;
  status s;
  if (is_setting(key)) {
    if (v.kind != token_kind::number)
      return st.error(v, key + " must be a number, got " + v.describe());
    o.optimizer_settings.set(key, v.number);
  } else if (key == "optimizer" || key == "metric" || key == "name" || key == "resource" ||
             key == "early_stopping" || key == "direction") {
    if (!(s = word_value(st, v, key, w)))
      return s;
    if (key == "direction" && w != "max" && w != "min")
      return st.error(v, "direction must be max or min, got " + v.describe());
    (key == "optimizer" ? o.optimizer : key == "metric" ? o.metric : key == "name" ? o.name
     : key == "resource" ? o.resource : key == "direction" ? o.direction
                         : o.early_stopping.name) = w;
  } else if (key == "trials" || key == "seed" || key == "containers" || key == "cpus" ||
             key == "gpus" || key == "es_min" || key == "es_interval" || key == "es_warmup" ||
             key == "es_resource_min" || key == "max_retries" || key == "workers") {
    if (!(s = whole(st, v, key, key == "seed" ? 9.007e15 : 4294967295.0, n)))
      return s;
    if (key == "trials") o.num_trials = uint32_t(n);
    else if (key == "seed") o.seed = uint64_t(n);
    else if (key == "containers") o.containers = uint32_t(n);
    else if (key == "cpus") o.cpus = uint32_t(n);
    else if (key == "gpus") o.gpus = uint32_t(n);
    else if (key == "es_min") o.early_stopping.min_trials = uint32_t(n);
    else if (key == "es_interval") o.early_stopping.interval = uint64_t(n);
    else if (key == "es_warmup") o.early_stopping.warmup = uint64_t(n);
    else if (key == "es_resource_min") o.early_stopping.resource_min = uint64_t(n);
    else if (key == "workers") {
      if (n < 1)
        return st.error(v, "workers must be at least 1 (ranks per trial), got " + v.describe());
      o.workers = uint32_t(n);
    }
    else o.max_retries = uint32_t(n);
  } else if (key == "es_reduction_factor") {
    if (!(s = positive(st, v, key, o.early_stopping.reduction_factor)))
      return s;
  } else if (key == "heartbeat_timeout" || key == "time_budget") {
    if (v.kind != token_kind::number || v.number < 0)
      return st.error(v, key + " must be seconds (a number >= 0), got " + v.describe());
    auto ms = std::chrono::milliseconds(static_cast<int64_t>(std::llround(v.number * 1000)));
    (key == "time_budget" ? o.time_budget : o.heartbeat_timeout) = ms;
  } else if (v.kind == token_kind::number) {
    o.params.set(key, v.number);
  } else if (v.kind == token_kind::word || v.kind == token_kind::string) {
    o.params.set(key, v.text);
  } else {
    return st.error(v, "value of '" + key + "' must be a number, word or string, got " +
                         v.describe());
  }
  return status::ok();
}

// A token as the search-space grammar writes it. A categorical value is
// any word or number in the script (sgd-m, 32): quoted there.
std::string space_text(const token& t, bool categorical_item = false) {
  bool plain_word = t.kind == token_kind::word && !t.text.empty() &&
                    std::all_of(t.text.begin(), t.text.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                    });
  bool quote = categorical_item && (t.kind == token_kind::number || t.kind == token_kind::word);
  switch (t.kind) {
    case token_kind::word:
    case token_kind::number:
      if (!quote && (plain_word || t.kind == token_kind::number))
        return t.text;
      [[fallthrough]];
    case token_kind::string: {
      std::string out = "\"";
      for (char c : t.text) {
        if (c == '"' || c == '\\')
          out += '\\';
        out += c;
      }
      return out + "\"";
    }
    case token_kind::lbracket: return "[";
    case token_kind::rbracket: return "]";
    case token_kind::comma: return ",";
    case token_kind::semicolon: return ";";
    case token_kind::colon: return ":";
    case token_kind::equals: return "=";
    case token_kind::lparen: return "(";
    case token_kind::rparen: return ")";
    case token_kind::lbrace: return "{";
    default: return t.text;
  }
}

// Reads the block from a[i] ('{') to its '}' with searchspace::parse. The
// tokens are laid out one line of text per script line (newlines inside
// brackets become blanks, as the script's lexer reads them), each token's
// place remembered, so an error at "space:L:C" names the script's token.
status parse_space(const statement& st, const std::vector<token>& a, size_t& i,
                   tuning::searchspace& space) {
  const token& open = a[i];
  struct placed_token {
    size_t line, col, width;
    const token* t;
  };
  std::vector<placed_token> placed;
  std::string text;
  size_t line = 1, col = 1, depth = 0;
  bool categorical = false;  // the dimension being read is categorical
  ++i;
  for (; i < a.size() && a[i].kind != token_kind::rbrace; ++i) {
    const token& t = a[i];
    if (depth == 0 && t.kind == token_kind::word && i > 0 &&
        a[i - 1].kind == token_kind::colon) {
      std::string k = t.text;
      std::transform(k.begin(), k.end(), k.begin(), ::tolower);
      categorical = k == "categorical";
    }
    if (!placed.empty()) {
      bool new_line = t.line > placed.back().t->line && depth == 0;
      text += new_line ? '\n' : ' ';
      line += new_line ? 1 : 0;
      col = new_line ? 1 : col + 1;
    }
    std::string w = space_text(t, categorical && depth > 0);
    placed.push_back({line, col, w.size(), &t});
    text += w;
    col += w.size();
    depth += t.kind == token_kind::lbracket ? 1 : 0;
    depth -= t.kind == token_kind::rbracket && depth > 0 ? 1 : 0;
  }
  if (i >= a.size())
    return st.error(open, "unterminated '{'");
  const token& close = a[i];
  ++i;
  tuning::searchspace parsed;
  if (auto s = tuning::searchspace::parse(text, parsed); !s) {
    // where = "space:LINE:COL[: NAME]": the token at or last before it.
    size_t l = 0, c = 0;
    std::string name;
    if (std::sscanf(s.where().c_str(), "space:%zu:%zu", &l, &c) != 2)
      return st.error(open, s.to_string());
    auto colon = s.where().find(": ");
    if (colon != std::string::npos)
      name = s.where().substr(colon + 2);
    const token* at = &close;
    for (auto& p : placed)
      if (p.line < l || (p.line == l && p.col <= c))
        at = p.t;
      else
        break;
    if (!placed.empty() && l == placed.back().line &&
        c >= placed.back().col + placed.back().width)
      at = &close;  // past the last token: the end of the block
    return st.error(*at, (name.empty() ? "" : name + ": ") + s.message());
  }
  if (parsed.empty())
    return st.error(open, "the space is empty: name at least one hyperparameter");
  space = std::move(parsed);
  return status::ok();
}

} // namespace

status parse_search(const statement& st, command& out) {
  search_cmd cmd;
  cmd.loc = st.loc;
  const auto& a = st.args;
  std::string need = "search needs a function name: " +
                     std::string(find_command("search")->synopsis);
  if (a.empty())
    return st.error(need);
  if (a[0].kind != token_kind::word || a[0].text == "space")
    return st.error(a[0], need);
  cmd.function = a[0].text;
  std::vector<std::string> seen;
  bool has_space = false;
  for (size_t i = 1; i < a.size();) {
    const token& t = a[i];
    if (t.kind == token_kind::word && t.text == "space" && i + 1 < a.size() &&
        a[i + 1].kind == token_kind::lbrace) {
      if (has_space)
        return st.error(t, "'space' given twice");
      has_space = true;
      ++i;
      if (auto s = parse_space(st, a, i, cmd.space); !s)
        return s;
      continue;
    }
    if (t.kind == token_kind::word && i + 2 < a.size() && a[i + 1].kind == token_kind::equals) {
      if (std::find(seen.begin(), seen.end(), t.text) != seen.end())
        return st.error(t, "'" + t.text + "' given twice");
      seen.push_back(t.text);
      if (auto s = set_key(st, t, a[i + 2], cmd); !s)
        return s;
      i += 3;
      continue;
    }
    return st.error(t, "unexpected " + t.describe() +
                         " in search; expected key=value or space { ... }");
  }
  if (!has_space)
    return st.error("search needs a space { NAME: KIND [A, B]; ... }");
  out = std::move(cmd);
  return status::ok();
}

status parse_resume(const statement& st, command& out) {
  resume_cmd cmd;
  cmd.loc = st.loc;
  if (st.args.size() != 1 || st.args[0].kind == token_kind::equals)
    return st.error("resume takes one experiment name: resume EXPERIMENT");
  cmd.experiment = st.args[0].text;
  out = std::move(cmd);
  return status::ok();
}

} // namespace lagom::script
