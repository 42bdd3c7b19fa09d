#include "plot/axes.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace lagom::plot {
namespace {

// The decimal exponent of the 1-2-5 step, e.g. -1 for 0.2 and 0.5.
int step_exponent(double step) { return static_cast<int>(std::floor(std::log10(step) + 1e-9)); }

std::string printf_string(const char* fmt, int prec, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, prec, v);
  return buf;
}

// "1.5e-05" -> "1.5e-5", "1.0e+300" -> "1e300": printf's form, shortened.
std::string tidy_exponent(std::string s) {
  auto e = s.find('e');
  if (e == std::string::npos)
    return s;
  std::string mant = s.substr(0, e), exp = s.substr(e + 1);
  if (mant.find('.') != std::string::npos) {  // "1.0" -> "1"
    mant.erase(mant.find_last_not_of('0') + 1);
    if (mant.back() == '.')
      mant.pop_back();
  }
  bool neg = !exp.empty() && exp[0] == '-';
  if (!exp.empty() && (exp[0] == '-' || exp[0] == '+'))
    exp.erase(0, 1);
  exp.erase(0, std::min(exp.find_first_not_of('0'), exp.size() - 1));
  return mant + "e" + (neg ? "-" : "") + exp;
}

} // namespace

double nice_step(double lo, double hi, int max_ticks) {
  double raw = (hi - lo) / std::max(max_ticks - 1, 1);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw * (1 - 1e-9))
      return m * mag;
  return 10 * mag;
}

std::vector<tick> linear_ticks(double lo, double hi, int max_ticks) {
  std::vector<tick> out;
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo))
    return out;
  double step = nice_step(lo, hi, std::max(max_ticks, 2));
  double eps = (hi - lo) * 1e-9;
  double k_first = std::ceil((lo - eps) / step);
  double k_last = std::floor((hi + eps) / step);
  for (double k = k_first; k <= k_last; ++k) {
    double v = k * step;
    if (v == 0)
      v = 0;  // no "-0"
    out.push_back({v, format_tick(v, step)});
  }
  return out;
}

std::vector<tick> log_ticks(double lo, double hi, int max_ticks) {
  std::vector<tick> out;
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo > 0) || !(hi > lo))
    return out;
  max_ticks = std::max(max_ticks, 2);
  int e_first = static_cast<int>(std::ceil(std::log10(lo) - 1e-9));
  int e_last = static_cast<int>(std::floor(std::log10(hi) + 1e-9));
  int decades = e_last - e_first + 1;
  if (decades >= 2) {
    int every = (decades + max_ticks - 1) / max_ticks;
    for (int e = e_first; e <= e_last; e += every) {
      double v = std::pow(10.0, e);
      out.push_back({v, format_log_tick(v)});
    }
    return out;
  }
  // Narrow: 1, 2 and 5 times each power of ten in range.
  for (int e = e_first - 1; e <= e_last; ++e)
    for (double m : {1.0, 2.0, 5.0}) {
      double v = m * std::pow(10.0, e);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9))
        out.push_back({v, format_log_tick(v)});
    }
  if (out.size() < 2)
    return linear_ticks(lo, hi, max_ticks);
  return out;
}

std::string format_tick(double v, double step) {
  int step_e = step_exponent(step);
  if (std::fabs(v) >= 1e6 || step < 1e-3) {
    if (v == 0)
      return "0";
    int v_e = static_cast<int>(std::floor(std::log10(std::fabs(v))));
    return tidy_exponent(printf_string("%.*e", std::max(v_e - step_e, 0), v));
  }
  return printf_string("%.*f", std::max(-step_e, 0), v);
}

std::string format_log_tick(double v) {
  if (v >= 1e-3 && v < 1e5) {
    // Up to 3 significant digits, trailing zeros trimmed by %g.
    return printf_string("%.*g", 3, v);
  }
  return tidy_exponent(printf_string("%.*e", 0, v));
}

range padded_range(double lo, double hi, bool log, double pad) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || (log && !(lo > 0 && hi > 0)))
    return log ? range{0.1, 10} : range{0, 1};
  if (lo > hi)
    std::swap(lo, hi);
  if (log) {
    range r = padded_range(std::log10(lo), std::log10(hi), false, pad);
    return {std::pow(10.0, r.lo), std::pow(10.0, r.hi)};
  }
  if (hi == lo) {
    double half = lo == 0 ? 1.0 : std::fabs(lo) * 0.1;
    return {lo - half, hi + half};
  }
  double span = hi - lo;
  return {lo - span * pad, hi + span * pad};
}

double axis_map::to_px(double v) const {
  double a = log ? std::log10(lo) : lo, b = log ? std::log10(hi) : hi;
  double x = log ? std::log10(v) : v;
  double t = b == a ? 0.5 : (x - a) / (b - a);
  return px_lo + t * (px_hi - px_lo);
}

bool axis_map::accepts(double v) const { return std::isfinite(v) && (!log || v > 0); }

} // namespace lagom::plot
