// bench_feature_store (f): online lookups through a `lagom head` process over
// loopback. The head (a child process of this bench, its own temporary data
// directory) holds the shards; this process connects as a remote client
// (lagom::cluster::connect) and asks get_feature_vector for single random
// keys of a group of Fashion-MNIST rows (id, 784-byte image, label: the rows
// of (d)), one request at a time: p50 and p99 of the round trip. A remote
// client's lookups go through the head's online door (actors/online_door.hpp,
// a plain TCP socket served by its own threads). Beside it, interleaved: the
// same lookup through the actor path ((fs_lookup, FeatureLookup) asked of
// the feature_store_router over CAF, from a fresh scoped_actor, as the client
// did before the door), and the CAF floor: bare round trips to the head
// actor over the same connection ((atoms::feature_store), answered from its
// state), from a fresh scoped_actor each and from one kept scoped_actor.
#include "feature_store_online.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <regex>

#include <caf/all.hpp>

#include "actors/api/cluster_impl.hpp"
#include "actors/feature_frames.hpp"
#include "lagom/cluster.hpp"
#include "schemas/feature_store.capnp.h"
#include "wire/atoms.hpp"
#include "wire/read.hpp"

namespace lagom::bench {

namespace {

using clk = std::chrono::steady_clock;

// Starts `lagom head` and reads its stdout until the feature store line
// (10 s at most); *address gets 127.0.0.1:PORT.
pid_t start_head(const std::string& bin, const std::string& data, std::string* address) {
  int fds[2];
  if (::pipe(fds) != 0)
    return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::execl(bin.c_str(), bin.c_str(), "--data", data.c_str(), "--log-level", "warn", "head",
            "--listen", "127.0.0.1:0", "--token", "bench", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  auto deadline = clk::now() + std::chrono::seconds(10);
  while (out.find("feature store in") == std::string::npos && clk::now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0)
      continue;
    char buf[512];
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("listening on (127\\.0\\.0\\.1:[0-9]+)"))) {
    std::fprintf(stderr, "bench_feature_store: the head did not start: %s\n", out.c_str());
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return -1;
  }
  *address = m[1];
  return pid;
}

// Creates the group through the head, then times `lookups` single-key lookups.
int run_lookups(const std::string& address, const storage::feature_frame& fashion, size_t rows,
                int lookups) {
  std::unique_ptr<cluster> c;
  auto st = cluster::connect(address, c, std::chrono::seconds(10));
  if (!st) {
    std::fprintf(stderr, "bench_feature_store: (f): %s\n", st.to_string().c_str());
    return 1;
  }
  storage::feature_frame part;
  for (const auto& col : fashion.columns) {
    storage::feature_column k;
    k.spec = col.spec;
    for (size_t r = 0; r < rows; ++r)
      k.push_row(col, r);
    part.columns.push_back(std::move(k));
  }
  auto fs = c->feature_store();
  featuregroup_options o;
  o.primary_key = {"id"};
  o.correlations = false;
  st = fs.create_featuregroup("fashion", part, o);
  std::vector<double> us;
  std::mt19937_64 rng(5);
  storage::feature_frame out;
  bool found = false;
  for (int i = 0; st && i < lookups; ++i) {
    storage::key_value k{static_cast<int64_t>(rng() % rows)};
    auto t = clk::now();
    st = fs.get_feature_vector("fashion", k, &out, &found);
    us.push_back(std::chrono::duration<double, std::micro>(clk::now() - t).count());
    if (st && !found)
      st = status::error(errc::internal, "a key was not found", "bench");
  }
  if (!st) {
    std::fprintf(stderr, "bench_feature_store: (f): %s\n", st.to_string().c_str());
    return 1;
  }
  // The actor path and the floor, interleaved in rounds with more lookups
  // through the door so that all see the same load.
  auto& p = c->internals();
  std::vector<double> fresh_us, kept_us, again_us, actor_us;
  caf::scoped_actor kept{*p.sys};
  caf::actor router;
  kept->request(p.head, std::chrono::seconds(10), atoms::feature_store::value)
    .receive([&](caf::actor& r) { router = r; },
             [&](caf::error& e) { st = status::error(errc::io_error, to_string(e)); });
  for (int i = 0; st && i < lookups; ++i) {
    for (int way = 0; way < 4 && st; ++way) {
      int w = (way + i) % 4;
      auto t = clk::now();
      if (w == 3) {
        storage::key_value k{static_cast<int64_t>(rng() % rows)};
        auto f = wire::build<schema::FeatureLookup>([&](schema::FeatureLookup::Builder b) {
          b.setGroup("fashion");
          actors::frames::to_wire(b.initKeys(1)[0], k);
        });
        caf::scoped_actor self{*p.sys};
        self->request(router, std::chrono::seconds(10), atoms::fs_lookup::value, f)
          .receive([&](wire::frame&) {},
                   [&](caf::error& e) { st = status::error(errc::io_error, to_string(e)); });
        actor_us.push_back(std::chrono::duration<double, std::micro>(clk::now() - t).count());
        continue;
      }
      if (w == 2) {
        storage::key_value k{static_cast<int64_t>(rng() % rows)};
        st = fs.get_feature_vector("fashion", k, &out, &found);
        again_us.push_back(std::chrono::duration<double, std::micro>(clk::now() - t).count());
        continue;
      }
      auto round_trip = [&](caf::scoped_actor& self) {
        self->request(p.head, std::chrono::seconds(10), atoms::feature_store::value)
          .receive([&](caf::actor&) {},
                   [&](caf::error& e) { st = status::error(errc::io_error, to_string(e)); });
      };
      if (w == 0) {
        caf::scoped_actor self{*p.sys};
        round_trip(self);
      } else {
        round_trip(kept);
      }
      (w == 0 ? fresh_us : kept_us)
        .push_back(std::chrono::duration<double, std::micro>(clk::now() - t).count());
    }
  }
  if (!st) {
    std::fprintf(stderr, "bench_feature_store: (f) floor: %s\n", st.to_string().c_str());
    return 1;
  }
  auto pct = [](std::vector<double>& v, int q) {
    std::sort(v.begin(), v.end());
    return v[v.size() * q / 100];
  };
  std::sort(us.begin(), us.end());
  std::printf("(f) online lookups through a lagom head over loopback (remote client), "
              "%d keys of %zu rows\n",
              lookups, rows);
  std::printf("    single, online door: p50 %.1f us, p99 %.1f us (goal p99 <= 500 us; Feast "
              "with Redis publishes p99 < 1.5 ms)\n",
              us[us.size() / 2], us[us.size() * 99 / 100]);
  std::printf("    interleaved, %d rounds of four:\n", lookups);
  std::printf("      get_feature_vector, online door        p50 %7.1f us, p99 %7.1f us\n",
              pct(again_us, 50), pct(again_us, 99));
  std::printf("      lookup through the actor path (CAF)    p50 %7.1f us, p99 %7.1f us "
              "(door p99 / actor p99 = %.2fx)\n",
              pct(actor_us, 50), pct(actor_us, 99), pct(again_us, 99) / pct(actor_us, 99));
  std::printf("      bare CAF round trip, fresh scoped_actor p50 %7.1f us, p99 %7.1f us\n",
              pct(fresh_us, 50), pct(fresh_us, 99));
  std::printf("      bare CAF round trip, kept scoped_actor  p50 %7.1f us, p99 %7.1f us\n\n",
              pct(kept_us, 50), pct(kept_us, 99));
  return 0;
}

} // namespace

int online_lookups(const storage::feature_frame& fashion, size_t rows, int lookups,
                   const std::string& lagom_bin) {
  std::string data = (std::filesystem::temp_directory_path() /
                      ("lagom-bench-online-" + std::to_string(::getpid())))
                       .string();
  std::string address;
  ::setenv("LAGOM_TOKEN", "bench", 1);  // the head below is started with --token bench
  pid_t head = start_head(lagom_bin, data, &address);
  if (head < 0)
    return 1;
  int rc = run_lookups(address, fashion, rows, lookups);
  ::kill(head, SIGTERM);
  ::waitpid(head, nullptr, 0);
  std::filesystem::remove_all(data);
  return rc;
}

} // namespace lagom::bench
