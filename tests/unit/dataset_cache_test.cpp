// data::dataset_cache: a key loads once and is shared, the least recently
// used go past the byte bound, failures and throws are not kept, and threads
// asking for a key another thread loads wait for that load instead of
// loading again. (load_fashion_mnist_cached, on IDX files: idx_test.cpp.)
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include "data/dataset_cache.hpp"

using namespace lagom;
using namespace lagom::data;

namespace {

// A data set of n samples of one float each, labelled `label`:
// bytes_of = 8 * n.
dataset tiny(uint32_t n, int32_t label) {
  dataset d;
  d.n = n;
  d.channels = d.height = d.width = 1;
  d.classes = 10;
  d.images.assign(n, 0.5f);
  d.labels.assign(n, label);
  return d;
}

// A loader that counts its calls.
dataset_cache::loader counting(int& calls, uint32_t n, int32_t label) {
  return [&calls, n, label](dataset& out) {
    ++calls;
    out = tiny(n, label);
    return status::ok();
  };
}

} // namespace

TEST_CASE("a key is loaded once and every get shares that one data set", "[dataset_cache]") {
  dataset_cache cache(1 << 20);
  int calls = 0;
  std::shared_ptr<const dataset> a, b;
  REQUIRE(cache.get("k", counting(calls, 4, 7), a).is_ok());
  REQUIRE(cache.get("k", counting(calls, 4, 7), b).is_ok());
  CHECK(calls == 1);
  CHECK(a == b);
  CHECK(a->labels == std::vector<int32_t>(4, 7));
  CHECK(cache.count().loads == 1);
  CHECK(cache.count().hits == 1);
  CHECK(cache.count().entries == 1);
  CHECK(cache.count().bytes == 32);
  std::shared_ptr<const dataset> c;
  REQUIRE(cache.get("other", counting(calls, 2, 1), c).is_ok());
  CHECK(calls == 2);
  CHECK(c != a);
}

TEST_CASE("past max_bytes the least recently used entry goes, holders keep theirs",
          "[dataset_cache]") {
  dataset_cache cache(3 * 80);  // three entries of 10 samples (80 bytes each)
  int calls = 0;
  std::shared_ptr<const dataset> a, b, c, d, again;
  REQUIRE(cache.get("a", counting(calls, 10, 0), a).is_ok());
  REQUIRE(cache.get("b", counting(calls, 10, 1), b).is_ok());
  REQUIRE(cache.get("c", counting(calls, 10, 2), c).is_ok());
  REQUIRE(cache.get("a", counting(calls, 10, 0), again).is_ok());  // a is now the newest
  CHECK(calls == 3);
  REQUIRE(cache.get("d", counting(calls, 10, 3), d).is_ok());     // b goes
  CHECK(cache.count().entries == 3);
  CHECK(cache.count().bytes == 240);
  CHECK(b->labels.front() == 1);  // still valid for its holder
  REQUIRE(cache.get("a", counting(calls, 10, 0), again).is_ok());
  REQUIRE(cache.get("c", counting(calls, 10, 2), again).is_ok());
  CHECK(calls == 4);
  REQUIRE(cache.get("b", counting(calls, 10, 1), again).is_ok());  // loaded again
  CHECK(calls == 5);
  CHECK(again != b);
}

TEST_CASE("an entry larger than max_bytes is given to its caller but not kept",
          "[dataset_cache]") {
  dataset_cache cache(100);
  int calls = 0;
  std::shared_ptr<const dataset> small, big;
  REQUIRE(cache.get("small", counting(calls, 5, 0), small).is_ok());
  REQUIRE(cache.get("big", counting(calls, 50, 1), big).is_ok());
  CHECK(big->n == 50);
  // Keeping big would have meant dropping everything, big included.
  CHECK(cache.count().entries == 0);
  CHECK(cache.count().bytes == 0);
}

TEST_CASE("a failed or throwing load is not kept: the next get loads again", "[dataset_cache]") {
  dataset_cache cache(1 << 20);
  std::shared_ptr<const dataset> out;
  auto fail = [](dataset&) { return status::error(errc::io_error, "unreadable", "f.gz"); };
  auto st = cache.get("k", fail, out);
  CHECK(st.code() == errc::io_error);
  CHECK(st.where() == "f.gz");
  CHECK(out == nullptr);
  auto boom = [](dataset&) -> status { throw std::runtime_error("boom"); };
  CHECK_THROWS_WITH(cache.get("k", boom, out), "boom");
  CHECK(cache.count().entries == 0);
  int calls = 0;
  REQUIRE(cache.get("k", counting(calls, 3, 2), out).is_ok());
  CHECK(calls == 1);
  CHECK(out->n == 3);
}

TEST_CASE("threads asking for a key that one thread loads wait for it and share it",
          "[dataset_cache]") {
  dataset_cache cache(1 << 20);
  std::promise<void> started, release;
  auto release_f = release.get_future().share();
  // Catch's assertions are for the main thread: the threads keep statuses.
  std::shared_ptr<const dataset> first;
  status first_st;
  std::thread loader([&] {
    auto slow = [&](dataset& out) {
      started.set_value();
      release_f.wait();  // held until the others wait for this load
      out = tiny(6, 4);
      return status::ok();
    };
    first_st = cache.get("k", slow, first);
  });
  started.get_future().wait();
  std::atomic<int> other_loads{0};
  std::vector<std::shared_ptr<const dataset>> got(3);
  std::vector<status> got_st(3);
  std::vector<std::thread> others;
  for (size_t i = 0; i < got.size(); ++i)
    others.emplace_back([&, i] {
      auto load = [&other_loads](dataset& out) {
        ++other_loads;
        out = tiny(1, 0);
        return status::ok();
      };
      got_st[i] = cache.get("k", load, got[i]);
    });
  while (cache.count().waiting < others.size())  // bounded by the three threads reaching the wait
    std::this_thread::yield();
  // Another key loads meanwhile: the lock is not held during a load.
  std::shared_ptr<const dataset> unrelated;
  int calls = 0;
  REQUIRE(cache.get("j", counting(calls, 2, 9), unrelated).is_ok());
  CHECK(calls == 1);
  release.set_value();
  loader.join();
  for (auto& t : others)
    t.join();
  REQUIRE(first_st.is_ok());
  CHECK(other_loads == 0);
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got_st[i].is_ok());
    CHECK(got[i] == first);
  }
  CHECK(cache.count().loads == 2);
}
