// storage/training_dataset and dataset_export: seeded splits made once,
// per-epoch rank shards, and the CSV, NPY and TFRecord exports.
#include "storage/training_dataset.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "feature_checks.hpp"
#include "storage/dataset_export.hpp"
#include "storage/feature_csv.hpp"
#include "storage/feature_import.hpp"
#include "storage/feature_npy.hpp"
#include "temp_dir.hpp"

using namespace lagom;
using namespace lagom::storage;
using test::f64_col;
using test::i64_col;
using test::schema_of;

namespace {

// Group "m": index, col_0 = row number, col_1 = 2 * row; group "lab": index, y = row % 3.
void make_groups(feature_store& fs, int rows) {
  std::vector<double> m;
  for (int r = 0; r < rows; ++r) {
    m.push_back(r);
    m.push_back(2.0 * r);
  }
  feature_frame f;
  REQUIRE(frame_from_matrix(m.data(), rows, 2, &f));
  REQUIRE(fs.create("m", schema_of(f, {"index"}), f));
  feature_frame l;
  l.columns.push_back(i64_col("index", {}));
  l.columns.push_back(i64_col("y", {}));
  for (int r = 0; r < rows; ++r) {
    l.columns[0].i64.push_back(r);
    l.columns[1].i64.push_back(r % 3);
  }
  REQUIRE(fs.create("lab", schema_of(l, {"index"}), l));
}

std::vector<double> split_rows(feature_store& fs, const std::string& name, uint32_t version,
                               const std::string& split) {
  training_dataset_reader rd;
  REQUIRE(training_dataset_reader::open(fs, name, version, split, &rd));
  std::vector<uint64_t> all;
  for (uint64_t r = 0; r < rd.rows(); ++r)
    all.push_back(r);
  std::vector<float> x;
  std::vector<double> y;
  REQUIRE(rd.read_rows(all, &x, &y));
  std::vector<double> first;
  for (size_t i = 0; i < all.size(); ++i) {
    CHECK(x[i * 2 + 1] == 2 * x[i * 2]);
    CHECK(y[i] == static_cast<int>(x[i * 2]) % 3);
    first.push_back(x[i * 2]);
  }
  return first;
}

} // namespace

TEST_CASE("a training dataset is split by its seed, made once, and the same every read") {
  test::temp_dir dir;
  feature_store fs;
  REQUIRE(feature_store::open(dir / "shard", {}, &fs));
  make_groups(fs, 100);
  training_dataset_spec spec;
  spec.name = "td";
  spec.query.features = {"col_0", "col_1"};
  spec.label = "y";
  spec.seed = 42;
  training_dataset_info info;
  REQUIRE(create_training_dataset(fs, spec, &info));
  CHECK(info.version == 1);
  CHECK(info.dim == 2);
  CHECK(info.groups == std::map<std::string, uint32_t>{{"lab", 1}, {"m", 1}});
  REQUIRE(info.splits.size() == 3);
  CHECK(info.splits[0].rows == 80);
  CHECK(info.splits[1].rows == 10);
  CHECK(info.splits[2].rows == 10);
  auto train = split_rows(fs, "td", 1, "train");
  auto val = split_rows(fs, "td", 1, "validation");
  auto test = split_rows(fs, "td", 1, "test");
  std::set<double> all(train.begin(), train.end());
  all.insert(val.begin(), val.end());
  all.insert(test.begin(), test.end());
  CHECK(all.size() == 100);

  // A later write to a group does not change it; the same seed and versions
  // give the same split.
  std::vector<double> half;
  for (int r = 0; r < 50; ++r) {
    half.push_back(r);
    half.push_back(2.0 * r);
  }
  feature_frame fewer;
  REQUIRE(frame_from_matrix(half.data(), 50, 2, &fewer));
  REQUIRE(fs.write("m", write_mode::overwrite, fewer));
  CHECK(split_rows(fs, "td", 1, "train") == train);
  spec.query.versions = {{"m", 1}};
  REQUIRE(create_training_dataset(fs, spec, &info));
  CHECK(info.version == 2);
  CHECK(split_rows(fs, "td", 2, "train") == train);
  spec.query.versions = {};
  REQUIRE(create_training_dataset(fs, spec, &info));
  CHECK(info.splits[0].rows == 40);  // the newest m has 50 rows
  spec.query.versions = {{"m", 1}};
  spec.seed = 43;
  REQUIRE(create_training_dataset(fs, spec, &info));
  CHECK(split_rows(fs, "td", 4, "train") != train);
  std::vector<training_dataset_info> listed;
  REQUIRE(list_training_datasets(fs, &listed));
  CHECK(listed.size() == 4);
  CHECK(split_rows(fs, "td", 1, "train") == train);
}

