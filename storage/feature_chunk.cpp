#include "storage/feature_chunk.hpp"

#include <algorithm>
#include <cstring>

#include "storage/encoding.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "feature chunks store numbers in little-endian host order");

namespace lagom::storage {

namespace {

constexpr size_t header_bytes = 11;

size_t value_bytes(const feature_spec& s) {
  switch (s.type) {
  case feature_type::int64:
  case feature_type::float64: return 8;
  case feature_type::float32: return 4;
  case feature_type::f32_vector: return size_t{4} * s.width;
  case feature_type::u8_vector: return s.width;
  case feature_type::string: return 0;
  }
  return 0;
}

const void* data_of(const feature_column& c) {
  switch (c.spec.type) {
  case feature_type::int64: return c.i64.data();
  case feature_type::float64: return c.f64.data();
  case feature_type::float32:
  case feature_type::f32_vector: return c.f32.data();
  case feature_type::u8_vector: return c.u8.data();
  case feature_type::string: break;
  }
  return nullptr;
}

// Appends `n` fixed-width values from `src` to the column's vector.
void append_values(feature_column* c, const char* src, size_t n) {
  auto grow = [&](auto& v) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    size_t elems = n * value_bytes(c->spec) / sizeof(T);
    size_t at = v.size();
    v.resize(at + elems);
    std::memcpy(v.data() + at, src, elems * sizeof(T));
  };
  switch (c->spec.type) {
  case feature_type::int64: grow(c->i64); break;
  case feature_type::float64: grow(c->f64); break;
  case feature_type::float32:
  case feature_type::f32_vector: grow(c->f32); break;
  case feature_type::u8_vector: grow(c->u8); break;
  case feature_type::string: break;
  }
}

uint32_t le32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

struct parsed {
  size_t rows = 0;
  const char* validity = nullptr;
  const char* data = nullptr;
  size_t data_bytes = 0;
};

status parse(std::string_view chunk, const feature_spec& spec, parsed* p) {
  const std::string where;
  auto corrupt = [&](const std::string& what) {
    return status::error(errc::io_error, "corrupt column chunk: " + what, where);
  };
  byte_reader r(chunk);
  uint8_t layout = r.u8(), type = r.u8(), flags = r.u8();
  uint32_t rows = r.u32(), width = r.u32();
  if (!r.ok() || layout != 1)
    return corrupt("bad header");
  if (type != static_cast<uint8_t>(spec.type) || width != spec.width)
    return corrupt("type or width differs from the schema's");
  p->rows = rows;
  size_t rest = r.remaining();
  if ((flags & 1) != 0) {
    if (rest < rows)
      return corrupt("truncated validity bytes");
    p->validity = chunk.data() + header_bytes;
    rest -= rows;
  }
  p->data = chunk.data() + chunk.size() - rest;
  p->data_bytes = rest;
  if (spec.type == feature_type::string) {
    size_t offsets = (size_t{rows} + 1) * 4;
    if (rest < offsets || le32(p->data + offsets - 4) != rest - offsets)
      return corrupt("string offsets do not match the bytes");
  } else if (rest != rows * value_bytes(spec)) {
    return corrupt("holds " + std::to_string(rest) + " data bytes for " + std::to_string(rows) +
                   " rows");
  }
  return status::ok();
}

void push_validity(feature_column* col, size_t before, bool valid_row) {
  if (!valid_row || !col->valid.empty()) {
    col->valid.resize(before, 1);
    col->valid.push_back(valid_row ? 1 : 0);
  }
}

} // namespace

namespace {

bool has_nulls(const feature_column& col, size_t begin, size_t end) {
  return !col.valid.empty() && std::any_of(col.valid.begin() + begin, col.valid.begin() + end,
                                           [](uint8_t v) { return v == 0; });
}

void put_be32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<char>(v >> (24 - 8 * i));
}

} // namespace

