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
  const char* name;
  maker make;
};

// In the order `lagom` lists them.
const maker_row makers[] = {
  {"random", make_random_search},
  {"grid", make_grid_search},
  {"de", make_differential_evolution},
  {"tpe", make_tpe},
  // asha, hyperband, tpe: their rows are added by the branches that write them.
  {"asha", make_asha},
  {"hyperband", make_hyperband},
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

std::vector<std::string> optimizer_names() {
  std::vector<std::string> out;
  for (const auto& row : makers)
    out.emplace_back(row.name);
  return out;
}

status make_optimizer(const searchspace& space, const optimizer_options& o,
                      std::unique_ptr<optimizer>& out) {
  const maker_row* row = nullptr;
  for (const auto& r : makers)
    if (o.name == r.name)
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

status check_settings(const optimizer_options& o, const std::vector<std::string>& known) {
  for (const auto& [key, v] : o.settings.entries()) {
    bool found = false;
    for (const auto& k : known)
      found |= k == key;
    if (!found)
      return status::error(errc::invalid_argument,
                           "unknown setting" + did_you_mean(key, known) + " (" + o.name
                             + " takes: " + joined(known) + ")",
                           o.name + ": " + key);
  }
  return status::ok();
}

status read_setting(const optimizer_options& o, const std::string& key, double fallback,
                    double min, double max, double& out) {
  const value* v = o.settings.find(key);
  if (v == nullptr) {
    out = fallback;
    return status::ok();
  }
  auto bad = [&](std::string msg) {
    return status::error(errc::invalid_argument, std::move(msg), o.name + ": " + key);
  };
  if (auto s = std::get_if<std::string>(v))
    return bad("must be a number, got '" + *s + "'");
  double x = std::get<double>(*v);
  if (!(x >= min && x <= max))
    return bad("must be within [" + format_value(min) + ", " + format_value(max) + "], got "
               + format_value(x));
  out = x;
  return status::ok();
}

} // namespace lagom::tuning
