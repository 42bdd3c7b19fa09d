// Search spaces: the hyperparameters a search varies and their ranges.
//
//   lagom::tuning::searchspace sp;
//   auto st = lagom::tuning::searchspace::parse(
//       "lr: double [1e-4, 1e-1] log; units: integer [32, 512]; "
//       "bs: discrete [32, 64, 128]; opt: categorical [adam, sgd]", sp);
//
// Four kinds of dimension, as Maggy names them: DOUBLE and INTEGER (a closed
// range, linear or log scale), DISCRETE (a list of numbers) and CATEGORICAL (a
// list of texts). A configuration is a named_values holding one value per
// dimension, in the space's order: a double for DOUBLE, INTEGER and DISCRETE,
// a text for CATEGORICAL.
//
// Every dimension maps to the unit interval (encode/decode), which is where
// grid, differential evolution and TPE work: linear or log for ranges; an
// INTEGER decodes to the nearest integer in range; DISCRETE and CATEGORICAL
// split [0, 1] into equal cells, one per value.
//
// Plain C++, no CAF. Errors are invalid_argument statuses whose `where`
// names the dimension (and, for parse, the column: "space:1:17: lr").
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "lagom/status.hpp"
#include "lagom/values.hpp"

namespace lagom::tuning {

/// Every optimizer takes its randomness from one of these, seeded by the caller.
using rng = std::mt19937_64;

enum class dim_kind { real, integer, discrete, categorical };

/// "double", "integer", "discrete" or "categorical" (the script's keywords).
const char* to_string(dim_kind k) noexcept;

struct dimension {
  std::string name;
  dim_kind kind = dim_kind::real;
  double low = 0, high = 0;          ///< real, integer: inclusive bounds
  bool log = false;                  ///< real, integer: log scale (low > 0)
  std::vector<double> values;        ///< discrete, in the given order
  std::vector<std::string> choices;  ///< categorical, in the given order

  static dimension real(std::string name, double low, double high, bool log = false);
  static dimension integer(std::string name, long long low, long long high, bool log = false);
  static dimension discrete(std::string name, std::vector<double> values);
  static dimension categorical(std::string name, std::vector<std::string> choices);

  /// Number of distinct values (integer, discrete, categorical); 0 for real.
  size_t cardinality() const;
};

/// What a search space may hold: a bound on work done per trial and on what
/// a hostile script can make us allocate.
struct searchspace_limits {
  static constexpr size_t max_dimensions = 64;
  static constexpr size_t max_choices = 1024;  ///< per discrete/categorical dimension
  static constexpr size_t max_name = 64;
};

class searchspace {
public:
  /// Adds a dimension after checking it: a name that is empty, too long, not
  /// an identifier or already taken; an empty range (low >= high; for an
  /// integer, fewer than 2 values); a log scale over non-positive values;
  /// non-finite bounds; an empty, too long or duplicated list of values.
  status add(dimension d);

  /// Reads "name: kind [a, b] [log|linear]; ..." (kinds: double, integer,
  /// discrete, categorical, any case; categorical values are identifiers or
  /// quoted texts; ';' or newlines separate dimensions). Errors name the
  /// column and the dimension, e.g. "space:1:17: lr: empty range [0.1, 0.01]".
  /// `out` is left unchanged on error.
  static status parse(const std::string& text, searchspace& out);

  /// The canonical text of the space; parse() reads it back to an equal space.
  std::string to_string() const;

  const std::vector<dimension>& dims() const { return dims_; }
  size_t size() const { return dims_.size(); }
  bool empty() const { return dims_.empty(); }
  /// Index of dimension `name`, or size() when absent.
  size_t index_of(const std::string& name) const;

  /// The value of dimension `i` at unit coordinate u (clamped to [0, 1]).
  value decode(size_t i, double u) const;
  /// The unit coordinate of `v` in dimension `i` (the centre of its cell for
  /// integer, discrete and categorical).
  double encode(size_t i, const value& v) const;
  /// A configuration drawn uniformly in unit space (log-uniform for log dims).
  named_values sample(rng& gen) const;
  /// A configuration from unit coordinates (one per dimension).
  named_values from_unit(const std::vector<double>& u) const;
  /// The unit coordinates of `config`; config must pass check().
  std::vector<double> to_unit(const named_values& config) const;

  /// Every dimension present with a value of its kind, in range or among its
  /// values; extra keys are allowed (the search's fixed hyperparameters).
  status check(const named_values& config) const;

private:
  std::vector<dimension> dims_;
};

/// A canonical text of the space's values in `config`, for equality and
/// as a map key ("lr=0.001,units=64,opt=adam").
std::string config_key(const searchspace& space, const named_values& config);

} // namespace lagom::tuning
