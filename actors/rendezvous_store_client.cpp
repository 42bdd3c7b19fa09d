// The client side of rendezvous_store: a collective::kv_store whose calls are
// bounded CAF requests, so Gloo and NCCL rendezvous through the actor.
#include <caf/all.hpp>

#include "actors/rendezvous_store.hpp"
#include "schemas/collective.capnp.h"
#include "wire/atoms.hpp"
#include "wire/errors.hpp"
#include "wire/read.hpp"

namespace lagom::actors {

namespace {

constexpr std::chrono::milliseconds max_get{600000};

class rendezvous_store_client final : public collective::kv_store {
public:
  rendezvous_store_client(caf::actor_system& sys, caf::actor store, std::chrono::milliseconds slack)
    : sys_(sys), store_(std::move(store)), slack_(slack) {}

  status set(const std::string& key, const std::vector<char>& value) override {
    auto f = wire::build<schema::StoreSet>([&](schema::StoreSet::Builder b) {
      b.setKey(key);
      b.setValue(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(value.data()), value.size()));
    });
    std::vector<char> ignored;
    return ask(key, slack_, atoms::kv_set::value, std::move(f), ignored);
  }

  status get(const std::string& key, std::chrono::milliseconds timeout,
             std::vector<char>& out) override {
    if (timeout > max_get) timeout = max_get;
    if (timeout.count() < 0) timeout = std::chrono::milliseconds(0);
    auto f = wire::build<schema::StoreGet>([&](schema::StoreGet::Builder b) {
      b.setKey(key);
      b.setTimeoutMs(static_cast<uint32_t>(timeout.count()));
    });
    return ask(key, timeout + slack_, atoms::kv_get::value, std::move(f), out);
  }

private:
  template <class Atom>
  status ask(const std::string& key, std::chrono::milliseconds bound, Atom atom, wire::frame f,
             std::vector<char>& out) {
    caf::scoped_actor self{sys_};
    status result = status::error(errc::internal, "no reply", "store key " + key);
    self->request(store_, bound, atom, std::move(f))
      .receive(
        [&](wire::frame& reply) {
          result = wire::read<schema::StoreValue>(reply, [&](schema::StoreValue::Reader r) {
            auto v = r.getValue();
            out.assign(reinterpret_cast<const char*>(v.begin()),
                       reinterpret_cast<const char*>(v.begin()) + v.size());
            return status::ok();
          });
        },
        [&](caf::error& e) {
          result = wire::to_status(e);
          if (result.where().empty())  // CAF's own error: say which key
            result = status::error(result.code(), result.message(), "store key " + key);
        });
    return result;
  }

  caf::actor_system& sys_;
  caf::actor store_;
  std::chrono::milliseconds slack_;
};

} // namespace

std::shared_ptr<collective::kv_store> make_rendezvous_store_client(caf::actor_system& sys,
                                                                   const caf::actor& store,
                                                                   std::chrono::milliseconds slack) {
  return std::make_shared<rendezvous_store_client>(sys, store, slack);
}

} // namespace lagom::actors
