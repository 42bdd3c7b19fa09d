#include "storage/feature_stats.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "storage/encoding.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the statistics matrices are stored in little-endian host order");

namespace lagom::storage {

namespace {

constexpr size_t hll_registers = size_t{1} << hll_bits;
constexpr size_t corr_block_rows = 4096;

uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t hash_number(double v) {
  if (v == 0)
    v = 0;  // -0 and 0 are one value
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return mix(bits);
}

uint64_t hash_text(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s)
    h = (h ^ c) * 0x100000001b3ull;
  return mix(h);
}

void hll_add(std::vector<uint8_t>& regs, uint64_t h) {
  size_t idx = h >> (64 - hll_bits);
  uint64_t rest = h << hll_bits;
  auto rank = static_cast<uint8_t>(rest == 0 ? 64 - hll_bits + 1 : __builtin_clzll(rest) + 1);
  regs[idx] = std::max(regs[idx], rank);
}

column_stats fresh(std::string name, bool numeric) {
  column_stats c;
  c.name = std::move(name);
  c.numeric = numeric;
  c.min = std::numeric_limits<double>::infinity();
  c.max = -std::numeric_limits<double>::infinity();
  c.hll.assign(hll_registers, 0);
  return c;
}

size_t bin_of(double x, double lo, double hi) {
  if (!(hi > lo))
    return 0;
  auto b = static_cast<long>(std::floor((x - lo) / (hi - lo) * histogram_bins));
  return static_cast<size_t>(std::clamp<long>(b, 0, histogram_bins - 1));
}

// Two passes over one numeric statistic column given as get(row): moments,
// range and distinct values, then the squared deviations and the histogram.
template <class Get>
void numeric_pass(column_stats& c, const feature_column& col, size_t rows, Get get) {
  for (size_t r = 0; r < rows; ++r) {
    if (col.is_null(r)) {
      ++c.nulls;
      continue;
    }
    double x = get(r);
    ++c.count;
    c.sum += x;
    c.min = std::min(c.min, x);
    c.max = std::max(c.max, x);
    hll_add(c.hll, hash_number(x));
  }
  if (c.count == 0)
    return;
  c.mean = c.sum / static_cast<double>(c.count);
  c.hist_lo = c.min;
  c.hist_hi = c.max;
  for (size_t r = 0; r < rows; ++r) {
    if (col.is_null(r))
      continue;
    double x = get(r);
    c.m2 += (x - c.mean) * (x - c.mean);
    ++c.hist[bin_of(x, c.hist_lo, c.hist_hi)];
  }
}

// A u8 vector: one 256-entry count table per element gives every statistic
// exactly, with one increment per value. The counting runs over groups of
// rows (small enough to stay in L2) and, within a group, over blocks of
// elements whose 32-bit counters (block x 256 x 4 bytes) fit in L1: one pass
// over all 784 pixels of an image per row would miss the cache on most
// increments. The 32-bit counters go into 64-bit totals before they could
// overflow (every 2^31 rows) and at the end.
constexpr size_t u8_block_elems = 16;
constexpr size_t u8_group_bytes = size_t{256} << 10;
constexpr size_t u8_flush_rows = size_t{1} << 31;

// counts[e * 256 + v]: how many non-null rows have value v at element e.
void count_u8_values(const feature_column& col, std::vector<uint64_t>& counts,
                     uint64_t* nulls) {
  size_t rows = col.rows(), w = col.spec.width;
  size_t group = std::max<size_t>(1, u8_group_bytes / std::max<size_t>(w, 1));
  std::vector<uint32_t> part(w * 256, 0);
  size_t pending = 0;
  auto flush = [&] {
    for (size_t i = 0; i < part.size(); ++i)
      counts[i] += part[i];
    std::fill(part.begin(), part.end(), 0u);
    pending = 0;
  };
  std::vector<const uint8_t*> live;
  live.reserve(std::min(rows, group));
  for (size_t start = 0; start < rows; start += group) {
    size_t end = std::min(rows, start + group);
    if (pending + (end - start) > u8_flush_rows)
      flush();
    pending += end - start;
    live.clear();
    for (size_t r = start; r < end; ++r) {
      if (col.is_null(r))
        ++*nulls;
      else
        live.push_back(col.u8.data() + r * w);
    }
    for (size_t e0 = 0; e0 < w; e0 += u8_block_elems) {
      size_t n = std::min(u8_block_elems, w - e0);
      uint32_t* t = part.data() + e0 * 256;
      if (n == u8_block_elems) {
        for (const uint8_t* row : live) {
          const uint8_t* v = row + e0;
          for (size_t e = 0; e < u8_block_elems; ++e)
            ++t[e * 256 + v[e]];
        }
      } else {
        for (const uint8_t* row : live)
          for (size_t e = 0; e < n; ++e)
            ++t[e * 256 + row[e0 + e]];
      }
    }
  }
  flush();
}

void u8_vector_stats(const feature_column& col, std::vector<column_stats>& out) {
  size_t w = col.spec.width;
  std::vector<uint64_t> counts(w * 256, 0);
  uint64_t nulls = 0;
  count_u8_values(col, counts, &nulls);
  for (size_t e = 0; e < w; ++e) {
    column_stats c = fresh(col.spec.name + "_" + std::to_string(e), true);
    c.nulls = nulls;
    const uint64_t* t = counts.data() + e * 256;
    for (int v = 0; v < 256; ++v)
      if (t[v] != 0) {
        c.count += t[v];
        c.sum += static_cast<double>(v) * static_cast<double>(t[v]);
        c.min = std::min<double>(c.min, v);
        c.max = std::max<double>(c.max, v);
        hll_add(c.hll, hash_number(v));
      }
    if (c.count != 0) {
      c.mean = c.sum / static_cast<double>(c.count);
      c.hist_lo = c.min;
      c.hist_hi = c.max;
      for (int v = 0; v < 256; ++v)
        if (t[v] != 0) {
          c.m2 += (v - c.mean) * (v - c.mean) * static_cast<double>(t[v]);
          c.hist[bin_of(v, c.hist_lo, c.hist_hi)] += t[v];
        }
    }
    out.push_back(std::move(c));
  }
}

// The numeric columns the co-moments cover, with their first statistic column.
struct corr_source {
  const feature_column* col;
  size_t offset;
};

// Copies rows [start, start + n) of `s` into the block (row-major, k wide),
// adding each value to sum[] and counting the non-null ones.
void fill_block(const corr_source& s, size_t start, size_t n, size_t k, float* block,
                double* sum, size_t* valid) {
  const feature_column& c = *s.col;
  size_t w = c.spec.width;
  for (size_t r = 0; r < n; ++r) {
    float* dst = block + r * k + s.offset;
    if (c.is_null(start + r)) {
      std::fill(dst, dst + w, 0.0f);
      continue;
    }
    ++*valid;
    size_t row = start + r;
    switch (c.spec.type) {
    case feature_type::u8_vector: {
      const uint8_t* src = c.u8.data() + row * w;
      for (size_t e = 0; e < w; ++e) {
        dst[e] = src[e];
        sum[e] += src[e];
      }
      break;
    }
    case feature_type::f32_vector: {
      const float* src = c.f32.data() + row * w;
      for (size_t e = 0; e < w; ++e) {
        dst[e] = src[e];
        sum[e] += src[e];
      }
      break;
    }
    default: {
      double x = c.number(row);
      dst[0] = static_cast<float>(x);
      sum[0] += x;
    }
    }
  }
}

// The co-moment matrix of the numeric columns, block by block: values centred
// on the block's means (computed in double; float32 values of the block are
// centred exactly enough for ssyrk), merged into the running matrix.
void correlation_pass(const std::vector<corr_source>& src, size_t k, size_t rows,
                      feature_statistics* out) {
  out->corr_rows = 0;
  out->corr_mean.assign(k, 0.0);
  out->comoment.assign(k * k, 0.0);
  if (k == 0 || rows == 0)
    return;
  std::vector<float> block(std::min(rows, corr_block_rows) * k);
  std::vector<float> syrk(k * k);
  std::vector<double> bmean(k), delta(k);
  std::vector<float> fmean(k);
  for (size_t start = 0; start < rows; start += corr_block_rows) {
    size_t n = std::min(corr_block_rows, rows - start);
    std::fill(bmean.begin(), bmean.end(), 0.0);
    for (const auto& s : src) {
      size_t valid = 0;
      fill_block(s, start, n, k, block.data(), bmean.data() + s.offset, &valid);
      for (size_t e = 0; e < s.col->spec.width; ++e)
        bmean[s.offset + e] = valid == 0 ? 0.0 : bmean[s.offset + e] / static_cast<double>(valid);
    }
    // Centred on the mean rounded to float: the block's co-moments about that
    // point differ from those about the exact mean by n * d * d^T with d below
    // 1e-7 of the mean, far under float's own rounding.
    for (size_t j = 0; j < k; ++j)
      fmean[j] = static_cast<float>(bmean[j]);
    for (size_t r = 0; r < n; ++r) {
      float* row = block.data() + r * k;
      for (const auto& s : src) {
        if (s.col->is_null(start + r))
          continue;  // stays 0: a null adds nothing
        for (size_t e = 0; e < s.col->spec.width; ++e)
          row[s.offset + e] -= fmean[s.offset + e];
      }
    }
    for (size_t j = 0; j < k; ++j)
      bmean[j] = fmean[j];
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, static_cast<int>(k), static_cast<int>(n),
                1.0f, block.data(), static_cast<int>(k), 0.0f, syrk.data(),
                static_cast<int>(k));
    double na = static_cast<double>(out->corr_rows), nb = static_cast<double>(n);
    double f = na * nb / (na + nb);
    for (size_t j = 0; j < k; ++j)
      delta[j] = bmean[j] - out->corr_mean[j];
    for (size_t i = 0; i < k; ++i)
      for (size_t j = i; j < k; ++j) {
        double v = syrk[i * k + j] + delta[i] * delta[j] * f;
        out->comoment[i * k + j] += v;
        if (j != i)
          out->comoment[j * k + i] += v;
      }
    for (size_t j = 0; j < k; ++j)
      out->corr_mean[j] += delta[j] * nb / (na + nb);
    out->corr_rows += n;
  }
}

