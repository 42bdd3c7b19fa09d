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

// Ranks of a DDP job take equal shares of one global permutation: with pad or
// drop every rank runs the same number of equal batches, whatever n is.
TEST_CASE("batcher pad and drop give every rank the same number and sizes of batches", "[batcher]") {
  const shard_mode mode = GENERATE(shard_mode::contiguous, shard_mode::strided);
  const uint32_t world = 3;
  for (uint32_t n : {0u, 1u, 2u, 10u, 103u, 300u}) {
    for (uneven_shards u : {uneven_shards::pad, uneven_shards::drop}) {
      std::vector<std::vector<size_t>> sizes(world);
      std::vector<int> seen(n);
      for (uint32_t r = 0; r < world; ++r) {
        batcher_options o{8, 42, true, false, r, world, mode};
        o.uneven = u;
        batcher b;
        REQUIRE(batcher::open(n, o, b).is_ok());
        for (const auto& batch : b.batches(4)) {
          sizes[r].push_back(batch.size());
          for (uint32_t i : batch)
            seen.at(i)++;
        }
        CHECK(b.common_batches() == b.batches_per_epoch());
      }
      INFO("n " << n << " " << to_string(u));
      CHECK(sizes[1] == sizes[0]);
      CHECK(sizes[2] == sizes[0]);
      const uint32_t per = u == uneven_shards::pad ? (n + world - 1) / world : n / world;
      size_t total = 0;
      for (size_t s : sizes[0])
        total += s;
      CHECK(total == per);
      if (u == uneven_shards::pad) // every sample seen; at most twice when n >= world
        for (int c : seen)
          CHECK((c >= 1 && (n < world || c <= 2)));
      else // nothing seen twice, n % world left out
        CHECK(std::count(seen.begin(), seen.end(), 0) == n % world);
    }
  }
}

TEST_CASE("batcher shards of all ranks together are the global permutation", "[batcher]") {
  const uint32_t n = 100, world = 4;
  batcher one;
  REQUIRE(batcher::open(n, {8, 7}, one).is_ok());
  std::vector<uint32_t> joined;
  for (uint32_t r = 0; r < world; ++r) {
    batcher_options o{8, 7, true, false, r, world};
    o.uneven = uneven_shards::pad;
    batcher b;
    REQUIRE(batcher::open(n, o, b).is_ok());
    auto s = b.shard(2);
    joined.insert(joined.end(), s.begin(), s.end());
  }
  CHECK(joined == one.permutation(2));
  CHECK(one.permutation(2) != one.permutation(3)); // reshuffled every epoch
}
