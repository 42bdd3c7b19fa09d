// online_door: a socket_server whose handler is answer_lookup on the group's shard.
#include "actors/online_door.hpp"

#include "actors/feature_lookup.hpp"
#include "actors/feature_store_router.hpp"
#include "core/log.hpp"
#include "storage/feature_store.hpp"
#include "wire/limits.hpp"
#include "wire/socket_server.hpp"

namespace lagom::actors {

status online_door::open(const std::string& host, uint16_t port, const std::string& token,
                         std::vector<std::shared_ptr<storage::feature_store>> stores,
                         std::unique_ptr<online_door>* out) {
  if (stores.empty())
    return status::error(errc::invalid_argument, "no feature store shards", "online door");
  if (token.empty())
    return status::error(errc::invalid_argument, "needs the cluster token", "online door");
  std::unique_ptr<online_door> d(new online_door);
  d->stores_ = std::move(stores);
  wire::socket_server_options o;
  o.host = host;
  o.port = port;
  o.token = token;
  o.name = "online door";
  o.max_request_bytes = wire::default_limits().max_frame_bytes;
  o.log = log::make("head", "online_door");
  const auto* shards = &d->stores_;
  auto handler = [shards](const wire::frame& request, wire::frame* reply) {
    return answer_lookup(
      [shards](const std::string& group) -> const storage::feature_store& {
        return *(*shards)[shard_of_group(group, static_cast<uint32_t>(shards->size()))];
      },
      request, reply);
  };
  if (auto st = wire::socket_server::start(std::move(o), handler, &d->server_); !st)
    return st;
  *out = std::move(d);
  return status::ok();
}

online_door::~online_door() { stop(); }

uint16_t online_door::port() const noexcept { return server_ ? server_->port() : 0; }

void online_door::stop() {
  if (server_)
    server_->stop();
}

} // namespace lagom::actors
