#include "storage/feature_npy.hpp"

#include <sys/stat.h>

#include <cstring>
#include <fstream>

namespace lagom::storage {

namespace {

constexpr std::string_view magic = "\x93NUMPY";

status bad(const std::string& path, const std::string& field, const std::string& msg) {
  return status::error(errc::invalid_argument, msg,
                       field.empty() ? path : path + ": header field '" + field + "'");
}

// The text after "'<key>':" in the header dict, spaces skipped; empty when absent.
std::string_view value_of(std::string_view header, std::string_view key) {
  std::string pat = "'" + std::string(key) + "'";
  size_t at = header.find(pat);
  if (at == std::string_view::npos)
    return {};
  at += pat.size();
  while (at < header.size() && header[at] == ' ')
    ++at;
  if (at >= header.size() || header[at] != ':')
    return {};
  ++at;
  while (at < header.size() && header[at] == ' ')
    ++at;
  return header.substr(at);
}

struct dtype_info {
  std::string_view descr;
  size_t size;
  feature_type type;
};

constexpr dtype_info dtypes[] = {
  {"<f8", 8, feature_type::float64}, {"<f4", 4, feature_type::float32},
  {"<i8", 8, feature_type::int64},   {"<i4", 4, feature_type::int64},
  {"<i2", 2, feature_type::int64},   {"|i1", 1, feature_type::int64},
  {"|u1", 1, feature_type::int64},   {"<u2", 2, feature_type::int64},
  {"<u4", 4, feature_type::int64},
};

template <class T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

int64_t integer_at(std::string_view d, const char* p) {
  if (d == "<i8") return load<int64_t>(p);
  if (d == "<i4") return load<int32_t>(p);
  if (d == "<i2") return load<int16_t>(p);
  if (d == "|i1") return load<int8_t>(p);
  if (d == "|u1") return load<uint8_t>(p);
  if (d == "<u2") return load<uint16_t>(p);
  return load<uint32_t>(p);
}

} // namespace

status parse_npy(std::string_view b, const std::string& path, const npy_options& o,
                 feature_frame* out) {
  if (b.size() < 10 || b.substr(0, 6) != magic)
    return bad(path, "", "bad magic: not a .npy file (it must start with \\x93NUMPY)");
  auto major = static_cast<uint8_t>(b[6]);
  if (major < 1 || major > 3)
    return bad(path, "", "unknown .npy format version " + std::to_string(major) + "." +
                           std::to_string(static_cast<uint8_t>(b[7])));
  size_t prefix = major == 1 ? 10 : 12;
  if (b.size() < prefix)
    return bad(path, "", "truncated in the header length");
  uint64_t hlen = major == 1 ? load<uint16_t>(b.data() + 8) : load<uint32_t>(b.data() + 8);
  if (hlen > b.size() - prefix)
    return bad(path, "", "header of " + std::to_string(hlen) + " bytes; the file holds " +
                           std::to_string(b.size() - prefix) + " after the prefix (truncated)");
  std::string_view header = b.substr(prefix, hlen);

  std::string_view d = value_of(header, "descr");
  if (d.size() < 2 || (d[0] != '\'' && d[0] != '"'))
    return bad(path, "descr", "missing or not a string");
  size_t end = d.find(d[0], 1);
  if (end == std::string_view::npos)
    return bad(path, "descr", "unterminated string");
  std::string_view descr = d.substr(1, end - 1);
  const dtype_info* dt = nullptr;
  for (const auto& x : dtypes)
    if (x.descr == descr)
      dt = &x;
  if (dt == nullptr)
    return bad(path, "descr", "unsupported dtype '" + std::string(descr) +
                                "' (supported: <f8 <f4 <i8 <i4 <i2 |i1 |u1 <u2 <u4)");

  std::string_view fo = value_of(header, "fortran_order");
  bool fortran;
  if (fo.substr(0, 4) == "True")
    fortran = true;
  else if (fo.substr(0, 5) == "False")
    fortran = false;
  else
    return bad(path, "fortran_order", "missing or not True/False");

  std::string_view sh = value_of(header, "shape");
  if (sh.empty() || sh[0] != '(')
    return bad(path, "shape", "missing or not a tuple");
  size_t close = sh.find(')');
  if (close == std::string_view::npos)
    return bad(path, "shape", "unterminated tuple");
  std::vector<uint64_t> dims;
  std::string_view inner = sh.substr(1, close - 1);
  size_t i = 0;
  while (i < inner.size()) {
    while (i < inner.size() && (inner[i] == ' ' || inner[i] == ','))
      ++i;
    if (i >= inner.size())
      break;
    uint64_t v = 0;
    size_t digits = 0;
    while (i < inner.size() && inner[i] >= '0' && inner[i] <= '9') {
      if (v > (uint64_t{1} << 40))
        return bad(path, "shape", "dimension too large");
      v = v * 10 + static_cast<uint64_t>(inner[i++] - '0');
      ++digits;
    }
    if (digits == 0)
      return bad(path, "shape", "not a tuple of non-negative integers");
    dims.push_back(v);
  }
  if (dims.size() != 2)
    return bad(path, "shape", "the array is " + std::to_string(dims.size()) +
                                "-D; a feature group needs a 2-D array (rows, columns)");
  uint64_t rows = dims[0], cols = dims[1];
  if (cols == 0 || cols > max_feature_columns)
    return bad(path, "shape", std::to_string(cols) + " columns; 1 to " +
                                std::to_string(max_feature_columns));
  if (rows > o.max_bytes / cols / dt->size)
    return bad(path, "shape", "(" + std::to_string(rows) + ", " + std::to_string(cols) +
                                ") of " + std::string(descr) + " is more than " +
                                std::to_string(o.max_bytes) + " bytes");
  uint64_t need = rows * cols * dt->size, have = b.size() - prefix - hlen;
  if (have != need)
    return bad(path, "shape",
               "(" + std::to_string(rows) + ", " + std::to_string(cols) + ") needs " +
                 std::to_string(need) + " data bytes; the file holds " + std::to_string(have) +
                 (have < need ? " (truncated)" : " (trailing bytes)"));

  const char* data = b.data() + prefix + hlen;
  feature_frame f;
  for (uint64_t c = 0; c < cols; ++c) {
    feature_column col;
    col.spec = {"col_" + std::to_string(c), dt->type, 1};
    col.reserve(rows);
    for (uint64_t r = 0; r < rows; ++r) {
      const char* p = data + (fortran ? c * rows + r : r * cols + c) * dt->size;
      switch (dt->type) {
      case feature_type::float64: col.f64.push_back(load<double>(p)); break;
      case feature_type::float32: col.f32.push_back(load<float>(p)); break;
      default: col.i64.push_back(integer_at(descr, p)); break;
      }
    }
    f.columns.push_back(std::move(col));
  }
  *out = std::move(f);
  return status::ok();
}

status read_npy(const std::string& path, const npy_options& o, feature_frame* out) {
  struct stat sb;
  if (::stat(path.c_str(), &sb) != 0)
    return status::error(errno == ENOENT ? errc::not_found : errc::io_error,
                         errno == ENOENT ? "no such file" : "cannot read the file", path);
  if (static_cast<uint64_t>(sb.st_size) > o.max_bytes + (1 << 20))
    return bad(path, "", "file of " + std::to_string(sb.st_size) + " bytes is past the limit");
  std::ifstream in(path, std::ios::binary);
  std::string bytes(static_cast<size_t>(sb.st_size), '\0');
  if (!in || !in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
    return status::error(errc::io_error, "cannot read the file", path);
  return parse_npy(bytes, path, o, out);
}

status write_npy(const std::string& path, std::string_view descr, uint64_t rows, uint64_t cols,
                 std::string_view data) {
  std::string header = "{'descr': '" + std::string(descr) +
                       "', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                       std::to_string(cols) + "), }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out(magic);
  out += '\x01';
  out += '\x00';
  auto hlen = static_cast<uint16_t>(header.size());
  out.append(reinterpret_cast<const char*>(&hlen), 2);
  out += header;
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(out.data(), static_cast<std::streamsize>(out.size()));
  file.write(data.data(), static_cast<std::streamsize>(data.size()));
  file.close();
  if (!file)
    return status::error(errc::io_error, "cannot write the file", path);
  return status::ok();
}

} // namespace lagom::storage
