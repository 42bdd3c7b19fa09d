// bench_wire: round-trip time of a Cap'n Proto request carried as (atom,
// wire::frame) versus a plain CAF message (atom, std::string) of the same bytes.
//
// Run (Release build):  ./build/bench/bench_wire [--iterations N] [--reps R] [--quick]
//
// Cases: "local" = client and server actors in one process; "remote" = the
// server lives in a child process (this binary re-executed with --serve, which
// publishes the server on 127.0.0.1, port 0, and prints the port); the client
// reaches it over loopback TCP through CAF's middleman. The child dies with
// the parent (PR_SET_PDEATHSIG) and exits when its stdin closes.
// Sizes: "small" = a FunctionLaunch with a Container, a function name and 3
// KeyValue params (272 bytes); "64KiB" = the same plus 1630 numeric params.
//
// One round trip, wire path:
//   client: builds the FunctionLaunch (wire::build), sends (launch, frame);
//   server: wire::read<FunctionLaunch> (default limits) visits every field and
//           param, builds a FunctionResult (2 values) with wire::build, replies;
//   client: wire::read<FunctionResult>, reads every field.
// One round trip, plain capnp path ("capnp"): the same Cap'n Proto request in
// a plain CAF message, the way one would without lagom's wire type:
//   client: builds the FunctionLaunch in a fresh MallocMessageBuilder, copies
//           its flat array into a std::string, sends (bcapnp, s);
//   server: copies the string into word-aligned storage, decodes it with the
//           same limits and visits the same fields, builds the same reply the
//           same way; the client decodes the reply likewise.
//   wire/capnp is the overhead of the wire type itself: the goal is <= 1.10.
// One round trip, plain bytes path ("bytes"): no Cap'n Proto at all:
//   client: copies the request bytes into a new std::string, sends (bplain, s);
//   server: sums every byte, copies a reply-sized template (the size of the
//           wire reply frame) into a new std::string, stores the sum, replies;
//   client: sums every byte of the reply.
//   wire/bytes shows what encoding and decoding with Cap'n Proto costs.
// The client is an event-based actor doing sequential request().then() round
// trips, timing each with steady_clock. Each repetition runs one batch of each
// path, rotating which goes first, after a warm-up batch of each. Reported:
// the median over repetitions of each batch's median RTT (us), and of the
// per-repetition ratios.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "wire/configure.hpp"
#include "wire/network.hpp"
#include "wire_messages.hpp"

using namespace bench;
using clock_type = std::chrono::steady_clock;