void merge_hist(column_stats& a, const column_stats& b) {
  if (b.count == 0)
    return;
  if (a.count == 0) {
    a.hist_lo = b.hist_lo;
    a.hist_hi = b.hist_hi;
    a.hist = b.hist;
    return;
  }
  double lo = std::min(a.hist_lo, b.hist_lo), hi = std::max(a.hist_hi, b.hist_hi);
  std::array<uint64_t, histogram_bins> merged{};
  for (const column_stats* s : {static_cast<const column_stats*>(&a), &b}) {
    bool same = s->hist_lo == lo && s->hist_hi == hi;
    double width = (s->hist_hi - s->hist_lo) / histogram_bins;
    for (size_t i = 0; i < histogram_bins; ++i)
      merged[same ? i : bin_of(s->hist_lo + (i + 0.5) * width, lo, hi)] += s->hist[i];
  }
  a.hist = merged;
  a.hist_lo = lo;
  a.hist_hi = hi;
}

} // namespace

double column_stats::stddev() const noexcept {
  return count == 0 ? 0.0 : std::sqrt(m2 / static_cast<double>(count));
}

uint64_t column_stats::distinct() const noexcept {
  if (hll.size() != hll_registers)
    return 0;
  double m = hll_registers, sum = 0;
  size_t zeros = 0;
  for (uint8_t r : hll) {
    sum += std::ldexp(1.0, -r);
    zeros += r == 0;
  }
  double e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
  if (e <= 2.5 * m && zeros != 0)
    e = m * std::log(m / static_cast<double>(zeros));
  return static_cast<uint64_t>(std::llround(e));
}

