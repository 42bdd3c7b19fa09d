// data::dataset_cache: data sets loaded once and shared by the runs of one
// process, so that the trials a worker runs one after another do not read and
// decode the same files again (Fashion-MNIST's four IDX .gz files cost ~0.3 s
// a trial, more than an epoch of the search's MLP).
//
//   data::dataset_cache cache(512 << 20);   // its owner decides how long it lives
//   std::shared_ptr<const data::dataset> train;
//   auto st = cache.get("key naming what is loaded",
//                       [&](data::dataset& out) { return load_somehow(out); }, train);
//
// load_fashion_mnist_cached (dataset.hpp) is the way in for Fashion-MNIST; it
// makes the key from the files (path, size, modification time) and the cut.
//
// Contract:
//   - A key names what was loaded, completely: two loads with one key must
//     give the same data set. The cache never looks inside a key.
//   - Entries are immutable and shared (shared_ptr<const dataset>): a caller
//     keeps its data set as long as it holds the pointer, also after the
//     cache dropped it.
//   - Bounded: when the entries' bytes (images and labels) pass max_bytes,
//     the least recently used go first. The newest entry goes too when it
//     alone is larger than max_bytes: its caller still gets it.
//   - Failures are not kept: a load that fails gives its status to its
//     caller, and the next get of that key loads again.
//   - Thread-safe. A load runs outside the lock, so different keys load at
//     once; a get of a key that another thread is loading waits for it (and
//     loads itself if that one failed).
//   - A loader that throws leaves the cache as if it had failed; the
//     exception goes on to the caller.
// Plain C++, no CAF.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "data/dataset.hpp"
#include "lagom/status.hpp"

namespace lagom::data {

class dataset_cache {
public:
  /// Fills its argument (empty on entry); not ok: nothing is kept.
  using loader = std::function<status(dataset&)>;

  explicit dataset_cache(size_t max_bytes) : max_bytes_(max_bytes) {}
  dataset_cache(const dataset_cache&) = delete;
  dataset_cache& operator=(const dataset_cache&) = delete;

  /// The data set of `key`: the one kept, else what `load` gives (kept
  /// within the bound). On failure `out` is left as it was.
  status get(const std::string& key, const loader& load, std::shared_ptr<const dataset>& out);

  struct counts {
    size_t entries = 0;  ///< kept now
    size_t bytes = 0;    ///< of those
    uint64_t hits = 0;   ///< gets answered from an entry, so far
    uint64_t loads = 0;  ///< loads that succeeded, so far
    size_t waiting = 0;  ///< callers waiting for another thread's load of their key
  };
  /// A consistent snapshot.
  counts count() const;

  /// What an entry counts against max_bytes.
  static size_t bytes_of(const dataset& d);

private:
  struct entry {
    std::shared_ptr<const dataset> data;  ///< null while a thread loads it
    size_t bytes = 0;
    uint64_t last_use = 0;                ///< the tick of its last get
  };

  // Drops least recently used loaded entries until counts_.bytes <= max_bytes_.
  void evict();

  // Constant after construction.
  const size_t max_bytes_;
  // Protected by mu_.
  mutable std::mutex mu_;
  std::condition_variable loaded_;        ///< an entry finished loading (or failed)
  std::map<std::string, entry> entries_;
  uint64_t tick_ = 0;
  counts counts_;
};

} // namespace lagom::data
