// data::dataset: labelled images in memory, and the (Fashion-)MNIST loader.
//
// Layout: images are float32 NCHW, [n][channels][height][width], row-major,
// pixel / 255 so every value is in [0, 1]; labels are int32, [n], each in
// [0, classes).
//
// Files (Debian's dataset-fashion-mnist puts them in
// /usr/share/datasets/fashion-mnist), one images/labels pair per split:
//
//   train  train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz  (60000)
//   test   t10k-images-idx3-ubyte.gz   t10k-labels-idx1-ubyte.gz   (10000)
//
// images: IDX magic 0x00000803, sizes n, 28, 28; labels: 0x00000801, size n.
// Each name may also be present without ".gz" (already gunzipped). MNIST uses
// the same names and layout, so the loader reads it as well.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/idx.hpp"
#include "lagom/status.hpp"

namespace lagom::data {

class dataset_cache;

struct dataset {
  uint32_t n = 0;
  uint32_t channels = 0;
  uint32_t height = 0;
  uint32_t width = 0;
  uint32_t classes = 0;
  std::vector<float> images;    // [n][channels][height][width], in [0, 1]
  std::vector<int32_t> labels;  // [n], in [0, classes)

  size_t sample_floats() const { return size_t{channels} * height * width; }
  const float* image(size_t i) const { return images.data() + i * sample_floats(); }
};

enum class split { train, test };

/// The file stems of one split, e.g. "t10k-images-idx3-ubyte".
std::string images_stem(split s);
std::string labels_stem(split s);

/// Loads one split of Fashion-MNIST from `dir` into `out` (N, 1, 28, 28).
/// Fails, naming the file, when a file is missing or unreadable (see
/// read_idx), when images are not ubyte x 3 dims ("bad magic 0x00000801
/// (expected 0x00000803 for images)") or not 28x28, when labels are not
/// ubyte x 1 dim, when the counts differ, or when a label is >= 10.
/// On failure `out` is left empty.
status load_fashion_mnist(const std::string& dir, split which, dataset& out,
                          const idx_limits& limits = {});

/// load_fashion_mnist through `cache` (data/dataset_cache.hpp), cut to the
/// first `first_n` samples (0 or more than there are: all). The key is the
/// two files' paths, sizes and modification times and the cut, so replaced
/// files are read again. Errors are load_fashion_mnist's; `out` is shared
/// and immutable.
status load_fashion_mnist_cached(dataset_cache& cache, const std::string& dir, split which,
                                 uint32_t first_n, std::shared_ptr<const dataset>& out);

/// Copies samples `indices` of `ds` into `images` ([k][c][h][w]) and `labels`
/// ([k]), resizing both. The caller guarantees every index is < ds.n.
void gather(const dataset& ds, const std::vector<uint32_t>& indices,
            std::vector<float>& images, std::vector<int32_t>& labels);

} // namespace lagom::data
