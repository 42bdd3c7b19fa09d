// script commands of the feature store: parsing and checking, before anything
// runs (see commands.hpp). Names follow hops: 1 to 63 of [A-Za-z0-9_].
#include <algorithm>
#include <charconv>
#include <limits>

#include "cli/script/commands.hpp"

namespace lagom::script {

namespace {

bool name_ok(const std::string& s) {
  return !s.empty() && s.size() <= 63 &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_';
         });
}

// A group or feature name at token `t` (a word, or a number such as 2019).
status name_at(const statement& st, const token& t, const std::string& what, std::string& out) {
  if ((t.kind != token_kind::word && t.kind != token_kind::number) || !name_ok(t.text))
    return st.error(t, what + " must be 1 to 63 of [A-Za-z0-9_], got " + t.describe());
  out = t.text;
  return status::ok();
}

// A feature as get_features names it: NAME or GROUP.NAME.
status feature_at(const statement& st, const token& t, std::string& out) {
  size_t dot = t.text.find('.');
  bool ok = t.kind == token_kind::word &&
            (dot == std::string::npos
               ? name_ok(t.text)
               : name_ok(t.text.substr(0, dot)) && name_ok(t.text.substr(dot + 1)));
  if (!ok)
    return st.error(t, "a feature is NAME or GROUP.NAME of [A-Za-z0-9_], got " + t.describe());
  out = t.text;
  return status::ok();
}

// A value written without spaces from token i on (idx:/data/x, random:20x10,
// data.csv), or one string. i is left after it.
status glued(const statement& st, size_t& i, std::string& out) {
  const auto& a = st.args;
  if (i >= a.size())
    return st.error(a[i - 1], "needs a value");
  if (a[i].kind == token_kind::string) {
    out = a[i++].text;
    return status::ok();
  }
  auto part = [](const token& t) {
    return t.kind == token_kind::word || t.kind == token_kind::number ||
           t.kind == token_kind::colon;
  };
  if (!part(a[i]))
    return st.error(a[i], "expected a value, got " + a[i].describe());
  out = a[i].text;
  for (++i; i < a.size() && part(a[i]) && touching(a[i - 1], a[i]); ++i)
    out += a[i].text;
  return status::ok();
}

