// data::read_idx and load_fashion_mnist: IDX files written here byte by byte
// (plain and gzip), every bad file naming itself, load_fashion_mnist_cached,
// and the real Fashion-MNIST when it is installed.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/dataset_cache.hpp"
#include "data/idx.hpp"

using namespace lagom;
using namespace lagom::data;
namespace fs = std::filesystem;

namespace {

using bytes = std::vector<uint8_t>;

// A fresh directory under /tmp, removed at scope exit.
struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "lagom_idx_XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~temp_dir() { std::error_code ec; fs::remove_all(path, ec); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

void put_be32(bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8)
    b.push_back(static_cast<uint8_t>(v >> s));
}

// An IDX file: magic 0 0 type ndims, big-endian sizes, then `payload` as given.
bytes idx_file(uint8_t type, const std::vector<uint32_t>& dims, const bytes& payload) {
  bytes b{0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    put_be32(b, d);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

void write_plain(const std::string& path, const bytes& b) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()),
                                              static_cast<std::streamsize>(b.size()));
}

void write_gz(const std::string& path, const bytes& b) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, b.data(), static_cast<unsigned>(b.size())) == static_cast<int>(b.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

bytes read_plain(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return bytes(std::istreambuf_iterator<char>(in), {});
}

// read_idx must fail with `code`, name `path`, and say `text`.
void expect_error(const std::string& path, errc code, const std::string& text,
                  const idx_limits& limits = {}) {
  idx_array a;
  status s = read_idx(path, a, limits);
  INFO(s.to_string());
  CHECK(s.code() == code);
  CHECK(s.where() == path);
  CHECK(s.message().find(text) != std::string::npos);
  CHECK(a.bytes.empty());
}

bytes iota_bytes(size_t n, uint8_t start = 0) {
  bytes b(n);
  for (size_t i = 0; i < n; ++i)
    b[i] = static_cast<uint8_t>(start + i);
  return b;
}

} // namespace

TEST_CASE("read_idx reads ubyte from gzip and plain files alike", "[idx]") {
  temp_dir dir;
  bytes file = idx_file(0x08, {2, 3}, {0, 1, 2, 253, 254, 255});
  write_gz(dir / "a.gz", file);
  write_plain(dir / "a.idx", file);
  for (std::string name : {"a.gz", "a.idx"}) {
    idx_array a;
    REQUIRE(read_idx(dir / name, a).is_ok());
    CHECK(a.type == idx_type::u8);
    CHECK(a.dims == std::vector<uint32_t>{2, 3});
    CHECK(a.count() == 6);
    REQUIRE(a.u8() != nullptr);
    CHECK(a.u8()[5] == 255);
    CHECK(a.value(3) == 253.0);
  }
}

TEST_CASE("read_idx turns big-endian int, short, float and double into values", "[idx]") {
  temp_dir dir;
  // int32 -2, 258; int16 -1; float 1.5f = 0x3FC00000; double -0.25 = 0xBFD0...
  write_gz(dir / "i.gz", idx_file(0x0C, {2}, {0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 1, 2}));
  write_plain(dir / "s.idx", idx_file(0x0B, {1}, {0xFF, 0xFF}));
  write_plain(dir / "f.idx", idx_file(0x0D, {1, 1}, {0x3F, 0xC0, 0, 0}));
  write_gz(dir / "d.gz", idx_file(0x0E, {1}, {0xBF, 0xD0, 0, 0, 0, 0, 0, 0}));
  write_plain(dir / "b.idx", idx_file(0x09, {1}, {0x80}));
  idx_array a;
  REQUIRE(read_idx(dir / "i.gz", a).is_ok());
  CHECK(a.type == idx_type::i32);
  CHECK(a.u8() == nullptr);
  CHECK(a.value(0) == -2.0);
  CHECK(a.value(1) == 258.0);
  REQUIRE(read_idx(dir / "s.idx", a).is_ok());
  CHECK(a.value(0) == -1.0);
  REQUIRE(read_idx(dir / "f.idx", a).is_ok());
  CHECK(a.type == idx_type::f32);
  CHECK(a.value(0) == 1.5);
  REQUIRE(read_idx(dir / "d.gz", a).is_ok());
  CHECK(a.value(0) == -0.25);
  REQUIRE(read_idx(dir / "b.idx", a).is_ok());
  CHECK(a.value(0) == -128.0);
}

