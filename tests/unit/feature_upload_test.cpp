// storage::upload_stage (the parts of a chunked write, held until the write's
// last frame) and, through a real feature_store_router over real shards, a
// chunked write: one version whole when its last frame comes, none when it
// never comes (the client stopped mid-upload), none when the count of parts
// is wrong; parts out of order, of another group or past the bound refused.
#include <catch2/catch.hpp>

#include <algorithm>

#include "actors/feature_store_router.hpp"
#include "actor_env.hpp"
#include "feature_checks.hpp"
#include "feature_wire.hpp"
#include "storage/feature_upload.hpp"
#include "temp_dir.hpp"
#include "wire/atoms.hpp"

using namespace lagom;
using namespace lagom::test;

namespace {

storage::feature_frame numbered(int64_t first, int64_t n) {
  std::vector<int64_t> ids;
  std::vector<double> v;
  for (int64_t i = first; i < first + n; ++i)
    ids.push_back(i), v.push_back(double(i) / 2);
  storage::feature_frame f;
  f.columns = {i64_col("id", std::move(ids)), f64_col("x", std::move(v))};
  return f;
}

storage::feature_schema schema() {
  return {{{"id", storage::feature_type::int64, 1}, {"x", storage::feature_type::float64, 1}},
          {"id"},
          {}};
}

wire::frame part_frame(const std::string& group, uint64_t upload, uint32_t seq,
                       const storage::feature_frame& rows) {
  return wire::build<schema::FeatureWritePart>([&](schema::FeatureWritePart::Builder b) {
    b.setGroup(group);
    b.setUpload(upload);
    b.setSeq(seq);
    actors::frames::to_wire(b.initRows(), rows);
  });
}

wire::frame last_frame(const std::string& group, uint64_t upload, uint32_t parts,
                       const storage::feature_frame& rows) {
  auto s = schema();
  return wire::build<schema::FeatureWrite>([&](schema::FeatureWrite::Builder b) {
    b.setGroup(group);
    b.setMode(static_cast<uint8_t>(storage::write_mode::create));
    actors::frames::to_wire(b.initSchema(), s);
    actors::frames::to_wire(b.initRows(), rows);
    b.setUpload(upload);
    b.setParts(parts);
  });
}

} // namespace

TEST_CASE("upload_stage joins parts in order and refuses what does not fit", "[fs_upload]") {
  storage::upload_stage st({1000, 2, 100});
  REQUIRE(st.add(7, "g", 0, numbered(0, 3), 100, 0));
  REQUIRE(st.add(7, "g", 1, numbered(3, 3), 100, 10));
  // out of order, another group: refused, and the upload is dropped
  auto wrong = st.add(7, "g", 5, numbered(6, 1), 10, 20);
  CHECK(wrong.code() == errc::invalid_argument);
  CHECK(wrong.where() == "upload 7");
  CHECK(st.uploads() == 0);
  CHECK(st.bytes() == 0);
  // a part of an upload never started
  CHECK(st.add(8, "g", 1, numbered(0, 1), 10, 0).code() == errc::invalid_argument);

  REQUIRE(st.add(9, "g", 0, numbered(0, 2), 100, 0));
  REQUIRE(st.add(9, "g", 1, numbered(2, 2), 100, 0));
  CHECK(st.add(9, "h", 2, numbered(4, 2), 100, 0).message().find("belongs to group g") !=
        std::string::npos);
  REQUIRE(st.add(9, "g", 0, numbered(0, 2), 100, 0)); // started again
  REQUIRE(st.add(9, "g", 1, numbered(2, 2), 100, 0));
  storage::feature_frame joined;
  REQUIRE(st.take(9, "g", 2, numbered(4, 1), &joined));
  REQUIRE(joined.rows() == 5);
  for (int64_t i = 0; i < 5; ++i) {
    CHECK(joined.columns[0].i64[size_t(i)] == i);
    CHECK(joined.columns[1].f64[size_t(i)] == double(i) / 2);
  }
  CHECK(st.uploads() == 0);
  CHECK(st.take(9, "g", 0, numbered(0, 1), &joined).message().find("no such upload") !=
        std::string::npos);

  // bounds: bytes, uploads
  REQUIRE(st.add(1, "g", 0, numbered(0, 1), 600, 0));
  CHECK(st.add(2, "g", 0, numbered(0, 1), 600, 0).code() == errc::unavailable);
  REQUIRE(st.add(3, "g", 0, numbered(0, 1), 100, 0));
  CHECK(st.add(4, "g", 0, numbered(0, 1), 100, 0).code() == errc::unavailable);
  // idle uploads expire; a touched one stays
  REQUIRE(st.add(3, "g", 1, numbered(1, 1), 100, 150));
  CHECK(st.expire(200) == 1);
  CHECK(st.uploads() == 1);
  CHECK(st.expire(251) == 1);
  CHECK(st.bytes() == 0);
}

