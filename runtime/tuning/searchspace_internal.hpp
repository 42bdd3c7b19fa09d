// What searchspace.cpp (add, check, config_key) and searchspace_text.cpp
// (parse, to_string) share. Internal to runtime/tuning.
#pragma once

#include <string>
#include <vector>

#include "tuning/searchspace.hpp"

namespace lagom::tuning {

/// Which part of a dimension a problem concerns, so parse can give the column.
enum class dim_part { name, range, scale, list, item };

struct dim_problem {
  std::string msg;  ///< empty: no problem
  dim_part part = dim_part::name;
  size_t item = 0;  ///< dim_part::item: index into values or choices
};

/// The first reason `d` may not join a space that holds `taken` (see
/// searchspace::add and searchspace_limits).
dim_problem find_problem(const dimension& d, const std::vector<dimension>& taken);

/// [A-Za-z_][A-Za-z0-9_]*
bool is_identifier(const std::string& s);

/// The shortest decimal text strtod reads back to exactly `x` ("0.1", "1e-05").
std::string exact_number(double x);

/// `s` bare when an identifier, else "quoted" with \" and \\ escaped.
std::string quote_if_needed(const std::string& s);

/// A discrete or categorical dimension's values, as "32, 64, 128".
std::string list_text(const dimension& d);

} // namespace lagom::tuning
