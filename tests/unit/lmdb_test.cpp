// storage::lmdb: env/txn/cursor RAII, errors as values, map growth, MVCC.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "storage/encoding.hpp"
#include "storage/lmdb.hpp"
#include "temp_dir.hpp"

using namespace lagom;
using namespace lagom::storage;

namespace {

struct fixture {
  test::temp_dir dir{"lagom-lmdb"};
  lmdb_env env;
  db_handle db;

  explicit fixture(env_options options = {}) { reopen(options); }

  void reopen(env_options options = {}) {
    env = lmdb_env();
    REQUIRE(lmdb_env::open(dir / "env", options, &env).is_ok());
    REQUIRE(env.open_db("things", &db).is_ok());
  }

  status put(const std::string& key, const std::string& value) {
    return env.update([&](write_txn& t) { return t.put(db, key, value); });
  }

  std::string get(const std::string& key) {
    read_txn t;
    REQUIRE(env.begin_read(&t).is_ok());
    std::string_view v;
    status st = t.get(db, key, &v);
    return st ? std::string(v) : "<" + std::string(to_string(st.code())) + ">";
  }
};

} // namespace

TEST_CASE("lmdb: put and get round trip, and survive closing and reopening") {
  fixture f;
  REQUIRE(f.put("alpha", "1").is_ok());
  REQUIRE(f.put(std::string("bin\0key", 7), std::string("\0\xff", 2)).is_ok());
  CHECK(f.get("alpha") == "1");
  f.reopen();
  CHECK(f.get("alpha") == "1");
  CHECK(f.get(std::string("bin\0key", 7)) == std::string("\0\xff", 2));
}

TEST_CASE("lmdb: a missing key is not_found naming path, database and key") {
  fixture f;
  read_txn t;
  REQUIRE(f.env.begin_read(&t).is_ok());
  std::string_view v;
  status st = t.get(f.db, std::string("k\x01", 2), &v);
  CHECK(st.code() == errc::not_found);
  CHECK(st.where() == f.dir / "env" + " [things] k\\x01");
}

TEST_CASE("lmdb: a write transaction destroyed without commit stores nothing") {
  fixture f;
  {
    write_txn t;
    REQUIRE(f.env.begin_write(&t).is_ok());
    REQUIRE(t.put(f.db, "k", "v").is_ok());
  }
  CHECK(f.get("k") == "<not_found>");
  status st = f.env.update([&](write_txn& t) {
    REQUIRE(t.put(f.db, "k", "v").is_ok());
    return status::error(errc::invalid_argument, "changed my mind");
  });
  CHECK(st.message() == "changed my mind");
  CHECK(f.get("k") == "<not_found>");
}

TEST_CASE("lmdb: a moved transaction commits once, del removes a key") {
  fixture f;
  write_txn a;
  REQUIRE(f.env.begin_write(&a).is_ok());
  REQUIRE(a.put(f.db, "k", "v").is_ok());
  write_txn b = std::move(a);
  CHECK_FALSE(a.is_active());
  CHECK(a.commit().code() == errc::internal);
  REQUIRE(b.commit().is_ok());
  CHECK(f.get("k") == "v");
  CHECK(f.env.update([&](write_txn& t) { return t.del(f.db, "k"); }).is_ok());
  CHECK(f.env.update([&](write_txn& t) { return t.del(f.db, "k"); }).code() == errc::not_found);
}

TEST_CASE("lmdb: for_each walks one prefix in key order and may stop early") {
  fixture f;
  for (uint32_t i : {300u, 2u, 70000u, 1u})
    REQUIRE(f.put("run" + be32(i), std::to_string(i)).is_ok());
  REQUIRE(f.put("rum", "before").is_ok());
  REQUIRE(f.put("ruo", "after").is_ok());
  read_txn t;
  REQUIRE(f.env.begin_read(&t).is_ok());
  std::vector<std::string> seen;
  REQUIRE(t.for_each(f.db, "run", [&](std::string_view, std::string_view v) {
               seen.emplace_back(v);
               return true;
             }).is_ok());
  CHECK(seen == std::vector<std::string>{"1", "2", "300", "70000"});
  seen.clear();
  REQUIRE(t.for_each(f.db, "run", [&](std::string_view, std::string_view v) {
               seen.emplace_back(v);
               return seen.size() < 2;
             }).is_ok());
  CHECK(seen.size() == 2);
}

TEST_CASE("lmdb: a cursor seeks, steps both ways and reports the ends") {
  fixture f;
  for (auto k : {"b", "d", "f"})
    REQUIRE(f.put(k, k).is_ok());
  read_txn t;
  REQUIRE(f.env.begin_read(&t).is_ok());
  cursor c;
  REQUIRE(t.open_cursor(f.db, &c).is_ok());
  REQUIRE(c.seek("c").is_ok());
  CHECK(c.key() == "d");
  REQUIRE(c.prev().is_ok());
  CHECK(c.value() == "b");
  REQUIRE(c.prev().is_ok());
  CHECK_FALSE(c.valid());
  REQUIRE(c.last().is_ok());
  CHECK(c.key() == "f");
  REQUIRE(c.next().is_ok());
  CHECK_FALSE(c.valid());
  REQUIRE(c.seek("g").is_ok());
  CHECK_FALSE(c.valid());
}