TEST_CASE("read_idx names the file and says what is wrong with it", "[idx]") {
  temp_dir dir;
  const bytes good = idx_file(0x08, {2, 3, 4}, iota_bytes(24));  // 16 + 24 bytes

  SECTION("missing file") { expect_error(dir / "nope.gz", errc::not_found, "no such file"); }
  SECTION("bad magic") {
    write_plain(dir / "m.idx", {0x12, 0x34, 0x08, 0x01, 0, 0, 0, 0});
    expect_error(dir / "m.idx", errc::invalid_argument, "bad magic 0x12340801");
  }
  SECTION("unsupported type code") {
    write_gz(dir / "t.gz", idx_file(0x07, {1}, {0}));
    expect_error(dir / "t.gz", errc::invalid_argument, "unsupported type code 0x07");
  }
  SECTION("no dimensions, or more than the limit") {
    write_plain(dir / "z.idx", {0, 0, 0x08, 0});
    expect_error(dir / "z.idx", errc::invalid_argument, "claims 0 dimensions");
    write_plain(dir / "n.idx", {0, 0, 0x08, 200});
    expect_error(dir / "n.idx", errc::invalid_argument, "claims 200 dimensions");
  }
  SECTION("truncated in the magic, the sizes and the data, plain and gzip") {
    struct cut { size_t keep; std::string text; };
    for (const cut& c : {cut{0, "magic: ends after 0 of 4 bytes"},
                         cut{3, "magic: ends after 3 of 4 bytes"},
                         cut{9, "sizes: ends after 9 of 16 bytes"},
                         cut{16, "data: ends after 16 of 40 bytes"},
                         cut{39, "data: ends after 39 of 40 bytes"}}) {
      bytes part(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(c.keep));
      write_plain(dir / "cut.idx", part);
      expect_error(dir / "cut.idx", errc::invalid_argument, c.text);
      write_gz(dir / "cut.gz", part);
      expect_error(dir / "cut.gz", errc::invalid_argument, c.text);
    }
  }
  SECTION("a gzip stream cut short") {
    write_gz(dir / "g.gz", idx_file(0x08, {4000}, iota_bytes(4000, 7)));
    bytes gz = read_plain(dir / "g.gz");
    gz.resize(gz.size() / 2);
    write_plain(dir / "g.gz", gz);
    expect_error(dir / "g.gz", errc::invalid_argument, "gzip stream cut short");
  }
  SECTION("garbage") {
    write_plain(dir / "junk.idx", {'h', 'e', 'l', 'l', 'o', '\n'});
    expect_error(dir / "junk.idx", errc::invalid_argument, "bad magic 0x68656C6C");
    write_plain(dir / "junk.gz", {'h', 'e', 'l', 'l', 'o', '\n'});
    expect_error(dir / "junk.gz", errc::invalid_argument, "not gzip");
    bytes broken{0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0x03};
    bytes noise = iota_bytes(64, 0xF0);
    broken.insert(broken.end(), noise.begin(), noise.end());
    write_plain(dir / "broken.gz", broken);
    expect_error(dir / "broken.gz", errc::io_error, "corrupt gzip stream");
  }
  SECTION("dimensions that do not match the data") {
    write_plain(dir / "long.idx", idx_file(0x08, {2, 3}, iota_bytes(7)));
    expect_error(dir / "long.idx", errc::invalid_argument, "trailing bytes after the 18 bytes");
    write_gz(dir / "short.gz", idx_file(0x0D, {5}, iota_bytes(16)));
    expect_error(dir / "short.gz", errc::invalid_argument, "data: ends after 24 of 28 bytes");
  }
  SECTION("a header claiming more than the limit allocates nothing") {
    write_plain(dir / "huge.idx", idx_file(0x0E, {65536, 65536, 65536}, {}));
    expect_error(dir / "huge.idx", errc::invalid_argument,
                 "claims 65536x65536x65536 double elements, over the limit of 2147483648 bytes");
    write_gz(dir / "max.gz", idx_file(0x08, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 2}, {}));
    expect_error(dir / "max.gz", errc::invalid_argument, "over the limit");
    write_plain(dir / "ok.idx", good);
    expect_error(dir / "ok.idx", errc::invalid_argument, "over the limit of 23 bytes",
                 idx_limits{23, 8});
  }
}

