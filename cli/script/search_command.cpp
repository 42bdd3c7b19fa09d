// The script's `search` and `resume` commands:
//
//   search FN [key=value ...] space { NAME: KIND [A, B] [log|linear]; ... }
//   resume EXPERIMENT
//
// search's keys (any order, each at most once; the rest are hyperparameters
// every trial gets):
//   optimizer  random|grid|de|asha|hyperband|tpe     trials  N
//   metric     KEY          direction max|min         name    EXPERIMENT
//   seed       N            containers N  cpus N  gpus N
//   resource   KEY (ASHA/Hyperband's budget goes there)
//   early_stopping none|median|asha  es_min N  es_interval N  es_warmup N
//   es_reduction_factor X  es_resource_min N
//   max_retries N  heartbeat_timeout SECONDS  time_budget SECONDS
//   optimizer settings: grid_points population mutation crossover
//     reduction_factor resource_min resource_max n_startup_trials
//     n_ei_candidates prior_weight
// The space block is read token by token, so an error names the script's
// line and column and the dimension: "run.lagom:3:20: lr: empty range".
#include <algorithm>
#include <cmath>

#include "cli/script/commands.hpp"

namespace lagom::script {

namespace {

const char* const setting_keys[] = {"grid_points",     "population",      "mutation",
                                    "crossover",       "reduction_factor", "resource_min",
                                    "resource_max",    "n_startup_trials", "n_ei_candidates",
                                    "prior_weight"};
const char* const search_keys[] = {
  "optimizer", "trials", "metric", "direction", "name", "seed", "containers", "cpus", "gpus",
  "resource", "early_stopping", "es_min", "es_interval", "es_warmup", "es_reduction_factor",
  "es_resource_min", "max_retries", "heartbeat_timeout", "time_budget"};

template <size_t N>
bool among(const char* const (&list)[N], const std::string& w) {
  return std::find_if(std::begin(list), std::end(list),
                      [&](const char* k) { return w == k; }) != std::end(list);
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
  if (among(setting_keys, key)) {
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
             key == "es_resource_min" || key == "max_retries") {
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

// One dimension: NAME ':' KIND '[' values ']' [log|linear], from a[i].
status parse_dimension(const statement& st, const std::vector<token>& a, size_t& i,
                       tuning::searchspace& space) {
  const token& name = a[i];
  if (name.kind != token_kind::word)
    return st.error(name, "expected a hyperparameter name, got " + name.describe());
  auto want = [&](size_t j, token_kind k, const std::string& what) {
    if (j >= a.size() || a[j].kind != k)
      return st.error(j < a.size() ? a[j] : a.back(), name.text + ": expected " + what +
                                                        ", got " +
                                                        (j < a.size() ? a[j].describe()
                                                                      : std::string("the end")));
    return status::ok();
  };
  if (auto s = want(i + 1, token_kind::colon, "':'"); !s)
    return s;
  if (auto s = want(i + 2, token_kind::word, "a kind (double, integer, discrete, categorical)");
      !s)
    return s;
  const token& kind_tok = a[i + 2];
  std::string kind = kind_tok.text;
  std::transform(kind.begin(), kind.end(), kind.begin(), ::tolower);
  const std::vector<std::string> kinds = {"double", "integer", "discrete", "categorical"};
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
    std::string hint = suggest(kind, kinds);
    return st.error(kind_tok, name.text + ": unknown kind '" + kind_tok.text + "'" +
                                (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
                                " (double, integer, discrete, categorical)");
  }
  if (auto s = want(i + 3, token_kind::lbracket, "'['"); !s)
    return s;
  std::vector<const token*> values;
  size_t j = i + 4;
  for (; j < a.size() && a[j].kind != token_kind::rbracket; ++j)
    if (a[j].kind != token_kind::comma)
      values.push_back(&a[j]);
  if (auto s = want(j, token_kind::rbracket, "']'"); !s)
    return s;
  ++j;
  bool log = false;
  if (j < a.size() && a[j].kind == token_kind::word && (a[j].text == "log" || a[j].text == "linear")) {
    log = a[j].text == "log";
    ++j;
  }
  tuning::dimension d;
  if (kind == "categorical") {
    std::vector<std::string> choices;
    for (auto* v : values)
      choices.push_back(v->text);
    d = tuning::dimension::categorical(name.text, choices);
  } else {
    std::vector<double> nums;
    for (auto* v : values) {
      if (v->kind != token_kind::number)
        return st.error(*v, name.text + ": " + kind + " values must be numbers, got " +
                              v->describe());
      nums.push_back(v->number);
    }
    if (kind == "discrete") {
      d = tuning::dimension::discrete(name.text, nums);
    } else {
      if (nums.size() != 2)
        return st.error(kind_tok, name.text + ": " + kind + " needs a range [low, high], got " +
                                    std::to_string(nums.size()) + " value(s)");
      if (kind == "integer" &&
          (std::floor(nums[0]) != nums[0] || std::floor(nums[1]) != nums[1]))
        return st.error(kind_tok, name.text + ": integer bounds must be whole numbers");
      d = kind == "double"
            ? tuning::dimension::real(name.text, nums[0], nums[1], log)
            : tuning::dimension::integer(name.text, (long long)nums[0], (long long)nums[1], log);
    }
  }
  if (auto s = space.add(d); !s)
    return st.error(name, s.where().empty() || s.where() == name.text
                            ? name.text + ": " + s.message()
                            : s.where() + ": " + s.message());
  i = j;
  return status::ok();
}

status parse_space(const statement& st, const std::vector<token>& a, size_t& i,
                   tuning::searchspace& space) {
  const token& open = a[i];
  ++i;
  while (i < a.size() && a[i].kind != token_kind::rbrace) {
    if (a[i].kind == token_kind::semicolon || a[i].kind == token_kind::comma) {
      ++i;
      continue;
    }
    if (auto s = parse_dimension(st, a, i, space); !s)
      return s;
  }
  if (i >= a.size())
    return st.error(open, "unterminated '{'");
  ++i;
  if (space.empty())
    return st.error(open, "the space is empty: name at least one hyperparameter");
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
