// A file in a per-process temporary directory, for fuzz targets whose code
// under test reads a path (the IDX reader, the CSV writer's round trip).
// Single-threaded: each target owns its files; the directory is removed at exit.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include <unistd.h>

namespace lagom::fuzz {

class temp_dir {
public:
  temp_dir() {
    // Memory-backed where there is one: a file is written for every input.
    std::error_code ec;
    std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec)
                                   ? std::filesystem::path("/dev/shm")
                                   : std::filesystem::temp_directory_path();
    dir_ = base / ("lagom-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  /// The path of `name` in the directory.
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  /// Writes `bytes` to `name` (replacing it); returns its path.
  std::string write(const std::string& name, std::string_view bytes) const {
    std::string p = path(name);
    if (FILE* f = std::fopen(p.c_str(), "wb")) {
      if (!bytes.empty())
        std::fwrite(bytes.data(), 1, bytes.size(), f);
      std::fclose(f);
    }
    return p;
  }

private:
  std::filesystem::path dir_;
};

/// The directory every call of a target shares (made on first use).
inline temp_dir& scratch() {
  static temp_dir d;
  return d;
}

} // namespace lagom::fuzz
