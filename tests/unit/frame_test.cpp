// wire::frame and wire::read: round trips and every kind of malformed frame.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "schemas/cluster.capnp.h"
#include "wire/read.hpp"

using namespace lagom;
namespace schema = lagom::schema;

namespace {

wire::frame heartbeat(uint32_t node, uint64_t seq) {
  return wire::build<schema::Heartbeat>([&](schema::Heartbeat::Builder b) {
    b.setNodeId(node);
    b.setSeq(seq);
    b.initFree().setCpus(4);
  });
}

status read_heartbeat(const wire::frame& f, uint32_t& node, uint64_t& seq,
                      const wire::limits& lim = wire::default_limits()) {
  return wire::read<schema::Heartbeat>(
    f,
    [&](schema::Heartbeat::Reader r) {
      node = r.getNodeId();
      seq = r.getSeq();
      return status::ok();
    },
    lim);
}

} // namespace

TEST_CASE("a built frame reads back with the same fields", "[wire]") {
  auto f = heartbeat(7, 42);
  REQUIRE(f.schema() == wire::schema_id<schema::Heartbeat>());
  uint32_t node = 0;
  uint64_t seq = 0;
  auto s = read_heartbeat(f, node, seq);
  REQUIRE(s.is_ok());
  CHECK(node == 7);
  CHECK(seq == 42);
}

TEST_CASE("copying a frame shares its words", "[wire]") {
  auto f = heartbeat(1, 2);
  auto g = f;
  CHECK(g.bytes() == f.bytes());
  CHECK(g.size_bytes() == f.size_bytes());
}

TEST_CASE("build reuses a zeroed segment: no field leaks into the next frame", "[wire]") {
  auto big = wire::build<schema::ContainerRelease>([](schema::ContainerRelease::Builder b) {
    auto ids = b.initContainerIds(20000); // spills past the first segment, then grows it
    for (unsigned i = 0; i < ids.size(); ++i)
      ids.set(i, i + 1);
  });
  auto again = wire::build<schema::ContainerRelease>([](schema::ContainerRelease::Builder b) {
    auto ids = b.initContainerIds(20000);
    for (unsigned i = 0; i < ids.size(); ++i)
      ids.set(i, i + 1);
  });
  CHECK(again.size_bytes() < big.size_bytes()); // one segment: no far pointers
  auto s = wire::read<schema::ContainerRelease>(again, [](schema::ContainerRelease::Reader r) {
    CHECK(r.getContainerIds().size() == 20000);
    CHECK(r.getContainerIds()[19999] == 20000);
    return status::ok();
  });
  REQUIRE(s.is_ok());
  auto hb = wire::build<schema::Heartbeat>([](schema::Heartbeat::Builder b) { b.setNodeId(3); });
  s = wire::read<schema::Heartbeat>(hb, [](schema::Heartbeat::Reader r) {
    CHECK(r.getNodeId() == 3);
    CHECK(r.getSeq() == 0);
    CHECK_FALSE(r.hasFree());
    return status::ok();
  });
  REQUIRE(s.is_ok());
}

TEST_CASE("a build inside a build gets its own segment", "[wire]") {
  wire::frame inner;
  auto outer = wire::build<schema::Heartbeat>([&](schema::Heartbeat::Builder b) {
    b.setNodeId(1);
    inner = heartbeat(2, 20);
    b.setSeq(10);
  });
  uint32_t node = 0;
  uint64_t seq = 0;
  REQUIRE(read_heartbeat(outer, node, seq).is_ok());
  CHECK((node == 1 && seq == 10));
  REQUIRE(read_heartbeat(inner, node, seq).is_ok());
  CHECK((node == 2 && seq == 20));
}

TEST_CASE("a throw inside build leaves the next build clean", "[wire]") {
  CHECK_THROWS(wire::build<schema::Heartbeat>([](schema::Heartbeat::Builder b) {
    b.setNodeId(99);
    b.setSeq(99);
    throw std::runtime_error("fill failed");
  }));
  auto f = wire::build<schema::Heartbeat>([](schema::Heartbeat::Builder b) { b.setNodeId(5); });
  uint32_t node = 0;
  uint64_t seq = 1;
  REQUIRE(read_heartbeat(f, node, seq).is_ok());
  CHECK((node == 5 && seq == 0));
}

TEST_CASE("an empty frame is rejected as malformed", "[wire]") {
  uint32_t node;
  uint64_t seq;
  auto s = read_heartbeat(wire::frame{}, node, seq);
  CHECK(s.code() == errc::malformed_frame);
  CHECK(s.message() == "empty frame");
  CHECK(s.where() == "Heartbeat");
}

TEST_CASE("a frame of another schema is rejected naming both", "[wire]") {
  auto f = wire::build<schema::StatusRequest>([](auto b) { b.setVerbose(true); });
  uint32_t node;
  uint64_t seq;
  auto s = read_heartbeat(f, node, seq);
  CHECK(s.code() == errc::wrong_schema);
  CHECK(s.message().find("expected Heartbeat") != std::string::npos);
}

TEST_CASE("a truncated frame is rejected as malformed", "[wire]") {
  auto f = heartbeat(1, 2);
  wire::frame cut;
  REQUIRE(wire::frame::from_bytes(f.schema(), f.bytes(), f.size_bytes() - 8, cut));
  uint32_t node;
  uint64_t seq;
  auto s = read_heartbeat(cut, node, seq);
  CHECK(s.code() == errc::malformed_frame);
  CHECK_FALSE(s.message().empty());
}