std::vector<double> feature_statistics::correlation() const {
  size_t k = corr_names.size();
  std::vector<double> r(k * k, std::numeric_limits<double>::quiet_NaN());
  if (comoment.size() != k * k)
    return r;
  for (size_t i = 0; i < k; ++i)
    for (size_t j = 0; j < k; ++j) {
      double d = std::sqrt(comoment[i * k + i] * comoment[j * k + j]);
      if (d > 0)
        r[i * k + j] = std::clamp(comoment[i * k + j] / d, -1.0, 1.0);
    }
  return r;
}

const column_stats* feature_statistics::find(std::string_view name) const noexcept {
  for (const auto& c : columns)
    if (c.name == name)
      return &c;
  return nullptr;
}

void compute_statistics(const feature_frame& frame, feature_statistics* out,
                        bool correlations) {
  *out = {};
  size_t rows = frame.rows();
  std::vector<corr_source> src;
  size_t k = 0;
  for (const auto& col : frame.columns) {
    switch (col.spec.type) {
    case feature_type::string: {
      column_stats c = fresh(col.spec.name, false);
      for (size_t r = 0; r < rows; ++r)
        if (col.is_null(r))
          ++c.nulls;
        else {
          ++c.count;
          hll_add(c.hll, hash_text(col.str[r]));
        }
      c.min = c.max = 0;
      out->columns.push_back(std::move(c));
      continue;
    }
    case feature_type::u8_vector: u8_vector_stats(col, out->columns); break;
    case feature_type::f32_vector:
      for (uint32_t e = 0; e < col.spec.width; ++e) {
        column_stats c = fresh(col.spec.name + "_" + std::to_string(e), true);
        numeric_pass(c, col, rows, [&](size_t r) { return col.number(r, e); });
        out->columns.push_back(std::move(c));
      }
      break;
    default: {
      column_stats c = fresh(col.spec.name, true);
      numeric_pass(c, col, rows, [&](size_t r) { return col.number(r); });
      out->columns.push_back(std::move(c));
    }
    }
    src.push_back({&col, k});
    k += col.spec.width;
  }
  for (auto& c : out->columns) {
    if (c.count == 0)
      c.min = c.max = 0;
    if (c.numeric && correlations)
      out->corr_names.push_back(c.name);
  }
  if (correlations)
    correlation_pass(src, k, rows, out);
}

