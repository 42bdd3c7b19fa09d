#include "collective/kv_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

namespace lagom::collective {
namespace {

using clock = std::chrono::steady_clock;

status key_timeout(const std::string& key, std::chrono::milliseconds t) {
  return status::error(errc::timeout,
                       "key did not appear within " + std::to_string(t.count()) + " ms",
                       "store key " + key);
}

status key_exists(const std::string& key) {
  return status::error(errc::invalid_argument, "key already set (keys are write-once)",
                       "store key " + key);
}

class memory_store final : public kv_store {
public:
  status set(const std::string& key, const std::vector<char>& value) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!map_.emplace(key, value).second) return key_exists(key);
    }
    cv_.notify_all();
    return status::ok();
  }

  status get(const std::string& key, std::chrono::milliseconds timeout,
             std::vector<char>& out) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return map_.count(key) > 0; }))
      return key_timeout(key, timeout);
    out = map_.at(key);
    return status::ok();
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::vector<char>> map_;
};

/// Keys may hold '/': each becomes "%2F" in a file name.
std::string file_name(const std::string& key) {
  std::string s;
  for (char c : key) {
    if (c == '/' || c == '%') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      s += buf;
    } else {
      s += c;
    }
  }
  return s;
}

class file_store final : public kv_store {
public:
  explicit file_store(std::string dir) : dir_(std::move(dir)) {}

  status set(const std::string& key, const std::vector<char>& value) override {
    std::string path = dir_ + "/" + file_name(key);
    std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." +
                      std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return status::error(errc::io_error, std::strerror(errno), tmp);
    std::size_t off = 0;
    while (off < value.size()) {
      ssize_t n = ::write(fd, value.data() + off, value.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fd);
        ::unlink(tmp.c_str());
        return status::error(errc::io_error, std::strerror(errno), tmp);
      }
      off += static_cast<std::size_t>(n);
    }
    ::close(fd);
    // link() fails with EEXIST where rename() would overwrite: write-once.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      if (e == EEXIST) return key_exists(key);
      return status::error(errc::io_error, std::strerror(e), path);
    }
    ::unlink(tmp.c_str());
    return status::ok();
  }

  status get(const std::string& key, std::chrono::milliseconds timeout,
             std::vector<char>& out) override {
    std::string path = dir_ + "/" + file_name(key);
    auto deadline = clock::now() + timeout;
    for (;;) {
      int fd = ::open(path.c_str(), O_RDONLY);
      if (fd >= 0) {
        out.clear();
        char buf[4096];
        for (;;) {
          ssize_t n = ::read(fd, buf, sizeof buf);
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) break;
          out.insert(out.end(), buf, buf + n);
        }
        ::close(fd);
        return status::ok();
      }
      if (errno != ENOENT) return status::error(errc::io_error, std::strerror(errno), path);
      if (clock::now() >= deadline) return key_timeout(key, timeout);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

private:
  std::string dir_;
};

class prefixed_store final : public kv_store {
public:
  prefixed_store(std::shared_ptr<kv_store> inner, std::string prefix)
    : inner_(std::move(inner)), prefix_(std::move(prefix) + "/") {}

  status set(const std::string& key, const std::vector<char>& value) override {
    return inner_->set(prefix_ + key, value);
  }
  status get(const std::string& key, std::chrono::milliseconds timeout,
             std::vector<char>& out) override {
    return inner_->get(prefix_ + key, timeout, out);
  }
  status wait(const std::vector<std::string>& keys, std::chrono::milliseconds timeout) override {
    std::vector<std::string> full;
    for (const auto& k : keys) full.push_back(prefix_ + k);
    return inner_->wait(full, timeout);
  }

private:
  std::shared_ptr<kv_store> inner_;
  std::string prefix_;
};

} // namespace

status kv_store::wait(const std::vector<std::string>& keys, std::chrono::milliseconds timeout) {
  auto deadline = clock::now() + timeout;
  std::vector<char> ignored;
  for (const auto& k : keys) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() < 0) left = std::chrono::milliseconds(0);
    if (auto st = get(k, left, ignored); !st) return st;
  }
  return status::ok();
}

std::shared_ptr<kv_store> make_memory_store() { return std::make_shared<memory_store>(); }

std::shared_ptr<kv_store> make_file_store(const std::string& dir) {
  return std::make_shared<file_store>(dir);
}

std::shared_ptr<kv_store> make_prefixed_store(std::shared_ptr<kv_store> inner, std::string prefix) {
  return std::make_shared<prefixed_store>(std::move(inner), std::move(prefix));
}

} // namespace lagom::collective
