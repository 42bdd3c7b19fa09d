#include "collective/gloo_store.hpp"

#include <gloo/common/error.h>

namespace lagom::collective {

gloo_store::gloo_store(std::shared_ptr<kv_store> kv, std::chrono::milliseconds get_timeout)
  : kv_(std::move(kv)), get_timeout_(get_timeout) {}

void gloo_store::set(const std::string& key, const std::vector<char>& data) {
  if (auto st = kv_->set(key, data); !st) throw gloo::Exception(st.to_string());
}

std::vector<char> gloo_store::get(const std::string& key) {
  std::vector<char> out;
  if (auto st = kv_->get(key, get_timeout_, out); !st) throw gloo::IoException(st.to_string());
  return out;
}

void gloo_store::wait(const std::vector<std::string>& keys) { wait(keys, get_timeout_); }

void gloo_store::wait(const std::vector<std::string>& keys,
                      const std::chrono::milliseconds& timeout) {
  // Gloo passes kNoTimeout (zero) for "no timeout": never wait unbounded.
  auto t = timeout.count() > 0 ? timeout : get_timeout_;
  if (auto st = kv_->wait(keys, t); !st) throw gloo::IoException(st.to_string());
}

} // namespace lagom::collective
