// storage::checkpoint_store: save/load, retention, corrupt and truncated files
// detected and passed over, crash leftovers ignored and cleaned.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "storage/checkpoint_store.hpp"
#include "storage/encoding.hpp"
#include "temp_dir.hpp"

using namespace lagom;
using namespace lagom::storage;
namespace fs = std::filesystem;

namespace {

struct fixture {
  test::temp_dir data{"lagom-ckpt"};
  checkpoint_store store;

  explicit fixture(checkpoint_options options = {}) { reopen(options); }

  void reopen(checkpoint_options options = {}) {
    REQUIRE(checkpoint_store::open(data.path(), "mnist", 4, options, &store).is_ok());
  }

  void save(uint64_t step, const std::string& payload = "") {
    named_values meta;
    meta.set("epoch", double(step));
    REQUIRE(store.save(step, payload.empty() ? "weights@" + std::to_string(step) : payload, meta)
              .is_ok());
  }

  std::vector<uint64_t> steps() {
    std::vector<uint64_t> out;
    REQUIRE(store.steps(&out).is_ok());
    return out;
  }

  // Overwrites one byte of the file of `step`, `from_end` bytes before its end.
  void flip(uint64_t step, size_t from_end) {
    std::fstream f(store.path_of(step), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-static_cast<std::streamoff>(from_end), std::ios::end);
    char c = static_cast<char>(f.get());
    f.seekp(-static_cast<std::streamoff>(from_end), std::ios::end);
    f.put(static_cast<char>(c ^ 0x5a));
  }
};

} // namespace

TEST_CASE("checkpoint_store: a checkpoint round trips through its file") {
  fixture f;
  std::string payload("\0\x01\xffweights", 10);
  named_values meta;
  meta.set("epoch", 3.0);
  meta.set("optimizer", std::string("adam"));
  checkpoint_info info;
  REQUIRE(f.store.save(7, payload, meta, &info).is_ok());
  CHECK(info.path == f.data.path() + "/checkpoints/mnist/4/ckpt-7.lgck");
  byte_writer encoded;
  encoded.values(meta);
  CHECK(fs::file_size(info.path) == 36 + encoded.bytes().size() + payload.size());

  f.reopen();
  checkpoint c;
  REQUIRE(f.store.load(7, &c).is_ok());
  CHECK(c.payload == payload);
  CHECK(c.info.step == 7);
  CHECK(c.info.payload_bytes == payload.size());
  CHECK(c.info.metadata.text("optimizer", "") == "adam");
  CHECK(c.info.metadata.number("epoch", 0) == 3.0);

  status st = f.store.load(8, &c);
  CHECK(st.code() == errc::not_found);
  CHECK(st.where() == f.store.path_of(8));
}

TEST_CASE("checkpoint_store: latest is the highest step, empty and large payloads") {
  fixture f(checkpoint_options{0});
  checkpoint_info info;
  CHECK(f.store.latest(&info).code() == errc::not_found);
  std::string big(3 * 1024 * 1024 + 17, 'w');  // crosses the 1 MiB read chunks
  big[2 * 1024 * 1024] = 'x';
  f.save(10, big);
  REQUIRE(f.store.save(2, "", {}).is_ok());
  REQUIRE(f.store.latest(&info).is_ok());
  CHECK(info.step == 10);
  CHECK(info.payload_bytes == big.size());
  checkpoint c;
  REQUIRE(f.store.load_latest(&c).is_ok());
  CHECK(c.payload == big);
  REQUIRE(f.store.load(2, &c).is_ok());
  CHECK(c.payload.empty());
}

TEST_CASE("checkpoint_store: retention keeps the newest K, and always the one just saved") {
  fixture f;  // keep_last = 3
  for (uint64_t step = 1; step <= 5; ++step)
    f.save(step * 100);
  CHECK(f.steps() == std::vector<uint64_t>{300, 400, 500});
  f.save(50);  // a restarted run saving an older step keeps it
  CHECK(f.steps() == std::vector<uint64_t>{50, 400, 500});

  fixture one(checkpoint_options{1});
  one.save(1);
  one.save(2);
  CHECK(one.steps() == std::vector<uint64_t>{2});
  fixture all(checkpoint_options{0});
  for (uint64_t step = 1; step <= 5; ++step)
    all.save(step);
  CHECK(all.steps().size() == 5);
}

