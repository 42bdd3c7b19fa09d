#include "tuning/benchmark_functions.hpp"

#include <cmath>

namespace lagom::tuning {

double branin(const named_values& c) {
  const double pi = 3.14159265358979323846;
  double x1 = c.number("x1", 0), x2 = c.number("x2", 0);
  double b = 5.1 / (4 * pi * pi), cc = 5 / pi, t = 1 / (8 * pi);
  return std::pow(x2 - b * x1 * x1 + cc * x1 - 6, 2) + 10 * (1 - t) * std::cos(x1) + 10;
}

double hartmann6(const named_values& c) {
  static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                 {0.05, 10, 17, 0.1, 8, 14},
                                 {3, 3.5, 1.7, 10, 17, 8},
                                 {17, 8, 0.05, 10, 0.1, 14}};
  static const double P[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                 {2329, 4135, 8307, 3736, 1004, 9991},
                                 {2348, 1451, 3522, 2883, 3047, 6650},
                                 {4047, 8828, 8732, 5743, 1091, 381}};
  static const char* names[6] = {"x0", "x1", "x2", "x3", "x4", "x5"};
  double sum = 0;
  for (int i = 0; i < 4; ++i) {
    double e = 0;
    for (int j = 0; j < 6; ++j) {
      double d = c.number(names[j], 0) - P[i][j] * 1e-4;
      e += A[i][j] * d * d;
    }
    sum += alpha[i] * std::exp(-e);
  }
  return -sum;
}

} // namespace lagom::tuning
