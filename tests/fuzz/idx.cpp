// Fuzz target: the IDX reader (runtime/data/idx) and the IDX pair importer
// (storage/feature_import read_idx_pair). Both read paths, so the input is
// written to files in a per-process temporary directory.
//
// Input: byte 0: bit 0 set reads a pair, bit 1 names the file(s) ".gz"
// (then it must hold gzip data). For a pair, bytes 1-2 (little-endian, modulo
// the rest's length) split the rest into the images and the labels file.
// Small limits (16 MiB, 4 dims) keep a huge claimed size from being allowed.
// Invariants checked: on success the array holds count() * element size bytes
// and every element reads; on failure it is left empty and the status is
// invalid_argument or io_error naming the path; a pair's frame has a sound
// shape with columns id, image, label.
#include <string>
#include <string_view>

#include "data/idx.hpp"
#include "fuzz_target.hpp"
#include "storage/feature_import.hpp"
#include "temp_file.hpp"

using namespace lagom;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1)
    return 0;
  const bool pair = (data[0] & 1) != 0;
  const std::string ext = (data[0] & 2) ? ".gz" : "";
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);

  if (!pair) {
    const std::string path = fuzz::scratch().write("in-idx" + ext, rest);
    data::idx_limits lim;
    lim.max_bytes = uint64_t{16} << 20;
    lim.max_dims = 4;
    data::idx_array arr;
    status st = data::read_idx(path, arr, lim);
    if (!st.is_ok()) {
      fuzz::fuzz_check(st.code() == errc::invalid_argument || st.code() == errc::io_error,
                       "an IDX error that is neither invalid_argument nor io_error");
      fuzz::fuzz_check(st.where() == path, "an IDX error that does not name the file");
      fuzz::fuzz_check(arr.dims.empty() && arr.bytes.empty(), "read_idx left data behind on error");
      return 0;
    }
    fuzz::fuzz_check(arr.bytes.size() == arr.count() * data::element_size(arr.type),
                     "an IDX array's bytes do not match its dims");
    double sum = 0;
    for (uint64_t i = 0; i < arr.count(); ++i)
      sum += arr.value(i);
    (void)sum;
    return 0;
  }

  if (rest.size() < 2)
    return 0;
  size_t split = static_cast<uint8_t>(rest[0]) | (static_cast<size_t>(static_cast<uint8_t>(rest[1])) << 8);
  rest.remove_prefix(2);
  split = rest.empty() ? 0 : split % (rest.size() + 1);
  const std::string images = fuzz::scratch().write("images-idx" + ext, rest.substr(0, split));
  const std::string labels = fuzz::scratch().write("labels-idx" + ext, rest.substr(split));
  storage::feature_frame frame;
  status st = storage::read_idx_pair(images, labels, &frame);
  if (!st.is_ok()) {
    fuzz::fuzz_check(st.code() == errc::invalid_argument || st.code() == errc::io_error,
                     "an IDX pair error that is neither invalid_argument nor io_error");
    fuzz::fuzz_check(st.where() == images || st.where() == labels, "an IDX pair error that names no file");
    return 0;
  }
  fuzz::fuzz_check(frame.check_shape().is_ok(), "an IDX pair frame has a bad shape");
  fuzz::fuzz_check(frame.columns.size() == 3 && frame.columns[0].spec.name == "id" &&
                     frame.columns[1].spec.name == "image" && frame.columns[2].spec.name == "label",
                   "an IDX pair frame's columns are not id, image, label");
  return 0;
}
