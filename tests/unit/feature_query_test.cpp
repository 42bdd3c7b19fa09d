// storage/feature_query: get_features across groups, by key and point in
// time, and the errors naming unknown and ambiguous features.
#include "storage/feature_query.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <set>

#include "feature_checks.hpp"
#include "temp_dir.hpp"

using namespace lagom;
using namespace lagom::storage;
using test::f64_col;
using test::i64_col;
using test::schema_of;
using test::str_col;

namespace {

feature_store open_store(const test::temp_dir& dir) {
  feature_store fs;
  REQUIRE(feature_store::open(dir / "shard", {}, &fs));
  return fs;
}

void add(feature_store& fs, const std::string& name, feature_frame f,
         std::vector<std::string> key, std::string et = {}) {
  auto st = fs.create(name, schema_of(f, key, et), f);
  REQUIRE(st.to_string() == "ok");
}

} // namespace

TEST_CASE("features of two groups are joined on their shared key, inner or left") {
  test::temp_dir dir;
  feature_store fs = open_store(dir);
  feature_frame att;
  att.columns.push_back(i64_col("school_id", {3, 1, 2}));
  att.columns.push_back(f64_col("average_attendance", {0.3, 0.1, 0.2}));
  add(fs, "attendances", att, {"school_id"});
  feature_frame pl;
  pl.columns.push_back(i64_col("school_id", {1, 3, 4}));
  pl.columns.push_back(f64_col("average_player_age", {11, 13, 14}));
  pl.columns.push_back(f64_col("sum_player_rating", {1, 3, 4}));
  add(fs, "players", pl, {"school_id"});

  feature_query q;
  q.features = {"average_attendance", "average_player_age"};
  feature_frame out;
  REQUIRE(fs.read("attendances", {}, &out));
  REQUIRE(get_features(fs, q, &out));
  REQUIRE(out.columns.size() == 3);
  CHECK(out.columns[0].spec.name == "school_id");
  CHECK(out.columns[0].i64 == std::vector<int64_t>{3, 1});
  CHECK(out.columns[1].f64 == std::vector<double>{0.3, 0.1});
  CHECK(out.columns[2].f64 == std::vector<double>{13, 11});

  q.join = join_kind::left;
  REQUIRE(get_features(fs, q, &out));
  CHECK(out.columns[0].i64 == std::vector<int64_t>{3, 1, 2});
  CHECK(out.columns[2].is_null(2));

  q.join = join_kind::inner;
  q.features = {"players.average_player_age", "school_id", "average_attendance"};
  REQUIRE(get_features(fs, q, &out));
  CHECK(out.columns[0].i64 == std::vector<int64_t>{1, 3});  // players drives the rows now
  CHECK(out.columns[2].f64 == std::vector<double>{0.1, 0.3});
}

TEST_CASE("unknown, ambiguous and unjoinable features are errors naming them") {
  test::temp_dir dir;
  feature_store fs = open_store(dir);
  feature_frame a;
  a.columns.push_back(i64_col("id", {1}));
  a.columns.push_back(f64_col("x", {1}));
  add(fs, "a", a, {"id"});
  add(fs, "b", a, {"id"});
  feature_frame c;
  c.columns.push_back(str_col("name", {"n"}));
  c.columns.push_back(f64_col("y", {1}));
  add(fs, "c", c, {"name"});
  feature_query q;
  feature_frame out;
  q.features = {"x"};
  auto st = get_features(fs, q, &out);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.to_string() == "x: feature is in 2 groups: name one of a.x, b.x");
  q.features = {"yy"};
  CHECK(get_features(fs, q, &out).to_string() ==
        "yy: no such feature in any group; did you mean 'y'?");
  q.features = {"a.z"};
  CHECK(get_features(fs, q, &out).code() == errc::not_found);
  q.features = {"a.x", "y"};
  CHECK(get_features(fs, q, &out).to_string() ==
        "a, c: groups 'a' and 'c' do not share a primary key (the same key columns and types)");
  q.features = {"a.x", "b.x"};
  CHECK(get_features(fs, q, &out).to_string() ==
        "features: two features of the result would both be named 'x' (ask for one of them)");
  q.features = {};
  CHECK(get_features(fs, q, &out).code() == errc::invalid_argument);
}

