// Random search: every trial an independent uniform draw from the space
// (log-uniform on log dimensions), as searchspace::sample draws it.
//
// Trial i's configuration depends only on the seed and i (trial_rng), not on
// how many draws came before, so a resumed search (adopt + tell) goes on with
// the configurations the uninterrupted one would have tried, never repeating
// those already run. Exhausted once num_trials distinct trials were asked or
// adopted. No settings.
#include <unordered_set>

#include "tuning/optimizer_makers.hpp"

namespace lagom::tuning {

namespace {

class random_search final : public optimizer {
public:
  random_search(searchspace space, const optimizer_options& o)
    : space_(std::move(space)), seed_(o.seed), num_trials_(o.num_trials) {}

  const char* name() const override { return "random"; }
  bool learns() const override { return false; }

  ask_status ask(trial& out) override {
    if (!issued_.count(out.id) && spent())
      return ask_status::exhausted;
    rng gen = trial_rng(seed_, out.id);
    out.config = space_.sample(gen);
    out.clear_rungs();
    issued_.insert(out.id);
    return ask_status::ready;
  }

  void tell(const trial_result&) override {}

  void adopt(trial& t) override { issued_.insert(t.id); }

private:
  bool spent() const { return num_trials_ != 0 && issued_.size() >= num_trials_; }

  // Constant after construction.
  const searchspace space_;
  const uint64_t seed_;
  const uint32_t num_trials_;
  // Trials asked or adopted.
  std::unordered_set<uint32_t> issued_;
};

} // namespace

const optimizer_spec& random_search_spec() {
  static const optimizer_spec spec{"random", "uniform draws over the space", false, false, {}};
  return spec;
}

status make_random_search(const searchspace& space, const optimizer_options& o,
                          std::unique_ptr<optimizer>& out) {
  if (auto st = check_settings(o, random_search_spec()); !st)
    return st;
  out = std::make_unique<random_search>(space, o);
  return status::ok();
}

} // namespace lagom::tuning
