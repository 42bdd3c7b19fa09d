// tensorboard::event_writer: the TFRecord framing and the Event encoding drawn
// in tfevents.hpp. No protobuf library: the three messages are small enough to
// write field by field, and doing so keeps lagom free of a protoc step.
#include "tensorboard/tfevents.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "tensorboard/crc32c.hpp"

namespace lagom::tensorboard {

namespace {

enum wire : uint8_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_tag(std::string& out, uint32_t field, wire type) {
  put_varint(out, (uint64_t{field} << 3) | type);
}

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void put_double(std::string& out, uint32_t field, double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  put_tag(out, field, fixed64);
  put_le(out, bits, 8);
}

void put_float(std::string& out, uint32_t field, float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  put_tag(out, field, fixed32);
  put_le(out, bits, 4);
}

void put_bytes(std::string& out, uint32_t field, const std::string& bytes) {
  put_tag(out, field, length_delimited);
  put_varint(out, bytes.size());
  out += bytes;
}

// Event { 1: wall_time, 3: file_version }
std::string version_event(double wall_time) {
  std::string event;
  put_double(event, 1, wall_time);
  put_bytes(event, 3, "brain.Event:2");
  return event;
}

// Event { 1: wall_time, 2: step, 5: Summary { 1: Value { 1: tag, 2: simple_value } } }
std::string scalar_event(const std::string& tag, float value, int64_t step, double wall_time) {
  std::string v;
  put_bytes(v, 1, tag);
  put_float(v, 2, value);
  std::string summary;
  put_bytes(summary, 1, v);
  std::string event;
  put_double(event, 1, wall_time);
  put_tag(event, 2, varint);
  put_varint(event, static_cast<uint64_t>(step));  // int64: negatives take 10 bytes
  put_bytes(event, 5, summary);
  return event;
}

// length, masked crc(length), data, masked crc(data).
std::string frame(const std::string& data) {
  std::string record;
  record.reserve(data.size() + 16);
  put_le(record, data.size(), 8);
  put_le(record, mask_crc(crc32c(record.data(), 8)), 4);
  record += data;
  put_le(record, mask_crc(crc32c(data.data(), data.size())), 4);
  return record;
}

std::string hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0')
    return "localhost";
  return name;
}

} // namespace

double event_writer::now() {
  using namespace std::chrono;
  auto us = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  return static_cast<double>(us) / 1e6;
}

status event_writer::open(const std::string& dir, event_writer& out,
                          const event_writer_options& opts) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return status::error(errc::io_error, "cannot create directory: " + ec.message(), dir);

  const double started = now();
  const std::string name = "events.out.tfevents." +
                           std::to_string(static_cast<int64_t>(std::floor(started))) + "." +
                           hostname() + opts.filename_suffix;
  const std::string path = (std::filesystem::path(dir) / name).string();
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "wbx");  // x: never append to another's file
  if (!f) {
    std::string why = errno == EEXIST ? "already exists (use a filename_suffix)"
                                      : std::string("cannot create: ") + std::strerror(errno);
    return status::error(errc::io_error, why, path);
  }

  event_writer w;
  w.file_.reset(f);
  w.path_ = path;
  w.flush_every_ = opts.flush_every == 0 ? 1 : opts.flush_every;
  if (status s = w.write_record(version_event(started)); !s)
    return s;
  if (status s = w.flush(); !s)
    return s;
  out = std::move(w);
  return status::ok();
}

status event_writer::add_scalar(const std::string& tag, float value, int64_t step,
                                double wall_time) {
  if (!file_)
    return status::error(errc::invalid_argument, "the writer is not open", "event_writer");
  if (tag.empty())
    return status::error(errc::invalid_argument, "empty tag", path_);
  if (status s = write_record(scalar_event(tag, value, step, wall_time)); !s)
    return s;
  if (++unflushed_ >= flush_every_)
    return flush();
  return status::ok();
}

status event_writer::write_record(const std::string& data) {
  const std::string record = frame(data);
  if (std::fwrite(record.data(), 1, record.size(), file_.get()) != record.size())
    return status::error(errc::io_error, std::string("write failed: ") + std::strerror(errno),
                         path_);
  return status::ok();
}

status event_writer::flush() {
  if (!file_)
    return status::ok();
  unflushed_ = 0;
  if (std::fflush(file_.get()) != 0)
    return status::error(errc::io_error, std::string("flush failed: ") + std::strerror(errno),
                         path_);
  return status::ok();
}

status event_writer::close() {
  if (!file_)
    return status::ok();
  status s = flush();
  if (std::fclose(file_.release()) != 0 && s.is_ok())
    s = status::error(errc::io_error, std::string("close failed: ") + std::strerror(errno),
                      path_);
  path_.clear();
  return s;
}

} // namespace lagom::tensorboard
