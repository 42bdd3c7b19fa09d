// wire::frame: one Cap'n Proto message in flight between actors.
//
// A frame is (schema id, flat word array). The schema id is the Cap'n Proto
// type id of the root struct, so a reader can reject a frame that carries the
// wrong struct before decoding it. The words are shared and immutable: copying
// a frame (as CAF does for a local send) copies a pointer, never the bytes.
// Across processes CAF serializes the id and the bytes (see frame_caf.cpp); the
// receiving side copies them into word-aligned storage, which Cap'n Proto needs.
//
// Across processes a frame also carries the sender's cluster token, and the
// receiver marks it proven or not (proof(), wire/auth.hpp), and the writer's
// node epoch (epoch()).
//
// A frame is a value. It owns (shares) its words; kj::ArrayPtr views returned
// by words() stay valid as long as any copy of the frame lives.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>
#include "wire/auth.hpp"
#include <capnp/common.h>
#include <kj/array.h>

namespace lagom::wire {

class frame {
public:
  /// An empty frame: schema() == 0, no words.
  frame() = default;

  /// Takes ownership of `words`, a serialized message whose root is `schema`.
  frame(uint64_t schema, kj::Array<capnp::word> words);

  /// Copies `n` bytes from `data` (any alignment) into a new word-aligned
  /// frame. `n` must be a multiple of 8; otherwise the frame is left empty and
  /// false is returned.
  static bool from_bytes(uint64_t schema, const void* data, size_t n, frame& out);

  uint64_t schema() const noexcept { return schema_; }
  bool empty() const noexcept { return !words_ || words_->size() == 0; }
  size_t size_words() const noexcept { return words_ ? words_->size() : 0; }
  size_t size_bytes() const noexcept { return size_words() * sizeof(capnp::word); }
  kj::ArrayPtr<const capnp::word> words() const noexcept;
  const unsigned char* bytes() const noexcept;

  /// local for a frame built here; else how its token compared with this
  /// process's (set when deserialized; kept by copies).
  wire::proof proof() const noexcept { return proof_; }
  void set_proof(wire::proof p) noexcept { proof_ = p; }

  /// The writer's node epoch (supervision/membership.hpp): set by a
  /// trainer_worker on the writes of its run (checkpoints, metrics, logs) so
  /// the head can refuse those of a fenced node incarnation; 0 = not from a
  /// node. Travels with the frame across processes; kept by copies.
  uint64_t epoch() const noexcept { return epoch_; }
  void set_epoch(uint64_t e) noexcept { epoch_ = e; }

private:
  uint64_t schema_ = 0;
  std::shared_ptr<const kj::Array<capnp::word>> words_;
  wire::proof proof_ = wire::proof::local;
  uint64_t epoch_ = 0;
};

/// "frame(<schema id hex>, <n> bytes)", for logs.
std::string to_string(const frame& x);

// CAF 0.17 serialization hooks (defined in frame_caf.cpp). The type is
// registered as "lagom.frame" by wire::configure(); every process must do so.
caf::error inspect(caf::serializer& f, frame& x);
caf::error inspect(caf::deserializer& f, frame& x);

} // namespace lagom::wire
