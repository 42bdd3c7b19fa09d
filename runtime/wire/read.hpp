// Typed access to frames: build one from a Cap'n Proto struct, read one back.
//
//   frame f = wire::build<schema::Heartbeat>([&](auto b) { b.setNodeId(3); });
//   status s = wire::read<schema::Heartbeat>(f, [&](auto r) {
//     id = r.getNodeId();
//     return status::ok();
//   });
//
// read() checks, in order: the frame is not empty, its schema id is T's, its
// size is within limits; then it decodes with Cap'n Proto's traversal limit
// (bounded by the frame's own size: traversal_for in limits.hpp) and nesting
// limit and calls `fn` inside a try block, because Cap'n Proto checks
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

namespace detail {

/// This thread's reusable first segment for build(), zeroed between uses.
/// It starts at 8 KiB and grows (up to 1 MiB) to fit the largest message built
/// on the thread, so that a message is built in one segment: with several,
/// every pointer across segments costs a far pointer and its landing pad, a
/// larger frame, and a slower read. Not leased (segment() empty) when the
/// thread is already inside build(); build() then allocates as before.
class scratch_lease {
public:
  scratch_lease();
  ~scratch_lease();
  scratch_lease(const scratch_lease&) = delete;
  scratch_lease& operator=(const scratch_lease&) = delete;
  kj::ArrayPtr<capnp::word> segment() const noexcept { return segment_; }
  /// The message just built needed `words` in all: grow for the next one.
  void fit(size_t words);

private:
  kj::ArrayPtr<capnp::word> segment_;
};

template <class T, class F>
frame build_into(capnp::MallocMessageBuilder& mb, F& fill) {
  fill(mb.initRoot<T>());
  return frame{schema_id<T>(), capnp::messageToFlatArray(mb)};
}

} // namespace detail

/// Builds a frame whose root is T; `fill` receives T::Builder.
template <class T, class F>
frame build(F&& fill) {
  detail::scratch_lease lease;
  if (lease.segment().size() == 0) {
    capnp::MallocMessageBuilder mb;
    return detail::build_into<T>(mb, fill);
  }
  frame out;
  size_t spilled_words = 0;
  {
    // The builder zeroes what it used of the segment when it goes, even on a throw.
    capnp::MallocMessageBuilder mb(lease.segment());
    out = detail::build_into<T>(mb, fill);
    if (mb.getSegmentsForOutput().size() > 1)
      spilled_words = out.size_words();
  }
  if (spilled_words > 0)
    lease.fit(spilled_words);
  return out;
}

/// Describes a schema id that is not T's, for wrong_schema errors.
std::string describe_mismatch(uint64_t expected, const std::string& expected_name,
                              uint64_t got);

/// Describes a frame that made its reader visit more than `limit` words.
std::string describe_traversal(size_t frame_words, uint64_t limit);

/// Reads a frame whose root must be T; `fn(T::Reader)` returns a status.
template <class T, class F>
status read(const frame& f, F&& fn, const limits& lim = default_limits()) {
  // The name is looked up only on a failure: reads that succeed pay nothing for it.
  const auto name = [] { return schema_name<T>(); };
  if (f.empty())
    return status::error(errc::malformed_frame, "empty frame", name());
  if (f.schema() != schema_id<T>())
    return status::error(errc::wrong_schema,
                         describe_mismatch(schema_id<T>(), name(), f.schema()), name());
  if (f.size_bytes() > lim.max_frame_bytes)
    return status::error(errc::malformed_frame,
                         "oversized frame: " + std::to_string(f.size_bytes())
                           + " bytes > limit " + std::to_string(lim.max_frame_bytes),
                         name());
  const uint64_t traversal = traversal_for(lim, f.size_words());
  try {
    capnp::ReaderOptions opts;
    opts.traversalLimitInWords = traversal;
    opts.nestingLimit = lim.nesting;
    capnp::FlatArrayMessageReader reader(f.words(), opts);
    return fn(reader.getRoot<T>());
  } catch (const kj::Exception& e) {
    std::string what = e.getDescription().cStr();
    if (what.find("traversal limit") != std::string::npos
        || what.find("amplified") != std::string::npos)
      what = describe_traversal(f.size_words(), traversal) + " (" + what + ")";
    return status::error(errc::malformed_frame, what, name());
  } catch (const std::exception& e) {
    return status::error(errc::malformed_frame, e.what(), name());
  }
}

} // namespace lagom::wire
