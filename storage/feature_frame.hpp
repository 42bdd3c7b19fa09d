// storage/feature_frame: the values of the feature store. A feature group's
// schema (typed columns, primary key, optional event time) and a frame: rows
// of such columns, held column by column in memory. Plain values: copy them,
// move them, send them (an actor encodes them with encode_frame).
//
// Types. int64, float32, float64, string, and two fixed-length vectors for
// images and embeddings: f32_vector and u8_vector of `width` elements per row.
// A value may be null (a validity flag per row); a primary key or event time
// value may not.
//
// Names. A group or feature name is 1 to max_feature_name_bytes of
// [A-Za-z0-9_] (as hops requires), so it is safe in keys, paths and CSV.
//
// Threading: values; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lagom/status.hpp"

namespace lagom::storage {

/// The longest group or feature name.
constexpr size_t max_feature_name_bytes = 63;
/// The most columns in a group (vector columns count once).
constexpr size_t max_feature_columns = 4096;
/// The widest vector column (elements per row).
constexpr uint32_t max_vector_width = 1u << 20;
/// The longest string value: bounds what one CSV field or row may allocate.
constexpr size_t max_string_bytes = 64 * 1024;
/// The longest encoded primary key of one row (LMDB keys are at most 511 bytes).
constexpr size_t max_key_bytes = 400;

enum class feature_type : uint8_t {
  int64 = 1,
  float32 = 2,
  float64 = 3,
  string = 4,
  f32_vector = 5,
  u8_vector = 6,
};

/// "int64", "float32", "float64", "string", "f32_vector", "u8_vector".
const char* to_string(feature_type t) noexcept;
/// The type named `name` (as to_string writes it); false when none.
bool parse_feature_type(std::string_view name, feature_type* out) noexcept;
/// int64, float32, float64 and the vectors (whose elements are numbers).
bool is_numeric(feature_type t) noexcept;
bool is_vector(feature_type t) noexcept;

struct feature_spec {
  std::string name;
  feature_type type = feature_type::float64;
  uint32_t width = 1;  ///< elements per row: 1 for scalars, >= 1 for vectors
  bool operator==(const feature_spec& o) const {
    return name == o.name && type == o.type && width == o.width;
  }
  bool operator!=(const feature_spec& o) const { return !(*this == o); }
};

struct feature_schema {
  std::vector<feature_spec> columns;
  /// Names of the key columns (int64 or string), at least one.
  std::vector<std::string> primary_key;
  /// The int64 column that says when a row's values became true (any unit,
  /// conventionally ms since the epoch); empty when the group has none. With
  /// it, the pair (key, event time) is unique instead of the key alone.
  std::string event_time;

  /// The index of column `name`, or -1.
  int find(std::string_view name) const noexcept;
  bool operator==(const feature_schema& o) const {
    return columns == o.columns && primary_key == o.primary_key && event_time == o.event_time;
  }
  bool operator!=(const feature_schema& o) const { return !(*this == o); }
};

/// One column of a frame. Exactly one of the value vectors is used, by type:
/// i64 (int64), f32 (float32, f32_vector: rows * width), f64 (float64),
/// str (string), u8 (u8_vector: rows * width). `valid` is empty when no value
/// is null, else one byte (0 or 1) per row; a null row still holds a value
/// (zero, empty) so the vectors stay rows long.
struct feature_column {
  feature_spec spec;
  std::vector<int64_t> i64;
  std::vector<float> f32;
  std::vector<double> f64;
  std::vector<std::string> str;
  std::vector<uint8_t> u8;
  std::vector<uint8_t> valid;

  size_t rows() const noexcept;
  bool is_null(size_t row) const noexcept { return !valid.empty() && valid[row] == 0; }
  /// Element e of row r as a double (numeric columns; NaN for a null).
  double number(size_t row, uint32_t element = 0) const noexcept;
  /// Appends row `row` of `from` (same type and width).
  void push_row(const feature_column& from, size_t row);
  /// Appends a null row (a zero or empty value, flagged).
  void push_null();
  void reserve(size_t rows);
};

/// Rows of named, typed columns, all of the same length.
struct feature_frame {
  std::vector<feature_column> columns;

  size_t rows() const noexcept { return columns.empty() ? 0 : columns.front().rows(); }
  /// The column named `name`, or nullptr.
  const feature_column* find(std::string_view name) const noexcept;
  std::vector<feature_spec> specs() const;
  /// Checks that every column has rows() values of its type and width.
  status check_shape() const;
};

/// One part of a primary key value, in the order of schema.primary_key.
using key_part = std::variant<int64_t, std::string>;
using key_value = std::vector<key_part>;

/// Checks a group or feature name: 1 to max_feature_name_bytes of
/// [A-Za-z0-9_]. invalid_argument, where = `field`, naming the bad name.
status check_feature_name(std::string_view field, std::string_view name);

/// Checks a schema: names, no duplicate column, a known type per column,
/// vector widths in 1..max_vector_width (scalars 1), a primary key of
/// existing int64/string columns named once each, an event time that is an
/// int64 column. where names the column ("schema.<name>") or the field.
status check_schema(const feature_schema& schema);

/// Checks that `frame` holds exactly the columns of `schema`, in its order,
/// with its types and widths, each full length; that no key or event-time
/// value is null; that strings fit max_string_bytes and key strings hold no
/// 0x00. where names the group and the column ("<group>.<column>", with
/// " row N" for a value).
status check_frame(std::string_view group, const feature_schema& schema,
                   const feature_frame& frame);

/// `frame`'s first `n` rows as an aligned text table: a header line, then a
/// line per row; vectors as [a, b, c, ...] (4 elements shown), nulls as "null".
std::string format_table(const feature_frame& frame, size_t n);

} // namespace lagom::storage
