// storage/feature_store under kill -9: a forked writer appends versions and
// is killed at many points; each time the shard opens, every version is whole
// (its rows, its statistics) or absent, and every commit the writer reported
// is there.
#include "storage/feature_store.hpp"

#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "feature_checks.hpp"
#include "temp_dir.hpp"

using namespace lagom;
using namespace lagom::storage;

namespace {

constexpr int batch_rows = 3000;
constexpr uint32_t width = 96;

// Batch b: keys b*batch_rows .. +batch_rows, x = key * 0.5, pixels = (key + e) % 251.
feature_frame batch(int b) {
  feature_frame f;
  f.columns.push_back(test::i64_col("id", {}));
  f.columns.push_back(test::f64_col("x", {}));
  f.columns.push_back(test::u8v_col("pixels", width, {}));
  for (int r = 0; r < batch_rows; ++r) {
    int64_t key = int64_t{b} * batch_rows + r;
    f.columns[0].i64.push_back(key);
    f.columns[1].f64.push_back(static_cast<double>(key) * 0.5);
    for (uint32_t e = 0; e < width; ++e)
      f.columns[2].u8.push_back(static_cast<uint8_t>((key + e) % 251));
  }
  return f;
}

// The child: appends the next batches (version v holds batches 0 .. v-1) for ever, writing one byte to `fd`
// after each commit, until it is killed.
[[noreturn]] void writer(const std::string& dir, int fd) {
  feature_store fs;
  if (auto st = feature_store::open(dir, {}, &fs); !st) {
    std::fprintf(stderr, "writer: %s\n", st.to_string().c_str());
    _exit(3);
  }
  version_info newest;
  if (!fs.describe("g", 0, &newest))
    _exit(6);
  for (int b = static_cast<int>(newest.version);; ++b) {
    if (auto st = fs.write("g", write_mode::append, batch(b)); !st) {
      std::fprintf(stderr, "writer: %s\n", st.to_string().c_str());
      _exit(4);
    }
    char one = 1;
    if (::write(fd, &one, 1) != 1)
      _exit(5);
  }
}

// Reads `n` bytes from `fd`, waiting at most 10 s in all.
int read_commits(int fd, int n) {
  int got = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (got < n && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0)
      continue;
    char buf[64];
    ssize_t r = ::read(fd, buf, std::min<size_t>(sizeof buf, static_cast<size_t>(n - got)));
    if (r <= 0)
      break;
    got += static_cast<int>(r);
  }
  return got;
}

// Every version present must hold exactly batches 0 .. v-1, whole, with statistics to match.
// Returns how many versions there are.
size_t check_whole(const std::string& dir) {
  feature_store fs;
  auto st = feature_store::open(dir, {}, &fs);
  REQUIRE(st.to_string() == "ok");
  std::vector<version_info> versions;
  REQUIRE(fs.versions("g", &versions));
  for (const auto& v : versions) {
    INFO("version " << v.version);
    CHECK(v.rows == uint64_t{v.version} * batch_rows);
  }
  // The newest version read whole, key by key, and its statistics.
  feature_frame all;
  REQUIRE(fs.read("g", {}, &all));
  REQUIRE(all.rows() == versions.size() * batch_rows);
  bool ok = true;
  for (size_t r = 0; r < all.rows() && ok; ++r) {
    auto key = static_cast<int64_t>(r);
    ok = all.columns[0].i64[r] == key && all.columns[1].f64[r] == static_cast<double>(key) * 0.5 &&
         all.columns[2].u8[r * width + 7] == static_cast<uint8_t>((key + 7) % 251);
  }
  CHECK(ok);
  feature_statistics s;
  REQUIRE(fs.statistics("g", 0, &s));
  CHECK(s.find("x")->count == all.rows());
  feature_frame one;
  std::vector<bool> found;
  REQUIRE(fs.lookup("g", {{static_cast<int64_t>(all.rows() - 1)}}, {"x"}, &one, &found));
  CHECK(found[0]);
  return versions.size();
}

} // namespace

TEST_CASE("a writer killed at any point leaves every version whole or absent") {
  test::temp_dir dir;
  std::string shard = dir / "shard";
  {
    feature_store fs;
    REQUIRE(feature_store::open(shard, {}, &fs));
    auto first = batch(0);
    REQUIRE(fs.create("g", test::schema_of(first, {"id"}), first));
  }
  int total_reported = 0;
  for (int round = 0; round < 12; ++round) {
    INFO("round " << round);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      writer(shard, fds[1]);
    }
    ::close(fds[1]);
    // Wait for 0-2 commits, then a varying moment inside the next write.
    int want = round % 3;
    int got = read_commits(fds[0], want);
    REQUIRE(got == want);
    timespec pause{0, static_cast<long>((round * 2713) % 9000) * 1000};
    ::nanosleep(&pause, nullptr);  // the kill point, not a synchronisation
    ::kill(pid, SIGKILL);
    int wstatus = 0;
    REQUIRE(::waitpid(pid, &wstatus, 0) == pid);
    // Commits reported after the ones awaited are counted too.
    char buf[64];
    ssize_t r;
    while ((r = ::read(fds[0], buf, sizeof buf)) > 0)
      got += static_cast<int>(r);
    ::close(fds[0]);
    CHECK(WIFSIGNALED(wstatus));
    total_reported += got;
    size_t versions = check_whole(shard);
    CHECK(versions >= static_cast<size_t>(total_reported) + 1);
  }
}
