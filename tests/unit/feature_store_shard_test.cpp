// feature_store_shard through its messages, with a real actor system and a
// real LMDB shard: a create and an append come back as versions, reads and
// lookups give the rows, statistics travel as the stored record; malformed
// frames and bad input get errors naming the problem, and nothing changes.
#include <catch2/catch.hpp>

#include "actors/feature_store_shard.hpp"
#include "actor_env.hpp"
#include "feature_checks.hpp"
#include "feature_wire.hpp"
#include "storage/feature_chunk.hpp"
#include "temp_dir.hpp"
#include "wire/atoms.hpp"

using namespace lagom;
using namespace lagom::test;

namespace {

storage::feature_schema player_schema() {
  return {{{"id", storage::feature_type::int64, 1}, {"age", storage::feature_type::float64, 1}},
          {"id"},
          {}};
}

storage::feature_frame players(std::vector<int64_t> ids, std::vector<double> ages) {
  storage::feature_frame f;
  f.columns = {i64_col("id", std::move(ids)), f64_col("age", std::move(ages))};
  return f;
}

struct fixture {
  temp_dir dir{"lagom-fs-shard"};
  actor_env env;
  caf::actor shard;
  fixture() {
    REQUIRE(actors::spawn_feature_store_shard(env.sys(), dir.path() + "/shard-0", 0, shard));
    env.keep(shard);
  }
};

} // namespace

TEST_CASE("a shard creates, appends, reads, looks up and lists through frames", "[fs_shard]") {
  fixture fx;
  wire::frame reply;
  auto schema = player_schema();
  REQUIRE(fx.env.ask(fx.shard, reply, atoms::fs_write::value,
                     write_frame("team", storage::write_mode::create, players({1, 2}, {20, 30}),
                                 &schema)));
  storage::version_info v;
  REQUIRE(version_of(reply, &v));
  CHECK(v.version == 1);
  CHECK(v.rows == 2);
  CHECK(v.schema == schema);
  REQUIRE(fx.env.ask(fx.shard, reply, atoms::fs_write::value,
                     write_frame("team", storage::write_mode::append, players({3}, {40}))));
  REQUIRE(version_of(reply, &v));
  CHECK(v.version == 2);
  CHECK(v.rows == 3);

  storage::feature_frame rows;
  REQUIRE(fx.env.ask(fx.shard, reply, atoms::fs_read::value, read_frame("team")));
  REQUIRE(rows_of(reply, &rows));
  REQUIRE(rows.rows() == 3);
  CHECK(rows.columns[1].f64 == std::vector<double>{20, 30, 40});
  REQUIRE(fx.env.ask(fx.shard, reply, atoms::fs_read::value, read_frame("team", 1)));
  REQUIRE(rows_of(reply, &rows));
  CHECK(rows.rows() == 2);

  std::vector<bool> found;
  REQUIRE(fx.env.ask(fx.shard, reply, atoms::fs_lookup::value,
                     lookup_frame("team", {{int64_t{3}}, {int64_t{9}}})));
  REQUIRE(lookup_of(reply, &rows, &found));
  CHECK(found == std::vector<bool>{true, false});
  CHECK(rows.columns[1].f64[0] == 40);

  std::vector<std::pair<std::string, uint32_t>> list;
  REQUIRE(fx.env.ask(fx.shard, reply, atoms::fs_list::value, group_frame("")));
  REQUIRE(list_of(reply, &list));
  CHECK(list == std::vector<std::pair<std::string, uint32_t>>{{"team", 0}});
  REQUIRE(fx.env.ask(fx.shard, reply, atoms::fs_list::value, group_frame("team")));
  REQUIRE(list_of(reply, &list));
  CHECK(list.size() == 2);  // both versions

  REQUIRE(fx.env.ask(fx.shard, reply, atoms::fs_stats::value, group_frame("team")));
  storage::feature_statistics stats;
  REQUIRE(wire::read<schema::FeatureStatistics>(reply, [&](auto r) {
    CHECK(r.getVersion() == 2);
    auto d = r.getRecord();
    return storage::decode_statistics(
      std::string_view(reinterpret_cast<const char*>(d.begin()), d.size()), "test", &stats);
  }));
  const auto* age = stats.find("age");
  REQUIRE(age != nullptr);
  CHECK(age->count == 3);
  CHECK(age->mean == Approx(30));

  REQUIRE(fx.env.tell(fx.shard, atoms::fs_drop::value, group_frame("team")));
  auto gone = fx.env.ask(fx.shard, reply, atoms::fs_read::value, read_frame("team"));
  CHECK(gone.code() == errc::not_found);
  CHECK(gone.where() == "team");
}