size_t encoded_chunk_size(const feature_column& col, size_t begin, size_t end) {
  size_t rows = end - begin;
  size_t n = header_bytes + (has_nulls(col, begin, end) ? rows : 0);
  if (col.spec.type != feature_type::string)
    return n + rows * value_bytes(col.spec);
  n += (rows + 1) * 4;
  for (size_t r = begin; r < end; ++r)
    n += col.str[r].size();
  return n;
}

void encode_chunk_into(const feature_column& col, size_t begin, size_t end, char* out) {
  size_t rows = end - begin;
  bool nulls = has_nulls(col, begin, end);
  out[0] = 1;
  out[1] = static_cast<char>(col.spec.type);
  out[2] = nulls ? 1 : 0;
  put_be32(out + 3, static_cast<uint32_t>(rows));
  put_be32(out + 7, col.spec.width);
  char* p = out + header_bytes;
  if (nulls) {
    std::memcpy(p, col.valid.data() + begin, rows);
    p += rows;
  }
  if (col.spec.type == feature_type::string) {
    uint32_t off = 0;
    for (size_t r = begin; r <= end; ++r) {
      std::memcpy(p, &off, 4);
      p += 4;
      if (r < end)
        off += static_cast<uint32_t>(col.str[r].size());
    }
    for (size_t r = begin; r < end; ++r) {
      std::memcpy(p, col.str[r].data(), col.str[r].size());
      p += col.str[r].size();
    }
    return;
  }
  size_t vb = value_bytes(col.spec);
  if (rows != 0)
    std::memcpy(p, static_cast<const char*>(data_of(col)) + begin * vb, rows * vb);
}

std::string encode_chunk(const feature_column& col, size_t begin, size_t end) {
  std::string out(encoded_chunk_size(col, begin, end), '\0');
  encode_chunk_into(col, begin, end, out.data());
  return out;
}

status decode_chunk(std::string_view chunk, feature_column* col) {
  const std::string where;
  parsed p;
  if (auto st = parse(chunk, col->spec, &p); !st)
    return st;
  size_t before = col->rows();
  if (col->spec.type == feature_type::string) {
    const char* bytes = p.data + (p.rows + 1) * 4;
    for (size_t r = 0; r < p.rows; ++r) {
      uint32_t a = le32(p.data + r * 4), b = le32(p.data + r * 4 + 4);
      if (a > b || b > p.data_bytes)
        return status::error(errc::io_error, "corrupt column chunk: string offsets", where);
      col->str.emplace_back(bytes + a, b - a);
    }
  } else {
    append_values(col, p.data, p.rows);
  }
  if (p.validity != nullptr || !col->valid.empty()) {
    col->valid.resize(before, 1);
    for (size_t r = 0; r < p.rows; ++r)
      col->valid.push_back(p.validity == nullptr ? 1 : static_cast<uint8_t>(p.validity[r] != 0));
  }
  return status::ok();
}

status decode_chunk_row(std::string_view chunk, size_t row, feature_column* col) {
  const std::string where;
  parsed p;
  if (auto st = parse(chunk, col->spec, &p); !st)
    return st;
  if (row >= p.rows)
    return status::error(errc::io_error,
                         "row " + std::to_string(row) + " is past the chunk's " +
                           std::to_string(p.rows),
                         where);
  size_t before = col->rows();
  if (col->spec.type == feature_type::string) {
    uint32_t a = le32(p.data + row * 4), b = le32(p.data + row * 4 + 4);
    if (a > b || (p.rows + 1) * 4 + b > p.data_bytes)
      return status::error(errc::io_error, "corrupt column chunk: string offsets", where);
    col->str.emplace_back(p.data + (p.rows + 1) * 4 + a, b - a);
  } else {
    append_values(col, p.data + row * value_bytes(col->spec), 1);
  }
  push_validity(col, before, p.validity == nullptr || p.validity[row] != 0);
  return status::ok();
}

size_t rows_per_chunk(const std::vector<feature_spec>& columns) {
  size_t widest = 8;
  for (const auto& c : columns)
    widest = std::max(widest, c.type == feature_type::string ? size_t{32} : value_bytes(c));
  return std::clamp<size_t>((size_t{1} << 20) / widest, 1, 65536);
}

} // namespace lagom::storage
