// A deterministic seeded mutator: the plain-C++ driver of a fuzz target, for
// compilers without libFuzzer and for ctest (so that every CI run fuzzes).
//
//   fuzz_NAME --corpus DIR --runs N [--seed S] [--max-len BYTES]
//   fuzz_NAME FILE...            runs each file once (reproduces a crash)
//
// It runs every corpus file as it is, then N mutants. A mutant is a corpus
// file or an earlier mutant (a pool of up to 256, so mutations stack over
// generations) with 1 to 5 of: a bit flip, a random byte, an "interesting"
// byte, a magic number (1, 2, 4 or 8 bytes, either byte order) written over
// or inserted, a range erased, duplicated or truncated, a range of another
// corpus file spliced in, or an ASCII digit/punctuation run inserted. The
// same seed gives the same inputs in the same order.
//
// On a crash (a signal, an abort, a sanitizer report that aborts) the input
// being run is written to crash-<target>-<run> in the working directory
// before the process dies, and the run number and seed are printed.
// Exit 0: every input ran; the last line says how many and how fast.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "fuzz_target.hpp"

#ifndef LAGOM_FUZZ_TARGET_NAME
#define LAGOM_FUZZ_TARGET_NAME "target"
#endif

namespace {

using bytes = std::vector<uint8_t>;

// What the crash handler writes: the input now running (set before each call).
const uint8_t* g_data = nullptr;
size_t g_size = 0;
unsigned long long g_run = 0;
unsigned long long g_seed = 0;
char g_crash_path[256];

void write_all(int fd, const void* p, size_t n) {
  auto* c = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = ::write(fd, c, n);
    if (w <= 0)
      return;
    c += w;
    n -= static_cast<size_t>(w);
  }
}

// Async-signal-safe: open/write/close only, no allocation.
extern "C" void on_crash(int sig) {
  std::snprintf(g_crash_path, sizeof g_crash_path, "crash-%s-%llu", LAGOM_FUZZ_TARGET_NAME, g_run);
  int fd = ::open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    if (g_data != nullptr)
      write_all(fd, g_data, g_size);
    ::close(fd);
  }
  char msg[512];
  int n = std::snprintf(msg, sizeof msg,
                        "\nfuzz_%s: signal %d at run %llu (seed %llu); input (%zu bytes) saved to %s\n",
                        LAGOM_FUZZ_TARGET_NAME, sig, g_run, g_seed, g_size, g_crash_path);
  if (n > 0)
    write_all(2, msg, static_cast<size_t>(std::min(n, static_cast<int>(sizeof msg) - 1)));
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void install_crash_handlers() {
  for (int sig : {SIGSEGV, SIGABRT, SIGFPE, SIGBUS, SIGILL})
    std::signal(sig, on_crash);
}

bool read_file(const std::filesystem::path& p, bytes& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in)
    return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

void run_one(const bytes& input) {
  g_data = input.data();
  g_size = input.size();
  // A copy in its own allocation, so that ASan sees a read one past the end.
  std::unique_ptr<uint8_t[]> copy(new uint8_t[input.size() + (input.empty() ? 1 : 0)]);
  if (!input.empty())
    std::memcpy(copy.get(), input.data(), input.size());
  LLVMFuzzerTestOneInput(copy.get(), input.size());
}

class mutator {
public:
  mutator(uint64_t seed, size_t max_len, const std::vector<bytes>& corpus)
      : gen_(seed), max_len_(max_len), corpus_(corpus) {}

  bytes next() {
    bytes x = pick();
    size_t steps = 1 + below(5);
    for (size_t i = 0; i < steps; ++i)
      mutate(x);
    if (x.size() > max_len_)
      x.resize(max_len_);
    // Keep some mutants to mutate again (deeper changes over generations).
    if (below(4) == 0) {
      if (pool_.size() < 256)
        pool_.push_back(x);
      else
        pool_[below(pool_.size())] = x;
    }
    return x;
  }

private:
  size_t below(size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(gen_); }

  bytes pick() {
    if (!pool_.empty() && below(2) == 0)
      return pool_[below(pool_.size())];
    if (corpus_.empty())
      return {};
    return corpus_[below(corpus_.size())];
  }

  uint64_t magic() {
    static const uint64_t values[] = {0, 1, 2, 7, 8, 16, 32, 64, 127, 128, 255, 256, 0x7fff, 0x8000,
                                      0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff,
                                      0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
                                      ~0ull, ~0ull - 1};
    return values[below(std::size(values))];
  }

