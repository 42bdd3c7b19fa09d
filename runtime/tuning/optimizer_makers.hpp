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

status make_random_search(const searchspace& space, const optimizer_options& o,
                          std::unique_ptr<optimizer>& out);
status make_grid_search(const searchspace& space, const optimizer_options& o,
                        std::unique_ptr<optimizer>& out);
status make_differential_evolution(const searchspace& space, const optimizer_options& o,
                                   std::unique_ptr<optimizer>& out);
status make_tpe(const searchspace& space, const optimizer_options& o,
                std::unique_ptr<optimizer>& out);
status make_asha(const searchspace& space, const optimizer_options& o,
                 std::unique_ptr<optimizer>& out);
status make_hyperband(const searchspace& space, const optimizer_options& o,
                      std::unique_ptr<optimizer>& out);

/// The rng for trial `trial_id` of a search seeded with `seed`: optimizers
/// that draw per trial from it stay the same across a resume (adopt + tell).
rng trial_rng(uint64_t seed, uint32_t trial_id);

/// invalid_argument naming the first setting of `o` that is not in `known`
/// ("<optimizer>: <setting>", with a did-you-mean).
status check_settings(const optimizer_options& o, const std::vector<std::string>& known);

/// The number under `key` (or `fallback` when absent), checked to lie in
/// [min, max]; invalid_argument naming "<optimizer>: <key>" when it is a
/// text or out of range.
status read_setting(const optimizer_options& o, const std::string& key, double fallback,
                    double min, double max, double& out);

} // namespace lagom::tuning