TEST_CASE("rank r of N reads a disjoint share, reshuffled each epoch from the seed") {
  test::temp_dir dir;
  feature_store fs;
  REQUIRE(feature_store::open(dir / "shard", {}, &fs));
  make_groups(fs, 101);
  training_dataset_spec spec;
  spec.name = "td";
  spec.query.features = {"col_0", "col_1"};
  spec.label = "y";
  spec.splits = {{"train", 1.0}};
  REQUIRE(create_training_dataset(fs, spec));
  training_dataset_reader rd;
  REQUIRE(training_dataset_reader::open(fs, "td", 0, "train", &rd));
  auto r0 = rd.epoch_rows(0, 0, 2), r1 = rd.epoch_rows(0, 1, 2);
  CHECK(r0.size() == 50);
  CHECK(r1.size() == 50);
  std::set<uint64_t> both(r0.begin(), r0.end());
  both.insert(r1.begin(), r1.end());
  CHECK(both.size() == 100);
  CHECK(rd.epoch_rows(0, 0, 2) == r0);
  CHECK(rd.epoch_rows(1, 0, 2) != r0);
  CHECK(rd.epoch_rows(0, 2, 2).empty());
  std::vector<float> x;
  std::vector<double> y;
  CHECK(rd.read_rows({101}, &x, &y).code() == errc::invalid_argument);
}

TEST_CASE("bad training dataset specs are refused naming the field") {
  test::temp_dir dir;
  feature_store fs;
  REQUIRE(feature_store::open(dir / "shard", {}, &fs));
  make_groups(fs, 10);
  training_dataset_spec spec;
  spec.name = "td";
  spec.query.features = {"col_0"};
  spec.label = "nope";
  CHECK(create_training_dataset(fs, spec).to_string() == "nope: no such feature in any group");
  spec.label = "index";
  CHECK(create_training_dataset(fs, spec).to_string() ==
        "td.label: the label 'index' must be a non-key feature");
  spec.label = "y";
  spec.splits = {{"train", 0.5}, {"test", 0.4}};
  CHECK(create_training_dataset(fs, spec).to_string() ==
        "td.splits: split fractions sum to 0.900000, not 1");
  spec.splits = {{"train", 1}};
  spec.version = 3;
  REQUIRE(create_training_dataset(fs, spec));
  auto before = test::dump(fs);
  CHECK(create_training_dataset(fs, spec).to_string() ==
        "td version 3: version exists (the newest is 3)");
  CHECK(test::dump(fs) == before);
  training_dataset_reader rd;
  CHECK(training_dataset_reader::open(fs, "td", 0, "validation", &rd).to_string() ==
        "td.validation: no such split");
}

TEST_CASE("CRC-32C and tf.train.Example bytes are those TensorFlow reads") {
  CHECK(crc32c("123456789") == 0xE3069283u);
  CHECK(crc32c("") == 0u);
  training_dataset_info info;
  info.features = {{"a", feature_type::float32, 1}};
  info.label = {"y", feature_type::int64, 1};
  float one = 1.0f;
  std::string expected = std::string("\x0a\x1b", 2) +                  // Example.features
                         std::string("\x0a\x0d\x0a\x01" "a" "\x12\x08" // entry a: Feature
                                     "\x12\x06\x0a\x04\x00\x00\x80\x3f", 15) +
                         std::string("\x0a\x0a\x0a\x01" "y" "\x12\x05" // entry y: Feature
                                     "\x1a\x03\x0a\x01\x03", 12);
  CHECK(encode_example(info, &one, 3) == expected);
  std::string framed = tfrecord_frame(expected);
  REQUIRE(framed.size() == 8 + 4 + expected.size() + 4);
  uint64_t len;
  std::memcpy(&len, framed.data(), 8);
  CHECK(len == expected.size());
  uint32_t c;
  std::memcpy(&c, framed.data() + 8, 4);
  CHECK(c == masked_crc32c(framed.substr(0, 8)));
  std::memcpy(&c, framed.data() + 12 + expected.size(), 4);
  uint32_t raw = crc32c(expected);
  CHECK(c == ((raw >> 15) | (raw << 17)) + 0xa282ead8u);
}