status merge_statistics(feature_statistics& a, const feature_statistics& b) {
  if (a.columns.size() != b.columns.size() || a.corr_names != b.corr_names)
    return status::error(errc::internal, "statistics of different columns cannot be merged");
  for (size_t i = 0; i < a.columns.size(); ++i) {
    column_stats& x = a.columns[i];
    const column_stats& y = b.columns[i];
    merge_hist(x, y);
    if (y.count != 0) {
      double na = static_cast<double>(x.count), nb = static_cast<double>(y.count);
      double delta = y.mean - x.mean;
      x.m2 += y.m2 + delta * delta * na * nb / (na + nb);
      x.mean += delta * nb / (na + nb);
      x.min = x.count == 0 ? y.min : std::min(x.min, y.min);
      x.max = x.count == 0 ? y.max : std::max(x.max, y.max);
    }
    x.count += y.count;
    x.nulls += y.nulls;
    x.sum += y.sum;
    for (size_t r = 0; r < x.hll.size() && r < y.hll.size(); ++r)
      x.hll[r] = std::max(x.hll[r], y.hll[r]);
  }
  size_t k = a.corr_names.size();
  if (b.corr_rows != 0) {
    double na = static_cast<double>(a.corr_rows), nb = static_cast<double>(b.corr_rows);
    double f = na * nb / (na + nb);
    for (size_t i = 0; i < k; ++i)
      for (size_t j = 0; j < k; ++j)
        a.comoment[i * k + j] += b.comoment[i * k + j] + (b.corr_mean[i] - a.corr_mean[i]) *
                                                           (b.corr_mean[j] - a.corr_mean[j]) * f;
    for (size_t i = 0; i < k; ++i)
      a.corr_mean[i] += (b.corr_mean[i] - a.corr_mean[i]) * nb / (na + nb);
    a.corr_rows += b.corr_rows;
  }
  return status::ok();
}