TEST_CASE("garbage bytes are rejected as malformed, never a crash", "[wire]") {
  // Fixed-seed pseudo-random garbage of several sizes, tagged as Heartbeat.
  uint64_t x = 0x9e3779b97f4a7c15ull;
  int rejected = 0;
  for (size_t words = 1; words <= 64; ++words) {
    std::vector<uint64_t> buf(words);
    for (auto& w : buf) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      w = x;
    }
    wire::frame g;
    REQUIRE(wire::frame::from_bytes(wire::schema_id<schema::Heartbeat>(), buf.data(),
                                    words * 8, g));
    uint32_t node;
    uint64_t seq;
    auto s = read_heartbeat(g, node, seq);
    if (!s.is_ok()) {
      CHECK(s.code() == errc::malformed_frame);
      ++rejected;
    }
  }
  CHECK(rejected > 50);
}

TEST_CASE("a segment table claiming more words than sent is rejected", "[wire]") {
  // One segment of 1,000,000 words, but only the header present.
  uint32_t header[2] = {0, 1000000};
  wire::frame g;
  REQUIRE(wire::frame::from_bytes(wire::schema_id<schema::Heartbeat>(), header, 8, g));
  uint32_t node;
  uint64_t seq;
  auto s = read_heartbeat(g, node, seq);
  CHECK(s.code() == errc::malformed_frame);
}

TEST_CASE("a frame over the size limit is rejected as oversized", "[wire]") {
  auto f = heartbeat(1, 2);
  wire::limits lim;
  lim.max_frame_bytes = f.size_bytes() - 8;
  uint32_t node;
  uint64_t seq;
  auto s = read_heartbeat(f, node, seq, lim);
  CHECK(s.code() == errc::malformed_frame);
  CHECK(s.message().find("oversized") != std::string::npos);
}

TEST_CASE("a frame over the traversal limit is rejected", "[wire]") {
  auto f = wire::build<schema::NodeRegistration>([](schema::NodeRegistration::Builder b) {
    b.setName(std::string(4096, 'x'));
  });
  wire::limits lim;
  lim.traversal_words = 16;
  auto s = wire::read<schema::NodeRegistration>(
    f,
    [](schema::NodeRegistration::Reader r) {
      (void) r.getName().size();
      return status::ok();
    },
    lim);
  CHECK(s.code() == errc::malformed_frame);
  CHECK(s.message().find("traversal") != std::string::npos);
}

TEST_CASE("a frame whose byte count is not whole words is refused", "[wire]") {
  char bytes[12] = {};
  wire::frame g;
  CHECK_FALSE(wire::frame::from_bytes(1, bytes, sizeof(bytes), g));
  CHECK(g.empty());
}

namespace {

// A ContainerGrant of 32 bytes whose `containers` list declares `n` structs
// of zero words each: no bytes stand behind them, but each one counts a word
// of traversal, so a reader that walks the list visits n elements.
wire::frame empty_struct_list(uint32_t n) {
  // [segment table][root pointer][requestId][containers pointer][list tag]
  uint64_t seg[5];
  seg[0] = uint64_t{4} << 32;                               // 1 segment, 4 words
  seg[1] = (uint64_t{1} << 32) | (uint64_t{1} << 48);       // struct at +0: 1 data, 1 ptr
  seg[2] = 7;                                               // requestId
  seg[3] = 1 | (uint64_t{7} << 32);                         // composite list at +0, 0 words
  seg[4] = uint64_t{n} << 2;                                // tag: n elements of 0 words
  wire::frame f;
  REQUIRE(wire::frame::from_bytes(wire::schema_id<schema::ContainerGrant>(), seg, sizeof(seg), f));
  return f;
}

status walk_grant(const wire::frame& f, size_t& seen) {
  return wire::read<schema::ContainerGrant>(f, [&](schema::ContainerGrant::Reader r) {
    for (auto c : r.getContainers()) {
      (void)c.getId();
      ++seen;
    }
    return status::ok();
  });
}

} // namespace

TEST_CASE("a small frame declaring 16M empty structs is refused before its list is walked",
          "[wire]") {
  auto f = empty_struct_list(16u << 20);
  CHECK(f.size_bytes() == 40);
  size_t seen = 0;
  auto started = std::chrono::steady_clock::now();
  auto s = walk_grant(f, seen);
  auto took = std::chrono::steady_clock::now() - started;
  INFO(s.to_string());
  CHECK(s.code() == errc::malformed_frame);
  CHECK(s.message().find("amplified frame: a frame of 5 words") != std::string::npos);
  CHECK(seen == 0);
  CHECK(took < std::chrono::milliseconds(50));
  // Under the absolute cap alone (16M words) the same frame was read whole.
  wire::limits cap_only;
  cap_only.traversal_floor_words = cap_only.traversal_words;
  CHECK(wire::traversal_for(cap_only, f.size_words()) == (16u << 20));
}

TEST_CASE("the traversal limit grows with the frame and legitimate frames still read", "[wire]") {
  const auto& lim = wire::default_limits();
  CHECK(wire::traversal_for(lim, 5) == lim.traversal_floor_words);
  CHECK(wire::traversal_for(lim, 100000) == 100000 * lim.traversal_per_word);
  CHECK(wire::traversal_for(lim, 8u << 20) == lim.traversal_words);
  // A few empty structs stay within the floor.
  size_t seen = 0;
  CHECK(walk_grant(empty_struct_list(1000), seen).is_ok());
  CHECK(seen == 1000);
  // A real grant of 20000 containers (far past the floor) reads whole.
  auto big = wire::build<schema::ContainerGrant>([](schema::ContainerGrant::Builder b) {
    auto cs = b.initContainers(20000);
    for (uint32_t i = 0; i < cs.size(); ++i) {
      cs[i].setId(i);
      cs[i].setNodeName("node-" + std::to_string(i));
    }
  });
  seen = 0;
  CHECK(walk_grant(big, seen).is_ok());
  CHECK(seen == 20000);
}
