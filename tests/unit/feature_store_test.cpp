// storage/feature_store: versions, write modes, online lookups and the
// errors that leave every stored byte as it was. Real LMDB in a temporary
// directory.
#include "storage/feature_store.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>

#include "feature_checks.hpp"
#include "temp_dir.hpp"

using namespace lagom;
using namespace lagom::storage;
using lagom::test::dump;
using lagom::test::f32_col;
using lagom::test::f64_col;
using lagom::test::i64_col;
using lagom::test::schema_of;
using lagom::test::str_col;
using lagom::test::u8v_col;

namespace {

feature_frame people(std::vector<int64_t> ids, std::vector<double> score) {
  feature_frame f;
  f.columns.push_back(i64_col("id", ids));
  f.columns.push_back(f64_col("score", score));
  std::vector<std::string> names;
  for (auto i : ids)
    names.push_back("p" + std::to_string(i));
  f.columns.push_back(str_col("name", names));
  std::vector<uint8_t> pix;
  for (auto i : ids)
    for (int e = 0; e < 3; ++e)
      pix.push_back(static_cast<uint8_t>(i * 3 + e));
  f.columns.push_back(u8v_col("pixels", 3, pix));
  return f;
}

feature_store open_store(const std::string& dir) {
  feature_store fs;
  feature_store_options o;
  int64_t t = 1000;
  o.clock = [t]() mutable { return t++; };
  auto st = feature_store::open(dir, o, &fs);
  REQUIRE(st.to_string() == "ok");
  return fs;
}

} // namespace

TEST_CASE("a group is created, read back whole, and found after reopening") {
  test::temp_dir dir;
  auto rows = people({1, 2, 3}, {0.5, 1.5, 2.5});
  rows.columns[1].valid = {1, 0, 1};  // score of id 2 is null
  {
    feature_store fs = open_store(dir / "shard");
    version_info v;
    REQUIRE(fs.create("eit_school", schema_of(rows, {"id"}), rows, {}, &v));
    CHECK(v.version == 1);
    CHECK(v.rows == 3);
  }
  feature_store fs = open_store(dir / "shard");
  feature_frame back;
  REQUIRE(fs.read("eit_school", {}, &back));
  REQUIRE(back.rows() == 3);
  CHECK(back.columns[0].i64 == rows.columns[0].i64);
  CHECK(back.columns[1].is_null(1));
  CHECK(back.columns[1].f64[2] == 2.5);
  CHECK(back.columns[2].str == rows.columns[2].str);
  CHECK(back.columns[3].u8 == rows.columns[3].u8);
  std::vector<std::string> names;
  REQUIRE(fs.groups(&names));
  CHECK(names == std::vector<std::string>{"eit_school"});
  read_options first_two;
  first_two.limit = 2;
  first_two.offset = 1;
  first_two.columns = {"name", "id"};
  REQUIRE(fs.read("eit_school", first_two, &back));
  CHECK(back.columns[0].str == std::vector<std::string>{"p2", "p3"});
  CHECK(back.columns[1].i64 == std::vector<int64_t>{2, 3});
  CHECK(format_table(back, 5) == "name  id\np2     2\np3     3\n");
}

TEST_CASE("append, overwrite and upsert each make a version and leave the earlier ones") {
  test::temp_dir dir;
  feature_store fs = open_store(dir / "shard");
  auto v1 = people({1, 2}, {1, 2});
  REQUIRE(fs.create("g", schema_of(v1, {"id"}), v1));
  version_info info;
  REQUIRE(fs.write("g", write_mode::append, people({3}, {3}), {}, &info));
  CHECK(info.version == 2);
  CHECK(info.rows == 3);
  REQUIRE(fs.write("g", write_mode::upsert, people({2, 4}, {20, 40}), {}, &info));
  CHECK(info.rows == 4);
  REQUIRE(fs.write("g", write_mode::overwrite, people({9}, {9}), {}, &info));
  CHECK(info.version == 4);

  auto ids = [&](uint32_t version) {
    feature_frame f;
    read_options o;
    o.version = version;
    REQUIRE(fs.read("g", o, &f));
    return std::make_pair(f.columns[0].i64, f.columns[1].f64);
  };
  CHECK(ids(1).first == std::vector<int64_t>{1, 2});
  CHECK(ids(2).first == std::vector<int64_t>{1, 2, 3});
  CHECK(ids(3).first == std::vector<int64_t>{1, 2, 3, 4});
  CHECK(ids(3).second == std::vector<double>{1, 20, 3, 40});
  CHECK(ids(4).first == std::vector<int64_t>{9});
  CHECK(ids(0).first == std::vector<int64_t>{9});

  std::vector<version_info> all;
  REQUIRE(fs.versions("g", &all));
  REQUIRE(all.size() == 4);
  CHECK(all[1].mode == write_mode::append);
  CHECK(all[2].mode == write_mode::upsert);
  CHECK(all[0].created_ms < all[3].created_ms);

  // Online lookups follow the newest version only.
  feature_frame out;
  std::vector<bool> found;
  REQUIRE(fs.lookup("g", {{int64_t{9}}, {int64_t{1}}}, {"score"}, &out, &found));
  CHECK(found == std::vector<bool>{true, false});
  CHECK(out.columns[0].f64[0] == 9);
  CHECK(out.columns[0].is_null(1));
}

