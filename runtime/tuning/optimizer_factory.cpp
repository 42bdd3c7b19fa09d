// make_optimizer: from an optimizer's name to its maker, through one table;
// and what the makers share (settings, per-trial rngs).
//
// No global registry: the table is a constant here, and each optimizer file
// provides one make_* (optimizer_makers.hpp).
#include "tuning/optimizer.hpp"

#include <cmath>

#include "core/suggest.hpp"
#include "tuning/optimizer_makers.hpp"

namespace lagom::tuning {

namespace {

using maker = status (*)(const searchspace&, const optimizer_options&,
                         std::unique_ptr<optimizer>&);

struct maker_row {
  const optimizer_spec& (*spec)();
  maker make;
};

// In the order `lagom` lists them.
const maker_row makers[] = {
  {random_search_spec, make_random_search},
  {grid_search_spec, make_grid_search},
  {differential_evolution_spec, make_differential_evolution},
  {tpe_spec, make_tpe},
  {asha_spec, make_asha},
  {hyperband_spec, make_hyperband},
};

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (auto& n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& known) {
  auto close = suggest(word, known);
  return close.empty() ? "" : "; did you mean '" + close + "'?";
}

// SplitMix64's finalizer: spreads nearby inputs (seed, seed + 1) far apart.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

} // namespace

const char* to_string(outcome o) noexcept {
  switch (o) {
    case outcome::finished: return "finished";
    case outcome::failed: return "failed";
    case outcome::stopped_early: return "stopped_early";
  }
  return "?";
}

const std::vector<const optimizer_spec*>& optimizer_specs() {
  static const std::vector<const optimizer_spec*> all = [] {
    std::vector<const optimizer_spec*> v;
    for (const auto& row : makers)
      v.push_back(&row.spec());
    return v;
  }();
  return all;
}

const optimizer_spec* find_optimizer(const std::string& name) {
  for (auto* s : optimizer_specs())
    if (name == s->name)
      return s;
  return nullptr;
}

bool optimizer_budgeted(const std::string& name) {
  const optimizer_spec* s = find_optimizer(name);
  return s != nullptr && s->budgeted;
}

run_status to_run_status(outcome o) noexcept {
  switch (o) {
    case outcome::finished: return run_status::finished;
    case outcome::failed: return run_status::failed;
    case outcome::stopped_early: return run_status::stopped_early;
  }
  return run_status::failed;
}

std::vector<std::string> optimizer_names() {
  std::vector<std::string> out;
  for (auto* s : optimizer_specs())
    out.emplace_back(s->name);
  return out;
}

status make_optimizer(const searchspace& space, const optimizer_options& o,
                      std::unique_ptr<optimizer>& out) {
  const maker_row* row = nullptr;
  for (const auto& r : makers)
    if (o.name == r.spec().name)
      row = &r;
  if (row == nullptr) {
    auto names = optimizer_names();
    return status::error(errc::invalid_argument,
                         "unknown optimizer" + did_you_mean(o.name, names) + " (known: "
                           + joined(names) + ")",
                         o.name.empty() ? "optimizer" : o.name);
  }
  if (space.empty())
    return status::error(errc::invalid_argument, "the search space has no dimension",
                         "space");
  return row->make(space, o, out);
}

rng trial_rng(uint64_t seed, uint32_t trial_id) {
  return rng(mix(mix(seed) ^ trial_id));
}

namespace {

const optimizer_setting* declared(const optimizer_spec& spec, const std::string& key) {
  for (auto& s : spec.settings)
    if (key == s.name)
      return &s;
  return nullptr;
}

} // namespace

status check_settings(const optimizer_options& o, const optimizer_spec& spec) {
  std::vector<std::string> known;
  for (auto& s : spec.settings)
    known.emplace_back(s.name);
  for (const auto& [key, v] : o.settings.entries()) {
    auto bad = [&](std::string msg) {
      return status::error(errc::invalid_argument, std::move(msg), o.name + ": " + key);
    };
    const optimizer_setting* d = declared(spec, key);
    if (d == nullptr)
      return bad("unknown setting" + did_you_mean(key, known) + " (" + o.name
                 + " takes: " + joined(known) + ")");
    if (auto s = std::get_if<std::string>(&v))
      return bad("must be a number, got '" + *s + "'");
    double x = std::get<double>(v);
    if (!(x >= d->min && x <= d->max))
      return bad("must be within [" + format_value(d->min) + ", " + format_value(d->max)
                 + "], got " + format_value(x));
    if (d->whole && x != std::floor(x))
      return bad("must be an integer, got " + format_value(x));
  }
  return status::ok();
}

double setting(const optimizer_options& o, const optimizer_spec& spec, const std::string& key) {
  const optimizer_setting* d = declared(spec, key);
  return o.settings.number(key, d != nullptr ? d->fallback : 0);
}

} // namespace lagom::tuning