TEST_CASE("slice_rows and append_frame give back the frame they cut", "[fs_upload]") {
  storage::feature_frame f;
  storage::feature_column img;
  img.spec = {"image", storage::feature_type::u8_vector, 3};
  for (uint8_t i = 0; i < 12; ++i)
    img.u8.push_back(i);
  img.valid = {1, 0, 1, 1};
  f.columns = {i64_col("id", {0, 1, 2, 3}), img};
  storage::feature_frame back;
  for (size_t b = 0; b < 4; b += 3)
    REQUIRE(storage::append_frame(&back, storage::slice_rows(f, b, std::min<size_t>(4, b + 3)),
                                  "t"));
  CHECK(back.columns[0].i64 == f.columns[0].i64);
  CHECK(back.columns[1].u8 == f.columns[1].u8);
  CHECK(back.columns[1].valid == f.columns[1].valid);
  CHECK(storage::frame_bytes(f) == 4 * 8 + 12 + 4);
  // another column set
  CHECK(storage::append_frame(&back, numbered(0, 1), "part 2").where() == "part 2");
}

TEST_CASE("a chunked write through the router is one version, or none when cut off", "[fs_upload]") {
  temp_dir dir{"lagom-fs-upload"};
  actor_env env;
  caf::actor router;
  REQUIRE(actors::spawn_feature_store(env.sys(), dir.path() + "/featurestore", 2, router));
  env.keep(router);
  wire::frame reply;
  std::vector<std::pair<std::string, uint32_t>> list;

  // the client sends two parts and stops: nothing is visible
  REQUIRE(env.tell(router, atoms::fs_part::value, part_frame("cut", 11, 0, numbered(0, 100))));
  REQUIRE(env.tell(router, atoms::fs_part::value, part_frame("cut", 11, 1, numbered(100, 100))));
  REQUIRE(env.ask(router, reply, atoms::fs_list::value, group_frame("")));
  REQUIRE(list_of(reply, &list));
  CHECK(list.empty());
  // a last frame naming the wrong count of parts: refused, still nothing
  auto wrong = env.ask(router, reply, atoms::fs_write::value, last_frame("cut", 11, 3, numbered(200, 1)));
  CHECK(wrong.code() == errc::invalid_argument);
  CHECK(wrong.where() == "upload 11");
  REQUIRE(env.ask(router, reply, atoms::fs_list::value, group_frame("")));
  REQUIRE(list_of(reply, &list));
  CHECK(list.empty());
  // a last frame of an upload that is gone
  CHECK(env.ask(router, reply, atoms::fs_write::value, last_frame("cut", 11, 2, numbered(200, 1)))
          .message()
          .find("no such upload") != std::string::npos);

  // whole: three parts and the last rows make version 1 with every row
  for (uint32_t p = 0; p < 3; ++p)
    REQUIRE(env.tell(router, atoms::fs_part::value,
                     part_frame("whole", 12, p, numbered(int64_t(p) * 1000, 1000))));
  REQUIRE(env.ask(router, reply, atoms::fs_write::value, last_frame("whole", 12, 3, numbered(3000, 5))));
  storage::version_info v;
  REQUIRE(wire::read<schema::FeatureVersion>(reply, [&](schema::FeatureVersion::Reader r) {
    return actors::frames::from_wire(r, &v);
  }));
  CHECK(v.version == 1);
  CHECK(v.rows == 3005);
  REQUIRE(env.ask(router, reply, atoms::fs_read::value, read_frame("whole")));
  storage::feature_frame rows;
  REQUIRE(rows_of(reply, &rows));
  REQUIRE(rows.rows() == 3005);
  CHECK(rows.columns[0].i64.front() == 0);
  CHECK(rows.columns[0].i64.back() == 3004);
  REQUIRE(env.ask(router, reply, atoms::fs_list::value, group_frame("")));
  REQUIRE(list_of(reply, &list));
  REQUIRE(list.size() == 1);
  CHECK(list[0].first == "whole");
  CHECK(list[0].second == actors::shard_of_group("whole", 2)); // on its shard
}