TEST_CASE("statistics are merged on append and match a computation over all rows") {
  test::temp_dir dir;
  feature_store fs = open_store(dir / "shard");
  auto a = people({1, 2, 3}, {1, 2, 4});
  auto b = people({4, 5}, {8, 16});
  REQUIRE(fs.create("g", schema_of(a, {"id"}), a));
  REQUIRE(fs.write("g", write_mode::append, b));
  feature_statistics merged, whole;
  REQUIRE(fs.statistics("g", 0, &merged));
  compute_statistics(people({1, 2, 3, 4, 5}, {1, 2, 4, 8, 16}), &whole);
  const column_stats* m = merged.find("score");
  const column_stats* w = whole.find("score");
  REQUIRE(m != nullptr);
  CHECK(m->count == 5);
  CHECK(m->sum == 31);
  CHECK(m->mean == Approx(w->mean));
  CHECK(m->stddev() == Approx(w->stddev()));
  CHECK(m->min == 1);
  CHECK(m->max == 16);
  CHECK(m->distinct() == 5);
  auto rm = merged.correlation(), rw = whole.correlation();
  REQUIRE(rm.size() == rw.size());
  for (size_t i = 0; i < rm.size(); ++i)
    CHECK(rm[i] == Approx(rw[i]).margin(1e-5));
  uint64_t total = 0;
  for (auto c : m->hist)
    total += c;
  CHECK(total == 5);
  feature_statistics v1;
  REQUIRE(fs.statistics("g", 1, &v1));
  CHECK(v1.find("score")->count == 3);

  // A group made without correlations keeps the other statistics, merged too.
  write_options no_corr;
  no_corr.correlations = false;
  REQUIRE(fs.create("h", schema_of(a, {"id"}), a, no_corr));
  version_info info;
  REQUIRE(fs.write("h", write_mode::append, b, {}, &info));
  CHECK_FALSE(info.correlations);
  feature_statistics h;
  REQUIRE(fs.statistics("h", 0, &h));
  CHECK(h.corr_names.empty());
  CHECK(h.comoment.empty());
  CHECK(h.find("score")->stddev() == Approx(w->stddev()));
}

TEST_CASE("bad writes name what is wrong and change no stored byte") {
  test::temp_dir dir;
  feature_store fs = open_store(dir / "shard");
  auto v1 = people({1, 2}, {1, 2});
  REQUIRE(fs.create("g", schema_of(v1, {"id"}), v1));
  REQUIRE(fs.write("g", write_mode::append, people({3}, {3})));
  auto before = dump(fs);

  auto dup_batch = people({5, 5}, {1, 1});
  auto st = fs.write("g", write_mode::append, dup_batch);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.to_string() == "g row 1: duplicate key (5) in the rows written");

  st = fs.write("g", write_mode::append, people({2}, {7}));
  CHECK(st.to_string() == "g row 0: duplicate key (2): already stored; use upsert to replace it");

  auto wrong_type = people({7}, {7});
  wrong_type.columns[1] = f32_col("score", {7.0f});
  st = fs.write("g", write_mode::append, wrong_type);
  CHECK(st.to_string() == "g.score: is float32; the schema has float64");

  auto missing = people({7}, {7});
  missing.columns.pop_back();
  st = fs.write("g", write_mode::append, missing);
  CHECK(st.to_string() == "g.pixels: column 'pixels' of the schema is missing");

  write_options old;
  old.version = 2;
  st = fs.write("g", write_mode::append, people({8}, {8}), old);
  CHECK(st.to_string() == "g version 2: version exists (the newest is 2)");

  st = fs.write("gg", write_mode::append, people({8}, {8}));
  CHECK(st.code() == errc::not_found);
  CHECK(st.to_string() == "gg: no such feature group; did you mean 'g'?");

  st = fs.create("g", schema_of(v1, {"id"}), v1);
  CHECK(st.to_string() == "g: feature group exists (version 2)");

  st = fs.create("bad-name", schema_of(v1, {"id"}), v1);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == "feature group");

  st = fs.create("h", schema_of(v1, {"score"}), v1);
  CHECK(st.to_string() ==
        "h.schema.primary_key: primary key column 'score' is float64; a key is int64 or string");

  feature_frame out;
  read_options cols;
  cols.columns = {"scor"};
  st = fs.read("g", cols, &out);
  CHECK(st.to_string() == "g.scor: no such feature in the group; did you mean 'score'?");
  read_options v9;
  v9.version = 9;
  st = fs.read("g", v9, &out);
  CHECK(st.to_string() == "g version 9: no such version (the newest is 2)");

  CHECK(dump(fs) == before);
}

