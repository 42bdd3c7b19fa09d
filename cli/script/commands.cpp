// script commands: the table, one parse function per command, help text and
// did-you-mean suggestions.
#include "cli/script/commands.hpp"

#include "tuning/optimizer.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

namespace lagom::script {

namespace {

bool is_word(const token& t, std::string_view text) {
  return t.kind == token_kind::word && t.text == text;
}

// Parses a number token written as a plain non-negative integer (no sign,
// point or exponent) that is at most `max`.
bool parse_uint(const token& t, uint64_t max, uint64_t& value) {
  if (t.kind != token_kind::number || t.text.empty())
    return false;
  if (!std::all_of(t.text.begin(), t.text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  auto r = std::from_chars(t.text.data(), t.text.data() + t.text.size(), value);
  return r.ec == std::errc{} && value <= max;
}

// `name=value` for a reserved key: a non-negative integer up to `max`.
status reserved_uint(const statement& st, const token& value_tok, const std::string& key,
                     uint64_t max, uint64_t& value) {
  if (parse_uint(value_tok, max, value))
    return status::ok();
  std::string msg = key + " must be a non-negative integer";
  bool digits = value_tok.kind == token_kind::number &&
                value_tok.text.find_first_not_of("0123456789") == std::string::npos;
  if (digits)
    msg += " of at most " + std::to_string(max);
  return st.error(value_tok, msg + ", got " + value_tok.describe());
}

status no_arguments(const statement& st) {
  if (st.args.empty())
    return status::ok();
  return st.error(st.args.front(),
                  st.verb + " takes no arguments, got " + st.args.front().describe());
}

const char* const launch_options[] = {"on", "gang", "pack", "spread"};

bool is_launch_option(const std::string& w) {
  return std::find(std::begin(launch_options), std::end(launch_options), w) !=
         std::end(launch_options);
}

status parse_launch(const statement& st, command& out) {
  launch_cmd cmd;
  cmd.loc = st.loc;
  const auto& a = st.args;
  if (a.empty())
    return st.error("launch needs a function name: " +
                    std::string(find_command("launch")->synopsis));
  if (a[0].kind != token_kind::word)
    return st.error(a[0], "function name must be a word, got " + a[0].describe());
  if (is_launch_option(a[0].text))
    return st.error(a[0], "launch needs a function name before '" + a[0].text + "'");
  cmd.function = a[0].text;

  bool seen_on = false, seen_place = false;
  std::vector<std::string> keys;
  for (size_t i = 1; i < a.size();) {
    const token& t = a[i];
    if (t.kind == token_kind::word && i + 1 < a.size() && a[i + 1].kind == token_kind::equals) {
      const std::string& key = t.text;
      if (i + 2 >= a.size())
        return st.error(a[i + 1], key + "= needs a value");
      const token& v = a[i + 2];
      if (is_launch_option(key))
        return st.error(t, "'" + key + "' is a launch option, not a key");
      if (std::find(keys.begin(), keys.end(), key) != keys.end())
        return st.error(t, "'" + key + "' given twice");
      keys.push_back(key);
      uint64_t n = 0;
      if (key == "cpus" || key == "gpus") {
        if (status s = reserved_uint(st, v, key, std::numeric_limits<uint32_t>::max(), n); !s)
          return s;
        (key == "cpus" ? cmd.cpus : cmd.gpus) = static_cast<uint32_t>(n);
      } else if (key == "memory") {
        if (status s = reserved_uint(st, v, key, std::numeric_limits<uint64_t>::max(), n); !s)
          return s;
        cmd.memory_mb = n;
      } else if (v.kind == token_kind::number) {
        cmd.params.emplace_back(key, v.number);
      } else if (v.kind == token_kind::word || v.kind == token_kind::string) {
        cmd.params.emplace_back(key, v.text);
      } else {
        return st.error(v, "value of '" + key + "' must be a number, word or string, got " +
                             v.describe());
      }
      i += 3;
    } else if (is_word(t, "on")) {
      if (seen_on)
        return st.error(t, "'on' given twice");
      seen_on = true;
      const char* want = "'on' needs a positive integer or 'all'";
      if (i + 1 >= a.size())
        return st.error(t, want);
      const token& n = a[i + 1];
      uint64_t count = 0;
      if (is_word(n, "all")) {
        cmd.all = true;
        cmd.count = 0;
      } else if (parse_uint(n, std::numeric_limits<uint32_t>::max(), count) && count > 0) {
        cmd.count = static_cast<uint32_t>(count);
      } else {
        return st.error(n, std::string(want) + ", got " + n.describe());
      }
      i += 2;
    } else if (is_word(t, "gang")) {
      if (cmd.gang)
        return st.error(t, "'gang' given twice");
      cmd.gang = true;
      ++i;
    } else if (is_word(t, "pack") || is_word(t, "spread")) {
      if (seen_place)
        return st.error(t, "'" + t.text + "' given after '" + (cmd.spread ? "spread" : "pack") +
                             "': choose one placement");
      seen_place = true;
      cmd.spread = t.text == "spread";
      ++i;
    } else {
      return st.error(t, "unexpected " + t.describe() +
                           " in launch; expected on N, gang, pack, spread or key=value");
    }
  }
  out = std::move(cmd);
  return status::ok();
}

status parse_status(const statement& st, command& out) {
  if (status s = no_arguments(st); !s)
    return s;
  out = status_cmd{st.loc};
  return status::ok();
}

status parse_experiments(const statement& st, command& out) {
  if (status s = no_arguments(st); !s)
    return s;
  out = experiments_cmd{st.loc};
  return status::ok();
}

// An experiment name: a word, string or number, as written.
status experiment_name(const statement& st, std::string& out) {
  if (st.args.empty())
    return st.error(st.verb + " needs an experiment name: " +
                    find_command(st.verb)->synopsis);
  const token& t = st.args.front();
  if (t.kind != token_kind::word && t.kind != token_kind::string &&
      t.kind != token_kind::number)
    return st.error(t, "experiment name must be a word or string, got " + t.describe());
  out = t.text;
  return status::ok();
}

status parse_show(const statement& st, command& out) {
  show_cmd cmd;
  cmd.loc = st.loc;
  if (status s = experiment_name(st, cmd.experiment); !s)
    return s;
  if (st.args.size() > 1)
    return st.error(st.args[1], "show takes one experiment name, got " + st.args[1].describe());
  out = std::move(cmd);
  return status::ok();
}

status parse_logs(const statement& st, command& out) {
  logs_cmd cmd;
  cmd.loc = st.loc;
  if (status s = experiment_name(st, cmd.experiment); !s)
    return s;
  const auto& a = st.args;
  bool seen_tail = false;
  for (size_t i = 1; i < a.size();) {
    uint64_t n = 0;
    if (is_word(a[i], "tail") && i + 1 < a.size() && a[i + 1].kind == token_kind::equals) {
      if (seen_tail)
        return st.error(a[i], "'tail' given twice");
      if (i + 2 >= a.size())
        return st.error(a[i + 1], "tail= needs a value");
      if (status s = reserved_uint(st, a[i + 2], "tail", std::numeric_limits<uint32_t>::max(), n);
          !s)
        return s;
      seen_tail = true;
      cmd.tail = static_cast<uint32_t>(n);
      i += 3;
    } else if (!cmd.has_run && !seen_tail && a[i].kind == token_kind::number) {
      if (!parse_uint(a[i], std::numeric_limits<uint32_t>::max(), n))
        return st.error(a[i], "RUN must be a non-negative integer, got " + a[i].describe());
      cmd.has_run = true;
      cmd.run = static_cast<uint32_t>(n);
      ++i;
    } else {
      return st.error(a[i], "unexpected " + a[i].describe() + " in logs; expected " +
                              find_command("logs")->synopsis);
    }
  }
  out = std::move(cmd);
  return status::ok();
}

status parse_quit(const statement& st, command& out) {
  if (status s = no_arguments(st); !s)
    return s;
  out = quit_cmd{st.loc};
  return status::ok();
}

std::string unknown_command(const std::string& name) {
  std::string msg = "unknown command '" + name + "'";
  std::string close = suggest(name, command_names());
  if (!close.empty())
    return msg + "; did you mean '" + close + "'?";
  return msg + "; type 'help' for a list";
}

status parse_help(const statement& st, command& out) {
  help_cmd cmd;
  cmd.loc = st.loc;
  if (st.args.size() > 1)
    return st.error(st.args[1], "help takes at most one command name");
  if (!st.args.empty()) {
    const token& t = st.args.front();
    if (t.kind != token_kind::word)
      return st.error(t, "help takes a command name, got " + t.describe());
    if (!find_command(t.text))
      return st.error(t, unknown_command(t.text));
    cmd.topic = t.text;
  }
  out = std::move(cmd);
  return status::ok();
}

} // namespace

std::string to_string(const param_value& value) {
  if (const auto* s = std::get_if<std::string>(&value))
    return *s;
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, std::get<double>(value),
                         std::chars_format::general);
  return std::string(buf, r.ptr);
}

const std::vector<command_spec>& command_table() {
  static const std::vector<command_spec> table = {
    {"launch",
     "launch FN [on N|on all] [gang] [pack|spread] [cpus=K] [gpus=G] [memory=MB] [key=value ...]",
     "Start function FN in N containers (default 1) with the given resources and parameters.",
     parse_launch},
    {"all_reduce",
     "all_reduce FN workers=N [gpus=G] [bucket_mb=B] [accumulate=K] [sync_bn=true] "
     "[min_workers=M] [timeline=true] [cpus=K] [memory=MB] [max_restarts=R] "
     "[collective_timeout=S] [backend=auto|shm|gloo|nccl] [pack|spread] [key=value ...]",
     "Train FN data-parallel on N ranks: gradients all-reduced, the group restarted on a "
     "failure.",
     parse_all_reduce},
    {"collective_all_reduce",
     "collective_all_reduce FN workers=N ... (the same as all_reduce)",
     "Same as all_reduce.", parse_all_reduce},
    {"search",
     "search FN [optimizer=NAME] [trials=N] [metric=KEY] [direction=max|min] [key=value ...] "
     "space { NAME: KIND [A, B] [log]; ... }",
     "Search FN's hyperparameters with an optimizer (see 'help search'), with early "
     "stopping.",
     parse_search},
    {"resume", "resume EXPERIMENT",
     "Continue a search whose driver or head died; finished trials are kept.", parse_resume},
    {"status", "status", "Show the cluster's nodes, resources and running functions.",
     parse_status},
    {"experiments", "experiments",
     "List the experiments of the registry with their runs and best metrics.",
     parse_experiments},
    {"show", "show EXPERIMENT", "Show an experiment's configuration and its runs.", parse_show},
    {"logs", "logs EXPERIMENT [RUN] [tail=N]",
     "Print the log records of an experiment's runs (or one run; the newest N).", parse_logs},
    {"create_featuregroup",
     "create_featuregroup NAME from=FILE.csv|FILE.npy|idx:DIR|random:ROWSxCOLS [key=COL|key=[A, B]] "
     "[event_time=COL] [seed=N] [correlations=no]",
     "Create a feature group (version 1) with its statistics.", parse_create_featuregroup},
    {"insert_into_featuregroup",
     "insert_into_featuregroup NAME from=SOURCE [mode=append|overwrite|upsert] [seed=N]",
     "Write a new version of a feature group.", parse_insert_featuregroup},
    {"get_featuregroup", "get_featuregroup NAME [version=V] [show N]",
     "Print the first N rows (20) of a feature group.", parse_get_featuregroup},
    {"featuregroup_stats", "featuregroup_stats NAME [version=V] [features=[F, ...]]",
     "Print a feature group's statistics (of every feature, or of those named: a vector "
     "column's elements are NAME_i, e.g. image_406).", parse_featuregroup_stats},
    {"get_features", "get_features [F1, F2, ...] [join=inner|left] [show N]",
     "Join features of several groups on their key (point in time with event times).",
     parse_get_features},
    {"get_feature_vector", "get_feature_vector GROUP KEY [KEY2 ...]",
     "Print the newest row of a key (online lookup).", parse_get_feature_vector},
    {"visualize_correlations", "visualize_correlations NAME [version=V]",
     "Write the correlation heatmap PNG of a feature group.", parse_visualize},
    {"visualize_distributions", "visualize_distributions NAME [version=V]",
     "Write a histogram PNG per numeric feature of a group.", parse_visualize},
    {"create_training_dataset",
     "create_training_dataset NAME features=[F1, F2, ...] label=L "
     "[splits=train:0.8,validation:0.1,test:0.1] [seed=N]",
     "Materialize a training dataset from a feature query, split by a seed.",
     parse_create_training_dataset},
    {"export_training_dataset",
     "export_training_dataset NAME format=csv|npy|tfrecord [split=S] [version=V] [path=P]",
     "Write a training dataset split for other frameworks.", parse_export_training_dataset},
    {"list_featuregroups", "list_featuregroups",
     "List the feature groups (newest version of each).", parse_featuregroup_admin},
    {"featuregroup_versions", "featuregroup_versions NAME",
     "List every version of a feature group.", parse_featuregroup_admin},
    {"drop_featuregroup", "drop_featuregroup NAME",
     "Remove a feature group and all its versions.", parse_featuregroup_admin},
    {"help", "help [COMMAND]", "List the commands, or describe one.", parse_help},
    {"quit", "quit", "Leave the shell (in a script: stop reading it).", parse_quit},
    {"exit", "exit", "Same as quit.", parse_quit},
  };
  return table;
}

const command_spec* find_command(std::string_view name) {
  for (const auto& spec : command_table())
    if (name == spec.name)
      return &spec;
  return nullptr;
}

std::vector<std::string> command_names() {
  std::vector<std::string> names;
  for (const auto& spec : command_table())
    names.emplace_back(spec.name);
  return names;
}

std::vector<std::string> complete_command(std::string_view prefix) {
  std::vector<std::string> names;
  for (const auto& spec : command_table())
    if (std::string_view(spec.name).substr(0, prefix.size()) == prefix)
      names.emplace_back(spec.name);
  return names;
}

status to_command(const statement& st, command& out) {
  const command_spec* spec = find_command(st.verb);
  if (!spec)
    return st.error(unknown_command(st.verb));
  return spec->parse(st, out);
}

namespace {

// `help search`'s list of optimizers, as each declares itself.
std::string optimizers_text() {
  std::string out = "  optimizers (optimizer=NAME) and their settings (NAME=X):\n";
  for (auto* o : tuning::optimizer_specs()) {
    out += "    " + std::string(o->name) + ": " + o->doc +
           (o->budgeted ? "; gives each trial a budget in the hyperparameter resource= names"
                        : "") +
           "\n";
    for (auto& s : o->settings)
      out += "      " + std::string(s.name) + "  " + (s.whole ? "integer" : "number") +
             "  default " + format_value(s.fallback) + "  [" + format_value(s.min) + ", " +
             format_value(s.max) + "]  " + s.doc + "\n";
  }
  return out;
}

} // namespace

std::string help_text(std::string_view name) {
  const command_spec* spec = find_command(name);
  if (!spec)
    return {};
  std::string out = std::string(spec->synopsis) + "\n  " + spec->summary + "\n";
  if (name == "search")
    out += optimizers_text();
  return out;
}

std::string help_overview() {
  size_t width = 0;
  for (const auto& spec : command_table())
    width = std::max(width, std::string_view(spec.name).size());
  std::string out;
  for (const auto& spec : command_table()) {
    std::string name = spec.name;
    out += "  " + name + std::string(width - name.size() + 2, ' ') + spec.summary + "\n";
  }
  return out + "Type 'help COMMAND' for its synopsis.\n";
}

} // namespace lagom::script
