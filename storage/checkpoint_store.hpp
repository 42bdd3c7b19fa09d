// storage/checkpoint_store: durable checkpoints of one run, as files in
// DATA/checkpoints/<experiment>/<run>/, one file per step: ckpt-<step>.lgck
// (the step in decimal, no leading zeros).
//
// File format, version 1 (integers big-endian; CRC-32 is zlib's crc32):
//
//   offset  size  field
//        0     4  magic "LGCK"
//        4     2  format version = 1
//        6     2  flags = 0
//        8     8  step (the same as in the file name)
//       16     8  payload length P
//       24     4  metadata length M (at most max_metadata_bytes)
//       28     4  CRC-32 of the metadata bytes followed by the payload bytes
//       32     4  CRC-32 of bytes 0..31 (the header itself)
//       36     M  metadata: named_values in the layout of encoding.hpp
//     36+M     P  payload: the caller's bytes
//
// The file is exactly 36 + M + P bytes. A bad magic, version, header or body
// checksum, a step that differs from the name, or a file longer or shorter
// than its header says, is io_error whose where is the file's path.
//
// Durability. save() writes ckpt-<step>.tmp, fsyncs it, renames it to
// ckpt-<step>.lgck and fsyncs the directory: after a crash a checkpoint exists
// whole or not at all. A leftover .tmp (a crash mid-save) is never read, and
// open() removes it. Then the oldest checkpoints are removed so that the
// newest keep_last remain (the one just saved always stays).
//
// latest() and load_latest() return the highest step whose file checks out,
// passing over (and reporting) corrupt or vanished ones.
//
// Threading: one writer per run directory (that run's checkpointer). Readers
// elsewhere may read meanwhile: a file appears whole (rename) or not at all,
// and one removed under a reader is passed over like a corrupt one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lagom/status.hpp"
#include "lagom/values.hpp"

namespace lagom::storage {

/// Longest metadata in a checkpoint: stops a corrupt length field from making
/// a reader allocate more than this before the checksum is known.
constexpr uint32_t max_metadata_bytes = 1 << 20;

struct checkpoint_options {
  /// How many checkpoints to keep (the newest); 0 keeps every one.
  uint32_t keep_last = 3;
};

struct checkpoint_info {
  uint64_t step = 0;
  uint64_t payload_bytes = 0;
  named_values metadata;
  std::string path;
};

struct checkpoint {
  checkpoint_info info;
  std::string payload;
};

class checkpoint_store {
public:
  /// A store that is not open; every call on it fails with internal.
  checkpoint_store() = default;

  /// Opens the checkpoints of run `run` of `experiment` under `data_dir`,
  /// creating the directories, and removes leftover .tmp files. `experiment`
  /// must be a path-safe name (check_name; where = "experiment").
  static status open(const std::string& data_dir, const std::string& experiment, uint32_t run,
                     const checkpoint_options& options, checkpoint_store* out);

  /// Saves `payload` and `metadata` as the checkpoint of `step`, replacing one
  /// of the same step, then applies retention. Metadata names and texts are
  /// checked (where = "metadata"). If retention cannot remove an old file the
  /// error names it, and the new checkpoint is saved all the same.
  status save(uint64_t step, std::string_view payload, const named_values& metadata,
              checkpoint_info* out = nullptr);

  /// The newest checkpoint that checks out (reading it whole to verify it).
  /// Each one passed over is appended to *skipped (if given) as the error
  /// naming its file. not_found when none checks out.
  status latest(checkpoint_info* out, std::vector<status>* skipped = nullptr) const;
  /// latest(), keeping the payload: one read of the file.
  status load_latest(checkpoint* out, std::vector<status>* skipped = nullptr) const;
  /// Shared storage: a node writes the checkpoint of `step` whole to a staged
  /// file of this directory (stage-<step>-<tag>.staged, fsynced; `tag` is
  /// path-safe, e.g. node and pid) and names it in *name. Nothing reads a
  /// staged file as a checkpoint until commit() renames it.
  status stage(uint64_t step, std::string_view payload, const named_values& metadata,
               const std::string& tag, std::string* name);
  /// The run's single writer (the head's checkpointer): verifies staged file
  /// `name` (a bare name made by stage(), whole and of `step`), renames it to
  /// the checkpoint of `step`, fsyncs the directory, applies retention as
  /// save() does, and removes the staged files of older steps (left by a
  /// writer killed before its commit). A missing staged file is not_found
  /// naming its path; a bad
  /// name invalid_argument ("staged"); a corrupt one io_error (and removed).
  status commit(const std::string& name, uint64_t step, checkpoint_info* out = nullptr);
  /// Removes staged file `name` (a refused or failed commit); missing is ok.
  void discard(const std::string& name) const;

  /// The checkpoint of `step`; not_found when there is no such file.
  status load(uint64_t step, checkpoint* out) const;

  /// The steps that have a .lgck file, ascending; not verified.
  status steps(std::vector<uint64_t>* out) const;

  /// DATA/checkpoints/<experiment>/<run>; empty when not open.
  const std::string& dir() const noexcept { return dir_; }
  /// The path of the checkpoint file of `step`.
  std::string path_of(uint64_t step) const;

private:
  status newest(bool keep_payload, checkpoint* out, std::vector<status>* skipped) const;
  status write(const std::string& path, uint64_t step, std::string_view payload,
               const named_values& metadata) const;
  status retain(uint64_t step);
  void sweep_staged(uint64_t committed) const;

  std::string dir_;
  checkpoint_options options_;
};

} // namespace lagom::storage