  void mutate(bytes& x) {
    switch (below(11)) {
      case 0:  // flip a bit
        if (!x.empty())
          x[below(x.size())] ^= static_cast<uint8_t>(1u << below(8));
        break;
      case 1:  // a random byte
        if (!x.empty())
          x[below(x.size())] = static_cast<uint8_t>(below(256));
        break;
      case 2: {  // an interesting byte
        static const uint8_t v[] = {0, 1, 0x7f, 0x80, 0xff, '\n', '"', ',', ';', '[', ']', '{', '}',
                                    ':', '-', '.', 'e', '\\', '#', '\r', ' '};
        if (!x.empty())
          x[below(x.size())] = v[below(std::size(v))];
        break;
      }
      case 3:
      case 4: {  // a magic number, written over or inserted, either byte order
        uint64_t m = magic();
        size_t width = size_t{1} << below(4);
        uint8_t b[8];
        bool big = below(2) == 0;
        for (size_t i = 0; i < width; ++i)
          b[big ? width - 1 - i : i] = static_cast<uint8_t>(m >> (8 * i));
        size_t at = below(x.size() + 1);
        if (below(2) == 0 && at + width <= x.size())
          std::memcpy(x.data() + at, b, width);
        else
          x.insert(x.begin() + static_cast<long>(at), b, b + width);
        break;
      }
      case 5: {  // erase a range
        if (x.empty())
          break;
        size_t at = below(x.size());
        size_t n = 1 + below(std::min<size_t>(x.size() - at, 16));
        x.erase(x.begin() + static_cast<long>(at), x.begin() + static_cast<long>(at + n));
        break;
      }
      case 6: {  // duplicate a range
        if (x.empty())
          break;
        size_t at = below(x.size());
        size_t n = 1 + below(std::min<size_t>(x.size() - at, 32));
        bytes r(x.begin() + static_cast<long>(at), x.begin() + static_cast<long>(at + n));
        x.insert(x.begin() + static_cast<long>(below(x.size() + 1)), r.begin(), r.end());
        break;
      }
      case 7:  // truncate
        x.resize(below(x.size() + 1));
        break;
      case 8: {  // splice a range of another corpus file
        if (corpus_.empty())
          break;
        const bytes& o = corpus_[below(corpus_.size())];
        if (o.empty())
          break;
        size_t from = below(o.size());
        size_t n = 1 + below(std::min<size_t>(o.size() - from, 64));
        size_t at = below(x.size() + 1);
        if (below(2) == 0) {
          x.resize(at);  // this file's head, the other's tail
          x.insert(x.end(), o.begin() + static_cast<long>(from), o.end());
        } else {
          x.insert(x.begin() + static_cast<long>(at), o.begin() + static_cast<long>(from),
                   o.begin() + static_cast<long>(from + n));
        }
        break;
      }
      case 9: {  // a run of digits or punctuation (text formats)
        static const char* runs[] = {"0", "-1", "1e308", "1e-320", "nan", "inf", "99999999999999999999",
                                     "-9223372036854775808", "0x", "\"", "\"\"", ",,", "[]", "{", "}",
                                     "((", "\n\n", "\r\n", ".", "e+"};
        const char* r = runs[below(std::size(runs))];
        size_t at = below(x.size() + 1);
        x.insert(x.begin() + static_cast<long>(at), r, r + std::strlen(r));
        break;
      }
      default: {  // swap two bytes
        if (x.size() < 2)
          break;
        std::swap(x[below(x.size())], x[below(x.size())]);
        break;
      }
    }
  }

  std::mt19937_64 gen_;
  size_t max_len_;
  const std::vector<bytes>& corpus_;
  std::vector<bytes> pool_;
};

int usage() {
  std::fprintf(stderr,
               "usage: fuzz_%s --corpus DIR --runs N [--seed S] [--max-len BYTES]\n"
               "       fuzz_%s FILE...\n",
               LAGOM_FUZZ_TARGET_NAME, LAGOM_FUZZ_TARGET_NAME);
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  std::string corpus_dir;
  unsigned long long runs = 0;
  size_t max_len = 1 << 16;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "fuzz_%s: %s needs a value\n", LAGOM_FUZZ_TARGET_NAME, flag);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--corpus")
      corpus_dir = value("--corpus");
    else if (a == "--runs")
      runs = std::strtoull(value("--runs"), nullptr, 10);
    else if (a == "--seed")
      g_seed = std::strtoull(value("--seed"), nullptr, 10);
    else if (a == "--max-len")
      max_len = std::strtoull(value("--max-len"), nullptr, 10);
    else if (!a.empty() && a[0] == '-')
      return usage();
    else
      files.push_back(a);
  }
  if (corpus_dir.empty() == files.empty())
    return usage();
  install_crash_handlers();

  if (!files.empty()) {  // reproduce
    for (const auto& f : files) {
      bytes x;
      if (!read_file(f, x)) {
        std::fprintf(stderr, "fuzz_%s: %s: cannot read\n", LAGOM_FUZZ_TARGET_NAME, f.c_str());
        return 2;
      }
      run_one(x);
      std::printf("fuzz_%s: %s: ran, no crash\n", LAGOM_FUZZ_TARGET_NAME, f.c_str());
    }
    return 0;
  }

  std::vector<std::filesystem::path> paths;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(corpus_dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file())
      paths.push_back(it->path());
  if (ec || paths.empty()) {
    std::fprintf(stderr, "fuzz_%s: %s: no corpus files (%s)\n", LAGOM_FUZZ_TARGET_NAME, corpus_dir.c_str(),
                 ec ? ec.message().c_str() : "empty directory");
    return 2;
  }
  std::sort(paths.begin(), paths.end());  // the same order on every machine
  std::vector<bytes> corpus(paths.size());
  for (size_t i = 0; i < paths.size(); ++i)
    if (!read_file(paths[i], corpus[i])) {
      std::fprintf(stderr, "fuzz_%s: %s: cannot read\n", LAGOM_FUZZ_TARGET_NAME, paths[i].c_str());
      return 2;
    }

  auto start = std::chrono::steady_clock::now();
  for (const auto& c : corpus) {
    run_one(c);
    ++g_run;
  }
  mutator m(g_seed, max_len, corpus);
  for (unsigned long long i = 0; i < runs; ++i) {
    bytes x = m.next();
    run_one(x);
    ++g_run;
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("fuzz_%s: %llu executions (%zu corpus files + %llu mutants, seed %llu) in %.2f s "
              "(%.0f/s), no crash\n",
              LAGOM_FUZZ_TARGET_NAME, g_run, corpus.size(), runs, g_seed, s, s > 0 ? g_run / s : 0.0);
  return 0;
}
