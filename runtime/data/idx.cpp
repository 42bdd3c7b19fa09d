// data::read_idx: IDX through zlib's gz* calls (they read plain files as-is).
// The format is drawn at the top of idx.hpp. The header is checked against
// idx_limits before any allocation, and the data buffer grows as bytes arrive,
// so a short file never costs more memory than it holds plus one chunk.
#include "data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>

namespace lagom::data {

namespace {

constexpr uint64_t chunk_bytes = uint64_t{16} << 20;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct gz_closer {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

// One open IDX file and how far into it (uncompressed) we are.
class source {
public:
  explicit source(const std::string& path) : path_(path) {}

  status open() {
    errno = 0;
    file_.reset(gzopen(path_.c_str(), "rb"));
    if (!file_) {
      if (errno == ENOENT)
        return status::error(errc::not_found, "no such file", path_);
      return status::error(errc::io_error,
                           std::string("cannot open: ") + std::strerror(errno), path_);
    }
    gzbuffer(file_.get(), 1 << 16);
    return status::ok();
  }

  // Appends up to n bytes to `dst`. Ok with fewer at end of file (a gzip
  // stream cut short counts as end of file and sets cut_short()).
  status read(std::vector<uint8_t>& dst, uint64_t n) {
    uint64_t wanted = n;
    while (wanted > 0) {
      uint64_t step = std::min<uint64_t>({wanted, chunk_bytes, uint64_t{INT_MAX}});
      size_t at = dst.size();
      dst.resize(at + step);
      int r = gzread(file_.get(), dst.data() + at, static_cast<unsigned>(step));
      int err = Z_OK;
      std::string what = zlib_message(gzerror(file_.get(), &err));
      dst.resize(at + static_cast<size_t>(std::max(r, 0)));
      if (r > 0) {
        pos_ += static_cast<uint64_t>(r);
        wanted -= static_cast<uint64_t>(r);
      }
      if (err == Z_BUF_ERROR) {  // "unexpected end of file" inside the gzip stream
        cut_short_ = true;
        return status::ok();
      }
      if (err == Z_ERRNO)
        return status::error(errc::io_error, "read failed after " + std::to_string(pos_) +
                                               " bytes: " + what, path_);
      if (err != Z_OK || r < 0)
        return status::error(errc::io_error, "corrupt gzip stream after " +
                                               std::to_string(pos_) + " bytes: " + what, path_);
      if (r == 0)
        return status::ok();
    }
    return status::ok();
  }

  bool is_gzip() const { return gzdirect(file_.get()) == 0; }
  bool cut_short() const { return cut_short_; }
  uint64_t pos() const { return pos_; }

  // The error for a file that ended at pos() although `total` bytes were due.
  status truncated(uint64_t total, const char* part) const {
    return status::error(errc::invalid_argument,
                         std::string("truncated in the ") + part + ": ends after " +
                             std::to_string(pos_) + " of " + std::to_string(total) +
                             " bytes" + (cut_short_ ? " (gzip stream cut short)" : ""),
                         path_);
  }

private:
  // gzerror() says "<path>: <what>"; the path is already in `where`.
  std::string zlib_message(const char* m) const {
    std::string s = m ? m : "";
    if (s.compare(0, path_.size() + 2, path_ + ": ") == 0)
      s.erase(0, path_.size() + 2);
    return s;
  }

  std::string path_;
  std::unique_ptr<gzFile_s, gz_closer> file_;
  uint64_t pos_ = 0;
  bool cut_short_ = false;
};

uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

bool host_is_little_endian() {
  const uint16_t one = 1;
  uint8_t first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

std::string join_dims(const std::vector<uint32_t>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? "x" : "") + std::to_string(dims[i]);
  return s;
}

} // namespace

size_t element_size(idx_type t) noexcept {
  switch (t) {
    case idx_type::u8: case idx_type::i8: return 1;
    case idx_type::i16: return 2;
    case idx_type::i32: case idx_type::f32: return 4;
    case idx_type::f64: return 8;
  }
  return 0;
}

const char* to_string(idx_type t) noexcept {
  switch (t) {
    case idx_type::u8: return "ubyte";
    case idx_type::i8: return "sbyte";
    case idx_type::i16: return "short";
    case idx_type::i32: return "int";
    case idx_type::f32: return "float";
    case idx_type::f64: return "double";
  }
  return "unknown";
}

std::string magic_hex(uint32_t magic) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(magic));
  return buf;
}