namespace {
void raw_doubles(byte_writer& w, const std::vector<double>& v) {
  w.raw(std::string_view(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double)));
}
bool read_doubles(byte_reader& r, size_t n, std::vector<double>* v) {
  if (n > r.remaining() / sizeof(double))
    return false;
  auto bytes = r.raw(n * sizeof(double));
  v->resize(n);
  std::memcpy(v->data(), bytes.data(), bytes.size());
  return r.ok();
}
} // namespace

// Layout 1: u8 1 | u32 columns | per column: str name, u8 numeric, u64 count,
// u64 nulls, f64 sum mean m2 min max hist_lo hist_hi, 20 x u64 bins, str hll |
// u32 k | k x str name | u64 corr_rows | k f64 means, k*k f64 co-moments, both
// as raw little-endian doubles.
std::string encode_statistics(const feature_statistics& s) {
  byte_writer w;
  w.u8(1);
  w.u32(static_cast<uint32_t>(s.columns.size()));
  for (const auto& c : s.columns) {
    w.str(c.name);
    w.u8(c.numeric);
    w.u64(c.count);
    w.u64(c.nulls);
    for (double d : {c.sum, c.mean, c.m2, c.min, c.max, c.hist_lo, c.hist_hi})
      w.f64(d);
    for (uint64_t b : c.hist)
      w.u64(b);
    w.str(std::string_view(reinterpret_cast<const char*>(c.hll.data()), c.hll.size()));
  }
  w.u32(static_cast<uint32_t>(s.corr_names.size()));
  for (const auto& n : s.corr_names)
    w.str(n);
  w.u64(s.corr_rows);
  raw_doubles(w, s.corr_mean);
  raw_doubles(w, s.comoment);
  return w.take();
}

status decode_statistics(std::string_view bytes, const std::string& where,
                         feature_statistics* out) {
  byte_reader r(bytes);
  feature_statistics s;
  bool ok = r.u8() == 1;
  uint32_t n = r.u32();
  ok = ok && n <= r.remaining() / 8;
  for (uint32_t i = 0; ok && i < n; ++i) {
    column_stats c;
    c.name = r.str();
    c.numeric = r.u8() != 0;
    c.count = r.u64();
    c.nulls = r.u64();
    for (double* d : {&c.sum, &c.mean, &c.m2, &c.min, &c.max, &c.hist_lo, &c.hist_hi})
      *d = r.f64();
    for (auto& b : c.hist)
      b = r.u64();
    std::string h = r.str();
    c.hll.assign(h.begin(), h.end());
    ok = r.ok();
    s.columns.push_back(std::move(c));
  }
  uint32_t k = ok ? r.u32() : 0;
  ok = ok && k <= r.remaining() / 4;
  for (uint32_t i = 0; ok && i < k; ++i) {
    s.corr_names.push_back(r.str());
    ok = r.ok();
  }
  s.corr_rows = r.u64();
  ok = ok && read_doubles(r, k, &s.corr_mean) && read_doubles(r, size_t{k} * k, &s.comoment) &&
       r.done();
  if (!ok)
    return status::error(errc::io_error, "corrupt statistics record", where);
  *out = std::move(s);
  return status::ok();
}

} // namespace lagom::storage
