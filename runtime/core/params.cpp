#include "lagom/params.hpp"

#include <cmath>

#include "core/suggest.hpp"

namespace lagom {

param_spec param_spec::real(std::string name, double def, double min, double max,
                            std::string help) {
  param_spec p;
  p.name = std::move(name);
  p.type = kind::real;
  p.default_value = def;
  p.min = min;
  p.max = max;
  p.help = std::move(help);
  return p;
}

param_spec param_spec::integer(std::string name, long long def, long long min, long long max,
                               std::string help) {
  param_spec p = real(std::move(name), static_cast<double>(def), static_cast<double>(min),
                      static_cast<double>(max), std::move(help));
  p.type = kind::integer;
  return p;
}

param_spec param_spec::text(std::string name, std::string def, std::string help) {
  param_spec p;
  p.name = std::move(name);
  p.type = kind::text;
  p.default_value = std::move(def);
  p.help = std::move(help);
  return p;
}

param_spec param_spec::one_of(std::string name, std::string def,
                              std::vector<std::string> choices, std::string help) {
  param_spec p = text(std::move(name), std::move(def), std::move(help));
  p.type = kind::choice;
  p.choices = std::move(choices);
  return p;
}

const char* to_string(param_spec::kind k) noexcept {
  switch (k) {
    case param_spec::kind::real: return "real";
    case param_spec::kind::integer: return "integer";
    case param_spec::kind::text: return "text";
    case param_spec::kind::choice: return "choice";
  }
  return "?";
}

namespace {

std::string range_text(const param_spec& p) {
  if (p.type == param_spec::kind::choice) {
    std::string out;
    for (auto& c : p.choices)
      out += (out.empty() ? "" : ", ") + c;
    return out;
  }
  if (p.type == param_spec::kind::text)
    return "";
  return "[" + format_value(p.min) + ", " + format_value(p.max) + "]";
}

status check_one(const std::string& where, const param_spec& p, const value& v) {
  auto bad = [&](const std::string& msg) {
    return status::error(errc::invalid_argument, msg, where);
  };
  switch (p.type) {
    case param_spec::kind::real:
    case param_spec::kind::integer: {
      auto d = std::get_if<double>(&v);
      if (d == nullptr)
        return bad("must be a number, got '" + std::get<std::string>(v) + "'");
      if (!std::isfinite(*d))
        return bad("must be finite, got " + format_value(*d));
      if (p.type == param_spec::kind::integer && *d != std::floor(*d))
        return bad("must be an integer, got " + format_value(*d));
      if (*d < p.min || *d > p.max)
        return bad("must be within " + range_text(p) + ", got " + format_value(*d));
      return status::ok();
    }
    case param_spec::kind::text:
      if (!std::holds_alternative<std::string>(v))
        return bad("must be a text, got " + format_value(v));
      return status::ok();
    case param_spec::kind::choice: {
      std::string s = format_value(v);
      for (auto& c : p.choices)
        if (c == s)
          return status::ok();
      return bad("must be one of " + range_text(p) + ", got '" + s + "'");
    }
  }
  return status::ok();
}

} // namespace

status check_params(const std::string& function, const std::vector<param_spec>& specs,
                    named_values& params) {
  std::vector<std::string> names;
  for (auto& p : specs)
    names.push_back(p.name);
  for (auto& [key, v] : params.entries()) {
    const param_spec* spec = nullptr;
    for (auto& p : specs)
      if (p.name == key)
        spec = &p;
    if (spec == nullptr) {
      std::string known;
      for (auto& n : names)
        known += (known.empty() ? "" : ", ") + n;
      auto close = suggest(key, names);
      return status::error(errc::invalid_argument,
                           "unknown hyperparameter"
                             + (close.empty() ? "" : "; did you mean '" + close + "'?")
                             + " (" + function + " takes: " + (known.empty() ? "none" : known)
                             + ")",
                           function + ": " + key);
    }
    if (auto st = check_one(function + ": " + key, *spec, v); !st)
      return st;
  }
  for (auto& p : specs)
    if (!params.contains(p.name))
      params.set(p.name, p.default_value);
  return status::ok();
}

std::string describe_params(const std::vector<param_spec>& specs) {
  std::string out;
  for (auto& p : specs)
    out += p.name + "  " + to_string(p.type) + "  default " + format_value(p.default_value)
           + (range_text(p).empty() ? "" : "  " + range_text(p))
           + (p.help.empty() ? "" : "  " + p.help) + "\n";
  return out;
}

} // namespace lagom
