# Messages of the collective layer: the rendezvous store a group's ranks meet
# through (Gloo's addresses, NCCL's unique id). Every struct travels inside a
# wire::frame; see actors/rendezvous_store.hpp for the verbs.
@0xf0ef0b061498a796;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("lagom::schema");

# (kvset) -> StoreValue echoing the key: stores a write-once key.
struct StoreSet {
  key @0 :Text;
  value @1 :Data;
}

# (kvget) -> StoreValue once the key exists, or a timeout error naming the
# key after timeoutMs (at most 600000).
struct StoreGet {
  key @0 :Text;
  timeoutMs @1 :UInt32;
}

struct StoreValue {
  key @0 :Text;
  value @1 :Data;
}
