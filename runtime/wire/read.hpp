// Typed access to frames: build one from a Cap'n Proto struct, read one back.
//
//   frame f = wire::build<schema::Heartbeat>([&](auto b) { b.setNodeId(3); });
//   status s = wire::read<schema::Heartbeat>(f, [&](auto r) {
//     id = r.getNodeId();
//     return status::ok();
//   });
//
// read() checks, in order: the frame is not empty, its schema id is T's, its
// size is within limits; then it decodes with Cap'n Proto's traversal and
// nesting limits and calls `fn` inside a try block, because Cap'n Proto checks
// pointers lazily in the getters. Any decoding failure becomes a status with
// errc::malformed_frame; a schema mismatch becomes errc::wrong_schema. The
// reader handed to `fn` borrows the frame's words: do not keep it past `fn`.
#pragma once

#include <exception>
#include <string>

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <capnp/schema.h>
#include <kj/exception.h>

#include "lagom/status.hpp"
#include "wire/frame.hpp"
#include "wire/limits.hpp"

namespace lagom::wire {

/// The Cap'n Proto type id that tags frames whose root is T.
template <class T>
constexpr uint64_t schema_id() {
  return capnp::typeId<T>();
}

/// The short name of T's schema ("Heartbeat"), for error messages.
template <class T>
std::string schema_name() {
  return capnp::Schema::from<T>().getShortDisplayName().cStr();
}

/// Builds a frame whose root is T; `fill` receives T::Builder.
template <class T, class F>
frame build(F&& fill) {
  capnp::MallocMessageBuilder mb;
  fill(mb.initRoot<T>());
  return frame{schema_id<T>(), capnp::messageToFlatArray(mb)};
}

/// Describes a schema id that is not T's, for wrong_schema errors.
std::string describe_mismatch(uint64_t expected, const std::string& expected_name,
                              uint64_t got);

/// Reads a frame whose root must be T; `fn(T::Reader)` returns a status.
template <class T, class F>
status read(const frame& f, F&& fn, const limits& lim = default_limits()) {
  const std::string name = schema_name<T>();
  if (f.empty())
    return status::error(errc::malformed_frame, "empty frame", name);
  if (f.schema() != schema_id<T>())
    return status::error(errc::wrong_schema,
                         describe_mismatch(schema_id<T>(), name, f.schema()), name);
  if (f.size_bytes() > lim.max_frame_bytes)
    return status::error(errc::malformed_frame,
                         "oversized frame: " + std::to_string(f.size_bytes())
                           + " bytes > limit " + std::to_string(lim.max_frame_bytes),
                         name);
  try {
    capnp::ReaderOptions opts;
    opts.traversalLimitInWords = lim.traversal_words;
    opts.nestingLimit = lim.nesting;
    capnp::FlatArrayMessageReader reader(f.words(), opts);
    return fn(reader.getRoot<T>());
  } catch (const kj::Exception& e) {
    return status::error(errc::malformed_frame, e.getDescription().cStr(), name);
  } catch (const std::exception& e) {
    return status::error(errc::malformed_frame, e.what(), name);
  }
}

} // namespace lagom::wire