bool whole(const token& t, uint64_t max, uint64_t& v) {
  if (t.kind != token_kind::number ||
      t.text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  auto r = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
  return r.ec == std::errc{} && v <= max;
}

status uint_at(const statement& st, const token& t, const std::string& key, uint64_t max,
               uint64_t& v) {
  if (whole(t, max, v))
    return status::ok();
  return st.error(t, key + " must be an integer from 0 to " + std::to_string(max) + ", got " +
                       t.describe());
}

// Walks key=value pairs from index `i`; `on_key(key token, value index) ->
// status` consumes the value and returns the index after it through `next`.
template <class F>
status each_key(const statement& st, size_t i, const std::vector<std::string>& allowed, F on_key) {
  const auto& a = st.args;
  std::vector<std::string> seen;
  while (i < a.size()) {
    const token& t = a[i];
    if (t.kind != token_kind::word || i + 1 >= a.size() || a[i + 1].kind != token_kind::equals) {
      std::string list;
      for (const auto& k : allowed)
        list += (list.empty() ? "" : ", ") + k + "=";
      size_t next = i;
      auto s = on_key(t, i, next);  // a positional word the command takes (show N)?
      if (s) {
        i = next;
        continue;
      }
      if (s.code() != errc::not_found)
        return s;
      return st.error(t, "unexpected " + t.describe() + " in " + st.verb + "; expected " + list);
    }
    if (std::find(allowed.begin(), allowed.end(), t.text) == allowed.end()) {
      std::string close = suggest(t.text, allowed);
      return st.error(t, "unknown option '" + t.text + "' of " + st.verb +
                           (close.empty() ? "" : "; did you mean '" + close + "'?"));
    }
    if (std::find(seen.begin(), seen.end(), t.text) != seen.end())
      return st.error(t, "'" + t.text + "' given twice");
    seen.push_back(t.text);
    if (i + 2 >= a.size())
      return st.error(a[i + 1], t.text + "= needs a value");
    size_t next = i + 2;
    if (auto s = on_key(t, i + 2, next); !s)
      return s;
    i = next;
  }
  return status::ok();
}

const status not_mine = status::error(errc::not_found, "", "");

// "VERB needs WHAT: SYNOPSIS", at the statement.
status needs(const statement& st, const std::string& what) {
  return st.error(st.verb + " needs " + what + ": " + find_command(st.verb)->synopsis);
}

status need_name(const statement& st, const std::string& what, std::string& out) {
  if (st.args.empty())
    return needs(st, what);
  return name_at(st, st.args[0], what, out);
}

// version=V as a key.
status version_key(const statement& st, const token& v, uint32_t& out) {
  uint64_t n = 0;
  if (auto s = uint_at(st, v, "version", std::numeric_limits<uint32_t>::max(), n); !s)
    return s;
  out = static_cast<uint32_t>(n);
  return status::ok();
}

// `show N` at index i.
status show_at(const statement& st, size_t i, size_t& next, uint64_t& n) {
  const auto& a = st.args;
  if (a[i].kind != token_kind::word || a[i].text != "show")
    return not_mine;
  if (i + 1 >= a.size())
    return st.error(a[i], "show needs a number of rows");
  if (auto s = uint_at(st, a[i + 1], "show", 1000000, n); !s)
    return s;
  next = i + 2;
  return status::ok();
}

// [a, b, c] or one name, from index i.
status name_list(const statement& st, size_t& i, const std::string& what,
                 std::vector<std::string>& out, bool features) {
  const auto& a = st.args;
  auto one = [&](const token& t, std::string& s) {
    return features ? feature_at(st, t, s) : name_at(st, t, what, s);
  };
  if (a[i].kind != token_kind::lbracket) {
    std::string s;
    if (auto r = one(a[i], s); !r)
      return r;
    out.push_back(s);
    ++i;
    return status::ok();
  }
  const token& open = a[i++];
  while (i < a.size() && a[i].kind != token_kind::rbracket) {
    std::string s;
    if (auto r = one(a[i], s); !r)
      return r;
    out.push_back(s);
    ++i;
    if (i < a.size() && a[i].kind == token_kind::comma)
      ++i;
    else if (i < a.size() && a[i].kind != token_kind::rbracket)
      return st.error(a[i], "expected ',' or ']', got " + a[i].describe());
  }
  if (i >= a.size())
    return st.error(open, "unterminated '['");
  ++i;
  if (out.empty())
    return st.error(open, what + " list is empty");
  return status::ok();
}

// `VERB NAME [version=V]`: a feature group's name, then at most its version.
status group_and_version(const statement& st, std::string& name, uint32_t& version) {
  if (auto s = need_name(st, "a feature group name", name); !s)
    return s;
  return each_key(st, 1, {"version"}, [&](const token& k, size_t v, size_t& next) -> status {
    if (v == next && &k == &st.args[v])
      return not_mine;
    next = v + 1;
    return version_key(st, st.args[v], version);
  });
}

} // namespace

status parse_create_featuregroup(const statement& st, command& out) {
  create_featuregroup_cmd cmd;
  cmd.loc = st.loc;
  if (auto s = need_name(st, "a feature group name", cmd.name); !s)
    return s;
  auto s = each_key(st, 1, {"from", "key", "event_time", "seed", "correlations"},
                    [&](const token& k, size_t v, size_t& next) -> status {
    if (v == next && &k == &st.args[v])
      return not_mine;
    uint64_t n = 0;
    if (k.text == "from")
      return glued(st, next, cmd.source);
    next = v + 1;
    if (k.text == "key") {
      next = v;
      return name_list(st, next, "key", cmd.key, false);
    }
    if (k.text == "event_time")
      return name_at(st, st.args[v], "event_time", cmd.event_time);
    if (k.text == "correlations") {
      const auto& t = st.args[v];
      if (t.kind != token_kind::word || (t.text != "yes" && t.text != "no"))
        return st.error(t, "correlations must be yes or no, got " + t.describe());
      cmd.correlations = t.text == "yes";
      return status::ok();
    }
    if (auto r = uint_at(st, st.args[v], "seed", std::numeric_limits<uint64_t>::max(), n); !r)
      return r;
    cmd.seed = n;
    return status::ok();
  });
  if (!s)
    return s;
  if (cmd.source.empty())
    return needs(st, "from=SOURCE");
  out = std::move(cmd);
  return status::ok();
}

