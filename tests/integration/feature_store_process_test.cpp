// The feature store across processes: a `lagom head` process holds the
// shards; this test process is a remote client (lagom::cluster::connect)
// that creates groups through the C++ API, lists and joins them across
// shards, and looks keys up online over loopback. The head is then killed
// with SIGTERM and started again on the same data: every group is still
// there, on its shard.
#include <catch2/catch.hpp>

#include <csignal>
#include <regex>

#include "child_process.hpp"
#include "lagom/cluster.hpp"

using namespace lagom;
using namespace lagom::test;
using namespace std::chrono_literals;

namespace {

const std::string lagom_bin = LAGOM_BINARY;

struct head_process {
  std::unique_ptr<child_process> proc;
  std::string address;
  explicit head_process(const std::string& data) {
    proc = child_process::start(
      {lagom_bin, "--data", data, "head", "--listen", "127.0.0.1:0", "--token", "fs-token"});
    REQUIRE(proc->wait_for("feature store in", 10s));
    std::smatch m;
    std::string out = proc->output();
    REQUIRE(std::regex_search(out, m, std::regex("listening on (127\\.0\\.0\\.1:[0-9]+)")));
    address = m[1];
  }
  ~head_process() {
    proc->signal(SIGTERM);
    proc->wait_exit(10s);
  }
};

storage::feature_frame team_rows(std::vector<int64_t> ids, const std::string& name,
                                 std::vector<double> v) {
  storage::feature_frame f;
  storage::feature_column id, x;
  id.spec = {"id", storage::feature_type::int64, 1};
  id.i64 = std::move(ids);
  x.spec = {name, storage::feature_type::float64, 1};
  x.f64 = std::move(v);
  f.columns = {std::move(id), std::move(x)};
  return f;
}

} // namespace

TEST_CASE("a remote client creates, joins and looks up feature groups in a head process", "[fs][cluster]") {
  temp_dir d;
  {
    head_process head(d.path() + "/head");
    std::unique_ptr<cluster> c;
    REQUIRE(cluster::connect(head.address, "fs-token", c, 10s));
    auto fs = c->feature_store();
    storage::version_info v;
    featuregroup_options o;
    o.seed = 7;
    REQUIRE(fs.create_featuregroup_from("eit_school", "random:20x10", o, &v));
    CHECK(v.version == 1);
    CHECK(v.rows == 20);
    featuregroup_options keyed;
    keyed.primary_key = {"id"};
    REQUIRE(fs.create_featuregroup("attendance", team_rows({1, 2, 3}, "average_attendance",
                                                           {100, 200, 300}), keyed));
    REQUIRE(fs.create_featuregroup("players", team_rows({2, 3, 4}, "average_player_age",
                                                        {25, 26, 27}), keyed));
    std::vector<storage::version_info> all;
    REQUIRE(fs.list(&all));
    REQUIRE(all.size() == 3);
    CHECK(all[0].group == "attendance");
    CHECK(all[2].group == "players");

    storage::feature_frame first;
    REQUIRE(fs.get_featuregroup("eit_school", 0, 5, &first));
    CHECK(first.rows() == 5);
    CHECK(first.columns.size() == 11);

    storage::feature_query q;
    q.features = {"average_attendance", "average_player_age"};
    storage::feature_frame joined;
    REQUIRE(fs.get_features(q, &joined));
    CHECK(joined.columns[0].i64 == std::vector<int64_t>{2, 3});
    CHECK(joined.columns[2].f64 == std::vector<double>{25, 26});

    storage::feature_frame row;
    bool found = false;
    REQUIRE(fs.get_feature_vector("players", {int64_t{4}}, &row, &found));
    CHECK(found);
    CHECK(row.columns[1].f64 == std::vector<double>{27});
    REQUIRE(fs.get_feature_vector("players", {int64_t{99}}, &row, &found));
    CHECK_FALSE(found);

    auto bad = fs.get_feature_vector("nope", {int64_t{1}}, &row, &found);
    CHECK(bad.code() == errc::not_found);
    CHECK(bad.where().find("nope") != std::string::npos);
    auto twice = fs.create_featuregroup_from("eit_school", "random:2x2", o);
    CHECK(twice.code() == errc::invalid_argument);
    CHECK(twice.where() == "eit_school");
  }
  // A head started again on the same data finds every group.
  head_process again(d.path() + "/head");
  std::unique_ptr<cluster> c;
  REQUIRE(cluster::connect(again.address, "fs-token", c, 10s));
  auto fs = c->feature_store();
  storage::feature_frame row;
  bool found = false;
  REQUIRE(fs.get_feature_vector("attendance", {int64_t{3}}, &row, &found));
  CHECK(found);
  CHECK(row.columns[1].f64 == std::vector<double>{300});
}
