// Standard objectives for comparing optimizers (both to be minimized), used
// by the TPE tests and bench_tuning, written as bench/peers/optuna_search.py
// writes them for Optuna.
//   branin:    x1 in [-5, 10], x2 in [0, 15]; minimum 0.397887 (three places)
//   hartmann6: x0..x5 in [0, 1]; minimum -3.32237
// Plain C++.
#pragma once

#include "lagom/values.hpp"

namespace lagom::tuning {

constexpr const char* branin_space_text = "x1: double [-5, 10]; x2: double [0, 15]";
constexpr double branin_minimum = 0.397887;
double branin(const named_values& c);

constexpr const char* hartmann6_space_text =
  "x0: double [0, 1]; x1: double [0, 1]; x2: double [0, 1]; "
  "x3: double [0, 1]; x4: double [0, 1]; x5: double [0, 1]";
constexpr double hartmann6_minimum = -3.32237;
double hartmann6(const named_values& c);

} // namespace lagom::tuning
