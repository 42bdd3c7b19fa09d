// `lagom run FILE [NAME=VALUE ...]`: a .lagom script, its parameters set. The whole file is parsed and every line
// validated before the cluster starts, so a bad line costs nothing and is
// reported as FILE:LINE:COL with exit code 2. A command that fails at run
// time stops the script with FILE:LINE and exit code 1.
//
// SIGTERM (scancel, a time limit) or SIGINT stops it: the running launch's
// functions are asked to stop (they checkpoint as they return), its runs
// are recorded `cancelled` with the signal's name, its experiment `stopped`
// (an embedded cluster's registry: whatever else still runs too); the
// embedded cluster's nodes and worker processes end with it; exit 128+N.
// Bounded: a script still blocked stop_grace after the signal exits anyway.
#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands/cluster_flags.hpp"
#include "cli/interpreter.hpp"
#include "cli/script/parser.hpp"
#include "cli/script/script_params.hpp"

namespace lagom::cli {

namespace {

std::string location_of(const script::command& cmd) {
  return std::visit([](auto& c) { return c.loc.to_string(); }, cmd);
}

// The launch's functions get this long to stop before their runs are
// recorded cancelled regardless; the whole stop at most twice that.
constexpr std::chrono::seconds stop_grace{10};

} // namespace

int run_script(const std::string& path, const cluster_flags& f,
               const std::vector<std::string>& params) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "lagom run: cannot open " << path << ": " << std::strerror(errno) << "\n";
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::vector<script::statement> statements;
  if (auto st = script::parse(text.str(), path, statements); !st) {
    std::cerr << "lagom run: " << st.to_string() << "\n";
    return 2;
  }
  // `param NAME=VALUE` lines and `$NAME`, with the command line's NAME=VALUE.
  if (auto st = script::expand_params(statements, params); !st) {
    std::cerr << "lagom run: " << st.to_string() << "\n";
    return 2;
  }
  std::vector<script::command> commands;
  for (auto& s : statements) {
    script::command cmd;
    if (auto st = script::to_command(s, cmd); !st) {
      std::cerr << "lagom run: " << st.to_string() << "\n";
      return 2;
    }
    commands.push_back(std::move(cmd));
  }
  sigset_t stop = block_stop_signals(); // before the cluster's threads start
  std::unique_ptr<cluster> c;
  if (auto st = open_cluster(f, c); !st) {
    std::cerr << "lagom run: " << st.to_string() << "\n";
    return 1;
  }
  std::atomic<bool> script_done{false};
  std::atomic<int> signalled{0};
  std::mutex done_m;
  std::condition_variable done_cv;
  auto mark_done = [&] {
    {
      std::lock_guard<std::mutex> g(done_m);
      script_done = true;
    }
    done_cv.notify_all();
  };
  // A signal thread: a stop signal cancels the cluster's work (bounded).
  std::thread watcher([&] {
    int sig = 0;
    sigwait(&stop, &sig);
    if (script_done)
      return;
    signalled = sig;
    const std::string why = "lagom run got SIG" + std::string(sigabbrev_np(sig));
    std::cerr << "lagom run: " << why << ": stopping the script's runs\n";
    uint32_t swept = 0;
    if (auto st = c->cancel(why, stop_grace, &swept); !st)
      std::cerr << "lagom run: the registry could not record the cancel: " << st.to_string()
                << "\n";
    std::unique_lock<std::mutex> g(done_m);
    if (!done_cv.wait_for(g, stop_grace, [&] { return script_done.load(); })) {
      // Still blocked in a call that does not stop: go anyway.
      std::cerr << "lagom run: stopped by " << why << " (a call did not return)\n";
      std::_Exit(128 + sig);
    }
  });
  auto end_watcher = [&] {
    mark_done();
    pthread_kill(watcher.native_handle(), SIGTERM); // wakes it if still waiting
    watcher.join();
  };
  int code = 0;
  interpreter interp{*c, std::cout};
  for (auto& cmd : commands) {
    bool quit = false;
    if (auto st = interp.execute(cmd, quit); !st) {
      if (signalled == 0)
        std::cerr << "lagom run: " << location_of(cmd) << ": " << st.to_string() << "\n";
      code = 1;
      break;
    }
    if (quit || signalled != 0)
      break;
  }
  // A signal's watcher finishes its cancel (bounded) before the cluster goes.
  if (signalled != 0) {
    mark_done();
    watcher.join();
    std::cerr << "lagom run: stopped by SIG" << sigabbrev_np(signalled) << "\n";
    return 128 + signalled;
  }
  end_watcher();
  return code;
}

} // namespace lagom::cli
