#include "storage/posix_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace lagom::storage {

status errno_status(const std::string& what, const std::string& path) {
  int err = errno;
  return status::error(err == ENOENT ? errc::not_found : errc::io_error,
                       what + ": " + std::strerror(err), path);
}

posix_file::~posix_file() {
  if (fd_ >= 0)
    ::close(fd_);
}

posix_file::posix_file(posix_file&& other) noexcept
  : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

posix_file& posix_file::operator=(posix_file&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

status posix_file::open(const std::string& path, int flags, posix_file* out, unsigned mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0)
    return errno_status("open", path);
  posix_file f;
  f.fd_ = fd;
  f.path_ = path;
  *out = std::move(f);
  return status::ok();
}

status posix_file::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return errno_status("write", path_);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return status::ok();
}

status posix_file::read_exact(char* buf, size_t size) {
  while (size > 0) {
    ssize_t n = ::read(fd_, buf, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return errno_status("read", path_);
    if (n == 0)
      return status::error(errc::io_error, "file ended early", path_);
    buf += n;
    size -= static_cast<size_t>(n);
  }
  return status::ok();
}

status posix_file::sync() {
  return ::fsync(fd_) == 0 ? status::ok() : errno_status("fsync", path_);
}

status posix_file::size(uint64_t* out) const {
  struct stat info;
  if (::fstat(fd_, &info) != 0)
    return errno_status("stat", path_);
  *out = static_cast<uint64_t>(info.st_size);
  return status::ok();
}

status posix_file::close() {
  if (fd_ < 0)
    return status::error(errc::internal, "close of a file that is not open", path_);
  int rc = ::close(std::exchange(fd_, -1));
  return rc == 0 ? status::ok() : errno_status("close", path_);
}

status sync_dir(const std::string& dir) {
  posix_file d;
  status st = posix_file::open(dir, O_RDONLY | O_DIRECTORY, &d);
  if (st)
    st = d.sync();
  return st ? d.close() : st;
}

status make_dirs(const std::string& path) {
  if (path.empty())
    return status::error(errc::invalid_argument, "must not be empty", "directory");
  // A relative path gets "./" so that every directory has its parent in it.
  std::string full = path[0] == '/' ? path : "./" + path;
  for (size_t end = full.find('/', 1);; end = full.find('/', end + 1)) {
    std::string dir = full.substr(0, end);
    if (::mkdir(dir.c_str(), 0755) == 0) {
      size_t slash = dir.rfind('/');
      if (auto st = sync_dir(slash == 0 ? "/" : dir.substr(0, slash)); !st)
        return st;
    } else if (errno != EEXIST) {
      return errno_status("create directory", dir);
    }
    if (end == std::string::npos)
      return status::ok();
  }
}

status list_dir(const std::string& dir, std::vector<std::string>* names) {
  names->clear();
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr)
    return errno_status("open directory", dir);
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..")
      names->emplace_back(name);
  }
  int err = errno;
  ::closedir(d);
  errno = err;
  return err == 0 ? status::ok() : errno_status("read directory", dir);
}

} // namespace lagom::storage
