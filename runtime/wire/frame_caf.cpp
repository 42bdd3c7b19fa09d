// CAF serialization of wire::frame: the schema id, then the byte count, then
// the raw bytes, then the sender's cluster token (wire/auth.hpp) and the
// writer's node epoch (frame::epoch). The byte
// count is checked against limits::max_frame_bytes and word alignment before
// anything is allocated; the token is judged as the frame is read.
#include "wire/frame.hpp"

#include <caf/deserializer.hpp>
#include <caf/sec.hpp>
#include <caf/serializer.hpp>

#include "wire/auth.hpp"
#include "wire/limits.hpp"

namespace lagom::wire {

caf::error inspect(caf::serializer& f, frame& x) {
  uint64_t schema = x.schema();
  size_t n = x.size_bytes();
  if (auto err = f(schema))
    return err;
  if (auto err = f.begin_sequence(n))
    return err;
  if (n > 0)
    if (auto err = f.apply_raw(n, const_cast<unsigned char*>(x.bytes())))
      return err;
  if (auto err = f.end_sequence())
    return err;
  std::string token = cluster_token();
  uint64_t epoch = x.epoch();
  return f(token, epoch);
}

caf::error inspect(caf::deserializer& f, frame& x) {
  uint64_t schema = 0;
  size_t n = 0;
  if (auto err = f(schema))
    return err;
  if (auto err = f.begin_sequence(n))
    return err;
  if (n > default_limits().max_frame_bytes || n % sizeof(capnp::word) != 0)
    return caf::sec::invalid_argument;
  // Straight into word-aligned storage: one copy, not two.
  auto words = kj::heapArray<capnp::word>(n / sizeof(capnp::word));
  if (n > 0)
    if (auto err = f.apply_raw(n, words.begin()))
      return err;
  if (auto err = f.end_sequence())
    return err;
  std::string token;
  uint64_t epoch = 0;
  if (auto err = f(token, epoch))
    return err;
  x = frame{schema, std::move(words)};
  x.set_proof(judge_token(token));
  x.set_epoch(epoch);
  return caf::none;
}

} // namespace lagom::wire
