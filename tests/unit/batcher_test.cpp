// data::batcher: the same permutation for the same (seed, epoch) only, shards
// that are disjoint and cover every sample, batches in shard order.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <vector>

#include "data/batcher.hpp"

using namespace lagom;
using namespace lagom::data;

TEST_CASE("batcher shuffles the same way for the same seed and epoch only", "[batcher]") {
  batcher b;
  REQUIRE(batcher::open(1000, {32, 7}, b).is_ok());
  std::vector<uint32_t> e0 = b.permutation(0);
  CHECK(std::set<uint32_t>(e0.begin(), e0.end()).size() == 1000);
  CHECK(*std::max_element(e0.begin(), e0.end()) == 999);
  CHECK(b.permutation(0) == e0);
  CHECK(b.permutation(1) != e0);
  batcher other;
  REQUIRE(batcher::open(1000, {32, 8}, other).is_ok());
  CHECK(other.permutation(0) != e0);
  batcher plain;
  REQUIRE(batcher::open(5, {2, 7, false}, plain).is_ok());
  CHECK(plain.permutation(3) == std::vector<uint32_t>{0, 1, 2, 3, 4});
  CHECK(plain.batches(0) == std::vector<std::vector<uint32_t>>{{0, 1}, {2, 3}, {4}});
}

TEST_CASE("batcher shards are disjoint, cover every sample, and batch in order", "[batcher]") {
  const shard_mode mode = GENERATE(shard_mode::contiguous, shard_mode::strided);
  const uint64_t epoch = GENERATE(0, 5);
  const uint32_t n = 103, world = 4;
  std::vector<int> seen(n);
  for (uint32_t r = 0; r < world; ++r) {
    batcher b;
    REQUIRE(batcher::open(n, {10, 42, true, false, r, world, mode}, b).is_ok());
    std::vector<uint32_t> mine = b.shard(epoch);
    CHECK(mine.size() == (r < 3 ? 26u : 25u));
    CHECK(b.batches_per_epoch() == 3);
    CHECK(b.common_batches() == 3);
    std::vector<uint32_t> flat;
    for (const auto& batch : b.batches(epoch))
      flat.insert(flat.end(), batch.begin(), batch.end());
    CHECK(flat == mine);
    for (uint32_t i : mine)
      seen.at(i)++;
  }
  CHECK(seen == std::vector<int>(n, 1));

  batcher last;
  REQUIRE(batcher::open(n, {10, 42, true, true, 3, world, mode}, last).is_ok());
  CHECK(last.batches(epoch).size() == 2);
  CHECK(last.batches(epoch).back().size() == 10);
}

TEST_CASE("batcher rejects options it cannot honour, naming the field", "[batcher]") {
  batcher b;
  CHECK(batcher::open(10, {0}, b).where() == "batcher_options.batch_size");
  CHECK(batcher::open(10, {8, 0, true, false, 0, 0}, b).where() == "batcher_options.world");
  status s = batcher::open(10, {8, 0, true, false, 4, 4}, b);
  CHECK(s.where() == "batcher_options.rank");
  CHECK(s.message() == "rank 4 is not below world 4");
  CHECK(batcher::open(uint64_t{1} << 33, {8}, b).code() == errc::invalid_argument);
}