TEST_CASE("a point-in-time join takes the newest earlier feature row and never a later one") {
  test::temp_dir dir;
  feature_store fs = open_store(dir);
  feature_frame labels;
  labels.columns.push_back(str_col("user", {"u1", "u1", "u2", "u3", "u9"}));
  labels.columns.push_back(i64_col("ts", {10, 30, 5, 50, 60}));
  labels.columns.push_back(i64_col("churned", {0, 1, 0, 1, 0}));
  add(fs, "labels", labels, {"user"}, "ts");
  feature_frame spend;
  spend.columns.push_back(str_col("user", {"u1", "u1", "u1", "u2", "u3"}));
  spend.columns.push_back(i64_col("ts", {10, 20, 31, 6, 1}));
  spend.columns.push_back(f64_col("total", {1, 2, 3, 4, 5}));
  add(fs, "spend", spend, {"user"}, "ts");

  feature_query q;
  q.features = {"churned", "total"};
  feature_frame out;
  REQUIRE(get_features(fs, q, &out));
  REQUIRE(out.columns.size() == 4);  // user, ts, churned, total
  CHECK(out.columns[0].str == std::vector<std::string>{"u1", "u1", "u3"});
  CHECK(out.columns[1].i64 == std::vector<int64_t>{10, 30, 50});
  CHECK(out.columns[3].f64 == std::vector<double>{1, 2, 5});  // the same time counts
  q.join = join_kind::left;
  REQUIRE(get_features(fs, q, &out));
  CHECK(out.rows() == 5);
  CHECK(out.columns[3].is_null(2));  // u2's only row is later than its label
  CHECK(out.columns[3].is_null(4));  // u9 has no feature rows at all
}

TEST_CASE("point-in-time joins of random data match a direct search row for row") {
  test::temp_dir dir;
  feature_store fs = open_store(dir);
  std::mt19937_64 rng(7);
  feature_frame labels, feats;
  labels.columns = {i64_col("k", {}), i64_col("t", {}), i64_col("y", {})};
  feats.columns = {i64_col("k", {}), i64_col("t", {}), f64_col("v", {})};
  std::set<std::pair<int64_t, int64_t>> seen_l, seen_f;
  while (labels.rows() < 300) {
    int64_t k = static_cast<int64_t>(rng() % 20), t = static_cast<int64_t>(rng() % 1000);
    if (!seen_l.insert({k, t}).second)
      continue;
    labels.columns[2].i64.push_back(static_cast<int64_t>(labels.rows()));
    labels.columns[0].i64.push_back(k);
    labels.columns[1].i64.push_back(t);
  }
  while (feats.rows() < 1000) {
    int64_t k = static_cast<int64_t>(rng() % 25), t = static_cast<int64_t>(rng() % 1000);
    if (!seen_f.insert({k, t}).second)
      continue;
    feats.columns[0].i64.push_back(k);
    feats.columns[1].i64.push_back(t);
    feats.columns[2].f64.push_back(static_cast<double>(k * 10000 + t));
  }
  add(fs, "l", labels, {"k"}, "t");
  add(fs, "f", feats, {"k"}, "t");
  feature_query q;
  q.features = {"y", "v"};
  q.join = join_kind::left;
  feature_frame out;
  REQUIRE(get_features(fs, q, &out));
  REQUIRE(out.rows() == 300);
  for (size_t r = 0; r < 300; ++r) {
    int64_t k = labels.columns[0].i64[r], t = labels.columns[1].i64[r];
    int64_t best = -1;
    for (size_t j = 0; j < feats.rows(); ++j)
      if (feats.columns[0].i64[j] == k && feats.columns[1].i64[j] <= t)
        best = std::max(best, feats.columns[1].i64[j]);
    CHECK(out.columns[2].i64[r] == static_cast<int64_t>(r));
    if (best < 0)
      CHECK(out.columns[3].is_null(r));
    else
      CHECK(out.columns[3].f64[r] == static_cast<double>(k * 10000 + best));
  }
}
