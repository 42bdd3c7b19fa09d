// storage/feature_store: lookup() from a second thread while the owner
// writes versions (what the head's online door does, actors/online_door.hpp).
// Every row a lookup returns is one version's whole row (never a mix of two),
// versions seen never go back, and the map grows under the readers (a small
// initial map) without a crash or a stuck writer. Real LMDB.
#include "storage/feature_store.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "feature_checks.hpp"
#include "temp_dir.hpp"

using namespace lagom;
using namespace lagom::storage;
using lagom::test::f64_col;
using lagom::test::i64_col;
using lagom::test::schema_of;
using lagom::test::str_col;

namespace {

constexpr int64_t keys = 64;

// Version v's rows: for every key, a = v, b = -v, tag = "v<v>" (and a long
// string so that each version stores fresh pages and the map must grow).
feature_frame rows_of(int64_t v) {
  std::vector<int64_t> ids;
  std::vector<double> a, b;
  std::vector<std::string> tag;
  for (int64_t k = 0; k < keys; ++k) {
    ids.push_back(k);
    a.push_back(double(v));
    b.push_back(-double(v));
    tag.push_back("v" + std::to_string(v) + std::string(512, char('a' + v % 26)));
  }
  feature_frame f;
  f.columns = {i64_col("id", ids), f64_col("a", a), f64_col("b", b), str_col("tag", tag)};
  return f;
}

} // namespace

TEST_CASE("lookups from another thread see whole rows while the owner writes versions") {
  test::temp_dir dir;
  feature_store fs;
  feature_store_options o;
  o.env = {uint64_t{256} << 10, uint64_t{1} << 30, 16};  // 256 KiB: grows during the test
  REQUIRE(feature_store::open(dir / "shard", o, &fs).to_string() == "ok");
  auto first = rows_of(1);
  REQUIRE(fs.create("g", schema_of(first, {"id"}), first).to_string() == "ok");
  const uint64_t map_before = fs.env().map_size();

  constexpr int64_t versions = 120;
  std::atomic<bool> writing{true};
  std::string writer_error;
  std::thread owner([&] {
    for (int64_t v = 2; v <= versions && writer_error.empty(); ++v) {
      auto st = fs.write("g", write_mode::upsert, rows_of(v));
      if (!st)
        writer_error = st.to_string();
    }
    writing = false;
  });

  // The reader: while the owner writes, and then a bounded number more.
  std::string reader_error;
  int64_t last = 1, lookups = 0, after = 0;
  const std::vector<key_value> probe = {{int64_t{7}}, {int64_t{keys - 1}}, {int64_t{keys}}};
  while (reader_error.empty() && (writing || after++ < 50) && lookups < 2'000'000) {
    feature_frame out;
    std::vector<bool> found;
    ++lookups;
    if (auto st = fs.lookup("g", probe, {}, &out, &found); !st) {
      reader_error = st.to_string();
      break;
    }
    if (found != std::vector<bool>{true, true, false}) {
      reader_error = "found flags wrong";
      break;
    }
    for (size_t r = 0; r < 2; ++r) {
      const double a = out.columns[1].f64[r], b = out.columns[2].f64[r];
      const std::string& tag = out.columns[3].str[r];
      if (b != -a || tag.rfind("v" + std::to_string(int64_t(a)), 0) != 0 ||
          int64_t(a) < last) {
        reader_error = "torn or older row: a=" + std::to_string(a) + " b=" + std::to_string(b) +
                       " after version " + std::to_string(last);
        break;
      }
      last = int64_t(a);
    }
  }
  owner.join();
  CHECK(writer_error == "");
  CHECK(reader_error == "");
  CHECK(last == versions);       // the reader saw the last version at the end
  CHECK(lookups > 50);
  CHECK(fs.env().map_size() > map_before);  // the map grew under the reader
}