status parse_insert_featuregroup(const statement& st, command& out) {
  insert_featuregroup_cmd cmd;
  cmd.loc = st.loc;
  if (auto s = need_name(st, "a feature group name", cmd.name); !s)
    return s;
  auto s = each_key(st, 1, {"from", "mode", "seed"},
                    [&](const token& k, size_t v, size_t& next) -> status {
    if (v == next && &k == &st.args[v])
      return not_mine;
    if (k.text == "from")
      return glued(st, next, cmd.source);
    next = v + 1;
    const auto& t = st.args[v];
    if (k.text == "mode") {
      if (t.kind != token_kind::word ||
          (t.text != "append" && t.text != "overwrite" && t.text != "upsert"))
        return st.error(t, "mode must be append, overwrite or upsert, got " + t.describe());
      cmd.mode = t.text;
      return status::ok();
    }
    return uint_at(st, t, "seed", std::numeric_limits<uint64_t>::max(), cmd.seed);
  });
  if (!s)
    return s;
  if (cmd.source.empty())
    return needs(st, "from=SOURCE");
  out = std::move(cmd);
  return status::ok();
}

status parse_get_featuregroup(const statement& st, command& out) {
  get_featuregroup_cmd cmd;
  cmd.loc = st.loc;
  if (auto s = need_name(st, "a feature group name", cmd.name); !s)
    return s;
  auto s = each_key(st, 1, {"version"}, [&](const token& k, size_t v, size_t& next) -> status {
    if (v == next && &k == &st.args[v])
      return show_at(st, v, next, cmd.show);
    next = v + 1;
    return version_key(st, st.args[v], cmd.version);
  });
  if (!s)
    return s;
  out = std::move(cmd);
  return status::ok();
}

status parse_featuregroup_stats(const statement& st, command& out) {
  featuregroup_stats_cmd cmd;
  cmd.loc = st.loc;
  if (auto s = need_name(st, "a feature group name", cmd.name); !s)
    return s;
  auto s = each_key(st, 1, {"version", "features"},
                    [&](const token& k, size_t v, size_t& next) -> status {
    if (v == next && &k == &st.args[v])
      return not_mine;
    if (k.text == "features") {
      next = v;
      return name_list(st, next, "features", cmd.features, false);
    }
    next = v + 1;
    return version_key(st, st.args[v], cmd.version);
  });
  if (!s)
    return s;
  out = std::move(cmd);
  return status::ok();
}

status parse_get_features(const statement& st, command& out) {
  get_features_cmd cmd;
  cmd.loc = st.loc;
  if (st.args.empty())
    return needs(st, "features");
  size_t i = 0;
  if (auto s = name_list(st, i, "features", cmd.features, true); !s)
    return s;
  auto s = each_key(st, i, {"join"}, [&](const token& k, size_t v, size_t& next) -> status {
    if (v == next && &k == &st.args[v])
      return show_at(st, v, next, cmd.show);
    next = v + 1;
    const auto& t = st.args[v];
    if (t.kind != token_kind::word || (t.text != "inner" && t.text != "left"))
      return st.error(t, "join must be inner or left, got " + t.describe());
    cmd.left = t.text == "left";
    return status::ok();
  });
  if (!s)
    return s;
  out = std::move(cmd);
  return status::ok();
}

status parse_get_feature_vector(const statement& st, command& out) {
  get_feature_vector_cmd cmd;
  cmd.loc = st.loc;
  if (auto s = need_name(st, "a feature group name", cmd.group); !s)
    return s;
  if (st.args.size() < 2)
    return needs(st, "a key");
  for (size_t i = 1; i < st.args.size(); ++i) {
    const auto& t = st.args[i];
    if (t.kind == token_kind::number) {
      int64_t n = 0;
      auto r = std::from_chars(t.text.data(), t.text.data() + t.text.size(), n);
      if (r.ec != std::errc{} || r.ptr != t.text.data() + t.text.size())
        return st.error(t, "a number key must be an integer, got " + t.describe());
      cmd.key.emplace_back(n);
    } else if (t.kind == token_kind::word || t.kind == token_kind::string) {
      cmd.key.emplace_back(t.text);
    } else {
      return st.error(t, "a key is an integer, word or string, got " + t.describe());
    }
  }
  out = std::move(cmd);
  return status::ok();
}

status parse_visualize(const statement& st, command& out) {
  visualize_cmd cmd;
  cmd.loc = st.loc;
  cmd.correlations = st.verb == "visualize_correlations";
  if (auto s = group_and_version(st, cmd.name, cmd.version); !s)
    return s;
  out = std::move(cmd);
  return status::ok();
}

