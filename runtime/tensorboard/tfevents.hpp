// tensorboard::event_writer: scalar summaries in a tfevents file TensorBoard reads.
//
// File: <dir>/events.out.tfevents.<unix seconds>.<hostname><suffix>, a sequence
// of TFRecords, each (integers little-endian):
//
//   uint64  length                  of data, in bytes
//   uint32  masked crc32c(length)   over those 8 bytes (mask: crc32c.hpp)
//   byte    data[length]            one serialized tensorflow.Event
//   uint32  masked crc32c(data)
//
// Events, protobuf wire format encoded by hand (tag byte = field << 3 | wire
// type; wire types 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32):
//
//   first record  Event   { 1: wall_time double, 3: file_version "brain.Event:2" }
//   then, each    Event   { 1: wall_time double, 2: step int64 (varint),
//                           5: summary Summary }
//                 Summary { 1: value Value (repeated; one here) }
//                 Value   { 1: tag string, 2: simple_value float }
//
// Ownership: the writer owns its FILE; it is movable, not copyable, and its
// destructor flushes and closes. One writer per file, used from one thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "lagom/status.hpp"

namespace lagom::tensorboard {

struct event_writer_options {
  std::string filename_suffix;  ///< appended to the file name, e.g. ".rank0"
  uint32_t flush_every = 10;    ///< records written between flushes (0 = as 1)
};

class event_writer {
public:
  event_writer() = default;

  /// Creates `dir` (and parents) if missing, then a new event file in it
  /// holding the file_version record, flushed. Fails with io_error, naming the
  /// directory or file, when the directory cannot be made or the file cannot be
  /// created, including when that name already exists (two writers in the same
  /// second on the same host: give one a filename_suffix). On success `out`
  /// owns the file (any file it held before is flushed and closed).
  static status open(const std::string& dir, event_writer& out,
                     const event_writer_options& opts = {});

  /// Appends one scalar event. invalid_argument when the writer is not open or
  /// `tag` is empty; io_error (naming the file) when the write fails. The
  /// record reaches the OS after every flush_every records or flush().
  status add_scalar(const std::string& tag, float value, int64_t step,
                    double wall_time = now());

  /// Hands everything written so far to the OS. io_error names the file.
  status flush();

  /// Flushes and closes; the writer is then not open. Ok when not open.
  status close();

  bool is_open() const { return file_ != nullptr; }
  /// The event file's path; empty when not open.
  const std::string& path() const { return path_; }

  /// Seconds since the Unix epoch, with microseconds: the default wall_time.
  static double now();

private:
  struct file_closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };

  status write_record(const std::string& data);

  std::unique_ptr<std::FILE, file_closer> file_;
  std::string path_;
  uint32_t flush_every_ = 10;
  uint32_t unflushed_ = 0;
};

} // namespace lagom::tensorboard
