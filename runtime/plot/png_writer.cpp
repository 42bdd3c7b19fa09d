#include "plot/png_writer.hpp"

#include <fcntl.h>
#include <png.h>
#include <unistd.h>

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>

namespace lagom::plot {
namespace {

struct encode_state {
  std::vector<uint8_t>* out;
  char error[128];
};

void on_write(png_structp png, png_bytep data, png_size_t n) {
  auto* st = static_cast<encode_state*>(png_get_io_ptr(png));
  st->out->insert(st->out->end(), data, data + n);
}

void on_flush(png_structp) {}

void on_error(png_structp png, png_const_charp msg) {
  auto* st = static_cast<encode_state*>(png_get_error_ptr(png));
  std::snprintf(st->error, sizeof st->error, "%s", msg);
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

// Only trivially destructible locals live in this frame: libpng's errors
// longjmp back into it.
bool encode(const canvas& c, encode_state* st) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, st, on_error, on_warning);
  if (png == nullptr) {
    std::snprintf(st->error, sizeof st->error, "png_create_write_struct failed");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    std::snprintf(st->error, sizeof st->error, "png_create_info_struct failed");
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, st, on_write, on_flush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(c.width()), static_cast<png_uint_32>(c.height()),
               8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < c.height(); ++y)
    png_write_row(png, const_cast<png_bytep>(c.row(y)));
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return true;
}

status errno_error(const char* what, const std::string& path) {
  return status::error(errc::io_error, std::string(what) + ": " + std::strerror(errno), path);
}

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

status encode_png(const canvas& c, std::vector<uint8_t>& out) {
  out.clear();
  encode_state st{&out, {}};
  if (!encode(c, &st))
    return status::error(errc::internal, std::string("libpng: ") + st.error);
  return status::ok();
}

status write_png(const canvas& c, const std::string& path) {
  std::vector<uint8_t> bytes;
  if (status s = encode_png(c, bytes); !s)
    return status::error(s.code(), s.message(), path);

  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return errno_error("open", path);
  auto fail = [&](const char* what) {
    status s = errno_error(what, path);
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  };
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return fail("write");
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0)
    return fail("fsync");
  if (::close(fd) != 0) {
    status s = errno_error("close", path);
    ::unlink(tmp.c_str());
    return s;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    status s = errno_error("rename", path);
    ::unlink(tmp.c_str());
    return s;
  }
  // Makes the rename durable; a directory that cannot be opened for reading
  // (permissions) only loses that guarantee, not the file.
  int dir = ::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return status::ok();
}

} // namespace lagom::plot