namespace {

struct batch {
  std::vector<double> rtt_us;
  double seconds = 0;
  bool ok = true;
};

// The three ways to carry one request: see the opening comment.
enum path { plain_bytes, plain_capnp, wire_frame };

struct run_ctx {
  caf::actor srv;
  path how;
  const std::string* plain_bytes; // the request's bytes, for the plain path
  unsigned extra;
  unsigned left;
  clock_type::time_point start, sent;
  batch out;
  std::promise<batch> done;
};

void finish(caf::event_based_actor* self, const std::shared_ptr<run_ctx>& c, bool ok) {
  c->out.seconds = std::chrono::duration<double>(clock_type::now() - c->start).count();
  c->out.ok = ok;
  c->done.set_value(std::move(c->out));
  self->quit();
}

void step(caf::event_based_actor* self, std::shared_ptr<run_ctx> c) {
  if (c->left-- == 0)
    return finish(self, c, true);
  auto on_error = [self, c](const caf::error& e) {
    std::fprintf(stderr, "bench_wire: %s\n", to_string(e).c_str());
    finish(self, c, false);
  };
  auto record = [c] {
    c->out.rtt_us.push_back(
      std::chrono::duration<double, std::micro>(clock_type::now() - c->sent).count());
  };
  c->sent = clock_type::now();
  if (c->how == wire_frame) {
    self->request(c->srv, std::chrono::seconds(30), atoms::launch::value, make_request(c->extra))
      .then([self, c, record](const wire::frame& f) {
        auto st = wire::read<schema::FunctionResult>(f, [&](schema::FunctionResult::Reader r) {
          sink += visit_reply(r);
          return status::ok();
        });
        record();
        if (!st)
          return finish(self, c, false);
        step(self, c);
      }, on_error);
  } else if (c->how == plain_capnp) {
    auto req = capnp_string<schema::FunctionLaunch>(
      [&](schema::FunctionLaunch::Builder b) { fill_request(b, c->extra); });
    self->request(c->srv, std::chrono::seconds(30), bcapnp::value, std::move(req))
      .then([self, c, record](const std::string& s) {
        sink += read_capnp_string<schema::FunctionResult>(s, visit_reply);
        record();
        step(self, c);
      }, on_error);
  } else {
    self->request(c->srv, std::chrono::seconds(30), bplain::value, std::string(*c->plain_bytes))
      .then([self, c, record](const std::string& s) {
        sink += checksum(s);
        record();
        step(self, c);
      }, on_error);
  }
}

batch run_batch(caf::actor_system& sys, const caf::actor& srv, path how,
                const std::string& plain_bytes, unsigned extra, unsigned n) {
  auto c = std::make_shared<run_ctx>();
  c->srv = srv;
  c->how = how;
  c->plain_bytes = &plain_bytes;
  c->extra = extra;
  c->left = n;
  c->out.rtt_us.reserve(n);
  auto fut = c->done.get_future();
  sys.spawn([c](caf::event_based_actor* self) -> caf::behavior {
    c->start = clock_type::now();
    step(self, c);
    return {[](int) {}};
  });
  return fut.get();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

bool run_case(caf::actor_system& sys, const caf::actor& srv, const char* name,
              unsigned extra, unsigned n, unsigned reps) {
  make_request(extra); // sizes this thread's build segment, as a warm thread's is
  const wire::frame req = make_request(extra);
  const std::string bytes(reinterpret_cast<const char*>(req.bytes()), req.size_bytes());
  std::vector<double> rtt[3], ratio_capnp, ratio_bytes;
  unsigned warm = std::max(50u, n / 5);
  for (path p : {plain_bytes, plain_capnp, wire_frame})
    if (!run_batch(sys, srv, p, bytes, extra, warm).ok)
      return false;
  for (unsigned r = 0; r < reps; ++r) {
    double med[3];
    for (int k = 0; k < 3; ++k) {
      path p = static_cast<path>((k + r) % 3); // rotate which path goes first
      batch b = run_batch(sys, srv, p, bytes, extra, n);
      if (!b.ok)
        return false;
      med[p] = median(b.rtt_us);
      rtt[p].push_back(med[p]);
    }
    ratio_capnp.push_back(med[wire_frame] / med[plain_capnp]);
    ratio_bytes.push_back(med[wire_frame] / med[plain_bytes]);
  }
  std::printf("%-14s %8zu %10.1f %10.1f %10.1f %12.2f %12.2f\n", name, req.size_bytes(),
              median(rtt[plain_bytes]), median(rtt[plain_capnp]), median(rtt[wire_frame]),
              median(ratio_capnp), median(ratio_bytes));
  std::fflush(stdout);
  return true;
}

void base_config(caf::actor_system_config& cfg) {
  wire::configure(cfg);
  wire::load_network(cfg); // as every lagom process (wire/network.hpp)
  cfg.set("logger.console", caf::atom("none"));
}

int serve() {
  caf::actor_system_config cfg;
  base_config(cfg);
  caf::actor_system sys{cfg};
  auto srv = sys.spawn(server);
  auto port = sys.middleman().publish(srv, 0, "127.0.0.1", true);
  if (!port) {
    std::fprintf(stderr, "bench_wire --serve: %s\n", sys.render(port.error()).c_str());
    return 1;
  }
  std::printf("%u\n", static_cast<unsigned>(*port));
  std::fflush(stdout);
  char buf[64];
  while (::read(STDIN_FILENO, buf, sizeof(buf)) > 0) {
  } // the parent closes our stdin when done
  caf::anon_send_exit(srv, caf::exit_reason::user_shutdown);
  return 0;
}

// Starts `/proc/self/exe --serve`; returns its pid, the write end of its stdin
// and the port it printed (0 on failure).
pid_t start_server(int& stdin_fd, unsigned& port) {
  int in[2], out[2];
  if (::pipe(in) != 0 || ::pipe(out) != 0)
    return -1;
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(1);
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    for (int fd : {in[0], in[1], out[0], out[1]})
      ::close(fd);
    ::execl("/proc/self/exe", "bench_wire", "--serve", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  stdin_fd = in[1];
  FILE* f = ::fdopen(out[0], "r");
  if (f == nullptr || std::fscanf(f, "%u", &port) != 1)
    port = 0;
  if (f != nullptr)
    std::fclose(f);
  return pid;
}

} // namespace

int main(int argc, char** argv) {
  unsigned n = 2000, reps = 9;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--serve")
      return serve();
    if (a == "--quick") {
      n = 200;
      reps = 3;
    } else if (a == "--iterations" && i + 1 < argc) {
      n = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
    } else if (a == "--reps" && i + 1 < argc) {
      reps = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
    } else {
      std::fprintf(stderr, "usage: %s [--iterations N] [--reps R] [--quick]\n", argv[0]);
      return 2;
    }
  }
  int child_stdin = -1;
  unsigned port = 0;
  pid_t child = start_server(child_stdin, port); // before any thread exists
  int rc = 0;
  {
    caf::actor_system_config cfg;
    base_config(cfg);
    caf::actor_system sys{cfg};
    std::printf("bench_wire: %u round trips per batch, %u repetitions, median of medians\n",
                n, reps);
    std::printf("%-14s %8s %10s %10s %10s %12s %12s\n", "case", "bytes", "bytes us",
                "capnp us", "wire us", "wire/capnp", "wire/bytes");
    auto local = sys.spawn(server);
    bool ok = run_case(sys, local, "local  small", 0, n, reps)
              && run_case(sys, local, "local  64KiB", large_params, n, reps);
    caf::anon_send_exit(local, caf::exit_reason::user_shutdown);
    if (ok && port != 0) {
      auto remote = sys.middleman().remote_actor("127.0.0.1", static_cast<uint16_t>(port));
      if (!remote) {
        std::fprintf(stderr, "bench_wire: %s\n", sys.render(remote.error()).c_str());
        ok = false;
      } else {
        ok = run_case(sys, *remote, "remote small", 0, n, reps)
             && run_case(sys, *remote, "remote 64KiB", large_params, n, reps);
      }
    } else if (port == 0) {
      std::fprintf(stderr, "bench_wire: the server child did not start\n");
      ok = false;
    }
    rc = ok ? 0 : 1;
  }
  if (child > 0) {
    ::close(child_stdin);
    ::waitpid(child, nullptr, 0);
  }
  return rc;
}
