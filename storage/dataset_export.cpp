#include "storage/dataset_export.hpp"

#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "storage/feature_npy.hpp"

namespace lagom::storage {

namespace {

std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}

void varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// A length-delimited field: tag (field << 3 | 2), length, bytes.
void field(std::string& out, uint32_t number, std::string_view bytes) {
  varint(out, (uint64_t{number} << 3) | 2);
  varint(out, bytes.size());
  out.append(bytes.data(), bytes.size());
}

// One features-map entry: key = name, value = Feature{float_list | int64_list}.
void map_entry(std::string& features, const std::string& name, const float* values, size_t n,
               const int64_t* ints) {
  std::string packed;
  if (ints != nullptr)
    for (size_t i = 0; i < n; ++i)
      varint(packed, static_cast<uint64_t>(ints[i]));
  else
    packed.assign(reinterpret_cast<const char*>(values), n * 4);
  std::string list, feature, entry;
  field(list, 1, packed);                        // FloatList/Int64List.value, packed
  field(feature, ints != nullptr ? 3 : 2, list); // Feature.int64_list = 3, float_list = 2
  field(entry, 1, name);                         // map entry key
  field(entry, 2, feature);                      // map entry value
  field(features, 1, entry);                     // Features.feature (map<string, Feature>)
}

status write_all(std::ofstream& f, const std::string& path) {
  f.close();
  if (!f)
    return status::error(errc::io_error, "cannot write the file", path);
  return status::ok();
}

} // namespace

uint32_t crc32c(std::string_view bytes) noexcept {
  static const auto table = make_table();
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes)
    c = table[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t masked_crc32c(std::string_view bytes) noexcept {
  uint32_t c = crc32c(bytes);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

std::string encode_example(const training_dataset_info& info, const float* features,
                           double label) {
  std::string map;
  for (const auto& f : info.features) {
    map_entry(map, f.name, features, f.width, nullptr);
    features += f.width;
  }
  if (info.label.type == feature_type::int64) {
    int64_t v = static_cast<int64_t>(label);
    map_entry(map, info.label.name, nullptr, 1, &v);
  } else {
    float v = static_cast<float>(label);
    map_entry(map, info.label.name, &v, 1, nullptr);
  }
  std::string example;
  field(example, 1, map);  // Example.features
  return example;
}

std::string tfrecord_frame(std::string_view record) {
  std::string out;
  uint64_t len = record.size();
  std::string_view len_bytes(reinterpret_cast<const char*>(&len), 8);
  uint32_t len_crc = masked_crc32c(len_bytes), data_crc = masked_crc32c(record);
  out.append(len_bytes.data(), 8);
  out.append(reinterpret_cast<const char*>(&len_crc), 4);
  out.append(record.data(), record.size());
  out.append(reinterpret_cast<const char*>(&data_crc), 4);
  return out;
}

status export_training_dataset(feature_store& fs, const std::string& name, uint32_t version,
                               const std::string& split, export_format format,
                               const std::string& path, std::vector<std::string>* written) {
  training_dataset_reader rd;
  if (auto st = training_dataset_reader::open(fs, name, version, split, &rd); !st)
    return st;
  const auto& info = rd.info();
  uint32_t dim = rd.dim();
  written->clear();
  constexpr uint64_t batch = 4096;
  std::vector<float> x;
  std::vector<double> y;
  auto rows_from = [&](uint64_t begin) {
    std::vector<uint64_t> idx;
    for (uint64_t r = begin; r < std::min(rd.rows(), begin + batch); ++r)
      idx.push_back(r);
    return idx;
  };

  if (format == export_format::npy) {
    std::string fx(rd.rows() * dim * 4, '\0'), fy;
    bool ints = info.label.type == feature_type::int64;
    fy.resize(rd.rows() * (ints ? 8 : 4));
    for (uint64_t b = 0; b < rd.rows(); b += batch) {
      auto idx = rows_from(b);
      if (auto st = rd.read_rows(idx, &x, &y); !st)
        return st;
      std::memcpy(fx.data() + b * dim * 4, x.data(), x.size() * 4);
      for (size_t i = 0; i < idx.size(); ++i) {
        if (ints) {
          auto v = static_cast<int64_t>(y[i]);
          std::memcpy(fy.data() + (b + i) * 8, &v, 8);
        } else {
          auto v = static_cast<float>(y[i]);
          std::memcpy(fy.data() + (b + i) * 4, &v, 4);
        }
      }
    }
    std::string px = path + "_features.npy", py = path + "_labels.npy";
    if (auto st = write_npy(px, "<f4", rd.rows(), dim, fx); !st)
      return st;
    if (auto st = write_npy(py, ints ? "<i8" : "<f4", rd.rows(), 1, fy); !st)
      return st;
    *written = {px, py};
    return status::ok();
  }

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    return status::error(errc::io_error, "cannot create the file", path);
  std::string text;
  if (format == export_format::csv) {
    for (const auto& f : info.features)
      for (uint32_t e = 0; e < f.width; ++e)
        text += (f.width == 1 && !is_vector(f.type) ? f.name : f.name + "_" + std::to_string(e)) +
                ",";
    text += info.label.name + "\n";
  }
  for (uint64_t b = 0; b < rd.rows(); b += batch) {
    auto idx = rows_from(b);
    if (auto st = rd.read_rows(idx, &x, &y); !st)
      return st;
    for (size_t i = 0; i < idx.size(); ++i) {
      const float* row = x.data() + i * dim;
      if (format == export_format::tfrecord) {
        text += tfrecord_frame(encode_example(info, row, y[i]));
        continue;
      }
      char buf[32];
      for (uint32_t e = 0; e < dim; ++e) {
        std::snprintf(buf, sizeof buf, "%.9g,", row[e]);
        text += buf;
      }
      if (info.label.type == feature_type::int64)
        text += std::to_string(static_cast<int64_t>(y[i]));
      else {
        std::snprintf(buf, sizeof buf, "%.9g", y[i]);
        text += buf;
      }
      text += '\n';
    }
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    text.clear();
  }
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (auto st = write_all(out, path); !st)
    return st;
  *written = {path};
  return status::ok();
}

} // namespace lagom::storage
