// all_reduce / collective_all_reduce: a data-parallel job's command line
// (commands.hpp). Reserved keys are the job's settings, checked where they
// are written; every other key=value is a hyperparameter of FN.
#include <algorithm>
#include <charconv>
#include <limits>

#include "cli/script/commands.hpp"

namespace lagom::script {

namespace {

bool plain_uint(const token& t, uint64_t max, uint64_t& v) {
  if (t.kind != token_kind::number || t.text.empty() ||
      t.text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  auto r = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
  return r.ec == std::errc{} && v <= max;
}

status want_uint(const statement& st, const token& v, const std::string& key, uint64_t min,
                 uint64_t max, uint64_t& out) {
  if (plain_uint(v, max, out) && out >= min)
    return status::ok();
  return st.error(v, key + " must be an integer in [" + std::to_string(min) + ", " +
                         std::to_string(max) + "], got " + v.describe());
}

status want_bool(const statement& st, const token& v, const std::string& key, bool& out) {
  if (v.kind == token_kind::word && (v.text == "true" || v.text == "false")) {
    out = v.text == "true";
    return status::ok();
  }
  return st.error(v, key + " must be true or false, got " + v.describe());
}

status want_positive(const statement& st, const token& v, const std::string& key, double& out) {
  if (v.kind == token_kind::number && v.number > 0) {
    out = v.number;
    return status::ok();
  }
  return st.error(v, key + " must be a number > 0, got " + v.describe());
}

} // namespace

status parse_all_reduce(const statement& st, command& out) {
  all_reduce_cmd cmd;
  cmd.loc = st.loc;
  const auto& a = st.args;
  if (a.empty() || a[0].kind != token_kind::word || a[0].text == "pack" ||
      a[0].text == "spread" || (a.size() > 1 && a[1].kind == token_kind::equals))
    return st.error(st.verb + " needs a function name: " +
                    std::string(find_command("all_reduce")->synopsis));
  cmd.function = a[0].text;
  const uint64_t u32 = std::numeric_limits<uint32_t>::max();
  std::vector<std::string> keys;
  bool placed = false;
  const token* min_tok = nullptr;
  for (size_t i = 1; i < a.size();) {
    const token& t = a[i];
    if (t.kind == token_kind::word && (t.text == "pack" || t.text == "spread")) {
      if (placed)
        return st.error(t, "choose one placement: pack or spread");
      placed = true;
      cmd.spread = t.text == "spread";
      ++i;
      continue;
    }
    if (!(t.kind == token_kind::word && i + 1 < a.size() && a[i + 1].kind == token_kind::equals))
      return st.error(t, "unexpected " + t.describe() + " in " + st.verb +
                           "; expected key=value, pack or spread");
    const std::string& key = t.text;
    if (i + 2 >= a.size())
      return st.error(a[i + 1], key + "= needs a value");
    const token& v = a[i + 2];
    if (std::find(keys.begin(), keys.end(), key) != keys.end())
      return st.error(t, "'" + key + "' given twice");
    keys.push_back(key);
    uint64_t n = 0;
    status s;
    if (key == "workers") {
      s = want_uint(st, v, key, 1, u32, n);
      cmd.workers = static_cast<uint32_t>(n);
    } else if (key == "min_workers") {
      s = want_uint(st, v, key, 1, u32, n);
      cmd.min_workers = static_cast<uint32_t>(n);
      min_tok = &v;
    } else if (key == "cpus") {
      s = want_uint(st, v, key, 1, u32, n);
      cmd.cpus = static_cast<uint32_t>(n);
    } else if (key == "gpus") {
      s = want_uint(st, v, key, 0, u32, n);
      cmd.gpus = static_cast<uint32_t>(n);
    } else if (key == "memory") {
      s = want_uint(st, v, key, 0, std::numeric_limits<uint64_t>::max(), n);
      cmd.memory_mb = n;
    } else if (key == "accumulate") {
      s = want_uint(st, v, key, 1, u32, n);
      cmd.accumulate = static_cast<uint32_t>(n);
    } else if (key == "max_restarts") {
      s = want_uint(st, v, key, 0, 1000, n);
      cmd.max_restarts = static_cast<uint32_t>(n);
    } else if (key == "bucket_mb") {
      s = want_positive(st, v, key, cmd.bucket_mb);
    } else if (key == "collective_timeout") {
      s = want_positive(st, v, key, cmd.collective_timeout_s);
    } else if (key == "sync_bn") {
      s = want_bool(st, v, key, cmd.sync_bn);
    } else if (key == "timeline") {
      s = want_bool(st, v, key, cmd.timeline);
    } else if (key == "backend") {
      if (v.kind == token_kind::word &&
          (v.text == "auto" || v.text == "shm" || v.text == "gloo" || v.text == "nccl"))
        cmd.backend = v.text;
      else
        s = st.error(v, "backend must be auto, shm, gloo or nccl, got " + v.describe());
    } else if (v.kind == token_kind::number) {
      cmd.params.emplace_back(key, v.number);
    } else if (v.kind == token_kind::word || v.kind == token_kind::string) {
      cmd.params.emplace_back(key, v.text);
    } else {
      s = st.error(v, "value of '" + key + "' must be a number, word or string, got " +
                          v.describe());
    }
    if (!s)
      return s;
    i += 3;
  }
  if (min_tok && cmd.min_workers > cmd.workers)
    return st.error(*min_tok, "min_workers=" + std::to_string(cmd.min_workers) +
                                  " is more than workers=" + std::to_string(cmd.workers));
  out = std::move(cmd);
  return status::ok();
}

} // namespace lagom::script
