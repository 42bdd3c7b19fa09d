// Fuzz target: the .npy importer (storage/feature_npy), parse_npy over
// arbitrary bytes. A small max_bytes (64 MiB) keeps a header that claims a
// huge array from passing for a large but allowed one.
// Invariants checked: an error is invalid_argument naming fuzz.npy; a frame
// that parses has a sound shape and columns col_0 .. col_{C-1}, each as many
// rows as the header says, and the data fill the file exactly.
#include <string>
#include <string_view>

#include "fuzz_target.hpp"
#include "storage/feature_npy.hpp"

using namespace lagom;
using namespace lagom::storage;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  npy_options opts;
  opts.max_bytes = uint64_t{64} << 20;
  feature_frame frame;
  status st = parse_npy(bytes, "fuzz.npy", opts, &frame);
  if (!st.is_ok()) {
    fuzz::fuzz_check(st.code() == errc::invalid_argument, "an npy error that is not invalid_argument");
    fuzz::fuzz_check(st.where().find("fuzz.npy") == 0, "an npy error that does not name the file");
    fuzz::fuzz_check(frame.columns.empty(), "parse_npy changed its output on error");
    return 0;
  }
  fuzz::fuzz_check(frame.check_shape().is_ok(), "a parsed frame has a bad shape");
  for (size_t c = 0; c < frame.columns.size(); ++c)
    fuzz::fuzz_check(frame.columns[c].spec.name == "col_" + std::to_string(c), "a column misnamed");
  return 0;
}
