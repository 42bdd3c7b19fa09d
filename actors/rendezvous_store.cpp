// rendezvous_store: a map of write-once keys; a `get` for a missing key
// parks its response promise until the key is set or its own timer fires.
#include "actors/rendezvous_store.hpp"

#include <map>
#include <string>

#include <caf/all.hpp>

#include "schemas/collective.capnp.h"
#include "wire/atoms.hpp"
#include "wire/errors.hpp"
#include "wire/read.hpp"

namespace lagom::actors {

namespace {

constexpr uint32_t max_timeout_ms = 600000;

struct parked_get {
  std::string key;
  caf::response_promise promise;
};

struct rendezvous_store_state {
  std::map<std::string, std::string> values;
  std::map<uint64_t, parked_get> parked;  ///< by id, for the timeout timer
  uint64_t next_id = 0;
};

using self_ptr = caf::stateful_actor<rendezvous_store_state>*;

wire::frame value_frame(const std::string& key, const std::string& value) {
  return wire::build<schema::StoreValue>([&](schema::StoreValue::Builder b) {
    b.setKey(key);
    b.setValue(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(value.data()), value.size()));
  });
}

caf::result<wire::frame> on_set(self_ptr self, const wire::frame& f) {
  std::string key, value;
  auto rd = wire::read<schema::StoreSet>(f, [&](schema::StoreSet::Reader r) {
    key = r.getKey();
    auto v = r.getValue();
    value.assign(reinterpret_cast<const char*>(v.begin()), v.size());
    if (key.empty()) return status::error(errc::invalid_argument, "must not be empty", "key");
    return status::ok();
  });
  if (!rd) return wire::to_error(rd);
  auto& st = self->state;
  if (!st.values.emplace(key, value).second)
    return wire::to_error(status::error(errc::invalid_argument,
                                        "key already set (keys are write-once)", "store key " + key));
  for (auto it = st.parked.begin(); it != st.parked.end();) {
    if (it->second.key == key) {
      it->second.promise.deliver(value_frame(key, value));
      it = st.parked.erase(it);
    } else {
      ++it;
    }
  }
  return value_frame(key, {});
}

caf::result<wire::frame> on_get(self_ptr self, const wire::frame& f) {
  std::string key;
  uint32_t timeout_ms = 0;
  auto rd = wire::read<schema::StoreGet>(f, [&](schema::StoreGet::Reader r) {
    key = r.getKey();
    timeout_ms = r.getTimeoutMs();
    if (timeout_ms > max_timeout_ms)
      return status::error(errc::invalid_argument,
                           std::to_string(timeout_ms) + " is above the limit of 600000", "timeoutMs");
    return status::ok();
  });
  if (!rd) return wire::to_error(rd);
  auto& st = self->state;
  if (auto it = st.values.find(key); it != st.values.end()) return value_frame(key, it->second);
  uint64_t id = ++st.next_id;
  auto promise = self->make_response_promise<wire::frame>();
  st.parked.emplace(id, parked_get{key, promise});
  self->delayed_send(self, std::chrono::milliseconds(timeout_ms), atoms::tick::value, id);
  return promise;
}

void on_expire(self_ptr self, uint64_t id) {
  auto& st = self->state;
  auto it = st.parked.find(id);
  if (it == st.parked.end()) return;  // answered already
  it->second.promise.deliver(wire::to_error(status::error(
    errc::timeout, "key was not set in time", "store key " + it->second.key)));
  st.parked.erase(it);
}

caf::behavior rendezvous_store(self_ptr self) {
  return {
    [=](atoms::kv_set, const wire::frame& f) { return on_set(self, f); },
    [=](atoms::kv_get, const wire::frame& f) { return on_get(self, f); },
    [=](atoms::tick, uint64_t id) { on_expire(self, id); },
  };
}

} // namespace

caf::actor spawn_rendezvous_store(caf::actor_system& sys) { return sys.spawn(rendezvous_store); }

} // namespace lagom::actors
