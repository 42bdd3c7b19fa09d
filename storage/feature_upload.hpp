// storage/feature_upload: the parts of a chunked write, held in memory by the
// shard that will store them until the write's last frame commits them as
// one version (feature_store::create / write: one LMDB transaction). A write
// too large for one frame (the wire's 64 MiB cap, runtime/wire/limits.hpp)
// travels as parts 0, 1, ... of an upload id the client picks at random,
// then the ordinary write frame naming the id and the count of parts.
//
// Atomic by construction: nothing of an upload touches the store before its
// last frame, so a client that dies mid-upload leaves no version and no
// bytes on disk; its parts are dropped once idle for limits.idle (expire),
// and a shard that dies loses only memory.
//
// Bounded: at most limits.max_bytes staged in all (the parts' wire sizes)
// and limits.max_uploads uploads at once; past either a part is refused
// (unavailable), and the client's write fails naming the upload.
//
// Threading: not thread-safe; the shard's one thread uses it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lagom/status.hpp"
#include "storage/feature_frame.hpp"

namespace lagom::storage {

struct upload_limits {
  uint64_t max_bytes = uint64_t{2} << 30;
  size_t max_uploads = 16;
  int64_t idle_ms = 60000;
};

class upload_stage {
public:
  explicit upload_stage(upload_limits l = {}) : limits_(l) {}

  /// Stages part `seq` of upload `id` for `group` (`bytes`: its size on the
  /// wire). Parts come in order from 0: another seq, or another group under
  /// the same id, is invalid_argument naming "upload"; columns unlike part
  /// 0's too. Over the limits: unavailable. A refused part drops the upload.
  status add(uint64_t id, const std::string& group, uint32_t seq, feature_frame rows,
             uint64_t bytes, int64_t now_ms);

  /// Removes upload `id` and gives its parts, in order, with `last` after
  /// them, as one frame. invalid_argument naming "upload" when the id is
  /// unknown (never started, or expired), names another group, or holds
  /// other than `parts` parts, or `last` has other columns.
  status take(uint64_t id, const std::string& group, uint32_t parts, feature_frame last,
              feature_frame* out);

  /// Drops uploads with no part for longer than limits.idle_ms; how many.
  size_t expire(int64_t now_ms);

  uint64_t bytes() const noexcept { return bytes_; }
  size_t uploads() const noexcept { return uploads_.size(); }

private:
  struct upload {
    std::string group;
    std::vector<feature_frame> parts;
    uint64_t bytes = 0;
    int64_t touched_ms = 0;
  };
  void drop(std::map<uint64_t, upload>::iterator it);

  upload_limits limits_;
  std::map<uint64_t, upload> uploads_;
  uint64_t bytes_ = 0;
};

/// Rows [begin, end) of `f` (end <= f.rows()), every column.
feature_frame slice_rows(const feature_frame& f, size_t begin, size_t end);

/// About how many bytes `f` takes in a frame (values, string bytes, flags).
uint64_t frame_bytes(const feature_frame& f);

/// Appends the rows of `from` to `to` (same column specs, in order; else
/// invalid_argument naming `where` and the column).
status append_frame(feature_frame* to, const feature_frame& from, const std::string& where);

} // namespace lagom::storage
