// lagom::collective::gloo_store: a kv_store seen as Gloo's rendezvous Store.
//
// Gloo calls set/get/wait and expects exceptions: a failed set throws
// gloo::Exception, a get or wait that times out throws gloo::IoException
// naming the key (get waits at most `get_timeout`; wait uses Gloo's timeout,
// which the context sets to the rendezvous timeout). Keys are passed through
// unchanged: give it a prefixed store (make_prefixed_store) so each group
// generation has fresh keys.
// Threading: as the kv_store it wraps.
#pragma once

#include <chrono>
#include <memory>

#include <gloo/rendezvous/store.h>

#include "collective/kv_store.hpp"

namespace lagom::collective {

class gloo_store final : public gloo::rendezvous::Store {
public:
  gloo_store(std::shared_ptr<kv_store> kv, std::chrono::milliseconds get_timeout);

  void set(const std::string& key, const std::vector<char>& data) override;
  std::vector<char> get(const std::string& key) override;
  void wait(const std::vector<std::string>& keys) override;
  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) override;

private:
  std::shared_ptr<kv_store> kv_;
  std::chrono::milliseconds get_timeout_;
};

} // namespace lagom::collective