TEST_CASE("with event time a key has many rows and lookups give the newest") {
  test::temp_dir dir;
  feature_store fs = open_store(dir / "shard");
  feature_frame f;
  f.columns.push_back(str_col("user", {"a", "b", "a", "a"}));
  f.columns.push_back(i64_col("ts", {10, 10, 30, 20}));
  f.columns.push_back(f64_col("spend", {1, 2, 3, 4}));
  REQUIRE(fs.create("tx", schema_of(f, {"user"}, "ts"), f));

  feature_frame out;
  std::vector<bool> found;
  REQUIRE(fs.lookup("tx", {{std::string("a")}, {std::string("b")}, {std::string("c")}}, {},
                    &out, &found));
  CHECK(found == std::vector<bool>{true, true, false});
  CHECK(out.columns[2].f64[0] == 3);
  CHECK(out.columns[2].f64[1] == 2);

  read_options at;
  at.as_of_event_time = 25;
  REQUIRE(fs.read("tx", at, &out));
  CHECK(out.columns[0].str == std::vector<std::string>{"b", "a"});
  CHECK(out.columns[2].f64 == std::vector<double>{2, 4});

  // (key, event time) must be unique; the same key at a new time is fine.
  feature_frame again;
  again.columns.push_back(str_col("user", {"a"}));
  again.columns.push_back(i64_col("ts", {20}));
  again.columns.push_back(f64_col("spend", {9}));
  auto st = fs.write("tx", write_mode::append, again);
  CHECK(st.to_string() ==
        "tx row 0: duplicate key and event time ('a'): already stored; use upsert to replace it");
  again.columns[1].i64 = {40};
  REQUIRE(fs.write("tx", write_mode::append, again));
  REQUIRE(fs.lookup("tx", {{std::string("a")}}, {"spend"}, &out, &found));
  CHECK(out.columns[0].f64[0] == 9);

  st = fs.lookup("tx", {{int64_t{1}}}, {}, &out, &found);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == "tx key 0");
}

TEST_CASE("drop removes every version of a group and nothing of another") {
  test::temp_dir dir;
  feature_store fs = open_store(dir / "shard");
  auto a = people({1}, {1});
  REQUIRE(fs.create("a", schema_of(a, {"id"}), a));
  auto before = dump(fs);
  REQUIRE(fs.create("b", schema_of(a, {"id"}), a));
  REQUIRE(fs.write("b", write_mode::append, people({2}, {2})));
  REQUIRE(fs.drop("b"));
  CHECK(dump(fs) == before);
  CHECK(fs.drop("b").code() == errc::not_found);
}

TEST_CASE("an upsert with event time replaces the row of the same key and time only") {
  test::temp_dir dir;
  feature_store fs = open_store(dir / "shard");
  feature_frame f;
  f.columns.push_back(str_col("user", {"a", "a", "b"}));
  f.columns.push_back(i64_col("ts", {1, 2, 1}));
  f.columns.push_back(f64_col("v", {10, 20, 30}));
  REQUIRE(fs.create("tx", schema_of(f, {"user"}, "ts"), f));
  feature_frame u;
  u.columns.push_back(str_col("user", {"a", "b"}));
  u.columns.push_back(i64_col("ts", {1, 5}));
  u.columns.push_back(f64_col("v", {11, 50}));
  version_info info;
  REQUIRE(fs.write("tx", write_mode::upsert, u, {}, &info));
  CHECK(info.rows == 4);
  feature_frame out;
  REQUIRE(fs.read("tx", {}, &out));
  CHECK(out.columns[2].f64 == std::vector<double>{11, 20, 30, 50});
  std::vector<bool> found;
  REQUIRE(fs.lookup("tx", {{std::string("a")}, {std::string("b")}}, {"v"}, &out, &found));
  CHECK(out.columns[0].f64 == std::vector<double>{20, 50});
  feature_statistics s;
  REQUIRE(fs.statistics("tx", 0, &s));
  CHECK(s.find("v")->sum == 111);
}

