// data::dataset_cache: the contract is in dataset_cache.hpp.
#include "data/dataset_cache.hpp"

#include <utility>

namespace lagom::data {

size_t dataset_cache::bytes_of(const dataset& d) {
  return d.images.size() * sizeof(float) + d.labels.size() * sizeof(int32_t);
}

status dataset_cache::get(const std::string& key, const loader& load,
                          std::shared_ptr<const dataset>& out) {
  std::unique_lock<std::mutex> lock(mu_);
  for (auto it = entries_.find(key); it != entries_.end(); it = entries_.find(key)) {
    if (it->second.data) {
      it->second.last_use = ++tick_;
      ++counts_.hits;
      out = it->second.data;
      return status::ok();
    }
    ++counts_.waiting;  // another thread loads it: wait, then look again
    loaded_.wait(lock);
    --counts_.waiting;
  }
  entries_[key];  // loading: others wait for it
  lock.unlock();

  auto fresh = std::make_shared<dataset>();
  status st;
  try {
    st = load(*fresh);
  } catch (...) {
    lock.lock();
    entries_.erase(key);
    loaded_.notify_all();
    throw;
  }
  lock.lock();
  if (!st) {
    entries_.erase(key);
    loaded_.notify_all();
    return st;
  }
  entry& e = entries_[key];
  e.data = std::move(fresh);
  e.bytes = bytes_of(*e.data);
  e.last_use = ++tick_;
  counts_.bytes += e.bytes;
  ++counts_.entries;
  ++counts_.loads;
  out = e.data;
  evict();
  loaded_.notify_all();
  return status::ok();
}

void dataset_cache::evict() {
  while (counts_.bytes > max_bytes_) {
    auto oldest = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->second.data && (oldest == entries_.end() ||
                              it->second.last_use < oldest->second.last_use))
        oldest = it;
    if (oldest == entries_.end())
      return;
    counts_.bytes -= oldest->second.bytes;
    --counts_.entries;
    entries_.erase(oldest);
  }
}

dataset_cache::counts dataset_cache::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

} // namespace lagom::data
