// The constructors make_optimizer dispatches to, one per optimizer file, and
// the settings reader they share. Internal to runtime/tuning. make_optimizer
// has refused an empty space before any of them is called.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tuning/optimizer.hpp"

namespace lagom::tuning {

// Each optimizer file declares its spec (name, whether budgeted, settings
// with type, default and range) beside its maker.
const optimizer_spec& random_search_spec();
status make_random_search(const searchspace& space, const optimizer_options& o,
                          std::unique_ptr<optimizer>& out);
const optimizer_spec& grid_search_spec();
status make_grid_search(const searchspace& space, const optimizer_options& o,
                        std::unique_ptr<optimizer>& out);
const optimizer_spec& differential_evolution_spec();
status make_differential_evolution(const searchspace& space, const optimizer_options& o,
                                   std::unique_ptr<optimizer>& out);
const optimizer_spec& tpe_spec();
status make_tpe(const searchspace& space, const optimizer_options& o,
                std::unique_ptr<optimizer>& out);
const optimizer_spec& asha_spec();
status make_asha(const searchspace& space, const optimizer_options& o,
                 std::unique_ptr<optimizer>& out);
const optimizer_spec& hyperband_spec();
status make_hyperband(const searchspace& space, const optimizer_options& o,
                      std::unique_ptr<optimizer>& out);

/// The rng for trial `trial_id` of a search seeded with `seed`: optimizers
/// that draw per trial from it stay the same across a resume (adopt + tell).
rng trial_rng(uint64_t seed, uint32_t trial_id);

/// invalid_argument naming "<optimizer>: <setting>" for the first setting
/// of `o` that `spec` does not declare (with a did-you-mean), that is a
/// text, out of its range, or not whole where it must be. Each maker calls
/// it with its own spec first.
status check_settings(const optimizer_options& o, const optimizer_spec& spec);

/// The value of setting `key` of `o` (checked), or its declared default.
double setting(const optimizer_options& o, const optimizer_spec& spec, const std::string& key);

} // namespace lagom::tuning
