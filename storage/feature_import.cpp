#include "storage/feature_import.hpp"

#include "data/idx.hpp"

namespace lagom::storage {

status add_row_index(feature_frame* f, const std::string& name) {
  if (f->find(name) != nullptr)
    return status::error(errc::invalid_argument,
                         "the frame already has a column '" + name + "'", name);
  feature_column idx;
  idx.spec = {name, feature_type::int64, 1};
  idx.i64.resize(f->rows());
  for (size_t r = 0; r < idx.i64.size(); ++r)
    idx.i64[r] = static_cast<int64_t>(r);
  f->columns.insert(f->columns.begin(), std::move(idx));
  return status::ok();
}

status frame_from_matrix(const double* data, size_t rows, size_t cols, feature_frame* out) {
  if (cols == 0 || cols + 1 > max_feature_columns)
    return status::error(errc::invalid_argument,
                         std::to_string(cols) + " columns; 1 to " +
                           std::to_string(max_feature_columns - 1),
                         "matrix");
  feature_frame f;
  for (size_t c = 0; c < cols; ++c) {
    feature_column col;
    col.spec = {"col_" + std::to_string(c), feature_type::float64, 1};
    col.f64.resize(rows);
    for (size_t r = 0; r < rows; ++r)
      col.f64[r] = data[r * cols + c];
    f.columns.push_back(std::move(col));
  }
  add_row_index(&f, "index");
  *out = std::move(f);
  return status::ok();
}

status read_idx_pair(const std::string& images_path, const std::string& labels_path,
                     feature_frame* out) {
  data::idx_array images, labels;
  if (auto st = data::read_idx(images_path, images); !st)
    return st;
  if (auto st = data::read_idx(labels_path, labels); !st)
    return st;
  if (images.dims.size() < 2)
    return status::error(errc::invalid_argument,
                         "images must have 2 or more dimensions (N x ...); this has " +
                           std::to_string(images.dims.size()),
                         images_path);
  if (labels.dims.size() != 1 || labels.type == data::idx_type::f32 ||
      labels.type == data::idx_type::f64)
    return status::error(errc::invalid_argument, "labels must be 1-D integers", labels_path);
  uint64_t n = images.dims[0];
  if (labels.dims[0] != n)
    return status::error(errc::invalid_argument,
                         std::to_string(labels.dims[0]) + " labels for " + std::to_string(n) +
                           " images in " + images_path,
                         labels_path);
  uint64_t width = n == 0 ? 0 : images.count() / n;
  if (width == 0 || width > max_vector_width)
    return status::error(errc::invalid_argument,
                         "an image of " + std::to_string(width) + " elements; 1 to " +
                           std::to_string(max_vector_width),
                         images_path);
  feature_frame f;
  feature_column image;
  image.spec = {"image", feature_type::u8_vector, static_cast<uint32_t>(width)};
  if (images.type == data::idx_type::u8) {
    image.u8 = std::move(images.bytes);
  } else {
    image.spec.type = feature_type::f32_vector;
    image.f32.resize(images.count());
    for (uint64_t i = 0; i < images.count(); ++i)
      image.f32[i] = static_cast<float>(images.value(i));
  }
  feature_column label;
  label.spec = {"label", feature_type::int64, 1};
  label.i64.resize(n);
  for (uint64_t i = 0; i < n; ++i)
    label.i64[i] = static_cast<int64_t>(labels.value(i));
  f.columns.push_back(std::move(image));
  f.columns.push_back(std::move(label));
  add_row_index(&f, "id");
  *out = std::move(f);
  return status::ok();
}

} // namespace lagom::storage
