// storage/feature_stats: statistics of a feature group version, computed when
// rows are written and merged on append (never recomputed over the group).
//
// Per statistic column (a scalar column, or each element i of a vector column
// `v`, named "v_i"): count of non-null values, null count, an approximate
// distinct count (HyperLogLog, 2^10 registers: about 3% standard error; exact
// counts below 64 distinct values are not promised), sum, mean, stddev
// (population, from mergeable moments: Chan et al.'s pairwise update), min,
// max and a 20-bin histogram over [min, max]. String columns get count,
// nulls and distinct only.
//
// Correlation: the Pearson correlation matrix of every numeric statistic
// column (int64, float32, float64 and vector elements), from the co-moment
// matrix sum (x - mean)(x - mean)^T, computed per block of rows on centred
// data by BLAS (ssyrk into float, accumulated in double) and merged across
// blocks and appends with the same pairwise update. Null values count as the
// column's mean of the block (they add nothing to the co-moments). A
// constant column has correlation NaN with every column (as numpy).
//
// Histogram merging: when a batch's range widens the stored [lo, hi], every
// bin's count moves to the new bin holding its centre (approximate: the
// totals stay exact, the placement within the wider range is to a bin).
//
// Threading: values and pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lagom/status.hpp"
#include "storage/feature_frame.hpp"

namespace lagom::storage {

constexpr size_t histogram_bins = 20;
constexpr unsigned hll_bits = 10;  ///< 2^10 registers

struct column_stats {
  std::string name;
  bool numeric = true;
  uint64_t count = 0;  ///< non-null values
  uint64_t nulls = 0;
  double sum = 0;
  double mean = 0;
  double m2 = 0;  ///< sum of squared deviations from the mean
  double min = 0;
  double max = 0;
  double hist_lo = 0, hist_hi = 0;
  std::array<uint64_t, histogram_bins> hist{};
  std::vector<uint8_t> hll;  ///< 2^hll_bits registers

  double stddev() const noexcept;
  /// The HyperLogLog estimate of distinct non-null values.
  uint64_t distinct() const noexcept;
};

struct feature_statistics {
  std::vector<column_stats> columns;
  /// The numeric statistic columns, in order, that the co-moments cover.
  std::vector<std::string> corr_names;
  uint64_t corr_rows = 0;
  std::vector<double> corr_mean;      ///< per corr column
  std::vector<double> comoment;       ///< k x k row-major, sum (x-m)(y-m)

  /// The k x k Pearson correlation matrix (row-major), NaN where a column is constant.
  std::vector<double> correlation() const;
  /// The statistic column named `name`, or nullptr.
  const column_stats* find(std::string_view name) const noexcept;
};

/// Computes the statistics of `frame` (checked beforehand); without
/// `correlations` the co-moments are left empty (corr_names too).
void compute_statistics(const feature_frame& frame, feature_statistics* out,
                        bool correlations = true);

/// Merges `more` (statistics of rows appended) into `into`. The two must
/// cover the same columns (the same schema); otherwise internal.
status merge_statistics(feature_statistics& into, const feature_statistics& more);

/// The stored layout (encoding.hpp conventions; version byte 1).
std::string encode_statistics(const feature_statistics& s);
/// Decodes; io_error naming `where` when the bytes are not a layout-1 record.
status decode_statistics(std::string_view bytes, const std::string& where,
                         feature_statistics* out);

} // namespace lagom::storage
