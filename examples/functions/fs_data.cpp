// fs_data: data=fs:NAME[:VERSION] for the Fashion-MNIST models, read through
// the run's train_services and kept in the process's data::dataset_cache.
#include "fs_data.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace lagom::examples {

namespace {

constexpr uint32_t image_values = 28 * 28;
constexpr uint32_t classes = 10;

status bad_data(const std::string& data, const std::string& why) {
  return status::error(errc::invalid_argument, why, "data=" + data);
}

// Name and version out of "fs:NAME[:VERSION]".
status parse(const std::string& data, std::string* name, uint32_t* version) {
  std::string rest = data.substr(3);
  *version = 0;
  if (auto colon = rest.find(':'); colon != std::string::npos) {
    std::string v = rest.substr(colon + 1);
    rest.resize(colon);
    if (v.empty() || v.size() > 10 ||
        !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c) != 0; }))
      return bad_data(data, "version '" + v + "' is not a number 1 to 4294967295");
    uint64_t n = std::stoull(v);
    if (n == 0 || n > UINT32_MAX)
      return bad_data(data, "version '" + v + "' is not a number 1 to 4294967295");
    *version = static_cast<uint32_t>(n);
  }
  if (rest.empty())
    return bad_data(data, "no training dataset named: expected fs:NAME[:VERSION]");
  for (unsigned char c : rest)
    if (!(std::isalnum(c) != 0 || c == '_') || c >= 0x80)
      return bad_data(data, "training dataset name '" + rest +
                              "' may hold only A-Z, a-z, 0-9 and _");
  *name = rest;
  return status::ok();
}

// Rows read as a data::dataset of 28x28 images (pixel / 255) and classes.
status to_dataset(const std::string& name, const training_rows& rows, data::dataset& out) {
  const size_t n = rows.labels.size();
  out.n = static_cast<uint32_t>(n);
  out.channels = 1, out.height = 28, out.width = 28, out.classes = classes;
  out.images.resize(n * image_values);
  for (size_t i = 0; i < out.images.size(); ++i)
    out.images[i] = rows.features[i] / 255.0f; // the IDX loader's: float(px) / 255
  out.labels.resize(n);
  for (size_t i = 0; i < n; ++i) {
    double l = rows.labels[i];
    if (!(l >= 0 && l < classes) || l != std::floor(l))
      return status::error(errc::invalid_argument,
                           "label " + std::to_string(l) + " of row " +
                             std::to_string(rows.ids[i]) + " is not a class 0 to 9",
                           "data=fs:" + name);
    out.labels[i] = static_cast<int32_t>(l);
  }
  return status::ok();
}

std::string key_of(const fs_dataset& ds, const std::string& split) {
  return "fs " + ds.name + " v" + std::to_string(ds.shape.version) + " made " +
         std::to_string(ds.shape.created_ms) + " split " + split;
}

// Reads `req` through the cache under `key`.
status cached_read(train_context& ctx, data::dataset_cache& cache, const std::string& key,
                   const training_rows_request& req,
                   std::shared_ptr<const data::dataset>& out) {
  return cache.get(
    key,
    [&](data::dataset& d) {
      training_rows rows;
      if (auto st = ctx.read_training_rows(req, &rows); !st)
        return st;
      if (rows.dim != image_values)
        return status::error(errc::invalid_argument,
                             "rows of " + std::to_string(rows.dim) + " values",
                             "data=fs:" + req.name);
      return to_dataset(req.name, rows, d);
    },
    out);
}

} // namespace

bool is_fs_data(const std::string& data) { return data.rfind("fs:", 0) == 0; }

status open_fs_dataset(train_context& ctx, const std::string& data, fs_dataset* out) {
  fs_dataset ds;
  uint32_t version = 0;
  if (auto st = parse(data, &ds.name, &version); !st)
    return st;
  if (auto st = ctx.training_dataset(ds.name, version, &ds.shape); !st)
    return status::error(st.code(), st.message(),
                         "data=" + data + (st.where().empty() ? "" : " (" + st.where() + ")"));
  const std::string what = "training dataset '" + ds.name + "' version " +
                           std::to_string(ds.shape.version);
  if (ds.shape.dim != image_values)
    return bad_data(data, what + " has " + std::to_string(ds.shape.dim) +
                            " feature values per row; the Fashion-MNIST models need 784 (a "
                            "28x28 image, e.g. a group created from=idx:...)");
  if (!ds.shape.integer_labels)
    return bad_data(data, what + " has a float label; the models need int64 classes 0 to 9");
  bool train = false;
  for (const auto& [split, rows] : ds.shape.splits) {
    if (split == "train")
      train = true, ds.train_rows = rows;
    if (split == "test" || (split == "validation" && ds.eval_split.empty()))
      ds.eval_split = split;
  }
  if (!train || ds.eval_split.empty())
    return bad_data(data, what + " needs a split named train and one named test (or validation)");
  if (ds.train_rows == 0)
    return bad_data(data, what + " has an empty train split");
  *out = std::move(ds);
  return status::ok();
}

uint64_t fs_rows_per_rank(const fs_dataset& ds, uint32_t world, uint64_t limit) {
  uint64_t rows = ds.train_rows / std::max<uint32_t>(world, 1);
  if (limit > 0)
    rows = std::min<uint64_t>(rows, std::max<uint64_t>(limit / std::max<uint32_t>(world, 1), 1));
  return rows;
}

status fs_train_epoch(train_context& ctx, data::dataset_cache& cache, const fs_dataset& ds,
                      uint64_t epoch, uint64_t limit, std::shared_ptr<const data::dataset>& out) {
  training_rows_request req;
  req.name = ds.name;
  req.version = ds.shape.version;
  req.split = "train";
  req.epoch = epoch;
  req.rank = ctx.rank();
  req.world = std::max<uint32_t>(ctx.world_size(), 1);
  req.count = fs_rows_per_rank(ds, req.world, limit);
  if (req.count == 0)
    return status::error(errc::invalid_argument,
                         "the train split's " + std::to_string(ds.train_rows) +
                           " rows leave none for each of " + std::to_string(req.world) + " ranks",
                         "data=fs:" + ds.name);
  std::string key = key_of(ds, "train") + " epoch " + std::to_string(epoch) + " rank " +
                    std::to_string(req.rank) + "/" + std::to_string(req.world) + " rows " +
                    std::to_string(req.count);
  return cached_read(ctx, cache, key, req, out);
}

status fs_eval_split(train_context& ctx, data::dataset_cache& cache, const fs_dataset& ds,
                     std::shared_ptr<const data::dataset>& out) {
  training_rows_request req;
  req.name = ds.name;
  req.version = ds.shape.version;
  req.split = ds.eval_split;
  req.world = 0; // stored order, all of it
  return cached_read(ctx, cache, key_of(ds, ds.eval_split), req, out);
}

} // namespace lagom::examples
