// Slurm hostlist expressions: ranges, lists, zero padding, several brackets,
// and every malformed form named with its column.
#include <catch2/catch.hpp>

#include "slurm/hostlist.hpp"

using lagom::slurm::expand_hostlist;
using lagom::slurm::first_host;
using names = std::vector<std::string>;

namespace {

names expand(const std::string& e) {
  names out;
  auto st = expand_hostlist(e, out);
  INFO(st.to_string());
  REQUIRE(st);
  return out;
}

std::string error_of(const std::string& e) {
  names out{"stale"};
  auto st = expand_hostlist(e, out);
  REQUIRE_FALSE(st);
  CHECK(st.code() == lagom::errc::invalid_argument);
  CHECK(out.empty());
  return st.to_string();
}

} // namespace

TEST_CASE("plain names and comma lists expand in order", "[hostlist]") {
  CHECK(expand("n1") == names{"n1"});
  CHECK(expand("b,a,c") == names{"b", "a", "c"});
  CHECK(expand("node-7.cluster") == names{"node-7.cluster"});
}

TEST_CASE("ranges and lists inside brackets expand", "[hostlist]") {
  CHECK(expand("n[1-3,5]") == names{"n1", "n2", "n3", "n5"});
  CHECK(expand("n[1-3,5],gpu[01-02]") == names{"n1", "n2", "n3", "n5", "gpu01", "gpu02"});
  CHECK(expand("n[7]") == names{"n7"});
  CHECK(expand("n[9-11]") == names{"n9", "n10", "n11"});
}

TEST_CASE("a zero-padded low bound keeps its width", "[hostlist]") {
  CHECK(expand("gpu[08-10]") == names{"gpu08", "gpu09", "gpu10"});
  CHECK(expand("x[001-002,0]") == names{"x001", "x002", "x0"});
}

TEST_CASE("text after a bracket and several brackets in one host", "[hostlist]") {
  CHECK(expand("n[1-2]-ib") == names{"n1-ib", "n2-ib"});
  CHECK(expand("r[1-2]n[1-2]") == names{"r1n1", "r1n2", "r2n1", "r2n2"});
  CHECK(expand("a,r[3-4]x,b") == names{"a", "r3x", "r4x", "b"});
}

TEST_CASE("first_host names the batch host", "[hostlist]") {
  std::string h;
  REQUIRE(first_host("n[3-5],m1", h));
  CHECK(h == "n3");
  CHECK_FALSE(first_host("n[3-", h));
}

TEST_CASE("malformed expressions are refused naming what and the column", "[hostlist]") {
  CHECK(error_of("") == "hostlist: empty host list");
  CHECK(error_of("n[1-3") == "hostlist: unclosed '[' at column 2");
  CHECK(error_of("n[3-1]") == "hostlist: range 3-1 runs backwards at column 3");
  CHECK(error_of("n[a]") == "hostlist: expected a number inside '[ ]' at column 3");
  CHECK(error_of("n[1-]") == "hostlist: expected the upper bound of a range at column 5");
  CHECK(error_of("n[1;2]") == "hostlist: unexpected ';' inside '[ ]' at column 4");
  CHECK(error_of("n1]") == "hostlist: ']' without '[' at column 3");
  CHECK(error_of("n1,,n2") == "hostlist: empty host name at column 4");
  CHECK(error_of("n1,") == "hostlist: empty host name at column 4");
  CHECK(error_of("n1, n2") == "hostlist: whitespace in a host list at column 4");
  CHECK(error_of("n[]") == "hostlist: expected a number inside '[ ]' at column 3");
  CHECK(error_of("n[12345678901234567890]") == "hostlist: number too long at column 3");
}

TEST_CASE("an expression naming too many hosts is refused, not expanded", "[hostlist]") {
  CHECK(error_of("n[1-999999999]").find("more than 65536 hosts") != std::string::npos);
  CHECK(error_of("r[1-300]n[1-300]").find("more than 65536 hosts") != std::string::npos);
  CHECK(expand("n[1-65536]").size() == 65536);
}
