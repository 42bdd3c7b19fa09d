#include "tuning/search_definition.hpp"

#include <cmath>

namespace lagom::tuning {

named_values encode_search(const searchspace& space, const search_options& o) {
  named_values v;
  v.set("space", space.to_string());
  v.set("optimizer", o.optimizer);
  for (auto& [k, x] : o.optimizer_settings.entries())
    v.set("opt." + k, x);
  v.set("trials", double(o.num_trials));
  v.set("seed", double(o.seed));
  v.set("resource", o.resource);
  v.set("early_stopping", o.early_stopping.name);
  v.set("es_min", double(o.early_stopping.min_trials));
  v.set("es_interval", double(o.early_stopping.interval));
  v.set("es_warmup", double(o.early_stopping.warmup));
  v.set("es_reduction_factor", o.early_stopping.reduction_factor);
  v.set("es_resource_min", double(o.early_stopping.resource_min));
  v.set("containers", double(o.containers));
  v.set("cpus", double(o.cpus));
  v.set("gpus", double(o.gpus));
  v.set("workers", double(o.workers));
  v.set("max_retries", double(o.max_retries));
  v.set("heartbeat_ms", double(o.heartbeat_timeout.count()));
  v.set("time_budget_ms", double(o.time_budget.count()));
  return v;
}

namespace {

struct reader {
  const named_values& stored;
  status st;

  status damaged(const std::string& key, const std::string& why) {
    return status::error(errc::io_error, "stored search definition is damaged: " + why,
                         "search." + key);
  }
  std::string text(const std::string& key) {
    if (!st)
      return {};
    auto v = stored.find(key);
    if (v == nullptr || !std::holds_alternative<std::string>(*v)) {
      st = damaged(key, v == nullptr ? "missing" : "not a text");
      return {};
    }
    return std::get<std::string>(*v);
  }
  double number(const std::string& key) {
    if (!st)
      return 0;
    auto v = stored.find(key);
    if (v == nullptr || !std::holds_alternative<double>(*v) ||
        !std::isfinite(std::get<double>(*v)) || std::get<double>(*v) < 0) {
      st = damaged(key, v == nullptr ? "missing" : "not a non-negative number");
      return 0;
    }
    return std::get<double>(*v);
  }
};

} // namespace

status decode_search(const named_values& stored, searchspace& space, search_options& o) {
  reader r{stored, status::ok()};
  search_options out = o;
  std::string space_text = r.text("space");
  out.optimizer = r.text("optimizer");
  out.num_trials = static_cast<uint32_t>(r.number("trials"));
  out.seed = static_cast<uint64_t>(r.number("seed"));
  out.resource = r.text("resource");
  out.early_stopping.name = r.text("early_stopping");
  out.early_stopping.min_trials = static_cast<uint32_t>(r.number("es_min"));
  out.early_stopping.interval = static_cast<uint64_t>(r.number("es_interval"));
  out.early_stopping.warmup = static_cast<uint64_t>(r.number("es_warmup"));
  out.early_stopping.reduction_factor = r.number("es_reduction_factor");
  out.early_stopping.resource_min = static_cast<uint64_t>(r.number("es_resource_min"));
  out.containers = static_cast<uint32_t>(r.number("containers"));
  out.cpus = static_cast<uint32_t>(r.number("cpus"));
  out.gpus = static_cast<uint32_t>(r.number("gpus"));
  out.max_retries = static_cast<uint32_t>(r.number("max_retries"));
  out.heartbeat_timeout = std::chrono::milliseconds(int64_t(r.number("heartbeat_ms")));
  out.time_budget = std::chrono::milliseconds(int64_t(r.number("time_budget_ms")));
  // Stored before data-parallel trials: one rank each.
  out.workers = stored.contains("workers") ? static_cast<uint32_t>(r.number("workers")) : 1;
  if (r.st && out.workers == 0)
    r.st = r.damaged("workers", "must be at least 1");
  if (!r.st)
    return r.st;
  out.optimizer_settings = named_values{};
  for (auto& [k, x] : stored.entries())
    if (k.rfind("opt.", 0) == 0)
      out.optimizer_settings.set(k.substr(4), x);
  searchspace sp;
  if (auto st = searchspace::parse(space_text, sp); !st)
    return r.damaged("space", st.to_string());
  space = std::move(sp);
  o = std::move(out);
  return status::ok();
}

} // namespace lagom::tuning
