// storage/posix_file: the few POSIX file operations that durable files need
// (write, fsync, rename, fsync the directory), as calls returning a status
// whose where is the path, and a file descriptor that is closed exactly once.
//
// Errors: a missing path is not_found, any other failure io_error; the
// message is "<what>: <strerror(errno)>".
//
// Threading: a posix_file belongs to one thread at a time; the free functions
// are safe anywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lagom/status.hpp"

namespace lagom::storage {

/// An open file descriptor; the destructor closes it if close() did not.
/// (Not "file_handle": glibc's fcntl.h already has a struct of that name.)
class posix_file {
public:
  posix_file() noexcept = default;
  ~posix_file();
  posix_file(posix_file&& other) noexcept;
  posix_file& operator=(posix_file&& other) noexcept;
  posix_file(const posix_file&) = delete;
  posix_file& operator=(const posix_file&) = delete;

  /// open(2) with `flags` (O_CLOEXEC added) and `mode` for a new file.
  static status open(const std::string& path, int flags, posix_file* out, unsigned mode = 0644);

  /// Writes all of `bytes`, retrying short writes and EINTR.
  status write_all(std::string_view bytes);
  /// Reads exactly `size` bytes; a file that ends first is io_error
  /// "file ended early".
  status read_exact(char* buf, size_t size);
  /// fsync(2): the data and size are on disk when it returns ok.
  status sync();
  /// The file's size in bytes (fstat).
  status size(uint64_t* out) const;
  /// Closes now, reporting the error that a deferred write may only show here.
  status close();

  bool is_open() const noexcept { return fd_ >= 0; }
  const std::string& path() const noexcept { return path_; }

private:
  int fd_ = -1;
  std::string path_;
};

/// The status for the errno of a failed call: "<what>: <strerror>" at `path`.
status errno_status(const std::string& what, const std::string& path);

/// fsync(2) on a directory, so that a rename, create or unlink in it is durable.
status sync_dir(const std::string& dir);

/// mkdir -p `path`; each directory it creates is made durable in its parent.
status make_dirs(const std::string& path);

/// The names in `dir`, without "." and "..", in no particular order.
status list_dir(const std::string& dir, std::vector<std::string>* names);

} // namespace lagom::storage