TEST_CASE("lmdb: an empty or oversized key is invalid_argument naming the database") {
  fixture f;
  status st = f.put("", "v");
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where().find("[things]") != std::string::npos);
  st = f.put(std::string(600, 'k'), "v");
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.message().find("600 bytes") != std::string::npos);
}

TEST_CASE("lmdb: a full map is a clear io_error, and grows when allowed") {
  env_options small;
  small.map_size = 128 * 1024;
  fixture f(small);
  std::string big(256 * 1024, 'x');
  status st = f.put("big", big);
  REQUIRE(st.code() == errc::io_error);
  CHECK(st.message().find("LMDB map is full") != std::string::npos);
  CHECK(st.message().find("map_size") != std::string::npos);
  CHECK(st.where() == f.dir / "env" + " [things] big");
  CHECK(f.get("big") == "<not_found>");

  env_options growing = small;
  growing.max_map_size = 4 * 1024 * 1024;
  f.reopen(growing);
  REQUIRE(f.put("big", big).is_ok());
  CHECK(f.env.map_size() > small.map_size);
  CHECK(f.env.map_size() <= growing.max_map_size);
  f.reopen(small);  // the file keeps its data; LMDB never maps less than it
  CHECK(f.get("big") == big);
}

TEST_CASE("lmdb: a reader keeps its snapshot while a writer commits") {
  fixture f;
  REQUIRE(f.put("k", "old").is_ok());
  read_txn before;
  REQUIRE(f.env.begin_read(&before).is_ok());
  status written;  // Catch2 assertions stay on the main thread
  std::thread writer([&] { written = f.put("k", "new"); });
  writer.join();
  REQUIRE(written.is_ok());
  std::string_view v;
  REQUIRE(before.get(f.db, "k", &v).is_ok());
  CHECK(v == "old");
  before.end();
  CHECK(f.get("k") == "new");
}

TEST_CASE("lmdb: concurrent readers always see whole commits") {
  fixture f;
  constexpr uint32_t n = 300;
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, reads{0};
  auto reader = [&] {
    while (!stop) {
      read_txn t;
      if (!f.env.begin_read(&t)) {
        ++bad;
        return;
      }
      // Each commit writes item i and then count = i + 1, in one transaction.
      std::string_view count_bytes;
      uint32_t count = 0;
      if (t.get(f.db, "count", &count_bytes))
        count = byte_reader(count_bytes).u32();
      uint32_t items = 0;
      t.for_each(f.db, "item", [&](std::string_view, std::string_view) {
        ++items;
        return true;
      });
      bad += items != count;
      ++reads;
    }
  };
  std::thread r1(reader), r2(reader);
  for (uint32_t i = 0; i < n; ++i)
    REQUIRE(f.env.update([&](write_txn& t) {
      status st = t.put(f.db, "item" + be32(i), "x");
      return st ? t.put(f.db, "count", be32(i + 1)) : st;
    }).is_ok());
  stop = true;
  r1.join();
  r2.join();
  CHECK(bad == 0);
  CHECK(reads > 0);
}

TEST_CASE("lmdb: calls on an environment that is not open are internal errors") {
  lmdb_env env;
  read_txn t;
  CHECK(env.begin_read(&t).code() == errc::internal);
  db_handle db;
  CHECK(env.open_db("x", &db).code() == errc::internal);
  test::temp_dir dir{"lagom-lmdb"};
  CHECK(lmdb_env::open(dir / "missing/parent", {}, &env).code() == errc::io_error);
}

TEST_CASE("lmdb: reserve stores a value filled in place, and checks keys as put") {
  fixture f;
  std::string big(3 << 20, '\0');  // past a page: an overflow value
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i * 31 % 251);
  REQUIRE(f.env
            .update([&](write_txn& t) {
              char* small = nullptr;
              char* at = nullptr;
              if (auto st = t.reserve(f.db, "small", 3, &small); !st)
                return st;
              std::memcpy(small, "abc", 3);
              if (auto st = t.reserve(f.db, "big", big.size(), &at); !st)
                return st;
              std::memcpy(at, big.data(), big.size());
              return status::ok();
            })
            .is_ok());
  CHECK(f.get("small") == "abc");
  CHECK(f.get("big") == big);
  status st = f.env.update([&](write_txn& t) {
    char* at = nullptr;
    return t.reserve(f.db, "", 4, &at);
  });
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where().find("[things]") != std::string::npos);
}
