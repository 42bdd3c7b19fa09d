// storage::encoding: byte layouts, key order, the reader's limits, name rules.
#include <catch2/catch.hpp>

#include <limits>
#include <string>

#include "storage/encoding.hpp"
#include "storage/lmdb.hpp"
#include "temp_dir.hpp"

using namespace lagom;
using namespace lagom::storage;

TEST_CASE("encoding: fields round trip in the documented layout") {
  named_values v;
  v.set("lr", 0.001);
  v.set("optimizer", std::string("adam"));
  byte_writer w;
  w.u8(1);
  w.u16(0xbeef);
  w.u32(7);
  w.i64(-5);
  w.f64(-0.25);
  w.str("hello");
  w.values(v);
  CHECK(w.bytes().substr(0, 7) == std::string("\x01\xbe\xef\x00\x00\x00\x07", 7));

  byte_reader r(w.bytes());
  CHECK(r.u8() == 1);
  CHECK(r.u16() == 0xbeef);
  CHECK(r.u32() == 7);
  CHECK(r.i64() == -5);
  CHECK(r.f64() == -0.25);
  CHECK(r.str() == "hello");
  named_values back = r.values();
  CHECK(r.done());
  REQUIRE(back.size() == 2);
  CHECK(back.number("lr", 0) == 0.001);
  CHECK(back.text("optimizer", "") == "adam");
  CHECK(back.entries()[0].first == "lr");  // order kept
}

TEST_CASE("encoding: big-endian keys sort as numbers, names end with 0x00") {
  CHECK(be64(255) < be64(256));
  CHECK(be32(1) < be32(std::numeric_limits<uint32_t>::max()));
  byte_writer a, b;
  a.key_name("loss");
  a.u64(99);
  b.key_name("loss2");
  b.u64(0);
  CHECK(a.bytes() < b.bytes());
}

TEST_CASE("encoding: a short or lying record fails the reader, never overreads") {
  const std::string two_bytes("\x01\x02", 2);  // readers borrow: it outlives them
  byte_reader short_read(two_bytes);
  CHECK(short_read.u32() == 0);
  CHECK_FALSE(short_read.ok());

  byte_writer w;
  w.u32(1000000);  // a string length far beyond the bytes that follow
  w.raw("abc");
  byte_reader lying(w.bytes());
  CHECK(lying.str().empty());
  CHECK_FALSE(lying.ok());

  byte_writer count;
  count.u32(0xffffffff);  // a values count that would allocate gigabytes
  byte_reader huge(count.bytes());
  CHECK(huge.values().empty());
  CHECK_FALSE(huge.ok());

  byte_writer tag;
  tag.u32(1);
  tag.str("x");
  tag.u8(9);  // no such tag
  byte_reader bad_tag(tag.bytes());
  bad_tag.values();
  CHECK_FALSE(bad_tag.ok());

  byte_reader extra(two_bytes);
  extra.u8();
  CHECK(extra.ok());
  CHECK_FALSE(extra.done());
}

TEST_CASE("encoding: names are checked, and the error names the field") {
  CHECK(check_name("name", "mnist-cnn_2 (lr sweep)", true).is_ok());
  CHECK(check_name("metric", "train/loss", false).is_ok());

  status st = check_name("name", "", true);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == "name");
  CHECK(st.message() == "must not be empty");

  st = check_name("name", "a/b", true);
  CHECK(st.where() == "name");
  CHECK(st.message().find("'/'") != std::string::npos);

  st = check_name("metric", std::string("lo\nss"), false);
  CHECK(st.where() == "metric");
  CHECK(st.message().find("lo\\x0ass") != std::string::npos);

  CHECK_FALSE(check_name("name", "..", true));
  CHECK(check_name("name", std::string(max_name_bytes, 'a'), true).is_ok());
  st = check_name("name", std::string(max_name_bytes + 1, 'a'), true);
  CHECK(st.message().find("at most 200") != std::string::npos);
}

TEST_CASE("encoding: values are checked by name and text size") {
  named_values v;
  v.set("lr", 0.1);
  CHECK(check_values("hyperparameters", v).is_ok());
  v.set("", 1.0);
  CHECK(check_values("hyperparameters", v).where() == "hyperparameters");
  named_values t;
  t.set("notes", std::string(max_text_bytes + 1, 'x'));
  status st = check_values("metadata", t);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == "metadata.notes");
}

TEST_CASE("encoding: printable escapes what a terminal would not show") {
  CHECK(printable(std::string("a\0b\\\xff", 5)) == "a\\x00b\\x5c\\xff");
}

TEST_CASE("encoding: a table's layout version is written once, then checked") {
  test::temp_dir dir{"lagom-encoding"};
  lmdb_env env;
  db_handle meta;
  REQUIRE(lmdb_env::open(dir / "env", {}, &env).is_ok());
  REQUIRE(env.open_db("meta", &meta).is_ok());
  auto check = [&](uint32_t version) {
    return env.update([&](write_txn& t) { return check_layout_version(t, meta, version, "t"); });
  };
  CHECK(check(3).is_ok());  // new: stored
  CHECK(check(3).is_ok());  // same: fine
  status st = check(4);
  CHECK(st.code() == errc::io_error);
  CHECK(st.where() == "t");
  CHECK(st.message() == "layout version 3; this build reads version 4");
  REQUIRE(env.update([&](write_txn& t) { return t.put(meta, "layout_version", "x"); }).is_ok());
  CHECK(check(4).message() == "layout version unreadable; this build reads version 4");
}
