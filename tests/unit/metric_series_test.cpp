// storage::metric_series: one key range per series, in step order, kept apart
// from neighbouring keys and runs.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "storage/encoding.hpp"
#include "storage/metric_series.hpp"
#include "temp_dir.hpp"

using namespace lagom;
using namespace lagom::storage;

namespace {

struct fixture {
  test::temp_dir dir{"lagom-series"};
  lmdb_env env;
  db_handle db;

  fixture() {
    REQUIRE(lmdb_env::open(dir / "env", {}, &env).is_ok());
    REQUIRE(env.open_db("metrics", &db).is_ok());
  }

  void put(uint64_t id, uint32_t run, const std::string& key, uint64_t step, double v) {
    REQUIRE(env.update([&](write_txn& t) {
      return metric_series::put(t, db, id, run, key, metric_point{step, v, 1000 + int64_t(step)});
    }).is_ok());
  }

  std::vector<uint64_t> steps(uint64_t id, uint32_t run, const std::string& key) {
    read_txn t;
    REQUIRE(env.begin_read(&t).is_ok());
    std::vector<metric_point> points;
    REQUIRE(metric_series::read(t, db, id, run, key, "w", &points).is_ok());
    std::vector<uint64_t> out;
    for (auto& p : points)
      out.push_back(p.step);
    return out;
  }
};

} // namespace

TEST_CASE("metric_series: points come back in step order, whatever the write order") {
  fixture f;
  for (uint64_t step : {300u, 5u, 70000u, 0u, 256u})
    f.put(1, 1, "loss", step, double(step) / 10);
  CHECK(f.steps(1, 1, "loss") == std::vector<uint64_t>{0, 5, 256, 300, 70000});
  read_txn t;
  REQUIRE(f.env.begin_read(&t).is_ok());
  std::vector<metric_point> points;
  REQUIRE(metric_series::read(t, f.db, 1, 1, "loss", "w", &points).is_ok());
  CHECK(points[2].value == 25.6);
  CHECK(points[2].wall_ms == 1256);
}

TEST_CASE("metric_series: neighbouring keys, runs and experiments stay apart") {
  fixture f;
  f.put(1, 1, "loss", 1, 1);
  f.put(1, 1, "loss2", 2, 2);
  f.put(1, 1, "los", 3, 3);
  f.put(1, 2, "loss", 4, 4);
  f.put(2, 1, "loss", 5, 5);
  f.put(1, 1, "train/loss", 6, 6);
  CHECK(f.steps(1, 1, "loss") == std::vector<uint64_t>{1});
  CHECK(f.steps(1, 2, "loss") == std::vector<uint64_t>{4});
  CHECK(f.steps(2, 1, "loss") == std::vector<uint64_t>{5});
  CHECK(f.steps(1, 1, "nothing").empty());

  read_txn t;
  REQUIRE(f.env.begin_read(&t).is_ok());
  std::vector<std::string> keys;
  REQUIRE(metric_series::keys(t, f.db, 1, 1, &keys).is_ok());
  CHECK(keys == std::vector<std::string>{"los", "loss", "loss2", "train/loss"});
}

TEST_CASE("metric_series: the last point is the highest step of that series only") {
  fixture f;
  f.put(1, 1, "acc", 3, 0.3);
  f.put(1, 1, "acc", 9, 0.9);
  f.put(1, 1, "acc", 4, 0.4);
  f.put(1, 1, "acc2", 100, 1.0);
  read_txn t;
  REQUIRE(f.env.begin_read(&t).is_ok());
  metric_point p;
  bool found = false;
  REQUIRE(metric_series::last(t, f.db, 1, 1, "acc", "w", &p, &found).is_ok());
  CHECK(found);
  CHECK(p.step == 9);
  CHECK(p.value == 0.9);
  // "acc2" is the last key of the database; "ac" has no points before it.
  REQUIRE(metric_series::last(t, f.db, 1, 1, "acc2", "w", &p, &found).is_ok());
  CHECK(p.step == 100);
  REQUIRE(metric_series::last(t, f.db, 1, 1, "ac", "w", &p, &found).is_ok());
  CHECK_FALSE(found);
}

TEST_CASE("metric_series: a malformed point is a corrupt record naming where") {
  fixture f;
  REQUIRE(f.env.update([&](write_txn& t) {
    return t.put(f.db, metric_series::prefix(1, 1, "loss") + "xyz", "junk");
  }).is_ok());
  read_txn t;
  REQUIRE(f.env.begin_read(&t).is_ok());
  std::vector<metric_point> points;
  status st = metric_series::read(t, f.db, 1, 1, "loss", "exp/1/loss", &points);
  CHECK(st.code() == errc::io_error);
  CHECK(st.where() == "exp/1/loss");
  CHECK(st.message().find("corrupt record") != std::string::npos);
  CHECK(points.empty());
}
