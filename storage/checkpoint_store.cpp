#include "storage/checkpoint_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <utility>

#include "storage/encoding.hpp"
#include "storage/posix_file.hpp"

namespace lagom::storage {

namespace {

constexpr std::string_view magic = "LGCK";
constexpr uint16_t format_version = 1;
constexpr size_t header_bytes = 36;
constexpr size_t chunk_bytes = size_t{1} << 20;  // payload read and checked in chunks

status not_open() {
  return status::error(errc::internal, "checkpoint store is not open");
}

status corrupt(const std::string& what, const std::string& path) {
  return status::error(errc::io_error, "corrupt checkpoint: " + what, path);
}

uint32_t crc(uint32_t seed, std::string_view bytes) {
  return static_cast<uint32_t>(
    crc32_z(seed, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

// Reads and verifies the checkpoint file `path` of `step`.
status read_file(const std::string& path, uint64_t step, bool keep_payload, checkpoint* out) {
  posix_file f;
  uint64_t size = 0;
  status opened = posix_file::open(path, O_RDONLY, &f);
  if (!opened || !(opened = f.size(&size)))
    return opened;
  if (size < header_bytes)
    return corrupt("truncated: " + std::to_string(size) + " bytes, shorter than the " +
                     std::to_string(header_bytes) + "-byte header", path);
  std::string header(header_bytes, '\0');
  if (auto st = f.read_exact(header.data(), header.size()); !st)
    return st;
  byte_reader h(header);
  if (h.raw(magic.size()) != magic)
    return corrupt("not a checkpoint file (no LGCK magic)", path);
  uint16_t version = h.u16();
  h.u16();  // flags
  uint64_t stored_step = h.u64(), payload_size = h.u64();
  uint32_t meta_size = h.u32(), body_crc = h.u32(), header_crc = h.u32();
  if (version != format_version)  // before the checksum: another version, another header
    return status::error(errc::io_error,
                         "unsupported checkpoint version " + std::to_string(version) +
                           " (this build reads version " + std::to_string(format_version) + ")",
                         path);
  if (crc(0, std::string_view(header).substr(0, 32)) != header_crc)
    return corrupt("header checksum mismatch", path);
  if (stored_step != step)
    return corrupt("header says step " + std::to_string(stored_step) + ", the file name " +
                     std::to_string(step), path);
  if (meta_size > max_metadata_bytes || payload_size > size)
    return corrupt("header lengths exceed the file", path);
  uint64_t expected = header_bytes + meta_size + payload_size;
  if (size != expected)
    return corrupt((size < expected ? "truncated: " : "too long: ") + std::to_string(size) +
                     " bytes, the header says " + std::to_string(expected), path);

  std::string meta(meta_size, '\0');
  if (auto st = f.read_exact(meta.data(), meta.size()); !st)
    return st;
  uint32_t sum = crc(0, meta);
  out->payload.clear();
  if (keep_payload)
    out->payload.reserve(payload_size);
  std::string chunk(std::min<uint64_t>(payload_size, chunk_bytes), '\0');
  for (uint64_t left = payload_size; left > 0;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
    if (auto st = f.read_exact(chunk.data(), n); !st)
      return st;
    sum = crc(sum, std::string_view(chunk).substr(0, n));
    if (keep_payload)
      out->payload.append(chunk, 0, n);
    left -= n;
  }
  if (sum != body_crc)
    return corrupt("payload checksum mismatch (stored " + hex(body_crc) + ", computed " +
                     hex(sum) + ")", path);
  byte_reader m(meta);
  out->info = checkpoint_info{step, payload_size, m.values(), path};
  if (!m.done())
    return corrupt("metadata does not decode", path);
  return status::ok();
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

} // namespace

status checkpoint_store::open(const std::string& data_dir, const std::string& experiment,
                              uint32_t run, const checkpoint_options& options,
                              checkpoint_store* out) {
  if (data_dir.empty())
    return status::error(errc::invalid_argument, "must not be empty", "data directory");
  if (auto st = check_name("experiment", experiment, true); !st)
    return st;
  std::string dir = data_dir + "/checkpoints/" + experiment + "/" + std::to_string(run);
  if (auto st = make_dirs(dir); !st)
    return st;
  std::vector<std::string> names;
  if (auto st = list_dir(dir, &names); !st)
    return st;
  for (auto& name : names)
    if (name.rfind("ckpt-", 0) == 0 && ends_with(name, ".tmp") &&
        ::unlink((dir + "/" + name).c_str()) != 0 && errno != ENOENT)
      return errno_status("remove leftover", dir + "/" + name);
  out->dir_ = std::move(dir);
  out->options_ = options;
  return status::ok();
}

std::string checkpoint_store::path_of(uint64_t step) const {
  return dir_ + "/ckpt-" + std::to_string(step) + ".lgck";
}

status checkpoint_store::steps(std::vector<uint64_t>* out) const {
  out->clear();
  if (dir_.empty())
    return not_open();
  std::vector<std::string> names;
  status st = list_dir(dir_, &names);
  for (auto& name : names) {
    if (name.rfind("ckpt-", 0) != 0 || !ends_with(name, ".lgck"))
      continue;
    std::string digits = name.substr(5, name.size() - 10);
    bool numeric = !digits.empty() && digits.size() <= 20 &&
                   digits.find_first_not_of("0123456789") == std::string::npos;
    uint64_t step = numeric ? std::strtoull(digits.c_str(), nullptr, 10) : 0;
    if (numeric && std::to_string(step) == digits)  // canonical: no leading zeros, no overflow
      out->push_back(step);
  }
  std::sort(out->begin(), out->end());
  return st;
}

// Writes the checkpoint of `step` whole to `path` and fsyncs it.
status checkpoint_store::write(const std::string& path, uint64_t step, std::string_view payload,
                               const named_values& metadata) const {
  if (auto st = check_values("metadata", metadata); !st)
    return st;
  byte_writer meta;
  meta.values(metadata);
  if (meta.bytes().size() > max_metadata_bytes)
    return status::error(errc::invalid_argument,
                         "is " + std::to_string(meta.bytes().size()) + " bytes encoded; at most " +
                           std::to_string(max_metadata_bytes),
                         "metadata");
  byte_writer h;
  h.raw(magic);
  h.u16(format_version);
  h.u16(0);
  h.u64(step);
  h.u64(payload.size());
  h.u32(static_cast<uint32_t>(meta.bytes().size()));
  h.u32(crc(crc(0, meta.bytes()), payload));
  h.u32(crc(0, h.bytes()));
  posix_file f;
  status st = posix_file::open(path, O_WRONLY | O_CREAT | O_TRUNC, &f);
  for (std::string_view part : {std::string_view(h.bytes()), std::string_view(meta.bytes()),
                                payload})
    if (st)
      st = f.write_all(part);
  if (st)
    st = f.sync();
  if (st)
    st = f.close();
  if (!st)
    ::unlink(path.c_str());
  return st;
}

// Retention: the one just saved, and the newest keep_last - 1 others.
status checkpoint_store::retain(uint64_t step) {
  std::vector<uint64_t> others;
  status st;
  if (options_.keep_last == 0 || !(st = steps(&others)))
    return st;
  others.erase(std::remove(others.begin(), others.end(), step), others.end());
  size_t keep = options_.keep_last - 1;
  for (size_t i = 0; i + keep < others.size(); ++i)
    if (::unlink(path_of(others[i]).c_str()) != 0 && errno != ENOENT)
      return errno_status("saved step " + std::to_string(step) + ", but cannot remove this older one",
                       path_of(others[i]));
  return status::ok();
}

status checkpoint_store::save(uint64_t step, std::string_view payload,
                              const named_values& metadata, checkpoint_info* out) {
  if (dir_.empty())
    return not_open();
  std::string final_path = path_of(step);
  std::string tmp = dir_ + "/ckpt-" + std::to_string(step) + ".tmp";
  status st = write(tmp, step, payload, metadata);
  if (st && ::rename(tmp.c_str(), final_path.c_str()) != 0)
    st = errno_status("rename to " + final_path, tmp);
  if (!st) {
    ::unlink(tmp.c_str());
    return st;
  }
  if (auto synced = sync_dir(dir_); !synced)
    return synced;
  if (out != nullptr)
    *out = checkpoint_info{step, payload.size(), metadata, final_path};
  return retain(step);
}

status checkpoint_store::stage(uint64_t step, std::string_view payload,
                               const named_values& metadata, const std::string& tag,
                               std::string* name) {
  if (dir_.empty())
    return not_open();
  if (auto st = check_name("staged", tag, true); !st)
    return st;
  *name = "stage-" + std::to_string(step) + "-" + tag + ".staged";
  return write(dir_ + "/" + *name, step, payload, metadata);
}

status checkpoint_store::commit(const std::string& name, uint64_t step, checkpoint_info* out) {
  if (dir_.empty())
    return not_open();
  const std::string prefix = "stage-" + std::to_string(step) + "-";
  if (name.rfind(prefix, 0) != 0 || !ends_with(name, ".staged") ||
      name.find('/') != std::string::npos || name.find("..") != std::string::npos)
    return status::error(errc::invalid_argument,
                         "'" + name + "' is not a staged checkpoint of step " +
                           std::to_string(step),
                         "staged");
  const std::string path = dir_ + "/" + name;
  checkpoint c;
  if (auto st = read_file(path, step, false, &c); !st) {
    if (st.code() != errc::not_found)
      discard(name);
    return st;
  }
  const std::string final_path = path_of(step);
  if (::rename(path.c_str(), final_path.c_str()) != 0)
    return errno_status("rename to " + final_path, path);
  if (auto synced = sync_dir(dir_); !synced)
    return synced;
  if (out != nullptr)
    *out = checkpoint_info{step, c.info.payload_bytes, std::move(c.info.metadata), final_path};
  sweep_staged(step);
  return retain(step);
}

// A writer killed between stage() and its commit leaves its staged file;
// once a newer step is committed nothing can want it (the run's writer has
// moved on, and a fenced one's commit is refused), so it goes.
void checkpoint_store::sweep_staged(uint64_t committed) const {
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr)
    return;
  std::vector<std::string> stale;
  while (const dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    unsigned long long s = 0;
    int used = 0;
    if (n.rfind("stage-", 0) == 0 && ends_with(n, ".staged") &&
        std::sscanf(n.c_str(), "stage-%llu-%n", &s, &used) == 1 && used > 0 && s < committed)
      stale.push_back(std::move(n));
  }
  ::closedir(d);
  for (const auto& n : stale)
    discard(n);
}

void checkpoint_store::discard(const std::string& name) const {
  if (!dir_.empty() && name.find('/') == std::string::npos)
    ::unlink((dir_ + "/" + name).c_str());
}

status checkpoint_store::newest(bool keep_payload, checkpoint* out,
                                std::vector<status>* skipped) const {
  std::vector<uint64_t> all;
  if (auto st = steps(&all); !st)
    return st;
  size_t passed_over = 0;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    status st = read_file(path_of(*it), *it, keep_payload, out);
    if (st)
      return st;
    ++passed_over;
    if (skipped != nullptr)
      skipped->push_back(st);
  }
  return status::error(errc::not_found,
                       passed_over == 0 ? "no checkpoint"
                                        : "no checkpoint checks out (" +
                                            std::to_string(passed_over) + " passed over)",
                       dir_);
}

status checkpoint_store::latest(checkpoint_info* out, std::vector<status>* skipped) const {
  checkpoint c;
  status st = newest(false, &c, skipped);
  *out = st ? std::move(c.info) : checkpoint_info{};
  return st;
}

status checkpoint_store::load_latest(checkpoint* out, std::vector<status>* skipped) const {
  return newest(true, out, skipped);
}

status checkpoint_store::load(uint64_t step, checkpoint* out) const {
  if (dir_.empty())
    return not_open();
  return read_file(path_of(step), step, true, out);
}

} // namespace lagom::storage
