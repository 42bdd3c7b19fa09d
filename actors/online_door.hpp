// online_door: the head's online feature-serving door. Remote clients look
// keys up (get_feature_vector(s)) over a plain TCP socket served by its own
// threads (wire/socket_server.hpp), not through CAF: a lookup through the
// actor path crosses four thread hops (client -> middleman -> head
// middleman -> router -> shard and back), each a wake-up of tens of
// microseconds, which is most of its latency; here one server thread reads
// the request, looks it up in the shard's LMDB and answers.
//
// What it serves: a request is a FeatureLookup frame, its reply the
// FeatureLookupResult frame the shard actor would send (answer_lookup,
// feature_lookup.hpp), or the same error (an unknown group, a bad key...).
// The group's shard is shard_of_group(group, stores.size()), as the router
// places it. Every connection first proves the cluster token (HMAC of a
// nonce, socket_server.hpp); refusals are logged with the peer's address.
//
// Threading: the stores are shared with their shard actors, which write
// them; the door only calls storage::feature_store::lookup, which may run
// beside the owner's writes (storage/feature_store.hpp). stop() (or the
// destructor) joins every thread of the door; the stores stay open while
// the door holds them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lagom/status.hpp"

namespace lagom::storage {
class feature_store;
}

namespace lagom::wire {
class socket_server;
}

namespace lagom::actors {

class online_door {
public:
  /// Listens on host:port (port 0: any free port) and serves `stores`
  /// (index = shard number, non-empty). io_error naming HOST:PORT when it
  /// cannot listen; invalid_argument for no stores or an empty token.
  static status open(const std::string& host, uint16_t port, const std::string& token,
                     std::vector<std::shared_ptr<storage::feature_store>> stores,
                     std::unique_ptr<online_door>* out);

  ~online_door();
  uint16_t port() const noexcept;
  void stop();

private:
  online_door() = default;
  std::vector<std::shared_ptr<storage::feature_store>> stores_;
  std::unique_ptr<wire::socket_server> server_;
};

} // namespace lagom::actors