uint64_t idx_array::count() const noexcept {
  uint64_t n = 1;
  for (uint32_t d : dims)
    n *= d;
  return n;
}

double idx_array::value(uint64_t i) const noexcept {
  const uint8_t* p = bytes.data() + i * element_size(type);
  switch (type) {
    case idx_type::u8: return *p;
    case idx_type::i8: return static_cast<int8_t>(*p);
    case idx_type::i16: { int16_t v; std::memcpy(&v, p, 2); return v; }
    case idx_type::i32: { int32_t v; std::memcpy(&v, p, 4); return v; }
    case idx_type::f32: { float v; std::memcpy(&v, p, 4); return v; }
    case idx_type::f64: { double v; std::memcpy(&v, p, 8); return v; }
  }
  return 0;
}

status read_idx(const std::string& path, idx_array& out, const idx_limits& limits) {
  out = idx_array{};
  source in(path);
  if (status s = in.open(); !s)
    return s;

  std::vector<uint8_t> head;
  if (status s = in.read(head, 4); !s)
    return s;
  if (ends_with(path, ".gz") && !in.is_gzip())
    return status::error(errc::invalid_argument,
                         "named .gz but not gzip data (no gzip header)", path);
  if (head.size() < 4)
    return in.truncated(4, "magic");
  uint32_t magic = load_be32(head.data());
  if (head[0] != 0 || head[1] != 0)
    return status::error(errc::invalid_argument,
                         "bad magic " + magic_hex(magic) +
                             " (expected 0x0000, a type code and a dimension count)",
                         path);
  idx_type type = static_cast<idx_type>(head[2]);
  size_t esize = element_size(type);
  if (esize == 0) {
    char code[8];
    std::snprintf(code, sizeof code, "0x%02X", head[2]);
    return status::error(errc::invalid_argument,
                         std::string("unsupported type code ") + code + " at byte 2 " +
                             "(expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E)",
                         path);
  }
  uint32_t ndims = head[3];
  if (ndims == 0 || ndims > limits.max_dims)
    return status::error(errc::invalid_argument,
                         "header claims " + std::to_string(ndims) + " dimensions (expected 1.." +
                             std::to_string(limits.max_dims) + ")",
                         path);

  uint64_t header_bytes = 4 + 4 * uint64_t{ndims};
  if (status s = in.read(head, 4 * uint64_t{ndims}); !s)
    return s;
  if (head.size() < header_bytes)
    return in.truncated(header_bytes, "dimension sizes");
  std::vector<uint32_t> dims(ndims);
  uint64_t data_bytes = esize;
  bool over = false;
  for (uint32_t i = 0; i < ndims; ++i) {
    dims[i] = load_be32(head.data() + 4 + 4 * i);
    if (dims[i] != 0 && data_bytes > limits.max_bytes / dims[i])
      over = true;
    else
      data_bytes *= dims[i];
  }
  if (over || data_bytes > limits.max_bytes)
    return status::error(errc::invalid_argument,
                         "header claims " + join_dims(dims) + " " + to_string(type) +
                             " elements, over the limit of " +
                             std::to_string(limits.max_bytes) + " bytes",
                         path);

  std::vector<uint8_t> data;
  data.reserve(static_cast<size_t>(std::min(data_bytes, chunk_bytes * 4)));
  if (status s = in.read(data, data_bytes); !s)
    return s;
  if (data.size() < data_bytes)
    return in.truncated(header_bytes + data_bytes, "data");
  std::vector<uint8_t> extra;
  if (status s = in.read(extra, 1); !s)
    return s;
  if (!extra.empty())
    return status::error(errc::invalid_argument,
                         "trailing bytes after the " + std::to_string(header_bytes + data_bytes) +
                             " bytes that header " + join_dims(dims) + " " + to_string(type) +
                             " describes (wrong dimensions?)",
                         path);

  if (esize > 1 && host_is_little_endian())
    for (size_t i = 0; i < data.size(); i += esize)
      std::reverse(data.begin() + static_cast<std::ptrdiff_t>(i),
                   data.begin() + static_cast<std::ptrdiff_t>(i + esize));
  out.type = type;
  out.dims = std::move(dims);
  out.bytes = std::move(data);
  return status::ok();
}

} // namespace lagom::data