namespace {

// A Fashion-MNIST-shaped split in `dir`: n images of rows x cols whose pixel
// (i, y, x) is (i + y + x) % 256, and the given labels.
void write_split(const temp_dir& dir, uint32_t n, uint32_t rows, uint32_t cols,
                 const bytes& labels, bool gz = true) {
  bytes px(size_t{n} * rows * cols);
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t y = 0; y < rows; ++y)
      for (uint32_t x = 0; x < cols; ++x)
        px[(size_t{i} * rows + y) * cols + x] = static_cast<uint8_t>((i + y + x) % 256);
  auto write = gz ? write_gz : write_plain;
  const std::string ext = gz ? ".gz" : "";
  write(dir / ("t10k-images-idx3-ubyte" + ext), idx_file(0x08, {n, rows, cols}, px));
  write(dir / ("t10k-labels-idx1-ubyte" + ext),
        idx_file(0x08, {static_cast<uint32_t>(labels.size())}, labels));
}

void expect_load_error(const temp_dir& dir, const std::string& file, const std::string& text) {
  dataset ds;
  status s = load_fashion_mnist(dir.path.string(), split::test, ds);
  INFO(s.to_string());
  CHECK(s.code() != errc::ok);
  CHECK(s.where() == dir / file);
  CHECK(s.message().find(text) != std::string::npos);
  CHECK(ds.n == 0);
}

} // namespace

TEST_CASE("load_fashion_mnist gives NCHW floats in [0,1] and int labels", "[idx]") {
  temp_dir dir;
  const bool gz = GENERATE(true, false);
  write_split(dir, 3, 28, 28, {9, 0, 4}, gz);
  dataset ds;
  REQUIRE(load_fashion_mnist(dir.path.string(), split::test, ds).is_ok());
  CHECK(ds.n == 3);
  CHECK((ds.channels == 1 && ds.height == 28 && ds.width == 28 && ds.classes == 10));
  CHECK(ds.images.size() == 3 * 784);
  CHECK(ds.labels == std::vector<int32_t>{9, 0, 4});
  CHECK(ds.image(2)[5 * 28 + 7] == Approx((2 + 5 + 7) / 255.0f));
  std::vector<float> images;
  std::vector<int32_t> labels;
  gather(ds, {2, 0}, images, labels);
  CHECK(labels == std::vector<int32_t>{4, 9});
  CHECK(images[1] == ds.image(2)[1]);
  CHECK(images[784 + 1] == ds.image(0)[1]);
}