TEST_CASE("a split exports to CSV, NPY and TFRecord with the same rows") {
  test::temp_dir dir;
  feature_store fs;
  REQUIRE(feature_store::open(dir / "shard", {}, &fs));
  make_groups(fs, 30);
  training_dataset_spec spec;
  spec.name = "td";
  spec.query.features = {"col_0", "col_1"};
  spec.label = "y";
  REQUIRE(create_training_dataset(fs, spec));
  auto train = split_rows(fs, "td", 1, "train");
  std::vector<std::string> written;

  REQUIRE(export_training_dataset(fs, "td", 0, "train", export_format::csv, dir / "t.csv",
                                  &written));
  feature_frame csv;
  REQUIRE(read_csv(dir / "t.csv", {}, &csv));
  REQUIRE(csv.rows() == train.size());
  CHECK(csv.columns[0].spec.name == "col_0");
  CHECK(csv.columns[2].spec.name == "y");
  for (size_t i = 0; i < train.size(); ++i)
    CHECK(csv.columns[0].i64[i] == static_cast<int64_t>(train[i]));

  REQUIRE(export_training_dataset(fs, "td", 0, "train", export_format::npy, dir / "t",
                                  &written));
  REQUIRE(written.size() == 2);
  feature_frame xs, ys;
  REQUIRE(read_npy(written[0], {}, &xs));
  REQUIRE(read_npy(written[1], {}, &ys));
  REQUIRE(xs.columns.size() == 2);
  for (size_t i = 0; i < train.size(); ++i) {
    CHECK(xs.columns[0].f32[i] == static_cast<float>(train[i]));
    CHECK(ys.columns[0].i64[i] == static_cast<int64_t>(train[i]) % 3);
  }

  REQUIRE(export_training_dataset(fs, "td", 0, "train", export_format::tfrecord,
                                  dir / "t.tfrecord", &written));
  std::ifstream in(dir / "t.tfrecord", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  size_t at = 0, records = 0;
  training_dataset_info info;
  REQUIRE(describe_training_dataset(fs, "td", 0, &info));
  while (at < bytes.size()) {
    uint64_t len;
    std::memcpy(&len, bytes.data() + at, 8);
    REQUIRE(at + 16 + len <= bytes.size());
    std::string_view rec(bytes.data() + at + 12, len);
    uint32_t c;
    std::memcpy(&c, bytes.data() + at + 12 + len, 4);
    CHECK(c == masked_crc32c(rec));
    float row[2] = {static_cast<float>(train[records]), static_cast<float>(2 * train[records])};
    CHECK(rec == encode_example(info, row, static_cast<int>(train[records]) % 3));
    at += 16 + len;
    ++records;
  }
  CHECK(records == train.size());
}

TEST_CASE("shuffled batches over many chunks read the same bytes as rows read one by one") {
  // 300 features per row: about 870 rows per 1 MiB chunk, so 3000 rows are 4 chunks.
  test::temp_dir dir;
  feature_store fs;
  REQUIRE(feature_store::open(dir / "shard", {}, &fs));
  const int rows = 3000, width = 300;
  std::vector<double> m(static_cast<size_t>(rows) * width);
  for (size_t i = 0; i < m.size(); ++i)
    m[i] = i % width == 0 ? static_cast<double>(i / width) : static_cast<double>(i % 9973) * 0.25;
  feature_frame f;
  REQUIRE(frame_from_matrix(m.data(), rows, width, &f));
  feature_column y = i64_col("y", {});
  for (int r = 0; r < rows; ++r)
    y.i64.push_back(r * 7 % 1000);
  f.columns.push_back(y);
  REQUIRE(fs.create("wide", schema_of(f, {"index"}), f));
  training_dataset_spec spec;
  spec.name = "wide_td";
  for (int c = 0; c < width; ++c)
    spec.query.features.push_back("col_" + std::to_string(c));
  spec.label = "y";
  spec.splits = {{"train", 1.0}};
  spec.seed = 7;
  spec.chunk_bytes = 1 << 20;
  training_dataset_info info;
  REQUIRE(create_training_dataset(fs, spec, &info));
  REQUIRE(info.splits[0].chunks >= 3);
  training_dataset_reader rd;
  REQUIRE(training_dataset_reader::open(fs, "wide_td", 0, "train", &rd));
  REQUIRE(rd.dim() == static_cast<uint32_t>(width));
  std::vector<float> one_x, x;
  std::vector<double> one_y, ys;
  for (uint32_t world : {1u, 2u}) {
    for (uint32_t rank = 0; rank < world; ++rank) {
      auto order = rd.epoch_rows(3, rank, world);
      for (size_t b = 0; b < order.size(); b += 256) {
        std::vector<uint64_t> batch(order.begin() + b,
                                    order.begin() + std::min(order.size(), b + 256));
        REQUIRE(rd.read_rows(batch, &x, &ys));
        for (size_t i = 0; i < batch.size(); ++i) {
          REQUIRE(rd.read_rows({batch[i]}, &one_x, &one_y));
          CHECK(std::equal(one_x.begin(), one_x.end(), x.begin() + i * width));
          CHECK(one_y[0] == ys[i]);
        }
      }
    }
  }
  // The rows are the group's: col_0 is the group's row number, y its label.
  std::vector<uint64_t> all(rd.rows());
  for (uint64_t r = 0; r < rd.rows(); ++r)
    all[r] = r;
  REQUIRE(rd.read_rows(all, &x, &ys));
  std::set<int> seen;
  for (uint64_t r = 0; r < rd.rows(); ++r) {
    int src = static_cast<int>(x[r * width]);
    seen.insert(src);
    CHECK(ys[r] == static_cast<double>(src * 7 % 1000));
    CHECK(x[r * width + 1] == static_cast<float>((src * width + 1) % 9973 * 0.25));
  }
  CHECK(seen.size() == static_cast<size_t>(rows));
}
