// Fuzz target: the CSV importer (storage/feature_csv).
//
// Input: byte 0 picks the delimiter (, ; tab |) and whether column "b" is
// declared float32; the rest is the file's text, parsed with parse_csv.
// Invariants checked: an error is invalid_argument naming fuzz.csv; a frame
// that parses has a sound shape, at least one row and a column per header
// field; written back with write_csv and read again with its column types
// declared, it gives the same names, types, nulls and values.
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_target.hpp"
#include "storage/feature_csv.hpp"
#include "temp_file.hpp"

using namespace lagom;
using namespace lagom::storage;

namespace {

bool same_number(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

void check_same(const feature_frame& a, const feature_frame& b) {
  fuzz::fuzz_check(a.columns.size() == b.columns.size(), "round trip: column count differs");
  fuzz::fuzz_check(a.rows() == b.rows(), "round trip: row count differs");
  for (size_t c = 0; c < a.columns.size(); ++c) {
    const auto& x = a.columns[c];
    const auto& y = b.columns[c];
    fuzz::fuzz_check(x.spec == y.spec, "round trip: a column's name, type or width differs");
    for (size_t r = 0; r < a.rows(); ++r) {
      fuzz::fuzz_check(x.is_null(r) == y.is_null(r), "round trip: a null differs");
      if (x.is_null(r))
        continue;
      if (x.spec.type == feature_type::string)
        fuzz::fuzz_check(x.str[r] == y.str[r], "round trip: a string differs");
      else
        fuzz::fuzz_check(same_number(x.number(r), y.number(r)), "round trip: a number differs");
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  static const char delimiters[] = {',', ';', '\t', '|'};
  csv_options opts;
  opts.delimiter = delimiters[data[0] & 3];
  if (data[0] & 4)
    opts.types["b"] = feature_type::float32;
  opts.max_field_bytes = 4096;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  feature_frame frame;
  status st = parse_csv(text, "fuzz.csv", opts, &frame);
  if (!st.is_ok()) {
    fuzz::fuzz_check(st.code() == errc::invalid_argument, "a CSV error that is not invalid_argument");
    fuzz::fuzz_check(st.where().find("fuzz.csv") == 0, "a CSV error that does not name the file");
    fuzz::fuzz_check(frame.columns.empty(), "parse_csv changed its output on error");
    return 0;
  }
  fuzz::fuzz_check(frame.check_shape().is_ok(), "a parsed frame has a bad shape");
  fuzz::fuzz_check(frame.rows() >= 1, "a parsed frame has no rows");

  const std::string path = fuzz::scratch().path("roundtrip.csv");
  status wst = write_csv(path, frame, opts.delimiter);
  fuzz::fuzz_check(wst.is_ok(), "write_csv failed on a frame parse_csv made");
  csv_options back_opts;
  back_opts.delimiter = opts.delimiter;
  for (const auto& c : frame.columns)
    back_opts.types[c.spec.name] = c.spec.type;
  feature_frame back;
  status rst = read_csv(path, back_opts, &back);
  if (!rst.is_ok())
    std::fprintf(stderr, "read back: %s\n", rst.to_string().c_str());
  fuzz::fuzz_check(rst.is_ok(), "a frame written by write_csv does not read back");
  check_same(frame, back);
  return 0;
}
