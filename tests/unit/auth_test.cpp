// wire/auth.hpp: the constant-time token compare, and a frame's proof as it
// crosses CAF's serializer (the same code path as between processes).
#include <catch2/catch.hpp>

#include <vector>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "schemas/cluster.capnp.h"
#include "wire/auth.hpp"
#include "wire/read.hpp"

using namespace lagom;

namespace {

// Serializes `f` with this process's token set to `sent`, and reads it back
// with the token set to `expected`.
wire::frame through_wire(const wire::frame& f, const std::string& sent,
                         const std::string& expected) {
  std::vector<char> buf;
  wire::set_cluster_token(sent);
  {
    caf::binary_serializer out{nullptr, buf};
    auto copy = f;
    REQUIRE_FALSE(inspect(out, copy));
  }
  wire::set_cluster_token(expected);
  caf::binary_deserializer in{nullptr, buf};
  wire::frame back;
  REQUIRE_FALSE(inspect(in, back));
  wire::set_cluster_token("");
  return back;
}

} // namespace

TEST_CASE("token_equal is true only for equal, non-empty tokens", "[wire][auth]") {
  CHECK(wire::token_equal("s3cret", "s3cret"));
  CHECK_FALSE(wire::token_equal("s3cret", "s3creT"));
  CHECK_FALSE(wire::token_equal("s3cret", "s3cre"));
  CHECK_FALSE(wire::token_equal("s3cre", "s3cret"));
  CHECK_FALSE(wire::token_equal("", ""));
  CHECK_FALSE(wire::token_equal("x", ""));
  CHECK_FALSE(wire::token_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST_CASE("random tokens are 32 hex digits and differ", "[wire][auth]") {
  auto a = wire::random_token(), b = wire::random_token();
  CHECK(a.size() == 32);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a != b);
}

TEST_CASE("a frame read from the wire is proven only with this process's token", "[wire][auth]") {
  auto f = wire::build<schema::Heartbeat>([](schema::Heartbeat::Builder b) { b.setSeq(7); });
  CHECK(f.proof() == wire::proof::local);
  auto proven = through_wire(f, "t0ken", "t0ken");
  CHECK(proven.proof() == wire::proof::proven);
  uint64_t seq = 0;
  REQUIRE(wire::read<schema::Heartbeat>(proven, [&](schema::Heartbeat::Reader r) {
    seq = r.getSeq();
    return status::ok();
  }));
  CHECK(seq == 7);
  CHECK(through_wire(f, "guess", "t0ken").proof() == wire::proof::wrong);
  CHECK(through_wire(f, "", "t0ken").proof() == wire::proof::missing);
  // A process without a token proves nothing, not even an empty one.
  CHECK(through_wire(f, "", "").proof() == wire::proof::missing);
  // The empty frame doors take as proof of a request without a payload.
  CHECK(through_wire(wire::frame{}, "t0ken", "t0ken").proof() == wire::proof::proven);
  CHECK(std::string(wire::to_string(wire::proof::wrong)) == "wrong cluster token");
}
