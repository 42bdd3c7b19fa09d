// feature_store_router over three real shards: groups land on the shard
// their name hashes to (and stay there after a restart), listings and
// get_features span every shard, a lookup goes to the group's shard, and a
// malformed frame gets an error naming its schema.
#include <catch2/catch.hpp>

#include <set>

#include "actors/feature_store_router.hpp"
#include "actor_env.hpp"
#include "feature_checks.hpp"
#include "feature_wire.hpp"
#include "temp_dir.hpp"
#include "wire/atoms.hpp"

using namespace lagom;
using namespace lagom::test;

namespace {

constexpr uint32_t shards = 3;

// Two groups keyed by id that hash to different shards, and a third.
struct names {
  std::string a = "attendance", b;
  names() {
    for (int i = 0; b.empty(); ++i) {
      std::string n = "players_" + std::to_string(i);
      if (actors::shard_of_group(n, shards) != actors::shard_of_group(a, shards))
        b = n;
    }
  }
};

storage::feature_schema schema_of(const std::string& feature) {
  return {{{"id", storage::feature_type::int64, 1}, {feature, storage::feature_type::float64, 1}},
          {"id"},
          {}};
}

storage::feature_frame rows_of_pairs(const std::string& feature, std::vector<int64_t> ids,
                                     std::vector<double> v) {
  storage::feature_frame f;
  f.columns = {i64_col("id", std::move(ids)), f64_col(feature, std::move(v))};
  return f;
}

struct fixture {
  temp_dir dir{"lagom-fs-router"};
  std::unique_ptr<actor_env> env = std::make_unique<actor_env>();
  caf::actor router;
  names n;
  void start() {
    REQUIRE(actors::spawn_feature_store(env->sys(), dir.path() + "/featurestore", shards, router));
    env->keep(router);
  }
  void create(const std::string& group, const std::string& feature, std::vector<int64_t> ids,
              std::vector<double> v) {
    wire::frame reply;
    auto s = schema_of(feature);
    REQUIRE(env->ask(router, reply, atoms::fs_write::value,
                     write_frame(group, storage::write_mode::create,
                                 rows_of_pairs(feature, std::move(ids), std::move(v)), &s)));
  }
};

} // namespace

TEST_CASE("the router places groups by name and lists and joins across shards", "[fs_router]") {
  fixture fx;
  fx.start();
  fx.create(fx.n.a, "average_attendance", {1, 2, 3}, {100, 200, 300});
  fx.create(fx.n.b, "average_player_age", {2, 3, 4}, {25, 26, 27});
  wire::frame reply;

  std::vector<std::pair<std::string, uint32_t>> list;
  REQUIRE(fx.env->ask(fx.router, reply, atoms::fs_list::value, group_frame("")));
  REQUIRE(list_of(reply, &list));
  REQUIRE(list.size() == 2);
  CHECK(list[0].first == fx.n.a);
  CHECK(list[0].second == actors::shard_of_group(fx.n.a, shards));
  CHECK(list[1].first == fx.n.b);
  CHECK(list[1].second == actors::shard_of_group(fx.n.b, shards));
  CHECK(list[0].second != list[1].second);

  storage::feature_query q;
  q.features = {"average_attendance", "average_player_age"};
  storage::feature_frame rows;
  REQUIRE(fx.env->ask(fx.router, reply, atoms::fs_query::value, query_frame(q)));
  REQUIRE(rows_of(reply, &rows));
  REQUIRE(rows.columns.size() == 3);
  CHECK(rows.columns[0].i64 == std::vector<int64_t>{2, 3});
  CHECK(rows.columns[1].f64 == std::vector<double>{200, 300});
  CHECK(rows.columns[2].f64 == std::vector<double>{25, 26});

  q.join = storage::join_kind::left;
  REQUIRE(fx.env->ask(fx.router, reply, atoms::fs_query::value, query_frame(q)));
  REQUIRE(rows_of(reply, &rows));
  CHECK(rows.columns[0].i64 == std::vector<int64_t>{1, 2, 3});
  CHECK(rows.columns[2].is_null(0));

  std::vector<bool> found;
  REQUIRE(fx.env->ask(fx.router, reply, atoms::fs_lookup::value,
                      lookup_frame(fx.n.b, {{int64_t{4}}})));
  REQUIRE(lookup_of(reply, &rows, &found));
  CHECK(found == std::vector<bool>{true});
  CHECK(rows.columns[1].f64[0] == 27);

  // After a restart every group is found on its shard again.
  fx.env = std::make_unique<actor_env>();
  fx.start();
  REQUIRE(fx.env->ask(fx.router, reply, atoms::fs_read::value, read_frame(fx.n.a)));
  REQUIRE(rows_of(reply, &rows));
  CHECK(rows.columns[1].f64 == std::vector<double>{100, 200, 300});
}

TEST_CASE("the router's errors name the feature, the candidates or the schema", "[fs_router]") {
  fixture fx;
  fx.start();
  fx.create(fx.n.a, "x", {1}, {1});
  fx.create(fx.n.b, "x", {1}, {2});
  wire::frame reply;
  storage::feature_query q;
  SECTION("a feature in two groups on two shards") {
    q.features = {"x"};
    auto st = fx.env->ask(fx.router, reply, atoms::fs_query::value, query_frame(q));
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.message().find(fx.n.a + ".x") != std::string::npos);
    CHECK(st.message().find(fx.n.b + ".x") != std::string::npos);
  }
  SECTION("an unknown feature") {
    q.features = {"nope"};
    auto st = fx.env->ask(fx.router, reply, atoms::fs_query::value, query_frame(q));
    CHECK(st.code() == errc::not_found);
    CHECK(st.where() == "nope");
  }
  SECTION("an unknown group") {
    auto st = fx.env->ask(fx.router, reply, atoms::fs_read::value, read_frame("ghost"));
    CHECK(st.code() == errc::not_found);
    CHECK(st.where().find("ghost") != std::string::npos);
  }
  SECTION("malformed frames") {
    auto st = fx.env->ask(fx.router, reply, atoms::fs_write::value, wire::frame{});
    CHECK(st.code() == errc::malformed_frame);
    CHECK(st.where() == "FeatureWrite");
    st = fx.env->ask(fx.router, reply, atoms::fs_query::value, group_frame("x"));
    CHECK(st.code() == errc::wrong_schema);
    CHECK(st.where() == "FeatureQuery");
    auto bad_join = wire::build<schema::FeatureQuery>([](schema::FeatureQuery::Builder b) {
      b.initFeatures(1).set(0, "x");
      b.setJoin(7);
    });
    st = fx.env->ask(fx.router, reply, atoms::fs_query::value, bad_join);
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.where() == "join");
  }
}
