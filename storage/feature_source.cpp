// storage/feature_source: dispatch on the form of a `from=` (see the header).
#include "storage/feature_source.hpp"

#include <random>
#include <sys/stat.h>

#include "storage/feature_csv.hpp"
#include "storage/feature_import.hpp"
#include "storage/feature_npy.hpp"

namespace lagom::storage {

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

// DIR/PREFIX-<what>, gzipped or not; the .gz name when neither exists.
std::string idx_file(const std::string& dir, const std::string& prefix, const std::string& what) {
  std::string plain = dir + "/" + prefix + "-" + what;
  return exists(plain) ? plain : plain + ".gz";
}

status load_random(const std::string& spec, uint64_t seed, feature_frame* out) {
  size_t x = spec.find('x');
  auto bad = [&] {
    return status::error(errc::invalid_argument,
                         "'" + spec + "' is not ROWSxCOLS (e.g. 20x10, 1 to 10^8 values)",
                         "from=random:");
  };
  if (x == std::string::npos || x == 0 || x + 1 == spec.size())
    return bad();
  uint64_t rows = 0, cols = 0;
  try {
    size_t used = 0;
    rows = std::stoull(spec.substr(0, x), &used);
    if (used != x)
      return bad();
    cols = std::stoull(spec.substr(x + 1), &used);
    if (used != spec.size() - x - 1)
      return bad();
  } catch (const std::exception&) {
    return bad();
  }
  if (rows == 0 || cols == 0 || rows * cols > 100000000ull || cols > 100000)
    return bad();
  std::mt19937_64 gen(seed);
  std::vector<double> data(rows * cols);
  for (auto& v : data)
    v = static_cast<double>(gen() >> 11) * 0x1.0p-53;
  return frame_from_matrix(data.data(), rows, cols, out);
}

} // namespace

status load_feature_source(const std::string& source, uint64_t seed, feature_frame* out,
                           std::string* default_key) {
  default_key->clear();
  if (source.rfind("random:", 0) == 0) {
    *default_key = row_index_name;
    return load_random(source.substr(7), seed, out);
  }
  if (source.rfind("idx:", 0) == 0) {
    std::string rest = source.substr(4), prefix = "train";
    size_t colon = rest.rfind(':');
    if (colon != std::string::npos) {
      prefix = rest.substr(colon + 1);
      rest = rest.substr(0, colon);
    }
    if (rest.empty())
      return status::error(errc::invalid_argument, "idx: needs a directory", "from");
    *default_key = "id";
    return read_idx_pair(idx_file(rest, prefix, "images-idx3-ubyte"),
                         idx_file(rest, prefix, "labels-idx1-ubyte"), out);
  }
  if (ends_with(source, ".csv"))
    return read_csv(source, {}, out);
  if (ends_with(source, ".npy")) {
    feature_frame f;
    if (auto st = read_npy(source, {}, &f); !st)
      return st;
    if (auto st = add_row_index(&f, row_index_name); !st)
      return st;
    *default_key = row_index_name;
    *out = std::move(f);
    return status::ok();
  }
  return status::error(errc::invalid_argument,
                       "'" + source + "' is none of FILE.csv, FILE.npy, idx:DIR, random:ROWSxCOLS",
                       "from");
}

} // namespace lagom::storage