TEST_CASE("a corrupt stored chunk is an io_error naming the group, chunk and column") {
  test::temp_dir dir;
  feature_store fs = open_store(dir / "shard");
  auto rows = people({1, 2}, {1, 2});
  REQUIRE(fs.create("g", schema_of(rows, {"id"}), rows));
  db_handle chunks;
  REQUIRE(fs.env().open_db("chunks", &chunks));
  REQUIRE(fs.env().update([&](write_txn& t) {
    std::string key = std::string("g") + '\0' + std::string(7, '\0') + '\x01' +
                      std::string(3, '\0') + '\x01';  // chunk 1, column 1 (score)
    return t.put(chunks, key, "garbage");
  }));
  feature_frame out;
  auto st = fs.read("g", {}, &out);
  CHECK(st.code() == errc::io_error);
  CHECK(st.to_string() == "g chunk 1 column score: corrupt column chunk: bad header");
  std::vector<bool> found;
  st = fs.lookup("g", {{int64_t{1}}}, {"score"}, &out, &found);
  CHECK(st.to_string() == "g chunk 1 column score: corrupt column chunk: bad header");
}

TEST_CASE("u8 vector statistics match a direct count, for widths off the counting blocks and nulls") {
  // 37 elements (two blocks of 16 and 5 more), more rows than one counting
  // group (256 KiB of rows), every 7th row null.
  const uint32_t w = 37;
  const size_t rows = 9000;
  std::vector<uint8_t> pix(rows * w);
  uint64_t x = 12345;
  for (auto& p : pix) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    p = static_cast<uint8_t>((x >> 33) % 5 == 0 ? 0 : (x >> 40));
  }
  feature_frame f;
  f.columns.push_back(u8v_col("img", w, pix));
  f.columns[0].valid.assign(rows, 1);
  for (size_t r = 0; r < rows; r += 7)
    f.columns[0].valid[r] = 0;
  feature_statistics s;
  compute_statistics(f, &s, false);
  REQUIRE(s.columns.size() == w);
  for (uint32_t e = 0; e < w; ++e) {
    const column_stats& c = s.columns[e];
    uint64_t count = 0, nulls = 0;
    double sum = 0, lo = 255, hi = 0;
    for (size_t r = 0; r < rows; ++r) {
      if (r % 7 == 0) {
        ++nulls;
        continue;
      }
      double v = pix[r * w + e];
      ++count;
      sum += v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    double mean = sum / static_cast<double>(count), m2 = 0;
    std::array<uint64_t, histogram_bins> hist{};
    for (size_t r = 0; r < rows; ++r)
      if (r % 7 != 0) {
        double v = pix[r * w + e];
        m2 += (v - mean) * (v - mean);
        auto b = static_cast<long>(std::floor((v - lo) / (hi - lo) * histogram_bins));
        ++hist[static_cast<size_t>(std::clamp<long>(b, 0, histogram_bins - 1))];
      }
    INFO("element " << e);
    CHECK(c.name == "img_" + std::to_string(e));
    CHECK(c.count == count);
    CHECK(c.nulls == nulls);
    CHECK(c.sum == sum);
    CHECK(c.min == lo);
    CHECK(c.max == hi);
    CHECK(c.mean == Approx(mean));
    CHECK(c.m2 == Approx(m2));
    CHECK(c.hist == hist);
  }
}

TEST_CASE("keys out of order are indexed, and the first repeated row names a duplicate") {
  test::temp_dir dir;
  feature_store fs = open_store(dir / "shard");
  auto rows = people({30, 10, 20, 5}, {3, 1, 2, 0.5});
  REQUIRE(fs.create("g", schema_of(rows, {"id"}), rows));
  feature_frame out;
  std::vector<bool> found;
  REQUIRE(fs.lookup("g", {{int64_t{20}}, {int64_t{5}}, {int64_t{30}}, {int64_t{7}}}, {"score"},
                    &out, &found));
  CHECK(found == std::vector<bool>{true, true, true, false});
  CHECK(out.columns[0].f64[0] == 2);
  CHECK(out.columns[0].f64[1] == 0.5);
  CHECK(out.columns[0].f64[2] == 3);

  // Rows 3 and 4 repeat keys of rows 1 and 0: row 3 is the first repeat.
  auto dup = people({8, 9, 6, 9, 8}, {1, 2, 3, 4, 5});
  status st = fs.create("d", schema_of(dup, {"id"}), dup);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.message() == "duplicate key (9) in the rows written");
  CHECK(st.where() == "d row 3");
}