TEST_CASE("a shard refuses malformed frames and bad writes naming them, storing nothing", "[fs_shard]") {
  fixture fx;
  wire::frame reply;
  auto schema = player_schema();
  REQUIRE(fx.env.ask(fx.shard, reply, atoms::fs_write::value,
                     write_frame("team", storage::write_mode::create, players({1, 2}, {20, 30}),
                                 &schema)));
  SECTION("an empty frame") {
    auto st = fx.env.ask(fx.shard, reply, atoms::fs_write::value, wire::frame{});
    CHECK(st.code() == errc::malformed_frame);
    CHECK(st.where() == "FeatureWrite");
  }
  SECTION("a frame of another schema") {
    auto st = fx.env.ask(fx.shard, reply, atoms::fs_read::value, group_frame("team"));
    CHECK(st.code() == errc::wrong_schema);
    CHECK(st.where() == "FeatureRead");
  }
  SECTION("garbage bytes under the right schema id") {
    const char junk[16] = {0x7f, 0x7f, 0x7f, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    wire::frame f;
    REQUIRE(wire::frame::from_bytes(wire::schema_id<schema::FeatureLookup>(), junk, 16, f));
    auto st = fx.env.ask(fx.shard, reply, atoms::fs_lookup::value, f);
    CHECK(st.code() == errc::malformed_frame);
    CHECK(st.where() == "FeatureLookup");
  }
  SECTION("an unknown write mode") {
    auto f = wire::build<schema::FeatureWrite>([](schema::FeatureWrite::Builder b) {
      b.setGroup("team");
      b.setMode(9);
    });
    auto st = fx.env.ask(fx.shard, reply, atoms::fs_write::value, f);
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.where() == "mode");
  }
  SECTION("a column chunk that lies about its type") {
    auto f = wire::build<schema::FeatureWrite>([](schema::FeatureWrite::Builder b) {
      b.setGroup("team");
      b.setMode(2);
      auto cols = b.initRows().initColumns(1);
      cols[0].setName("id");
      cols[0].setType(1);
      cols[0].setWidth(1);
      std::string chunk = storage::encode_chunk(f64_col("id", {1.5}), 0, 1);
      cols[0].setChunk(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(chunk.data()),
                                           chunk.size()));
    });
    auto st = fx.env.ask(fx.shard, reply, atoms::fs_write::value, f);
    CHECK(!st);
    CHECK(st.where().find("rows.columns[0]") != std::string::npos);
  }
  SECTION("an append whose schema does not match") {
    storage::feature_frame bad;
    bad.columns = {i64_col("id", {5}), str_col("age", {"old"})};
    auto st = fx.env.ask(fx.shard, reply, atoms::fs_write::value,
                         write_frame("team", storage::write_mode::append, bad));
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.where().find("team") != std::string::npos);
  }
  SECTION("a duplicate key") {
    auto st = fx.env.ask(fx.shard, reply, atoms::fs_write::value,
                         write_frame("team", storage::write_mode::append, players({2}, {1})));
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.message().find("2") != std::string::npos);
  }
  // Whatever was refused, version 1 is all there is, unchanged.
  std::vector<std::pair<std::string, uint32_t>> list;
  REQUIRE(fx.env.ask(fx.shard, reply, atoms::fs_list::value, group_frame("team")));
  REQUIRE(list_of(reply, &list));
  CHECK(list.size() == 1);
  storage::feature_frame rows;
  REQUIRE(fx.env.ask(fx.shard, reply, atoms::fs_read::value, read_frame("team")));
  REQUIRE(rows_of(reply, &rows));
  CHECK(rows.columns[0].i64 == std::vector<int64_t>{1, 2});
  CHECK(rows.columns[1].f64 == std::vector<double>{20, 30});
}
