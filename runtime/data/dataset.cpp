// data::load_fashion_mnist: two IDX files (layout in dataset.hpp) checked
// against each other and turned into float NCHW images and int32 labels.
#include "data/dataset.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "data/dataset_cache.hpp"

namespace lagom::data {

namespace {

constexpr uint32_t side = 28;
constexpr uint32_t num_classes = 10;

// `dir`/`stem`.gz, or `dir`/`stem` when only the gunzipped file is there.
std::string pick_file(const std::string& dir, const std::string& stem) {
  std::filesystem::path gz = std::filesystem::path(dir) / (stem + ".gz");
  std::filesystem::path plain = std::filesystem::path(dir) / stem;
  std::error_code ec;
  if (!std::filesystem::exists(gz, ec) && std::filesystem::exists(plain, ec))
    return plain.string();
  return gz.string();
}

// "SIZE@MTIME" of `path`, or "missing": what tells a replaced file apart.
std::string file_identity(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec)
    return "missing";
  auto mtime = std::filesystem::last_write_time(path, ec);
  if (ec)
    return "missing";
  return std::to_string(size) + "@" + std::to_string(mtime.time_since_epoch().count());
}

// Keeps the first `n` samples of `ds` (all when n is 0 or not below ds.n),
// giving back the memory of the rest.
void keep_first(dataset& ds, uint32_t n) {
  if (n == 0 || n >= ds.n)
    return;
  ds.n = n;
  ds.images.resize(size_t{n} * ds.sample_floats());
  ds.images.shrink_to_fit();
  ds.labels.resize(n);
  ds.labels.shrink_to_fit();
}

uint32_t magic_of(const idx_array& a) {
  return (uint32_t{static_cast<uint8_t>(a.type)} << 8) | static_cast<uint32_t>(a.dims.size());
}

status expect_magic(const idx_array& a, uint32_t expected, const char* what,
                    const std::string& path) {
  if (magic_of(a) == expected)
    return status::ok();
  return status::error(errc::invalid_argument,
                       "bad magic " + magic_hex(magic_of(a)) + " (expected " +
                           magic_hex(expected) + " for " + what + ")",
                       path);
}

} // namespace

std::string images_stem(split s) {
  return s == split::train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte";
}

std::string labels_stem(split s) {
  return s == split::train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte";
}

status load_fashion_mnist(const std::string& dir, split which, dataset& out,
                          const idx_limits& limits) {
  out = dataset{};
  const std::string images_path = pick_file(dir, images_stem(which));
  const std::string labels_path = pick_file(dir, labels_stem(which));

  idx_array images;
  if (status s = read_idx(images_path, images, limits); !s)
    return s;
  if (status s = expect_magic(images, 0x00000803, "images", images_path); !s)
    return s;
  if (images.dims[1] != side || images.dims[2] != side)
    return status::error(errc::invalid_argument,
                         "images are " + std::to_string(images.dims[1]) + "x" +
                             std::to_string(images.dims[2]) + " (expected 28x28)",
                         images_path);

  idx_array labels;
  if (status s = read_idx(labels_path, labels, limits); !s)
    return s;
  if (status s = expect_magic(labels, 0x00000801, "labels", labels_path); !s)
    return s;
  if (labels.dims[0] != images.dims[0])
    return status::error(errc::invalid_argument,
                         std::to_string(labels.dims[0]) + " labels but " +
                             std::to_string(images.dims[0]) + " images in " + images_path,
                         labels_path);
  const uint8_t* raw_labels = labels.u8();
  for (uint32_t i = 0; i < labels.dims[0]; ++i)
    if (raw_labels[i] >= num_classes)
      return status::error(errc::invalid_argument,
                           "label " + std::to_string(raw_labels[i]) + " at index " +
                               std::to_string(i) + " (byte " + std::to_string(8 + i) +
                               ") is not in 0..9",
                           labels_path);

  dataset ds;
  ds.n = images.dims[0];
  ds.channels = 1;
  ds.height = side;
  ds.width = side;
  ds.classes = num_classes;
  ds.images.resize(images.bytes.size());
  const uint8_t* px = images.u8();
  for (size_t i = 0; i < ds.images.size(); ++i)
    ds.images[i] = static_cast<float>(px[i]) / 255.0f;
  ds.labels.assign(raw_labels, raw_labels + ds.n);
  out = std::move(ds);
  return status::ok();
}

status load_fashion_mnist_cached(dataset_cache& cache, const std::string& dir, split which,
                                 uint32_t first_n, std::shared_ptr<const dataset>& out) {
  const std::string images = pick_file(dir, images_stem(which));
  const std::string labels = pick_file(dir, labels_stem(which));
  std::string key = "fashion-mnist " + images + " " + file_identity(images) + " " + labels + " "
                    + file_identity(labels) + " first " + std::to_string(first_n);
  return cache.get(key, [&](dataset& ds) {
    if (status s = load_fashion_mnist(dir, which, ds); !s)
      return s;
    keep_first(ds, first_n);
    return status::ok();
  }, out);
}

void gather(const dataset& ds, const std::vector<uint32_t>& indices,
            std::vector<float>& images, std::vector<int32_t>& labels) {
  const size_t per = ds.sample_floats();
  images.resize(indices.size() * per);
  labels.resize(indices.size());
  for (size_t k = 0; k < indices.size(); ++k) {
    const float* src = ds.image(indices[k]);
    std::copy(src, src + per, images.begin() + static_cast<std::ptrdiff_t>(k * per));
    labels[k] = ds.labels[indices[k]];
  }
}

} // namespace lagom::data