TEST_CASE("load_fashion_mnist rejects files that do not belong together", "[idx]") {
  temp_dir dir;
  const std::string images = "t10k-images-idx3-ubyte.gz", labels = "t10k-labels-idx1-ubyte.gz";
  SECTION("missing") { expect_load_error(dir, images, "no such file"); }
  SECTION("labels where images belong") {
    write_split(dir, 2, 28, 28, {1, 2});
    write_gz(dir / images, idx_file(0x08, {2}, {1, 2}));
    expect_load_error(dir, images, "bad magic 0x00000801 (expected 0x00000803 for images)");
  }
  SECTION("wrong image size") {
    write_split(dir, 2, 27, 28, {1, 2});
    expect_load_error(dir, images, "images are 27x28 (expected 28x28)");
  }
  SECTION("images where labels belong") {
    write_split(dir, 2, 28, 28, {1, 2});
    write_gz(dir / labels, idx_file(0x08, {2, 1, 1}, {1, 2}));
    expect_load_error(dir, labels, "bad magic 0x00000803 (expected 0x00000801 for labels)");
  }
  SECTION("count mismatch") {
    write_split(dir, 3, 28, 28, {1, 2});
    expect_load_error(dir, labels, "2 labels but 3 images");
  }
  SECTION("label out of range") {
    write_split(dir, 3, 28, 28, {1, 10, 2});
    expect_load_error(dir, labels, "label 10 at index 1 (byte 9) is not in 0..9");
  }
}

TEST_CASE("load_fashion_mnist_cached reads a split once per cut and again when replaced",
          "[idx]") {
  temp_dir dir;
  write_split(dir, 4, 28, 28, {3, 1, 4, 1});
  dataset_cache cache(1 << 20);
  std::shared_ptr<const dataset> all, all_again, first2, other;
  REQUIRE(load_fashion_mnist_cached(cache, dir.path.string(), split::test, 0, all).is_ok());
  REQUIRE(load_fashion_mnist_cached(cache, dir.path.string(), split::test, 0, all_again).is_ok());
  CHECK(all_again == all);
  CHECK(all->n == 4);
  REQUIRE(load_fashion_mnist_cached(cache, dir.path.string(), split::test, 2, first2).is_ok());
  CHECK(first2 != all);  // a cut is an entry of its own, with only its samples
  CHECK(first2->n == 2);
  CHECK(first2->images.size() == 2 * 784);
  CHECK(first2->labels == std::vector<int32_t>{3, 1});
  CHECK(first2->image(1)[0] == all->image(1)[0]);
  CHECK(cache.count().loads == 2);
  // New files under the same names (another size): read again.
  write_split(dir, 5, 28, 28, {0, 1, 2, 3, 4});
  REQUIRE(load_fashion_mnist_cached(cache, dir.path.string(), split::test, 0, other).is_ok());
  CHECK(other->n == 5);
  CHECK(all->n == 4);  // the old one is unchanged for its holders
  // Errors are load_fashion_mnist's, and nothing is kept for them.
  auto st = load_fashion_mnist_cached(cache, dir.path.string(), split::train, 0, other);
  CHECK(st.where() == dir / "train-images-idx3-ubyte.gz");
  CHECK(other->n == 5);
  CHECK(cache.count().loads == 3);
}

TEST_CASE("the installed Fashion-MNIST loads: 10000 test images, first an ankle boot",
          "[idx][fashion_mnist]") {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  INFO(dir << " is absent: scripts/setup installs Debian's dataset-fashion-mnist");
  REQUIRE(fs::exists(dir + "/t10k-images-idx3-ubyte.gz"));
  dataset ds;
  status s = load_fashion_mnist(dir, split::test, ds);
  INFO(s.to_string());
  REQUIRE(s.is_ok());
  CHECK(ds.n == 10000);
  CHECK(ds.images.size() == size_t{10000} * 784);
  CHECK(ds.labels[0] == 9);  // "Ankle boot"
  std::vector<int> per_class(10);
  for (int32_t l : ds.labels)
    per_class.at(static_cast<size_t>(l))++;
  CHECK(per_class == std::vector<int>(10, 1000));
  auto [lo, hi] = std::minmax_element(ds.images.begin(), ds.images.end());
  CHECK(*lo == 0.0f);
  CHECK(*hi == 1.0f);
}