status parse_create_training_dataset(const statement& st, command& out) {
  create_training_dataset_cmd cmd;
  cmd.loc = st.loc;
  if (auto s = need_name(st, "a training dataset name", cmd.name); !s)
    return s;
  auto s = each_key(st, 1, {"features", "label", "splits", "seed"},
                    [&](const token& k, size_t v, size_t& next) -> status {
    if (v == next && &k == &st.args[v])
      return not_mine;
    const auto& a = st.args;
    if (k.text == "features") {
      next = v;
      return name_list(st, next, "features", cmd.features, true);
    }
    next = v + 1;
    if (k.text == "label")
      return feature_at(st, a[v], cmd.label);
    if (k.text == "seed")
      return uint_at(st, a[v], "seed", std::numeric_limits<uint64_t>::max(), cmd.seed);
    // splits=NAME:FRACTION,NAME:FRACTION,...
    cmd.splits.clear();
    double total = 0;
    size_t i = v;
    for (;;) {
      std::string name;
      if (auto r = name_at(st, a[i], "a split name", name); !r)
        return r;
      for (const auto& p : cmd.splits)
        if (p.first == name)
          return st.error(a[i], "split '" + name + "' named twice");
      if (i + 2 >= a.size() || a[i + 1].kind != token_kind::colon ||
          a[i + 2].kind != token_kind::number)
        return st.error(a[i], "a split is NAME:FRACTION (e.g. train:0.8)");
      double f = a[i + 2].number;
      if (!(f > 0) || f > 1)
        return st.error(a[i + 2], "a split's fraction is in (0, 1], got " + a[i + 2].describe());
      total += f;
      cmd.splits.emplace_back(name, f);
      i += 3;
      if (i < a.size() && a[i].kind == token_kind::comma && i + 1 < a.size()) {
        ++i;
        continue;
      }
      break;
    }
    if (total < 1 - 1e-9 || total > 1 + 1e-9)
      return st.error(a[v], "split fractions sum to " + std::to_string(total) + ", not 1");
    next = i;
    return status::ok();
  });
  if (!s)
    return s;
  if (cmd.features.empty())
    return needs(st, "features=[...]");
  if (cmd.label.empty())
    return needs(st, "label=FEATURE");
  out = std::move(cmd);
  return status::ok();
}

status parse_export_training_dataset(const statement& st, command& out) {
  export_training_dataset_cmd cmd;
  cmd.loc = st.loc;
  if (auto s = need_name(st, "a training dataset name", cmd.name); !s)
    return s;
  bool has_format = false;
  auto s = each_key(st, 1, {"format", "split", "version", "path"},
                    [&](const token& k, size_t v, size_t& next) -> status {
    if (v == next && &k == &st.args[v])
      return not_mine;
    const auto& t = st.args[v];
    if (k.text == "path")
      return glued(st, next, cmd.path);
    next = v + 1;
    if (k.text == "format") {
      if (t.kind != token_kind::word ||
          (t.text != "csv" && t.text != "npy" && t.text != "tfrecord"))
        return st.error(t, "format must be csv, npy or tfrecord, got " + t.describe());
      cmd.format = t.text;
      has_format = true;
      return status::ok();
    }
    if (k.text == "split")
      return name_at(st, t, "split", cmd.split);
    return version_key(st, t, cmd.version);
  });
  if (!s)
    return s;
  if (!has_format)
    return st.error("export_training_dataset needs format=csv|npy|tfrecord");
  out = std::move(cmd);
  return status::ok();
}

status parse_featuregroup_admin(const statement& st, command& out) {
  featuregroup_admin_cmd cmd;
  cmd.loc = st.loc;
  if (st.verb == "list_featuregroups") {
    cmd.action = "list";
    if (!st.args.empty())
      return st.error(st.args[0], "list_featuregroups takes no arguments, got " +
                                    st.args[0].describe());
  } else {
    cmd.action = st.verb == "drop_featuregroup" ? "drop" : "versions";
    if (auto s = need_name(st, "a feature group name", cmd.name); !s)
      return s;
    if (st.args.size() > 1)
      return st.error(st.args[1], st.verb + " takes one name, got " + st.args[1].describe());
  }
  out = std::move(cmd);
  return status::ok();
}

} // namespace lagom::script