TEST_CASE("checkpoint_store: a flipped byte is detected, named and passed over") {
  fixture f;
  f.save(1);
  f.save(2);
  f.save(3);
  f.flip(3, 2);  // inside the payload
  checkpoint c;
  status st = f.store.load(3, &c);
  CHECK(st.code() == errc::io_error);
  CHECK(st.where() == f.store.path_of(3));
  CHECK(st.message().find("payload checksum mismatch") != std::string::npos);

  f.flip(2, fs::file_size(f.store.path_of(2)) - 10);  // inside the header (the step)
  CHECK(f.store.load(2, &c).message() == "corrupt checkpoint: header checksum mismatch");

  std::vector<status> skipped;
  checkpoint_info info;
  REQUIRE(f.store.latest(&info, &skipped).is_ok());
  CHECK(info.step == 1);
  REQUIRE(skipped.size() == 2);
  CHECK(skipped[0].where() == f.store.path_of(3));
  CHECK(skipped[1].where() == f.store.path_of(2));

  f.flip(1, 1);
  st = f.store.load_latest(&c);
  CHECK(st.code() == errc::not_found);
  CHECK(st.message() == "no checkpoint checks out (3 passed over)");
}

TEST_CASE("checkpoint_store: truncated, padded or misnamed files are detected") {
  fixture f;
  f.save(1);
  f.save(2);
  auto size = fs::file_size(f.store.path_of(2));
  fs::resize_file(f.store.path_of(2), size - 3);
  checkpoint c;
  status st = f.store.load(2, &c);
  CHECK(st.code() == errc::io_error);
  CHECK(st.message().find("truncated: " + std::to_string(size - 3)) != std::string::npos);
  checkpoint_info info;
  REQUIRE(f.store.latest(&info).is_ok());
  CHECK(info.step == 1);

  fs::resize_file(f.store.path_of(2), 20);
  CHECK(f.store.load(2, &c).message().find("shorter than the 36-byte header") !=
        std::string::npos);
  std::ofstream(f.store.path_of(1), std::ios::app) << "x";
  CHECK(f.store.load(1, &c).message().find("too long") != std::string::npos);

  f.save(5);
  fs::copy_file(f.store.path_of(5), f.store.path_of(6));  // the name lies about the step
  CHECK(f.store.load(6, &c).message() ==
        "corrupt checkpoint: header says step 5, the file name 6");
  {
    std::fstream v(f.store.path_of(5), std::ios::in | std::ios::out | std::ios::binary);
    v.seekp(5);
    v.put('\x02');  // format version 2
  }
  CHECK(f.store.load(5, &c).message() ==
        "unsupported checkpoint version 2 (this build reads version 1)");
  std::ofstream(f.store.path_of(7)) << "not a checkpoint at all, but long enough to read";
  CHECK(f.store.load(7, &c).message().find("no LGCK magic") != std::string::npos);
}

TEST_CASE("checkpoint_store: .tmp leftovers are ignored, then cleaned on open") {
  fixture f;
  f.save(1);
  std::string leftover = f.store.dir() + "/ckpt-9.tmp";
  std::ofstream(leftover) << "half a checkpoint";
  std::ofstream(f.store.dir() + "/notes.txt") << "not ours";
  std::ofstream(f.store.dir() + "/ckpt-007.lgck") << "not a canonical name";
  std::ofstream(f.store.dir() + "/ckpt-x.lgck") << "not a step";
  CHECK(f.steps() == std::vector<uint64_t>{1});
  checkpoint_info info;
  REQUIRE(f.store.latest(&info).is_ok());
  CHECK(info.step == 1);
  f.reopen();
  CHECK_FALSE(fs::exists(leftover));
  CHECK(fs::exists(f.store.dir() + "/notes.txt"));
}

TEST_CASE("checkpoint_store: bad names and metadata are refused naming the field") {
  test::temp_dir data{"lagom-ckpt"};
  checkpoint_store store;
  CHECK(checkpoint_store::open(data.path(), "../escape", 1, {}, &store).where() == "experiment");
  CHECK(checkpoint_store::open(data.path(), "", 1, {}, &store).where() == "experiment");
  CHECK(checkpoint_store::open("", "x", 1, {}, &store).where() == "data directory");
  CHECK(store.save(1, "p", {}).code() == errc::internal);  // never opened
  REQUIRE(checkpoint_store::open(data / "deeper/still", "x", 1, {}, &store).is_ok());
  named_values meta;
  meta.set("bad\nkey", 1.0);
  status st = store.save(1, "p", meta);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == "metadata");
  std::vector<uint64_t> steps;
  REQUIRE(store.steps(&steps).is_ok());
  CHECK(steps.empty());
}
