// storage/encoding: the byte layouts every storage table and file builds on,
// and the rules for names that end up inside keys and paths.
//
// Keys. Unsigned integers are fixed-width big-endian, so LMDB's bytewise key
// order is numeric order and a cursor walks ids, run numbers and steps in
// order. A name inside a key ends with a 0x00 byte: names never hold control
// characters, so "loss" sorts before "loss2" and no name's key is a prefix of
// another's.
//
// Values. A record opens with a version byte, then fields in a fixed order:
//   u8 u16 u32 u64   big-endian
//   i64              two's complement, as u64
//   f64              IEEE-754 bits, as u64
//   str              u32 length, then that many bytes (no terminator)
//   named_values     u32 count, then per entry: str name, u8 tag,
//                    then tag 0: f64 number | tag 1: str text
//
// Versions. Every LMDB table keeps its layout version, a u32, under the key
// "layout_version" of its "meta" database (check_layout_version).
//
// Limits. byte_reader never reads past its buffer; a length or count larger
// than the bytes left marks the reader failed instead of allocating, so a
// corrupt record cannot make a reader allocate gigabytes or crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "lagom/status.hpp"
#include "lagom/values.hpp"

namespace lagom::storage {

struct db_handle;
class write_txn;

/// The longest name (experiment, metric key, hyperparameter) in bytes. Keeps
/// every key well under LMDB's 511-byte limit and a path component under
/// NAME_MAX.
constexpr size_t max_name_bytes = 200;

/// The longest text value (a hyperparameter or metadata text) in bytes.
constexpr size_t max_text_bytes = 64 * 1024;

/// Appends fields to a byte string in the layout above.
class byte_writer {
public:
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(uint16_t v);
  void u32(uint32_t v);
  void u64(uint64_t v);
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void f64(double v);
  /// A length-prefixed string.
  void str(std::string_view s);
  /// Bytes as they are, no length (for keys).
  void raw(std::string_view s) { out_.append(s.data(), s.size()); }
  /// A name inside a key: the bytes, then 0x00.
  void key_name(std::string_view s);
  void values(const named_values& v);

  const std::string& bytes() const noexcept { return out_; }
  std::string take() { return std::move(out_); }

private:
  std::string out_;
};

/// Reads fields back. The first read past the end (or any inconsistent length)
/// makes the reader failed: later reads return zero values, and ok() is false.
/// Borrows `in`: it must stay valid until the reader is destroyed.
class byte_reader {
public:
  explicit byte_reader(std::string_view in) noexcept : in_(in) {}

  uint8_t u8();
  uint16_t u16();
  uint32_t u32();
  uint64_t u64();
  int64_t i64() { return static_cast<int64_t>(u64()); }
  double f64();
  std::string str();
  /// `n` bytes as they are, borrowed from the input.
  std::string_view raw(size_t n);
  named_values values();

  bool ok() const noexcept { return ok_; }
  /// Whether every byte was read (and nothing failed).
  bool done() const noexcept { return ok_ && pos_ == in_.size(); }
  size_t remaining() const noexcept { return in_.size() - pos_; }
  /// Marks the reader failed (a decoder found a value out of range).
  void fail() noexcept { ok_ = false; }

private:
  const char* take(size_t n);

  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

/// The big-endian bytes of `v` (a key component).
std::string be32(uint32_t v);
std::string be64(uint64_t v);

/// Checks a name that becomes part of a key or a file path: 1 to
/// max_name_bytes bytes, no control characters (0x00-0x1f, 0x7f). With
/// `path_safe` also no '/' and not "." or "..". The error is invalid_argument
/// with where = `field` and the offending name in the message.
status check_name(std::string_view field, std::string_view name, bool path_safe);

/// Checks every name and text of `values`: names as check_name (not
/// path_safe), texts at most max_text_bytes. where = `field` or
/// "<field>.<name>".
status check_values(std::string_view field, const named_values& values);

/// Stores `version` as the layout version of a new table (its meta database
/// `meta` has no "layout_version" yet); for an existing table, checks it. A
/// table of another version is io_error naming `table` and both versions.
status check_layout_version(write_txn& t, const db_handle& meta, uint32_t version,
                            const std::string& table);

/// Bytes as a user reads them: printable ASCII kept, others as \xNN.
std::string printable(std::string_view bytes);

} // namespace lagom::storage
