#include "storage/encoding.hpp"

#include <cstring>

#include "storage/lmdb.hpp"

namespace lagom::storage {

namespace {

constexpr uint8_t tag_number = 0;
constexpr uint8_t tag_text = 1;

// The smallest encoded named_values entry: an empty name (4) and a tag (1)
// followed by at least a 4-byte text length. Bounds a count read from disk.
constexpr size_t min_entry_bytes = 4 + 1 + 4;

} // namespace

void byte_writer::u16(uint16_t v) {
  u8(static_cast<uint8_t>(v >> 8));
  u8(static_cast<uint8_t>(v));
}

void byte_writer::u32(uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    u8(static_cast<uint8_t>(v >> shift));
}

void byte_writer::u64(uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    u8(static_cast<uint8_t>(v >> shift));
}

void byte_writer::f64(double v) {
  uint64_t bits;
  static_assert(sizeof(bits) == sizeof(v));
  std::memcpy(&bits, &v, sizeof(bits));
  u64(bits);
}

void byte_writer::str(std::string_view s) {
  u32(static_cast<uint32_t>(s.size()));
  raw(s);
}

void byte_writer::key_name(std::string_view s) {
  raw(s);
  u8(0);
}

void byte_writer::values(const named_values& v) {
  u32(static_cast<uint32_t>(v.size()));
  for (auto& [name, val] : v.entries()) {
    str(name);
    if (auto text = std::get_if<std::string>(&val)) {
      u8(tag_text);
      str(*text);
    } else {
      u8(tag_number);
      f64(std::get<double>(val));
    }
  }
}

const char* byte_reader::take(size_t n) {
  if (!ok_ || n > in_.size() - pos_) {
    ok_ = false;
    return nullptr;
  }
  const char* p = in_.data() + pos_;
  pos_ += n;
  return p;
}

uint8_t byte_reader::u8() {
  auto p = take(1);
  return p ? static_cast<uint8_t>(*p) : 0;
}

uint16_t byte_reader::u16() {
  uint16_t hi = u8();
  return static_cast<uint16_t>((hi << 8) | u8());
}

uint32_t byte_reader::u32() {
  auto p = take(4);
  if (!p)
    return 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint64_t byte_reader::u64() {
  auto p = take(8);
  if (!p)
    return 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

double byte_reader::f64() {
  uint64_t bits = u64();
  double v;
  std::memcpy(&v, &bits, sizeof(v));
  return v;
}

std::string byte_reader::str() {
  return std::string(raw(u32()));
}

std::string_view byte_reader::raw(size_t n) {
  auto p = take(n);
  return p ? std::string_view(p, n) : std::string_view();
}

named_values byte_reader::values() {
  named_values out;
  uint32_t count = u32();
  if (count > remaining() / min_entry_bytes + 1) {
    fail();
    return out;
  }
  for (uint32_t i = 0; i < count && ok_; ++i) {
    std::string name = str();
    uint8_t tag = u8();
    if (tag == tag_number)
      out.set(name, f64());
    else if (tag == tag_text)
      out.set(name, str());
    else
      fail();
  }
  return out;
}

std::string be32(uint32_t v) {
  byte_writer w;
  w.u32(v);
  return w.take();
}

std::string be64(uint64_t v) {
  byte_writer w;
  w.u64(v);
  return w.take();
}

status check_name(std::string_view field, std::string_view name, bool path_safe) {
  auto bad = [&](const std::string& why) {
    return status::error(errc::invalid_argument, why, std::string(field));
  };
  if (name.empty())
    return bad("must not be empty");
  if (name.size() > max_name_bytes)
    return bad("'" + printable(name.substr(0, 32)) + "...' is " + std::to_string(name.size()) +
               " bytes; at most " + std::to_string(max_name_bytes) + " are allowed");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f)
      return bad("'" + printable(name) + "' contains a control character");
  if (path_safe) {
    if (name.find('/') != std::string_view::npos)
      return bad("'" + printable(name) + "' contains '/'");
    if (name == "." || name == "..")
      return bad("'" + std::string(name) + "' is not a valid name");
  }
  return status::ok();
}

status check_values(std::string_view field, const named_values& values) {
  for (auto& [name, val] : values.entries()) {
    if (auto st = check_name(field, name, false); !st)
      return st;
    auto text = std::get_if<std::string>(&val);
    if (text && text->size() > max_text_bytes)
      return status::error(errc::invalid_argument,
                           "text is " + std::to_string(text->size()) + " bytes; at most " +
                             std::to_string(max_text_bytes) + " are allowed",
                           std::string(field) + "." + name);
  }
  return status::ok();
}

status check_layout_version(write_txn& t, const db_handle& meta, uint32_t version,
                            const std::string& table) {
  constexpr std::string_view key = "layout_version";
  std::string_view bytes;
  status found = t.get(meta, key, &bytes);
  if (found.code() == errc::not_found)
    return t.put(meta, key, be32(version));
  if (!found)
    return found;
  byte_reader r(bytes);
  uint32_t stored = r.u32();
  if (r.done() && stored == version)
    return status::ok();
  return status::error(errc::io_error,
                       "layout version " + (r.done() ? std::to_string(stored) : "unreadable") +
                         "; this build reads version " + std::to_string(version),
                       table);
}

std::string printable(std::string_view bytes) {
  static const char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xf]);
    }
  }
  return out;
}

} // namespace lagom::storage
